// Device half of the Resize coordinate mapping, shared by the nearest and the linear/cubic kernels: the
// source coordinate of an output index under each coordinate transformation, nearest rounding, and the
// per-axis parameters with a device-resident region of interest applied. The arithmetic is the
// reference's (src/backends/reference/resize.cc), in double and in the same order, so nearest picks the
// same source index bit for bit.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/resize/resize_launch.h"

namespace kiln::cuda::rk {

struct Source {
    double x;
    bool extrapolated;  ///< tf_crop_and_resize: outside the input, takes the extrapolation value
};

__device__ __forceinline__ Source sourceCoordinate(const ResizeParams& p, const ResizeAxis& a, int64_t y) {
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

__device__ __forceinline__ double roundNearest(ResizeRoundMode mode, double x) {
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

/// Axis d's parameters, with the region of interest read from the device tensor when there is one (the
/// host could not decide `identity` for tf_crop_and_resize then).
__device__ __forceinline__ ResizeAxis axisParams(const ResizeParams& p, int d) {
    ResizeAxis a = p.axis[d];
    if (p.roiDevice) {
        a.roiStart = static_cast<double>(loadFloat(p.roiType, p.roiDevice, d));
        a.roiEnd = static_cast<double>(loadFloat(p.roiType, p.roiDevice, d + p.rank));
        const bool wholeRoi = p.transform != ResizeCoordinateTransformation::kTF_CROP_AND_RESIZE ||
                              (a.roiStart == 0.0 && a.roiEnd == 1.0);
        a.identity = a.in == a.out && a.scale == 1.0 && wholeRoi;
    }
    return a;
}

}  // namespace kiln::cuda::rk
