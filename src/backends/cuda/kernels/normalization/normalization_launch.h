// Launchers of the Normalization kernels (normalization_groups.cu, the general one, and
// normalization_rows.cu, the LayerNorm form in registers), called by normalization_ops.cc. The
// geometry arrives resolved: dims split into kept ones (one statistics group per position) and reduced
// ones (walked per group), each with the element strides of x (= y), scale and bias, broadcast operands
// having stride 0; group norm's channel axis already split into [groups, channels per group].
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/common/rows_plan.h"
#include "backends/cuda/kernels/common/value_type.h"

namespace kiln::cuda::rk {

constexpr int kMaxNormDims = 10;  ///< rank 8, plus group norm's channel split, plus one spare

struct NormGeometry {
    int32_t nbKept{0};
    int64_t keptExtent[kMaxNormDims]{};
    int64_t keptStride[3][kMaxNormDims]{};  ///< x, scale, bias
    int32_t nbReduced{0};
    int64_t reducedExtent[kMaxNormDims]{};
    int64_t reducedStride[3][kMaxNormDims]{};
    int64_t nbGroups{1};  ///< product of the kept extents
    int64_t count{1};     ///< elements per group
};

cudaError_t launchNormalization(ValueType type, const void* x, void* y, ValueType scaleType,
                                const void* scale, ValueType biasType, const void* bias,
                                const NormGeometry& g, float epsilon, cudaStream_t stream);

/// The LayerNorm form of a geometry: `rows` rows of `cols` contiguous elements of x (and y), scale and
/// bias walked alongside with element stride 1, their row starts `scaleRowStride` / `biasRowStride`
/// elements apart (0: one affine row for all, the usual LayerNorm). `plan.fast` when the register-rows
/// kernel takes it (planNormRows, normalization_plan.h).
struct NormRows {
    int64_t rows{0};
    int64_t cols{0};
    int64_t scaleRowStride{0};
    int64_t biasRowStride{0};
    ValueType affineType{ValueType::kF32};  ///< scale's and bias's type: x's or float32
    RowsPlan plan;
};

cudaError_t launchNormalizationRows(ValueType type, const void* x, void* y, const void* scale,
                                    const void* bias, const NormRows& r, float epsilon, cudaStream_t stream);

}  // namespace kiln::cuda::rk
