// Cumulative (ONNX CumSum): the ONNX specification's examples by hand (inclusive, exclusive, reverse, both),
// the axis from an int32/int64 tensor or the attribute (negative too), every supported type on an odd
// 3-D shape along every axis against a quadratic double/int64 reference written here, int64 beyond 2^53,
// an axis known only at run time, and the error messages.
#include <gtest/gtest.h>

#include <random>

#include "ops/extra_ops_test_util.h"

namespace kiln {
namespace {

using testing::descOf;
using testing::failsWithAll;
using testing::halfUlp;
using testing::inferOnly;
using testing::intsEqual;
using testing::intsOf;
using testing::runSingleOp;
using testing::scalarInt;
using testing::tensorOf;
using testing::valuesNear;

ir::CumulativeAttrs cumAttrs(int axis, bool exclusive, bool reverse) {
    ir::CumulativeAttrs a;
    a.axis = axis;
    a.exclusive = exclusive;
    a.reverse = reverse;
    return a;
}

TEST(CumulativeOp, OnnxExamples) {
    auto x = tensorOf(DataType::kFLOAT, makeDims({5}), {1, 2, 3, 4, 5});
    struct Case {
        bool exclusive, reverse;
        std::vector<double> want;
    };
    for (const Case& c : {Case{false, false, {1, 3, 6, 10, 15}}, Case{true, false, {0, 1, 3, 6, 10}},
                          Case{false, true, {15, 14, 12, 9, 5}}, Case{true, true, {14, 12, 9, 5, 0}}}) {
        auto r = runSingleOp(cumAttrs(0, c.exclusive, c.reverse), {x, scalarInt(DataType::kINT32, 0)});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({5}), c.want, 0.0))
            << "exclusive " << c.exclusive << " reverse " << c.reverse;
    }
    // 2-D, axis 1 from an int64 tensor (ONNX test_cumsum_2d_axis_1); then axis -1 from the attribute.
    auto m = tensorOf(DataType::kFLOAT, makeDims({2, 3}), {1, 2, 3, 4, 5, 6});
    auto r1 = runSingleOp(cumAttrs(0, false, false), {m, scalarInt(DataType::kINT64, 1)});
    ASSERT_TRUE(r1.isOk()) << r1.status().message();
    EXPECT_TRUE(valuesNear(r1.value()[0], DataType::kFLOAT, makeDims({2, 3}), {1, 3, 6, 4, 9, 15}, 0.0));
    auto r2 = runSingleOp(cumAttrs(-1, false, false), {m});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(valuesNear(r2.value()[0], DataType::kFLOAT, makeDims({2, 3}), {1, 3, 6, 4, 9, 15}, 0.0));
    // Axis 0 (ONNX test_cumsum_2d_axis_0), the tensor overriding the attribute's -1.
    auto r3 = runSingleOp(cumAttrs(-1, false, false), {m, intsOf(DataType::kINT32, makeDims({1}), {0})});
    ASSERT_TRUE(r3.isOk()) << r3.status().message();
    EXPECT_TRUE(valuesNear(r3.value()[0], DataType::kFLOAT, makeDims({2, 3}), {1, 2, 3, 5, 7, 9}, 0.0));
}

/// Cumulative sum by its definition: out[c] = sum of x over the positions p along `axis` with p < c
/// (exclusive) or p <= c (inclusive), mirrored when reversed. Quadratic, in double and in int64.
struct Expected {
    std::vector<double> d;
    std::vector<int64_t> i;
};
Expected cumsumReference(const HostTensor& x, int axis, bool exclusive, bool reverse) {
    const Dims& s = x.shape;
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < axis; ++k) outer *= s.d[k];
    for (int k = axis + 1; k < s.nbDims; ++k) inner *= s.d[k];
    const int64_t n = s.d[axis];
    Expected e{std::vector<double>(static_cast<size_t>(x.numel())),
               std::vector<int64_t>(static_cast<size_t>(x.numel()))};
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t c = 0; c < n; ++c)
            for (int64_t in = 0; in < inner; ++in) {
                double sd = 0.0;
                int64_t si = 0;
                for (int64_t p = 0; p < n; ++p) {
                    const bool before = reverse ? p > c : p < c;
                    if (before || (!exclusive && p == c)) {
                        sd += x.at((o * n + p) * inner + in);
                        si += x.atInt((o * n + p) * inner + in);
                    }
                }
                e.d[static_cast<size_t>((o * n + c) * inner + in)] = sd;
                e.i[static_cast<size_t>((o * n + c) * inner + in)] = si;
            }
    return e;
}

