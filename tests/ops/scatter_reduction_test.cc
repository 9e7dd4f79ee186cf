// Scatter with a reduction (Kiln's ScatterAttrs::reduction, ONNX's `reduction` attribute): the ONNX
// specification's examples by hand, duplicate indices combined in index order, NaN in max/min, integer
// wrap-around, every numeric DataType for both modes against nested loops written here (the expected
// tensor is built in the data's type, one rounding per update, as numpy computes in the data's dtype),
// and the errors for bool data and an unknown reduction.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops/extra_ops_test_util.h"

namespace kiln {
namespace {

using testing::failsWithAll;
using testing::intsEqual;
using testing::intsOf;
using testing::runSingleOp;
using testing::valuesNear;
using SR = ScatterReduction;

ir::ScatterAttrs attrsOf(ScatterMode mode, SR reduction, int axis = 0) {
    ir::ScatterAttrs a;
    a.mode = mode;
    a.axis = axis;
    a.reduction = reduction;
    return a;
}

HostTensor floats(Dims s, const std::vector<double>& v) {
    return testing::tensorOf(DataType::kFLOAT, s, v);
}

const char* nameOf(SR r) {
    switch (r) {
        case SR::kNONE:
            return "none";
        case SR::kADD:
            return "add";
        case SR::kMUL:
            return "mul";
        case SR::kMAX:
            return "max";
        case SR::kMIN:
            return "min";
    }
    return "?";
}

TEST(ScatterReduction, OnnxExamples) {
    // ScatterElements, reduction add, a duplicate index: 2 + 1.1 + 2.1 = 5.2.
    auto r = runSingleOp(
        attrsOf(ScatterMode::kELEMENT, SR::kADD, 1),
        {floats(makeDims({1, 5}), {1, 2, 3, 4, 5}), intsOf(DataType::kINT64, makeDims({1, 2}), {1, 1}),
         floats(makeDims({1, 2}), {1.1, 2.1})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({1, 5}), {1, 5.2, 3, 4, 5}, 1e-6));
    // ScatterND, reduction add: slice 0 of a 4x4x4 tensor twice (+5.., +1..), slice 2 untouched.
    std::vector<double> data(64), upd;
    for (int i = 0; i < 64; ++i) data[static_cast<size_t>(i)] = i % 16 + 1;
    for (int s = 0; s < 2; ++s)
        for (int i = 0; i < 16; ++i) upd.push_back(s == 0 ? 5 + i / 4 : 1 + i / 4);
    auto nd =
        runSingleOp(attrsOf(ScatterMode::kND, SR::kADD),
                    {floats(makeDims({4, 4, 4}), data), intsOf(DataType::kINT64, makeDims({2, 1}), {0, 0}),
                     floats(makeDims({2, 4, 4}), upd)});
    ASSERT_TRUE(nd.isOk()) << nd.status().message();
    std::vector<double> want = data;
    for (int i = 0; i < 16; ++i) want[static_cast<size_t>(i)] += (5 + i / 4) + (1 + i / 4);
    EXPECT_TRUE(valuesNear(nd.value()[0], DataType::kFLOAT, makeDims({4, 4, 4}), want, 0.0));
}

TEST(ScatterReduction, EachReductionHandComputed) {
    // Element 1 receives 10 then 20, element 3 receives 2 (int32 data).
    const HostTensor data = intsOf(DataType::kINT32, makeDims({5}), {1, 2, 3, 4, 5});
    const HostTensor idx = intsOf(DataType::kINT64, makeDims({3}), {1, -4, 3});
    const HostTensor upd = intsOf(DataType::kINT32, makeDims({3}), {10, 20, 2});
    struct Case {
        SR reduction;
        std::vector<int64_t> want;
    };
    for (const Case& c : {Case{SR::kNONE, {1, 20, 3, 2, 5}}, Case{SR::kADD, {1, 32, 3, 6, 5}},
                          Case{SR::kMUL, {1, 400, 3, 8, 5}}, Case{SR::kMAX, {1, 20, 3, 4, 5}},
                          Case{SR::kMIN, {1, 2, 3, 2, 5}}}) {
        auto r = runSingleOp(attrsOf(ScatterMode::kELEMENT, c.reduction), {data, idx, upd});
        ASSERT_TRUE(r.isOk()) << nameOf(c.reduction) << ": " << r.status().message();
        EXPECT_TRUE(intsEqual(r.value()[0], DataType::kINT32, makeDims({5}), c.want)) << nameOf(c.reduction);
    }
}

TEST(ScatterReduction, NanPropagatesThroughMaxAndMin) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (SR red : {SR::kMAX, SR::kMIN}) {
        // Element 0: NaN data meets 1; element 1: 2 meets a NaN update then 5; element 2: plain.
        auto r = runSingleOp(
            attrsOf(ScatterMode::kND, red),
            {floats(makeDims({3}), {nan, 2, 3}), intsOf(DataType::kINT32, makeDims({4, 1}), {0, 1, 1, 2}),
             floats(makeDims({4}), {1, nan, 5, 7})});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        const double last = red == SR::kMAX ? 7 : 3;
        EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({3}), {nan, nan, last}, 0.0))
            << nameOf(red);
    }
}

