// The channels-last ([N, H, W, C]) Pooling kernels (pooling_channels_last.cu) as host code sees them: the
// plan (channels per access, 32- or 64-bit indices, the global reduction's block shape) and each thread's
// work, written once as __host__ __device__ code (KILN_HD) so that the kernels run it and
// tests/unit/cuda_pooling_plan_test.cc replays it on the CPU against the reference kernel.
// Windowed pooling: a thread computes one output pixel (n, oy, ox) for a vector of channels; consecutive
// threads take consecutive channel vectors, so each tap is one contiguous read across a warp. The vector is
// 16 bytes (8 half/bfloat16, 4 float, 16 one-byte values) when C is a multiple of it and both pointers are
// 16-byte aligned, else one channel. Global pooling: a block of lanes x rows threads reduces one image's
// H * W positions for `lanes` channel vectors, each row of threads taking every rows-th position, and
// combines the rows' partials in shared memory. Accumulation is float32 and the numbers are those of
// pooling_direct.cu and the reference: padding never reaches the max, NaN propagates through it, the average
// divides by the taps inside the input (or inside the padded input), a window with no input tap has max
// `emptyMax` and average 0. C++17, like every header a .cu includes.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/portable.cuh"
#include "backends/cuda/kernels/conv/pooling_launch.h"

#if defined(__CUDA_ARCH__)
#define KILN_POOL_UNROLL _Pragma("unroll")
#else
#define KILN_POOL_UNROLL
#endif

