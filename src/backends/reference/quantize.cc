// Reference kernels for Quantize and Dequantize (ONNX QuantizeLinear / DequantizeLinear); see
// src/ir/ops/quantize.cc for shapes and types. Arithmetic follows ONNX and ONNX Runtime: x / scale is a
// float32 division, integers round half to even then add the zero point and saturate; FP8 rounds to
// nearest even and saturates to +-448 in the conversion itself. Dequantize subtracts the zero point in
// integers (exact), then multiplies by the scale in float32 and rounds once to the output type.
#include <cmath>
#include <functional>
#include <string>

#include "backends/reference/kernels.h"

namespace kiln::reference {
namespace {

void forRange(const KernelContext& ctx, int64_t n, int64_t grain,
              const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (ctx.pool)
        ctx.pool->parallelFor(n, grain, fn);
    else
        fn(0, n);
}

/// How a flat element index maps to its scale / zero point index.
struct ParamLayout {
    bool perAxis{false};
    int64_t extent{1};  ///< number of scale values along the axis
    int64_t inner{1};   ///< elements after the axis
    int64_t at(int64_t j) const { return perAxis ? (j / inner) % extent : 0; }
};

StatusOr<ParamLayout> layoutOf(const std::string& op, const KernelContext& ctx, int32_t axisAttr) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& scale = ctx.inputs[1];
    const TensorRef* zp = ctx.inputs.size() > 2 && ctx.inputs[2].present() ? &ctx.inputs[2] : nullptr;
    ParamLayout l;
    const int64_t n = scale.numel();
    if (scale.shape.nbDims > 1 || n < 1)
        return invalidArgument(op + ": scale must be a scalar or 1-D, got shape " + toString(scale.shape));
    if (zp && zp->numel() != n)
        return invalidArgument(op + ": zero point " + toString(zp->shape) + " and scale " +
                               toString(scale.shape) + " differ in size");
    if (n == 1) return l;
    const int r = x.shape.nbDims;
    if (axisAttr < -r || axisAttr >= r)
        return invalidArgument(op + ": axis " + std::to_string(axisAttr) + " is out of range for input " +
                               toString(x.shape));
    const int axis = axisAttr < 0 ? axisAttr + r : axisAttr;
    if (x.shape.d[axis] != n)
        return invalidArgument(op + ": per-axis scale length " + std::to_string(n) +
                               " must equal the extent " + std::to_string(x.shape.d[axis]) + " of axis " +
                               std::to_string(axis) + " of input " + toString(x.shape));
    l.perAxis = true;
    l.extent = n;
    for (int i = axis + 1; i < r; ++i) l.inner *= x.shape.d[i];
    return l;
}

Status checkFp8ZeroPoint(const std::string& op, const TensorRef* zp) {
    if (!zp || zp->type != DataType::kFP8) return Status::ok();
    for (int64_t i = 0; i < zp->numel(); ++i) {
        const double v = loadAsDouble(zp->type, zp->data, i);
        if (v != 0.0)
            return invalidArgument(op +
                                   ": an FP8 zero point must be 0 (FP8 quantization has no offset), got " +
                                   std::to_string(v) + " at index " + std::to_string(i));
    }
    return Status::ok();
}

double roundHalfToEven(double v) {
    const double f = std::floor(v);
    const double frac = v - f;
    if (frac > 0.5) return f + 1.0;
    if (frac < 0.5) return f;
    return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

}  // namespace

Status runQuantize(const ir::QuantizeAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& scale = ctx.inputs[1];
    const TensorRef* zp = ctx.inputs.size() > 2 && ctx.inputs[2].present() ? &ctx.inputs[2] : nullptr;
    const TensorRef& out = ctx.outputs[0];
    if (out.type != attrs.toType || out.shape != x.shape)
        return internalError("Quantize: output " + std::string(dataTypeName(out.type)) + toString(out.shape) +
                             " does not match input " + toString(x.shape) + " quantized to " +
                             dataTypeName(attrs.toType));
    KILN_ASSIGN_OR_RETURN(ParamLayout layout, layoutOf("Quantize", ctx, attrs.axis));
    KILN_RETURN_IF_ERROR(checkFp8ZeroPoint("Quantize", zp));
    double lo = 0.0, hi = 0.0;
    switch (attrs.toType) {
        case DataType::kINT8:
            lo = -128.0;
            hi = 127.0;
            break;
        case DataType::kUINT8:
            lo = 0.0;
            hi = 255.0;
            break;
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
    const bool toFp8 = attrs.toType == DataType::kFP8;
    forRange(ctx, x.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
            const int64_t p = layout.at(j);
            const float s = static_cast<float>(loadAsDouble(scale.type, scale.data, p));
            const float q =
                static_cast<float>(loadAsDouble(x.type, x.data, j)) / s;  // float32, as ONNX Runtime
            if (toFp8) {
                storeFromDouble(DataType::kFP8, out.data, j,
                                q);  // rounds to nearest even, saturates to +-448
                continue;
            }
            // NaN has no integer value: it quantizes to the zero point, as if it were 0.
            double v = std::isnan(q) ? 0.0 : roundHalfToEven(q);
            if (zp) v += static_cast<double>(loadAsInt64(zp->type, zp->data, p));
            v = v < lo ? lo : (v > hi ? hi : v);
            storeFromInt64(attrs.toType, out.data, j, static_cast<int64_t>(v));
        }
    });
    return Status::ok();
}

Status runDequantize(const ir::DequantizeAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& scale = ctx.inputs[1];
    const TensorRef* zp = ctx.inputs.size() > 2 && ctx.inputs[2].present() ? &ctx.inputs[2] : nullptr;
    const TensorRef& out = ctx.outputs[0];
    if (out.type != attrs.toType || out.shape != x.shape)
        return internalError("Dequantize: output " + std::string(dataTypeName(out.type)) +
                             toString(out.shape) + " does not match input " + toString(x.shape) +
                             " dequantized to " + dataTypeName(attrs.toType));
    KILN_ASSIGN_OR_RETURN(ParamLayout layout, layoutOf("Dequantize", ctx, attrs.axis));
    KILN_RETURN_IF_ERROR(checkFp8ZeroPoint("Dequantize", zp));
    const bool fromFp8 = x.type == DataType::kFP8;
    forRange(ctx, x.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
            const int64_t p = layout.at(j);
            const float s = static_cast<float>(loadAsDouble(scale.type, scale.data, p));
            float centered;
            if (fromFp8) {
                centered = static_cast<float>(loadAsDouble(x.type, x.data, j));  // zero point is 0
            } else {
                int64_t d = loadAsInt64(x.type, x.data, j);
                if (zp) d -= loadAsInt64(zp->type, zp->data, p);
                centered = static_cast<float>(d);
            }
            storeFromDouble(out.type, out.data, j, static_cast<double>(centered * s));
        }
    });
    return Status::ok();
}

}  // namespace kiln::reference
