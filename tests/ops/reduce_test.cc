// Reduce: every ReduceOperation over several axis masks, with and without keepDims, for float and integer
// dtypes, against a reference written here that scatters each input element into its output's list of
// values and reduces the list (the kernel instead walks the reduced dims per output). Plus hand-computed
// values, empty extents (identities, as ONNX defines them), NaN, dynamic dims and error messages. Axes
// given at run time (input 1) are tested in reduce_runtime_params_test.cc.
#include <gtest/gtest.h>

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

ir::ReduceAttrs reduceAttrs(ReduceOperation op, uint32_t axes, bool keepDims) {
    ir::ReduceAttrs a;
    a.op = op;
    a.axes = axes;
    a.keepDims = keepDims;
    return a;
}

/// Reduces one list of values the way the op is defined (floats: in double).
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
            s = v.at(0);
            for (double x : v) s = x > s ? x : s;
            return s;
        case ReduceOperation::kMIN:
            s = v.at(0);
            for (double x : v) s = x < s ? x : s;
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

/// Integer semantics: exact 64-bit, sums and products wrap; AVG truncates toward zero; L2 and
/// LOG_SUM_EXP computed in double and truncated.
int64_t reduceIntList(ReduceOperation op, const std::vector<int64_t>& v) {
    uint64_t s = 0;
    switch (op) {
        case ReduceOperation::kPROD:
            s = 1;
            for (int64_t x : v) s *= static_cast<uint64_t>(x);
            return static_cast<int64_t>(s);
        case ReduceOperation::kAVG: {
            int64_t sum = 0;
            for (int64_t x : v) sum += x;
            return static_cast<int64_t>(std::trunc(static_cast<double>(sum) / static_cast<double>(v.size())));
        }
        case ReduceOperation::kMAX: {
            int64_t m = v.at(0);
            for (int64_t x : v) m = x > m ? x : m;
            return m;
        }
        case ReduceOperation::kMIN: {
            int64_t m = v.at(0);
            for (int64_t x : v) m = x < m ? x : m;
            return m;
        }
        case ReduceOperation::kSUM:
        case ReduceOperation::kL1:
        case ReduceOperation::kSUM_SQUARE:
            for (int64_t x : v) {
                int64_t term = op == ReduceOperation::kSUM  ? x
                               : op == ReduceOperation::kL1 ? (x < 0 ? -x : x)
                                                            : x * x;
                s += static_cast<uint64_t>(term);
            }
            return static_cast<int64_t>(s);
        case ReduceOperation::kL2:
        case ReduceOperation::kLOG_SUM_EXP: {
            std::vector<double> d(v.begin(), v.end());
            return static_cast<int64_t>(std::trunc(reduceList(op, d)));
        }
    }
    return 0;
}

/// Scatters every input element into the list of its output element (row-major over kept dims).
template <typename T>
std::vector<std::vector<T>> groupByOutput(const HostTensor& x, uint32_t axes) {
    const Dims& s = x.shape;
    int64_t outCount = 1;
    for (int i = 0; i < s.nbDims; ++i)
        if (!((axes >> i) & 1u)) outCount *= s.d[i];
    std::vector<std::vector<T>> lists(static_cast<size_t>(outCount));
    std::vector<int64_t> idx(static_cast<size_t>(s.nbDims), 0);
    for (int64_t flat = 0; flat < x.numel(); ++flat) {
        int64_t rem = flat;
        for (int i = s.nbDims - 1; i >= 0; --i) {
            idx[static_cast<size_t>(i)] = rem % s.d[i];
            rem /= s.d[i];
        }
        int64_t out = 0;
        for (int i = 0; i < s.nbDims; ++i)
            if (!((axes >> i) & 1u)) out = out * s.d[i] + idx[static_cast<size_t>(i)];
        if constexpr (std::is_integral_v<T>)
            lists[static_cast<size_t>(out)].push_back(x.atInt(flat));
        else
            lists[static_cast<size_t>(out)].push_back(x.at(flat));
    }
    return lists;
}

Dims expectedShape(const Dims& in, uint32_t axes, bool keepDims) {
    std::vector<int64_t> out;
    for (int i = 0; i < in.nbDims; ++i) {
        if (!((axes >> i) & 1u))
            out.push_back(in.d[i]);
        else if (keepDims)
            out.push_back(1);
    }
    return makeDims(out);
}

