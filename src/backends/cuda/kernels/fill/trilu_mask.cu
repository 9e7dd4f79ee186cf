// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of every matrix in the last two dims
// and zeroes the rest, one thread per element, elements moved as 1/2/4/8-byte words (zero bytes are the
// value 0 in every type). k comes from the attribute or, read by each thread, from a device tensor.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/fill/fill_launch.h"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 256;

template <typename W>
__global__ void triluKernel(const W* __restrict__ x, W* __restrict__ y, int64_t numel, int64_t rows,
                            int64_t cols, bool upper, int64_t k, const void* kDevice, ValueType kType) {
    if (kDevice) k = loadInt(kType, kDevice, 0);
    for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < numel;
         e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t row = e / cols;
        const int64_t j = e - row * cols, i = row % rows;
        const bool keep = upper ? j - i >= k : j - i <= k;
        y[e] = keep ? x[e] : W(0);
    }
}

template <typename W>
cudaError_t launchWords(const void* x, void* y, int64_t numel, int64_t rows, int64_t cols, bool upper,
                        int64_t k, const void* kDevice, ValueType kType, cudaStream_t stream) {
    triluKernel<W><<<gridFor(numel, kThreads), kThreads, 0, stream>>>(
        static_cast<const W*>(x), static_cast<W*>(y), numel, rows, cols, upper, k, kDevice, kType);
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchTrilu(int64_t elementSize, const void* x, void* y, int64_t numel, int64_t rows,
                        int64_t cols, bool upper, int64_t k, const void* kDevice, ValueType kType,
                        cudaStream_t stream) {
    if (numel <= 0 || rows <= 0 || cols <= 0) return cudaSuccess;
    switch (elementSize) {
        case 1:
            return launchWords<uint8_t>(x, y, numel, rows, cols, upper, k, kDevice, kType, stream);
        case 2:
            return launchWords<uint16_t>(x, y, numel, rows, cols, upper, k, kDevice, kType, stream);
        case 4:
            return launchWords<uint32_t>(x, y, numel, rows, cols, upper, k, kDevice, kType, stream);
        case 8:
            return launchWords<uint64_t>(x, y, numel, rows, cols, upper, k, kDevice, kType, stream);
        default:
            break;
    }
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::rk
