// CUDA kernel for Select: y = condition ? then : else, the three inputs broadcast numpy-style to the
// output. Elements are copied as words of their size, never interpreted, so one instantiation per element
// size serves every DataType bit-exactly. The shared pointwise launcher (pointwise/map.cuh) vectorizes
// same-shape, scalar, row and column operands.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/pointwise/map.cuh"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Select kernel";

template <class W>
struct Choose {
    __device__ __forceinline__ W operator()(Bool c, W a, W b) const { return c.bits != 0 ? a : b; }
};

}  // namespace

Status runSelect(const ir::SelectAttrs&, const KernelContext& ctx) {
    const TensorRef& cond = ctx.inputs[0];
    const TensorRef& thenT = ctx.inputs[1];
    const TensorRef& elseT = ctx.inputs[2];
    const TensorRef& out = ctx.outputs[0];
    if (cond.type != DataType::kBOOL || thenT.type != out.type || elseT.type != out.type)
        return internalError(std::string(kName) + ": unsupported types condition " + dataTypeName(cond.type) +
                             ", then " + dataTypeName(thenT.type) + ", else " + dataTypeName(elseT.type) +
                             ", output " + dataTypeName(out.type));
    const int64_t n = out.numel();
    if (n == 0) return Status::ok();
    KILN_ASSIGN_OR_RETURN(Indexer<3> ix,
                          makeBroadcastIndexer<3>(out.shape, {cond.shape, thenT.shape, elseT.shape}, kName));
    return withElementWord(dataTypeSize(out.type), [&](auto tag) {
        using W = decltype(tag);
        return launchPointwise(ix, n, ctx.stream, Choose<W>{}, kName, static_cast<W*>(out.data),
                               static_cast<const Bool*>(cond.data), static_cast<const W*>(thenT.data),
                               static_cast<const W*>(elseT.data));
    });
}

}  // namespace kiln::cuda
