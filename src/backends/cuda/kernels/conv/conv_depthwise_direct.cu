// Depthwise Convolution (groups == C == K, one filter per channel) on NCHW in one pass: a block stages
// the input tile its outputs read (halo included, zeros outside the input, so every padding mode is just
// an origin shift by the pre padding) and its planes' filters in shared memory as float, then each thread
// computes kRowsPerThread vertically adjacent outputs with float32 FMAs and writes
// act(sum + bias + addend), rounded once into the output type (the reference's order: bias, addend,
// activation, in float). cuDNN runs these layers as grouped convolutions and was measured slow on NCHW
// depthwise 3x3; this is the own tactic the autotuner times against it.
//
// Kernels: square 3x3 and 5x5 filters with stride 1 or 2 and no dilation (MobileNet, EfficientNet) have
// the filter in registers and every staged input row loaded once per thread (the rows adjacent outputs
// share); any other window up to 7x7 (rectangular, dilated, any stride) reads both from shared memory.
// Index math is 32-bit: the host (conv_depthwise.cc) takes this tactic only when every index is below
// 2^30. Tiling and the thread -> output mapping: conv_depthwise_launch.h.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/conv/conv_depthwise_launch.h"
#include "backends/cuda/kernels/pointwise/activation_switch.cuh"

