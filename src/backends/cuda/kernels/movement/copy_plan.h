// Host plans of the movement kernels' fast paths (movement/copy_runs.cu), plain C++ so that
// tests/unit/cuda_index_math_test.cc replays them on the CPU against the reference kernels:
//  - RunCopyPlan: `rows` runs of `runBytes` contiguous bytes, row j read at byte offset rowMap(j)[0] of the
//    source and written at rowMap(j)[1] of the destination; operand 2 of rowMap is the position of a device
//    index value (Gather) that moves the read by index * indexStrideBytes. Shuffles that keep the innermost
//    dim, stride-1 in-bounds Slices, Gathers along one axis and Concatenation inputs are all such copies.
//  - TransposePlan: a permutation with its dims merged (extent-1 dims dropped, dims that stay adjacent
//    fused) and the path it takes: a plain copy, runs (the innermost dim stays innermost), a 32x32 tiled
//    transpose of the two innermost dims of source and destination batched over the rest, or the
//    element gather when those dims are too short for tiles.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cuda/kernels/common/indexing.cuh"
#include "common/dims.h"
#include "kiln/layer_types.h"

namespace kiln::cuda {

struct RunCopyPlan {
    int64_t rows{0};
    int64_t runBytes{0};
    int64_t srcBaseBytes{0};  ///< added to the source address (a Slice's start)
    Indexer<3> rowMap;        ///< row -> source byte offset, destination byte offset, index position
    int64_t indexStrideBytes{0};
};

/// Rows of a row-major `outer` block whose every dim d advances the source by srcStrides[d] and the
/// destination by dstStrides[d] bytes (0 for index operand 2 unless given).
inline RunCopyPlan makeRunCopy(const Dims& outer, const int64_t* srcStrides, const int64_t* dstStrides,
                               const int64_t* indexStrides, int64_t runBytes) {
    RunCopyPlan p;
    p.runBytes = runBytes;
    p.rows = volume(outer);
    std::array<std::array<int64_t, kMaxRank>, 3> strides{};
    for (int d = 0; d < outer.nbDims; ++d) {
        strides[0][d] = srcStrides[d];
        strides[1][d] = dstStrides[d];
        strides[2][d] = indexStrides != nullptr ? indexStrides[d] : 0;
    }
    p.rowMap = makeIndexer<3>(outer, strides);
    return p;
}

/// Widest word (<= 16 bytes) that divides the run, every row stride, the index stride and both addresses.
inline int64_t runCopyWord(const RunCopyPlan& p, uintptr_t src, uintptr_t dst) {
    uint64_t all = static_cast<uint64_t>(p.runBytes) | static_cast<uint64_t>(p.indexStrideBytes) | src | dst;
    for (int d = 0; d < p.rowMap.rank; ++d)
        all |= static_cast<uint64_t>(p.rowMap.strides[0][d]) | static_cast<uint64_t>(p.rowMap.strides[1][d]);
    int64_t w = 16;
    while (w > 1 && (all & static_cast<uint64_t>(w - 1)) != 0) w /= 2;
    return w;
}

enum class TransposePath { kCopy, kRuns, kTiled, kGather };

struct TransposePlan {
    TransposePath path{TransposePath::kCopy};
    int rank{0};
    int64_t dims[kMaxRank]{};  ///< merged source dims
    int perm[kMaxRank]{};      ///< destination dim i is merged source dim perm[i]
};

/// Tiles are 32 x 32; below 8 elements along either tiled dim most of a tile would idle.
constexpr int64_t kMinTiledExtent = 8;

inline TransposePlan planTranspose(const Dims& src, const Permutation& perm) {
    // Keep the source dims of extent > 1, renumbered in source order.
    int newIndex[kMaxRank];
    int kept = 0;
    for (int d = 0; d < src.nbDims; ++d) newIndex[d] = src.d[d] == 1 ? -1 : kept++;
    std::vector<int> order;  // destination order over the kept dims
    for (int i = 0; i < src.nbDims; ++i)
        if (newIndex[perm.order[i]] >= 0) order.push_back(newIndex[perm.order[i]]);
    std::vector<int64_t> extent;
    for (int d = 0; d < src.nbDims; ++d)
        if (src.d[d] != 1) extent.push_back(src.d[d]);
    // Fuse destination neighbours that are source neighbours in the same order into groups.
    std::vector<int> groupStart, groupLast;  // per destination group: first and last source dim
    for (int s : order) {
        if (!groupLast.empty() && s == groupLast.back() + 1)
            groupLast.back() = s;
        else {
            groupStart.push_back(s);
            groupLast.push_back(s);
        }
    }
    const int r = static_cast<int>(groupStart.size());
    TransposePlan p;
    p.rank = r;
    // A group's merged source index is its rank among the groups by first source dim.
    for (int g = 0; g < r; ++g) {
        int rankOf = 0;
        for (int h = 0; h < r; ++h) rankOf += groupStart[h] < groupStart[g] ? 1 : 0;
        p.perm[g] = rankOf;
        int64_t e = 1;
        for (int s = groupStart[g]; s <= groupLast[g]; ++s) e *= extent[static_cast<size_t>(s)];
        p.dims[rankOf] = e;
    }
    bool identity = true;
    for (int i = 0; i < r; ++i) identity = identity && p.perm[i] == i;
    if (identity) {
        p.path = TransposePath::kCopy;
    } else if (p.perm[r - 1] == r - 1) {
        p.path = TransposePath::kRuns;
    } else {
        const bool wide = p.dims[r - 1] >= kMinTiledExtent && p.dims[p.perm[r - 1]] >= kMinTiledExtent;
        p.path = wide ? TransposePath::kTiled : TransposePath::kGather;
    }
    return p;
}

/// Source strides (elements) of the merged dims, and the destination stride of each merged source dim.
inline void transposeStrides(const TransposePlan& p, int64_t* srcStrides, int64_t* dstStridesOfSrc) {
    int64_t s = 1;
    for (int d = p.rank - 1; d >= 0; --d) {
        srcStrides[d] = s;
        s *= p.dims[d];
    }
    s = 1;
    for (int i = p.rank - 1; i >= 0; --i) {
        dstStridesOfSrc[p.perm[i]] = s;
        s *= p.dims[p.perm[i]];
    }
}

/// kRuns: one run per destination row (every destination dim but the last), of the innermost dim's bytes.
inline RunCopyPlan transposeRuns(const TransposePlan& p, int64_t elementBytes) {
    int64_t srcStrides[kMaxRank], dstOfSrc[kMaxRank], srcRow[kMaxRank], dstRow[kMaxRank];
    transposeStrides(p, srcStrides, dstOfSrc);
    Dims outer;
    outer.nbDims = p.rank - 1;
    for (int i = 0; i < p.rank - 1; ++i) {
        outer.d[i] = p.dims[p.perm[i]];
        srcRow[i] = srcStrides[p.perm[i]] * elementBytes;
        dstRow[i] = dstOfSrc[p.perm[i]] * elementBytes;
    }
    return makeRunCopy(outer, srcRow, dstRow, nullptr, p.dims[p.rank - 1] * elementBytes);
}

/// kTiled: tiles over source dims a (the destination's innermost) and b (the source's innermost), read
/// along b and written along a; the other dims, in destination order, form the batch.
struct TiledTranspose {
    int64_t extentA{0}, extentB{0};
    int64_t srcStrideA{0};  ///< elements; b has source stride 1
    int64_t dstStrideB{0};  ///< elements; a has destination stride 1
    int64_t batch{1};
    Indexer<2> batchMap;  ///< batch index -> source, destination element offsets
};

inline TiledTranspose tiledTranspose(const TransposePlan& p) {
    int64_t srcStrides[kMaxRank], dstOfSrc[kMaxRank];
    transposeStrides(p, srcStrides, dstOfSrc);
    const int a = p.perm[p.rank - 1], b = p.rank - 1;
    TiledTranspose t;
    t.extentA = p.dims[a];
    t.extentB = p.dims[b];
    t.srcStrideA = srcStrides[a];
    t.dstStrideB = dstOfSrc[b];
    Dims batch;
    batch.nbDims = 0;
    std::array<std::array<int64_t, kMaxRank>, 2> strides{};
    for (int i = 0; i < p.rank; ++i) {
        const int s = p.perm[i];
        if (s == a || s == b) continue;
        batch.d[batch.nbDims] = p.dims[s];
        strides[0][batch.nbDims] = srcStrides[s];
        strides[1][batch.nbDims] = dstOfSrc[s];
        ++batch.nbDims;
    }
    t.batch = volume(batch);
    t.batchMap = makeIndexer<2>(batch, strides);
    return t;
}

/// A stride-1 Slice whose every coordinate is inside the input: runs of the innermost dims that the slice
/// takes whole, plus the last one it cuts. Returns false when some stride is not 1 or a coordinate leaves
/// the input (the sampler handles those).
inline bool sliceRuns(const Dims& in, const Dims& out, const int64_t* start, const int64_t* stride,
                      int64_t elementBytes, RunCopyPlan* plan) {
    const int r = out.nbDims;
    for (int d = 0; d < r; ++d)
        if (stride[d] != 1 || start[d] < 0 || start[d] + out.d[d] > in.d[d]) return false;
    int64_t inStride[kMaxRank], outStride[kMaxRank];
    int64_t s = 1, t = 1;
    for (int d = r - 1; d >= 0; --d) {
        inStride[d] = s * elementBytes;
        outStride[d] = t * elementBytes;
        s *= in.d[d];
        t *= out.d[d];
    }
    // k: the outermost dim of the run; every dim inside it is taken whole.
    int k = r;
    int64_t run = 1;
    while (k > 0) {
        --k;
        run *= out.d[k];
        if (out.d[k] != in.d[k]) break;
    }
    Dims outer;
    outer.nbDims = k;
    for (int d = 0; d < k; ++d) outer.d[d] = out.d[d];
    *plan = makeRunCopy(outer, inStride, outStride, nullptr, r == 0 ? elementBytes : run * elementBytes);
    int64_t base = 0;
    for (int d = 0; d < r; ++d) base += start[d] * inStride[d];
    plan->srcBaseBytes = base;
    return true;
}

/// Gather kDEFAULT without batch dims: out = data[:axis] + indices + data[axis+1:], each output row of
/// `inner` elements copied from data row (outer o, index value at position j).
inline RunCopyPlan gatherRuns(const Dims& data, int axis, int64_t nbIndices, int64_t elementBytes) {
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= data.d[d];
    for (int d = axis + 1; d < data.nbDims; ++d) inner *= data.d[d];
    const int64_t row = inner * elementBytes;
    const Dims dims = makeDims({outer, nbIndices});
    const int64_t src[2] = {data.d[axis] * row, 0};
    const int64_t dst[2] = {nbIndices * row, row};
    const int64_t idx[2] = {0, 1};
    RunCopyPlan p = makeRunCopy(dims, src, dst, idx, row);
    p.indexStrideBytes = row;
    return p;
}

}  // namespace kiln::cuda
