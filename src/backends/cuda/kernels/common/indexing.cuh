// Index arithmetic shared by the CUDA kernels: 64-bit division that takes the cheap 32-bit path when both
// operands fit, and Indexer<N>, which maps a flat row-major output index to the element offsets of N
// inputs through per-dimension strides (0 where an input broadcasts). The host side builds an Indexer from
// shapes and merges adjacent dimensions that every operand walks contiguously (and drops extent-1 ones),
// so a broadcast such as [3,7,5] + [5] costs two divisions per element rather than three, and a
// same-shape or scalar operand costs none; offsets32 does the same in 32-bit arithmetic for the tensors of
// fewer than 2^31 elements that nearly every model has. Everything here is __host__ __device__ and free of
// kernels and intrinsics, so the CPU unit tests (tests/unit/cuda_index_math_test.cc) run this very code
// against the reference kernels on machines without a GPU.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "backends/cuda/kernels/common/portable.cuh"
#include "common/dims.h"
#include "common/status.h"
#include "kiln/layer_types.h"

namespace kiln::cuda {

constexpr int kMaxRank = kMAX_DIMS;

/// a / b and a % b for non-negative a and positive b; 64-bit division is a long software sequence on the
/// GPU, the 32-bit one a few instructions.
KILN_HD inline int64_t divMod(int64_t a, int64_t b, int64_t* rem) {
    if (((static_cast<uint64_t>(a) | static_cast<uint64_t>(b)) >> 32) == 0) {
        const uint32_t q = static_cast<uint32_t>(a) / static_cast<uint32_t>(b);
        *rem = a - static_cast<int64_t>(q) * b;
        return q;
    }
    const int64_t q = a / b;
    *rem = a - q * b;
    return q;
}

/// Maps a flat output index to N input offsets. Each operand is direct (laid out like the output: offset =
/// output index), scalar (offset 0) or general (strided walk over `dims`).
template <int N>
struct Indexer {
    int rank{0};
    bool general{false};  ///< some operand needs the strided walk
    bool direct[N]{};
    int64_t dims[kMaxRank]{};
    int64_t strides[N][kMaxRank]{};

    KILN_HD void offsets(int64_t i, int64_t (&off)[N]) const {
        if (!general) {
            for (int k = 0; k < N; ++k) off[k] = direct[k] ? i : 0;
            return;
        }
        for (int k = 0; k < N; ++k) off[k] = 0;
        for (int d = rank - 1; d >= 0; --d) {
            int64_t c;
            i = divMod(i, dims[d], &c);
            for (int k = 0; k < N; ++k) off[k] += c * strides[k][d];
        }
    }

    /// offsets() in 32-bit arithmetic: valid when i and every offset are below 2^31 (fitsIndex32), which
    /// holds for any index of an output of fewer than 2^31 elements whose operands are no larger. A few
    /// instructions per dim instead of the 64-bit sequence and its range test.
    KILN_HD void offsets32(uint32_t i, uint32_t (&off)[N]) const {
        if (!general) {
            for (int k = 0; k < N; ++k) off[k] = direct[k] ? i : 0u;
            return;
        }
        for (int k = 0; k < N; ++k) off[k] = 0;
        for (int d = rank - 1; d >= 0; --d) {
            const uint32_t extent = static_cast<uint32_t>(dims[d]);
            const uint32_t q = i / extent;
            const uint32_t c = i - q * extent;
            i = q;
            for (int k = 0; k < N; ++k) off[k] += c * static_cast<uint32_t>(strides[k][d]);
        }
    }
};

/// Whether flat indices of [0, n) and the offsets of operands no larger than n elements fit offsets32.
KILN_HD inline bool fitsIndex32(int64_t n) {
    return n >= 0 && n < (int64_t{1} << 31);
}

/// Builds an Indexer over output dims `out` with strides[k][d] = the stride operand k advances by per step
/// of output dim d (0 where it broadcasts).
template <int N>
Indexer<N> makeIndexer(const Dims& out, const std::array<std::array<int64_t, kMaxRank>, N>& strides) {
    Indexer<N> ix;
    // Drop extent-1 dims, then merge d into its right neighbour when every operand steps contiguously.
    int64_t dims[kMaxRank];
    int64_t st[N][kMaxRank];
    int r = 0;
    for (int d = 0; d < out.nbDims; ++d) {
        if (out.d[d] == 1) continue;
        if (r > 0) {
            bool mergeable = true;
            for (int k = 0; k < N; ++k) mergeable = mergeable && st[k][r - 1] == strides[k][d] * out.d[d];
            if (mergeable) {
                dims[r - 1] *= out.d[d];
                for (int k = 0; k < N; ++k) st[k][r - 1] = strides[k][d];
                continue;
            }
        }
        dims[r] = out.d[d];
        for (int k = 0; k < N; ++k) st[k][r] = strides[k][d];
        ++r;
    }
    ix.rank = r;
    for (int d = 0; d < r; ++d) {
        ix.dims[d] = dims[d];
        for (int k = 0; k < N; ++k) ix.strides[k][d] = st[k][d];
    }
    for (int k = 0; k < N; ++k) {
        // Direct: the operand is laid out like the output (row-major strides of the merged dims).
        bool direct = true, scalar = true;
        int64_t rowMajor = 1;
        for (int d = r - 1; d >= 0; --d) {
            direct = direct && st[k][d] == rowMajor;
            scalar = scalar && st[k][d] == 0;
            rowMajor *= dims[d];
        }
        ix.direct[k] = direct;
        if (!direct && !scalar) ix.general = true;
    }
    return ix;
}

/// Numpy broadcasting of `ins` (ranks aligned at the right) to `out`.
template <int N>
StatusOr<Indexer<N>> makeBroadcastIndexer(const Dims& out, const std::array<Dims, N>& ins,
                                          const char* kernel) {
    std::array<std::array<int64_t, kMaxRank>, N> strides{};
    for (int k = 0; k < N; ++k) {
        const Dims& in = ins[k];
        if (in.nbDims > out.nbDims)
            return internalError(std::string(kernel) + ": input " + std::to_string(k) + " shape " +
                                 toString(in) + " has a higher rank than the output " + toString(out));
        int64_t stride = 1;
        for (int d = out.nbDims - 1; d >= 0; --d) {
            const int id = d - (out.nbDims - in.nbDims);
            const int64_t extent = id >= 0 ? in.d[id] : 1;
            if (extent != out.d[d] && extent != 1)
                return internalError(std::string(kernel) + ": input " + std::to_string(k) + " shape " +
                                     toString(in) + " does not broadcast to the output shape " +
                                     toString(out));
            strides[k][d] = extent == 1 ? 0 : stride;
            stride *= extent;
        }
    }
    return makeIndexer<N>(out, strides);
}

/// The Indexer of dst = transpose(src, perm) (dst dim i is src dim perm[i]): dst flat index -> src offset.
inline Indexer<1> makeTransposeIndexer(const Dims& src, const Permutation& perm) {
    int64_t srcStrides[kMaxRank];
    int64_t stride = 1;
    for (int d = src.nbDims - 1; d >= 0; --d) {
        srcStrides[d] = stride;
        stride *= src.d[d];
    }
    Dims dst;
    dst.nbDims = src.nbDims;
    std::array<std::array<int64_t, kMaxRank>, 1> strides{};
    for (int i = 0; i < src.nbDims; ++i) {
        dst.d[i] = src.d[perm.order[i]];
        strides[0][i] = srcStrides[perm.order[i]];
    }
    return makeIndexer<1>(dst, strides);
}

}  // namespace kiln::cuda
