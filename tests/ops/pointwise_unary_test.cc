// Unary: every operation on every dtype it accepts against std:: math in double (inputs reaching outside
// the domain too, so NaN and infinities are compared), integer ABS/NEG/SIGN with wrap-around computed in
// 128 bits, NOT/ISINF/ISNAN to bool, round-half-to-even by hand, rank 0 and multi-chunk sizes, dynamic
// shapes and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>

#include "pointwise_test_util.h"

namespace kiln {
namespace {

using Op = UnaryOperation;
using pwtest::allClose;
using pwtest::equalInts;
using pwtest::failsWith;
using pwtest::intTensor;
using pwtest::run1;
using pwtest::tensor;

struct FloatOp {
    Op op;
    const char* name;
    double lo, hi;  ///< input range, partly outside the domain where there is one
    double (*ref)(double);
};

const FloatOp kFloatOps[] = {
    {Op::kEXP, "EXP", -5, 5, [](double x) { return std::exp(x); }},
    {Op::kLOG, "LOG", -0.5, 5, [](double x) { return std::log(x); }},
    {Op::kSQRT, "SQRT", -0.5, 5, [](double x) { return std::sqrt(x); }},
    {Op::kRECIP, "RECIP", -4, 4, [](double x) { return 1 / x; }},
    {Op::kABS, "ABS", -4, 4, [](double x) { return x < 0 ? -x : x; }},
    {Op::kNEG, "NEG", -4, 4, [](double x) { return 0 - x; }},
    {Op::kSIN, "SIN", -4, 4, [](double x) { return std::sin(x); }},
    {Op::kCOS, "COS", -4, 4, [](double x) { return std::cos(x); }},
    {Op::kTAN, "TAN", -1.5, 1.5, [](double x) { return std::tan(x); }},
    {Op::kSINH, "SINH", -3, 3, [](double x) { return std::sinh(x); }},
    {Op::kCOSH, "COSH", -3, 3, [](double x) { return std::cosh(x); }},
    {Op::kASIN, "ASIN", -1.2, 1.2, [](double x) { return std::asin(x); }},
    {Op::kACOS, "ACOS", -1.2, 1.2, [](double x) { return std::acos(x); }},
    {Op::kATAN, "ATAN", -4, 4, [](double x) { return std::atan(x); }},
    {Op::kASINH, "ASINH", -4, 4, [](double x) { return std::asinh(x); }},
    {Op::kACOSH, "ACOSH", 0.8, 5, [](double x) { return std::acosh(x); }},
    {Op::kATANH, "ATANH", -1.2, 1.2, [](double x) { return std::atanh(x); }},
    {Op::kCEIL, "CEIL", -4, 4, [](double x) { return -std::floor(-x); }},
    {Op::kFLOOR, "FLOOR", -4, 4, [](double x) { return std::floor(x); }},
    {Op::kERF, "ERF", -3, 3, [](double x) { return std::erf(x); }},
    {Op::kSIGN, "SIGN", -4, 4, [](double x) { return x == 0 || x != x ? x : std::copysign(1.0, x); }},
    {Op::kROUND, "ROUND", -6, 6, [](double x) { return std::nearbyint(x); }},  // default mode: ties to even
    {Op::kISINF, "ISINF", -4, 4, [](double x) { return std::isinf(x) ? 1.0 : 0.0; }},
    {Op::kISNAN, "ISNAN", -4, 4, [](double x) { return std::isnan(x) ? 1.0 : 0.0; }},
};

struct FloatParam {
    FloatOp op;
    DataType type;
    Dims shape;
};

void PrintTo(const FloatParam& p, std::ostream* os) {
    *os << p.op.name << " " << dataTypeName(p.type) << pwtest::str(p.shape);
}

class UnaryFloatRandom : public ::testing::TestWithParam<FloatParam> {};

TEST_P(UnaryFloatRandom, MatchesStdMath) {
    const FloatParam& p = GetParam();
    const std::string what = std::string(p.op.name) + " " + dataTypeName(p.type) + pwtest::str(p.shape);
    HostTensor x = HostTensor::random(p.type, p.shape, 77 + static_cast<uint64_t>(p.op.op), p.op.lo, p.op.hi);
    // Every 7th element exactly k / 2 so ROUND meets ties, every 11th a special value.
    const double specials[] = {INFINITY, -INFINITY, std::nan(""), 0.0, -0.0};
    for (int64_t i = 0; i < x.numel(); ++i) {
        if (i % 7 == 3) x.set(i, std::round(x.at(i) * 2) / 2);
        if (i % 11 == 5 && p.type != DataType::kFP8) x.set(i, specials[(i / 11) % 5]);
    }
    ir::UnaryAttrs a;
    a.op = p.op.op;
    auto y = run1(a, {x});
    ASSERT_TRUE(y.isOk()) << what << ": " << y.status().message();
    const bool toBool = p.op.op == Op::kISINF || p.op.op == Op::kISNAN;
    ASSERT_EQ(y->type, toBool ? DataType::kBOOL : p.type) << what;
    ASSERT_EQ(y->shape, p.shape) << what;
    std::vector<double> want(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i)
        want[static_cast<size_t>(i)] = pwtest::roundTo(y->type, p.op.ref(x.at(i)));
    // Exact: both sides evaluate the same std:: function (or an exact rewrite of it) in double and round
    // once.
    EXPECT_TRUE(allClose(*y, want, 0.0)) << what;
}

std::vector<FloatParam> floatParams() {
    std::vector<FloatParam> v;
    for (const FloatOp& op : kFloatOps) {
        for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kFP8})
            v.push_back({op, t, makeDims({1, 3, 7, 5})});
        v.push_back({op, DataType::kFLOAT, makeDims({3, 7, 1031})});  // > one thread-pool chunk
        v.push_back({op, DataType::kBF16, Dims{}});
    }
    return v;
}

