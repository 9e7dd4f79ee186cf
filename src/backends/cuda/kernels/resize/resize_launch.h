// Launchers of the Resize kernels (resize_nearest.cu, resize_filter.cu), called by resize_ops.cc with the
// per-axis parameters resolved on the host as the reference resolves them (extents, the scale that steers
// the coordinate mapping, the resized length, the region of interest). A region of interest given as a
// device tensor (input 3) is read by the kernels instead.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/common/value_type.h"
#include "kiln/layer_types.h"

namespace kiln::cuda::rk {

constexpr int kMaxResizeRank = 8;
constexpr int kMaxFilterTaps = 32;   ///< per axis: cubic antialias down to scale 1/8, linear to 1/16
constexpr int kMaxFilteredAxes = 4;  ///< linear/cubic axes that actually resize

struct ResizeAxis {
    int64_t in{1};
    int64_t out{1};
    double scale{1.0};   ///< the given scale, or out / in
    double length{1.0};  ///< the resized length: in * the given scale, or out
    double roiStart{0.0};
    double roiEnd{1.0};
    double filterScale{1.0};  ///< linear/cubic: min(1, scale) with antialias, else 1
    bool identity{false};     ///< maps y to y (decided again on the device when the roi is a device tensor)
};

struct ResizeParams {
    int32_t rank{0};
    ResizeAxis axis[kMaxResizeRank];
    int64_t inStrides[kMaxResizeRank]{};
    InterpolationMode mode{InterpolationMode::kNEAREST};
    ResizeCoordinateTransformation transform{ResizeCoordinateTransformation::kASYMMETRIC};
    ResizeSelector selector{ResizeSelector::kFORMULA};
    ResizeRoundMode rounding{ResizeRoundMode::kFLOOR};
    double cubicCoeff{-0.75};
    bool excludeOutside{false};
    float extrapolation{0.0f};
    uint64_t extrapolationBits{0};  ///< nearest: the extrapolation value in the element's type, as bytes
    const void* roiDevice{nullptr};
    ValueType roiType{ValueType::kF32};
};

/// Nearest: copies elements (1, 2, 4 or 8 bytes), any type.
cudaError_t launchResizeNearest(int64_t elementSize, const void* x, void* y, int64_t numel,
                                const ResizeParams& p, cudaStream_t stream);

/// Linear and cubic over float types.
cudaError_t launchResizeFilter(ValueType type, const void* x, void* y, int64_t numel, const ResizeParams& p,
                               cudaStream_t stream);

}  // namespace kiln::cuda::rk
