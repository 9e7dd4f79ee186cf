// Gather in its three modes: the ONNX specification's worked examples (Gather, GatherElements, GatherND)
// written out by hand, every DataType and index type against nested-loop references written here,
// negative axes and indices, and error messages (including an out-of-range index named by value).
#include <gtest/gtest.h>

#include <random>

#include "ops/movement_test_util.h"

namespace kiln {
namespace {

using testing::allDataTypes;
using testing::failsWith;
using testing::nearValues;
using testing::randomOfType;
using testing::runSingleOp;
using testing::sameBytes;

ir::GatherAttrs gatherAttrs(GatherMode mode, int axis, int nbElementWiseDims = 0) {
    ir::GatherAttrs a;
    a.mode = mode;
    a.axis = axis;
    a.nbElementWiseDims = nbElementWiseDims;
    return a;
}

HostTensor floats(Dims s, std::vector<double> v) {
    return HostTensor::fromVector(DataType::kFLOAT, s, v);
}
HostTensor ints(DataType t, Dims s, std::vector<int64_t> v) {
    return HostTensor::fromVector(t, s, v);
}

/// Random indices in [-extent, extent) (negative ones exercise the wrap).
HostTensor randomIndices(DataType t, Dims s, int64_t extent, uint64_t seed) {
    return HostTensor::random(t, s, seed, static_cast<double>(-extent), static_cast<double>(extent - 1));
}

int64_t wrapIndex(int64_t v, int64_t n) {
    return v < 0 ? v + n : v;
}

/// numpy.take along axis with b leading batch dims, as explicit loops: batch x outer x index x inner.
HostTensor takeReference(const HostTensor& data, const HostTensor& idx, int axis, int b) {
    const Dims& ds = data.shape;
    const Dims& is = idx.shape;
    int64_t batch = 1, outer = 1, inner = 1, perBatch = 1;
    for (int i = 0; i < b; ++i) batch *= ds.d[i];
    for (int i = b; i < axis; ++i) outer *= ds.d[i];
    for (int i = axis + 1; i < ds.nbDims; ++i) inner *= ds.d[i];
    for (int i = b; i < is.nbDims; ++i) perBatch *= is.d[i];
    Dims out;
    out.nbDims = 0;
    for (int i = 0; i < axis; ++i) out.d[out.nbDims++] = ds.d[i];
    for (int i = b; i < is.nbDims; ++i) out.d[out.nbDims++] = is.d[i];
    for (int i = axis + 1; i < ds.nbDims; ++i) out.d[out.nbDims++] = ds.d[i];
    HostTensor result(data.type, out);
    const int64_t n = ds.d[axis];
    int64_t o = 0;
    for (int64_t bb = 0; bb < batch; ++bb)
        for (int64_t x = 0; x < outer; ++x)
            for (int64_t j = 0; j < perBatch; ++j) {
                const int64_t k = wrapIndex(idx.atInt(bb * perBatch + j), n);
                for (int64_t y = 0; y < inner; ++y)
                    testing::copyElement(result, o++, data, ((bb * outer + x) * n + k) * inner + y);
            }
    return result;
}

TEST(GatherOp, DefaultOnnxExamples) {
    // ONNX Gather, axis 0.
    auto data = floats(makeDims({3, 2}), {1.0, 1.2, 2.3, 3.4, 4.5, 5.7});
    auto idx = ints(DataType::kINT64, makeDims({2, 2}), {0, 1, 1, 2});
    auto r = runSingleOp(gatherAttrs(GatherMode::kDEFAULT, 0), {data, idx});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(
        nearValues(r.value()[0], makeDims({2, 2, 2}), {1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7}, 1e-6));
    // ONNX Gather, axis 1.
    auto data2 = floats(makeDims({3, 3}), {1.0, 1.2, 1.9, 2.3, 3.4, 3.9, 4.5, 5.7, 5.9});
    auto idx2 = ints(DataType::kINT32, makeDims({1, 2}), {0, 2});
    auto r2 = runSingleOp(gatherAttrs(GatherMode::kDEFAULT, 1), {data2, idx2});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(nearValues(r2.value()[0], makeDims({3, 1, 2}), {1.0, 1.9, 2.3, 3.9, 4.5, 5.9}, 1e-6));
    // Negative axis and indices; scalar indices drop the axis.
    auto v = ints(DataType::kINT32, makeDims({3}), {10, 20, 30});
    auto r3 = runSingleOp(gatherAttrs(GatherMode::kDEFAULT, -1),
                          {v, ints(DataType::kINT64, makeDims({2}), {-1, 0})});
    ASSERT_TRUE(r3.isOk()) << r3.status().message();
    EXPECT_TRUE(nearValues(r3.value()[0], makeDims({2}), {30, 10}, 0.0));
    auto r4 = runSingleOp(gatherAttrs(GatherMode::kDEFAULT, 0), {data, ints(DataType::kINT32, Dims{}, {2})});
    ASSERT_TRUE(r4.isOk()) << r4.status().message();
    EXPECT_TRUE(nearValues(r4.value()[0], makeDims({2}), {4.5, 5.7}, 1e-6));
    // One batch dim: row i takes its own indices.
    auto d5 = ints(DataType::kINT32, makeDims({2, 3}), {1, 2, 3, 4, 5, 6});
    auto r5 = runSingleOp(gatherAttrs(GatherMode::kDEFAULT, 1, 1),
                          {d5, ints(DataType::kINT32, makeDims({2, 2}), {2, 0, 1, 1})});
    ASSERT_TRUE(r5.isOk()) << r5.status().message();
    EXPECT_TRUE(nearValues(r5.value()[0], makeDims({2, 2}), {3, 1, 5, 5}, 0.0));
}

TEST(GatherOp, DefaultEveryTypeEveryAxisMatchesReference) {
    const Dims ds = makeDims({3, 1, 7, 5});
    uint64_t seed = 1;
    for (DataType t : allDataTypes()) {
        for (DataType it : {DataType::kINT32, DataType::kINT64}) {
            for (int axis = -4; axis < 4; ++axis) {
                const int ax = axis < 0 ? axis + 4 : axis;
                HostTensor data = randomOfType(t, ds, seed++);
                HostTensor idx = randomIndices(it, makeDims({2, 3}), ds.d[ax], seed++);
                auto r = runSingleOp(gatherAttrs(GatherMode::kDEFAULT, axis), {data, idx});
                const std::string params = std::string(dataTypeName(t)) + " indices " + dataTypeName(it) +
                                           " axis " + std::to_string(axis);
                ASSERT_TRUE(r.isOk()) << params << ": " << r.status().message();
                EXPECT_TRUE(sameBytes(r.value()[0], takeReference(data, idx, ax, 0))) << params;
            }
        }
        // Batch dims: data [3,4,7,5], indices [3,4,2], axis 2, two batch dims.
        HostTensor data = randomOfType(t, makeDims({3, 4, 7, 5}), seed++);
        HostTensor idx = randomIndices(DataType::kINT64, makeDims({3, 4, 2}), 7, seed++);
        auto r = runSingleOp(gatherAttrs(GatherMode::kDEFAULT, 2, 2), {data, idx});
        ASSERT_TRUE(r.isOk()) << dataTypeName(t) << " batch: " << r.status().message();
        EXPECT_EQ(r.value()[0].shape, makeDims({3, 4, 2, 5}));
        EXPECT_TRUE(sameBytes(r.value()[0], takeReference(data, idx, 2, 2)))
            << dataTypeName(t) << " batch dims 2";
    }
}

TEST(GatherOp, ElementOnnxExamples) {
    auto d = floats(makeDims({2, 2}), {1, 2, 3, 4});
    auto r = runSingleOp(gatherAttrs(GatherMode::kELEMENT, 1),
                         {d, ints(DataType::kINT64, makeDims({2, 2}), {0, 0, 1, 0})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({2, 2}), {1, 1, 4, 3}, 0.0));
    auto d2 = floats(makeDims({3, 3}), {1, 2, 3, 4, 5, 6, 7, 8, 9});
    auto i2 = ints(DataType::kINT32, makeDims({2, 3}), {1, 2, 0, 2, 0, 0});
    auto r2 = runSingleOp(gatherAttrs(GatherMode::kELEMENT, 0), {d2, i2});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(nearValues(r2.value()[0], makeDims({2, 3}), {4, 8, 3, 7, 2, 3}, 0.0));
    // Negative indices wrap: -1 is the last row.
    auto i3 = ints(DataType::kINT32, makeDims({1, 3}), {-1, -3, -2});
    auto r3 = runSingleOp(gatherAttrs(GatherMode::kELEMENT, -2), {d2, i3});
    ASSERT_TRUE(r3.isOk()) << r3.status().message();
    EXPECT_TRUE(nearValues(r3.value()[0], makeDims({1, 3}), {7, 2, 6}, 0.0));
}

TEST(GatherOp, ElementEveryTypeMatchesReference) {
    const Dims ds = makeDims({3, 2, 7, 5});
    const Dims is = makeDims({2, 2, 4, 5});  // smaller than data off the axis, as ONNX allows
    uint64_t seed = 40;
    for (DataType t : allDataTypes()) {
        for (int axis : {0, 2, -1}) {
            const int ax = axis < 0 ? axis + 4 : axis;
            HostTensor data = randomOfType(t, ds, seed++);
            HostTensor idx = randomIndices(t == DataType::kHALF ? DataType::kINT64 : DataType::kINT32, is,
                                           ds.d[ax], seed++);
            auto r = runSingleOp(gatherAttrs(GatherMode::kELEMENT, axis), {data, idx});
            const std::string params = std::string(dataTypeName(t)) + " axis " + std::to_string(axis);
            ASSERT_TRUE(r.isOk()) << params << ": " << r.status().message();
            HostTensor want(t, is);
            std::vector<int64_t> c(4, 0);
            int64_t p = 0;
            do {
                std::vector<int64_t> src = c;
                src[static_cast<size_t>(ax)] = wrapIndex(idx.atInt(p), ds.d[ax]);
                testing::copyElement(want, p++, data, testing::flatOf(src, ds));
            } while (testing::nextCoords(c, is));
            EXPECT_TRUE(sameBytes(r.value()[0], want)) << params;
        }
    }
}

TEST(GatherOp, NdOnnxExamples) {
    auto d = ints(DataType::kINT32, makeDims({2, 2}), {0, 1, 2, 3});
    auto r = runSingleOp(gatherAttrs(GatherMode::kND, 0),
                         {d, ints(DataType::kINT64, makeDims({2, 2}), {0, 0, 1, 1})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({2}), {0, 3}, 0.0));
    auto r2 =
        runSingleOp(gatherAttrs(GatherMode::kND, 0), {d, ints(DataType::kINT64, makeDims({2, 1}), {1, 0})});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(nearValues(r2.value()[0], makeDims({2, 2}), {2, 3, 0, 1}, 0.0));
    auto d3 = ints(DataType::kINT32, makeDims({2, 2, 2}), {0, 1, 2, 3, 4, 5, 6, 7});
    auto r3 = runSingleOp(gatherAttrs(GatherMode::kND, 0, 1),
                          {d3, ints(DataType::kINT32, makeDims({2, 1}), {1, 0})});
    ASSERT_TRUE(r3.isOk()) << r3.status().message();
    EXPECT_TRUE(nearValues(r3.value()[0], makeDims({2, 2}), {2, 3, 4, 5}, 0.0));
    auto r4 = runSingleOp(gatherAttrs(GatherMode::kND, 0),
                          {d3, ints(DataType::kINT32, makeDims({1, 3}), {-1, 0, -1})});
    ASSERT_TRUE(r4.isOk()) << r4.status().message();
    EXPECT_TRUE(nearValues(r4.value()[0], makeDims({1}), {5}, 0.0));
}

TEST(GatherOp, NdEveryTypeMatchesReference) {
    const Dims ds = makeDims({3, 4, 7, 5});
    struct Case {
        int b;
        Dims is;  // last extent = tuple length k
    };
    const std::vector<Case> cases = {{0, makeDims({2, 3, 1})},
                                     {0, makeDims({5, 3})},
                                     {1, makeDims({3, 2, 2})},
                                     {2, makeDims({3, 4, 1})},
                                     {1, makeDims({3, 3})}};
    uint64_t seed = 70;
    for (DataType t : allDataTypes()) {
        for (const auto& c : cases) {
            HostTensor data = randomOfType(t, ds, seed++);
            const int q = c.is.nbDims;
            const int64_t k = c.is.d[q - 1];
            HostTensor idx(DataType::kINT64, c.is);
            std::mt19937_64 rng(seed++);
            for (int64_t p = 0; p < idx.numel(); ++p) {
                const int64_t n = ds.d[c.b + p % k];
                idx.setInt(p, std::uniform_int_distribution<int64_t>(-n, n - 1)(rng));
            }
            auto r = runSingleOp(gatherAttrs(GatherMode::kND, 0, c.b), {data, idx});
            const std::string params =
                std::string(dataTypeName(t)) + " batch " + std::to_string(c.b) + " indices " + toString(c.is);
            ASSERT_TRUE(r.isOk()) << params << ": " << r.status().message();
            // Reference: per batch, per index tuple, copy the contiguous slice data[batch, tuple..., :].
            int64_t batch = 1, tuplesPerBatch = 1, slice = 1;
            for (int i = 0; i < c.b; ++i) batch *= ds.d[i];
            for (int i = c.b; i < q - 1; ++i) tuplesPerBatch *= c.is.d[i];
            for (int i = c.b + static_cast<int>(k); i < ds.nbDims; ++i) slice *= ds.d[i];
            int64_t perBatchData = 1;
            for (int i = c.b; i < ds.nbDims; ++i) perBatchData *= ds.d[i];
            HostTensor want(t, r.value()[0].shape);
            int64_t o = 0;
            for (int64_t bb = 0; bb < batch; ++bb)
                for (int64_t j = 0; j < tuplesPerBatch; ++j) {
                    int64_t off = 0;
                    for (int64_t m = 0; m < k; ++m) {
                        const int64_t n = ds.d[c.b + m];
                        off = off * n + wrapIndex(idx.atInt((bb * tuplesPerBatch + j) * k + m), n);
                    }
                    for (int64_t y = 0; y < slice; ++y)
                        testing::copyElement(want, o++, data, bb * perBatchData + off * slice + y);
                }
            EXPECT_EQ(o, want.numel()) << params;
            EXPECT_TRUE(sameBytes(r.value()[0], want)) << params;
        }
    }
}

TEST(MovementLarge, GatherSplitsAcrossThreads) {
    HostTensor data = randomOfType(DataType::kBF16, makeDims({300, 257}), 9);
    HostTensor idx = randomIndices(DataType::kINT32, makeDims({513}), 300, 10);
    auto r = runSingleOp(gatherAttrs(GatherMode::kDEFAULT, 0), {data, idx});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(sameBytes(r.value()[0], takeReference(data, idx, 0, 0)));
}

TEST(GatherOp, InferenceWithUnknownDims) {
    std::vector<ir::TensorDesc> in(2), out(1);
    in[0].type = DataType::kBF16;
    in[0].shape = makeDims({-1, 4, 6});
    in[1].type = DataType::kINT32;
    in[1].shape = makeDims({-1, 2});
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(gatherAttrs(GatherMode::kDEFAULT, 1), ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, -1, 2, 6}));
    EXPECT_EQ(out[0].type, DataType::kBF16);
    ASSERT_TRUE(ir::inferNode(gatherAttrs(GatherMode::kND, 0), ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, 6}));
    in[1].shape = makeDims({3, -1});
    Status st = ir::inferNode(gatherAttrs(GatherMode::kND, 0), ctx);
    EXPECT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("unknown last dimension"), std::string::npos) << st.message();
}

