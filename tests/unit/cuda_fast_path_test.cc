// CPU tests of the host-side choices behind the CUDA kernels' fast paths: planPointwise (which operands
// vectorize, and how each is walked: direct, scalar, row, column), rowsGrid (the launch shape covers every
// vector), Indexer::offsets32 (the 32-bit index path), and the movement plans of movement/copy_plan.h
// (merged transposes and their path, run copies for Shuffle, Slice, Gather and Concatenation, tiled
// transposes). The kernels' own arithmetic over these plans is replayed here on the host and compared with
// the reference kernels fed a tensor of its own offsets (int64 iota), so a wrong plan fails without a GPU;
// tests/gpu/cuda_fast_path_test.cc runs the kernels themselves against the reference.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <cstring>
#include <numeric>
#include <random>

#include "backends/cuda/kernels/movement/copy_plan.h"
#include "backends/cuda/kernels/pointwise/pointwise_plan.h"
#include "support/index_replay.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using cuda::OperandAccess;

using testing::iota;
using testing::runRef;
using testing::valueAt;

// ---- pointwise -----------------------------------------------------------------------------------------

/// An aligned address (cudaMalloc gives 256 bytes) shifted by `bytes`.
constexpr uintptr_t kAligned = 0x10000;

cuda::PointwisePlan<2> planBinary(const Dims& a, const Dims& b, int64_t bytes, int64_t outBytes,
                                  uintptr_t shiftA = 0, uintptr_t shiftB = 0) {
    Dims out;
    out.nbDims = std::max(a.nbDims, b.nbDims);
    for (int d = 0; d < out.nbDims; ++d) {
        const int ia = d - (out.nbDims - a.nbDims), ib = d - (out.nbDims - b.nbDims);
        out.d[d] = std::max(ia >= 0 ? a.d[ia] : 1, ib >= 0 ? b.d[ib] : 1);
    }
    auto ix = cuda::makeBroadcastIndexer<2>(out, {a, b}, "test");
    EXPECT_TRUE(ix.isOk());
    const cuda::PointwiseLayout<2> layout{
        {kAligned + shiftA, kAligned * 2 + shiftB}, {bytes, bytes}, kAligned * 3, outBytes};
    return cuda::planPointwise(*ix, volume(out), layout);
}

/// Replays the rows kernel's addressing (per access kind) against the broadcast Indexer on every element.
void expectAccessMatchesIndexer(const Dims& a, const Dims& b) {
    const auto p = planBinary(a, b, 2, 2);
    ASSERT_TRUE(p.vectorized) << toString(a) << " with " << toString(b);
    Dims out;
    out.nbDims = std::max(a.nbDims, b.nbDims);
    for (int d = 0; d < out.nbDims; ++d) {
        const int ia = d - (out.nbDims - a.nbDims), ib = d - (out.nbDims - b.nbDims);
        out.d[d] = std::max(ia >= 0 ? a.d[ia] : 1, ib >= 0 ? b.d[ib] : 1);
    }
    auto ix = cuda::makeBroadcastIndexer<2>(out, {a, b}, "test");
    ASSERT_EQ(p.rows * p.cols, volume(out));
    for (int64_t r = 0; r < p.rows; ++r)
        for (int64_t c = 0; c < p.cols; ++c) {
            int64_t want[2];
            ix->offsets(r * p.cols + c, want);
            for (int k = 0; k < 2; ++k) {
                int64_t got = 0;
                switch (p.access[k]) {
                    case OperandAccess::kDirect:
                        got = r * p.cols + c;
                        break;
                    case OperandAccess::kScalar:
                        got = 0;
                        break;
                    case OperandAccess::kRow:
                        got = c;
                        break;
                    case OperandAccess::kColumn:
                        got = r;
                        break;
                }
                ASSERT_EQ(got, want[k]) << toString(a) << " with " << toString(b) << " at (" << r << ", " << c
                                        << "), operand " << k;
            }
        }
}

