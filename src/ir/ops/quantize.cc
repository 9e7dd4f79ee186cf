// Shape/type inference for Quantize and Dequantize (TensorRT's IQuantizeLayer / IDequantizeLayer, ONNX
// QuantizeLinear / DequantizeLinear). Scale is per-tensor (a scalar, or a 1-element vector as ONNX Runtime
// accepts) or per-axis (1-D, one value per index of x along `axis`); the optional zero point has the
// scale's shape and the quantized type. FP8 has no zero point offset: one may be given but must be 0.
// Blocked quantization (scale of rank >= 2) is not supported.
#include <string>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"

namespace kiln::ir {
namespace {

bool isScaleType(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}

/// Checks scale and zero point against x. `op` names the layer; `zpType` is the quantized type the zero
/// point must have.
Status checkScaleAndZeroPoint(const std::string& op, const InferContext& ctx, int32_t axisAttr,
                              DataType zpType) {
    const TensorDesc& x = ctx.inputs[0];
    const TensorDesc& scale = ctx.inputs[1];
    const TensorDesc* zp = ctx.inputs.size() > 2 && ctx.inputs[2].present() ? &ctx.inputs[2] : nullptr;
    if (!isScaleType(scale.type))
        return invalidArgument(op + ": scale must be float32, float16 or bfloat16, got " +
                               dataTypeName(scale.type));
    const Dims& s = scale.shape;
    if (s.nbDims >= 2)
        return invalidArgument(op + ": scale must be a scalar (per-tensor) or 1-D (per-axis), got shape " +
                               toString(s) + "; blocked quantization is not supported");
    const bool perAxis = s.nbDims == 1 && s.d[0] != 1;
    if (perAxis) {
        const int r = x.shape.nbDims;
        if (axisAttr < -r || axisAttr >= r)
            return invalidArgument(op + ": axis " + std::to_string(axisAttr) + " is out of range for input " +
                                   toString(x.shape) + " (expected " + std::to_string(-r) + ".." +
                                   std::to_string(r - 1) + ") with a per-axis scale of shape " + toString(s));
        const int axis = axisAttr < 0 ? axisAttr + r : axisAttr;
        const int64_t extent = x.shape.d[axis];
        if (extent >= 0 && s.d[0] >= 0 && s.d[0] != extent)
            return invalidArgument(op + ": per-axis scale length " + std::to_string(s.d[0]) +
                                   " must equal the extent " + std::to_string(extent) + " of axis " +
                                   std::to_string(axis) + " of input " + toString(x.shape));
    }
    if (!zp) return Status::ok();
    if (zp->type != zpType)
        return invalidArgument(op + ": zero point must be " + dataTypeName(zpType) +
                               " (the quantized type), got " + dataTypeName(zp->type));
    bool sameShape = zp->shape.nbDims == s.nbDims;
    for (int i = 0; sameShape && i < s.nbDims; ++i)
        sameShape = zp->shape.d[i] < 0 || s.d[i] < 0 || zp->shape.d[i] == s.d[i];
    if (!sameShape)
        return invalidArgument(op + ": zero point shape " + toString(zp->shape) +
                               " must equal the scale's shape " + toString(s));
    if (zpType == DataType::kFP8 && zp->values) {
        for (int64_t i = 0; i < volume(zp->shape); ++i) {
            double v = loadAsDouble(zp->type, zp->values, i);
            if (v != 0.0)
                return invalidArgument(
                    op + ": an FP8 zero point must be 0 (FP8 quantization has no offset), got " +
                    std::to_string(v) + " at index " + std::to_string(i));
        }
    }
    return Status::ok();
}

}  // namespace

Status inferQuantize(const QuantizeAttrs& attrs, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    if (!isScaleType(x.type))
        return invalidArgument(std::string("Quantize: input must be float32, float16 or bfloat16, got ") +
                               dataTypeName(x.type));
    switch (attrs.toType) {
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kFP8:
            break;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
            return invalidArgument(
                std::string("Quantize: output type must be int8, uint8 or float8_e4m3, got ") +
                dataTypeName(attrs.toType));
    }
    KILN_RETURN_IF_ERROR(checkScaleAndZeroPoint("Quantize", ctx, attrs.axis, attrs.toType));
    ctx.outputs[0].type = attrs.toType;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferDequantize(const DequantizeAttrs& attrs, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    switch (x.type) {
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kFP8:
            break;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kINT64:
        case DataType::kBOOL:
            return invalidArgument(
                std::string("Dequantize: input must be int8, uint8, int32 or float8_e4m3, got ") +
                dataTypeName(x.type));
    }
    if (!isScaleType(attrs.toType))
        return invalidArgument(
            std::string("Dequantize: output type must be float32, float16 or bfloat16, got ") +
            dataTypeName(attrs.toType));
    KILN_RETURN_IF_ERROR(checkScaleAndZeroPoint("Dequantize", ctx, attrs.axis, x.type));
    ctx.outputs[0].type = attrs.toType;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

}  // namespace kiln::ir
