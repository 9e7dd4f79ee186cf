// Resize fast path: only the last two axes resize (FCN's and U-Net's upsampling, any coordinate
// transformation, nearest rounding, linear or unstretched cubic filter). The general kernels spend most of
// their time per element on 64-bit N-d index arithmetic, double-precision coordinates and a local-memory
// tap table; here a thread computes the taps of its `vector` output columns once and keeps them in
// registers, computes one row's taps per row it visits (double precision, so nearest picks the reference's
// index bit for bit), blends in float32 and rounds once into the output type (resize_trailing.h holds
// that arithmetic), and writes its columns with one 16-byte (float8: 8-byte) store when the plan found the
// rows aligned, element by element otherwise. The launch geometry comes from planTrailingResize.
#include <cstring>

#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/resize/resize_trailing.h"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 256;  ///< blockX * blockY never exceeds it (planTrailingResize)

template <int Bytes>
struct StoreWord;
template <>
struct StoreWord<16> {
    using type = uint4;
};
template <>
struct StoreWord<8> {
    using type = uint2;
};

/// Writes the first `valid` of v to dst: one vector store when the plan allows it (then valid == V).
template <typename E, int V>
__device__ __forceinline__ void storeRun(E* dst, const E (&v)[V], bool vectorStore, int32_t valid) {
    if (vectorStore) {
        using Word = typename StoreWord<sizeof(E) * V>::type;
        Word word;
        memcpy(&word, v, sizeof(Word));
        *reinterpret_cast<Word*>(dst) = word;
        return;
    }
#pragma unroll
    for (int i = 0; i < V; ++i)
        if (i < valid) dst[i] = v[i];
}

/// The walk's step of gridDim.y * blockDim.y rows as whole planes plus rows.
struct RowStep {
    int64_t planes;
    int32_t rows;
};

__device__ __forceinline__ RowStep rowStep(const TrailingResize& g) {
    const int32_t step = static_cast<int32_t>(gridDim.y * blockDim.y);
    return {step / g.outH, step % g.outH};
}

template <typename W, int V>
__global__ void __launch_bounds__(kThreads)
    trailingNearestKernel(const W* __restrict__ x, W* __restrict__ y, ResizeParams p, TrailingResize g) {
    const int32_t c0 = static_cast<int32_t>(blockIdx.x * blockDim.x + threadIdx.x) * V;
    if (c0 >= g.outW) return;  // no block-wide synchronization follows
    int32_t col[V];
#pragma unroll
    for (int v = 0; v < V; ++v) col[v] = static_cast<int32_t>(nearestSource(p, g.w, min(c0 + v, g.outW - 1)));
    W fill;
    memcpy(&fill, &p.extrapolationBits, sizeof(W));  // the low bytes: little-endian
    const int32_t valid = min(V, g.outW - c0);
    const int64_t inPlane = static_cast<int64_t>(g.inH) * g.inW;
    const RowStep step = rowStep(g);
    for (RowWalk r = firstRow(g, blockIdx.y * blockDim.y + threadIdx.y); r.plane < g.planes;
         nextRow(r, step.planes, step.rows, g.outH)) {
        const int32_t ih = static_cast<int32_t>(nearestSource(p, g.h, r.h));
        const W* src = x + r.plane * inPlane + (ih < 0 ? 0 : ih * g.inW);
        W v[V];
#pragma unroll
        for (int i = 0; i < V; ++i) v[i] = ih < 0 || col[i] < 0 ? fill : src[col[i]];
        storeRun(y + (r.plane * g.outH + r.h) * g.outW + c0, v, g.vectorStores, valid);
    }
}

