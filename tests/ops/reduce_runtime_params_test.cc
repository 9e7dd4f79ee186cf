// Reduce and TopK with their parameters given at run time as input 1 (Reduce: an ONNX axes list;
// TopK: k). Results are checked against references written here (naive loops in double over the axes
// list as ONNX defines it, and a stable sort for TopK), plus empty reductions, a rank-0 input, inference
// while the values are still unknown (build time), and error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln {
namespace {

using testing::runSingleOp;

constexpr ReduceOperation kAllOps[] = {
    ReduceOperation::kSUM, ReduceOperation::kPROD,       ReduceOperation::kMAX,
    ReduceOperation::kMIN, ReduceOperation::kAVG,        ReduceOperation::kL2,
    ReduceOperation::kL1,  ReduceOperation::kSUM_SQUARE, ReduceOperation::kLOG_SUM_EXP};

ir::ReduceAttrs reduceAttrs(ReduceOperation op, bool keepDims, bool noop = false) {
    ir::ReduceAttrs a;
    a.op = op;
    a.axes = 0x1;  // ignored: input 1 decides
    a.keepDims = keepDims;
    a.noopWithEmptyAxes = noop;
    return a;
}

HostTensor axesTensor(const std::vector<int64_t>& axes, DataType t = DataType::kINT64) {
    return HostTensor::fromVector(t, makeDims({static_cast<int64_t>(axes.size())}), axes);
}

std::string listString(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
}

double reduceList(ReduceOperation op, const std::vector<double>& v) {
    double s = 0.0;
    switch (op) {
        case ReduceOperation::kSUM:
            for (double x : v) s += x;
            return s;
        case ReduceOperation::kPROD:
            s = 1.0;
            for (double x : v) s *= x;
            return s;
        case ReduceOperation::kMAX:
            s = -INFINITY;
            for (double x : v) s = std::max(s, x);
            return s;
        case ReduceOperation::kMIN:
            s = INFINITY;
            for (double x : v) s = std::min(s, x);
            return s;
        case ReduceOperation::kAVG:
            for (double x : v) s += x;
            return s / static_cast<double>(v.size());
        case ReduceOperation::kL2:
            for (double x : v) s += x * x;
            return std::sqrt(s);
        case ReduceOperation::kL1:
            for (double x : v) s += std::fabs(x);
            return s;
        case ReduceOperation::kSUM_SQUARE:
            for (double x : v) s += x * x;
            return s;
        case ReduceOperation::kLOG_SUM_EXP:
            for (double x : v) s += std::exp(x);
            return std::log(s);
    }
    return NAN;
}

struct Expected {
    Dims shape;
    std::vector<double> values;
};

/// ONNX's definition, written out: an empty list reduces every axis (or none, with noop); negative axes
/// count from the end; each output element reduces the inputs whose kept coordinates equal its own.
Expected referenceReduce(ReduceOperation op, const HostTensor& x, const std::vector<int64_t>& axes,
                         bool keepDims, bool noop) {
    const int rank = x.shape.nbDims;
    if (axes.empty() && noop) return {x.shape, x.toDoubles()};
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
    for (int64_t a : axes) reduced[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
    std::vector<int64_t> outDims;
    for (int i = 0; i < rank; ++i) {
        if (!reduced[static_cast<size_t>(i)])
            outDims.push_back(x.shape.d[i]);
        else if (keepDims)
            outDims.push_back(1);
    }
    Expected e{makeDims(outDims), {}};
    std::vector<std::vector<double>> lists(static_cast<size_t>(volume(e.shape)));
    for (int64_t flat = 0; flat < x.numel(); ++flat) {
        std::vector<int64_t> coord(static_cast<size_t>(rank));
        for (int64_t i = rank - 1, rem = flat; i >= 0; --i) {
            coord[static_cast<size_t>(i)] = rem % x.shape.d[i];
            rem /= x.shape.d[i];
        }
        int64_t out = 0;
        for (int i = 0; i < rank; ++i)
            if (!reduced[static_cast<size_t>(i)]) out = out * x.shape.d[i] + coord[static_cast<size_t>(i)];
        lists[static_cast<size_t>(out)].push_back(x.at(flat));
    }
    for (const auto& l : lists) e.values.push_back(reduceList(op, l));
    return e;
}

void checkRuntimeAxes(ReduceOperation op, const HostTensor& x, const std::vector<int64_t>& axes,
                      bool keepDims, bool noop, DataType axesType) {
    SCOPED_TRACE("op " + std::to_string(static_cast<int>(op)) + " x " + toString(x.shape) + " axes " +
                 listString(axes) + " (" + dataTypeName(axesType) + ")" + (keepDims ? " keepDims" : "") +
                 (noop ? " noop" : ""));
    auto r = runSingleOp(reduceAttrs(op, keepDims, noop), {x, axesTensor(axes, axesType)});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const HostTensor& y = r.value()[0];
    Expected e = referenceReduce(op, x, axes, keepDims, noop);
    ASSERT_EQ(toString(y.shape), toString(e.shape));
    ASSERT_EQ(y.type, x.type);
    for (int64_t i = 0; i < y.numel(); ++i) {
        const double want = e.values[static_cast<size_t>(i)];
        // The kernel accumulates in double in another order; the float32 store dominates the error.
        ASSERT_NEAR(y.at(i), want, 0x1p-23 * (1.0 + std::fabs(want))) << "element " << i;
    }
}

TEST(ReduceRuntimeAxes, MatchesReferenceForEveryOpAndAxesList) {
    // Odd and prime extents; the lists are unordered, negative, empty (all axes) and complete.
    const HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({3, 1, 7, 5}), 11, -1.5, 1.5);
    const std::vector<std::vector<int64_t>> lists = {{0}, {-1}, {2, 0}, {-3, 3}, {1, -2}, {}, {3, 0, -2, 1}};
    int variant = 0;
    for (ReduceOperation op : kAllOps)
        for (const auto& axes : lists)
            for (bool keep : {false, true})
                checkRuntimeAxes(op, x, axes, keep, false,
                                 ++variant % 2 ? DataType::kINT64 : DataType::kINT32);
}

TEST(ReduceRuntimeAxes, EmptyListWithNoopIsACopy) {
    const HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({2, 3, 5}), 12);
    for (bool keep : {false, true})
        checkRuntimeAxes(ReduceOperation::kL2, x, {}, keep, true, DataType::kINT64);
    // A non-empty list ignores the flag.
    checkRuntimeAxes(ReduceOperation::kSUM, x, {1}, false, true, DataType::kINT64);
}

