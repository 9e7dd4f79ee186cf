// CUDA kernel for Select: y = condition ? then : else, the three inputs broadcast numpy-style to the
// output. Elements are copied as words of their size, never interpreted, so one instantiation per element
// size serves every DataType bit-exactly.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Select kernel";

template <class W>
__global__ void __launch_bounds__(kBlockSize)
    selectKernel(const uint8_t* __restrict__ cond, const W* __restrict__ a, const W* __restrict__ b,
                 W* __restrict__ y, int64_t n, Indexer<3> ix) {
    for (int64_t i = gridStart(); i < n; i += gridStep()) {
        int64_t off[3];
        ix.offsets(i, off);
        y[i] = cond[off[0]] != 0 ? a[off[1]] : b[off[2]];
    }
}

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
        selectKernel<W><<<gridFor(n), kBlockSize, 0, ctx.stream>>>(
            static_cast<const uint8_t*>(cond.data), static_cast<const W*>(thenT.data),
            static_cast<const W*>(elseT.data), static_cast<W*>(out.data), n, ix);
        return launchStatus(kName);
    });
}

}  // namespace kiln::cuda
