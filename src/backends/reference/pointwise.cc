// Reference kernels for the data-movement end of the pointwise family: Cast, Identity (a Cast to the
// requested output type) and Select. The other pointwise ops live in pointwise_<op>.cc.
//
// Conversion rules (Cast, and Identity when its output type differs):
//   float -> float: correctly rounded to nearest even (fp8 saturates to +-448, see common/float_types.h);
//   float -> int:   truncation toward zero, saturating to the target's range (+-inf too); NaN gives 0;
//   int   -> float: correctly rounded to nearest even, int64 included;
//   int   -> int:   two's complement wrap-around (int64 300 -> int8 44), as numpy and C++20 do;
//   any   -> bool:  x != 0 (NaN gives true, as in numpy); bool -> any: 0 or 1.
#include <cstring>
#include <limits>

#include "backends/reference/kernels.h"
#include "backends/reference/pointwise_util.h"

namespace kiln::reference {
namespace {

using pointwise::BroadcastWalk;

/// Truncates toward zero and clamps into [lo, hi]; NaN gives 0. The comparisons happen in double, where
/// every bound used here (int8 .. int64) is exact or rounds up to 2^63, so the final cast is always defined.
int64_t saturatingToInt(double v, int64_t lo, int64_t hi) {
    if (std::isnan(v)) return 0;
    const double t = std::trunc(v);
    if (t <= static_cast<double>(lo)) return lo;
    if (t >= static_cast<double>(hi)) return hi;
    return static_cast<int64_t>(t);
}

void intRange(DataType t, int64_t* lo, int64_t* hi) {
    switch (t) {
        case DataType::kINT8:
            *lo = std::numeric_limits<int8_t>::min();
            *hi = std::numeric_limits<int8_t>::max();
            return;
        case DataType::kUINT8:
            *lo = 0;
            *hi = std::numeric_limits<uint8_t>::max();
            return;
        case DataType::kINT32:
            *lo = std::numeric_limits<int32_t>::min();
            *hi = std::numeric_limits<int32_t>::max();
            return;
        case DataType::kBOOL:
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kFP8:
        case DataType::kBF16:
        case DataType::kINT64:
            break;
    }
    *lo = std::numeric_limits<int64_t>::min();
    *hi = std::numeric_limits<int64_t>::max();
}

/// Converts src into dst (same element count, any two types) under the rules in the file comment.
Status convert(const KernelContext& ctx, const TensorRef& src, const TensorRef& dst, const char* op) {
    if (src.numel() != dst.numel())
        return internalError(std::string(op) + " kernel: output " + toString(dst.shape) +
                             " differs from input " + toString(src.shape));
    const DataType st = src.type;
    const DataType dt = dst.type;
    const int64_t n = src.numel();
    if (st == dt) {
        if (n > 0) std::memcpy(dst.data, src.data, static_cast<size_t>(src.bytes()));
        return Status::ok();
    }
    int64_t lo = 0, hi = 0;
    intRange(dt, &lo, &hi);
    pointwise::parallelRange(ctx, n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            if (isFloatType(st)) {
                const double v = loadAsDouble(st, src.data, i);
                if (isFloatType(dt))
                    pointwise::storeFloat(dt, dst.data, i, v);
                else if (dt == DataType::kBOOL)
                    static_cast<uint8_t*>(dst.data)[i] = v != 0.0 ? 1 : 0;
                else
                    storeFromInt64(dt, dst.data, i, saturatingToInt(v, lo, hi));
            } else {
                const int64_t v = loadAsInt64(st, src.data, i);
                if (dt == DataType::kFLOAT)
                    static_cast<float*>(dst.data)[i] = static_cast<float>(v);  // one rounding, even for int64
                else if (isFloatType(dt))
                    // long double holds every int64 exactly on the x86-64 and AArch64 Linux targets.
                    storeFromDouble(dt, dst.data, i, roundToOddFloat(static_cast<long double>(v)));
                else
                    storeFromInt64(dt, dst.data, i, v);
            }
        }
    });
    return Status::ok();
}

}  // namespace

Status runCast(const ir::CastAttrs& attrs, const KernelContext& ctx) {
    if (ctx.outputs[0].type != attrs.toType)
        return internalError(std::string("Cast kernel: output type ") + dataTypeName(ctx.outputs[0].type) +
                             " is not the target type " + dataTypeName(attrs.toType));
    return convert(ctx, ctx.inputs[0], ctx.outputs[0], "Cast");
}

Status runIdentity(const ir::IdentityAttrs&, const KernelContext& ctx) {
    return convert(ctx, ctx.inputs[0], ctx.outputs[0], "Identity");
}

Status runSelect(const ir::SelectAttrs&, const KernelContext& ctx) {
    const TensorRef& cond = ctx.inputs[0];
    const TensorRef& thenT = ctx.inputs[1];
    const TensorRef& elseT = ctx.inputs[2];
    const TensorRef& out = ctx.outputs[0];
    if (cond.type != DataType::kBOOL || thenT.type != out.type || elseT.type != out.type)
        return internalError(std::string("Select kernel: unsupported types condition ") +
                             dataTypeName(cond.type) + ", then " + dataTypeName(thenT.type) + ", else " +
                             dataTypeName(elseT.type) + ", output " + dataTypeName(out.type));
    KILN_ASSIGN_OR_RETURN(BroadcastWalk<3> walk,
                          BroadcastWalk<3>::make(out.shape, {cond.shape, thenT.shape, elseT.shape}));
    const size_t size = static_cast<size_t>(dataTypeSize(out.type));
    const auto* c = static_cast<const uint8_t*>(cond.data);
    const auto* a = static_cast<const uint8_t*>(thenT.data);
    const auto* b = static_cast<const uint8_t*>(elseT.data);
    auto* y = static_cast<uint8_t*>(out.data);
    pointwise::parallelRange(ctx, out.numel(), [&](int64_t begin, int64_t end) {
        walk.forRange(begin, end, [&](int64_t i, const std::array<int64_t, 3>& idx) {
            const uint8_t* src = c[idx[0]] != 0 ? a + static_cast<size_t>(idx[1]) * size
                                                : b + static_cast<size_t>(idx[2]) * size;
            std::memcpy(y + static_cast<size_t>(i) * size, src, size);
        });
    });
    return Status::ok();
}

}  // namespace kiln::reference