INSTANTIATE_TEST_SUITE_P(AllOps, UnaryFloatRandom, ::testing::ValuesIn(floatParams()),
                         [](const ::testing::TestParamInfo<FloatParam>& info) {
                             return std::string(info.param.op.name) + "_" + dataTypeName(info.param.type) +
                                    "_" + std::to_string(volume(info.param.shape));
                         });

__extension__ typedef __int128 Int128;

int64_t wrapTo(DataType t, Int128 v) {
    int bits = t == DataType::kINT64 ? 64 : t == DataType::kINT32 ? 32 : 8;
    Int128 m = static_cast<Int128>(1) << bits;
    Int128 r = v % m;
    if (r < 0) r += m;
    if (t != DataType::kUINT8 && r >= m / 2) r -= m;
    return static_cast<int64_t>(r);
}

TEST(UnaryOp, IntegerAbsNegSign) {
    for (DataType t : {DataType::kINT8, DataType::kUINT8, DataType::kINT32, DataType::kINT64}) {
        const double lo = t == DataType::kUINT8 ? 0 : t == DataType::kINT8 ? -128 : -1e9;
        const double hi = t == DataType::kUINT8 ? 255 : t == DataType::kINT8 ? 127 : 1e9;
        HostTensor x = HostTensor::random(t, makeDims({5, 13}), 5, lo, hi);
        x.setInt(0, 0);
        if (t != DataType::kUINT8)
            x.setInt(1, t == DataType::kINT8    ? -128
                        : t == DataType::kINT32 ? std::numeric_limits<int32_t>::min()
                                                : std::numeric_limits<int64_t>::min());
        for (Op op : {Op::kABS, Op::kNEG, Op::kSIGN}) {
            ir::UnaryAttrs a;
            a.op = op;
            auto y = run1(a, {x});
            ASSERT_TRUE(y.isOk()) << y.status().message();
            ASSERT_EQ(y->type, t);
            std::vector<int64_t> want;
            for (int64_t i = 0; i < x.numel(); ++i) {
                const Int128 v = x.atInt(i);
                // The most negative value has no positive twin: ABS and NEG wrap back to it, as in numpy.
                if (op == Op::kABS) want.push_back(wrapTo(t, v < 0 ? -v : v));
                if (op == Op::kNEG) want.push_back(wrapTo(t, -v));
                if (op == Op::kSIGN) want.push_back(v > 0 ? 1 : v < 0 ? -1 : 0);
            }
            EXPECT_TRUE(equalInts(*y, want)) << dataTypeName(t) << " op " << static_cast<int>(op);
        }
    }
}

TEST(UnaryOp, RoundHalfToEvenByHand) {
    const std::vector<double> x{-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4999998, -0.4, 4194304.5, 4194305.5};
    const std::vector<double> want{-2, -2, -0.0, 0, 2, 2, 4, 2, -0.0, 4194304, 4194306};
    ir::UnaryAttrs a;
    a.op = Op::kROUND;
    auto y = run1(a, {tensor(DataType::kFLOAT, makeDims({11}), x)});
    ASSERT_TRUE(y.isOk()) << y.status().message();
    EXPECT_TRUE(allClose(*y, want, 0.0));
    EXPECT_TRUE(std::signbit(y->at(2)));  // -0.5 rounds to -0
    auto h = run1(a, {tensor(DataType::kHALF, makeDims({3}), {1000.5, 1001.5, -7.5})});
    ASSERT_TRUE(h.isOk()) << h.status().message();
    EXPECT_TRUE(allClose(*h, {1000, 1002, -8}, 0.0));
}

TEST(UnaryOp, BoolResults) {
    ir::UnaryAttrs a;
    a.op = Op::kNOT;
    auto n = run1(a, {intTensor(DataType::kBOOL, makeDims({2, 2}), {0, 1, 1, 0})});
    ASSERT_TRUE(n.isOk()) << n.status().message();
    EXPECT_EQ(n->type, DataType::kBOOL);
    EXPECT_TRUE(equalInts(*n, {1, 0, 0, 1}));
    const std::vector<double> x{INFINITY, -INFINITY, std::nan(""), 0.0, 65504.0, -1.0};
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16}) {
        a.op = Op::kISINF;
        auto i = run1(a, {tensor(t, makeDims({6}), x)});
        ASSERT_TRUE(i.isOk()) << i.status().message();
        EXPECT_TRUE(equalInts(*i, {1, 1, 0, 0, 0, 0})) << dataTypeName(t);
        a.op = Op::kISNAN;
        auto q = run1(a, {tensor(t, makeDims({6}), x)});
        ASSERT_TRUE(q.isOk()) << q.status().message();
        EXPECT_TRUE(equalInts(*q, {0, 0, 1, 0, 0, 0})) << dataTypeName(t);
    }
}