namespace kiln::cuda::rk {

constexpr int64_t kPoolVectorBytes = 16;
/// Every index and count of the 32-bit kernels stays below this, grid-stride steps included.
constexpr int64_t kPoolIndexLimit = int64_t{1} << 30;
constexpr int32_t kPoolThreads = 256;  ///< threads per block, both kernels
constexpr int32_t kPoolMaxLanes = 32;  ///< channel vectors one global block covers

/// The window's combination (y = maxWeight * max + averageWeight * average, the max alone when
/// averageWeight is 0, the average alone when maxWeight is 0) and the max of a window without input taps.
struct PoolWeights {
    float maxWeight{1.0f};
    float averageWeight{0.0f};
    float emptyMax{-INFINITY};  ///< -inf, or the type's lowest value for int8/uint8
    bool countExcludesPadding{true};
};

/// A 2-D channels-last pooling in the kernel's index type I (int32_t or int64_t).
template <class I>
struct PoolNhwcGeometry {
    I n, c, inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, preH, preW, postH, postW;
};

struct PoolNhwcPlan {
    int32_t vector{1};  ///< channels per thread and access: kPoolVectorBytes / element size, or 1
    bool index32{false};
    bool global{false};  ///< the global-reduction kernel (a window over the whole plane, one output)
    int32_t lanes{0};    ///< global: threads across channel vectors (a power of two up to kPoolMaxLanes)
    int32_t rows{0};     ///< global: threads across positions (kPoolThreads / lanes)
    int64_t work{0};     ///< windowed: threads (outputs / vector); global: blocks (N * ceil(vectors / lanes))
};

/// Whether a 2-D geometry (g.in[0] == g.out[0] == g.kernel[0] == 1) keeps every index the kernels form,
/// padding and grid-stride overhang included, below kPoolIndexLimit.
inline bool poolFitsIndex32(const PoolGeometry& g) {
    const int64_t planeIn = g.in[1] * g.in[2], planeOut = g.out[1] * g.out[2];
    if (g.planes >= kPoolIndexLimit || planeIn >= kPoolIndexLimit || planeOut >= kPoolIndexLimit)
        return false;
    if (g.planes * planeIn >= kPoolIndexLimit || g.planes * planeOut >= kPoolIndexLimit) return false;
    for (int d = 1; d < 3; ++d)
        if (g.kernel[d] * g.dilation[d] + g.stride[d] * g.out[d] + g.pre[d] + g.post[d] + g.in[d] >=
            kPoolIndexLimit)
            return false;
    return true;
}

/// Plans a 2-D channels-last pooling: g is the channels-first geometry (g.planes = N * C) with 1-D
/// leading extents, `channels` = C, x and y the buffers' addresses (only their alignment is read).
inline PoolNhwcPlan planPoolingChannelsLast(const PoolGeometry& g, int64_t channels, int64_t elementBytes,
                                            const void* x, const void* y, bool global) {
    PoolNhwcPlan p;
    const auto aligned = [](const void* ptr) {
        return reinterpret_cast<uintptr_t>(ptr) % kPoolVectorBytes == 0;
    };
    if (elementBytes > 0 && kPoolVectorBytes % elementBytes == 0 && channels > 0 &&
        channels % (kPoolVectorBytes / elementBytes) == 0 && aligned(x) && aligned(y))
        p.vector = static_cast<int32_t>(kPoolVectorBytes / elementBytes);
    p.index32 = poolFitsIndex32(g);
    p.global = global;
    const int64_t vectors = channels > 0 ? channels / p.vector : 0;
    const int64_t images = channels > 0 ? g.planes / channels : 0;
    if (global) {
        p.lanes = 1;
        while (p.lanes < kPoolMaxLanes && p.lanes < vectors) p.lanes *= 2;
        p.rows = kPoolThreads / p.lanes;
        p.work = images * ((vectors + p.lanes - 1) / p.lanes);
    } else {
        p.work = images * g.out[1] * g.out[2] * vectors;
    }
    return p;
}

template <class I>
PoolNhwcGeometry<I> poolNhwcGeometry(const PoolGeometry& g, int64_t channels) {
    const auto c = [](int64_t v) { return static_cast<I>(v); };
    return {c(g.planes / channels),
            c(channels),
            c(g.in[1]),
            c(g.in[2]),
            c(g.out[1]),
            c(g.out[2]),
            c(g.kernel[1]),
            c(g.kernel[2]),
            c(g.stride[1]),
            c(g.stride[2]),
            c(g.dilation[1]),
            c(g.dilation[2]),
            c(g.pre[1]),
            c(g.pre[2]),
            c(g.post[1]),
            c(g.post[2])};
}

// ---- per-thread work ---------------------------------------------------------------------------------

/// V consecutive channels of one pixel, aligned so that V * sizeof(S) = 16 bytes is one vector access.
template <class S, int V>
struct alignas(sizeof(S) * V) PoolPack {
    S v[V];
};

/// Loads and stores of a pack: one vector access on the device; memcpy on the host, where the test's byte
/// buffers must not be read through another type.
template <class S, int V>
KILN_HD inline PoolPack<S, V> loadPack(const S* p) {
#if defined(__CUDA_ARCH__)
    return *reinterpret_cast<const PoolPack<S, V>*>(p);
#else
    PoolPack<S, V> v;
    std::memcpy(&v, p, sizeof v);
    return v;
#endif
}
template <class S, int V>
KILN_HD inline void storePack(S* p, const PoolPack<S, V>& v) {
#if defined(__CUDA_ARCH__)
    *reinterpret_cast<PoolPack<S, V>*>(p) = v;
#else
    std::memcpy(p, &v, sizeof v);
#endif
}

template <class S>
KILN_HD inline float poolLoad(S v) {
    return static_cast<float>(Elem<S>::load(v));
}
/// Rounds a result into S once; an int8/uint8 result is an input value or emptyMax, so exact.
template <class S>
KILN_HD inline S poolStore(float v) {
    if constexpr (sizeof(typename Elem<S>::Compute) == sizeof(float))
        return Elem<S>::store(v);
    else
        return static_cast<S>(v);
}

/// max(a, b), NaN when either is NaN (the reference lets a NaN tap win).
KILN_HD inline float poolMax(float a, float b) {
    return (a != a || b != b) ? bitsToFloat(0x7fc00000u) : (b > a ? b : a);
}

/// The pooled value from the window's max and sum: `divisor` taps averaged, `anyInside` whether any tap
/// was inside the input.
KILN_HD inline float poolBlend(float max, float sum, int64_t divisor, bool anyInside, float emptyMax,
                               float maxWeight, float averageWeight) {
    const float average = divisor > 0 ? sum / static_cast<float>(divisor) : 0.0f;
    const float m = anyInside ? max : emptyMax;
    if (averageWeight == 0.0f) return m;  // keeps -inf and integers exact: no 0 * inf, no blend rounding
    if (maxWeight == 0.0f) return average;
    return maxWeight * m + averageWeight * average;
}

/// Windowed pooling, thread i: output pixel i / (C / V), channels V * (i % (C / V)) onward.
template <class S, int V, class I>
KILN_HD inline void poolNhwcWindow(const S* __restrict__ x, S* __restrict__ y, const PoolNhwcGeometry<I>& g,
                                   I i, const PoolWeights& w) {
    const I vectors = g.c / V;
    I rest = i / vectors;
    const I cv = i - rest * vectors;
    const I ox = rest % g.outW;
    rest /= g.outW;
    const I oy = rest % g.outH, n = rest / g.outH;
    const I y0 = oy * g.sH - g.preH, x0 = ox * g.sW - g.preW;
    const S* image = x + n * g.inH * g.inW * g.c + cv * V;
    float mx[V], sum[V];
    KILN_POOL_UNROLL
    for (int j = 0; j < V; ++j) {
        mx[j] = -INFINITY;
        sum[j] = 0.0f;
    }
    I inside = 0, padded = 0;
    for (I ky = 0; ky < g.kH; ++ky) {
        const I iy = y0 + ky * g.dH;
        const bool padY = iy >= -g.preH && iy < g.inH + g.postH;
        const bool inY = iy >= 0 && iy < g.inH;
        for (I kx = 0; kx < g.kW; ++kx) {
            const I ix = x0 + kx * g.dW;
            padded += (padY && ix >= -g.preW && ix < g.inW + g.postW) ? 1 : 0;
            if (!inY || ix < 0 || ix >= g.inW) continue;
            const PoolPack<S, V> p = loadPack<S, V>(image + (iy * g.inW + ix) * g.c);
            KILN_POOL_UNROLL
            for (int j = 0; j < V; ++j) {
                const float v = poolLoad(p.v[j]);
                mx[j] = poolMax(mx[j], v);
                sum[j] += v;
            }
            ++inside;
        }
    }
    const int64_t divisor = w.countExcludesPadding ? inside : padded;
    PoolPack<S, V> out;
    KILN_POOL_UNROLL
    for (int j = 0; j < V; ++j)
        out.v[j] = poolStore<S>(
            poolBlend(mx[j], sum[j], divisor, inside > 0, w.emptyMax, w.maxWeight, w.averageWeight));
    storePack<S, V>(y + i * V, out);  // (pixel * (C / V) + cv) * V = pixel * C + cv * V
}

/// Global pooling, thread (row, cv) of image n: max and sum over positions row, row + rows, ... of channel
/// vector cv, into mx and sum.
template <class S, int V, class I>
KILN_HD inline void poolNhwcGlobalPartial(const S* __restrict__ x, const PoolNhwcGeometry<I>& g, I n, I cv,
                                          I row, I rows, float* mx, float* sum) {
    KILN_POOL_UNROLL
    for (int j = 0; j < V; ++j) {
        mx[j] = -INFINITY;
        sum[j] = 0.0f;
    }
    const I hw = g.inH * g.inW;
    const S* image = x + n * hw * g.c + cv * V;
    for (I p = row; p < hw; p += rows) {
        const PoolPack<S, V> v = loadPack<S, V>(image + p * g.c);
        KILN_POOL_UNROLL
        for (int j = 0; j < V; ++j) {
            const float f = poolLoad(v.v[j]);
            mx[j] = poolMax(mx[j], f);
            sum[j] += f;
        }
    }
}

/// Global pooling, the end: combines the `rows` partials (row r's V values at r * stride) in row order and
/// writes channel vector cv of image n.
template <class S, int V, class I>
KILN_HD inline void poolNhwcGlobalFinish(const float* mx, const float* sum, I stride, I rows,
                                         const PoolNhwcGeometry<I>& g, I n, I cv, S* __restrict__ y,
                                         const PoolWeights& w) {
    const I hw = g.inH * g.inW;
    PoolPack<S, V> out;
    KILN_POOL_UNROLL
    for (int j = 0; j < V; ++j) {
        float m = mx[j], s = sum[j];
        for (I r = 1; r < rows; ++r) {
            m = poolMax(m, mx[r * stride + j]);
            s += sum[r * stride + j];
        }
        out.v[j] = poolStore<S>(poolBlend(m, s, hw, hw > 0, w.emptyMax, w.maxWeight, w.averageWeight));
    }
    storePack<S, V>(y + n * g.c + cv * V, out);
}

}  // namespace kiln::cuda::rk
