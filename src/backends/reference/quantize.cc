// Reference kernels for Quantize and Dequantize (ONNX QuantizeLinear / DequantizeLinear); see
// src/ir/ops/quantize.cc for shapes and types. Arithmetic follows ONNX and ONNX Runtime: x / scale is a
// float32 division, integers round half to even then add the zero point and saturate to the type's range
// (int4 [-8, 7], uint2 [0, 3], ...); the float types (FP8 variants, FP4) round to nearest even and
// saturate in the conversion itself. Dequantize subtracts the zero point in integers (exact), then
// multiplies by the scale in float32 and rounds once to the output type. A packed output (int4, fp4, ...)
// is split between threads on whole bytes.
#include <cmath>
#include <string>

#include "backends/reference/kernels.h"

namespace kiln::reference {
namespace {

/// How a flat element index of x maps to its scale / zero point index.
struct ParamLayout {
    enum class Mode { kTensor, kAxis, kBlocked } mode{Mode::kTensor};
    int64_t extent{1};  ///< kAxis: number of scale values along the axis
    int64_t inner{1};   ///< kAxis: elements after the axis
    int rank{0};        ///< kBlocked: x's dims, the block extent and the scale's stride per dim
    int64_t dims[kMAX_DIMS]{};
    int64_t block[kMAX_DIMS]{};
    int64_t scaleStride[kMAX_DIMS]{};

    int64_t at(int64_t j) const {
        switch (mode) {
            case Mode::kTensor:
                return 0;
            case Mode::kAxis:
                return (j / inner) % extent;
            case Mode::kBlocked: {
                int64_t p = 0;
                for (int i = rank - 1; i >= 0; --i) {
                    const int64_t c = j % dims[i];
                    j /= dims[i];
                    p += (c / block[i]) * scaleStride[i];
                }
                return p;
            }
        }
        return 0;
    }
};

StatusOr<ParamLayout> blockedLayout(const std::string& op, const TensorRef& x, const TensorRef& scale,
                                    const Dims& blockShape) {
    ParamLayout l;
    l.mode = ParamLayout::Mode::kBlocked;
    l.rank = x.shape.nbDims;
    if (blockShape.nbDims != l.rank || scale.shape.nbDims != l.rank)
        return invalidArgument(op + ": block shape " + toString(blockShape) + " and scale " +
                               toString(scale.shape) + " must both have the input's rank (input " +
                               toString(x.shape) + ")");
    int64_t stride = 1;
    for (int i = l.rank - 1; i >= 0; --i) {
        l.dims[i] = x.shape.d[i];
        l.block[i] = blockShape.d[i] == -1 ? std::max<int64_t>(x.shape.d[i], 1) : blockShape.d[i];
        if (l.block[i] < 1)
            return invalidArgument(op + ": block shape " + toString(blockShape) + " has extent " +
                                   std::to_string(blockShape.d[i]) + " at dim " + std::to_string(i) +
                                   "; expected >= 1 or -1");
        const int64_t blocks = (x.shape.d[i] + l.block[i] - 1) / l.block[i];
        if (scale.shape.d[i] != blocks)
            return invalidArgument(op + ": scale " + toString(scale.shape) + " needs " +
                                   std::to_string(blocks) + " at dim " + std::to_string(i) + " for input " +
                                   toString(x.shape) + " and block shape " + toString(blockShape));
        l.scaleStride[i] = stride;
        stride *= scale.shape.d[i];
    }
    return l;
}

StatusOr<ParamLayout> layoutOf(const std::string& op, const KernelContext& ctx, int32_t axisAttr,
                               const Dims& blockShape) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& scale = ctx.inputs[1];
    const TensorRef* zp = ctx.inputs.size() > 2 && ctx.inputs[2].present() ? &ctx.inputs[2] : nullptr;
    const int64_t n = scale.numel();
    if (zp && zp->numel() != n)
        return invalidArgument(op + ": zero point " + toString(zp->shape) + " and scale " +
                               toString(scale.shape) + " differ in size");
    if (blockShape.nbDims > 0) return blockedLayout(op, x, scale, blockShape);
    ParamLayout l;
    if (scale.shape.nbDims > 1 || n < 1)
        return invalidArgument(op + ": scale must be a scalar or 1-D, got shape " + toString(scale.shape));
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
    l.mode = ParamLayout::Mode::kAxis;
    l.extent = n;
    for (int i = axis + 1; i < r; ++i) l.inner *= x.shape.d[i];
    return l;
}

/// Float quantization (FP8 variants, FP4) has no offset: a zero point, known only now, must be 0.
Status checkFloatZeroPoint(const std::string& op, const TensorRef* zp) {
    if (!zp || !isFloatType(zp->type)) return Status::ok();
    for (int64_t i = 0; i < zp->numel(); ++i) {
        const double v = loadAsDouble(zp->type, zp->data, i);
        if (v != 0.0)
            return invalidArgument(op + ": a " + dataTypeName(zp->type) +
                                   " zero point must be 0 (float quantization has no offset), got " +
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
    // The quantized types are the integer and float types of at most 8 bits, E8M0 (a scale) aside, and
    // int32 (the ONNX importer's int16 / uint16 quantization).
    const DataType t = attrs.toType;
    const bool narrow = dataTypeBits(t) <= 8 && t != DataType::kE8M0 && (isFloatType(t) || isIntegerType(t));
    if (!narrow && t != DataType::kINT32)
        return invalidArgument(std::string("Quantize: cannot quantize to ") + dataTypeName(t));
    KILN_ASSIGN_OR_RETURN(ParamLayout layout, layoutOf("Quantize", ctx, attrs.axis, attrs.blockShape));
    KILN_RETURN_IF_ERROR(checkFloatZeroPoint("Quantize", zp));
    int64_t lo = 0, hi = 0;
    integerRange(attrs.toType, &lo, &hi);
    const bool toFloat = isFloatType(attrs.toType);
    parallelElements(ctx, attrs.toType, x.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
            const int64_t p = layout.at(j);
            const float s = static_cast<float>(loadAsDouble(scale.type, scale.data, p));
            const float q =
                static_cast<float>(loadAsDouble(x.type, x.data, j)) / s;  // float32, as ONNX Runtime
            if (toFloat) {
                storeFromDouble(attrs.toType, out.data, j, q);  // rounds to nearest even, saturates
                continue;
            }
            // NaN has no integer value: it quantizes to the zero point, as if it were 0.
            double v = std::isnan(q) ? 0.0 : roundHalfToEven(q);
            if (zp) v += static_cast<double>(loadAsInt64(zp->type, zp->data, p));
            v = v < static_cast<double>(lo) ? static_cast<double>(lo)
                                            : (v > static_cast<double>(hi) ? static_cast<double>(hi) : v);
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
    KILN_ASSIGN_OR_RETURN(ParamLayout layout, layoutOf("Dequantize", ctx, attrs.axis, attrs.blockShape));
    KILN_RETURN_IF_ERROR(checkFloatZeroPoint("Dequantize", zp));
    const bool fromFloat = isFloatType(x.type);
    parallelElements(ctx, out.type, x.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
            const int64_t p = layout.at(j);
            const float s = static_cast<float>(loadAsDouble(scale.type, scale.data, p));
            float centered;
            if (fromFloat) {
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
