// Launchers of the fill family's CUDA kernels (Fill, Cumulative, Trilu), called by fill_ops.cc. Their
// scalar parameters may live on the device (Fill's alpha/beta inputs, Cumulative's axis input, Trilu's k
// input are ordinary tensors, not shape tensors): such a parameter is passed as a device pointer and its
// ValueType and read by the kernel, so nothing is copied to the host.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/common/value_type.h"
#include "kiln/layer_types.h"

namespace kiln::cuda::rk {

/// A scalar fill parameter: a host value (attribute) or element(s) of a device tensor.
struct FillScalar {
    const void* device{nullptr};  ///< null: use `value` / `intValue`
    ValueType type{ValueType::kF32};
    double value{0.0};
    int64_t intValue{0};
    bool integral{false};  ///< exact as an int64 (an integer tensor or an integral attribute)
};

struct FillParams {
    FillOperation op{FillOperation::kCONSTANT};
    int32_t rank{0};
    int64_t strides[8]{};  ///< row-major strides of the output
    FillScalar alpha;
    FillScalar beta;  ///< kLINSPACE: one delta, or `betaCount` = rank deltas (one per dim)
    int64_t betaCount{1};
    bool exactInt{false};  ///< integer output and every parameter integral: wrap-around int64 arithmetic
};

cudaError_t launchFill(ValueType outType, void* out, int64_t numel, const FillParams& p, cudaStream_t stream);

/// Inclusive or exclusive running sum along one axis, optionally from the end. The axis comes from
/// `axisDevice` (one int32/int64 value, may be negative) when not null, else from `axis`.
struct CumulativeParams {
    int32_t rank{0};
    int64_t dims[8]{};
    int32_t axis{0};
    const void* axisDevice{nullptr};
    ValueType axisType{ValueType::kI64};
    bool exclusive{false};
    bool reverse{false};
};

cudaError_t launchCumulative(ValueType type, const void* x, void* y, const CumulativeParams& p,
                             cudaStream_t stream);

/// Keeps element (i, j) of each matrix (the last two dims) when j - i >= k (upper) or <= k (lower), zero
/// elsewhere; k from `kDevice` (int32/int64) when not null.
cudaError_t launchTrilu(int64_t elementSize, const void* x, void* y, int64_t numel, int64_t rows,
                        int64_t cols, bool upper, int64_t k, const void* kDevice, ValueType kType,
                        cudaStream_t stream);

}  // namespace kiln::cuda::rk
