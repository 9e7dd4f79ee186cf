// CPU tests of the CUDA kernels' index arithmetic: backends/cuda/kernels/common/indexing.cuh (broadcast and
// transpose Indexers, divMod) and movement/{sample,gather}_offsets.cuh (Slice/Padding sampling, Gather).
// That code is __host__ __device__, so the very functions the kernels call run here, without a GPU, in CI.
// The oracle is the reference kernel fed a data tensor that holds its own element offsets (int64 iota):
// its output then lists the offset every output element reads, which the device index code must
// reproduce exactly. The kernels around this arithmetic are tested on a GPU by tests/gpu/cuda_*_test.cc.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <algorithm>
#include <numeric>
#include <random>

#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/movement/gather_offsets.cuh"
#include "backends/cuda/kernels/movement/sample_offsets.cuh"
#include "backends/reference/movement_common.h"
#include "support/index_replay.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using testing::iota;
using testing::runRef;
using testing::valueAt;

TEST(CudaIndexMath, DivModTakesBothPaths) {
    const int64_t values[] = {0,
                              1,
                              7,
                              (int64_t{1} << 31) + 5,
                              (int64_t{1} << 32) - 1,
                              int64_t{1} << 32,
                              (int64_t{1} << 40) + 12345,
                              INT64_MAX};
    const int64_t divisors[] = {1, 3, 97, (int64_t{1} << 32) - 1, int64_t{1} << 32, (int64_t{1} << 33) + 7};
    for (int64_t a : values)
        for (int64_t b : divisors) {
            int64_t r = -1;
            const int64_t q = cuda::divMod(a, b, &r);
            EXPECT_EQ(q, a / b) << a << " / " << b;
            EXPECT_EQ(r, a % b) << a << " % " << b;
        }
}

TEST(CudaIndexMath, BroadcastIndexerMatchesReferenceElementWise) {
    const std::pair<Dims, Dims> pairs[] = {
        {makeDims({3, 7, 5}), makeDims({3, 7, 5})},
        {makeDims({1, 7, 1}), makeDims({3, 1, 5})},
        {makeDims({3, 7, 5}), makeDims({5})},
        {makeDims({}), makeDims({3, 7, 5})},
        {makeDims({2, 3, 1, 5, 7}), makeDims({3, 5, 1})},
        {makeDims({97}), makeDims({1})},
        {makeDims({2, 1, 3, 1, 2, 1, 3, 2}), makeDims({1, 5, 3, 1, 1, 4, 1, 2})},  // rank 8
        {makeDims({7, 1, 1, 5}), makeDims({7, 3, 2, 5})},  // merges the two broadcast dims of a
    };
    ir::ElementWiseAttrs sum;
    for (const auto& [sa, sb] : pairs) {
        const std::string what = toString(sa) + " with " + toString(sb);
        // a = iota, b = 0 gives a's offsets; and the other way round.
        const HostTensor offA = runRef(sum, {iota(sa), HostTensor(DataType::kINT64, sb)});
        const HostTensor offB = runRef(sum, {HostTensor(DataType::kINT64, sa), iota(sb)});
        auto ix = cuda::makeBroadcastIndexer<2>(offA.shape, {sa, sb}, "test");
        ASSERT_TRUE(ix.isOk()) << what << ": " << ix.status().message();
        for (int64_t i = 0; i < offA.numel(); ++i) {
            int64_t off[2];
            ix->offsets(i, off);
            ASSERT_EQ(off[0], valueAt(offA, i)) << what << ", output " << i << ", input 0";
            ASSERT_EQ(off[1], valueAt(offB, i)) << what << ", output " << i << ", input 1";
        }
    }
    // The fast paths: a same-shape pair needs no index arithmetic, nor does a scalar operand.
    auto same =
        cuda::makeBroadcastIndexer<2>(makeDims({3, 7, 5}), {makeDims({3, 7, 5}), makeDims({})}, "test");
    ASSERT_TRUE(same.isOk());
    EXPECT_FALSE(same->general);
    EXPECT_TRUE(same->direct[0]);
    EXPECT_FALSE(same->direct[1]);
    auto bad = cuda::makeBroadcastIndexer<2>(makeDims({3, 7}), {makeDims({3, 7}), makeDims({6})},
                                             "ElementWise kernel");
    ASSERT_FALSE(bad.isOk());
    EXPECT_NE(bad.status().message().find("input 1 shape [6] does not broadcast to the output shape [3,7]"),
              std::string::npos)
        << bad.status().message();
}

