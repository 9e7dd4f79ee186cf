// Depthwise Convolution (groups == C == K, one filter per channel) on channels-last data in one pass,
// for the float16/bfloat16 GPU plans whose convolutions run NHWC (passes/channels_last.cc). The layer is
// bandwidth bound, so the kernel is built around its loads: a thread holds `vec` adjacent channels
// (16-byte vectors when the channel count and the pointers allow) of kNhwcCols adjacent output columns
// in float registers, and walks each input row its window touches once, loading every input column
// those outputs share once (stride 1, 3 wide: 6 loads for 4 outputs) and applying it to each output it
// feeds. Input comes straight from global memory: neighbouring threads read neighbouring pixels, so the
// reuse across threads and rows is served by L1/L2 rather than a staged tile and a barrier. The filter is
// the one operand whose layout does not suit the threads ([C, taps]: a thread's channels are taps
// apart), so a block stages its channels' taps transposed ([tap][channel]) and their bias in shared
// memory as float, and a thread reads one tap of all its channels as one vector. The epilogue is the
// reference's: act(sum + bias + addend) in float, rounded once into the output type.
//
// Kernels: 3x3 (stride 1, 2), 5x5 (stride 1, 2) and 7x7 (stride 1) without dilation on 16-byte vectors
// unroll the window with the filter row in registers; every other window, stride and dilation, and the
// 2- and 1-channel vectors (odd channel counts, misaligned buffers) take the general loop. Index math is
// 32-bit: the host (conv_depthwise.cc) offers the tactic only when every index fits. Plan and mapping:
// conv_depthwise_nhwc_launch.h.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/common/rows_registers.cuh"
#include "backends/cuda/kernels/conv/conv_depthwise_nhwc_launch.h"
#include "backends/cuda/kernels/pointwise/activation_switch.cuh"

