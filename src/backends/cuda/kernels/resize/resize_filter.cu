// Resize, linear and cubic: one thread per output element. For each axis that resizes, the taps (input
// indices, edge indices clamped) and weights around the source coordinate are built as the reference
// builds them: Keys' cubic kernel or the triangle, stretched by 1 / scale with antialias and then
// normalized, taps outside the input dropped and the rest renormalized with excludeOutside, zero-weight
// taps left out (so an inf neighbour cannot make NaN). The output is the sum over the product of the
// axes' taps, which equals the reference's one-axis-at-a-time passes up to rounding; weights are
// computed in double, the sum in float. A point outside the input under tf_crop_and_resize takes the
// extrapolation value.
#include "backends/cuda/kernels/resize/resize_coords.cuh"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 128;

struct AxisTaps {
    int n;
    int64_t offset[kMaxFilterTaps];
    float weight[kMaxFilterTaps];
};

__device__ __forceinline__ double cubicKernel(double t, double a) {
    t = fabs(t);
    if (t <= 1.0) return ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
    if (t < 2.0) return ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a;
    return 0.0;
}

__device__ __forceinline__ double linearKernel(double t) {
    t = fabs(t);
    return t < 1.0 ? 1.0 - t : 0.0;
}

/// Taps around source coordinate x on an axis of n points (element stride `stride`).
__device__ void filterTaps(const ResizeParams& p, double x, int64_t n, double s, int64_t stride,
                           AxisTaps& t) {
    const bool linear = p.mode == InterpolationMode::kLINEAR;
    const double radius = linear ? 1.0 : 2.0;
    // base + ratio = x with ratio in (0, 1]: the taps first .. 1 - first sit symmetrically around the
    // cell [base, base + 1].
    double base = floor(x), ratio = x - base;
    if (ratio == 0.0) {
        base -= 1.0;
        ratio = 1.0;
    }
    const int64_t first = static_cast<int64_t>(floor(-radius / s)) + 1;
    double w[kMaxFilterTaps];
    int64_t idx[kMaxFilterTaps];
    int count = 0;
    double sum = 0.0;
    for (int64_t k = first; k <= 1 - first && count < kMaxFilterTaps; ++k) {
        const int64_t j = static_cast<int64_t>(base) + k;
        if (p.excludeOutside && (j < 0 || j >= n)) continue;
        const double d = (static_cast<double>(k) - ratio) * s;
        w[count] = linear ? linearKernel(d) : cubicKernel(d, p.cubicCoeff);
        idx[count] = j < 0 ? 0 : (j > n - 1 ? n - 1 : j);
        sum += w[count++];
    }
    const bool normalize = (p.excludeOutside || s < 1.0) && sum != 0.0;
    t.n = 0;
    for (int i = 0; i < count; ++i) {
        const double wi = normalize ? w[i] / sum : w[i];
        if (wi == 0.0) continue;
        t.offset[t.n] = idx[i] * stride;
        t.weight[t.n++] = static_cast<float>(wi);
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
            if (!extrapolated) filterTaps(p, s.x, a.in, a.filterScale, p.inStrides[d], taps[nbFiltered]);
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
    switch (type) {
        case ValueType::kF32:
            return launchTyped<float>(x, y, numel, p, stream);
        case ValueType::kF16:
            return launchTyped<__half>(x, y, numel, p, stream);
        case ValueType::kBF16:
            return launchTyped<__nv_bfloat16>(x, y, numel, p, stream);
        case ValueType::kFP8:
            return launchTyped<__nv_fp8_e4m3>(x, y, numel, p, stream);
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