TEST(CudaIndexMath, TransposeIndexerMatchesReferenceShuffle) {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 60; ++trial) {
        const int rank = 1 + trial % kMAX_DIMS;
        Dims s;
        s.nbDims = rank;
        for (int d = 0; d < rank; ++d) s.d[d] = 1 + static_cast<int64_t>(rng() % (rank > 5 ? 3 : 5));
        Permutation p{};
        std::shuffle(p.order, p.order + rank, rng);
        ir::ShuffleAttrs a;
        a.firstTranspose = p;
        const HostTensor want = runRef(a, {iota(s)});
        const cuda::Indexer<1> ix = cuda::makeTransposeIndexer(s, p);
        std::string perm;
        for (int d = 0; d < rank; ++d) perm += std::to_string(p.order[d]) + " ";
        for (int64_t i = 0; i < want.numel(); ++i) {
            int64_t off[1];
            ix.offsets(i, off);
            ASSERT_EQ(off[0], valueAt(want, i))
                << "transpose of " << toString(s) << " by " << perm << ", output " << i;
        }
    }
}

TEST(CudaIndexMath, SampleCoordinateMatchesReference) {
    for (SampleMode m : {SampleMode::kSTRICT_BOUNDS, SampleMode::kWRAP, SampleMode::kCLAMP, SampleMode::kFILL,
                         SampleMode::kREFLECT})
        for (int64_t n = 0; n <= 7; ++n)
            for (int64_t x = -40; x <= 40; ++x) {
                const int64_t want = reference::sampleCoordinate(m, x, n);
                // The reference's fill / out-of-bounds answers are all -1 on the device (the host rejects
                // the out-of-bounds ones before launching).
                EXPECT_EQ(cuda::sampleCoordinate(m, x, n), want >= 0 ? want : -1)
                    << "mode " << static_cast<int>(m) << ", x " << x << ", extent " << n;
            }
}

TEST(CudaIndexMath, SampleOffsetMatchesReferenceSlice) {
    struct Case {
        Dims in, start, size, stride;
    };
    const Case cases[] = {
        {makeDims({7, 11, 5}), makeDims({1, 2, 0}), makeDims({3, 4, 5}), makeDims({2, 2, 1})},
        {makeDims({7, 11, 5}), makeDims({6, 10, 4}), makeDims({4, 4, 5}), makeDims({-2, -3, -1})},
        {makeDims({7, 11, 5}), makeDims({-3, 9, -2}), makeDims({9, 6, 8}), makeDims({2, -3, 1})},
        {makeDims({7, 11, 5}), makeDims({-20, 0, 13}), makeDims({3, 11, 2}), makeDims({7, 1, 0})},
        {makeDims({1, 4}), makeDims({-2, -9}), makeDims({5, 20}), makeDims({1, 3})},
        {makeDims({97}), makeDims({-50}), makeDims({300}), makeDims({1})},
    };
    const HostTensor fill = HostTensor::fromVector(DataType::kINT64, makeDims({}), std::vector<int64_t>{-1});
    for (SampleMode m : {SampleMode::kWRAP, SampleMode::kCLAMP, SampleMode::kFILL, SampleMode::kREFLECT})
        for (const Case& c : cases) {
            ir::SliceAttrs a;
            a.start = c.start;
            a.size = c.size;
            a.stride = c.stride;
            a.mode = m;
            std::vector<HostTensor> in{iota(c.in)};
            if (m == SampleMode::kFILL)
                in.insert(in.end(), {HostTensor::absent(), HostTensor::absent(), HostTensor::absent(), fill});
            const HostTensor want = runRef(a, in);
            const cuda::SampleParams p = cuda::makeSampleParams(c.in, want.shape, c.start.d, c.stride.d, m);
            const std::string what = "mode " + std::to_string(static_cast<int>(m)) + " input " +
                                     toString(c.in) + " start " + toString(c.start) + " stride " +
                                     toString(c.stride);
            for (int64_t i = 0; i < want.numel(); ++i)
                ASSERT_EQ(cuda::sampleOffset(p, i), valueAt(want, i)) << what << ", output " << i;
        }
}

