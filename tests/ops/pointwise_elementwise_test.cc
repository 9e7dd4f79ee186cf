// ElementWise: every operation on every dtype it accepts, over same-shape, broadcast ([2,1,5] with [3,1],
// [3,1,7] with [1,5,1]), rank-0 and multi-chunk shapes, against a reference written here per element from
// coordinates: floats in double, integers exactly in 128 bits and wrapped to the dtype's width explicitly,
// division semantics from floor/trunc of the real quotient. Plus hand-computed values for the sign rules of
// DIV/FLOOR_DIV/MOD/FMOD, wrap-around, integer POW, NaN, float16/bfloat16 rounding, and inference errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "pointwise_test_util.h"

namespace kiln {
namespace {

using Op = ElementWiseOperation;
using pwtest::allClose;
using pwtest::equalInts;
using pwtest::failsWith;
using pwtest::intTensor;
using pwtest::run1;
using pwtest::tensor;

__extension__ typedef __int128 Int128;  // exact products of two int64 values

const char* opName(Op op) {
    switch (op) {
        case Op::kSUM:
            return "SUM";
        case Op::kPROD:
            return "PROD";
        case Op::kMAX:
            return "MAX";
        case Op::kMIN:
            return "MIN";
        case Op::kSUB:
            return "SUB";
        case Op::kDIV:
            return "DIV";
        case Op::kPOW:
            return "POW";
        case Op::kFLOOR_DIV:
            return "FLOOR_DIV";
        case Op::kAND:
            return "AND";
        case Op::kOR:
            return "OR";
        case Op::kXOR:
            return "XOR";
        case Op::kEQUAL:
            return "EQUAL";
        case Op::kGREATER:
            return "GREATER";
        case Op::kLESS:
            return "LESS";
        case Op::kMOD:
            return "MOD";
        case Op::kFMOD:
            return "FMOD";
    }
    return "?";
}

bool isDivision(Op op) {
    return op == Op::kDIV || op == Op::kFLOOR_DIV || op == Op::kMOD || op == Op::kFMOD;
}
bool isComparison(Op op) {
    return op == Op::kEQUAL || op == Op::kGREATER || op == Op::kLESS;
}
bool isLogical(Op op) {
    return op == Op::kAND || op == Op::kOR || op == Op::kXOR;
}

/// v reduced modulo 2^bits of the integer type t, read back as that type's value.
int64_t wrapTo(DataType t, Int128 v) {
    int bits = t == DataType::kINT64 ? 64 : t == DataType::kINT32 ? 32 : 8;
    Int128 m = static_cast<Int128>(1) << bits;
    Int128 r = v % m;
    if (r < 0) r += m;
    if (t != DataType::kUINT8 && r >= m / 2) r -= m;
    return static_cast<int64_t>(r);
}

int64_t intReference(Op op, DataType t, int64_t a, int64_t b) {
    const Int128 A = a, B = b;
    switch (op) {
        case Op::kSUM:
            return wrapTo(t, A + B);
        case Op::kSUB:
            return wrapTo(t, A - B);
        case Op::kPROD:
            return wrapTo(t, A * B);
        case Op::kMAX:
            return a > b ? a : b;
        case Op::kMIN:
            return a < b ? a : b;
        // |a| <= 2^40 in these tests, so a / b in double is never rounded onto the wrong side of an integer.
        // -128 / -1 is 128, which int8 wraps to -128.
        case Op::kDIV:
            return wrapTo(t,
                          static_cast<Int128>(std::trunc(static_cast<double>(a) / static_cast<double>(b))));
        case Op::kFLOOR_DIV:
            return wrapTo(t,
                          static_cast<Int128>(std::floor(static_cast<double>(a) / static_cast<double>(b))));
        case Op::kMOD:
            return static_cast<int64_t>(A - B * static_cast<Int128>(std::floor(static_cast<double>(a) / b)));
        case Op::kFMOD:
            return static_cast<int64_t>(A - B * static_cast<Int128>(std::trunc(static_cast<double>(a) / b)));
        case Op::kPOW: {
            if (b < 0)
                return a == 0 ? 0 : static_cast<int64_t>(std::trunc(std::pow(static_cast<double>(a), b)));
            Int128 r = 1;
            for (int64_t i = 0; i < b; ++i) r = static_cast<Int128>(wrapTo(DataType::kINT64, r * A));
            return wrapTo(t, r);
        }
        case Op::kEQUAL:
            return a == b;
        case Op::kGREATER:
            return a > b;
        case Op::kLESS:
            return a < b;
        case Op::kAND:
            return (a & b) != 0;
        case Op::kOR:
            return (a | b) != 0;
        case Op::kXOR:
            return (a ^ b) != 0;
    }
    ADD_FAILURE() << "no reference for " << opName(op);
    return 0;
}

double floatReference(Op op, double a, double b) {
    switch (op) {
        case Op::kSUM:
            return a + b;
        case Op::kSUB:
            return a - b;
        case Op::kPROD:
            return a * b;
        case Op::kMAX:
            return std::fmax(a, b);
        case Op::kMIN:
            return std::fmin(a, b);
        case Op::kDIV:
            return a / b;
        case Op::kFLOOR_DIV:
            return std::floor(a / b);
        case Op::kMOD:
            return a - b * std::floor(a / b);
        case Op::kFMOD:
            return a - b * std::trunc(a / b);
        case Op::kPOW:
            return std::pow(a, b);
        case Op::kEQUAL:
            return a == b;
        case Op::kGREATER:
            return a > b;
        case Op::kLESS:
            return a < b;
        case Op::kAND:
        case Op::kOR:
        case Op::kXOR:
            break;
    }
    ADD_FAILURE() << "no float reference for " << opName(op);
    return 0;
}

struct EwParam {
    Op op;
    DataType type;
    Dims a, b;
};

std::string describe(const EwParam& p) {
    return std::string(opName(p.op)) + " " + dataTypeName(p.type) + " " + pwtest::str(p.a) + " with " +
           pwtest::str(p.b);
}

/// Inputs for one case: ranges that exercise the op (wrap-around for integers, both signs of divisors, no
/// zero divisors, positive bases for float POW, small integers for comparisons so that equality happens).
HostTensor makeInput(const EwParam& p, int which, uint64_t seed) {
    const Dims& s = which == 0 ? p.a : p.b;
    const DataType t = p.type;
    if (t == DataType::kBOOL) return HostTensor::random(t, s, seed);
    if (isComparison(p.op)) {
        HostTensor ints = HostTensor::random(DataType::kINT32, s, seed, t == DataType::kUINT8 ? 0 : -3, 3);
        HostTensor h(t, s);
        for (int64_t i = 0; i < h.numel(); ++i) h.set(i, ints.at(i));
        return h;
    }
    if (pwtest::isFloat(t)) {
        if (p.op == Op::kPOW)
            return HostTensor::random(t, s, seed, which == 0 ? 0.1 : -2.0, which == 0 ? 3.0 : 2.0);
        HostTensor h = HostTensor::random(t, s, seed, which == 1 && isDivision(p.op) ? 0.5 : -4.0, 4.0);
        if (which == 1 && isDivision(p.op))
            for (int64_t i = 1; i < h.numel(); i += 2) h.set(i, -h.at(i));
        return h;
    }
    int64_t lo = 0, hi = 0;
    switch (t) {
        case DataType::kINT8:
            lo = -128, hi = 127;
            break;
        case DataType::kUINT8:
            lo = 0, hi = 255;
            break;
        case DataType::kINT32:
            lo = -100000, hi = 100000;
            break;
        default:
            lo = -(int64_t{1} << 40), hi = int64_t{1} << 40;
            break;
    }
    if (p.op == Op::kPOW) {
        // Bases up to 9 to the 6th wrap int8/uint8 but not int32; negative exponents truncate to 0 or +-1.
        lo = which == 0 ? (t == DataType::kUINT8 ? 0 : -9) : (t == DataType::kUINT8 ? 0 : -2);
        hi = which == 0 ? 9 : 6;
    }
    if (which == 1 && isDivision(p.op) && t == DataType::kINT64) lo = -1000, hi = 1000;
    HostTensor h = HostTensor::random(t, s, seed, static_cast<double>(lo), static_cast<double>(hi));
    if (which == 1 && isDivision(p.op))
        for (int64_t i = 0; i < h.numel(); ++i)
            if (h.atInt(i) == 0) h.setInt(i, 1);
    return h;
}

void PrintTo(const EwParam& p, std::ostream* os) {
    *os << describe(p);
}

class ElementWiseRandom : public ::testing::TestWithParam<EwParam> {};

TEST_P(ElementWiseRandom, MatchesReference) {
    const EwParam& p = GetParam();
    const std::string what = describe(p);
    HostTensor a = makeInput(p, 0, 11), b = makeInput(p, 1, 29);
    ir::ElementWiseAttrs attrs;
    attrs.op = p.op;
    auto y = run1(attrs, {a, b});
    ASSERT_TRUE(y.isOk()) << what << ": " << y.status().message();
    auto outShape = ir::broadcastShapes(p.a, p.b);
    ASSERT_TRUE(outShape.isOk());
    ASSERT_EQ(y->shape, *outShape) << what;
    const DataType outType = isComparison(p.op) || isLogical(p.op) ? DataType::kBOOL : p.type;
    ASSERT_EQ(y->type, outType) << what;

    const int64_t n = y->numel();
    if (pwtest::isFloat(p.type)) {
        std::vector<double> want(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            std::vector<int64_t> c = pwtest::coordsOf(i, y->shape);
            double r = floatReference(p.op, a.at(pwtest::broadcastOffset(c, p.a)),
                                      b.at(pwtest::broadcastOffset(c, p.b)));
            want[static_cast<size_t>(i)] = pwtest::roundTo(outType, r);
        }
        // Exact for everything but MOD/FMOD: both sides compute the same double and round it once. The test's
        // MOD/FMOD go through a - b * floor(a / b), a few double ulps from the kernel's exact fmod.
        const bool remainder = p.op == Op::kMOD || p.op == Op::kFMOD;
        EXPECT_TRUE(allClose(*y, want, remainder ? 1.0 : 0.0, remainder ? 1e-12 : 0.0)) << what;
    } else {
        std::vector<int64_t> want(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            std::vector<int64_t> c = pwtest::coordsOf(i, y->shape);
            want[static_cast<size_t>(i)] =
                intReference(p.op, p.type, a.atInt(pwtest::broadcastOffset(c, p.a)),
                             b.atInt(pwtest::broadcastOffset(c, p.b)));
        }
        EXPECT_TRUE(equalInts(*y, want)) << what;
    }
}

std::vector<EwParam> elementWiseParams() {
    const std::vector<std::pair<Dims, Dims>> shapes = {
        {makeDims({1, 3, 7, 5}), makeDims({1, 3, 7, 5})},
        {makeDims({2, 1, 5}), makeDims({3, 1})},
        {Dims{}, makeDims({4, 3})},
        {makeDims({3, 1, 7}), makeDims({1, 5, 1})},
    };
    const Op arithmetic[] = {Op::kSUM, Op::kPROD, Op::kMAX,       Op::kMIN, Op::kSUB,
                             Op::kDIV, Op::kPOW,  Op::kFLOOR_DIV, Op::kMOD, Op::kFMOD};
    const DataType numeric[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT32,
                                DataType::kINT64, DataType::kINT8, DataType::kUINT8};
    std::vector<EwParam> v;
    for (const auto& [a, b] : shapes) {
        for (Op op : arithmetic)
            for (DataType t : numeric) v.push_back({op, t, a, b});
        for (Op op : {Op::kSUM, Op::kDIV}) v.push_back({op, DataType::kFP8, a, b});
        for (Op op : {Op::kEQUAL, Op::kGREATER, Op::kLESS})
            for (DataType t : numeric) v.push_back({op, t, a, b});
        for (Op op : {Op::kAND, Op::kOR, Op::kXOR, Op::kEQUAL}) v.push_back({op, DataType::kBOOL, a, b});
    }
    // More than one thread-pool chunk, both the same-shape path and the broadcast odometer starting mid-row.
    for (Op op : {Op::kSUM, Op::kDIV, Op::kLESS}) {
        v.push_back({op, DataType::kFLOAT, makeDims({3, 7, 1031}), makeDims({3, 7, 1031})});
        v.push_back({op, DataType::kFLOAT, makeDims({5, 1, 2063}), makeDims({7, 1})});
        v.push_back({op, DataType::kINT32, makeDims({5, 1, 2063}), makeDims({7, 1})});
    }
    return v;
}

INSTANTIATE_TEST_SUITE_P(AllOps, ElementWiseRandom, ::testing::ValuesIn(elementWiseParams()),
                         [](const ::testing::TestParamInfo<EwParam>& info) {
                             return std::string(opName(info.param.op)) + "_" + dataTypeName(info.param.type) +
                                    "_" + std::to_string(info.index);
                         });

ir::ElementWiseAttrs ew(Op op) {
    ir::ElementWiseAttrs a;
    a.op = op;
    return a;
}

TEST(ElementWiseOp, DivisionSignRulesIntegers) {
    const std::vector<int64_t> a{-7, 7, -7, 7, -7, 7, 5};
    const std::vector<int64_t> b{2, 2, -2, -2, 3, -3, 0};
    struct Want {
        Op op;
        std::vector<int64_t> y;
    };
    // By hand; division and remainder by zero give 0 (documented, numpy's result).
    const Want wants[] = {
        {Op::kDIV, {-3, 3, 3, -3, -2, -2, 0}},
        {Op::kFLOOR_DIV, {-4, 3, 3, -4, -3, -3, 0}},
        {Op::kMOD, {1, 1, -1, -1, 2, -2, 0}},
        {Op::kFMOD, {-1, 1, -1, 1, -1, 1, 0}},
    };
    for (DataType t : {DataType::kINT32, DataType::kINT64, DataType::kINT8}) {
        for (const Want& w : wants) {
            auto y = run1(ew(w.op), {intTensor(t, makeDims({7}), a), intTensor(t, makeDims({7}), b)});
            ASSERT_TRUE(y.isOk()) << y.status().message();
            EXPECT_TRUE(equalInts(*y, w.y)) << opName(w.op) << " " << dataTypeName(t);
        }
    }
}

TEST(ElementWiseOp, DivisionSignRulesFloats) {
    const std::vector<double> a{-7, 7, -7, 7, -1, 1, -1, 5};
    const std::vector<double> b{2, 2, -2, -2, 1, -1, 1, 0};
    const double nan = std::nan("");
    struct Want {
        Op op;
        std::vector<double> y;
    };
    const Want wants[] = {
        {Op::kDIV, {-3.5, 3.5, 3.5, -3.5, -1, -1, -1, INFINITY}},
        {Op::kFLOOR_DIV, {-4, 3, 3, -4, -1, -1, -1, INFINITY}},
        {Op::kMOD, {1, 1, -1, -1, 0, -0.0, 0, nan}},
        {Op::kFMOD, {-1, 1, -1, 1, -0.0, 0, -0.0, nan}},
    };
    for (DataType t : {DataType::kFLOAT, DataType::kHALF}) {
        for (const Want& w : wants) {
            auto y = run1(ew(w.op), {tensor(t, makeDims({8}), a), tensor(t, makeDims({8}), b)});
            ASSERT_TRUE(y.isOk()) << y.status().message();
            EXPECT_TRUE(allClose(*y, w.y, 0.0)) << opName(w.op) << " " << dataTypeName(t);
            // Zero remainders carry a sign: MOD the divisor's (Python), FMOD the dividend's (C).
            for (int i : {4, 5, 6})
                EXPECT_EQ(std::signbit(y->at(i)), std::signbit(w.y[static_cast<size_t>(i)]))
                    << opName(w.op) << " " << dataTypeName(t) << " element " << i;
        }
    }
}

TEST(ElementWiseOp, IntegerWrapAround) {
    constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max(),
                      kI64Min = std::numeric_limits<int64_t>::min();
    constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max(),
                      kI32Min = std::numeric_limits<int32_t>::min();
    struct Case {
        Op op;
        DataType t;
        int64_t a, b, y;
    };
    const Case cases[] = {
        {Op::kSUM, DataType::kINT32, kI32Max, 1, kI32Min},
        {Op::kSUM, DataType::kINT64, kI64Max, 1, kI64Min},
        {Op::kSUM, DataType::kINT8, 100, 100, -56},
        {Op::kSUB, DataType::kUINT8, 3, 5, 254},
        {Op::kPROD, DataType::kINT8, 16, 16, 0},
        {Op::kPROD, DataType::kUINT8, 200, 2, 144},
        {Op::kPROD, DataType::kINT64, int64_t{1} << 62, 4, 0},
        {Op::kDIV, DataType::kINT32, kI32Min, -1, kI32Min},
        {Op::kDIV, DataType::kINT64, kI64Min, -1, kI64Min},
        {Op::kFLOOR_DIV, DataType::kINT64, kI64Min, -1, kI64Min},
        {Op::kMOD, DataType::kINT64, kI64Min, -1, 0},
        {Op::kFMOD, DataType::kINT64, kI64Min, -1, 0},
        {Op::kPOW, DataType::kINT32, 2, 10, 1024},
        {Op::kPOW, DataType::kINT32, 2, 31, kI32Min},
        {Op::kPOW, DataType::kINT32, -2, 3, -8},
        {Op::kPOW, DataType::kINT32, 0, 0, 1},
        {Op::kPOW, DataType::kINT32, 2, -1, 0},
        {Op::kPOW, DataType::kINT32, 0, -1, 0},
        {Op::kPOW, DataType::kINT64, -1, -3, -1},
        {Op::kPOW, DataType::kINT64, -1, -2, 1},
        {Op::kPOW, DataType::kINT64, 1, -5, 1},
        {Op::kPOW, DataType::kINT64, 3, 40, -6289078614652622815LL},  // 3^40 - 2^64
        {Op::kMAX, DataType::kUINT8, 200, 100, 200},
        {Op::kMIN, DataType::kINT8, -128, 127, -128},
    };
    for (const Case& c : cases) {
        auto y = run1(ew(c.op), {intTensor(c.t, makeDims({1}), {c.a}), intTensor(c.t, Dims{}, {c.b})});
        ASSERT_TRUE(y.isOk()) << y.status().message();
        EXPECT_EQ(y->atInt(0), c.y) << opName(c.op) << " " << dataTypeName(c.t) << " " << c.a << ", " << c.b;
    }
}

TEST(ElementWiseOp, FloatSpecialValues) {
    const double nan = std::nan("");
    struct Case {
        Op op;
        double a, b, y;
    };
    const Case cases[] = {
        {Op::kMAX, nan, 1.0, nan},       {Op::kMAX, 1.0, nan, nan},
        {Op::kMIN, nan, 1.0, nan},       {Op::kMIN, 1.0, nan, nan},
        {Op::kPOW, -8.0, 1.0 / 3, nan},  {Op::kPOW, -2.0, 3.0, -8.0},
        {Op::kPOW, 0.0, -1.0, INFINITY}, {Op::kSUM, INFINITY, -INFINITY, nan},
    };
    for (const Case& c : cases) {
        auto y = run1(ew(c.op), {tensor(DataType::kFLOAT, makeDims({1}), {c.a}),
                                 tensor(DataType::kFLOAT, makeDims({1}), {c.b})});
        ASSERT_TRUE(y.isOk()) << y.status().message();
        EXPECT_TRUE(allClose(*y, {c.y}, 0.0)) << opName(c.op) << " " << c.a << ", " << c.b;
    }
    auto eq = run1(ew(Op::kEQUAL), {tensor(DataType::kFLOAT, makeDims({2}), {nan, 0.0}),
                                    tensor(DataType::kFLOAT, makeDims({2}), {nan, -0.0})});
    ASSERT_TRUE(eq.isOk()) << eq.status().message();
    EXPECT_TRUE(equalInts(*eq, {0, 1}));  // NaN != NaN; +0 == -0
}

TEST(ElementWiseOp, NarrowFloatRounding) {
    // Worked by hand. float16 has 10 fraction bits: 1 + 2^-11 is a tie and goes to the even 1.0,
    // 1 + 3 * 2^-11 is a tie between 1 + 2^-10 (odd) and 1 + 2^-9 (even). 1/3 = 0x3555 = 0.333251953125.
    // 60000 + 10000 exceeds 65504 and the rounding threshold 65520: inf.
    auto h =
        run1(ew(Op::kSUM), {tensor(DataType::kHALF, makeDims({3}), {1.0, 1.0, 60000.0}),
                            tensor(DataType::kHALF, makeDims({3}), {0.00048828125, 0.00146484375, 10000.0})});
    ASSERT_TRUE(h.isOk()) << h.status().message();
    EXPECT_TRUE(allClose(*h, {1.0, 1.001953125, INFINITY}, 0.0));
    auto hd = run1(ew(Op::kDIV),
                   {tensor(DataType::kHALF, makeDims({1}), {1.0}), tensor(DataType::kHALF, Dims{}, {3.0})});
    ASSERT_TRUE(hd.isOk()) << hd.status().message();
    EXPECT_EQ(hd->at(0), 0.333251953125);
    // bfloat16 has 7 fraction bits: 1 + 2^-8 ties to 1.0, 1 + 3 * 2^-8 ties up to 1 + 2^-6;
    // 1/3 -> 0x3EAB = 0.333984375.
    auto b = run1(ew(Op::kSUM), {tensor(DataType::kBF16, makeDims({2}), {1.0, 1.0}),
                                 tensor(DataType::kBF16, makeDims({2}), {0.00390625, 0.01171875})});
    ASSERT_TRUE(b.isOk()) << b.status().message();
    EXPECT_TRUE(allClose(*b, {1.0, 1.015625}, 0.0));
    auto bd = run1(ew(Op::kDIV),
                   {tensor(DataType::kBF16, makeDims({1}), {1.0}), tensor(DataType::kBF16, Dims{}, {3.0})});
    ASSERT_TRUE(bd.isOk()) << bd.status().message();
    EXPECT_EQ(bd->at(0), 0.333984375);
}

TEST(ElementWiseOp, BroadcastByHand) {
    auto y = run1(ew(Op::kSUB), {tensor(DataType::kFLOAT, makeDims({2, 1}), {1, 2}),
                                 tensor(DataType::kFLOAT, makeDims({3}), {10, 20, 30})});
    ASSERT_TRUE(y.isOk()) << y.status().message();
    EXPECT_EQ(y->shape, makeDims({2, 3}));
    EXPECT_TRUE(allClose(*y, {-9, -19, -29, -8, -18, -28}, 0.0));
    auto g = run1(ew(Op::kGREATER), {intTensor(DataType::kINT32, Dims{}, {2}),
                                     intTensor(DataType::kINT32, makeDims({1, 4}), {0, 2, 3, -5})});
    ASSERT_TRUE(g.isOk()) << g.status().message();
    EXPECT_EQ(g->type, DataType::kBOOL);
    EXPECT_EQ(g->shape, makeDims({1, 4}));
    EXPECT_TRUE(equalInts(*g, {1, 0, 0, 1}));
    auto x = run1(ew(Op::kXOR), {intTensor(DataType::kBOOL, makeDims({2, 1}), {0, 1}),
                                 intTensor(DataType::kBOOL, makeDims({2}), {0, 1})});
    ASSERT_TRUE(x.isOk()) << x.status().message();
    EXPECT_TRUE(equalInts(*x, {0, 1, 1, 0}));
}

TEST(ElementWiseOp, InferenceWithDynamicDims) {
    using pwtest::desc;
    struct Case {
        Dims a, b, want;
    };
    const Case cases[] = {
        {makeDims({-1, 3}), makeDims({1, 3}), makeDims({-1, 3})},
        {makeDims({-1, 1}), makeDims({1, 4}), makeDims({-1, 4})},
        {makeDims({1}), makeDims({-1}), makeDims({-1})},
        {makeDims({-1, 5}), Dims{}, makeDims({-1, 5})},
        {makeDims({2, -1, 5}), makeDims({3, 1}), makeDims({2, 3, 5})},
    };
    for (const Case& c : cases) {
        auto d = pwtest::inferOnly(ew(Op::kLESS), {desc(DataType::kINT64, c.a), desc(DataType::kINT64, c.b)});
        ASSERT_TRUE(d.isOk()) << d.status().message();
        EXPECT_EQ(d->shape, c.want) << pwtest::str(c.a) << " with " << pwtest::str(c.b);
        EXPECT_EQ(d->type, DataType::kBOOL);
    }
}

TEST(ElementWiseOp, Errors) {
    using pwtest::desc;
    auto err = [](Op op, DataType ta, Dims a, DataType tb, Dims b) {
        return pwtest::inferOnly(ew(op), {desc(ta, a), desc(tb, b)}).status();
    };
    const Dims s = makeDims({2, 3});
    EXPECT_TRUE(failsWith(err(Op::kSUM, DataType::kFLOAT, s, DataType::kINT32, s),
                          {"ElementWise kSUM", "same type", "float32 (input 0)", "int32 (input 1)"}));
    EXPECT_TRUE(
        failsWith(err(Op::kPROD, DataType::kBOOL, s, DataType::kBOOL, s), {"ElementWise kPROD", "got bool"}));
    EXPECT_TRUE(failsWith(err(Op::kAND, DataType::kFLOAT, s, DataType::kFLOAT, s),
                          {"ElementWise kAND", "must be bool", "got float32"}));
    EXPECT_TRUE(
        failsWith(err(Op::kLESS, DataType::kBOOL, s, DataType::kBOOL, s), {"ElementWise kLESS", "got bool"}));
    EXPECT_TRUE(failsWith(err(Op::kSUM, DataType::kFLOAT, s, DataType::kFLOAT, makeDims({4, 3})),
                          {"ElementWise kSUM", "cannot broadcast", "[2,3]", "[4,3]"}));
    EXPECT_TRUE(failsWith(err(static_cast<Op>(77), DataType::kFLOAT, s, DataType::kFLOAT, s),
                          {"unknown operation 77"}));
    // The same mismatch reported at run time by the harness (inference runs first there too).
    EXPECT_TRUE(failsWith(
        run1(ew(Op::kMOD), {HostTensor(DataType::kHALF, s), HostTensor(DataType::kBF16, s)}).status(),
        {"float16 (input 0)", "bfloat16 (input 1)"}));
}

}  // namespace
}  // namespace kiln