double storeUlp(DataType t) {
    return t == DataType::kHALF ? 0x1p-11 : t == DataType::kBF16 ? 0x1p-8 : 0x1p-24;
}
/// Half of the smallest subnormal step: the absolute error of rounding a tiny value (float16 subnormals
/// are spaced 2^-24; float32's and bfloat16's spacing is far below the other tolerances).
double storeAbs(DataType t) {
    return t == DataType::kHALF ? 0x1p-25 : 0.0;
}

void checkReduce(DataType t, const Dims& shape, ReduceOperation op, uint32_t axes, bool keepDims,
                 uint64_t seed) {
    SCOPED_TRACE(std::string(dataTypeName(t)) + " " + toString(shape) + " op " +
                 std::to_string(static_cast<int>(op)) + " axes " + std::to_string(axes) +
                 (keepDims ? " keepDims" : ""));
    const bool isInt = t == DataType::kINT32 || t == DataType::kINT64;
    HostTensor x = HostTensor::random(t, shape, seed, isInt ? -9 : -1.5, isInt ? 9 : 1.5);
    auto r = runSingleOp(reduceAttrs(op, axes, keepDims), {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const HostTensor& y = r.value()[0];
    ASSERT_EQ(y.type, t);
    ASSERT_EQ(toString(y.shape), toString(expectedShape(shape, axes, keepDims)));
    if (isInt) {
        auto lists = groupByOutput<int64_t>(x, axes);
        ASSERT_EQ(static_cast<int64_t>(lists.size()), y.numel());
        for (int64_t i = 0; i < y.numel(); ++i) {
            int64_t want = reduceIntList(op, lists[static_cast<size_t>(i)]);
            if (t == DataType::kINT32) want = static_cast<int32_t>(want);  // the store truncates to 32 bits
            ASSERT_EQ(y.atInt(i), want) << "element " << i;
        }
        return;
    }
    auto lists = groupByOutput<double>(x, axes);
    ASSERT_EQ(static_cast<int64_t>(lists.size()), y.numel());
    for (int64_t i = 0; i < y.numel(); ++i) {
        const auto& l = lists[static_cast<size_t>(i)];
        double want = reduceList(op, l);
        double scale = 1.0;
        for (double v : l) scale += v * v + std::fabs(v);
        // The kernel accumulates in double (in another order): its own error is ~1e-16 of the magnitudes
        // involved, far below the single rounding of the result to the output type.
        double tol = storeUlp(t) * std::fabs(want) + storeAbs(t) + 1e-12 * scale;
        ASSERT_NEAR(y.at(i), want, tol) << "element " << i;
    }
}

const uint32_t kMasks[] = {0x1, 0x2, 0x4, 0x8, 0x5, 0xA, 0x6, 0xF};

TEST(ReduceOp, AllOpsAllMasksFloat32) {
    uint64_t seed = 1;
    for (ReduceOperation op : kAllOps)
        for (uint32_t mask : kMasks)
            for (bool keep : {false, true})
                checkReduce(DataType::kFLOAT, makeDims({3, 1, 7, 5}), op, mask, keep, ++seed);
}

TEST(ReduceOp, AllOpsNarrowFloats) {
    uint64_t seed = 1000;
    for (ReduceOperation op : kAllOps)
        for (uint32_t mask : {0x1u, 0x4u, 0x6u, 0x7u}) {
            checkReduce(DataType::kHALF, makeDims({5, 3, 11}), op, mask, mask == 0x4u, ++seed);
            checkReduce(DataType::kBF16, makeDims({5, 3, 11}), op, mask, mask != 0x4u, ++seed);
        }
}

TEST(ReduceOp, AllOpsIntegers) {
    uint64_t seed = 2000;
    for (ReduceOperation op : kAllOps)
        for (uint32_t mask : kMasks)
            for (DataType t : {DataType::kINT32, DataType::kINT64})
                checkReduce(t, makeDims({3, 1, 7, 5}), op, mask, mask == 0x5u, ++seed);
}

TEST(ReduceOp, LargeTensorUsesThePool) {
    checkReduce(DataType::kFLOAT, makeDims({13, 257, 31}), ReduceOperation::kSUM, 0x2, false, 7);
    checkReduce(DataType::kFLOAT, makeDims({13, 257, 31}), ReduceOperation::kLOG_SUM_EXP, 0x5, true, 8);
}

std::vector<double> runValues(const ir::ReduceAttrs& a, const HostTensor& x) {
    auto r = runSingleOp(a, {x});
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? r.value()[0].toDoubles() : std::vector<double>{};
}

TEST(ReduceOp, HandComputedValues) {
    HostTensor x =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 3}), std::vector<float>{1, 2, 3, 4, 5, 6});
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kSUM, 0x2, false), x), (std::vector<double>{6, 15}));
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kPROD, 0x1, true), x), (std::vector<double>{4, 10, 18}));
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kMAX, 0x3, false), x), (std::vector<double>{6}));
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kAVG, 0x2, false), x), (std::vector<double>{2, 5}));
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kSUM_SQUARE, 0x1, false), x),
              (std::vector<double>{17, 29, 45}));
    auto l2 = runValues(reduceAttrs(ReduceOperation::kL2, 0x2, false), x);
    ASSERT_EQ(l2.size(), 2u);
    EXPECT_FLOAT_EQ(l2[0], std::sqrt(14.0f));
    EXPECT_FLOAT_EQ(l2[1], std::sqrt(77.0f));
    HostTensor y =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({2}), std::vector<double>{0.0, std::log(3.0)});
    auto lse = runValues(reduceAttrs(ReduceOperation::kLOG_SUM_EXP, 0x1, false), y);
    ASSERT_EQ(lse.size(), 1u);
    EXPECT_FLOAT_EQ(lse[0], std::log(4.0f));
    // log-sum-exp of huge values stays finite: 1000 + log(2).
    HostTensor big = HostTensor::fromVector(DataType::kFLOAT, makeDims({2}), std::vector<float>{1000, 1000});
    auto lseBig = runValues(reduceAttrs(ReduceOperation::kLOG_SUM_EXP, 0x1, false), big);
    ASSERT_EQ(lseBig.size(), 1u);
    EXPECT_FLOAT_EQ(lseBig[0], 1000.0f + std::log(2.0f));
    HostTensor neg = HostTensor::fromVector(DataType::kFLOAT, makeDims({2}), std::vector<float>{-1, 2});
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kL1, 0x1, false), neg), (std::vector<double>{3}));
}

