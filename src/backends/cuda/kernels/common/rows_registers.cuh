// Device side of the register-rows kernels (plan in rows_plan.h): the mapping of a block's threads onto
// rows, chunk loads and stores between storage types and float registers (16-byte pieces when a chunk
// is a vector), and the all-reduction among the threads of one row. Every loop over rows is uniform
// across the block (rows past the end still run, masked), so the full-mask shuffles and the block
// barriers always see every thread.
#pragma once

#include <type_traits>

#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/common/rows_plan.h"

namespace kiln::cuda::rk {

template <typename U, int N>
struct alignas(sizeof(U) * N) Pack {
    U v[N];
};

/// Elements of U per memory access when a chunk holds N of them: the chunk, or 16 bytes of it.
template <typename U, int N>
struct PieceOf {
    static constexpr int kElems = static_cast<int>(16 / sizeof(U)) < N ? static_cast<int>(16 / sizeof(U)) : N;
    static_assert(N % kElems == 0, "a chunk is whole pieces");
};

/// Loads the N elements at p (aligned to min(N * sizeof(U), 16) bytes) into out as float.
template <int N, typename U>
__device__ __forceinline__ void loadChunk(const U* __restrict__ p, float* out) {
    constexpr int kP = PieceOf<U, N>::kElems;
#pragma unroll
    for (int i = 0; i < N; i += kP) {
        const Pack<U, kP> piece = *reinterpret_cast<const Pack<U, kP>*>(p + i);
#pragma unroll
        for (int j = 0; j < kP; ++j) out[i + j] = toFloat(piece.v[j]);
    }
}

/// Stores in[0..N) at p (aligned as for loadChunk), rounding each value once.
template <int N, typename U>
__device__ __forceinline__ void storeChunk(U* __restrict__ p, const float* in) {
    constexpr int kP = PieceOf<U, N>::kElems;
#pragma unroll
    for (int i = 0; i < N; i += kP) {
        Pack<U, kP> piece;
#pragma unroll
        for (int j = 0; j < kP; ++j) piece.v[j] = fromFloat<U>(in[i + j]);
        *reinterpret_cast<Pack<U, kP>*>(p + i) = piece;
    }
}

/// Launch bounds of a kernel holding n floats of a row per thread: rowsPlan gives blocks above
/// kRowsWarpThreads threads only to n <= kMaxBlockRowRegisters, which fits 64 registers a thread.
template <int N>
struct RowsBounds {
    static constexpr int kThreads = N <= kMaxBlockRowRegisters ? 1024 : kRowsWarpThreads;
};

/// This thread's place: lane `lane` of row group `group`, one of `groups` groups of the block. With
/// lanes <= 32 the groups are aligned power-of-two slices of warps; above, the block is one group.
struct RowLanes {
    int lanes;
    int lane;
    int group;
    int groups;
};

__device__ __forceinline__ RowLanes rowLanes(int lanes) {
    if (lanes > 32) return {lanes, static_cast<int>(threadIdx.x), 0, 1};
    return {lanes, static_cast<int>(threadIdx.x) & (lanes - 1), static_cast<int>(threadIdx.x) / lanes,
            static_cast<int>(blockDim.x) / lanes};
}

/// All-reduction among the threads of a row. Every thread of the block must call it (lanes is the same
/// for all: a kernel argument); `scratch` holds 32 floats of shared memory.
template <typename Combine>
__device__ __forceinline__ float rowAllReduce(float v, Combine combine, int lanes, float* scratch) {
    if (lanes > 32) return blockAllReduce(v, combine, scratch);
    // xor masks below `lanes` stay inside the aligned group of `lanes` lanes.
    for (int mask = lanes >> 1; mask > 0; mask >>= 1) v = combine(v, __shfl_xor_sync(0xffffffffu, v, mask));
    return v;
}

// ---- host dispatch onto the compiled chunk shapes ------------------------------------------------------

template <int Vec, int K, typename F>
cudaError_t callIfFits(F& f) {
    if constexpr (Vec * K <= kMaxRowRegisters)
        return f(std::integral_constant<int, Vec>{}, std::integral_constant<int, K>{});
    else
        return cudaErrorInvalidValue;
}

template <int Vec, typename F>
cudaError_t withChunkCount(int k, F& f) {
    switch (k) {  // the values of kChunkCounts
        case 1:
            return callIfFits<Vec, 1>(f);
        case 2:
            return callIfFits<Vec, 2>(f);
        case 3:
            return callIfFits<Vec, 3>(f);
        case 4:
            return callIfFits<Vec, 4>(f);
        case 6:
            return callIfFits<Vec, 6>(f);
        case 8:
            return callIfFits<Vec, 8>(f);
        case 16:
            return callIfFits<Vec, 16>(f);
        case 32:
            return callIfFits<Vec, 32>(f);
        default:
            break;
    }
    return cudaErrorInvalidValue;
}

/// Calls f(integral_constant vec, integral_constant chunksPerThread) for plan p of rows of T: the
/// kernels exist for single elements and for 16 bytes of T.
template <typename T, typename F>
cudaError_t withRowsShape(const RowsPlan& p, F&& f) {
    constexpr int kVector = static_cast<int>(16 / sizeof(T));
    if (p.vec == 1) return withChunkCount<1>(p.chunksPerThread, f);
    if (p.vec == kVector) return withChunkCount<kVector>(p.chunksPerThread, f);
    return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::rk
