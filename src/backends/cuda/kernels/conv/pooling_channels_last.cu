// Channels-last ([N, H, W, C]) Pooling: the windowed kernel (one thread per output pixel and channel
// vector) and the global-reduction kernel (a block per image and group of channel vectors), each the grid
// loop around the per-thread work of pooling_channels_last.h, instantiated per storage type, vector width
// (16 bytes or one channel) and index width (32-bit when every index fits, else 64-bit).
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/conv/pooling_channels_last.h"

namespace kiln::cuda::rk {
namespace {

template <class S, int V, class I>
__global__ void __launch_bounds__(kPoolThreads)
    poolNhwcWindowKernel(const S* __restrict__ x, S* __restrict__ y, PoolNhwcGeometry<I> g, I total,
                         PoolWeights w) {
    const I step = static_cast<I>(gridDim.x) * static_cast<I>(blockDim.x);
    for (I i = static_cast<I>(blockIdx.x) * static_cast<I>(blockDim.x) + static_cast<I>(threadIdx.x);
         i < total; i += step)
        poolNhwcWindow<S, V, I>(x, y, g, i, w);
}

/// Block of lanes * rows threads (kPoolThreads): thread t is lane t % lanes, row t / lanes. Block b covers
/// image b / chunks, channel vectors (b % chunks) * lanes onward.
template <class S, int V, class I>
__global__ void __launch_bounds__(kPoolThreads)
    poolNhwcGlobalKernel(const S* __restrict__ x, S* __restrict__ y, PoolNhwcGeometry<I> g, I lanes, I rows,
                         PoolWeights w) {
    __shared__ float partMax[kPoolThreads * V];
    __shared__ float partSum[kPoolThreads * V];
    const I vectors = g.c / V, chunks = (vectors + lanes - 1) / lanes;
    const I lane = static_cast<I>(threadIdx.x) % lanes, row = static_cast<I>(threadIdx.x) / lanes;
    float* myMax = partMax + static_cast<int32_t>(threadIdx.x) * V;
    float* mySum = partSum + static_cast<int32_t>(threadIdx.x) * V;
    // The loop bound is the same for every thread of the block, so every thread reaches both barriers. Lanes
    // past the last channel vector leave their partials unwritten: no valid lane reads them.
    for (I b = static_cast<I>(blockIdx.x); b < g.n * chunks; b += static_cast<I>(gridDim.x)) {
        const I n = b / chunks, cv = (b - n * chunks) * lanes + lane;
        if (cv < vectors) {
            float mx[V], sum[V];  // registers while the loop runs; shared memory only for the exchange
            poolNhwcGlobalPartial<S, V, I>(x, g, n, cv, row, rows, mx, sum);
#pragma unroll
            for (int j = 0; j < V; ++j) {
                myMax[j] = mx[j];
                mySum[j] = sum[j];
            }
        }
        __syncthreads();
        // Row 0's partials sit at lane * V; row r's at (r * lanes + lane) * V.
        if (row == 0 && cv < vectors)
            poolNhwcGlobalFinish<S, V, I>(myMax, mySum, lanes * V, rows, g, n, cv, y, w);
        __syncthreads();
    }
}

template <class S, int V, class I>
cudaError_t launchPlanned(const void* x, void* y, const PoolGeometry& g, int64_t channels,
                          const PoolNhwcPlan& p, const PoolWeights& w, cudaStream_t stream) {
    const S* xs = static_cast<const S*>(x);
    S* ys = static_cast<S*>(y);
    const PoolNhwcGeometry<I> gi = poolNhwcGeometry<I>(g, channels);
    if (p.global)
        poolNhwcGlobalKernel<S, V, I><<<gridFor(p.work, 1), kPoolThreads, 0, stream>>>(
            xs, ys, gi, static_cast<I>(p.lanes), static_cast<I>(p.rows), w);
    else
        poolNhwcWindowKernel<S, V, I><<<gridFor(p.work, kPoolThreads), kPoolThreads, 0, stream>>>(
            xs, ys, gi, static_cast<I>(p.work), w);
    return cudaGetLastError();
}

template <class S>
cudaError_t launchTyped(const void* x, void* y, const PoolGeometry& g, int64_t channels, const PoolWeights& w,
                        bool global, cudaStream_t stream) {
    constexpr int kVector = static_cast<int>(kPoolVectorBytes / sizeof(S));
    const PoolNhwcPlan p = planPoolingChannelsLast(g, channels, sizeof(S), x, y, global);
    if (p.vector == kVector)
        return p.index32 ? launchPlanned<S, kVector, int32_t>(x, y, g, channels, p, w, stream)
                         : launchPlanned<S, kVector, int64_t>(x, y, g, channels, p, w, stream);
    return p.index32 ? launchPlanned<S, 1, int32_t>(x, y, g, channels, p, w, stream)
                     : launchPlanned<S, 1, int64_t>(x, y, g, channels, p, w, stream);
}

}  // namespace

cudaError_t launchPoolingChannelsLast(ValueType type, const void* x, void* y, const PoolGeometry& g,
                                      int64_t channels, float maxWeight, float averageWeight,
                                      bool countExcludesPadding, bool global, cudaStream_t stream) {
    if (g.in[0] != 1 || g.out[0] != 1 || g.kernel[0] != 1) return cudaErrorInvalidValue;
    if (g.planes <= 0 || g.out[1] * g.out[2] <= 0) return cudaSuccess;  // nothing to write (N or C is 0)
    if (channels <= 0 || g.planes % channels != 0) return cudaErrorInvalidValue;
    PoolWeights w;
    w.maxWeight = maxWeight;
    w.averageWeight = averageWeight;
    w.countExcludesPadding = countExcludesPadding;
    switch (type) {
        case ValueType::kF32:
            return launchTyped<float>(x, y, g, channels, w, global, stream);
        case ValueType::kF16:
            return launchTyped<Half>(x, y, g, channels, w, global, stream);
        case ValueType::kBF16:
            return launchTyped<Bf16>(x, y, g, channels, w, global, stream);
        case ValueType::kFP8:
            return launchTyped<Fp8>(x, y, g, channels, w, global, stream);
        case ValueType::kI8:
            w.emptyMax = -128.0f;
            return launchTyped<int8_t>(x, y, g, channels, w, global, stream);
        case ValueType::kU8:
            w.emptyMax = 0.0f;
            return launchTyped<uint8_t>(x, y, g, channels, w, global, stream);
        case ValueType::kBOOL:
        case ValueType::kI32:
        case ValueType::kI64:
            break;
    }
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::rk
