// SoftMax and log-softmax over the middle extent of a [outer, extent, inner] view, in float whatever the
// storage type. Two passes per line: an online pass that keeps the running max m and the sum s of
// exp(x - m) (rescaled when m grows, so exp never overflows), then a pass writing exp(x - m) / s or
// x - m - log(s). Lines whose max is not finite (a NaN, +inf, or nothing but -inf) are NaN throughout,
// as in the reference (whose exp(x - m) is NaN there). Three layouts: inner == 1 and short lines, one
// warp per line; inner == 1 and long lines, one block per line; inner > 1, one thread per (outer, inner)
// column, consecutive threads on consecutive inner positions so loads coalesce. Rows that fit in
// registers (inner == 1, extent <= kRegisterRowLimit) run softmax_rows.cu instead; the row layouts here
// serve the longer ones.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/reduce/reduce_launch.h"

namespace kiln::cuda::rk {
namespace {

constexpr int64_t kWarpLineLimit = 1024;
constexpr int kBlockThreads = 256;

using Lse = LseState<float>;

__device__ __forceinline__ Lse combineLse(Lse a, Lse b) {
    return lseCombine(a, b);
}

template <typename T>
__device__ __forceinline__ void writeLine(const T* __restrict__ x, T* __restrict__ y, int64_t begin,
                                          int64_t end, int64_t step, int64_t stride, Lse st, bool log) {
    const bool finite = isfinite(st.m);
    const float logSum = logf(st.s), inv = 1.0f / st.s;
    for (int64_t e = begin; e < end; e += step) {
        const float shifted = toFloat(x[e * stride]) - st.m;
        const float v = !finite ? __int_as_float(0x7fc00000) : (log ? shifted - logSum : expf(shifted) * inv);
        y[e * stride] = fromFloat<T>(v);
    }
}

template <typename T>
__global__ void __launch_bounds__(1024)
    softmaxRowsKernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t extent, bool log,
                      bool warpPerRow) {
    __shared__ Lse scratch[32];
    if (warpPerRow) {
        const int64_t warpsPerBlock = blockDim.x >> 5;
        const int lane = threadIdx.x & 31;
        for (int64_t row = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); row < rows;
             row += static_cast<int64_t>(gridDim.x) * warpsPerBlock) {
            const T* p = x + row * extent;
            Lse st = lseEmpty<float>();
            for (int64_t e = lane; e < extent; e += 32) lsePush(st, toFloat(p[e]));
            st = warpAllReduce(st, combineLse);
            writeLine(p, y + row * extent, lane, extent, 32, 1, st, log);
        }
        return;
    }
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* p = x + row * extent;
        Lse st = lseEmpty<float>();
        for (int64_t e = threadIdx.x; e < extent; e += blockDim.x) lsePush(st, toFloat(p[e]));
        st = blockAllReduce(st, combineLse, scratch);
        writeLine(p, y + row * extent, threadIdx.x, extent, blockDim.x, 1, st, log);
    }
}

template <typename T>
__global__ void softmaxColumnsKernel(const T* __restrict__ x, T* __restrict__ y, int64_t outer,
                                     int64_t extent, int64_t inner, bool log) {
    const int64_t lines = outer * inner;
    for (int64_t l = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; l < lines;
         l += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t o = l / inner;
        const int64_t base = o * extent * inner + (l - o * inner);
        Lse st = lseEmpty<float>();
        for (int64_t e = 0; e < extent; ++e) lsePush(st, toFloat(x[base + e * inner]));
        writeLine(x + base, y + base, 0, extent, 1, inner, st, log);
    }
}

template <typename T>
void launchTyped(const void* x, void* y, int64_t outer, int64_t extent, int64_t inner, bool log,
                 cudaStream_t stream) {
    const T* xt = static_cast<const T*>(x);
    T* yt = static_cast<T*>(y);
    if (inner > 1) {
        softmaxColumnsKernel<T><<<gridFor(outer * inner, kBlockThreads), kBlockThreads, 0, stream>>>(
            xt, yt, outer, extent, inner, log);
        return;
    }
    const bool warpPerRow = extent <= kWarpLineLimit;
    const unsigned blocks = warpPerRow ? gridFor(outer, kBlockThreads / 32) : gridFor(outer, 1);
    const int threads = warpPerRow ? kBlockThreads : (extent >= (int64_t{1} << 15) ? 1024 : 512);
    softmaxRowsKernel<T><<<blocks, threads, 0, stream>>>(xt, yt, outer, extent, log, warpPerRow);
}

}  // namespace

cudaError_t launchSoftMax(ValueType type, bool log, const void* x, void* y, int64_t outer, int64_t extent,
                          int64_t inner, cudaStream_t stream) {
    if (outer <= 0 || extent <= 0 || inner <= 0) return cudaSuccess;
    const cudaError_t typed = withFloatValueType(type, [&](auto tag) {
        launchTyped<decltype(tag)>(x, y, outer, extent, inner, log, stream);
        return cudaSuccess;
    });
    if (typed != cudaSuccess) return typed;
    return cudaGetLastError();
}

}  // namespace kiln::cuda::rk
