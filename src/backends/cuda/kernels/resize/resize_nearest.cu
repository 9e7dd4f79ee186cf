// Resize, nearest: one thread per output element; each resized axis maps the output index to a source
// coordinate, rounds it by the nearest mode and clamps it into the input; the element is copied as a
// 1/2/4/8-byte word, so every type is bit-exact. tf_crop_and_resize points outside the input take the
// extrapolation value (converted to the element type on the host).
#include "backends/cuda/kernels/resize/resize_coords.cuh"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 256;

template <typename W>
__global__ void resizeNearestKernel(const W* __restrict__ x, W* __restrict__ y, int64_t numel,
                                    ResizeParams p) {
    for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < numel;
         e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        int64_t rest = e, src = 0;
        bool extrapolated = false;
        for (int d = p.rank - 1; d >= 0; --d) {
            const ResizeAxis a = axisParams(p, d);
            const int64_t c = rest % a.out;
            rest /= a.out;
            const int64_t j = nearestSource(p, a, c);
            extrapolated = extrapolated || j < 0;
            src += j * p.inStrides[d];
        }
        W fill;
        memcpy(&fill, &p.extrapolationBits, sizeof(W));  // the low bytes: little-endian
        y[e] = extrapolated ? fill : x[src];
    }
}

template <typename W>
cudaError_t launchWords(const void* x, void* y, int64_t numel, const ResizeParams& p, cudaStream_t stream) {
    resizeNearestKernel<W><<<gridFor(numel, kThreads), kThreads, 0, stream>>>(static_cast<const W*>(x),
                                                                              static_cast<W*>(y), numel, p);
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchResizeNearest(int64_t elementSize, const void* x, void* y, int64_t numel,
                                const ResizeParams& p, cudaStream_t stream) {
    if (numel <= 0) return cudaSuccess;
    switch (elementSize) {
        case 1:
            return launchWords<uint8_t>(x, y, numel, p, stream);
        case 2:
            return launchWords<uint16_t>(x, y, numel, p, stream);
        case 4:
            return launchWords<uint32_t>(x, y, numel, p, stream);
        case 8:
            return launchWords<uint64_t>(x, y, numel, p, stream);
        default:
            break;
    }
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::rk