namespace kiln::cuda::dw {
namespace {

constexpr int R = kRowsPerThread;

/// Stages plane (plane0 + p)'s input tile at tile[p * inTileH * inTileW] and its filter at
/// filters[p * kH * kW], as float; planes past the last one are skipped (no thread computes them).
template <typename T>
__device__ __forceinline__ void stage(const T* __restrict__ x, const T* __restrict__ w, float* tile,
                                      float* filters, const DepthwiseGeometry& g, const DepthwiseTiling& t,
                                      TileOrigin o) {
    const int32_t tileElems = t.inTileH * t.inTileW;
    const int32_t planes = min(t.planesPerBlock, g.planes - o.plane0);
    const int32_t iy0 = o.oy0 * g.sH - g.preH, ix0 = o.ox0 * g.sW - g.preW;
    const int32_t inPlane = g.inH * g.inW;
    const int32_t stride = static_cast<int32_t>(blockDim.x);
    TileWalk at(t, static_cast<int32_t>(threadIdx.x), stride);
    for (int32_t i = threadIdx.x; i < planes * tileElems; i += stride, at.advance(t)) {
        const int32_t iy = iy0 + at.r, ix = ix0 + at.col;
        float v = 0.0f;
        if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW)
            v = rk::toFloat(x[(o.plane0 + at.p) * inPlane + iy * g.inW + ix]);
        tile[i] = v;
    }
    const int32_t kVol = g.kH * g.kW;
    for (int32_t i = threadIdx.x; i < planes * kVol; i += blockDim.x) {
        const int32_t p = i / kVol;
        filters[i] = rk::toFloat(w[((o.plane0 + p) % g.channels) * kVol + (i - p * kVol)]);
    }
}

/// acc[j] = output row j of the thread (K > 0: K x K filter, stride S, no dilation; K == 0: the general
/// window). `in` points at the thread's first tile row and column.
template <int K, int S>
__device__ __forceinline__ void convolve(const float* in, const float* f, const DepthwiseGeometry& g,
                                         int32_t pitch, float (&acc)[R]) {
    if constexpr (K > 0) {
        float wr[K * K];
#pragma unroll
        for (int i = 0; i < K * K; ++i) wr[i] = f[i];
            // Tile row ir feeds output j through filter row ir - j * S: each row is loaded once.
#pragma unroll
        for (int ir = 0; ir < (R - 1) * S + K; ++ir) {
            float v[K];
#pragma unroll
            for (int kx = 0; kx < K; ++kx) v[kx] = in[ir * pitch + kx];
#pragma unroll
            for (int j = 0; j < R; ++j) {
                const int ky = ir - j * S;
                if (ky < 0 || ky >= K) continue;
#pragma unroll
                for (int kx = 0; kx < K; ++kx) acc[j] = fmaf(v[kx], wr[ky * K + kx], acc[j]);
            }
        }
    } else {
#pragma unroll
        for (int j = 0; j < R; ++j)
            for (int32_t ky = 0; ky < g.kH; ++ky) {
                const float* row = in + (j * g.sH + ky * g.dH) * pitch;
                for (int32_t kx = 0; kx < g.kW; ++kx)
                    acc[j] = fmaf(row[kx * g.dW], f[ky * g.kW + kx], acc[j]);
            }
    }
}

template <typename T, int K, int S>
__global__ void __launch_bounds__(kMaxThreads)
    depthwiseKernel(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y, DepthwiseGeometry g,
                    DepthwiseTiling t, DepthwiseEpilogue e) {
    extern __shared__ float shared[];
    float* tile = shared;
    float* filters = shared + t.planesPerBlock * t.inTileH * t.inTileW;
    const TileOrigin o = tileOrigin(t, static_cast<int32_t>(blockIdx.x));
    stage(x, w, tile, filters, g, t, o);
    __syncthreads();  // the last barrier: threads without outputs may leave below

    const ThreadSlot s = threadSlot(t, static_cast<int32_t>(threadIdx.x));
    const int32_t plane = o.plane0 + s.p, ox = o.ox0 + s.tx, oy = o.oy0 + s.ty * R;
    if (plane >= g.planes || ox >= g.outW || oy >= g.outH) return;
    const int32_t sH = K > 0 ? S : g.sH, sW = K > 0 ? S : g.sW;
    const float* in = tile + s.p * t.inTileH * t.inTileW + s.ty * R * sH * t.inTileW + s.tx * sW;
    float acc[R] = {};
    convolve<K, S>(in, filters + s.p * g.kH * g.kW, g, t.inTileW, acc);

    const float bias = e.bias ? rk::loadFloat(e.biasType, e.bias, plane % g.channels) : 0.0f;
    const T* addend = static_cast<const T*>(e.addend);
    const int32_t base = plane * (g.outH * g.outW) + oy * g.outW + ox;
#pragma unroll
    for (int j = 0; j < R; ++j) {
        if (oy + j >= g.outH) break;
        const int32_t i = base + j * g.outW;
        float v = acc[j] + bias;
        if (addend) v += rk::toFloat(addend[i]);
        if (e.hasActivation) v = fn::activate(e.activation, e.alpha, e.beta, v);
        y[i] = rk::fromFloat<T>(v);
    }
}

template <typename T, int K, int S>
cudaError_t launch(const void* x, const void* w, void* y, const DepthwiseGeometry& g,
                   const DepthwiseTiling& t, const DepthwiseEpilogue& e, cudaStream_t stream) {
    depthwiseKernel<T, K, S><<<static_cast<unsigned>(t.blocks), static_cast<unsigned>(t.threads),
                               static_cast<size_t>(t.sharedBytes), stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), g, t, e);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launchTyped(const void* x, const void* w, void* y, const DepthwiseGeometry& g,
                        const DepthwiseTiling& t, const DepthwiseEpilogue& e, cudaStream_t stream) {
    const bool square = g.kH == g.kW && g.sH == g.sW && g.dH == 1 && g.dW == 1;
    if (square && g.kH == 3 && g.sH == 1) return launch<T, 3, 1>(x, w, y, g, t, e, stream);
    if (square && g.kH == 3 && g.sH == 2) return launch<T, 3, 2>(x, w, y, g, t, e, stream);
    if (square && g.kH == 5 && g.sH == 1) return launch<T, 5, 1>(x, w, y, g, t, e, stream);
    if (square && g.kH == 5 && g.sH == 2) return launch<T, 5, 2>(x, w, y, g, t, e, stream);
    return launch<T, 0, 1>(x, w, y, g, t, e, stream);
}

}  // namespace

cudaError_t launchDepthwise(rk::ValueType type, const void* x, const void* w, void* y,
                            const DepthwiseGeometry& g, const DepthwiseTiling& t, const DepthwiseEpilogue& e,
                            cudaStream_t stream) {
    if (t.blocks <= 0 || t.threads <= 0) return cudaSuccess;
    return rk::withFloatValueType(
        type, [&](auto tag) { return launchTyped<decltype(tag)>(x, w, y, g, t, e, stream); });
}

}  // namespace kiln::cuda::dw
