// Launcher of the Normalization kernel (normalization_groups.cu), called by normalization_ops.cc. The
// geometry arrives resolved: dims split into kept ones (one statistics group per position) and reduced
// ones (walked per group), each with the element strides of x (= y), scale and bias, broadcast operands
// having stride 0; group norm's channel axis already split into [groups, channels per group].
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

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

}  // namespace kiln::cuda::rk
