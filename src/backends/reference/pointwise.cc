// Reference kernels for the data-movement end of the pointwise family: Cast, Identity (a Cast to the
// requested output type) and Select. The other pointwise ops live in pointwise_<op>.cc.
//
// Conversion rules (Cast, and Identity when its output type differs): see common/cast.h. A packed output
// (int4, fp4, ...) is split between threads on whole bytes, as each store rewrites its element's byte.
#include <cstring>
#include <limits>

#include "backends/reference/kernels.h"
#include "backends/reference/pointwise_util.h"
#include "common/cast.h"

namespace kiln::reference {
namespace {

using pointwise::BroadcastWalk;

/// Converts src into dst (same element count, any two types) under the rules in the file comment.
Status convert(const KernelContext& ctx, const TensorRef& src, const TensorRef& dst, const char* op,
               FloatStoreMode mode) {
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
    parallelElements(ctx, dt, n, pointwise::kGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) castElement(st, src.data, i, dt, dst.data, i, mode);
    });
    return Status::ok();
}

}  // namespace

Status runCast(const ir::CastAttrs& attrs, const KernelContext& ctx) {
    if (ctx.outputs[0].type != attrs.toType)
        return internalError(std::string("Cast kernel: output type ") + dataTypeName(ctx.outputs[0].type) +
                             " is not the target type " + dataTypeName(attrs.toType));
    FloatStoreMode mode;
    mode.saturate = attrs.saturate;
    mode.e8m0 = attrs.roundMode;
    return convert(ctx, ctx.inputs[0], ctx.outputs[0], "Cast", mode);
}

Status runIdentity(const ir::IdentityAttrs&, const KernelContext& ctx) {
    return convert(ctx, ctx.inputs[0], ctx.outputs[0], "Identity", FloatStoreMode{});
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
