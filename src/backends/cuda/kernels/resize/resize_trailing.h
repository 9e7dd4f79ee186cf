// The per-thread arithmetic of the Resize fast path (resize_trailing.cu), __host__ __device__ so that
// tests/unit/cuda_resize_plan_test.cc replays it on the CPU against the reference kernel. The fast path
// resizes only the last two axes (H, W) of planes stored one after the other. A thread owns `vector`
// consecutive output columns: it computes their taps once (TapSet: input column and float weight per
// tap, from the shared double-precision arithmetic of resize_math.h) and keeps them in registers, then
// walks output rows with a grid stride, computing each row's taps and blending the 2-D neighbourhood in
// float32: first along W for each source row, then along H. Offsets inside a plane are 32-bit (the host
// plan checks the plane fits); a plane's base is 64-bit, computed once per row.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cmath>
#include <cstdint>

#include "backends/cuda/kernels/resize/resize_math.h"

namespace kiln::cuda::rk {

/// Output elements per thread along W: one 16-byte store for nearest (1- to 8-byte words); for linear
/// and cubic at most 8, so that a thread's taps (8 columns x 4 cubic taps) stay in registers.
KILN_HD constexpr int trailingVector(int64_t elementBytes, bool filter) {
    return elementBytes <= 0 || elementBytes > 16 ? 1
           : filter && 16 / elementBytes > 8      ? 8
                                                  : static_cast<int>(16 / elementBytes);
}

/// Taps per axis: nearest 1, linear 2, cubic 4 (an unstretched filter: firstTap = 0 or -1).
KILN_HD constexpr int trailingTapCount(InterpolationMode mode) {
    return mode == InterpolationMode::kNEAREST ? 1 : mode == InterpolationMode::kLINEAR ? 2 : 4;
}

/// Taps of one output index along one axis. Unused taps have weight 0 and a valid index.
template <int K>
struct TapSet {
    int32_t index[K];
    float weight[K];
    bool extrapolated;  ///< tf_crop_and_resize outside the input: the extrapolation value, no taps
};

/// Taps of output index c along axis a (nearest: one tap of weight 1). An identity axis reads c itself
/// with weight exactly 1, so an axis that does not resize is copied exactly.
template <int K>
KILN_HD inline TapSet<K> trailingTaps(const ResizeParams& p, const ResizeAxis& a, int64_t c) {
    TapSet<K> t{};
    if (a.identity || p.mode == InterpolationMode::kNEAREST) {
        const int64_t j = nearestSource(p, a, c);
        t.extrapolated = j < 0;
        t.index[0] = j < 0 ? 0 : static_cast<int32_t>(j);
        t.weight[0] = j < 0 ? 0.0f : 1.0f;
        return t;
    }
    const Source s = sourceCoordinate(p, a, c);
    if (s.extrapolated) {
        t.extrapolated = true;
        return t;
    }
    int64_t index[K];
    double weight[K];
    filterTaps<K>(p, s.x, a.in, a.filterScale, index, weight);
    for (int i = 0; i < K; ++i) {
        t.index[i] = static_cast<int32_t>(index[i]);
        t.weight[i] = static_cast<float>(weight[i]);
    }
    return t;
}

/// A thread's position in the grid-stride walk over the planes * outH output rows, advanced without a
/// division per step.
struct RowWalk {
    int64_t plane;
    int32_t h;
};

KILN_HD inline RowWalk firstRow(const TrailingResize& g, int64_t row) {
    return {row / g.outH, static_cast<int32_t>(row % g.outH)};
}

/// Advances by `step` rows, given as whole planes plus a remainder of rows (stepH < outH).
KILN_HD inline void nextRow(RowWalk& r, int64_t stepPlanes, int32_t stepH, int32_t outH) {
    r.plane += stepPlanes;
    r.h += stepH;
    if (r.h >= outH) {
        r.h -= outH;
        ++r.plane;
    }
}

KILN_HD inline float widen(float v) {
    return v;
}
KILN_HD inline float widen(__half v) {
    return __half2float(v);
}
KILN_HD inline float widen(__nv_bfloat16 v) {
    return __bfloat162float(v);
}
KILN_HD inline float widen(__nv_fp8_e4m3 v) {
    return static_cast<float>(v);
}

/// acc[v] = sum over the row's taps of weight * (sum over column v's taps of weight * x), in float32 with
/// fused multiply-adds, zero-weight taps left out. `plane` is the input plane (inH x inW).
template <typename T, int K, int V>
KILN_HD inline void blendRow(const T* plane, int32_t inW, const TapSet<K>& row, const TapSet<K> (&col)[V],
                             float (&acc)[V]) {
    for (int v = 0; v < V; ++v) acc[v] = 0.0f;
    for (int kh = 0; kh < K; ++kh) {
        if (row.weight[kh] == 0.0f) continue;
        const T* src = plane + row.index[kh] * inW;
        for (int v = 0; v < V; ++v) {
            float s = 0.0f;
            for (int kw = 0; kw < K; ++kw)
                if (col[v].weight[kw] != 0.0f) s = fmaf(col[v].weight[kw], widen(src[col[v].index[kw]]), s);
            acc[v] = fmaf(row.weight[kh], s, acc[v]);
        }
    }
}

}  // namespace kiln::cuda::rk
