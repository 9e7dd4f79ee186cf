// Shape/type inference for Quantize and Dequantize (TensorRT's IQuantizeLayer / IDequantizeLayer, ONNX
// QuantizeLinear / DequantizeLinear). Scale is per-tensor (a scalar, or a 1-element vector as ONNX Runtime
// accepts), per-axis (1-D, one value per index of x along `axis`) or blocked (attrs.blockShape set: the
// scale has x's rank and dim i is ceil(x.d[i] / block i)); the optional zero point has the scale's shape
// (or, per tensor, any one-element shape) and the quantized type. The float quantized types (FP8 variants,
// FP4) have no zero point offset: one may be given but must be 0.
#include <string>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"

namespace kiln::ir {
namespace {

constexpr const char* kQuantizedTypeList =
    "int8, uint8, int4, uint4, int2, uint2, float8_e4m3, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, "
    "float4_e2m1fn";

bool isScaleType(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}

/// The types Quantize produces and Dequantize reads (Dequantize also reads int32).
bool isQuantizedType(DataType t) {
    switch (t) {
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
        case DataType::kFP8:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kFP4:
            return true;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
        case DataType::kE8M0:
            return false;
    }
    return false;
}

/// Checks a blocked scale: rank and block shape of x's rank, scale dim i = the number of blocks on dim i.
Status checkBlockedScale(const std::string& op, const Dims& x, const Dims& s, const Dims& block) {
    if (block.nbDims != x.nbDims)
        return invalidArgument(op + ": block shape " + toString(block) + " must have the input's rank " +
                               std::to_string(x.nbDims) + " (input " + toString(x) + ")");
    if (s.nbDims != x.nbDims)
        return invalidArgument(op + ": with block shape " + toString(block) +
                               " the scale must have the input's rank " + std::to_string(x.nbDims) +
                               ", got shape " + toString(s));
    for (int i = 0; i < x.nbDims; ++i) {
        const int64_t b = block.d[i];
        if (b == 0 || b < -1)
            return invalidArgument(op + ": block shape " + toString(block) + " has extent " +
                                   std::to_string(b) + " at dim " + std::to_string(i) +
                                   "; expected >= 1, or -1 for the whole dim");
        if (x.d[i] < 0 || s.d[i] < 0) continue;
        const int64_t blocks = b == -1 ? (x.d[i] > 0 ? 1 : 0) : (x.d[i] + b - 1) / b;
        if (s.d[i] != blocks)
            return invalidArgument(op + ": scale " + toString(s) + " must have " + std::to_string(blocks) +
                                   " at dim " + std::to_string(i) + " (ceil(" + std::to_string(x.d[i]) +
                                   " / block " + std::to_string(b) + ")) for input " + toString(x) +
                                   " and block shape " + toString(block) + ", got " + std::to_string(s.d[i]));
    }
    return Status::ok();
}

/// Checks scale and zero point against x. `op` names the layer; `zpType` is the quantized type the zero
/// point must have.
Status checkScaleAndZeroPoint(const std::string& op, const InferContext& ctx, int32_t axisAttr,
                              const Dims& blockShape, DataType zpType) {
    const TensorDesc& x = ctx.inputs[0];
    const TensorDesc& scale = ctx.inputs[1];
    const TensorDesc* zp = ctx.inputs.size() > 2 && ctx.inputs[2].present() ? &ctx.inputs[2] : nullptr;
    if (!isScaleType(scale.type))
        return invalidArgument(op + ": scale must be float32, float16 or bfloat16, got " +
                               dataTypeName(scale.type));
    const Dims& s = scale.shape;
    if (blockShape.nbDims > 0) {
        KILN_RETURN_IF_ERROR(checkBlockedScale(op, x.shape, s, blockShape));
    } else if (s.nbDims >= 2) {
        return invalidArgument(op + ": scale must be a scalar (per-tensor) or 1-D (per-axis), got shape " +
                               toString(s) + "; for blocked quantization set a block shape (setBlockShape)");
    }
    const bool perAxis = blockShape.nbDims == 0 && s.nbDims == 1 && s.d[0] != 1;
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
    // Per tensor, a one-element zero point of another rank ([1] next to a scalar scale) is accepted, as
    // ONNX Runtime does.
    const bool bothSingle = volume(zp->shape) == 1 && volume(s) == 1;
    if (!sameShape && !bothSingle)
        return invalidArgument(op + ": zero point shape " + toString(zp->shape) +
                               " must equal the scale's shape " + toString(s) + " (or both hold one value)");
    if (isFloatType(zpType) && zp->values) {
        for (int64_t i = 0; i < volume(zp->shape); ++i) {
            double v = loadAsDouble(zp->type, zp->values, i);
            if (v != 0.0)
                return invalidArgument(op + ": a " + dataTypeName(zpType) +
                                       " zero point must be 0 (float quantization has no offset), got " +
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
    // int32 is not an ONNX quantized type; the ONNX importer quantizes to int16 / uint16 through it.
    if (!isQuantizedType(attrs.toType) && attrs.toType != DataType::kINT32)
        return invalidArgument(std::string("Quantize: output type must be ") + kQuantizedTypeList +
                               " or int32, got " + dataTypeName(attrs.toType));
    KILN_RETURN_IF_ERROR(checkScaleAndZeroPoint("Quantize", ctx, attrs.axis, attrs.blockShape, attrs.toType));
    ctx.outputs[0].type = attrs.toType;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferDequantize(const DequantizeAttrs& attrs, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    if (!isQuantizedType(x.type) && x.type != DataType::kINT32)
        return invalidArgument(std::string("Dequantize: input must be ") + kQuantizedTypeList +
                               " or int32, got " + dataTypeName(x.type));
    if (!isScaleType(attrs.toType))
        return invalidArgument(
            std::string("Dequantize: output type must be float32, float16 or bfloat16, got ") +
            dataTypeName(attrs.toType));
    KILN_RETURN_IF_ERROR(checkScaleAndZeroPoint("Dequantize", ctx, attrs.axis, attrs.blockShape, x.type));
    ctx.outputs[0].type = attrs.toType;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

}  // namespace kiln::ir
