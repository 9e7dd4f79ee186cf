// Window copy and per-channel bias add for the cuDNN convolution tactics (see conv_layout_kernels.h).
// Both are memory-bound one-pass kernels: a grid-stride loop over the destination, one element per
// thread step, 64-bit index arithmetic so large activations cannot overflow.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>

#include "backends/cuda/kernels/conv/conv_layout_kernels.h"

namespace kiln::cuda::convk {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t{1} << 20;  // grid-stride beyond this; plenty to fill any GPU

int blocksFor(int64_t total) {
    return static_cast<int>(std::min<int64_t>((total + kThreads - 1) / kThreads, kMaxBlocks));
}

struct Window {
    int64_t src[3], dst[3], shift[3];
};

template <typename T>
__global__ void windowCopyKernel(const T* __restrict__ src, T* __restrict__ dst, int64_t total, Window w) {
    const int64_t srcPlane = w.src[0] * w.src[1] * w.src[2];
    for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
         i += int64_t{gridDim.x} * blockDim.x) {
        int64_t r = i;
        const int64_t x2 = r % w.dst[2] - w.shift[2];
        r /= w.dst[2];
        const int64_t x1 = r % w.dst[1] - w.shift[1];
        r /= w.dst[1];
        const int64_t x0 = r % w.dst[0] - w.shift[0];
        const int64_t p = r / w.dst[0];
        const bool inside = x0 >= 0 && x0 < w.src[0] && x1 >= 0 && x1 < w.src[1] && x2 >= 0 && x2 < w.src[2];
        dst[i] = inside ? src[p * srcPlane + (x0 * w.src[1] + x1) * w.src[2] + x2] : T(0);
    }
}

__device__ float toFloat(float v) {
    return v;
}
__device__ float toFloat(__half v) {
    return __half2float(v);
}
__device__ float toFloat(__nv_bfloat16 v) {
    return __bfloat162float(v);
}
template <typename T>
__device__ T fromFloat(float v);
template <>
__device__ float fromFloat<float>(float v) {
    return v;
}
template <>
__device__ __half fromFloat<__half>(float v) {
    return __float2half_rn(v);
}
template <>
__device__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
    return __float2bfloat16_rn(v);
}

template <typename T, typename B>
__global__ void addChannelBiasKernel(T* __restrict__ y, const B* __restrict__ bias, int64_t total, int64_t k,
                                     int64_t planeSize) {
    for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
         i += int64_t{gridDim.x} * blockDim.x) {
        const int64_t channel = (i / planeSize) % k;
        y[i] = fromFloat<T>(toFloat(y[i]) + toFloat(bias[channel]));
    }
}

template <typename T>
cudaError_t addBiasAs(T* y, const void* bias, ScalarKind biasKind, int64_t total, int64_t k,
                      int64_t planeSize, cudaStream_t stream) {
    const int blocks = blocksFor(total);
    switch (biasKind) {
        case ScalarKind::kF32:
            addChannelBiasKernel<<<blocks, kThreads, 0, stream>>>(y, static_cast<const float*>(bias), total,
                                                                  k, planeSize);
            break;
        case ScalarKind::kF16:
            addChannelBiasKernel<<<blocks, kThreads, 0, stream>>>(y, static_cast<const __half*>(bias), total,
                                                                  k, planeSize);
            break;
        case ScalarKind::kBF16:
            addChannelBiasKernel<<<blocks, kThreads, 0, stream>>>(y, static_cast<const __nv_bfloat16*>(bias),
                                                                  total, k, planeSize);
            break;
    }
    return cudaGetLastError();
}

}  // namespace

cudaError_t windowCopy(const void* src, void* dst, int64_t elemSize, int64_t planes, const int64_t srcExt[3],
                       const int64_t dstExt[3], const int64_t shift[3], cudaStream_t stream) {
    Window w{};
    for (int i = 0; i < 3; ++i) {
        w.src[i] = srcExt[i];
        w.dst[i] = dstExt[i];
        w.shift[i] = shift[i];
    }
    const int64_t total = planes * dstExt[0] * dstExt[1] * dstExt[2];
    if (total <= 0) return cudaSuccess;
    if (elemSize == 4) {
        windowCopyKernel<<<blocksFor(total), kThreads, 0, stream>>>(static_cast<const uint32_t*>(src),
                                                                    static_cast<uint32_t*>(dst), total, w);
    } else if (elemSize == 2) {
        windowCopyKernel<<<blocksFor(total), kThreads, 0, stream>>>(static_cast<const uint16_t*>(src),
                                                                    static_cast<uint16_t*>(dst), total, w);
    } else {
        return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
}

cudaError_t addChannelBias(void* y, ScalarKind yKind, const void* bias, ScalarKind biasKind, int64_t n,
                           int64_t k, int64_t planeSize, cudaStream_t stream) {
    const int64_t total = n * k * planeSize;
    if (total <= 0) return cudaSuccess;
    switch (yKind) {
        case ScalarKind::kF32:
            return addBiasAs(static_cast<float*>(y), bias, biasKind, total, k, planeSize, stream);
        case ScalarKind::kF16:
            return addBiasAs(static_cast<__half*>(y), bias, biasKind, total, k, planeSize, stream);
        case ScalarKind::kBF16:
            return addBiasAs(static_cast<__nv_bfloat16*>(y), bias, biasKind, total, k, planeSize, stream);
    }
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::convk