TEST(ReduceRuntimeAxes, HandComputedIntegers) {
    HostTensor x =
        HostTensor::fromVector(DataType::kINT32, makeDims({2, 3}), std::vector<int32_t>{1, -2, 3, 4, 5, -6});
    auto r = runSingleOp(reduceAttrs(ReduceOperation::kSUM, false), {x, axesTensor({-1})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{2, 3}));
    r = runSingleOp(reduceAttrs(ReduceOperation::kPROD, true), {x, axesTensor({0}, DataType::kINT32)});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(toString(r.value()[0].shape), "[1,3]");
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{4, -10, -18}));
    r = runSingleOp(reduceAttrs(ReduceOperation::kMAX, false), {x, axesTensor({})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(toString(r.value()[0].shape), "[]");
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{5}));
}

TEST(ReduceRuntimeAxes, EmptyReductionsGiveIdentities) {
    HostTensor x(DataType::kFLOAT, makeDims({2, 0, 3}));
    const std::pair<ReduceOperation, double> cases[] = {{ReduceOperation::kMAX, -INFINITY},
                                                        {ReduceOperation::kMIN, INFINITY},
                                                        {ReduceOperation::kSUM, 0.0},
                                                        {ReduceOperation::kPROD, 1.0}};
    for (const auto& [op, want] : cases) {
        auto r = runSingleOp(reduceAttrs(op, true), {x, axesTensor({1})});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        EXPECT_EQ(toString(r.value()[0].shape), "[2,1,3]");
        EXPECT_EQ(r.value()[0].toDoubles(), std::vector<double>(6, want)) << static_cast<int>(op);
    }
    // An integer mean of nothing has no value.
    HostTensor xi(DataType::kINT32, makeDims({0, 4}));
    auto bad = runSingleOp(reduceAttrs(ReduceOperation::kAVG, false), {xi, axesTensor({0})});
    ASSERT_FALSE(bad.isOk());
    EXPECT_NE(bad.status().message().find("kAVG over int32"), std::string::npos) << bad.status().message();
    EXPECT_NE(bad.status().message().find("[0,4]"), std::string::npos) << bad.status().message();
}

