// TopK, radix-select variant: one 1024-thread block per line, for lines longer than the shared-memory
// sort. (1) Radix selection finds the k-th largest order key 8 bits at a time (4 passes for 32-bit keys,
// 8 for int64), each pass a shared-memory histogram of the next digit among the keys that match the
// digits chosen so far. (2) One ordered pass over the line keeps every key above that threshold and the
// first `need` keys equal to it in index order (block-wide ballot prefix sums keep the order), exactly k
// candidates. (3) The candidates are sorted by (key, index) in shared memory and written out.
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/reduce/topk_common.cuh"

namespace kiln::cuda::rk {
namespace {

constexpr int kRadixThreads = 1024;

template <typename T>
__global__ void __launch_bounds__(kRadixThreads)
    topkRadixKernel(const T* __restrict__ x, T* __restrict__ values, void* __restrict__ indices,
                    bool int64Indices, bool largest, int64_t k, int64_t outer, int64_t extent, int64_t inner,
                    int n2) {
    extern __shared__ uint64_t candKeys[];  // n2 keys, then n2 uint32 indices
    uint32_t* candIdx = reinterpret_cast<uint32_t*>(candKeys + n2);
    __shared__ uint32_t hist[256];
    __shared__ uint32_t warpCounts[2][32];
    __shared__ uint64_t chosenPrefix;
    __shared__ int64_t chosenRemaining;
    constexpr int kBits = TopKKeyBits<T>::kBits;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nbWarps = blockDim.x >> 5;

    for (int64_t l = blockIdx.x; l < outer * inner; l += gridDim.x) {
        const int64_t o = l / inner, in = l - o * inner;
        const T* line = x + o * extent * inner + in;

        // (1) The threshold key, digit by digit from the top; `remaining` = how many of the keys equal
        // to the threshold still belong to the top k.
        uint64_t prefix = 0, mask = 0;
        int64_t remaining = k;
        for (int shift = kBits - 8; shift >= 0; shift -= 8) {
            for (int i = threadIdx.x; i < 256; i += blockDim.x) hist[i] = 0;
            __syncthreads();
            for (int64_t e = threadIdx.x; e < extent; e += blockDim.x) {
                const uint64_t key = orderKey(line[e * inner], largest);
                if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);
            }
            __syncthreads();
            if (threadIdx.x == 0) {
                int64_t above = 0;
                int digit = 255;
                for (; digit > 0; --digit) {
                    if (above + hist[digit] >= remaining) break;
                    above += hist[digit];
                }
                chosenPrefix = prefix | (static_cast<uint64_t>(digit) << shift);
                chosenRemaining = remaining - above;
            }
            __syncthreads();
            prefix = chosenPrefix;
            remaining = chosenRemaining;
            mask |= uint64_t{255} << shift;
        }

        // (2) Ordered compaction: keys above the threshold fill [0, k - remaining), the first `remaining`
        // keys equal to it (lowest indices, as the tie rule wants) fill [k - remaining, k).
        const int64_t nAbove = k - remaining;
        int64_t takenAbove = 0, takenEqual = 0;
        for (int64_t chunk = 0; chunk < extent; chunk += blockDim.x) {
            const int64_t e = chunk + threadIdx.x;
            uint64_t key = 0;
            if (e < extent) key = orderKey(line[e * inner], largest);
            const bool above = e < extent && key > prefix;
            const bool equal = e < extent && key == prefix;
            const unsigned ballotAbove = __ballot_sync(0xffffffffu, above);
            const unsigned ballotEqual = __ballot_sync(0xffffffffu, equal);
            if (lane == 0) {
                warpCounts[0][warp] = __popc(ballotAbove);
                warpCounts[1][warp] = __popc(ballotEqual);
            }
            __syncthreads();
            const unsigned lower = (1u << lane) - 1u;
            int64_t offAbove = __popc(ballotAbove & lower), offEqual = __popc(ballotEqual & lower);
            int64_t totalAbove = 0, totalEqual = 0;
            for (int w = 0; w < nbWarps; ++w) {
                if (w < warp) {
                    offAbove += warpCounts[0][w];
                    offEqual += warpCounts[1][w];
                }
                totalAbove += warpCounts[0][w];
                totalEqual += warpCounts[1][w];
            }
            if (above) {
                candKeys[takenAbove + offAbove] = key;
                candIdx[takenAbove + offAbove] = static_cast<uint32_t>(e);
            }
            if (equal && takenEqual + offEqual < remaining) {
                candKeys[nAbove + takenEqual + offEqual] = key;
                candIdx[nAbove + takenEqual + offEqual] = static_cast<uint32_t>(e);
            }
            takenAbove += totalAbove;
            takenEqual += totalEqual;
            __syncthreads();  // warpCounts is rewritten by the next chunk
        }
        for (int i = static_cast<int>(k) + threadIdx.x; i < n2; i += blockDim.x) {
            candKeys[i] = 0;
            candIdx[i] = kPadIndex;
        }
        __syncthreads();

        // (3) Rank order among the k candidates.
        bitonicSort(candKeys, candIdx, n2);
        writeTopK(candIdx, k, line, inner, values, indices, int64Indices, o * k * inner + in);
        __syncthreads();
    }
}

template <typename T>
cudaError_t launchRadix(const TopKLaunch& p) {
    const int n2 = nextPow2(p.k);
    const size_t shared = static_cast<size_t>(n2) * (sizeof(uint64_t) + sizeof(uint32_t));
    // With the static arrays the block may need more than the default 48 KiB: opt in (a host-side
    // function attribute, not a stream operation, so capture and asynchrony are unaffected). Always the
    // largest size, so that threads launching with different k never lower it under one another.
    constexpr size_t kMaxShared = kTopKSortCapacity * (sizeof(uint64_t) + sizeof(uint32_t));
    cudaError_t err = cudaFuncSetAttribute(topkRadixKernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(kMaxShared));
    if (err != cudaSuccess) return err;
    topkRadixKernel<T><<<gridFor(p.outer * p.inner, 1), kRadixThreads, shared, p.stream>>>(
        static_cast<const T*>(p.x), static_cast<T*>(p.values), p.indices, p.int64Indices, p.largest, p.k,
        p.outer, p.extent, p.inner, n2);
    return cudaGetLastError();
}

}  // namespace

cudaError_t launchTopKRadix(ValueType type, const TopKLaunch& p) {
    return withValueType<float, __half, __nv_bfloat16, int32_t, int64_t>(
        type, [&](auto tag) { return launchRadix<decltype(tag)>(p); });
}

}  // namespace kiln::cuda::rk