TEST(ReduceOp, IntegerAverageTruncatesTowardZero) {
    HostTensor x =
        HostTensor::fromVector(DataType::kINT32, makeDims({2, 2}), std::vector<int32_t>{-7, 2, 7, 0});
    // (-7 + 2) / 2 = -2.5 -> -2 ; (7 + 0) / 2 = 3.5 -> 3
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kAVG, 0x2, false), x), (std::vector<double>{-2, 3}));
    HostTensor big = HostTensor::fromVector(DataType::kINT64, makeDims({2}),
                                            std::vector<int64_t>{(int64_t{1} << 53) + 1, 1});
    auto r = runSingleOp(reduceAttrs(ReduceOperation::kSUM, 0x1, false), {big});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].atInt(0), (int64_t{1} << 53) + 2);  // exact: no detour through double
}

TEST(ReduceOp, NanPropagatesThroughMaxAndMin) {
    HostTensor x =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<double>{1.0, NAN, 3.0});
    EXPECT_TRUE(std::isnan(runValues(reduceAttrs(ReduceOperation::kMAX, 0x1, false), x).at(0)));
    EXPECT_TRUE(std::isnan(runValues(reduceAttrs(ReduceOperation::kMIN, 0x1, false), x).at(0)));
}

TEST(ReduceOp, EmptyExtents) {
    HostTensor x(DataType::kFLOAT, makeDims({2, 0, 3}));
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kSUM, 0x2, false), x), std::vector<double>(6, 0.0));
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kPROD, 0x2, true), x), std::vector<double>(6, 1.0));
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kL2, 0x2, true), x), std::vector<double>(6, 0.0));
    auto avg = runValues(reduceAttrs(ReduceOperation::kAVG, 0x2, false), x);
    ASSERT_EQ(avg.size(), 6u);
    EXPECT_TRUE(std::isnan(avg[0]));  // 0/0, as numpy's mean of nothing
    auto lse = runValues(reduceAttrs(ReduceOperation::kLOG_SUM_EXP, 0x2, false), x);
    ASSERT_EQ(lse.size(), 6u);
    EXPECT_EQ(lse[0], -INFINITY);  // log(0)
    // Reducing only non-empty axes of an empty tensor gives an empty result, even for max.
    auto r = runSingleOp(reduceAttrs(ReduceOperation::kMAX, 0x4, false), {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(toString(r.value()[0].shape), "[2,0]");
    // Max and min of nothing are their identities (ONNX): -inf/+inf, the integer type's lowest/highest.
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kMAX, 0x2, false), x),
              std::vector<double>(6, -INFINITY));
    EXPECT_EQ(runValues(reduceAttrs(ReduceOperation::kMIN, 0x2, true), x), std::vector<double>(6, INFINITY));
    HostTensor x32(DataType::kINT32, makeDims({3, 0}));
    auto max32 = runSingleOp(reduceAttrs(ReduceOperation::kMAX, 0x2, false), {x32});
    ASSERT_TRUE(max32.isOk()) << max32.status().message();
    ASSERT_EQ(toString(max32.value()[0].shape), "[3]");
    for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(max32.value()[0].atInt(i), std::numeric_limits<int32_t>::min());
    HostTensor x64(DataType::kINT64, makeDims({0, 2}));
    auto min64 = runSingleOp(reduceAttrs(ReduceOperation::kMIN, 0x1, true), {x64});
    ASSERT_TRUE(min64.isOk()) << min64.status().message();
    ASSERT_EQ(toString(min64.value()[0].shape), "[1,2]");
    for (int64_t i = 0; i < 2; ++i) EXPECT_EQ(min64.value()[0].atInt(i), std::numeric_limits<int64_t>::max());
    HostTensor xi(DataType::kINT32, makeDims({0, 4}));
    auto badAvg = runSingleOp(reduceAttrs(ReduceOperation::kAVG, 0x1, false), {xi});
    ASSERT_FALSE(badAvg.isOk());
    EXPECT_NE(badAvg.status().message().find("kAVG over int32"), std::string::npos)
        << badAvg.status().message();
}