TEST(CudaFastPath, PointwiseVectorizesSameShapeScalarRowAndColumnOperands) {
    auto same = planBinary(makeDims({37, 264}), makeDims({37, 264}), 2, 2);
    EXPECT_TRUE(same.vectorized);
    EXPECT_EQ(same.vec, 8);  // 16 bytes of float16
    EXPECT_EQ(same.rows, 1);
    EXPECT_EQ(same.cols, 37 * 264);
    EXPECT_EQ(same.access[0], OperandAccess::kDirect);
    EXPECT_EQ(same.access[1], OperandAccess::kDirect);

    auto scalar = planBinary(makeDims({}), makeDims({3, 7, 5}), 4, 4);
    EXPECT_TRUE(scalar.vectorized);  // 105 elements: 26 vectors of 4 and a tail of 1
    EXPECT_EQ(scalar.vec, 4);
    EXPECT_EQ(scalar.access[0], OperandAccess::kScalar);
    EXPECT_EQ(scalar.access[1], OperandAccess::kDirect);

    auto bias = planBinary(makeDims({3, 41, 96}), makeDims({96}), 2, 2);
    EXPECT_TRUE(bias.vectorized);
    EXPECT_EQ(bias.rows, 3 * 41);
    EXPECT_EQ(bias.cols, 96);
    EXPECT_EQ(bias.access[0], OperandAccess::kDirect);
    EXPECT_EQ(bias.access[1], OperandAccess::kRow);

    auto column = planBinary(makeDims({5, 16}), makeDims({5, 1}), 4, 4);
    EXPECT_TRUE(column.vectorized);
    EXPECT_EQ(column.access[1], OperandAccess::kColumn);

    // Both broadcast: a row against a column.
    auto outer = planBinary(makeDims({6, 1}), makeDims({1, 32}), 1, 1);
    EXPECT_TRUE(outer.vectorized);
    EXPECT_EQ(outer.vec, 16);
    EXPECT_FALSE(planBinary(makeDims({6, 1}), makeDims({1, 24}), 1, 1).vectorized);  // 24 % 16 != 0

    // A float comparison: 4-byte inputs, 1-byte outputs, 4 elements per access.
    EXPECT_EQ(planBinary(makeDims({3, 8}), makeDims({8}), 4, 1).vec, 4);
    EXPECT_EQ(planBinary(makeDims({3, 8}), makeDims({8}), 8, 8).vec, 2);  // int64

    for (const auto& [a, b] : std::vector<std::pair<Dims, Dims>>{{makeDims({3, 41, 96}), makeDims({96})},
                                                                 {makeDims({5, 16}), makeDims({5, 1})},
                                                                 {makeDims({6, 1}), makeDims({1, 8})},
                                                                 {makeDims({2, 3, 8}), makeDims({3, 8})},
                                                                 {makeDims({}), makeDims({97})},
                                                                 {makeDims({4, 1, 8}), makeDims({4, 1, 8})},
                                                                 {makeDims({3, 8}), makeDims({8, 1, 1})}})
        expectAccessMatchesIndexer(a, b);
}

