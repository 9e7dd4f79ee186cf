// The sampling launch shared by Slice and Padding (a padding is a slice starting at -pre): out[i] =
// in[start + i * stride] per dim, out-of-bounds coordinates resolved by TensorRT's SampleMode exactly as the
// reference's sampleCoordinate does (backends/reference/movement_common.h). Defined in slice_sample.cu;
// a plain C++ header so that host-only callers compile without nvcc.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "common/status.h"
#include "common/tensor_ref.h"
#include "kiln/layer_types.h"

namespace kiln::cuda {

/// The value of out-of-bounds elements under kFILL: one element of `type` at device address `device`
/// (converted to the output's type by Cast's rules on the device), or, when `device` is null, `bits`,
/// already encoded in the output's type.
struct FillValue {
    const void* device{nullptr};
    DataType type{DataType::kFLOAT};
    uint64_t bits{0};
};

/// Enqueues the sampling of `in` into `out` (same type and rank). `start` and `stride` hold one entry per
/// dim. The caller has rejected what the mode cannot sample (kSTRICT_BOUNDS out of bounds, an empty input
/// dim outside kFILL); the kernel itself never reads out of bounds whatever it is given.
Status launchSample(const TensorRef& in, const TensorRef& out, const int64_t* start, const int64_t* stride,
                    SampleMode mode, const FillValue& fill, cudaStream_t stream, const char* kernel);

}  // namespace kiln::cuda
