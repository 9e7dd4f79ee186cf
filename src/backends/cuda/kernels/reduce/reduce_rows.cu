// Reduce, row variant: every reduced dim follows every kept one, so output r reduces the contiguous row
// x[r * count, (r + 1) * count). Rows of up to kWarpRowLimit elements get one warp each (eight rows per
// block, coalesced 32-wide reads); longer rows get a whole block with a block-wide reduction. Semantics
// (types, NaN, identities, wrapping) live in reduce_policies.cuh.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/reduce/reduce_launch.h"
#include "backends/cuda/kernels/reduce/reduce_policies.cuh"

namespace kiln::cuda::rk {
namespace {

/// Rows up to this length are reduced by one warp; beyond it a block's worth of loads in flight pays off.
constexpr int64_t kWarpRowLimit = 1024;
constexpr int kWarpRowBlock = 256;

template <class P>
__global__ void __launch_bounds__(1024)
    reduceRowsKernel(const typename P::T* __restrict__ x, typename P::T* __restrict__ y, int64_t rows,
                     int64_t count, ReduceOperation op, bool warpPerRow) {
    using State = typename P::State;
    __shared__ State scratch[32];
    const auto combine = [op](State a, State b) { return P::combine(a, b, op); };
    if (warpPerRow) {
        const int64_t warpsPerBlock = blockDim.x >> 5;
        const int lane = threadIdx.x & 31;
        for (int64_t row = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); row < rows;
             row += static_cast<int64_t>(gridDim.x) * warpsPerBlock) {
            const typename P::T* p = x + row * count;
            State s = P::init(op);
            for (int64_t i = lane; i < count; i += 32) P::push(s, p[i], op);
            s = warpAllReduce(s, combine);
            if (lane == 0) y[row] = P::finish(s, op, count);
        }
        return;
    }
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {  // uniform per block: barriers are safe
        const typename P::T* p = x + row * count;
        State s = P::init(op);
        for (int64_t i = threadIdx.x; i < count; i += blockDim.x) P::push(s, p[i], op);
        s = blockAllReduce(s, combine, scratch);
        if (threadIdx.x == 0) y[row] = P::finish(s, op, count);
    }
}

}  // namespace

cudaError_t launchReduceRows(ValueType type, ReduceOperation op, const void* x, void* y, int64_t rows,
                             int64_t count, cudaStream_t stream) {
    if (rows <= 0) return cudaSuccess;
    const bool warpPerRow = count <= kWarpRowLimit;
    const int threads = warpPerRow ? kWarpRowBlock : (count >= (int64_t{1} << 16) ? 1024 : 512);
    const unsigned blocks = warpPerRow ? gridFor(rows, kWarpRowBlock / 32) : gridFor(rows, 1);
    const bool known = withReducePolicy(type, op, [&](auto policy) {
        using P = decltype(policy);
        using T = typename P::T;
        reduceRowsKernel<P><<<blocks, threads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y),
                                                            rows, count, op, warpPerRow);
    });
    return known ? cudaGetLastError() : cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::rk
