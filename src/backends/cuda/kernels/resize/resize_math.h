// The Resize coordinate and filter arithmetic shared by every CUDA Resize kernel (the general kernels of
// resize_nearest.cu / resize_filter.cu and the trailing-axes fast path of resize_trailing.cu) and, being
// __host__ __device__, by the CPU tests that replay the kernels on the host: the source coordinate of an
// output index under each coordinate transformation, nearest rounding, and the linear / cubic taps around
// a source coordinate. It is the reference's arithmetic (src/backends/reference/resize.cc), in double and
// in the same order, so nearest picks the same source index bit for bit and filter weights differ from
// the reference's only by their final rounding to float.
#pragma once

#include <cmath>
#include <cstdint>

#include "backends/cuda/kernels/common/portable.cuh"
#include "backends/cuda/kernels/resize/resize_launch.h"

namespace kiln::cuda::rk {

struct Source {
    double x;
    bool extrapolated;  ///< tf_crop_and_resize: outside the input, takes the extrapolation value
};

KILN_HD inline Source sourceCoordinate(const ResizeParams& p, const ResizeAxis& a, int64_t y) {
    using CT = ResizeCoordinateTransformation;
    if (a.out == 1 && p.selector == ResizeSelector::kUPPER) return {0.0, false};
    const double yd = static_cast<double>(y);
    const double last = static_cast<double>(a.in - 1);
    switch (p.transform) {
        case CT::kALIGN_CORNERS:
            return {a.length == 1.0 ? 0.0 : yd * last / (a.length - 1.0), false};
        case CT::kASYMMETRIC:
            return {yd / a.scale, false};
        case CT::kHALF_PIXEL:
            return {(yd + 0.5) / a.scale - 0.5, false};
        case CT::kPYTORCH_HALF_PIXEL:
            return {a.out > 1 ? (yd + 0.5) / a.scale - 0.5 : 0.0, false};
        case CT::kHALF_PIXEL_SYMMETRIC: {
            const double adjustment = static_cast<double>(a.out) / a.length;
            const double offset = static_cast<double>(a.in) / 2.0 * (1.0 - adjustment);
            return {offset + (yd + 0.5) / a.scale - 0.5, false};
        }
        case CT::kTF_CROP_AND_RESIZE: {
            const double x = a.length > 1.0
                                 ? a.roiStart * last + yd * (a.roiEnd - a.roiStart) * last / (a.length - 1.0)
                                 : 0.5 * (a.roiStart + a.roiEnd) * last;
            return {x, x < 0.0 || x > last};
        }
    }
    return {0.0, false};
}

KILN_HD inline double roundNearest(ResizeRoundMode mode, double x) {
    switch (mode) {
        case ResizeRoundMode::kHALF_UP:
            return floor(x + 0.5);  // ONNX round_prefer_ceil
        case ResizeRoundMode::kHALF_DOWN:
            return ceil(x - 0.5);  // ONNX round_prefer_floor
        case ResizeRoundMode::kFLOOR:
            return floor(x);
        case ResizeRoundMode::kCEIL:
            return ceil(x);
    }
    return floor(x);
}

/// Nearest: the input index output index y reads along axis a, clamped into the input; -1 when
/// tf_crop_and_resize puts it outside the input (the extrapolation value).
KILN_HD inline int64_t nearestSource(const ResizeParams& p, const ResizeAxis& a, int64_t y) {
    if (a.identity) return y;
    const Source s = sourceCoordinate(p, a, y);
    if (s.extrapolated) return -1;
    const double r = roundNearest(p.rounding, s.x);
    return r < 0.0 ? 0 : (r > static_cast<double>(a.in - 1) ? a.in - 1 : static_cast<int64_t>(r));
}

KILN_HD inline double cubicKernel(double t, double a) {
    t = fabs(t);
    if (t <= 1.0) return ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
    if (t < 2.0) return ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a;
    return 0.0;
}

KILN_HD inline double linearKernel(double t) {
    t = fabs(t);
    return t < 1.0 ? 1.0 - t : 0.0;
}

/// Offset of the first tap from the cell's left end: the taps are first .. 1 - first, 2 - 2 * first of
/// them (2 for linear, 4 for cubic unless antialias stretches the filter by 1 / s).
KILN_HD inline int64_t firstTap(InterpolationMode mode, double s) {
    const double radius = mode == InterpolationMode::kLINEAR ? 1.0 : 2.0;
    return static_cast<int64_t>(floor(-radius / s)) + 1;
}

/// Linear or cubic taps around source coordinate x on an axis of n points, filter stretched by 1 / s,
/// positionally: slot i is tap first + i, its input index clamped into the input. Slots past the filter's
/// taps, and taps outside the input under excludeOutside, get weight 0; a stretched filter, or one with
/// taps left out, is normalized to sum 1. Callers skip zero weights, as the reference leaves those taps
/// out (an inf neighbour must not make NaN). K must be at least 2 - 2 * firstTap(mode, s).
template <int K>
KILN_HD inline void filterTaps(const ResizeParams& p, double x, int64_t n, double s, int64_t (&index)[K],
                               double (&weight)[K]) {
    const bool linear = p.mode == InterpolationMode::kLINEAR;
    // base + ratio = x with ratio in (0, 1]: the taps sit symmetrically around the cell [base, base + 1].
    double base = floor(x), ratio = x - base;
    if (ratio == 0.0) {
        base -= 1.0;
        ratio = 1.0;
    }
    const int64_t first = firstTap(p.mode, s);
    double sum = 0.0;
    for (int i = 0; i < K; ++i) {
        const int64_t k = first + i;
        const int64_t j = static_cast<int64_t>(base) + k;
        const bool used = k <= 1 - first && !(p.excludeOutside && (j < 0 || j >= n));
        const double d = (static_cast<double>(k) - ratio) * s;
        weight[i] = !used ? 0.0 : linear ? linearKernel(d) : cubicKernel(d, p.cubicCoeff);
        index[i] = j < 0 ? 0 : (j > n - 1 ? n - 1 : j);
        sum += weight[i];
    }
    if ((p.excludeOutside || s < 1.0) && sum != 0.0)
        for (int i = 0; i < K; ++i) weight[i] /= sum;
}

}  // namespace kiln::cuda::rk