TEST(GatherOp, Errors) {
    auto data = floats(makeDims({3, 4}), std::vector<double>(12, 1.0));
    auto bad = ints(DataType::kINT32, makeDims({2, 2}), {0, 1, 2, 7});
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kDEFAULT, 1), {data, bad},
                          {"index 7", "position 3", "axis 1", "[3,4]", "extent 4", "-4..3"}));
    auto badNeg = ints(DataType::kINT64, makeDims({1}), {-5});
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kDEFAULT, 1), {data, badNeg}, {"index -5", "extent 4"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kELEMENT, 0),
                          {data, ints(DataType::kINT32, makeDims({1, 4}), {0, 3, 1, 2})},
                          {"index 3", "position 1", "axis 0", "extent 3"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kND, 0),
                          {data, ints(DataType::kINT32, makeDims({1, 2}), {2, 4})},
                          {"index 4", "position 1", "axis 1"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kDEFAULT, 0), {data, floats(makeDims({1}), {0})},
                          {"indices must be int32 or int64", "float32"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kDEFAULT, 2), {data, bad}, {"axis 2", "rank 2"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kDEFAULT, -3), {data, bad}, {"axis -3", "rank 2"}));
    EXPECT_TRUE(
        failsWith(gatherAttrs(GatherMode::kDEFAULT, 1, 2), {data, bad}, {"nbElementWiseDims 2", "0..1"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kDEFAULT, 1, 1),
                          {data, ints(DataType::kINT32, makeDims({2, 1}), {0, 0})},
                          {"batch dimension 0", "3 vs 2"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kELEMENT, 0),
                          {data, ints(DataType::kINT32, makeDims({4}), {0, 0, 0, 0})},
                          {"kELEMENT", "data's rank", "[3,4]", "[4]"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kELEMENT, 0),
                          {data, ints(DataType::kINT32, makeDims({1, 5}), {0, 0, 0, 0, 0})},
                          {"exceed data", "dimension 1"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kND, 0),
                          {data, ints(DataType::kINT32, makeDims({1, 3}), {0, 0, 0})},
                          {"tuples of length 3", "must be 1..2"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kND, 0, 1),
                          {data, ints(DataType::kINT32, makeDims({3}), {0, 0, 0})},
                          {"nbElementWiseDims 1", "below the ranks"}));
    EXPECT_TRUE(failsWith(gatherAttrs(GatherMode::kDEFAULT, 0), {floats(Dims{}, {1}), bad}, {"rank >= 1"}));
    EXPECT_TRUE(failsWith(gatherAttrs(static_cast<GatherMode>(5), 0), {data, bad}, {"unknown mode 5"}));
}

}  // namespace
}  // namespace kiln