TEST(ScatterReduction, IntegersWrapLikeTheirType) {
    // int8: 100 + 100 wraps to -56; int64: the product wraps modulo 2^64 without undefined behaviour.
    auto r8 = runSingleOp(
        attrsOf(ScatterMode::kELEMENT, SR::kADD),
        {intsOf(DataType::kINT8, makeDims({1}), {100}), intsOf(DataType::kINT64, makeDims({1}), {0}),
         intsOf(DataType::kINT8, makeDims({1}), {100})});
    ASSERT_TRUE(r8.isOk()) << r8.status().message();
    EXPECT_TRUE(intsEqual(r8.value()[0], DataType::kINT8, makeDims({1}), {-56}));
    const int64_t big = int64_t{1} << 62;
    auto r64 =
        runSingleOp(attrsOf(ScatterMode::kELEMENT, SR::kMUL), {intsOf(DataType::kINT64, makeDims({1}), {big}),
                                                               intsOf(DataType::kINT64, makeDims({1}), {0}),
                                                               intsOf(DataType::kINT64, makeDims({1}), {3})});
    ASSERT_TRUE(r64.isOk()) << r64.status().message();
    // 3 * 2^62 = 2^63 + 2^62, which as int64 (mod 2^64) is -2^62.
    EXPECT_TRUE(intsEqual(r64.value()[0], DataType::kINT64, makeDims({1}), {-big}));
}

const std::vector<DataType> kNumericTypes{DataType::kFLOAT, DataType::kHALF, DataType::kBF16,
                                          DataType::kFP8,   DataType::kINT8, DataType::kUINT8,
                                          DataType::kINT32, DataType::kINT64};

/// want[to] = want[to] (op) upd[from], in the data's type: float types combine in double and store (one
/// rounding), integer types combine in int64 with two's-complement wrap and store.
void combineInto(HostTensor& want, int64_t to, const HostTensor& upd, int64_t from, SR red) {
    if (isFloatType(want.type)) {
        const double a = want.at(to), b = upd.at(from);
        double v = b;
        if (red == SR::kADD) v = a + b;
        if (red == SR::kMUL) v = a * b;
        if (red == SR::kMAX) v = a > b ? a : b;
        if (red == SR::kMIN) v = a < b ? a : b;
        want.set(to, v);
        return;
    }
    const int64_t a = want.atInt(to), b = upd.atInt(from);
    int64_t v = b;
    if (red == SR::kADD) v = static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    if (red == SR::kMUL) v = static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    if (red == SR::kMAX) v = a > b ? a : b;
    if (red == SR::kMIN) v = a < b ? a : b;
    want.setInt(to, v);
}

TEST(ScatterReduction, ElementsEveryTypeAgainstLoops) {
    // Data [3, 5, 7], indices [2, 4, 9] along axis 2 (more indices than the extent: duplicates certain).
    const Dims ds = makeDims({3, 5, 7}), is = makeDims({2, 4, 9});
    uint64_t seed = 1300;
    for (DataType t : kNumericTypes)
        for (SR red : {SR::kADD, SR::kMUL, SR::kMAX, SR::kMIN}) {
            const bool isUnsigned = t == DataType::kUINT8;
            HostTensor data = HostTensor::random(t, ds, seed++, isUnsigned ? 0 : -4, 4);
            HostTensor upd = HostTensor::random(t, is, seed++, isUnsigned ? 0 : -3, 3);
            HostTensor idx = HostTensor::random(DataType::kINT64, is, seed++, -7, 6);
            auto r = runSingleOp(attrsOf(ScatterMode::kELEMENT, red, -1), {data, idx, upd});
            ASSERT_TRUE(r.isOk()) << r.status().message();
            HostTensor want = data;
            int64_t p = 0;
            for (int64_t i = 0; i < is.d[0]; ++i)
                for (int64_t j = 0; j < is.d[1]; ++j)
                    for (int64_t k = 0; k < is.d[2]; ++k, ++p) {
                        const int64_t v = idx.atInt(p);
                        combineInto(want, (i * ds.d[1] + j) * ds.d[2] + (v < 0 ? v + 7 : v), upd, p, red);
                    }
            EXPECT_TRUE(testing::valuesNear(r.value()[0], t, ds, want.toDoubles(), 0.0))
                << dataTypeName(t) << " " << nameOf(red);
        }
}