TEST(UnaryOp, HandValuesInNarrowFormats) {
    // exp(1) = 2.718281828: float16 step at [2,4) is 2^-9, nearest 2.71875; bfloat16 step 2^-6, nearest
    // 2.71875 too (2.703125 and 2.734375 are its neighbours). sqrt(2) = 1.41421356 -> half 1.4140625,
    // bfloat16 1.4140625. Worked by hand.
    ir::UnaryAttrs a;
    for (DataType t : {DataType::kHALF, DataType::kBF16}) {
        a.op = Op::kEXP;
        auto e = run1(a, {tensor(t, makeDims({1}), {1.0})});
        ASSERT_TRUE(e.isOk()) << e.status().message();
        EXPECT_EQ(e->at(0), 2.71875) << dataTypeName(t);
        a.op = Op::kSQRT;
        auto s = run1(a, {tensor(t, makeDims({1}), {2.0})});
        ASSERT_TRUE(s.isOk()) << s.status().message();
        EXPECT_EQ(s->at(0), 1.4140625) << dataTypeName(t);
    }
}

TEST(UnaryOp, EveryHalfAndBfloat16ValueRoundsOnce) {
    // All 65536 bit patterns of each 16-bit format through a few transcendental ops, compared exactly with
    // the test's direct rounding of the double result. "witnesses" counts the inputs where rounding to
    // float32 first would have landed on a half-way point of the 16-bit format and gone the wrong way, so the
    // test provably covers the double-rounding case and not just easy values.
    const FloatOp* ops[] = {&kFloatOps[0], &kFloatOps[1],  &kFloatOps[2],
                            &kFloatOps[6], &kFloatOps[13], &kFloatOps[19]};
    int witnesses = 0;
    for (DataType t : {DataType::kHALF, DataType::kBF16}) {
        HostTensor x(t, makeDims({65536}));
        for (uint32_t i = 0; i < 65536; ++i)
            reinterpret_cast<uint16_t*>(x.data())[i] = static_cast<uint16_t>(i);
        for (const FloatOp* op : ops) {
            ir::UnaryAttrs a;
            a.op = op->op;
            auto y = run1(a, {x});
            ASSERT_TRUE(y.isOk()) << y.status().message();
            std::vector<double> want(65536);
            for (int64_t i = 0; i < 65536; ++i) {
                const double r = op->ref(x.at(i));
                want[static_cast<size_t>(i)] = pwtest::roundTo(t, r);
                const double viaFloat = pwtest::roundTo(t, static_cast<double>(static_cast<float>(r)));
                if (std::isfinite(r) && viaFloat != want[static_cast<size_t>(i)]) ++witnesses;
            }
            EXPECT_TRUE(allClose(*y, want, 0.0)) << op->name << " " << dataTypeName(t);
        }
    }
    EXPECT_GT(witnesses, 0);
    std::cout << "[ info ] double-rounding witnesses: " << witnesses << "\n";
}

TEST(UnaryOp, InferenceAndErrors) {
    using pwtest::desc;
    ir::UnaryAttrs a;
    a.op = Op::kISNAN;
    auto d = pwtest::inferOnly(a, {desc(DataType::kHALF, makeDims({-1, 4}))});
    ASSERT_TRUE(d.isOk()) << d.status().message();
    EXPECT_EQ(d->type, DataType::kBOOL);
    EXPECT_EQ(d->shape, makeDims({-1, 4}));

    auto err = [&](Op op, DataType t) {
        a.op = op;
        return pwtest::inferOnly(a, {desc(t, makeDims({2}))}).status();
    };
    EXPECT_TRUE(failsWith(err(Op::kEXP, DataType::kINT32), {"Unary kEXP", "float32", "got int32"}));
    EXPECT_TRUE(failsWith(err(Op::kROUND, DataType::kINT64), {"Unary kROUND", "got int64"}));
    EXPECT_TRUE(failsWith(err(Op::kNOT, DataType::kFLOAT), {"Unary kNOT", "must be bool", "got float32"}));
    EXPECT_TRUE(failsWith(err(Op::kABS, DataType::kBOOL), {"Unary kABS", "int64", "got bool"}));
    EXPECT_TRUE(failsWith(err(Op::kISINF, DataType::kINT8), {"Unary kISINF", "got int8"}));
    EXPECT_TRUE(failsWith(err(static_cast<Op>(99), DataType::kFLOAT), {"unknown operation 99"}));
}

}  // namespace
}  // namespace kiln
