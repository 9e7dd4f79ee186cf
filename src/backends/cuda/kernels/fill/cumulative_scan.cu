// Cumulative (running sum along one axis, inclusive or exclusive, forward or reversed). When the axis is
// innermost (inner == 1) one block scans a line in chunks of kThreads * kItems elements, each thread
// owning kItems consecutive elements, with a carry between chunks; otherwise one thread walks one
// (outer, inner) line, consecutive threads on consecutive inner positions so loads coalesce. A run-time
// axis (a device tensor) also takes the per-thread walk, each thread reading the axis itself. Floats
// accumulate in float and round once per store; integers in 64-bit two's complement (wrapping like the
// reference's int64 arithmetic, then truncated to the type).
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/fill/fill_launch.h"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 256;
constexpr int kItems = 4;

template <typename T>
struct ScanTraits {
    using Acc = float;
    static __device__ __forceinline__ Acc load(T v) { return toFloat(v); }
    static __device__ __forceinline__ T store(Acc v) { return fromFloat<T>(v); }
};
template <>
struct ScanTraits<int32_t> {
    using Acc = uint64_t;
    static __device__ __forceinline__ Acc load(int32_t v) {
        return static_cast<uint64_t>(static_cast<int64_t>(v));
    }
    static __device__ __forceinline__ int32_t store(Acc v) {
        return static_cast<int32_t>(static_cast<int64_t>(v));
    }
};
template <>
struct ScanTraits<int64_t> {
    using Acc = uint64_t;
    static __device__ __forceinline__ Acc load(int64_t v) { return static_cast<uint64_t>(v); }
    static __device__ __forceinline__ int64_t store(Acc v) { return static_cast<int64_t>(v); }
};

__device__ __forceinline__ float shuffleUp(float v, int d) {
    return __shfl_up_sync(0xffffffffu, v, d);
}
__device__ __forceinline__ uint64_t shuffleUp(uint64_t v, int d) {
    return __shfl_up_sync(0xffffffffu, static_cast<unsigned long long>(v), d);
}

/// Exclusive prefix sum of `v` over the block (blockDim.x == kThreads); `total` gets the block's sum.
template <typename Acc>
__device__ __forceinline__ Acc blockExclusiveScan(Acc v, Acc* warpSums, Acc& total) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    Acc inclusive = v;
#pragma unroll
    for (int d = 1; d < 32; d <<= 1) {
        const Acc up = shuffleUp(inclusive, d);
        if (lane >= d) inclusive += up;
    }
    if (lane == 31) warpSums[warp] = inclusive;
    __syncthreads();
    Acc before = Acc(0);
    total = Acc(0);
    for (int w = 0; w < kThreads / 32; ++w) {
        if (w < warp) before += warpSums[w];
        total += warpSums[w];
    }
    __syncthreads();  // warpSums is rewritten by the next chunk
    // The lane's exclusive prefix is its neighbour's inclusive one (not inclusive - v, which would round).
    const Acc exclusive = shuffleUp(inclusive, 1);
    return lane == 0 ? before : before + exclusive;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    cumulativeRowsKernel(const T* __restrict__ x, T* __restrict__ y, int64_t lines, int64_t n, bool exclusive,
                         bool reverse) {
    using Tr = ScanTraits<T>;
    using Acc = typename Tr::Acc;
    __shared__ Acc warpSums[kThreads / 32];
    constexpr int64_t kChunk = int64_t{kThreads} * kItems;
    for (int64_t line = blockIdx.x; line < lines; line += gridDim.x) {
        const T* in = x + line * n;
        T* out = y + line * n;
        Acc carry = Acc(0);
        for (int64_t chunk = 0; chunk < n; chunk += kChunk) {
            // Thread t owns scan positions chunk + t * kItems + [0, kItems); position s is element
            // n - 1 - s when reversed.
            Acc v[kItems];
            Acc own = Acc(0);
#pragma unroll
            for (int j = 0; j < kItems; ++j) {
                const int64_t s = chunk + threadIdx.x * kItems + j;
                v[j] = s < n ? Tr::load(in[reverse ? n - 1 - s : s]) : Acc(0);
                own += v[j];
            }
            Acc total;
            Acc run = carry + blockExclusiveScan(own, warpSums, total);
#pragma unroll
            for (int j = 0; j < kItems; ++j) {
                const int64_t s = chunk + threadIdx.x * kItems + j;
                if (exclusive) {
                    if (s < n) out[reverse ? n - 1 - s : s] = Tr::store(run);
                    run += v[j];
                } else {
                    run += v[j];
                    if (s < n) out[reverse ? n - 1 - s : s] = Tr::store(run);
                }
            }
            carry += total;
        }
    }
}

template <typename T>
__global__ void cumulativeLinesKernel(const T* __restrict__ x, T* __restrict__ y, CumulativeParams p) {
    using Tr = ScanTraits<T>;
    using Acc = typename Tr::Acc;
    int64_t axis = p.axis;
    if (p.axisDevice) {
        axis = loadInt(p.axisType, p.axisDevice, 0);
        if (axis < -p.rank || axis >= p.rank) return;  // the host cannot see it; see fill_ops.cc
        if (axis < 0) axis += p.rank;
    }
    int64_t outer = 1, inner = 1;
    for (int32_t d = 0; d < p.rank; ++d) {
        if (d < axis) outer *= p.dims[d];
        if (d > axis) inner *= p.dims[d];
    }
    const int64_t n = p.dims[axis];
    if (n == 0) return;
    for (int64_t l = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; l < outer * inner;
         l += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t o = l / inner;
        const int64_t base = o * n * inner + (l - o * inner);
        Acc run = Acc(0);
        for (int64_t t = 0; t < n; ++t) {
            const int64_t pos = base + (p.reverse ? n - 1 - t : t) * inner;
            const Acc v = Tr::load(x[pos]);
            if (!p.exclusive) run += v;
            y[pos] = Tr::store(run);
            if (p.exclusive) run += v;
        }
    }
}

template <typename T>
cudaError_t launchTyped(const void* x, void* y, const CumulativeParams& p, cudaStream_t stream) {
    int64_t numel = 1, minExtent = INT64_MAX;
    for (int32_t d = 0; d < p.rank; ++d) {
        numel *= p.dims[d];
        minExtent = p.dims[d] < minExtent ? p.dims[d] : minExtent;
    }
    if (numel == 0) return cudaSuccess;
    const T* xt = static_cast<const T*>(x);
    T* yt = static_cast<T*>(y);
    int64_t inner = 1;
    for (int32_t d = p.axis + 1; d < p.rank; ++d) inner *= p.dims[d];
    if (!p.axisDevice && inner == 1) {
        const int64_t n = p.dims[p.axis];
        cumulativeRowsKernel<T>
            <<<gridFor(numel / n, 1), kThreads, 0, stream>>>(xt, yt, numel / n, n, p.exclusive, p.reverse);
    } else {
        // With a run-time axis the line count is unknown here; numel / (smallest extent) bounds it.
        const int64_t lines = p.axisDevice ? numel / (minExtent > 0 ? minExtent : 1) : numel / p.dims[p.axis];
        cumulativeLinesKernel<T><<<gridFor(lines, kThreads), kThreads, 0, stream>>>(xt, yt, p);
    }
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchCumulative(ValueType type, const void* x, void* y, const CumulativeParams& p,
                             cudaStream_t stream) {
    return withValueType<float, __half, __nv_bfloat16, int32_t, int64_t>(
        type, [&](auto tag) { return launchTyped<decltype(tag)>(x, y, p, stream); });
}

}  // namespace kiln::cuda::rk