TEST(CudaIndexMath, GatherOffsetMatchesReferenceGather) {
    struct Case {
        GatherMode mode;
        Dims data, indices;
        int axis, batch;
    };
    const Case cases[] = {
        {GatherMode::kDEFAULT, makeDims({5, 7, 3}), makeDims({4, 2}), 0, 0},
        {GatherMode::kDEFAULT, makeDims({5, 7, 3}), makeDims({4, 2}), 1, 0},
        {GatherMode::kDEFAULT, makeDims({5, 7, 3}), makeDims({}), -1, 0},
        {GatherMode::kDEFAULT, makeDims({3, 7, 5}), makeDims({3, 4}), 1, 1},
        {GatherMode::kDEFAULT, makeDims({2, 3, 7, 5}), makeDims({2, 3, 4, 2}), 2, 2},
        {GatherMode::kELEMENT, makeDims({5, 7, 3}), makeDims({5, 4, 3}), 1, 0},
        {GatherMode::kELEMENT, makeDims({5, 7, 3}), makeDims({2, 7, 3}), 0, 0},
        {GatherMode::kND, makeDims({5, 7, 3}), makeDims({4, 2}), 0, 0},
        {GatherMode::kND, makeDims({5, 7, 3}), makeDims({4, 3}), 0, 0},
        {GatherMode::kND, makeDims({3, 7, 5}), makeDims({3, 4, 1}), 0, 1},
        {GatherMode::kND, makeDims({3, 4, 7, 5}), makeDims({3, 4, 2, 2}), 0, 2},
    };
    std::mt19937_64 rng(5);
    for (DataType it : {DataType::kINT32, DataType::kINT64})
        for (const Case& c : cases) {
            ir::GatherAttrs a;
            a.mode = c.mode;
            a.axis = c.axis;
            a.nbElementWiseDims = c.batch;
            const int axis = c.axis < 0 ? c.axis + c.data.nbDims : c.axis;
            const int64_t k = c.mode == GatherMode::kND ? c.indices.d[c.indices.nbDims - 1] : 1;
            HostTensor idx(it, c.indices);
            for (int64_t p = 0; p < idx.numel(); ++p) {
                const int64_t n = c.mode == GatherMode::kND ? c.data.d[c.batch + p % k] : c.data.d[axis];
                idx.setInt(p,
                           static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * n)) - n);  // negatives too
            }
            const HostTensor data = iota(c.data);
            const HostTensor want = runRef(a, {data, idx});
            auto p = cuda::makeGatherParams(a, data.ref(), idx.ref(), want.ref());
            const std::string what = "mode " + std::to_string(static_cast<int>(c.mode)) + " data " +
                                     toString(c.data) + " indices " + dataTypeName(it) + toString(c.indices) +
                                     " axis " + std::to_string(c.axis) + " batch " + std::to_string(c.batch);
            ASSERT_TRUE(p.isOk()) << what << ": " << p.status().message();
            for (int64_t i = 0; i < want.numel(); ++i)
                ASSERT_EQ(cuda::gatherOffset(*p, i), valueAt(want, i)) << what << ", output " << i;
        }
}

TEST(CudaIndexMath, GatherOffsetFlagsOutOfRangeIndices) {
    const HostTensor data = iota(makeDims({4, 3}));
    const HostTensor idx =
        HostTensor::fromVector(DataType::kINT64, makeDims({4}), std::vector<int64_t>{1, 4, -5, -4});
    const HostTensor out(DataType::kINT64, makeDims({4, 3}));
    auto p = cuda::makeGatherParams(ir::GatherAttrs{}, data.ref(), idx.ref(), out.ref());
    ASSERT_TRUE(p.isOk()) << p.status().message();
    const int64_t want[] = {3, 4, 5, -1, -1, -1, -1, -1, -1, 0, 1, 2};  // 4 and -5 are outside [-4, 4)
    for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(cuda::gatherOffset(*p, i), want[i]) << "output " << i;
    ir::GatherAttrs nd;
    nd.mode = GatherMode::kND;
    auto bad = cuda::makeGatherParams(nd, data.ref(), HostTensor(DataType::kINT64, makeDims({2, 3})).ref(),
                                      out.ref());
    ASSERT_FALSE(bad.isOk());
    EXPECT_NE(bad.status().message().find("kND index tuples of length 3 do not fit data [4,3]"),
              std::string::npos)
        << bad.status().message();
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaIndexMath, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
