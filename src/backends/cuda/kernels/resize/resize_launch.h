// Launchers of the Resize kernels, called by resize_ops.cc with the per-axis parameters resolved on the
// host as the reference resolves them (extents, the scale that steers the coordinate mapping, the resized
// length, the region of interest): the general kernels (resize_nearest.cu, resize_filter.cu: one thread
// per output element, any resized axes; a region of interest given as a device tensor, input 3, is read
// by them) and the fast path for resizing only the last two axes (resize_trailing.cu, with the launch
// geometry of TrailingResize planned on the host by planTrailingResize in resize_plan.h).
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

/// The fast path's shape and launch: planes (the product of the unchanged leading dims) of inH x inW
/// resized to outH x outW. Thread (x, y) of the grid owns output columns [x * vector, x * vector +
/// vector) of rows y, y + gridY * blockY, ... The 32-bit extents and the plane's 32-bit offsets are
/// checked on the host.
struct TrailingResize {
    ResizeAxis h;  ///< axis rank - 2 (rank 1: the unit axis 1 -> 1)
    ResizeAxis w;  ///< axis rank - 1
    int64_t planes{1};
    int32_t inH{1}, inW{1}, outH{1}, outW{1};
    int32_t vector{1};         ///< consecutive output elements per thread along W
    bool vectorStores{false};  ///< a thread's elements are one aligned word (outW % vector == 0, aligned y)
    uint32_t blockX{1}, blockY{1};
    uint32_t gridX{1}, gridY{1};
};

/// Nearest: copies elements (1, 2, 4 or 8 bytes), any type.
cudaError_t launchResizeNearest(int64_t elementSize, const void* x, void* y, int64_t numel,
                                const ResizeParams& p, cudaStream_t stream);

/// Linear and cubic over float types.
cudaError_t launchResizeFilter(ValueType type, const void* x, void* y, int64_t numel, const ResizeParams& p,
                               cudaStream_t stream);

/// The fast path, nearest: elements of 1, 2, 4 or 8 bytes, any type, copied bit for bit.
cudaError_t launchResizeTrailingNearest(int64_t elementSize, const void* x, void* y, const ResizeParams& p,
                                        const TrailingResize& g, cudaStream_t stream);

/// The fast path, linear and cubic over float types (filters not stretched by antialias).
cudaError_t launchResizeTrailingFilter(ValueType type, const void* x, void* y, const ResizeParams& p,
                                       const TrailingResize& g, cudaStream_t stream);

}  // namespace kiln::cuda::rk
