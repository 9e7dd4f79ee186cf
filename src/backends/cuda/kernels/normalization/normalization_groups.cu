// Normalization (layer, instance and group norm: TensorRT's INormalizationLayer) with one warp per
// statistics group when the group holds at most kWarpGroupLimit elements (layer norm over a hidden size),
// else one block per group (instance / group norm over large images). Per group, in float: the mean,
// then the population variance as the mean of squared deviations (two passes, no cancellation), then
// y = (x - mean) / sqrt(var + eps) * scale + bias. x is re-read from global memory by each pass; the
// passes are close together, so the re-reads mostly hit L1/L2. scale and bias are read through their own
// (broadcast) strides in whatever float type they have. The LayerNorm form that fits in registers runs
// normalization_rows.cu instead (planNormRows decides); this kernel serves every other form.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/normalization/normalization_launch.h"

namespace kiln::cuda::rk {
namespace {

constexpr int64_t kWarpGroupLimit = 2048;
constexpr int kWarpBlockThreads = 256;

struct Offsets {
    int64_t x, scale, bias;
};

/// Offsets of row-major position `pos` over `n` dims for the three operands; the outermost dim needs no
/// modulo, so a single (merged) dim costs no division.
__device__ __forceinline__ Offsets offsetsOf(int64_t pos, int32_t n, const int64_t* extent,
                                             const int64_t (*stride)[kMaxNormDims]) {
    Offsets o{0, 0, 0};
    for (int32_t i = n - 1; i > 0; --i) {
        const int64_t q = pos / extent[i];
        const int64_t idx = pos - q * extent[i];
        o.x += idx * stride[0][i];
        o.scale += idx * stride[1][i];
        o.bias += idx * stride[2][i];
        pos = q;
    }
    if (n > 0) {
        o.x += pos * stride[0][0];
        o.scale += pos * stride[1][0];
        o.bias += pos * stride[2][0];
    }
    return o;
}

__device__ __forceinline__ float addF(float a, float b) {
    return a + b;
}

/// Normalizes group `group` with `lanes` threads starting at `lane`; `reduce` all-reduces a float sum
/// over those threads.
template <typename T, typename Reduce>
__device__ __forceinline__ void normalizeGroup(const T* __restrict__ x, T* __restrict__ y,
                                               ValueType scaleType, const void* scale, ValueType biasType,
                                               const void* bias, const NormGeometry& g, float epsilon,
                                               int64_t group, int lane, int lanes, Reduce reduce) {
    const Offsets base = offsetsOf(group, g.nbKept, g.keptExtent, g.keptStride);
    const float inv = 1.0f / static_cast<float>(g.count);
    float sum = 0.0f;
    for (int64_t r = lane; r < g.count; r += lanes)
        sum += toFloat(x[base.x + offsetsOf(r, g.nbReduced, g.reducedExtent, g.reducedStride).x]);
    const float mean = reduce(sum) * inv;
    float sq = 0.0f;
    for (int64_t r = lane; r < g.count; r += lanes) {
        const float d =
            toFloat(x[base.x + offsetsOf(r, g.nbReduced, g.reducedExtent, g.reducedStride).x]) - mean;
        sq += d * d;
    }
    const float invStd = 1.0f / sqrtf(reduce(sq) * inv + epsilon);
    for (int64_t r = lane; r < g.count; r += lanes) {
        const Offsets o = offsetsOf(r, g.nbReduced, g.reducedExtent, g.reducedStride);
        const float xhat = (toFloat(x[base.x + o.x]) - mean) * invStd;
        const float v = xhat * loadFloat(scaleType, scale, base.scale + o.scale) +
                        loadFloat(biasType, bias, base.bias + o.bias);
        y[base.x + o.x] = fromFloat<T>(v);
    }
}

template <typename T>
__global__ void __launch_bounds__(512)
    normalizationKernel(const T* __restrict__ x, T* __restrict__ y, ValueType scaleType, const void* scale,
                        ValueType biasType, const void* bias, NormGeometry g, float epsilon,
                        bool warpPerGroup) {
    __shared__ float scratch[32];
    if (warpPerGroup) {
        const int64_t warpsPerBlock = blockDim.x >> 5;
        const auto reduce = [](float v) { return warpAllReduce(v, addF); };
        for (int64_t group = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); group < g.nbGroups;
             group += static_cast<int64_t>(gridDim.x) * warpsPerBlock)
            normalizeGroup(x, y, scaleType, scale, biasType, bias, g, epsilon, group, threadIdx.x & 31, 32,
                           reduce);
        return;
    }
    float* shared = scratch;
    const auto reduce = [shared](float v) { return blockAllReduce(v, addF, shared); };
    for (int64_t group = blockIdx.x; group < g.nbGroups; group += gridDim.x)  // uniform per block
        normalizeGroup(x, y, scaleType, scale, biasType, bias, g, epsilon, group, threadIdx.x, blockDim.x,
                       reduce);
}

template <typename T>
cudaError_t launchTyped(const void* x, void* y, ValueType scaleType, const void* scale, ValueType biasType,
                        const void* bias, const NormGeometry& g, float epsilon, cudaStream_t stream) {
    const bool warpPerGroup = g.count <= kWarpGroupLimit;
    const int threads = warpPerGroup ? kWarpBlockThreads : 512;
    const unsigned blocks =
        warpPerGroup ? gridFor(g.nbGroups, kWarpBlockThreads / 32) : gridFor(g.nbGroups, 1);
    normalizationKernel<T><<<blocks, threads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y),
                                                           scaleType, scale, biasType, bias, g, epsilon,
                                                           warpPerGroup);
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchNormalization(ValueType type, const void* x, void* y, ValueType scaleType,
                                const void* scale, ValueType biasType, const void* bias,
                                const NormGeometry& g, float epsilon, cudaStream_t stream) {
    if (g.nbGroups <= 0 || g.count <= 0) return cudaSuccess;
    return withFloatValueType(type, [&](auto tag) {
        return launchTyped<decltype(tag)>(x, y, scaleType, scale, biasType, bias, g, epsilon, stream);
    });
}

}  // namespace kiln::cuda::rk
