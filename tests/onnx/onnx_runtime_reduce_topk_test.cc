// ONNX Reduce* and TopK whose axes / K are graph inputs (known only at run time): the importer feeds them
// to the layer's input 1 instead of refusing them. Covers keepdims, negative axes, an empty list (all
// axes, or a copy with noop_with_empty_axes), empty reductions of max/min (ONNX's identities, also for
// bool), ReduceLogSum's trailing log, and TopK's smallest-first order, against values computed here.
#include <cmath>
#include <limits>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

HostTensor int64s(const std::vector<int64_t>& v) {
    return HostTensor::fromVector(DataType::kINT64, makeDims({static_cast<int64_t>(v.size())}), v);
}

/// A one-node model: x [dims] and axes (int64, length `nbAxes`) as graph inputs, y the output.
ModelBuilder reduceModel(const char* op, int64_t opset, DataType t, const std::vector<int64_t>& dims,
                         int64_t nbAxes, int64_t keep, int64_t noop = 0) {
    ModelBuilder m(opset);
    m.input("x", t, dims).input("axes", DataType::kINT64, {nbAxes}).output("y", t);
    m.node(op, {"x", "axes"}, {"y"}).i("keepdims", keep).i("noop_with_empty_axes", noop);
    return m;
}

TEST(OnnxRuntimeReduceTopK, ReduceSumAxesFromAGraphInput) {
    // x[i][j][k] = i*12 + j*4 + k + 0.5 over [2,3,4].
    HostTensor x(DataType::kFLOAT, makeDims({2, 3, 4}));
    for (int64_t i = 0; i < 24; ++i) x.set(i, static_cast<double>(i) + 0.5);
    // Axes {-1, 0}, no keepdims: y[j] = sum over i, k of (12i + 4j + k + 0.5) = 8 * 4j + 12*4 + 2*6 + 4.
    ModelBuilder m = reduceModel("ReduceSum", 13, DataType::kFLOAT, {2, 3, 4}, 2, 0);
    std::vector<double> want;
    for (int j = 0; j < 3; ++j) want.push_back(32.0 * j + 48 + 12 + 4);
    expectValues(runOne(m, {{"x", x}, {"axes", int64s({-1, 0})}}), makeDims({3}), want, 1e-6, "axes {-1,0}");
    // The same model with axes {1}, keepdims: y[i][0][k] = 3 * (12i + k + 0.5) + 4 * 3.
    ModelBuilder keep = reduceModel("ReduceSum", 13, DataType::kFLOAT, {2, 3, 4}, 1, 1);
    want.clear();
    for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 4; ++k) want.push_back(3.0 * (12 * i + k + 0.5) + 12);
    expectValues(runOne(keep, {{"x", x}, {"axes", int64s({1})}}), makeDims({2, 1, 4}), want, 1e-6,
                 "axes {1} keepdims");
}

TEST(OnnxRuntimeReduceTopK, EmptyAxesReduceEverythingOrNothing) {
    HostTensor x = floatTensor(makeDims({2, 3}), {1, 2, 3, 4, 5, 6});
    // ReduceLogSum of everything: log(21).
    ModelBuilder all = reduceModel("ReduceLogSum", 18, DataType::kFLOAT, {2, 3}, 0, 0);
    expectValues(runOne(all, {{"x", x}, {"axes", int64s({})}}), makeDims({}), {std::log(21.0)}, 1e-6,
                 "log sum, all");
    ModelBuilder allKeep = reduceModel("ReduceMean", 18, DataType::kFLOAT, {2, 3}, 0, 1);
    expectValues(runOne(allKeep, {{"x", x}, {"axes", int64s({})}}), makeDims({1, 1}), {3.5}, 1e-6,
                 "mean, all, keep");
    ModelBuilder noop = reduceModel("ReduceSumSquare", 18, DataType::kFLOAT, {2, 3}, 0, 0, 1);
    expectValues(runOne(noop, {{"x", x}, {"axes", int64s({})}}), makeDims({2, 3}), x.toDoubles(), 0, "noop");
}

TEST(OnnxRuntimeReduceTopK, EmptyMaxMinGiveTheirIdentities) {
    HostTensor x(DataType::kFLOAT, makeDims({2, 0, 4}));
    const double inf = std::numeric_limits<double>::infinity();
    ModelBuilder mx = reduceModel("ReduceMax", 18, DataType::kFLOAT, {2, 0, 4}, 1, 1);
    expectValues(runOne(mx, {{"x", x}, {"axes", int64s({1})}}), makeDims({2, 1, 4}),
                 std::vector<double>(8, -inf), 0, "max of nothing");
    ModelBuilder mn = reduceModel("ReduceMin", 18, DataType::kFLOAT, {2, 0, 4}, 1, 0);
    expectValues(runOne(mn, {{"x", x}, {"axes", int64s({-2})}}), makeDims({2, 4}),
                 std::vector<double>(8, inf), 0, "min of nothing");
}

