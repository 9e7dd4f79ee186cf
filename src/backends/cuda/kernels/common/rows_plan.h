// How the register-rows kernels (reduce/softmax_rows.cu, normalization/normalization_rows.cu) cover
// rows of `cols` contiguous elements, decided on the host: each thread loads its share of a row once into
// registers (chunksPerThread chunks of `vec` elements, chunk c of a row going to lane c % lanes), reduces
// with the other `lanes` threads of the row and writes the result from the same registers. Rows of at
// most kRegisterWarpRowLimit elements take a power-of-two group of at most 32 lanes (several rows per warp
// when the row is short), longer ones a whole block. Chunks are 16-byte vectors when every walked operand
// starts each row on a 16-byte boundary and the row is whole vectors, else single elements. Rows longer
// than kRegisterRowLimit, and anything not row-shaped, stay with the general kernels. Plain C++, so
// tests/unit/cuda_rows_plan_test.cc checks these choices on machines without a GPU.
#pragma once

#include <cstdint>

namespace kiln::cuda::rk {

constexpr int64_t kRegisterWarpRowLimit = 1024;       ///< longer rows: one block per row
constexpr int64_t kRegisterRowLimit = 16384;          ///< longer rows: the general kernels
constexpr int kMaxRowRegisters = 32;                  ///< floats of a row held per thread
constexpr int kMaxBlockRowRegisters = 16;             ///< the same with more than kRowsWarpThreads threads
constexpr int kRowsWarpThreads = 256;                 ///< block size when rows share warps
constexpr int64_t kMaxRowsBlocks = int64_t{1} << 20;  ///< grid cap; the kernels loop over the rest

/// One operand a kernel walks row by row: its address, element size and the elements between the
/// starts of consecutive rows (0 for an operand every row shares: a LayerNorm scale).
struct RowsOperand {
    uintptr_t address;
    int64_t bytes;
    int64_t rowStride;
};

struct RowsPlan {
    bool fast{false};        ///< the register-rows kernel; otherwise the general kernel
    int vec{1};              ///< elements per chunk (16 bytes of the row's type, or 1)
    int chunksPerThread{1};  ///< one of kChunkCounts, the kernel's template argument
    int lanes{32};           ///< threads per row: a power of two; above 32, the whole block
    int threads{kRowsWarpThreads};
    int64_t blocks{1};
};

/// The chunk counts the kernels are compiled for (a row takes the smallest that covers it): powers of
/// two plus 3 and 6, so that the hidden size 768 fills its registers in half, bfloat16 and float.
constexpr int kChunkCounts[] = {1, 2, 3, 4, 6, 8, 16, 32};

inline int chunkCountFor(int64_t needed) {
    for (int k : kChunkCounts)
        if (k >= needed) return k;
    return 0;
}

inline int64_t rowsCeilDiv(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

/// Plans `rows` rows of `cols` elements of `elementBytes` bytes (the row type: the kernels' vector width
/// is 16 bytes of it) for the operands in `ops`, each of which must allow the chosen chunks.
inline RowsPlan planRows(int64_t rows, int64_t cols, int64_t elementBytes, const RowsOperand* ops,
                         int nbOps) {
    RowsPlan p;
    if (rows <= 0 || cols <= 0 || cols > kRegisterRowLimit || elementBytes <= 0 || elementBytes > 16)
        return p;
    int vec = static_cast<int>(16 / elementBytes);
    bool aligned = cols % vec == 0;
    for (int i = 0; i < nbOps && aligned; ++i) {
        // A chunk of this operand is vec elements, loaded in pieces of at most 16 bytes.
        const int64_t chunkBytes = vec * ops[i].bytes;
        const int64_t align = chunkBytes < 16 ? chunkBytes : 16;
        aligned = ops[i].address % static_cast<uintptr_t>(align) == 0 &&
                  (ops[i].rowStride * ops[i].bytes) % align == 0;
    }
    if (!aligned) vec = 1;
    const int64_t chunks = cols / vec;
    int64_t lanes = 1, perThread = 0;
    if (cols <= kRegisterWarpRowLimit) {
        while (lanes < 32 && lanes < chunks) lanes *= 2;
        perThread = rowsCeilDiv(chunks, lanes);
        p.threads = kRowsWarpThreads;
        p.blocks = rowsCeilDiv(rows, p.threads / lanes);
    } else {
        // Enough threads that each holds about 8 elements (16 bytes of half): more lanes keep more
        // loads in flight than more registers per lane.
        lanes = 128;
        while (lanes < 1024 && rowsCeilDiv(chunks, lanes) * vec > 8) lanes *= 2;
        perThread = rowsCeilDiv(chunks, lanes);
        p.threads = static_cast<int>(lanes);
        p.blocks = rows;
    }
    const int k = chunkCountFor(perThread);
    // The kernels' launch bounds: 64 registers a thread in blocks above kRowsWarpThreads threads.
    const int limit = p.threads > kRowsWarpThreads ? kMaxBlockRowRegisters : kMaxRowRegisters;
    if (k == 0 || k * vec > limit) return p;
    p.fast = true;
    p.vec = vec;
    p.chunksPerThread = k;
    p.lanes = static_cast<int>(lanes);
    if (p.blocks > kMaxRowsBlocks) p.blocks = kMaxRowsBlocks;
    return p;
}

/// SoftMax over the middle extent of [outer, extent, inner]: rows when inner == 1.
inline RowsPlan planSoftMaxRows(int64_t outer, int64_t extent, int64_t inner, int64_t elementBytes,
                                uintptr_t x, uintptr_t y) {
    if (inner != 1) return RowsPlan{};
    const RowsOperand ops[] = {{x, elementBytes, extent}, {y, elementBytes, extent}};
    return planRows(outer, extent, elementBytes, ops, 2);
}

}  // namespace kiln::cuda::rk