TEST(CumulativeOp, EveryTypeAxisAndModeAgainstReference) {
    const Dims shape = makeDims({3, 5, 7});
    uint64_t seed = 77;
    for (DataType t :
         {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT32, DataType::kINT64}) {
        HostTensor x = HostTensor::random(t, shape, seed++, -50.0, 50.0);
        if (t == DataType::kINT64)  // sums beyond 2^53 must stay exact
            for (int64_t i = 0; i < x.numel(); ++i) x.setInt(i, (int64_t{1} << 54) + x.atInt(i));
        for (int axis = -3; axis < 3; ++axis)
            for (int mode = 0; mode < 4; ++mode) {
                const bool exclusive = mode & 1, reverse = mode & 2;
                const int normAxis = axis < 0 ? axis + 3 : axis;
                auto r = runSingleOp(cumAttrs(axis, exclusive, reverse), {x});
                ASSERT_TRUE(r.isOk()) << r.status().message();
                Expected want = cumsumReference(x, normAxis, exclusive, reverse);
                if (isIntegerType(t)) {
                    EXPECT_TRUE(intsEqual(r.value()[0], t, shape, want.i))
                        << dataTypeName(t) << " axis " << axis << " exclusive " << exclusive << " reverse "
                        << reverse;
                } else {
                    // The kernel accumulates in double and rounds each output once into the type: half an ulp
                    // of the type, plus 1e-9 absolute for sums that cancel to near zero.
                    EXPECT_TRUE(valuesNear(r.value()[0], t, shape, want.d, 1e-9, halfUlp(t)))
                        << dataTypeName(t) << " axis " << axis << " exclusive " << exclusive << " reverse "
                        << reverse;
                }
            }
    }
}

TEST(CumulativeOp, ManyLinesSplitAcrossThreads) {
    // 41 * 7 = 287 independent scans along axis 1: above the kernel's grain, so the work is split.
    HostTensor x = HostTensor::random(DataType::kINT64, makeDims({41, 13, 7}), 8, -1000, 1000);
    for (bool reverse : {false, true}) {
        auto r = runSingleOp(cumAttrs(1, true, reverse), {x});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        EXPECT_TRUE(
            intsEqual(r.value()[0], DataType::kINT64, x.shape, cumsumReference(x, 1, true, reverse).i))
            << "reverse " << reverse;
    }
}

TEST(CumulativeOp, AxisKnownOnlyAtRunTime) {
    // At build time the axis tensor has no values: the output shape is still the input's.
    auto out = inferOnly(cumAttrs(0, false, false),
                         {descOf(DataType::kFLOAT, makeDims({-1, 4})), descOf(DataType::kINT64, Dims{})});
    ASSERT_TRUE(out.isOk()) << out.status().message();
    EXPECT_EQ(out->shape, makeDims({-1, 4}));
    EXPECT_EQ(out->type, DataType::kFLOAT);
    // At run time an out-of-range axis is reported by the kernel too (here bypassing inference).
    HostTensor x = tensorOf(DataType::kFLOAT, makeDims({2, 2}), {1, 2, 3, 4});
    HostTensor axis = scalarInt(DataType::kINT64, 2);
    HostTensor y(DataType::kFLOAT, makeDims({2, 2}));
    std::vector<TensorRef> ins{x.ref(), axis.ref()}, outs{y.ref()};
    reference::KernelContext k{ins, outs, nullptr};
    Status st = reference::runNode(cumAttrs(0, false, false), k);
    ASSERT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("axis 2 is out of range"), std::string::npos) << st.message();
}

TEST(CumulativeOp, Errors) {
    auto x = tensorOf(DataType::kFLOAT, makeDims({2, 3}), {1, 2, 3, 4, 5, 6});
    EXPECT_TRUE(failsWithAll(runSingleOp(cumAttrs(0, false, false), {x, scalarInt(DataType::kINT64, -3)}),
                             {"axis -3 is out of range", "[2,3]", "-2..1"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(cumAttrs(2, false, false), {x}), {"axis 2 is out of range"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(cumAttrs(0, false, false), {x, tensorOf(DataType::kFLOAT, Dims{}, {1})}),
                     {"axis (input 1)", "int32 or int64", "float32"}));
    EXPECT_TRUE(failsWithAll(
        runSingleOp(cumAttrs(0, false, false), {x, intsOf(DataType::kINT64, makeDims({2}), {0, 1})}),
        {"axis (input 1)", "scalar", "[2]"}));
    EXPECT_TRUE(failsWithAll(
        runSingleOp(cumAttrs(0, false, false), {HostTensor::random(DataType::kINT8, makeDims({4}), 1)}),
        {"int8", "not supported", "int64"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(cumAttrs(0, false, false), {tensorOf(DataType::kFLOAT, Dims{}, {1})}),
                     {"rank >= 1", "[]"}));
    ir::CumulativeAttrs bad = cumAttrs(0, false, false);
    bad.op = static_cast<CumulativeOperation>(3);
    EXPECT_TRUE(failsWithAll(runSingleOp(bad, {x}), {"unknown operation 3"}));
}

}  // namespace
}  // namespace kiln