TEST(ReduceRuntimeAxes, ScalarInputReducesItsOneElement) {
    HostTensor x = HostTensor::fromVector(DataType::kFLOAT, makeDims({}), std::vector<float>{-3});
    auto r = runSingleOp(reduceAttrs(ReduceOperation::kSUM_SQUARE, false), {x, axesTensor({})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(toString(r.value()[0].shape), "[]");
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{9}));
    r = runSingleOp(reduceAttrs(ReduceOperation::kSUM_SQUARE, false, true), {x, axesTensor({})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{-3}));
}

/// Inference only, with input 1 of `axesShape` whose values are unknown (nullptr) as at build time.
Status inferWithUnknown(const ir::Attrs& attrs, DataType xType, Dims x, DataType pType, Dims pShape,
                        std::vector<ir::TensorDesc>* outs, const void* values = nullptr) {
    std::vector<ir::TensorDesc> in{{xType, x, nullptr}, {pType, pShape, values}};
    ir::InferContext ctx{in, *outs};
    return ir::inferNode(attrs, ctx);
}

TEST(ReduceRuntimeAxes, InferenceBeforeTheValuesAreKnown) {
    struct Case {
        int64_t nbAxes;
        bool keep, noop;
        const char* want;
    } cases[] = {
        {2, true, false, "[-1,1,-1]"},  // an extent-1 dim stays 1 whether reduced or not
        {2, false, false, "[-1]"},      // rank 3 - 2 axes
        {1, false, false, "[-1,-1]"},   {0, false, false, "[]"},      // an empty list reduces every axis
        {0, true, false, "[1,1,1]"},    {0, false, true, "[4,1,6]"},  // ... or none
        {-1, true, false, "[-1,1,-1]"},  // unknown length: keepDims still fixes the rank
    };
    for (const Case& c : cases) {
        std::vector<ir::TensorDesc> outs(1);
        Status st = inferWithUnknown(reduceAttrs(ReduceOperation::kSUM, c.keep, c.noop), DataType::kFLOAT,
                                     makeDims({4, 1, 6}), DataType::kINT64, makeDims({c.nbAxes}), &outs);
        ASSERT_TRUE(st.isOk()) << st.message();
        EXPECT_EQ(toString(outs[0].shape), c.want)
            << c.nbAxes << (c.keep ? " keep" : "") << (c.noop ? " noop" : "");
        EXPECT_EQ(outs[0].type, DataType::kFLOAT);
    }
    std::vector<ir::TensorDesc> outs(1);
    Status st = inferWithUnknown(reduceAttrs(ReduceOperation::kSUM, false), DataType::kFLOAT,
                                 makeDims({4, 1, 6}), DataType::kINT64, makeDims({-1}), &outs);
    ASSERT_FALSE(st.isOk());
    EXPECT_EQ(st.code(), ErrorCode::kUNSUPPORTED_STATE);
    EXPECT_NE(st.message().find("unknown length"), std::string::npos) << st.message();
    st = inferWithUnknown(reduceAttrs(ReduceOperation::kSUM, true), DataType::kFLOAT, makeDims({4, 1, 6}),
                          DataType::kINT64, makeDims({4}), &outs);
    ASSERT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("4 axes, more than the rank 3"), std::string::npos) << st.message();
}

