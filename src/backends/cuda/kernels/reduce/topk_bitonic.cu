// TopK, bitonic variant: one block per line for lines of up to kTopKSortCapacity elements. The whole line
// is loaded into shared memory as (order key, index) pairs, padded to a power of two, sorted by a bitonic
// network and the first k written out. Also the entry point (launchTopK), which sends longer lines to
// the radix-select variant.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/reduce/reduce_launch.h"
#include "backends/cuda/kernels/reduce/topk_common.cuh"

namespace kiln::cuda::rk {
namespace {

template <typename T>
__global__ void __launch_bounds__(1024)
    topkBitonicKernel(const T* __restrict__ x, T* __restrict__ values, void* __restrict__ indices,
                      bool int64Indices, bool largest, int64_t k, int64_t outer, int64_t extent,
                      int64_t inner, int n2) {
    extern __shared__ uint64_t sortKeys[];  // n2 keys, then n2 uint32 indices
    uint32_t* sortIdx = reinterpret_cast<uint32_t*>(sortKeys + n2);
    for (int64_t l = blockIdx.x; l < outer * inner; l += gridDim.x) {
        const int64_t o = l / inner, in = l - o * inner;
        const T* line = x + o * extent * inner + in;
        for (int i = threadIdx.x; i < n2; i += blockDim.x) {
            const bool real = i < extent;
            sortKeys[i] = real ? orderKey(line[static_cast<int64_t>(i) * inner], largest) : 0;
            sortIdx[i] = real ? static_cast<uint32_t>(i) : kPadIndex;
        }
        __syncthreads();
        bitonicSort(sortKeys, sortIdx, n2);
        writeTopK(sortIdx, k, line, inner, values, indices, int64Indices, o * k * inner + in);
        __syncthreads();  // the next line reuses the buffer
    }
}

template <typename T>
cudaError_t launchBitonic(const TopKLaunch& p) {
    const int n2 = nextPow2(p.extent);
    const int threads = n2 >= 2048 ? 1024 : (n2 >= 64 ? n2 / 2 : 32);
    const size_t shared = static_cast<size_t>(n2) * (sizeof(uint64_t) + sizeof(uint32_t));
    topkBitonicKernel<T><<<gridFor(p.outer * p.inner, 1), threads, shared, p.stream>>>(
        static_cast<const T*>(p.x), static_cast<T*>(p.values), p.indices, p.int64Indices, p.largest, p.k,
        p.outer, p.extent, p.inner, n2);
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchTopK(ValueType type, bool largest, int64_t k, const void* x, void* values, void* indices,
                       bool int64Indices, int64_t outer, int64_t extent, int64_t inner, cudaStream_t stream) {
    if (outer <= 0 || inner <= 0 || k <= 0) return cudaSuccess;
    if (k > extent || k > kTopKMaxK || extent > 0x7fffffff) return cudaErrorInvalidValue;
    const TopKLaunch p{largest, k, x, values, indices, int64Indices, outer, extent, inner, stream};
    if (extent > kTopKSortCapacity) return launchTopKRadix(type, p);
    return withValueType<float, __half, __nv_bfloat16, int32_t, int64_t>(
        type, [&](auto tag) { return launchBitonic<decltype(tag)>(p); });
}

}  // namespace kiln::cuda::rk
