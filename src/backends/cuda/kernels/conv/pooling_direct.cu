// Pooling: max, average and max-average blend over 1 to 3 spatial dims (a lower rank arrives as 3-D with
// leading extents of 1), with stride, dilation and explicit padding. Windowed pooling runs one thread per
// output, consecutive threads on consecutive output columns (their taps are close, so loads coalesce);
// global pooling runs one warp per plane. Values are handled as float (exact for int8/uint8/fp8 inputs,
// which max pooling accepts). As in the reference: padding never contributes to the max and NaN
// propagates through it; the average divides by the taps inside the input (count excludes padding) or
// by the taps inside the padded input [-pre, in + post); a window with no input tap has max -inf (the
// type's lowest value for int8/uint8) and average 0.
#include <type_traits>

#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/conv/pooling_channels_last.h"
#include "backends/cuda/kernels/conv/pooling_launch.h"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 256;

template <typename T>
__device__ __forceinline__ float emptyMax() {
    if constexpr (std::is_same_v<T, int8_t>) return -128.0f;
    if constexpr (std::is_same_v<T, uint8_t>) return 0.0f;
    return -INFINITY;
}

/// The one combination rule of both layouts (poolBlend, pooling_channels_last.h), rounded into T.
template <typename T>
__device__ __forceinline__ T blend(float max, float sum, int64_t divisor, bool anyInside, float maxWeight,
                                   float averageWeight) {
    return fromFloat<T>(poolBlend(max, sum, divisor, anyInside, emptyMax<T>(), maxWeight, averageWeight));
}

template <typename T>
__global__ void poolWindowKernel(const T* __restrict__ x, T* __restrict__ y, PoolGeometry g, float maxWeight,
                                 float averageWeight, bool countExcludesPadding) {
    const int64_t outVol = g.out[0] * g.out[1] * g.out[2], inVol = g.in[0] * g.in[1] * g.in[2];
    const int64_t total = g.planes * outVol;
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t plane = i / outVol;
        int64_t rest = i - plane * outVol;
        const int64_t o2 = rest % g.out[2];
        rest /= g.out[2];
        const int64_t o1 = rest % g.out[1], o0 = rest / g.out[1];
        const int64_t s0 = o0 * g.stride[0] - g.pre[0], s1 = o1 * g.stride[1] - g.pre[1],
                      s2 = o2 * g.stride[2] - g.pre[2];
        const T* p = x + plane * inVol;
        float max = -INFINITY, sum = 0.0f;
        int64_t inside = 0, padded = 0;
        for (int64_t t0 = 0; t0 < g.kernel[0]; ++t0) {
            const int64_t i0 = s0 + t0 * g.dilation[0];
            const bool pad0 = i0 >= -g.pre[0] && i0 < g.in[0] + g.post[0];
            const bool in0 = i0 >= 0 && i0 < g.in[0];
            for (int64_t t1 = 0; t1 < g.kernel[1]; ++t1) {
                const int64_t i1 = s1 + t1 * g.dilation[1];
                const bool pad1 = pad0 && i1 >= -g.pre[1] && i1 < g.in[1] + g.post[1];
                const bool in1 = in0 && i1 >= 0 && i1 < g.in[1];
                for (int64_t t2 = 0; t2 < g.kernel[2]; ++t2) {
                    const int64_t i2 = s2 + t2 * g.dilation[2];
                    padded += (pad1 && i2 >= -g.pre[2] && i2 < g.in[2] + g.post[2]) ? 1 : 0;
                    if (!in1 || i2 < 0 || i2 >= g.in[2]) continue;
                    const float v = toFloat(p[(i0 * g.in[1] + i1) * g.in[2] + i2]);
                    max = nanMax(max, v);
                    sum += v;
                    ++inside;
                }
            }
        }
        y[i] =
            blend<T>(max, sum, countExcludesPadding ? inside : padded, inside > 0, maxWeight, averageWeight);
    }
}

/// The 2-D case with every index below 2^31 (every pooling layer of the CNNs in practice): the same window
/// walk as poolWindowKernel in 32-bit arithmetic, one division pair per output instead of 64-bit chains.
struct PoolGeometry2D {
    int32_t planes, inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, preH, preW, postH, postW;
};

template <typename T>
__global__ void poolWindow2DKernel(const T* __restrict__ x, T* __restrict__ y, PoolGeometry2D g,
                                   float maxWeight, float averageWeight, bool countExcludesPadding) {
    const int32_t outVol = g.outH * g.outW;
    const uint32_t total = static_cast<uint32_t>(g.planes) * static_cast<uint32_t>(outVol);
    for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
        const uint32_t plane = i / static_cast<uint32_t>(outVol);
        const int32_t rest = static_cast<int32_t>(i - plane * static_cast<uint32_t>(outVol));
        const int32_t o1 = rest / g.outW, o2 = rest - o1 * g.outW;
        const int32_t s1 = o1 * g.sH - g.preH, s2 = o2 * g.sW - g.preW;
        const T* p = x + static_cast<size_t>(plane) * static_cast<size_t>(g.inH * g.inW);
        float max = -INFINITY, sum = 0.0f;
        int32_t inside = 0, padded = 0;
        for (int32_t t1 = 0; t1 < g.kH; ++t1) {
            const int32_t i1 = s1 + t1 * g.dH;
            const bool pad1 = i1 >= -g.preH && i1 < g.inH + g.postH;
            const bool in1 = i1 >= 0 && i1 < g.inH;
            for (int32_t t2 = 0; t2 < g.kW; ++t2) {
                const int32_t i2 = s2 + t2 * g.dW;
                padded += (pad1 && i2 >= -g.preW && i2 < g.inW + g.postW) ? 1 : 0;
                if (!in1 || i2 < 0 || i2 >= g.inW) continue;
                const float v = toFloat(p[i1 * g.inW + i2]);
                max = nanMax(max, v);
                sum += v;
                ++inside;
            }
        }
        y[i] =
            blend<T>(max, sum, countExcludesPadding ? inside : padded, inside > 0, maxWeight, averageWeight);
    }
}

