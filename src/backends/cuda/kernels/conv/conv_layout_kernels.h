// Small own CUDA kernels the cuDNN convolution tactics need around the library call: a window copy
// (zero-padding an input for asymmetric padding, cropping a deconvolution result) and the per-channel
// bias add. Plain C++17 interface (nvcc compiles the .cu as C++17): sizes in int64, cudaError_t out;
// the callers turn errors into Status. Enqueue-only on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace kiln::cuda::convk {

enum class ScalarKind : int32_t { kF32 = 0, kF16 = 1, kBF16 = 2 };

/// dst[p][i0][i1][i2] = src[p][i0 - shift0][i1 - shift1][i2 - shift2], 0 where that is outside src, for
/// `planes` planes of 3-D extents dstExt / srcExt (lower-rank data uses leading extents of 1). A positive
/// shift pads at the start, a negative one crops. elemSize is 2 or 4.
cudaError_t windowCopy(const void* src, void* dst, int64_t elemSize, int64_t planes, const int64_t srcExt[3],
                       const int64_t dstExt[3], const int64_t shift[3], cudaStream_t stream);

/// y[n][k][s] += bias[k] for y of [n, k, planeSize], computed in float32 and rounded once into y's type.
cudaError_t addChannelBias(void* y, ScalarKind yKind, const void* bias, ScalarKind biasKind, int64_t n,
                           int64_t k, int64_t planeSize, cudaStream_t stream);

}  // namespace kiln::cuda::convk
