// CUDA kernel for Gather in its three modes (kDEFAULT, kELEMENT, kND): each output element finds its data
// offset (movement/gather_offsets.cuh: index values read on the device, a negative one wrapped once) and
// copies one element as a word of its size. Index values are data on the device, so they cannot be
// checked before the launch as the reference does: an index out of range yields a zero element (all bytes
// 0) instead of a read outside the tensor; the reference's error describes what a correct model never feeds.
// kDEFAULT without batch dims (embedding lookups, the q/k/v split by a scalar index) copies whole rows of
// the dims after the axis instead, one index read per row (movement/copy_runs.h).
#include <algorithm>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/movement/copy_runs.h"
#include "backends/cuda/kernels/movement/gather_offsets.cuh"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Gather kernel";

template <class W>
__global__ void __launch_bounds__(kBlockSize)
    gatherKernel(const W* __restrict__ data, W* __restrict__ y, int64_t n, GatherParams p) {
    for (int64_t i = gridStart(); i < n; i += gridStep()) {
        const int64_t from = gatherOffset(p, i);
        y[i] = from >= 0 ? data[from] : W{};
    }
}

}  // namespace

Status runGather(const ir::GatherAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& out = ctx.outputs[0];
    KILN_ASSIGN_OR_RETURN(const GatherParams p, makeGatherParams(attrs, ctx.inputs[0], ctx.inputs[1], out));
    const TensorRef& data = ctx.inputs[0];
    const int64_t n = out.numel();
    if (n == 0) return Status::ok();
    if (p.mode == GatherMode::kDEFAULT && p.b == 0)
        return launchRunCopy(gatherRuns(data.shape, p.axis, ctx.inputs[1].numel(), dataTypeSize(out.type)),
                             data.data, out.data, std::max(data.bytes(), out.bytes()),
                             RunIndex{p.indices, p.idx64, data.shape.d[p.axis]}, ctx.stream, kName);
    return withElementWord(dataTypeSize(out.type), [&](auto tag) {
        using W = decltype(tag);
        gatherKernel<W><<<gridFor(n), kBlockSize, 0, ctx.stream>>>(static_cast<const W*>(data.data),
                                                                   static_cast<W*>(out.data), n, p);
        return launchStatus(kName);
    });
}

}  // namespace kiln::cuda