template <typename T, int K, int V>
__global__ void __launch_bounds__(kThreads)
    trailingFilterKernel(const T* __restrict__ x, T* __restrict__ y, ResizeParams p, TrailingResize g) {
    const int32_t c0 = static_cast<int32_t>(blockIdx.x * blockDim.x + threadIdx.x) * V;
    if (c0 >= g.outW) return;  // no block-wide synchronization follows
    TapSet<K> col[V];
#pragma unroll
    for (int v = 0; v < V; ++v) col[v] = trailingTaps<K>(p, g.w, min(c0 + v, g.outW - 1));
    const T fill = fromFloat<T>(p.extrapolation);
    const int32_t valid = min(V, g.outW - c0);
    const int64_t inPlane = static_cast<int64_t>(g.inH) * g.inW;
    const RowStep step = rowStep(g);
    for (RowWalk r = firstRow(g, blockIdx.y * blockDim.y + threadIdx.y); r.plane < g.planes;
         nextRow(r, step.planes, step.rows, g.outH)) {
        const TapSet<K> row = trailingTaps<K>(p, g.h, r.h);
        float acc[V];
        blendRow<T, K, V>(x + r.plane * inPlane, g.inW, row, col, acc);
        T v[V];
#pragma unroll
        for (int i = 0; i < V; ++i)
            v[i] = row.extrapolated || col[i].extrapolated ? fill : fromFloat<T>(acc[i]);
        storeRun(y + (r.plane * g.outH + r.h) * g.outW + c0, v, g.vectorStores, valid);
    }
}

template <typename W>
cudaError_t launchNearest(const void* x, void* y, const ResizeParams& p, const TrailingResize& g,
                          cudaStream_t stream) {
    constexpr int V = trailingVector(sizeof(W), false);
    if (g.vector != V || g.blockX * g.blockY > kThreads) return cudaErrorInvalidValue;
    trailingNearestKernel<W, V><<<dim3(g.gridX, g.gridY), dim3(g.blockX, g.blockY), 0, stream>>>(
        static_cast<const W*>(x), static_cast<W*>(y), p, g);
    return cudaGetLastError();
}

template <typename T, int K>
cudaError_t launchFilter(const void* x, void* y, const ResizeParams& p, const TrailingResize& g,
                         cudaStream_t stream) {
    constexpr int V = trailingVector(sizeof(T), true);
    if (g.vector != V || g.blockX * g.blockY > kThreads) return cudaErrorInvalidValue;
    trailingFilterKernel<T, K, V><<<dim3(g.gridX, g.gridY), dim3(g.blockX, g.blockY), 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), p, g);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launchFilterTyped(const void* x, void* y, const ResizeParams& p, const TrailingResize& g,
                              cudaStream_t stream) {
    switch (p.mode) {
        case InterpolationMode::kLINEAR:
            return launchFilter<T, trailingTapCount(InterpolationMode::kLINEAR)>(x, y, p, g, stream);
        case InterpolationMode::kCUBIC:
            return launchFilter<T, trailingTapCount(InterpolationMode::kCUBIC)>(x, y, p, g, stream);
        case InterpolationMode::kNEAREST:
            break;
    }
    return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t launchResizeTrailingNearest(int64_t elementSize, const void* x, void* y, const ResizeParams& p,
                                        const TrailingResize& g, cudaStream_t stream) {
    if (g.planes <= 0 || g.outH <= 0 || g.outW <= 0) return cudaSuccess;
    switch (elementSize) {
        case 1:
            return launchNearest<uint8_t>(x, y, p, g, stream);
        case 2:
            return launchNearest<uint16_t>(x, y, p, g, stream);
        case 4:
            return launchNearest<uint32_t>(x, y, p, g, stream);
        case 8:
            return launchNearest<uint64_t>(x, y, p, g, stream);
        default:
            break;
    }
    return cudaErrorInvalidValue;
}

cudaError_t launchResizeTrailingFilter(ValueType type, const void* x, void* y, const ResizeParams& p,
                                       const TrailingResize& g, cudaStream_t stream) {
    if (g.planes <= 0 || g.outH <= 0 || g.outW <= 0) return cudaSuccess;
    return withValueType<float, __half, __nv_bfloat16, __nv_fp8_e4m3>(
        type, [&](auto tag) { return launchFilterTyped<decltype(tag)>(x, y, p, g, stream); });
}

}  // namespace kiln::cuda::rk
