// Resize, linear and cubic: one thread per output element. For each axis that resizes, the taps (input
// indices, edge indices clamped) and weights around the source coordinate are built as the reference
// builds them: Keys' cubic kernel or the triangle, stretched by 1 / scale with antialias and then
// normalized, taps outside the input dropped and the rest renormalized with excludeOutside, zero-weight
// taps left out (so an inf neighbour cannot make NaN). The output is the sum over the product of the
// axes' taps, which equals the reference's one-axis-at-a-time passes up to rounding; weights are
// computed in double (resize_math.h), the sum in float. A point outside the input under
// tf_crop_and_resize takes the extrapolation value. The fast path for resizing only the last two axes is
// resize_trailing.cu; this kernel serves every other case.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/resize/resize_coords.cuh"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 128;

struct AxisTaps {
    int n;
    int64_t offset[kMaxFilterTaps];
    float weight[kMaxFilterTaps];
};

/// The non-zero taps around source coordinate x on an axis of n points (element stride `stride`), in
/// the order of the shared positional computation (resize_math.h).
__device__ void compactTaps(const ResizeParams& p, double x, int64_t n, double s, int64_t stride,
                            AxisTaps& t) {
    int64_t index[kMaxFilterTaps];
    double weight[kMaxFilterTaps];
    filterTaps<kMaxFilterTaps>(p, x, n, s, index, weight);
    t.n = 0;
    for (int i = 0; i < kMaxFilterTaps; ++i) {
        if (weight[i] == 0.0) continue;
        t.offset[t.n] = index[i] * stride;
        t.weight[t.n++] = static_cast<float>(weight[i]);
    }
}

template <typename T>
__global__ void resizeFilterKernel(const T* __restrict__ x, T* __restrict__ y, int64_t numel,
                                   ResizeParams p) {
    AxisTaps taps[kMaxFilteredAxes];
    for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < numel;
         e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        int64_t rest = e, base = 0;
        int nbFiltered = 0;
        bool extrapolated = false;
        for (int d = p.rank - 1; d >= 0; --d) {
            const ResizeAxis a = axisParams(p, d);
            const int64_t c = rest % a.out;
            rest /= a.out;
            if (a.identity || nbFiltered == kMaxFilteredAxes) {  // the host keeps the second case away
                base += c * p.inStrides[d];
                continue;
            }
            const Source s = sourceCoordinate(p, a, c);
            extrapolated = extrapolated || s.extrapolated;
            if (!extrapolated) compactTaps(p, s.x, a.in, a.filterScale, p.inStrides[d], taps[nbFiltered]);
            ++nbFiltered;
        }
        if (extrapolated) {
            y[e] = fromFloat<T>(p.extrapolation);
            continue;
        }
        // Odometer over the product of the filtered axes' taps.
        int pos[kMaxFilteredAxes] = {0, 0, 0, 0};
        bool empty = false;
        for (int f = 0; f < nbFiltered; ++f) empty = empty || taps[f].n == 0;
        float acc = 0.0f;
        while (!empty) {
            float w = 1.0f;
            int64_t off = base;
            for (int f = 0; f < nbFiltered; ++f) {
                w *= taps[f].weight[pos[f]];
                off += taps[f].offset[pos[f]];
            }
            acc += w * toFloat(x[off]);
            int f = 0;
            for (; f < nbFiltered; ++f) {
                if (++pos[f] < taps[f].n) break;
                pos[f] = 0;
            }
            if (f == nbFiltered) break;
        }
        y[e] = fromFloat<T>(acc);
    }
}

template <typename T>
cudaError_t launchTyped(const void* x, void* y, int64_t numel, const ResizeParams& p, cudaStream_t stream) {
    resizeFilterKernel<T><<<gridFor(numel, kThreads), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                             static_cast<T*>(y), numel, p);
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchResizeFilter(ValueType type, const void* x, void* y, int64_t numel, const ResizeParams& p,
                               cudaStream_t stream) {
    if (numel <= 0) return cudaSuccess;
    return withValueType<float, __half, __nv_bfloat16, __nv_fp8_e4m3>(
        type, [&](auto tag) { return launchTyped<decltype(tag)>(x, y, numel, p, stream); });
}

}  // namespace kiln::cuda::rk