namespace kiln::cuda::dw {
namespace {

constexpr int kCols = kNhwcCols;

/// Stages the block's chunk of channels (blockIdx.y) in `rows`: row r < kH * kW holds tap r of each
/// channel's filter, row kH * kW the bias (0 without one); channels past the last one hold 0.
template <typename T>
__device__ __forceinline__ void stageRows(const T* __restrict__ w, const DepthwiseEpilogue& e, float* rows,
                                          const NhwcGeometry& g, const NhwcTiling& t) {
    const int32_t taps = g.kH * g.kW;
    const int32_t rowFloats = t.vecsPerBlock * t.vec;
    const int32_t c0 = static_cast<int32_t>(blockIdx.y) * rowFloats;
    const int32_t threads = static_cast<int32_t>(blockDim.x * blockDim.y);
    const int32_t total = (taps + 1) * rowFloats;
    // Consecutive threads write consecutive floats of a row (no bank conflicts); their filter reads are
    // `taps` elements apart, once per block.
    for (int32_t i = static_cast<int32_t>(threadIdx.y * blockDim.x + threadIdx.x); i < total; i += threads) {
        const int32_t r = i / rowFloats;
        const int32_t c = c0 + (i - r * rowFloats);
        float v = 0.0f;
        if (c < g.channels) {
            if (r < taps)
                v = rk::toFloat(w[c * taps + r]);
            else if (e.bias)
                v = rk::loadFloat(e.biasType, e.bias, c);
        }
        rows[i] = v;
    }
}

/// acc[j] += the K x K window (stride S, no dilation) of output column j. `image` points at the thread's
/// channels of pixel (0, 0) of its image; (iy0, ix0) is the window origin of its first output.
template <typename T, int V, int K, int S>
__device__ __forceinline__ void convolveFixed(const T* __restrict__ image, const float* rows,
                                              int32_t rowFloats, int32_t lane, const NhwcGeometry& g,
                                              int32_t iy0, int32_t ix0, float (&acc)[kCols][V]) {
    const int32_t rowPitch = g.inW * g.channels;
#pragma unroll
    for (int ky = 0; ky < K; ++ky) {
        const int32_t iy = iy0 + ky;
        if (iy < 0 || iy >= g.inH) continue;  // zero padding contributes nothing
        float f[K][V];
#pragma unroll
        for (int kx = 0; kx < K; ++kx) rk::loadChunk<V>(rows + (ky * K + kx) * rowFloats + lane, f[kx]);
        const T* row = image + iy * rowPitch;
        // Input column ic feeds output j through filter column ic - j * S: each is loaded once.
#pragma unroll
        for (int ic = 0; ic < (kCols - 1) * S + K; ++ic) {
            const int32_t ix = ix0 + ic;
            if (ix < 0 || ix >= g.inW) continue;
            float v[V];
            rk::loadChunk<V>(row + ix * g.channels, v);
#pragma unroll
            for (int j = 0; j < kCols; ++j) {
                const int kx = ic - j * S;
                if (kx < 0 || kx >= K) continue;
#pragma unroll
                for (int i = 0; i < V; ++i) acc[j][i] = fmaf(v[i], f[kx][i], acc[j][i]);
            }
        }
    }
}

/// As convolveFixed for any window, stride and dilation: one tap at a time, its input column loaded per
/// output column.
template <typename T, int V>
__device__ __forceinline__ void convolveAny(const T* __restrict__ image, const float* rows, int32_t rowFloats,
                                            int32_t lane, const NhwcGeometry& g, int32_t iy0, int32_t ix0,
                                            float (&acc)[kCols][V]) {
    const int32_t rowPitch = g.inW * g.channels;
    for (int32_t ky = 0; ky < g.kH; ++ky) {
        const int32_t iy = iy0 + ky * g.dH;
        if (iy < 0 || iy >= g.inH) continue;
        const T* row = image + iy * rowPitch;
        for (int32_t kx = 0; kx < g.kW; ++kx) {
            float f[V];
            rk::loadChunk<V>(rows + (ky * g.kW + kx) * rowFloats + lane, f);
            const int32_t ixk = ix0 + kx * g.dW;
#pragma unroll
            for (int j = 0; j < kCols; ++j) {
                const int32_t ix = ixk + j * g.sW;
                if (ix < 0 || ix >= g.inW) continue;
                float v[V];
                rk::loadChunk<V>(row + ix * g.channels, v);
#pragma unroll
                for (int i = 0; i < V; ++i) acc[j][i] = fmaf(v[i], f[i], acc[j][i]);
            }
        }
    }
}

/// K > 0: a K x K window with stride S and no dilation; K == 0: any window (g's stride and dilation).
template <typename T, int V, int K, int S>
__global__ void __launch_bounds__(kMaxThreads)
    depthwiseNhwcKernel(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y, NhwcGeometry g,
                        NhwcTiling t, DepthwiseEpilogue e) {
    extern __shared__ __align__(16) float nhwcRows[];
    stageRows(w, e, nhwcRows, g, t);
    __syncthreads();  // the only barrier: inactive threads may leave below

    const NhwcSlot s = nhwcSlot(g, t, static_cast<int32_t>(blockIdx.x), static_cast<int32_t>(blockIdx.y),
                                static_cast<int32_t>(threadIdx.x), static_cast<int32_t>(threadIdx.y));
    if (!s.active) return;
    const int32_t rowFloats = t.vecsPerBlock * V;
    const int32_t sH = K > 0 ? S : g.sH, sW = K > 0 ? S : g.sW;
    const int32_t iy0 = s.oy * sH - g.preH, ix0 = s.ox0 * sW - g.preW;
    const T* image = x + s.n * (g.inH * g.inW * g.channels) + s.c;
    float acc[kCols][V] = {};
    if constexpr (K > 0)
        convolveFixed<T, V, K, S>(image, nhwcRows, rowFloats, s.lane, g, iy0, ix0, acc);
    else
        convolveAny<T, V>(image, nhwcRows, rowFloats, s.lane, g, iy0, ix0, acc);

    float bias[V];
    rk::loadChunk<V>(nhwcRows + g.kH * g.kW * rowFloats + s.lane, bias);
    const T* addend = static_cast<const T*>(e.addend);
    const int32_t first = ((s.n * g.outH + s.oy) * g.outW + s.ox0) * g.channels + s.c;
#pragma unroll
    for (int j = 0; j < kCols; ++j) {
        if (s.ox0 + j >= g.outW) break;
        const int32_t at = first + j * g.channels;
        float v[V];
#pragma unroll
        for (int i = 0; i < V; ++i) v[i] = acc[j][i] + bias[i];
        if (addend) {
            float a[V];
            rk::loadChunk<V>(addend + at, a);
#pragma unroll
            for (int i = 0; i < V; ++i) v[i] += a[i];
        }
        if (e.hasActivation) {
#pragma unroll
            for (int i = 0; i < V; ++i) v[i] = fn::activate(e.activation, e.alpha, e.beta, v[i]);
        }
        rk::storeChunk<V>(y + at, v);
    }
}

template <typename T, int V, int K, int S>
cudaError_t launch(const void* x, const void* w, void* y, const NhwcGeometry& g, const NhwcTiling& t,
                   const DepthwiseEpilogue& e, cudaStream_t stream) {
    const dim3 grid(static_cast<unsigned>(t.blocksX), static_cast<unsigned>(t.chunks));
    const dim3 block(static_cast<unsigned>(t.vecsPerBlock), static_cast<unsigned>(t.groupsPerBlock));
    depthwiseNhwcKernel<T, V, K, S><<<grid, block, static_cast<size_t>(t.sharedBytes), stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), g, t, e);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launchTyped(const void* x, const void* w, void* y, const NhwcGeometry& g, const NhwcTiling& t,
                        const DepthwiseEpilogue& e, cudaStream_t stream) {
    constexpr int kWide = static_cast<int>(16 / sizeof(T));
    if (t.vec == kWide) {
        const bool square = g.kH == g.kW && g.sH == g.sW && g.dH == 1 && g.dW == 1;
        if (square && g.kH == 3 && g.sH == 1) return launch<T, kWide, 3, 1>(x, w, y, g, t, e, stream);
        if (square && g.kH == 3 && g.sH == 2) return launch<T, kWide, 3, 2>(x, w, y, g, t, e, stream);
        if (square && g.kH == 5 && g.sH == 1) return launch<T, kWide, 5, 1>(x, w, y, g, t, e, stream);
        if (square && g.kH == 5 && g.sH == 2) return launch<T, kWide, 5, 2>(x, w, y, g, t, e, stream);
        if (square && g.kH == 7 && g.sH == 1) return launch<T, kWide, 7, 1>(x, w, y, g, t, e, stream);
        return launch<T, kWide, 0, 1>(x, w, y, g, t, e, stream);
    }
    if (t.vec == 2) return launch<T, 2, 0, 1>(x, w, y, g, t, e, stream);
    if (t.vec == 1) return launch<T, 1, 0, 1>(x, w, y, g, t, e, stream);
    return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t launchDepthwiseNhwc(rk::ValueType type, const void* x, const void* w, void* y,
                                const NhwcGeometry& g, const NhwcTiling& t, const DepthwiseEpilogue& e,
                                cudaStream_t stream) {
    if (t.blocksX <= 0 || t.chunks <= 0 || t.vecsPerBlock <= 0 || t.groupsPerBlock <= 0) return cudaSuccess;
    return rk::withFloatValueType(
        type, [&](auto tag) { return launchTyped<decltype(tag)>(x, w, y, g, t, e, stream); });
}

}  // namespace kiln::cuda::dw