Status inferReduceOnly(const ir::ReduceAttrs& a, DataType t, Dims shape, Dims* out) {
    std::vector<ir::TensorDesc> in{{t, shape, nullptr}};
    std::vector<ir::TensorDesc> outs(1);
    ir::InferContext ctx{in, outs};
    Status st = ir::inferNode(a, ctx);
    if (out) *out = outs[0].shape;
    return st;
}

TEST(ReduceOp, DynamicDimsPropagate) {
    Dims out;
    ASSERT_TRUE(inferReduceOnly(reduceAttrs(ReduceOperation::kSUM, 0x2, true), DataType::kFLOAT,
                                makeDims({-1, 4, -1}), &out)
                    .isOk());
    EXPECT_EQ(toString(out), "[-1,1,-1]");
    ASSERT_TRUE(inferReduceOnly(reduceAttrs(ReduceOperation::kMAX, 0x1, false), DataType::kFLOAT,
                                makeDims({-1, 4, -1}), &out)
                    .isOk());
    EXPECT_EQ(toString(out), "[4,-1]");
    ASSERT_TRUE(inferReduceOnly(reduceAttrs(ReduceOperation::kAVG, 0x7, false), DataType::kFLOAT,
                                makeDims({-1, 4, -1}), &out)
                    .isOk());
    EXPECT_EQ(toString(out), "[]");
}

void expectReduceError(const ir::ReduceAttrs& a, DataType t, Dims shape,
                       const std::vector<std::string>& fragments) {
    Status st = inferReduceOnly(a, t, shape, nullptr);
    ASSERT_FALSE(st.isOk()) << toString(shape);
    EXPECT_EQ(st.code(), ErrorCode::kINVALID_ARGUMENT);
    for (const auto& f : fragments)
        EXPECT_NE(st.message().find(f), std::string::npos) << "missing '" << f << "' in: " << st.message();
}

TEST(ReduceOp, Errors) {
    expectReduceError(reduceAttrs(ReduceOperation::kSUM, 0, false), DataType::kFLOAT, makeDims({2, 3}),
                      {"axes mask is 0", "[2,3]"});
    expectReduceError(reduceAttrs(ReduceOperation::kSUM, 0x10, false), DataType::kFLOAT, makeDims({2, 3, 4}),
                      {"0x10", "rank 3", "[2,3,4]"});
    expectReduceError(reduceAttrs(ReduceOperation::kSUM, 0x1, false), DataType::kBOOL, makeDims({2}),
                      {"got bool"});
    expectReduceError(reduceAttrs(ReduceOperation::kSUM, 0x1, false), DataType::kINT8, makeDims({2}),
                      {"got int8"});
    expectReduceError(reduceAttrs(static_cast<ReduceOperation>(57), 0x1, false), DataType::kFLOAT,
                      makeDims({2}), {"57", "not a ReduceOperation"});
    expectReduceError(reduceAttrs(ReduceOperation::kAVG, 0x2, false), DataType::kINT64, makeDims({4, 0}),
                      {"kAVG over int64", "axis 1", "extent 0"});
    expectReduceError(reduceAttrs(ReduceOperation::kSUM, 0x1, false), DataType::kFLOAT, makeDims({}),
                      {"rank 0"});
}

}  // namespace
}  // namespace kiln