TEST(ScatterReduction, NdEveryTypeAgainstLoops) {
    // Data [5, 3, 4]; eleven 1-tuples over 5 rows (duplicates certain), each a [3, 4] slice; then
    // 2-tuples addressing rows of 4 elements.
    const Dims ds = makeDims({5, 3, 4});
    uint64_t seed = 1700;
    for (DataType t : kNumericTypes)
        for (SR red : {SR::kADD, SR::kMUL, SR::kMAX, SR::kMIN})
            for (int64_t k = 1; k <= 2; ++k) {
                const bool isUnsigned = t == DataType::kUINT8;
                const Dims is = makeDims({11, k});
                const Dims us = k == 1 ? makeDims({11, 3, 4}) : makeDims({11, 4});
                const int64_t slice = k == 1 ? 12 : 4;
                HostTensor idx(DataType::kINT32, is);
                HostTensor rnd = HostTensor::random(DataType::kINT64, is, seed++, 0, 100);
                for (int64_t p = 0; p < idx.numel(); ++p) idx.setInt(p, rnd.atInt(p) % ds.d[p % k]);
                HostTensor data = HostTensor::random(t, ds, seed++, isUnsigned ? 0 : -4, 4);
                HostTensor upd = HostTensor::random(t, us, seed++, isUnsigned ? 0 : -2, 2);
                auto r = runSingleOp(attrsOf(ScatterMode::kND, red), {data, idx, upd});
                ASSERT_TRUE(r.isOk()) << r.status().message();
                HostTensor want = data;
                for (int64_t tuple = 0; tuple < 11; ++tuple) {
                    int64_t base = idx.atInt(tuple * k) * 12;
                    if (k == 2) base += idx.atInt(tuple * k + 1) * 4;
                    for (int64_t e = 0; e < slice; ++e)
                        combineInto(want, base + e, upd, tuple * slice + e, red);
                }
                EXPECT_TRUE(testing::valuesNear(r.value()[0], t, ds, want.toDoubles(), 0.0))
                    << dataTypeName(t) << " " << nameOf(red) << " k " << k;
            }
}

TEST(ScatterReduction, Errors) {
    const HostTensor flags = intsOf(DataType::kBOOL, makeDims({3}), {1, 0, 1});
    const HostTensor idx = intsOf(DataType::kINT64, makeDims({1}), {0});
    const HostTensor upd = intsOf(DataType::kBOOL, makeDims({1}), {1});
    EXPECT_TRUE(failsWithAll(runSingleOp(attrsOf(ScatterMode::kELEMENT, SR::kADD), {flags, idx, upd}),
                             {"reduction 1 needs numeric data, got bool", "use kNONE or cast"}));
    // Without a reduction bool data scatters as before.
    auto none = runSingleOp(attrsOf(ScatterMode::kELEMENT, SR::kNONE),
                            {flags, idx, intsOf(DataType::kBOOL, makeDims({1}), {0})});
    ASSERT_TRUE(none.isOk()) << none.status().message();
    EXPECT_TRUE(intsEqual(none.value()[0], DataType::kBOOL, makeDims({3}), {0, 0, 1}));
    EXPECT_TRUE(failsWithAll(runSingleOp(attrsOf(ScatterMode::kELEMENT, static_cast<SR>(9)),
                                         {floats(makeDims({3}), {1, 2, 3}), idx, floats(makeDims({1}), {1})}),
                             {"unknown reduction 9", "kNONE, kADD, kMUL, kMAX or kMIN"}));
}

}  // namespace
}  // namespace kiln