TEST(CudaFastPath, PointwiseFallsBackWhenVectorsDoNotFit) {
    // Misaligned by one element: an input, or (shifted the other way) the bias.
    EXPECT_FALSE(planBinary(makeDims({37, 264}), makeDims({37, 264}), 2, 2, 2, 0).vectorized);
    EXPECT_FALSE(planBinary(makeDims({3, 41, 96}), makeDims({96}), 2, 2, 0, 2).vectorized);
    // 8-byte aligned float16 is not 16-byte aligned.
    EXPECT_FALSE(planBinary(makeDims({64}), makeDims({64}), 2, 2, 8, 0).vectorized);
    // A column operand is read one element per row: its alignment does not matter.
    EXPECT_TRUE(planBinary(makeDims({5, 16}), makeDims({5, 1}), 4, 4, 0, 4).vectorized);
    // Rows that are not whole vectors.
    EXPECT_FALSE(planBinary(makeDims({5, 12}), makeDims({12}), 2, 2).vectorized);
    // Broadcasts that stay rank 3 after merging.
    EXPECT_FALSE(planBinary(makeDims({2, 3, 8}), makeDims({2, 1, 8}), 4, 4).vectorized);
    EXPECT_FALSE(planBinary(makeDims({3, 1, 8}), makeDims({3, 5, 1}), 4, 4).vectorized);
    // An odd flat length still vectorizes, with a scalar tail.
    EXPECT_TRUE(planBinary(makeDims({97}), makeDims({97}), 2, 2).vectorized);
    // The indexed fallback uses 32-bit arithmetic below 2^31 elements only.
    EXPECT_TRUE(planBinary(makeDims({5, 12}), makeDims({12}), 2, 2).index32);
    EXPECT_FALSE(planBinary(makeDims({int64_t{1} << 31}), makeDims({1}), 2, 2).index32);
}

TEST(CudaFastPath, RowsGridCoversEveryVectorOnce) {
    for (int64_t rows : {int64_t{1}, int64_t{2}, int64_t{123}, int64_t{4096}, int64_t{1} << 20})
        for (int64_t cols : {int64_t{1}, int64_t{7}, int64_t{96}, int64_t{3072}, int64_t{100003}})
            for (int vec : {1, 4, 8, 16}) {
                const cuda::RowsGrid g = cuda::rowsGrid(rows, cols, vec, 256, 8192);
                const std::string what =
                    std::to_string(rows) + " x " + std::to_string(cols) + " vec " + std::to_string(vec);
                EXPECT_EQ(g.blockX * g.blockY, 256) << what;
                EXPECT_EQ(g.colVectors, cols / vec) << what;
                const int64_t xThreads = g.colVectors + (cols % vec != 0 ? 1 : 0);
                EXPECT_GE(g.gridX * g.blockX, xThreads) << what;
                EXPECT_LT((g.gridX - 1) * g.blockX, xThreads) << what;  // no block entirely idle
                EXPECT_GE(g.gridY, 1) << what;
                EXPECT_LE(g.gridY, 65535) << what;
                EXPECT_LT((g.gridY - 1) * g.blockY, rows) << what;  // no block row entirely idle
            }
}

TEST(CudaFastPath, Offsets32MatchesOffsets) {
    const std::pair<Dims, Dims> pairs[] = {
        {makeDims({3, 7, 5}), makeDims({5})},
        {makeDims({2, 3, 1, 5, 7}), makeDims({3, 5, 1})},
        {makeDims({7, 1, 1, 5}), makeDims({7, 3, 2, 5})},
        {makeDims({}), makeDims({11})},
    };
    for (const auto& [a, b] : pairs) {
        Dims out = a.nbDims >= b.nbDims ? a : b;
        for (int d = 0; d < out.nbDims; ++d) {
            const int ia = d - (out.nbDims - a.nbDims), ib = d - (out.nbDims - b.nbDims);
            out.d[d] = std::max(ia >= 0 ? a.d[ia] : 1, ib >= 0 ? b.d[ib] : 1);
        }
        auto ix = cuda::makeBroadcastIndexer<2>(out, {a, b}, "test");
        ASSERT_TRUE(ix.isOk());
        for (int64_t i = 0; i < volume(out); ++i) {
            int64_t want[2];
            uint32_t got[2];
            ix->offsets(i, want);
            ix->offsets32(static_cast<uint32_t>(i), got);
            ASSERT_EQ(got[0], want[0]) << toString(a) << " with " << toString(b) << ", output " << i;
            ASSERT_EQ(got[1], want[1]) << toString(a) << " with " << toString(b) << ", output " << i;
        }
    }
    EXPECT_TRUE(cuda::fitsIndex32((int64_t{1} << 31) - 1));
    EXPECT_FALSE(cuda::fitsIndex32(int64_t{1} << 31));
}

// ---- movement ------------------------------------------------------------------------------------------

