// Launchers of the Pooling kernels (pooling_direct.cu, pooling_channels_last.cu), called by pooling_ops.cc
// with the geometry already resolved (padding modes applied, a 1-D or 2-D op written as 3-D with leading
// extents of 1, as the reference kernel does).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/common/value_type.h"

namespace kiln::cuda::rk {

struct PoolGeometry {
    int64_t planes{0};  ///< N * C
    int64_t in[3]{1, 1, 1};
    int64_t out[3]{1, 1, 1};
    int64_t kernel[3]{1, 1, 1};
    int64_t stride[3]{1, 1, 1};
    int64_t dilation[3]{1, 1, 1};
    int64_t pre[3]{0, 0, 0};
    int64_t post[3]{0, 0, 0};
};

/// y = maxWeight * max + averageWeight * average per window (max alone when averageWeight is 0, the
/// average alone when maxWeight is 0). `global`: the window is the whole plane, no padding.
cudaError_t launchPooling(ValueType type, const void* x, void* y, const PoolGeometry& g, float maxWeight,
                          float averageWeight, bool countExcludesPadding, bool global, cudaStream_t stream);

/// launchPooling for 2-D channels-last ([N, H, W, C]) tensors (pooling_channels_last.cu): `g` is the
/// channels-first geometry (g.planes = N * C, leading extents 1) and `channels` is C. cudaErrorInvalidValue
/// for a geometry that is not 2-D or planes that are not a multiple of C.
cudaError_t launchPoolingChannelsLast(ValueType type, const void* x, void* y, const PoolGeometry& g,
                                      int64_t channels, float maxWeight, float averageWeight,
                                      bool countExcludesPadding, bool global, cudaStream_t stream);

}  // namespace kiln::cuda::rk
