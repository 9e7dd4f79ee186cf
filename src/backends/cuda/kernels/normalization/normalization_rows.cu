// Normalization in its LayerNorm form (rows of contiguous elements, scale and bias per element of the
// row) with each row held in registers, planned by planNormRows (normalization_plan.h, over
// common/rows_plan.h). Each thread loads its chunks of a row once (16-byte vectors when the plan allows);
// the row's threads all-reduce the sum for the mean, then the sum of squared deviations from the same
// registers (the two passes of the reference and of the general kernel, normalization_groups.cu, with no
// second read of memory), then y = (x - mean) * (1 / sqrt(var + eps)) * scale + bias is written with
// the same chunking, scale and bias read alongside in their own type (x's or float32). Float
// arithmetic throughout, one rounding on store.
#include "backends/cuda/kernels/common/rows_registers.cuh"
#include "backends/cuda/kernels/normalization/normalization_launch.h"

namespace kiln::cuda::rk {
namespace {

template <typename T, typename P, int Vec, int K>
__global__ void __launch_bounds__(RowsBounds<Vec * K>::kThreads)
    normalizationRowsKernel(const T* __restrict__ x, T* __restrict__ y, const P* __restrict__ scale,
                            const P* __restrict__ bias, int64_t rows, int64_t cols, int64_t scaleRowStride,
                            int64_t biasRowStride, int lanes, float epsilon) {
    __shared__ float scratch[32];
    constexpr int kN = Vec * K;
    const RowLanes rl = rowLanes(lanes);
    const int chunks = static_cast<int>(cols / Vec);  // cols <= kRegisterRowLimit
    const float inv = 1.0f / static_cast<float>(cols);
    const auto add = [](float a, float b) { return a + b; };
    const int64_t step = static_cast<int64_t>(gridDim.x) * rl.groups;
    // `first` is the same for the whole block, so every thread runs every iteration.
    for (int64_t first = static_cast<int64_t>(blockIdx.x) * rl.groups; first < rows; first += step) {
        const int64_t row = first + rl.group;
        const bool live = row < rows;
        const T* xr = x + (live ? row * cols : 0);
        T* yr = y + (live ? row * cols : 0);
        const P* sr = scale + (live ? row * scaleRowStride : 0);
        const P* br = bias + (live ? row * biasRowStride : 0);
        float v[kN];
        float sum = 0.0f;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int c = rl.lane + k * lanes;
            if (live && c < chunks) {
                loadChunk<Vec>(xr + c * Vec, v + k * Vec);
#pragma unroll
                for (int j = 0; j < Vec; ++j) sum += v[k * Vec + j];
            } else {
#pragma unroll
                for (int j = 0; j < Vec; ++j) v[k * Vec + j] = 0.0f;
            }
        }
        const float mean = rowAllReduce(sum, add, lanes, scratch) * inv;
        float sq = 0.0f;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int c = rl.lane + k * lanes;
            if (live && c < chunks) {
#pragma unroll
                for (int j = 0; j < Vec; ++j) {
                    const float d = v[k * Vec + j] - mean;
                    sq += d * d;
                }
            }
        }
        const float invStd = 1.0f / sqrtf(rowAllReduce(sq, add, lanes, scratch) * inv + epsilon);
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int c = rl.lane + k * lanes;
            if (live && c < chunks) {
                float s[Vec], b[Vec];
                loadChunk<Vec>(sr + c * Vec, s);
                loadChunk<Vec>(br + c * Vec, b);
#pragma unroll
                for (int j = 0; j < Vec; ++j) {
                    const float xhat = (v[k * Vec + j] - mean) * invStd;
                    v[k * Vec + j] = xhat * s[j] + b[j];
                }
                storeChunk<Vec>(yr + c * Vec, v + k * Vec);
            }
        }
    }
}

template <typename T, typename P>
cudaError_t launchTyped(const void* x, void* y, const void* scale, const void* bias, const NormRows& r,
                        float epsilon, cudaStream_t stream) {
    auto launch = [&](auto vec, auto k) {
        normalizationRowsKernel<T, P, decltype(vec)::value, decltype(k)::value>
            <<<static_cast<unsigned>(r.plan.blocks), r.plan.threads, 0, stream>>>(
                static_cast<const T*>(x), static_cast<T*>(y), static_cast<const P*>(scale),
                static_cast<const P*>(bias), r.rows, r.cols, r.scaleRowStride, r.biasRowStride, r.plan.lanes,
                epsilon);
        return cudaGetLastError();
    };
    return withRowsShape<T>(r.plan, launch);
}

/// The kernels for x of type T: affine parameters of T or float32 (planNormRows allows no other).
template <typename T>
cudaError_t launchForInput(const void* x, void* y, const void* scale, const void* bias, const NormRows& r,
                           float epsilon, cudaStream_t stream) {
    if (r.affineType == ValueType::kF32) return launchTyped<T, float>(x, y, scale, bias, r, epsilon, stream);
    return launchTyped<T, T>(x, y, scale, bias, r, epsilon, stream);
}

}  // namespace

cudaError_t launchNormalizationRows(ValueType type, const void* x, void* y, const void* scale,
                                    const void* bias, const NormRows& r, float epsilon, cudaStream_t stream) {
    if (r.rows <= 0 || r.cols <= 0) return cudaSuccess;
    if (!r.plan.fast) return cudaErrorInvalidValue;
    switch (type) {
        case ValueType::kF32:
            if (r.affineType != ValueType::kF32) break;
            return launchTyped<float, float>(x, y, scale, bias, r, epsilon, stream);
        case ValueType::kF16:
            if (r.affineType != ValueType::kF32 && r.affineType != ValueType::kF16) break;
            return launchForInput<__half>(x, y, scale, bias, r, epsilon, stream);
        case ValueType::kBF16:
            if (r.affineType != ValueType::kF32 && r.affineType != ValueType::kBF16) break;
            return launchForInput<__nv_bfloat16>(x, y, scale, bias, r, epsilon, stream);
        case ValueType::kFP8:
        case ValueType::kI8:
        case ValueType::kU8:
        case ValueType::kBOOL:
        case ValueType::kI32:
        case ValueType::kI64:
            break;
    }
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::rk