void expectReduceError(const HostTensor& x, const HostTensor& axes,
                       const std::vector<std::string>& fragments) {
    auto r = runSingleOp(reduceAttrs(ReduceOperation::kSUM, false), {x, axes});
    ASSERT_FALSE(r.isOk()) << toString(x.shape) << " axes " << toString(axes.shape);
    EXPECT_EQ(r.status().code(), ErrorCode::kINVALID_ARGUMENT);
    for (const auto& f : fragments)
        EXPECT_NE(r.status().message().find(f), std::string::npos)
            << "missing '" << f << "' in: " << r.status().message();
}

TEST(ReduceRuntimeAxes, Errors) {
    const HostTensor x(DataType::kFLOAT, makeDims({2, 3, 4}));
    expectReduceError(x, axesTensor({3}), {"axis 3", "rank 3", "-3..2"});
    expectReduceError(x, axesTensor({-4}), {"axis -4", "-3..2"});
    expectReduceError(x, axesTensor({0, -3}), {"axis 0 appears more than once"});
    expectReduceError(x, HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{1}),
                      {"axes (input 1) must be int32 or int64", "got float32"});
    expectReduceError(x, HostTensor::fromVector(DataType::kINT64, makeDims({1, 1}), std::vector<int64_t>{1}),
                      {"1-D", "[1,1]"});
}

// ---------------------------------------------------------------------------------------------------- TopK

ir::TopKAttrs topKAttrs(TopKOperation op, int axis) {
    ir::TopKAttrs a;
    a.op = op;
    a.k = 1;  // ignored: input 1 decides
    a.axes = 1u << axis;
    a.indicesType = DataType::kINT64;
    return a;
}

void checkRuntimeK(const HostTensor& x, TopKOperation op, int axis, const HostTensor& kt) {
    const int64_t k = kt.atInt(0);
    SCOPED_TRACE(toString(x.shape) + (op == TopKOperation::kMAX ? " max" : " min") + " axis " +
                 std::to_string(axis) + " k " + std::to_string(k) + " " + dataTypeName(kt.type) +
                 toString(kt.shape));
    auto r = runSingleOp(topKAttrs(op, axis), {x, kt}, 2);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const HostTensor& values = r.value()[0];
    const HostTensor& indices = r.value()[1];
    Dims want = x.shape;
    want.d[axis] = k;
    ASSERT_EQ(toString(values.shape), toString(want));
    ASSERT_EQ(toString(indices.shape), toString(want));
    // Lines along `axis`: outer index o, inner index i; stable sort keeps equal values in index order.
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= x.shape.d[d];
    for (int d = axis + 1; d < x.shape.nbDims; ++d) inner *= x.shape.d[d];
    const int64_t n = x.shape.d[axis];
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
            std::vector<std::pair<double, int64_t>> line;
            for (int64_t e = 0; e < n; ++e) line.push_back({x.at((o * n + e) * inner + i), e});
            std::stable_sort(line.begin(), line.end(), [&](const auto& p, const auto& q) {
                return op == TopKOperation::kMAX ? p.first > q.first : p.first < q.first;
            });
            for (int64_t j = 0; j < k; ++j) {
                const int64_t at = (o * k + j) * inner + i;
                ASSERT_EQ(values.at(at), line[static_cast<size_t>(j)].first)
                    << "line " << o << "," << i << " rank " << j;
                ASSERT_EQ(indices.atInt(at), line[static_cast<size_t>(j)].second) << "line " << o << "," << i;
            }
        }
}

