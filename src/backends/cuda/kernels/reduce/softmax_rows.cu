// SoftMax and log-softmax over contiguous rows that fit in registers (the attention case: rows of 128 or
// 197 scores), planned by planSoftMaxRows (common/rows_plan.h). Each thread loads its chunks of a row
// once, the row's threads all-reduce the NaN-propagating max, then the sum of exp(x - max) computed
// from the same registers (each exp once), and the thread writes exp(x - max) / sum or
// x - max - log(sum) from them: one read and one write of memory per element, against the general
// kernel's (softmax_online.cu) second read and second exp. Arithmetic in float as there; a row whose
// max is not finite (NaN, +inf, or nothing but -inf: a fully masked attention row) is NaN throughout,
// as in the reference, whose exp(x - max) is NaN there.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/common/rows_registers.cuh"
#include "backends/cuda/kernels/reduce/reduce_launch.h"

namespace kiln::cuda::rk {
namespace {

template <typename T, int Vec, int K>
__global__ void __launch_bounds__(RowsBounds<Vec * K>::kThreads)
    softmaxRowsRegistersKernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t cols,
                               int lanes, bool log) {
    __shared__ float scratch[32];
    constexpr int kN = Vec * K;
    const RowLanes rl = rowLanes(lanes);
    const int chunks = static_cast<int>(cols / Vec);  // cols <= kRegisterRowLimit
    const int64_t step = static_cast<int64_t>(gridDim.x) * rl.groups;
    // `first` is the same for the whole block, so every thread runs every iteration.
    for (int64_t first = static_cast<int64_t>(blockIdx.x) * rl.groups; first < rows; first += step) {
        const int64_t row = first + rl.group;
        const bool live = row < rows;
        const T* xr = x + (live ? row * cols : 0);
        T* yr = y + (live ? row * cols : 0);
        float v[kN];
        float m = -INFINITY;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int c = rl.lane + k * lanes;
            if (live && c < chunks) {
                loadChunk<Vec>(xr + c * Vec, v + k * Vec);
#pragma unroll
                for (int j = 0; j < Vec; ++j) m = nanMax(m, v[k * Vec + j]);
            } else {
#pragma unroll
                for (int j = 0; j < Vec; ++j) v[k * Vec + j] = 0.0f;
            }
        }
        m = rowAllReduce(
            m, [](float a, float b) { return nanMax(a, b); }, lanes, scratch);
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int c = rl.lane + k * lanes;
            if (live && c < chunks) {
#pragma unroll
                for (int j = 0; j < Vec; ++j) {
                    // x = -inf gives 0 here (m is finite whenever the result is used).
                    const float e = expf(v[k * Vec + j] - m);
                    s += e;
                    if (!log) v[k * Vec + j] = e;
                }
            }
        }
        s = rowAllReduce(
            s, [](float a, float b) { return a + b; }, lanes, scratch);
        const bool finite = isfinite(m);
        const float inv = 1.0f / s, logSum = logf(s);
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int c = rl.lane + k * lanes;
            if (live && c < chunks) {
#pragma unroll
                for (int j = 0; j < Vec; ++j) {
                    float& o = v[k * Vec + j];
                    o = !finite ? __int_as_float(0x7fc00000) : (log ? (o - m) - logSum : o * inv);
                }
                storeChunk<Vec>(yr + c * Vec, v + k * Vec);
            }
        }
    }
}

template <typename T>
cudaError_t launchTyped(bool log, const void* x, void* y, int64_t rows, int64_t cols, const RowsPlan& plan,
                        cudaStream_t stream) {
    auto launch = [&](auto vec, auto k) {
        softmaxRowsRegistersKernel<T, decltype(vec)::value, decltype(k)::value>
            <<<static_cast<unsigned>(plan.blocks), plan.threads, 0, stream>>>(
                static_cast<const T*>(x), static_cast<T*>(y), rows, cols, plan.lanes, log);
        return cudaGetLastError();
    };
    return withRowsShape<T>(plan, launch);
}

}  // namespace

cudaError_t launchSoftMaxRows(ValueType type, bool log, const void* x, void* y, int64_t rows, int64_t cols,
                              const RowsPlan& plan, cudaStream_t stream) {
    if (rows <= 0 || cols <= 0) return cudaSuccess;
    if (!plan.fast) return cudaErrorInvalidValue;
    return withFloatValueType(
        type, [&](auto tag) { return launchTyped<decltype(tag)>(log, x, y, rows, cols, plan, stream); });
}

}  // namespace kiln::cuda::rk