TEST(OnnxRuntimeReduceTopK, BoolMaxMinAreAnyAll) {
    HostTensor x =
        HostTensor::fromVector(DataType::kBOOL, makeDims({2, 3}), std::vector<int>{1, 0, 1, 1, 1, 1});
    ModelBuilder mx = reduceModel("ReduceMax", 20, DataType::kBOOL, {2, 3}, 1, 0);
    ModelBuilder mn = reduceModel("ReduceMin", 20, DataType::kBOOL, {2, 3}, 1, 0);
    expectValues(runOne(mx, {{"x", x}, {"axes", int64s({0})}}), makeDims({3}), {1, 1, 1}, 0, "any over rows");
    expectValues(runOne(mn, {{"x", x}, {"axes", int64s({1})}}), makeDims({2}), {0, 1}, 0, "all over columns");
    // Over nothing: any() is false and all() is true.
    HostTensor e(DataType::kBOOL, makeDims({2, 0}));
    ModelBuilder ex = reduceModel("ReduceMax", 20, DataType::kBOOL, {2, 0}, 1, 0);
    ModelBuilder en = reduceModel("ReduceMin", 20, DataType::kBOOL, {2, 0}, 1, 0);
    expectValues(runOne(ex, {{"x", e}, {"axes", int64s({1})}}), makeDims({2}), {0, 0}, 0, "any of nothing");
    expectValues(runOne(en, {{"x", e}, {"axes", int64s({1})}}), makeDims({2}), {1, 1}, 0, "all of nothing");
}

TEST(OnnxRuntimeReduceTopK, AnOutOfRangeAxisFailsTheRunWithItsValue) {
    ModelBuilder m = reduceModel("ReduceSum", 13, DataType::kFLOAT, {2, 3}, 1, 0);
    OnnxRun r = runOnnx(
        m.bytes(), {{"x", floatTensor(makeDims({2, 3}), {1, 2, 3, 4, 5, 6})}, {"axes", int64s({2})}}, {"y"});
    EXPECT_FALSE(r.parsed);
    EXPECT_NE(r.errors.find("axis 2"), std::string::npos) << r.errors;
    EXPECT_NE(r.errors.find("-2..1"), std::string::npos) << r.errors;
}

TEST(OnnxRuntimeReduceTopK, AxesOfUnknownLengthNeedKeepdims) {
    // The number of axes fixes the output rank when the reduced dims are dropped.
    ModelBuilder m(13);
    m.input("x", DataType::kFLOAT, {2, 3}).input("axes", DataType::kINT64, {-1}, {"n"}).output("y");
    m.node("ReduceSum", {"x", "axes"}, {"y"}).i("keepdims", 0);
    OnnxRun r = runOnnx(
        m.bytes(), {{"x", floatTensor(makeDims({2, 3}), {1, 2, 3, 4, 5, 6})}, {"axes", int64s({1})}}, {"y"});
    EXPECT_FALSE(r.parsed);
    EXPECT_NE(r.errors.find("unknown length"), std::string::npos) << r.errors;
    // With keepdims the rank is known, and the run resolves the rest.
    ModelBuilder k(13);
    k.input("x", DataType::kFLOAT, {2, 3}).input("axes", DataType::kINT64, {-1}, {"n"}).output("y");
    k.node("ReduceSum", {"x", "axes"}, {"y"}).i("keepdims", 1);
    expectValues(runOne(k, {{"x", floatTensor(makeDims({2, 3}), {1, 2, 3, 4, 5, 6})}, {"axes", int64s({1})}}),
                 makeDims({2, 1}), {6, 15}, 0, "keepdims, axes of unknown length");
}

TEST(OnnxRuntimeReduceTopK, TopKWithKFromAGraphInput) {
    HostTensor x = floatTensor(makeDims({2, 4}), {1, 5, 5, 2, -1, -3, 0, -3});
    ModelBuilder m(11);
    m.input("x", DataType::kFLOAT, {2, 4})
        .input("k", DataType::kINT64, {1})
        .output("v")
        .output("i", DataType::kINT64)
        .output("sv")
        .output("si", DataType::kINT64);
    m.node("TopK", {"x", "k"}, {"v", "i"}).i("axis", -1);
    m.node("TopK", {"x", "k"}, {"sv", "si"}).i("axis", 1).i("largest", 0);
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}, {"k", int64s({3})}}, {"v", "i", "sv", "si"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({2, 3}), {5, 5, 2, 0, -1, -3}, 0, "largest values");
    expectValues(r.outputs[1], makeDims({2, 3}), {1, 2, 3, 2, 0, 1}, 0,
                 "largest indices (ties: lower first)");
    expectValues(r.outputs[2], makeDims({2, 3}), {1, 2, 5, -3, -3, -1}, 0, "smallest values");
    expectValues(r.outputs[3], makeDims({2, 3}), {0, 3, 1, 1, 3, 0}, 0, "smallest indices");
    // K larger than the axis fails the run, naming both.
    OnnxRun bad = runOnnx(m.bytes(), {{"x", x}, {"k", int64s({5})}}, {"v", "i", "sv", "si"});
    EXPECT_FALSE(bad.parsed);
    EXPECT_NE(bad.errors.find("k = 5 exceeds the extent 4"), std::string::npos) << bad.errors;
}

}  // namespace
}  // namespace kiln::testing
