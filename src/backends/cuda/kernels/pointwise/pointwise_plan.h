// How a pointwise launch (pointwise/map.cuh) walks its operands, decided on the host from the merged
// Indexer, the element sizes and the addresses. The fast path views the output as [rows, cols] and each
// input as direct (laid out like the output), scalar (one value), a row (cols values shared by every row:
// a MatMul bias [N] against [M, N]) or a column (one value per row: [M, 1] against [M, N]); all-direct-or-
// scalar operands are the flat case rows = 1, whose last cols % vec elements form a scalar tail. It moves
// `vec` elements per load and store (16 bytes of the widest element), so it needs every walked pointer
// aligned to its vector and, with several rows, rows that are whole vectors. Anything else, misaligned
// views included, takes the indexed path (Indexer::offsets, 32-bit below 2^31 elements). Plain C++ over
// indexing.cuh, so tests/unit/cuda_index_math_test.cc checks these choices on machines without a GPU.
#pragma once

#include <algorithm>
#include <cstdint>

#include "backends/cuda/kernels/common/indexing.cuh"

namespace kiln::cuda {

enum class OperandAccess : uint8_t { kDirect, kScalar, kRow, kColumn };

/// Elements per vector access when the widest element (input or output) has `maxBytes` bytes.
constexpr int vectorWidth(int64_t maxBytes) {
    return maxBytes >= 16 || maxBytes <= 0 ? 1 : static_cast<int>(16 / maxBytes);
}

/// Addresses and element sizes of one launch's N inputs and its output.
template <int N>
struct PointwiseLayout {
    uintptr_t in[N];
    int64_t inBytes[N];
    uintptr_t out;
    int64_t outBytes;
};

template <int N>
struct PointwisePlan {
    bool vectorized{false};  ///< the rows kernel; otherwise the indexed kernel
    int vec{1};              ///< elements per access in the rows kernel
    bool index32{false};     ///< the indexed kernel may use Indexer::offsets32
    int64_t rows{1};
    int64_t cols{0};
    OperandAccess access[N]{};
};

template <int N>
PointwisePlan<N> planPointwise(const Indexer<N>& ix, int64_t n, const PointwiseLayout<N>& l) {
    PointwisePlan<N> p;
    p.index32 = fitsIndex32(n);
    int64_t maxBytes = l.outBytes;
    for (int k = 0; k < N; ++k) maxBytes = std::max(maxBytes, l.inBytes[k]);
    const int vec = vectorWidth(maxBytes);
    if (n <= 0 || vec < 2) return p;
    if (!ix.general) {
        p.rows = 1;
        p.cols = n;
        for (int k = 0; k < N; ++k)
            p.access[k] = ix.direct[k] ? OperandAccess::kDirect : OperandAccess::kScalar;
    } else {
        // Merged dims leave a bias or per-row broadcast as exactly two dims.
        if (ix.rank != 2) return p;
        p.rows = ix.dims[0];
        p.cols = ix.dims[1];
        for (int k = 0; k < N; ++k) {
            const int64_t s0 = ix.strides[k][0], s1 = ix.strides[k][1];
            if (s0 == p.cols && s1 == 1)
                p.access[k] = OperandAccess::kDirect;
            else if (s0 == 0 && s1 == 0)
                p.access[k] = OperandAccess::kScalar;
            else if (s0 == 0 && s1 == 1)
                p.access[k] = OperandAccess::kRow;
            else if (s0 == 1 && s1 == 0)
                p.access[k] = OperandAccess::kColumn;
            else
                return p;
        }
        if (p.cols % vec != 0) return p;  // rows would start mid-vector
    }
    // The kernel's x dimension counts the vectors of a row (plus one tail thread).
    if (p.cols / vec >= (int64_t{1} << 30)) return p;
    const auto aligned = [&](uintptr_t address, int64_t bytes) {
        return address % (static_cast<uintptr_t>(vec) * static_cast<uintptr_t>(bytes)) == 0;
    };
    if (!aligned(l.out, l.outBytes)) return p;
    for (int k = 0; k < N; ++k) {
        const bool walked = p.access[k] == OperandAccess::kDirect || p.access[k] == OperandAccess::kRow;
        if (walked && !aligned(l.in[k], l.inBytes[k])) return p;
    }
    p.vectorized = true;
    p.vec = vec;
    return p;
}

/// Launch shape of the rows kernel: blocks of blockX x blockY threads (blockX * blockY = `threads`), x over
/// the vectors of a row (plus one thread for a single row's scalar tail), y over rows, each thread looping
/// over rows by gridY * blockY. Narrow rows give several rows to one block instead of idle threads.
struct RowsGrid {
    int blockX{1};
    int blockY{1};
    int64_t gridX{1};
    int64_t gridY{1};
    int64_t colVectors{0};  ///< whole vectors per row
};

inline RowsGrid rowsGrid(int64_t rows, int64_t cols, int vec, int threads, int64_t maxBlocks) {
    RowsGrid g;
    g.colVectors = cols / vec;
    const int64_t xThreads = g.colVectors + (cols % vec != 0 ? 1 : 0);
    while (g.blockX < threads && g.blockX < xThreads) g.blockX *= 2;
    g.blockY = threads / g.blockX;
    g.gridX = (xThreads + g.blockX - 1) / g.blockX;
    const int64_t yBlocks = (rows + g.blockY - 1) / g.blockY;
    g.gridY = std::clamp<int64_t>(std::min(yBlocks, maxBlocks / g.gridX), 1, 65535);
    return g;
}

}  // namespace kiln::cuda