/// Replays runCopyKernel on int64 elements: every row through offsets and offsets32, the index read, the
/// zero run for an index out of range. dst starts at -7 so a row never written shows.
std::vector<int64_t> replayRuns(const cuda::RunCopyPlan& p, const HostTensor& src, int64_t outCount,
                                const std::vector<int64_t>& index = {}, int64_t extent = 0) {
    std::vector<int64_t> dst(static_cast<size_t>(outCount), -7);
    const auto* from = src.bytes.data() + p.srcBaseBytes;
    for (int64_t r = 0; r < p.rows; ++r) {
        int64_t off[3];
        uint32_t off32[3];
        p.rowMap.offsets(r, off);
        p.rowMap.offsets32(static_cast<uint32_t>(r), off32);
        for (int k = 0; k < 3; ++k) EXPECT_EQ(off32[k], static_cast<uint64_t>(off[k])) << "row " << r;
        int64_t read = off[0];
        auto* to = reinterpret_cast<uint8_t*>(dst.data()) + off[1];
        if (!index.empty()) {
            int64_t v = index[static_cast<size_t>(off[2])];
            if (v < -extent || v >= extent) {
                std::memset(to, 0, static_cast<size_t>(p.runBytes));
                continue;
            }
            read += (v < 0 ? v + extent : v) * p.indexStrideBytes;
        }
        std::memcpy(to, from + read, static_cast<size_t>(p.runBytes));
    }
    return dst;
}

void expectSameAs(const std::vector<int64_t>& got, const HostTensor& want, const std::string& what) {
    ASSERT_EQ(static_cast<int64_t>(got.size()), want.numel()) << what;
    for (int64_t i = 0; i < want.numel(); ++i)
        ASSERT_EQ(got[static_cast<size_t>(i)], valueAt(want, i)) << what << ", output " << i;
}

Permutation perm(std::initializer_list<int32_t> order) {
    Permutation p{};
    int i = 0;
    for (int32_t v : order) p.order[i++] = v;
    return p;
}

TEST(CudaFastPath, TransposePlansMergeDimsAndPickThePath) {
    using cuda::TransposePath;
    // The attention head split keeps the innermost dim: runs of 64.
    auto heads = cuda::planTranspose(makeDims({2, 7, 5, 64}), perm({0, 2, 1, 3}));
    EXPECT_EQ(heads.path, TransposePath::kRuns);
    EXPECT_EQ(heads.rank, 4);
    // [B,S,H,D] -> [B,H,D,S] merges H and D: a batched 2-D transpose.
    auto keys = cuda::planTranspose(makeDims({2, 33, 4, 16}), perm({0, 2, 3, 1}));
    EXPECT_EQ(keys.path, TransposePath::kTiled);
    EXPECT_EQ(keys.rank, 3);
    EXPECT_EQ(keys.dims[2], 64);
    EXPECT_EQ(cuda::planTranspose(makeDims({33, 65}), perm({1, 0})).path, TransposePath::kTiled);
    EXPECT_EQ(cuda::planTranspose(makeDims({33, 5}), perm({1, 0})).path, TransposePath::kGather);
    // Only extent-1 dims move: a copy.
    EXPECT_EQ(cuda::planTranspose(makeDims({3, 1, 5}), perm({1, 0, 2})).path, TransposePath::kCopy);
    EXPECT_EQ(cuda::planTranspose(makeDims({3, 4, 5}), perm({0, 1, 2})).path, TransposePath::kCopy);
}