/// Whether `g` is 2-D with every index and count in 32 bits (the fast kernel's precondition).
bool fits2D(const PoolGeometry& g, PoolGeometry2D* out) {
    if (g.in[0] != 1 || g.out[0] != 1 || g.kernel[0] != 1) return false;
    const int64_t limit = int64_t(1) << 30;
    const int64_t total = g.planes * g.out[1] * g.out[2];
    if (total >= limit || g.planes * g.in[1] * g.in[2] >= limit) return false;
    for (int d = 1; d < 3; ++d)
        if (g.kernel[d] * g.dilation[d] + g.stride[d] * g.out[d] + g.pre[d] + g.post[d] + g.in[d] >= limit)
            return false;
    *out = {static_cast<int32_t>(g.planes),      static_cast<int32_t>(g.in[1]),
            static_cast<int32_t>(g.in[2]),       static_cast<int32_t>(g.out[1]),
            static_cast<int32_t>(g.out[2]),      static_cast<int32_t>(g.kernel[1]),
            static_cast<int32_t>(g.kernel[2]),   static_cast<int32_t>(g.stride[1]),
            static_cast<int32_t>(g.stride[2]),   static_cast<int32_t>(g.dilation[1]),
            static_cast<int32_t>(g.dilation[2]), static_cast<int32_t>(g.pre[1]),
            static_cast<int32_t>(g.pre[2]),      static_cast<int32_t>(g.post[1]),
            static_cast<int32_t>(g.post[2])};
    return true;
}

struct MaxSum {
    float max;
    float sum;
};
__device__ __forceinline__ MaxSum shuffleXor(MaxSum v, int mask) {
    return {rk::shuffleXor(v.max, mask), rk::shuffleXor(v.sum, mask)};
}
__device__ __forceinline__ MaxSum combineMaxSum(MaxSum a, MaxSum b) {
    return {nanMax(a.max, b.max), a.sum + b.sum};
}

template <typename T>
__global__ void poolGlobalKernel(const T* __restrict__ x, T* __restrict__ y, int64_t planes, int64_t inVol,
                                 float maxWeight, float averageWeight) {
    const int64_t warpsPerBlock = blockDim.x >> 5;
    const int lane = threadIdx.x & 31;
    for (int64_t plane = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); plane < planes;
         plane += static_cast<int64_t>(gridDim.x) * warpsPerBlock) {
        const T* p = x + plane * inVol;
        MaxSum s{-INFINITY, 0.0f};
        for (int64_t i = lane; i < inVol; i += 32) {
            const float v = toFloat(p[i]);
            s = {nanMax(s.max, v), s.sum + v};
        }
        s = warpAllReduce(s, combineMaxSum);
        if (lane == 0) y[plane] = blend<T>(s.max, s.sum, inVol, inVol > 0, maxWeight, averageWeight);
    }
}

template <typename T>
cudaError_t launchTyped(const void* x, void* y, const PoolGeometry& g, float maxWeight, float averageWeight,
                        bool countExcludesPadding, bool global, cudaStream_t stream) {
    const T* xt = static_cast<const T*>(x);
    T* yt = static_cast<T*>(y);
    if (global) {
        const int64_t inVol = g.in[0] * g.in[1] * g.in[2];
        poolGlobalKernel<T><<<gridFor(g.planes, kThreads / 32), kThreads, 0, stream>>>(
            xt, yt, g.planes, inVol, maxWeight, averageWeight);
    } else if (PoolGeometry2D g2; fits2D(g, &g2)) {
        const int64_t total = g.planes * g.out[1] * g.out[2];
        poolWindow2DKernel<T><<<gridFor(total, kThreads), kThreads, 0, stream>>>(
            xt, yt, g2, maxWeight, averageWeight, countExcludesPadding);
    } else {
        const int64_t total = g.planes * g.out[0] * g.out[1] * g.out[2];
        poolWindowKernel<T><<<gridFor(total, kThreads), kThreads, 0, stream>>>(
            xt, yt, g, maxWeight, averageWeight, countExcludesPadding);
    }
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchPooling(ValueType type, const void* x, void* y, const PoolGeometry& g, float maxWeight,
                          float averageWeight, bool countExcludesPadding, bool global, cudaStream_t stream) {
    if (g.planes <= 0 || g.out[0] * g.out[1] * g.out[2] <= 0) return cudaSuccess;
    return withValueType<float, __half, __nv_bfloat16, __nv_fp8_e4m3, int8_t, uint8_t>(type, [&](auto tag) {
        return launchTyped<decltype(tag)>(x, y, g, maxWeight, averageWeight, countExcludesPadding, global,
                                          stream);
    });
}

}  // namespace kiln::cuda::rk
