// Pieces shared by the two TopK kernels (topk_bitonic.cu for lines that fit the shared-memory sort,
// topk_radix.cu for longer ones). Every element gets an unsigned order key: larger key = ranks earlier.
// For kMAX the key grows with the value, NaN above +inf (all NaNs equal) and -0 equal to +0; for kMIN the
// key is complemented, so NaN ranks last, as in the reference (NaN is the largest value either way).
// Elements are ordered by (key descending, index ascending), which is the reference's strict order, so
// the GPU result is the same permutation, ties included. Sorting is a bitonic network over (key, index)
// pairs in shared memory; padding slots carry key 0 and the largest index, so they rank after every
// real element.
#pragma once

#include <cstdint>
#include <type_traits>

#include "backends/cuda/kernels/common/reduce_utils.cuh"

namespace kiln::cuda::rk {

/// The shared-memory sort holds this many (key, index) pairs: 4096 x 12 bytes = 48 KiB.
constexpr int kTopKSortCapacity = 4096;
constexpr uint32_t kPadIndex = 0xffffffffu;

template <typename T>
struct TopKKeyBits {
    static constexpr int kBits = 32;
};
template <>
struct TopKKeyBits<int64_t> {
    static constexpr int kBits = 64;
};

__device__ __forceinline__ uint64_t floatKey(float f) {
    if (f != f) return 0xffffffffu;
    if (f == 0.0f) f = 0.0f;  // -0 ties with +0, as `a != b` sees them in the reference
    const uint32_t bits = __float_as_uint(f);
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

template <typename T>
__device__ __forceinline__ uint64_t orderKey(T v, bool largest) {
    uint64_t key;
    if constexpr (sizeof(T) == 8) {
        key = static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
        return largest ? key : ~key;
    } else if constexpr (std::is_same_v<T, int32_t>) {
        key = static_cast<uint32_t>(v) ^ 0x80000000u;
    } else {
        key = floatKey(toFloat(v));
    }
    return largest ? key : (~key & 0xffffffffu);
}

/// True when (ka, ia) ranks before (kb, ib).
__device__ __forceinline__ bool ranksBefore(uint64_t ka, uint32_t ia, uint64_t kb, uint32_t ib) {
    return ka > kb || (ka == kb && ia < ib);
}

/// Sorts n (a power of two) pairs in shared memory into rank order; all threads of the block take part.
__device__ __forceinline__ void bitonicSort(uint64_t* keys, uint32_t* idx, int n) {
    for (int size = 2; size <= n; size <<= 1) {
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            for (int i = threadIdx.x; i < n; i += blockDim.x) {
                const int j = i ^ stride;
                if (j <= i) continue;
                // Segments with (i & size) == 0 end up in rank order, the others reversed, so that each
                // merge step sees a bitonic sequence.
                const bool forward = (i & size) == 0;
                const bool jFirst = ranksBefore(keys[j], idx[j], keys[i], idx[i]);
                const bool iFirst = ranksBefore(keys[i], idx[i], keys[j], idx[j]);
                if (forward ? jFirst : iFirst) {
                    const uint64_t k = keys[i];
                    keys[i] = keys[j];
                    keys[j] = k;
                    const uint32_t t = idx[i];
                    idx[i] = idx[j];
                    idx[j] = t;
                }
            }
            __syncthreads();
        }
    }
}

/// Writes the first k sorted candidates of line (o, in): values copied from the input (so -0 and NaN
/// payloads survive), indices as int32 or int64.
template <typename T>
__device__ __forceinline__ void writeTopK(const uint32_t* idx, int64_t k, const T* line, int64_t inner,
                                          T* values, void* indices, bool int64Indices, int64_t outBase) {
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
        const uint32_t src = idx[j];
        const int64_t dst = outBase + j * inner;
        values[dst] = line[static_cast<int64_t>(src) * inner];
        if (int64Indices)
            static_cast<int64_t*>(indices)[dst] = src;
        else
            static_cast<int32_t*>(indices)[dst] = static_cast<int32_t>(src);
    }
}

inline int nextPow2(int64_t n) {
    int p = 1;
    while (p < n) p <<= 1;
    return p;
}

struct TopKLaunch {
    bool largest;
    int64_t k;
    const void* x;
    void* values;
    void* indices;
    bool int64Indices;
    int64_t outer, extent, inner;
    cudaStream_t stream;
};

/// Lines longer than kTopKSortCapacity: radix selection of the k-th key, then a sort of the k survivors.
cudaError_t launchTopKRadix(ValueType type, const TopKLaunch& p);

}  // namespace kiln::cuda::rk