TEST(CudaFastPath, TransposeRunsAndTilesMatchReferenceShuffle) {
    struct Case {
        Dims in;
        Permutation p;
    };
    std::vector<Case> cases = {
        {makeDims({2, 7, 5, 64}), perm({0, 2, 1, 3})},  {makeDims({33, 65}), perm({1, 0})},
        {makeDims({2, 33, 4, 16}), perm({0, 2, 3, 1})}, {makeDims({9, 10, 11}), perm({2, 0, 1})},
        {makeDims({9, 10, 11}), perm({1, 2, 0})},       {makeDims({9, 10, 11}), perm({0, 2, 1})},
        {makeDims({9, 10, 11}), perm({2, 1, 0})},       {makeDims({3, 1, 9, 2, 8}), perm({3, 2, 1, 0, 4})},
        {makeDims({2, 9, 3, 10}), perm({3, 1, 0, 2})},
    };
    std::mt19937 rng(3);
    for (int trial = 0; trial < 40; ++trial) {  // random shapes and permutations of rank 2..6
        const int rank = 2 + trial % 5;
        Dims s;
        s.nbDims = rank;
        for (int d = 0; d < rank; ++d) s.d[d] = 1 + static_cast<int64_t>(rng() % 12);
        Permutation p{};
        for (int d = 0; d < rank; ++d) p.order[d] = d;
        std::shuffle(p.order, p.order + rank, rng);
        cases.push_back({s, p});
    }
    int tiled = 0, runs = 0;
    for (const Case& c : cases) {
        ir::ShuffleAttrs a;
        a.firstTranspose = c.p;
        const HostTensor src = iota(c.in);
        const HostTensor want = runRef(a, {src});
        std::string what = "transpose of " + toString(c.in) + " by";
        for (int d = 0; d < c.in.nbDims; ++d) what += " " + std::to_string(c.p.order[d]);
        const cuda::TransposePlan plan = cuda::planTranspose(c.in, c.p);
        int64_t merged = 1;
        for (int d = 0; d < plan.rank; ++d) merged *= plan.dims[d];
        ASSERT_EQ(merged, volume(c.in)) << what;
        if (plan.path == cuda::TransposePath::kRuns) {
            ++runs;
            expectSameAs(replayRuns(cuda::transposeRuns(plan, 8), src, want.numel()), want, what + " (runs)");
        } else if (plan.path == cuda::TransposePath::kTiled) {
            ++tiled;
            const cuda::TiledTranspose t = cuda::tiledTranspose(plan);
            ASSERT_EQ(t.batch * t.extentA * t.extentB, volume(c.in)) << what;
            std::vector<int64_t> dst(static_cast<size_t>(want.numel()), -7);
            for (int64_t z = 0; z < t.batch; ++z) {
                int64_t off[2];
                t.batchMap.offsets(z, off);
                for (int64_t ia = 0; ia < t.extentA; ++ia)
                    for (int64_t ib = 0; ib < t.extentB; ++ib)
                        dst[static_cast<size_t>(off[1] + ib * t.dstStrideB + ia)] =
                            valueAt(src, off[0] + ia * t.srcStrideA + ib);
            }
            expectSameAs(dst, want, what + " (tiled)");
        } else if (plan.path == cuda::TransposePath::kCopy) {
            expectSameAs(
                std::vector<int64_t>(reinterpret_cast<const int64_t*>(src.bytes.data()),
                                     reinterpret_cast<const int64_t*>(src.bytes.data()) + src.numel()),
                want, what + " (copy)");
        }
    }
    EXPECT_GE(runs, 3);
    EXPECT_GE(tiled, 3);
}

