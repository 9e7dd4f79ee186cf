// Device half of the general Resize kernels (resize_nearest.cu, resize_filter.cu): the per-axis
// parameters with a device-resident region of interest applied, on top of the coordinate and filter
// arithmetic every Resize kernel shares (resize_math.h).
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/resize/resize_math.h"

namespace kiln::cuda::rk {

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