TEST(TopKRuntimeK, MatchesStableSort) {
    // Few distinct values, so ties are common and their order is checked.
    HostTensor x = HostTensor::random(DataType::kINT32, makeDims({5, 11, 3}), 21, -3, 3);
    HostTensor xf(DataType::kFLOAT, x.shape);
    for (int64_t i = 0; i < x.numel(); ++i) xf.set(i, x.at(i) * 0.5);
    for (TopKOperation op : {TopKOperation::kMAX, TopKOperation::kMIN}) {
        for (int64_t k : {1, 6, 11}) {
            checkRuntimeK(xf, op, 1,
                          HostTensor::fromVector(DataType::kINT64, makeDims({1}), std::vector<int64_t>{k}));
            checkRuntimeK(
                x, op, 1,
                HostTensor::fromVector(DataType::kINT32, makeDims({}), std::vector<int32_t>{int32_t(k)}));
        }
        checkRuntimeK(xf, op, 0,
                      HostTensor::fromVector(DataType::kINT64, makeDims({}), std::vector<int64_t>{5}));
        checkRuntimeK(xf, op, 2,
                      HostTensor::fromVector(DataType::kINT64, makeDims({1}), std::vector<int64_t>{2}));
    }
}

TEST(TopKRuntimeK, HandComputed) {
    HostTensor x = HostTensor::fromVector(DataType::kFLOAT, makeDims({5}), std::vector<float>{3, 1, 3, 2, 1});
    auto r =
        runSingleOp(topKAttrs(TopKOperation::kMAX, 0),
                    {x, HostTensor::fromVector(DataType::kINT64, makeDims({1}), std::vector<int64_t>{3})}, 2);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{3, 3, 2}));
    EXPECT_EQ(r.value()[1].toDoubles(), (std::vector<double>{0, 2, 3}));
}

TEST(TopKRuntimeK, UnknownKLeavesTheAxisExtentUnknown) {
    std::vector<ir::TensorDesc> outs(2);
    Status st = inferWithUnknown(topKAttrs(TopKOperation::kMIN, 1), DataType::kHALF, makeDims({4, 9, 2}),
                                 DataType::kINT64, makeDims({1}), &outs);
    ASSERT_TRUE(st.isOk()) << st.message();
    EXPECT_EQ(toString(outs[0].shape), "[4,-1,2]");
    EXPECT_EQ(outs[0].type, DataType::kHALF);
    EXPECT_EQ(toString(outs[1].shape), "[4,-1,2]");
    EXPECT_EQ(outs[1].type, DataType::kINT64);
    // Known values decide it (a constant k, or any k at run time).
    const int32_t k = 4;
    st = inferWithUnknown(topKAttrs(TopKOperation::kMIN, 1), DataType::kHALF, makeDims({4, 9, 2}),
                          DataType::kINT32, makeDims({}), &outs, &k);
    ASSERT_TRUE(st.isOk()) << st.message();
    EXPECT_EQ(toString(outs[0].shape), "[4,4,2]");
}

void expectTopKError(const HostTensor& kt, const std::vector<std::string>& fragments) {
    const HostTensor x(DataType::kFLOAT, makeDims({2, 11}));
    auto r = runSingleOp(topKAttrs(TopKOperation::kMAX, 1), {x, kt}, 2);
    ASSERT_FALSE(r.isOk()) << toString(kt.shape);
    EXPECT_EQ(r.status().code(), ErrorCode::kINVALID_ARGUMENT);
    for (const auto& f : fragments)
        EXPECT_NE(r.status().message().find(f), std::string::npos)
            << "missing '" << f << "' in: " << r.status().message();
}

TEST(TopKRuntimeK, Errors) {
    expectTopKError(HostTensor::fromVector(DataType::kINT64, makeDims({1}), std::vector<int64_t>{0}),
                    {"k must be >= 1", "got 0"});
    expectTopKError(HostTensor::fromVector(DataType::kINT64, makeDims({1}), std::vector<int64_t>{12}),
                    {"k = 12", "extent 11", "[2,11]"});
    expectTopKError(HostTensor::fromVector(DataType::kINT64, makeDims({2}), std::vector<int64_t>{1, 1}),
                    {"must hold one value", "[2]"});
    expectTopKError(HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{1}),
                    {"k (input 1) must be int32 or int64", "got float32"});
}

}  // namespace
}  // namespace kiln