TEST(CudaFastPath, SliceRunsMatchReferenceSlice) {
    struct Case {
        Dims in, start, size;
    };
    const Case cases[] = {
        {makeDims({7, 11, 5}), makeDims({1, 2, 0}), makeDims({3, 4, 5})},        // whole innermost rows
        {makeDims({7, 11, 5}), makeDims({0, 0, 1}), makeDims({7, 11, 3})},       // cut innermost
        {makeDims({7, 11, 5}), makeDims({2, 0, 0}), makeDims({3, 11, 5})},       // one run
        {makeDims({4, 6, 2304}), makeDims({0, 0, 768}), makeDims({4, 6, 768})},  // the c_attn split
        {makeDims({97}), makeDims({3}), makeDims({90})},
        {makeDims({}), makeDims({}), makeDims({})},
    };
    for (const Case& c : cases) {
        ir::SliceAttrs a;
        a.start = c.start;
        a.size = c.size;
        a.stride = c.in;
        for (int d = 0; d < c.in.nbDims; ++d) a.stride.d[d] = 1;
        const HostTensor src = iota(c.in);
        const HostTensor want = runRef(a, {src});
        cuda::RunCopyPlan plan;
        const std::string what = "slice of " + toString(c.in) + " from " + toString(c.start);
        ASSERT_TRUE(cuda::sliceRuns(c.in, want.shape, c.start.d, a.stride.d, 8, &plan)) << what;
        expectSameAs(replayRuns(plan, src, want.numel()), want, what);
    }
    // Strides other than 1 and coordinates outside the input go to the sampler.
    cuda::RunCopyPlan plan;
    const int64_t start[] = {0, 0}, two[] = {1, 2}, one[] = {1, 1}, late[] = {0, 3};
    EXPECT_FALSE(cuda::sliceRuns(makeDims({4, 8}), makeDims({4, 4}), start, two, 4, &plan));
    EXPECT_FALSE(cuda::sliceRuns(makeDims({4, 8}), makeDims({4, 6}), late, one, 4, &plan));
}

TEST(CudaFastPath, GatherRunsMatchReferenceGather) {
    struct Case {
        Dims data, indices;
        int axis;
    };
    const Case cases[] = {
        {makeDims({5, 7, 3}), makeDims({}), 1},      // scalar index: the q/k/v split
        {makeDims({3, 2, 4, 6}), makeDims({1}), 0},  // one-element index
        {makeDims({5, 7, 3}), makeDims({4, 2}), 0},  // embedding lookup
        {makeDims({5, 7, 3}), makeDims({4, 2}), 2},  // innermost axis: runs of one element
    };
    std::mt19937_64 rng(9);
    for (const Case& c : cases) {
        ir::GatherAttrs a;
        a.axis = c.axis;
        const int64_t n = c.data.d[c.axis];
        HostTensor idx(DataType::kINT64, c.indices);
        std::vector<int64_t> values;
        for (int64_t p = 0; p < idx.numel(); ++p) {
            values.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * n)) -
                             n);  // negatives too
            idx.setInt(p, values.back());
        }
        const HostTensor src = iota(c.data);
        const HostTensor want = runRef(a, {src, idx});
        const std::string what = "gather of " + toString(c.data) + " by " + toString(c.indices) +
                                 " on axis " + std::to_string(c.axis);
        const cuda::RunCopyPlan plan = cuda::gatherRuns(c.data, c.axis, idx.numel(), 8);
        expectSameAs(replayRuns(plan, src, want.numel(), values, n), want, what);
    }
    // An index out of range writes a zero run (the device cannot report it).
    const cuda::RunCopyPlan plan = cuda::gatherRuns(makeDims({4, 3}), 0, 2, 8);
    const std::vector<int64_t> got = replayRuns(plan, iota(makeDims({4, 3})), 6, {4, -1}, 4);
    EXPECT_EQ(got, (std::vector<int64_t>{0, 0, 0, 9, 10, 11}));
}

TEST(CudaFastPath, RunCopyWordDividesSizesStridesAndAddresses) {
    const int64_t src[] = {96}, dst[] = {160};
    const cuda::RunCopyPlan p = cuda::makeRunCopy(makeDims({3}), src, dst, nullptr, 96);
    EXPECT_EQ(cuda::runCopyWord(p, kAligned, kAligned), 16);
    EXPECT_EQ(cuda::runCopyWord(p, kAligned + 4, kAligned), 4);
    EXPECT_EQ(cuda::runCopyWord(p, kAligned, kAligned + 1), 1);
    const int64_t odd[] = {90};
    EXPECT_EQ(cuda::runCopyWord(cuda::makeRunCopy(makeDims({3}), odd, dst, nullptr, 90), kAligned, kAligned),
              2);
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaFastPath, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
