// Reduce, strided variant: any split of kept and reduced dims (reducing a middle axis, several separated
// axes, ...). A block is 32 x by threads: threadIdx.x picks one of 32 consecutive outputs, so when the
// innermost input dim is kept the 32 loads of a step are contiguous; threadIdx.y splits that output's
// reduction, and the by partial states are combined in a fixed order through shared memory (results do
// not depend on scheduling). by grows when there are few outputs, to keep more loads in flight.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/reduce/reduce_launch.h"
#include "backends/cuda/kernels/reduce/reduce_policies.cuh"

namespace kiln::cuda::rk {
namespace {

/// Element offset of row-major position `pos` over `n` dims; the outermost dim needs no modulo.
__device__ __forceinline__ int64_t offsetOf(int64_t pos, int32_t n, const int64_t* extent,
                                            const int64_t* stride) {
    int64_t off = 0;
    for (int32_t i = n - 1; i > 0; --i) {
        const int64_t q = pos / extent[i];
        off += (pos - q * extent[i]) * stride[i];
        pos = q;
    }
    return n > 0 ? off + pos * stride[0] : off;
}

template <class P>
__global__ void __launch_bounds__(1024)
    reduceStridedKernel(const typename P::T* __restrict__ x, typename P::T* __restrict__ y, ReduceGeometry g,
                        ReduceOperation op) {
    using State = typename P::State;
    __shared__ State partial[32][33];  // [y][x]; the pad keeps the column walk below free of bank conflicts
    // The loop bound depends on blockIdx only, so every thread of the block reaches the barriers.
    for (int64_t first = static_cast<int64_t>(blockIdx.x) * 32; first < g.nbOutputs;
         first += static_cast<int64_t>(gridDim.x) * 32) {
        const int64_t out = first + threadIdx.x;
        State s = P::init(op);
        if (out < g.nbOutputs) {
            const typename P::T* base = x + offsetOf(out, g.nbKept, g.keptExtent, g.keptStride);
            for (int64_t r = threadIdx.y; r < g.count; r += blockDim.y)
                P::push(s, base[offsetOf(r, g.nbReduced, g.reducedExtent, g.reducedStride)], op);
        }
        partial[threadIdx.y][threadIdx.x] = s;
        __syncthreads();
        if (threadIdx.y == 0 && out < g.nbOutputs) {
            for (unsigned j = 1; j < blockDim.y; ++j) s = P::combine(s, partial[j][threadIdx.x], op);
            y[out] = P::finish(s, op, g.count);
        }
        __syncthreads();
    }
}

}  // namespace

cudaError_t launchReduceStrided(ValueType type, ReduceOperation op, const void* x, void* y,
                                const ReduceGeometry& g, cudaStream_t stream) {
    if (g.nbOutputs <= 0) return cudaSuccess;
    // Few outputs: more threads per output. Short reductions: fewer, so no thread idles.
    unsigned by = g.nbOutputs < 4096 ? 32 : 8;
    while (by > 1 && static_cast<int64_t>(by) > g.count) by >>= 1;
    const dim3 block(32, by);
    const unsigned blocks = gridFor(g.nbOutputs, 32);
    const bool known = withReducePolicy(type, op, [&](auto policy) {
        using P = decltype(policy);
        using T = typename P::T;
        reduceStridedKernel<P>
            <<<blocks, block, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), g, op);
    });
    return known ? cudaGetLastError() : cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::rk
