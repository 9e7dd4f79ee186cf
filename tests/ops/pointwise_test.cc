// Cast, Identity and Select. Cast runs every one of the 81 (from, to) dtype pairs on random values plus
// specials (NaN, infinities, -0, out-of-range, .5 fractions) against conversion rules written here:
// correct rounding through the test's own float formats, truncation with saturation and NaN -> 0 into
// integers, modular wrap between integers, != 0 into bool. Hand-computed conversions cover rounding
// ties, int64 values that a double detour would round twice, and saturation. Identity converts to the
// requested output type with the same rules. Select broadcasts condition/then/else three ways.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "pointwise_test_util.h"

namespace kiln {
namespace {

using pwtest::allClose;
using pwtest::equalInts;
using pwtest::failsWith;
using pwtest::intTensor;
using pwtest::run1;
using pwtest::tensor;

const DataType kAllTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kINT8,
                              DataType::kINT32, DataType::kBOOL, DataType::kUINT8,
                              DataType::kFP8,   DataType::kBF16, DataType::kINT64};

__extension__ typedef __int128 Int128;

void intBounds(DataType t, int64_t* lo, int64_t* hi) {
    switch (t) {
        case DataType::kINT8:
            *lo = -128, *hi = 127;
            return;
        case DataType::kUINT8:
            *lo = 0, *hi = 255;
            return;
        case DataType::kINT32:
            *lo = -2147483648LL, *hi = 2147483647LL;
            return;
        default:
            *lo = std::numeric_limits<int64_t>::min(), *hi = std::numeric_limits<int64_t>::max();
            return;
    }
}

int64_t wrapTo(DataType t, int64_t v) {
    if (t == DataType::kINT64) return v;
    const int64_t m = t == DataType::kINT32 ? (int64_t{1} << 32) : 256;
    int64_t r = ((v % m) + m) % m;
    if (t != DataType::kUINT8 && r >= m / 2) r -= m;
    return r;
}

/// Source values for a Cast test: random over a range that leaves the narrow targets, then specials.
HostTensor castSource(DataType t, Dims s) {
    HostTensor h;
    if (t == DataType::kBOOL) return HostTensor::random(t, s, 8);
    if (pwtest::isFloat(t)) {
        h = HostTensor::random(t, s, 8, -600.0, 600.0);
        const double specials[] = {std::nan(""), INFINITY, -INFINITY, -0.0, 0.5,   -0.5,    2.7,     -2.7,
                                   255.5,        256.0,    -129.0,    1e10, -1e10, 65519.0, 65520.0, 448.0};
        int64_t i = 0;
        for (double v : specials) h.set(i++, v);
        return h;
    }
    int64_t lo = 0, hi = 0;
    intBounds(t, &lo, &hi);
    // int64 stays within 2^50 so the test's double holds each value exactly; larger ones are checked by hand.
    if (t == DataType::kINT64) lo = -(int64_t{1} << 50), hi = int64_t{1} << 50;
    h = HostTensor::random(t, s, 8, static_cast<double>(lo), static_cast<double>(hi));
    h.setInt(0, lo);
    h.setInt(1, hi);
    h.setInt(2, 0);
    h.setInt(3, -1 < lo ? 1 : -1);
    return h;
}

struct CastParam {
    DataType from, to;
};

void PrintTo(const CastParam& p, std::ostream* os) {
    *os << dataTypeName(p.from) << " -> " << dataTypeName(p.to);
}

class CastAllPairs : public ::testing::TestWithParam<CastParam> {};

TEST_P(CastAllPairs, FollowsConversionRules) {
    const auto [from, to] = GetParam();
    const std::string what = std::string(dataTypeName(from)) + " -> " + dataTypeName(to);
    HostTensor x = castSource(from, makeDims({3, 7, 5}));
    ir::CastAttrs a;
    a.toType = to;
    auto y = run1(a, {x});
    ASSERT_TRUE(y.isOk()) << what << ": " << y.status().message();
    ASSERT_EQ(y->type, to) << what;
    ASSERT_EQ(y->shape, x.shape) << what;
    std::vector<double> wantFloat;
    std::vector<int64_t> wantInt;
    int64_t lo = 0, hi = 0;
    intBounds(to, &lo, &hi);
    for (int64_t i = 0; i < x.numel(); ++i) {
        if (pwtest::isFloat(from)) {
            const double v = x.at(i);
            if (pwtest::isFloat(to)) {
                wantFloat.push_back(pwtest::roundTo(to, v));
            } else if (to == DataType::kBOOL) {
                wantInt.push_back(v != 0 ? 1 : 0);  // NaN != 0
            } else {
                const double t = std::trunc(v);
                wantInt.push_back(std::isnan(v)                  ? 0
                                  : t <= static_cast<double>(lo) ? lo
                                  : t >= static_cast<double>(hi) ? hi
                                                                 : static_cast<int64_t>(t));
            }
        } else {
            const int64_t v = x.atInt(i);
            if (pwtest::isFloat(to))
                wantFloat.push_back(pwtest::roundTo(to, static_cast<double>(v)));
            else if (to == DataType::kBOOL)
                wantInt.push_back(v != 0);
            else
                wantInt.push_back(wrapTo(to, v));
        }
    }
    if (pwtest::isFloat(to))
        EXPECT_TRUE(allClose(*y, wantFloat, 0.0)) << what;  // exact: one correct rounding on both sides
    else
        EXPECT_TRUE(equalInts(*y, wantInt)) << what;
}

std::vector<CastParam> allPairs() {
    std::vector<CastParam> v;
    for (DataType a : kAllTypes)
        for (DataType b : kAllTypes) v.push_back({a, b});
    return v;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CastAllPairs, ::testing::ValuesIn(allPairs()),
                         [](const ::testing::TestParamInfo<CastParam>& info) {
                             return std::string(dataTypeName(info.param.from)) + "_to_" +
                                    dataTypeName(info.param.to);
                         });

HostTensor castTo(DataType to, const HostTensor& x) {
    ir::CastAttrs a;
    a.toType = to;
    auto y = run1(a, {x});
    EXPECT_TRUE(y.isOk()) << y.status().message();
    return y.isOk() ? *y : HostTensor(to, x.shape);
}

TEST(CastOp, HandComputedConversions) {
    const double nan = std::nan("");
    // float -> int: truncation toward zero, saturation, NaN -> 0.
    HostTensor f = tensor(DataType::kFLOAT, makeDims({8}), {2.7, -2.7, nan, 1e10, -1e10, INFINITY, 300, -5});
    EXPECT_TRUE(
        equalInts(castTo(DataType::kINT32, f), {2, -2, 0, 2147483647, -2147483648LL, 2147483647, 300, -5}));
    EXPECT_TRUE(equalInts(castTo(DataType::kUINT8, f), {2, 0, 0, 255, 0, 255, 255, 0}));
    EXPECT_TRUE(equalInts(castTo(DataType::kINT8, f), {2, -2, 0, 127, -128, 127, 127, -5}));
    EXPECT_TRUE(equalInts(castTo(DataType::kINT64, f), {2, -2, 0, 10000000000LL, -10000000000LL,
                                                        std::numeric_limits<int64_t>::max(), 300, -5}));
    EXPECT_TRUE(equalInts(
        castTo(DataType::kBOOL, tensor(DataType::kFLOAT, makeDims({4}), {-0.0, nan, 0.5, 0})), {0, 1, 1, 0}));
    // int -> int wraps: 300 -> int8 44, -1 -> uint8 255, 2^32 + 5 -> int32 5, 2^31 -> int32 -2^31.
    EXPECT_TRUE(equalInts(castTo(DataType::kINT8, intTensor(DataType::kINT32, makeDims({2}), {300, -200})),
                          {44, 56}));
    EXPECT_TRUE(equalInts(castTo(DataType::kUINT8, intTensor(DataType::kINT8, makeDims({1}), {-1})), {255}));
    EXPECT_TRUE(equalInts(castTo(DataType::kINT32, intTensor(DataType::kINT64, makeDims({2}),
                                                             {(int64_t{1} << 32) + 5, int64_t{1} << 31})),
                          {5, -2147483648LL}));
    // float32 -> float16: 0.1 -> 0x2E66 = 0.0999755859375; 65519 -> 65504 (below the 65520 threshold);
    // 65520 -> inf; 2^-25 (half the smallest subnormal, a tie) -> 0; 3 * 2^-25 -> 2^-23.
    EXPECT_TRUE(allClose(
        castTo(DataType::kHALF, tensor(DataType::kFLOAT, makeDims({5}),
                                       {0.1, 65519, 65520, std::ldexp(1, -25), 3 * std::ldexp(1, -25)})),
        {0.0999755859375, 65504, INFINITY, 0, std::ldexp(1, -23)}, 0.0));
    // float -> fp8 e4m3fn: 500 and -1000 saturate to +-448; 0.3 -> 0.3125 (grid step 2^-5 at [0.25, 0.5)).
    EXPECT_TRUE(allClose(castTo(DataType::kFP8, tensor(DataType::kFLOAT, makeDims({3}), {500, -1000, 0.3})),
                         {448, -448, 0.3125}, 0.0));
    // int -> float16: 2049 and 2051 are ties at the half grid step 2 -> even 2048 and 2052.
    EXPECT_TRUE(
        allClose(castTo(DataType::kHALF, intTensor(DataType::kINT32, makeDims({3}), {2049, 2051, 70000})),
                 {2048, 2052, INFINITY}, 0.0));
    EXPECT_TRUE(
        allClose(castTo(DataType::kFLOAT, intTensor(DataType::kBOOL, makeDims({2}), {1, 0})), {1, 0}, 0.0));
}

TEST(CastOp, LargeInt64RoundsOnce) {
    // 2^60 + 2^36 + 1 lies just above the float32 half-way point 2^60 + 2^36 (float32 step 2^37 there):
    // correct rounding gives 2^60 + 2^37. Through double it would first become the tie and then go to
    // the even 2^60.
    const int64_t big = (int64_t{1} << 60) + (int64_t{1} << 36) + 1;
    // 2^40 + 2^32 + 1 lies just above the bfloat16 half-way point (step 2^33): correct is 2^40 + 2^33.
    // Through float32 it would first become the tie 2^40 + 2^32 exactly and then go to the even 2^40.
    const int64_t mid = (int64_t{1} << 40) + (int64_t{1} << 32) + 1;
    HostTensor x = intTensor(DataType::kINT64, makeDims({3}), {big, mid, -mid});
    HostTensor f = castTo(DataType::kFLOAT, x);
    EXPECT_EQ(f.at(0), std::ldexp(1, 60) + std::ldexp(1, 37));
    HostTensor b = castTo(DataType::kBF16, x);
    EXPECT_EQ(b.at(1), std::ldexp(1, 40) + std::ldexp(1, 33));
    EXPECT_EQ(b.at(2), -(std::ldexp(1, 40) + std::ldexp(1, 33)));
    HostTensor h = castTo(DataType::kHALF, x);
    EXPECT_TRUE(std::isinf(h.at(0)) && h.at(0) > 0) << h.at(0);
}

TEST(CastOp, InferenceAndErrors) {
    ir::CastAttrs a;
    a.toType = DataType::kINT64;
    auto d = pwtest::inferOnly(a, {pwtest::desc(DataType::kHALF, makeDims({-1, 2}))});
    ASSERT_TRUE(d.isOk()) << d.status().message();
    EXPECT_EQ(d->type, DataType::kINT64);
    EXPECT_EQ(d->shape, makeDims({-1, 2}));
    a.toType = static_cast<DataType>(42);
    EXPECT_TRUE(failsWith(pwtest::inferOnly(a, {pwtest::desc(DataType::kHALF, makeDims({2}))}).status(),
                          {"Cast: target type is unknown data type 42"}));
}

TEST(IdentityOp, ConvertsToTheRequestedType) {
    ir::IdentityAttrs a;
    const double nan = std::nan("");
    HostTensor x = tensor(DataType::kFLOAT, makeDims({2, 3}), {0.1, -2.5, nan, 1e6, -0.0, 3.75});
    // Same type: a copy, NaN and -0 included.
    auto same = kiln::testing::runSingleOp(a, {x});
    ASSERT_TRUE(same.isOk()) << same.status().message();
    EXPECT_EQ((*same)[0].type, DataType::kFLOAT);
    EXPECT_EQ((*same)[0].bytes, x.bytes);
    auto h = run1(a, {x}, {DataType::kHALF});
    ASSERT_TRUE(h.isOk()) << h.status().message();
    EXPECT_EQ(h->type, DataType::kHALF);
    EXPECT_EQ(h->shape, makeDims({2, 3}));
    EXPECT_TRUE(allClose(*h, {0.0999755859375, -2.5, nan, INFINITY, -0.0, 3.75}, 0.0));
    auto i = run1(a, {x}, {DataType::kINT32});
    ASSERT_TRUE(i.isOk()) << i.status().message();
    EXPECT_TRUE(equalInts(*i, {0, -2, 0, 1000000, 0, 3}));
    auto b = run1(a, {x}, {DataType::kBOOL});
    ASSERT_TRUE(b.isOk()) << b.status().message();
    EXPECT_TRUE(equalInts(*b, {1, 1, 1, 1, 0, 1}));
    auto back = run1(a, {intTensor(DataType::kUINT8, Dims{}, {200})}, {DataType::kBF16});
    ASSERT_TRUE(back.isOk()) << back.status().message();
    EXPECT_EQ(back->at(0), 200.0);

    auto d = pwtest::inferOnly(a, {pwtest::desc(DataType::kINT64, makeDims({-1, 7}))}, DataType::kINT32);
    ASSERT_TRUE(d.isOk()) << d.status().message();
    EXPECT_EQ(d->type, DataType::kINT32);
    EXPECT_EQ(d->shape, makeDims({-1, 7}));
    EXPECT_TRUE(failsWith(run1(a, {x}, {static_cast<DataType>(42)}).status(),
                          {"Identity: requested output type is unknown data type 42"}));
}

struct SelectParam {
    DataType type;
    Dims cond, thenS, elseS;
};

void PrintTo(const SelectParam& p, std::ostream* os) {
    *os << dataTypeName(p.type) << " cond " << pwtest::str(p.cond) << " then " << pwtest::str(p.thenS)
        << " else " << pwtest::str(p.elseS);
}

class SelectRandom : public ::testing::TestWithParam<SelectParam> {};

TEST_P(SelectRandom, PicksPerElement) {
    const SelectParam& p = GetParam();
    const std::string what = std::string(dataTypeName(p.type)) + " cond " + pwtest::str(p.cond) + " then " +
                             pwtest::str(p.thenS) + " else " + pwtest::str(p.elseS);
    HostTensor c = HostTensor::random(DataType::kBOOL, p.cond, 1);
    HostTensor t = HostTensor::random(p.type, p.thenS, 2, -50, 50);
    HostTensor e = HostTensor::random(p.type, p.elseS, 3, -50, 50);
    auto y = run1(ir::SelectAttrs{}, {c, t, e});
    ASSERT_TRUE(y.isOk()) << what << ": " << y.status().message();
    ASSERT_EQ(y->type, p.type) << what;
    std::vector<int64_t> want;
    int64_t n = 1;
    for (int i = 0; i < y->shape.nbDims; ++i) n *= y->shape.d[i];
    for (int64_t i = 0; i < n; ++i) {
        std::vector<int64_t> co = pwtest::coordsOf(i, y->shape);
        const HostTensor& src = c.atInt(pwtest::broadcastOffset(co, p.cond)) ? t : e;
        const Dims& ss = c.atInt(pwtest::broadcastOffset(co, p.cond)) ? p.thenS : p.elseS;
        // Compare raw element bytes, so floats are checked bit for bit.
        const size_t sz = static_cast<size_t>(dataTypeSize(p.type));
        int64_t v = 0;
        std::memcpy(&v, src.bytes.data() + static_cast<size_t>(pwtest::broadcastOffset(co, ss)) * sz, sz);
        want.push_back(v);
    }
    std::vector<int64_t> got;
    const size_t sz = static_cast<size_t>(dataTypeSize(p.type));
    for (int64_t i = 0; i < y->numel(); ++i) {
        int64_t v = 0;
        std::memcpy(&v, y->bytes.data() + static_cast<size_t>(i) * sz, sz);
        got.push_back(v);
    }
    EXPECT_EQ(got, want) << what;
}

std::vector<SelectParam> selectParams() {
    std::vector<SelectParam> v;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT64, DataType::kINT8,
                       DataType::kBOOL}) {
        v.push_back({t, makeDims({2, 1, 5}), makeDims({3, 1}), Dims{}});
        v.push_back({t, makeDims({1, 3, 7, 5}), makeDims({1, 3, 7, 5}), makeDims({1, 3, 7, 5})});
        v.push_back({t, makeDims({7}), makeDims({3, 1}), makeDims({1, 7})});
        v.push_back({t, Dims{}, makeDims({4}), makeDims({2, 1})});
    }
    v.push_back({DataType::kFLOAT, makeDims({5, 7, 2063}), makeDims({2063}), makeDims({5, 1, 1})});
    v.push_back({DataType::kINT32, makeDims({3, 7, 1031}), makeDims({3, 7, 1031}), makeDims({3, 7, 1031})});
    return v;
}

INSTANTIATE_TEST_SUITE_P(Shapes, SelectRandom, ::testing::ValuesIn(selectParams()),
                         [](const ::testing::TestParamInfo<SelectParam>& info) {
                             return std::string(dataTypeName(info.param.type)) + "_" +
                                    std::to_string(info.index);
                         });

TEST(SelectOp, HandComputedAndShape) {
    auto y = run1(ir::SelectAttrs{}, {intTensor(DataType::kBOOL, makeDims({2, 1}), {1, 0}),
                                      tensor(DataType::kFLOAT, makeDims({3}), {1, 2, 3}),
                                      tensor(DataType::kFLOAT, Dims{}, {-1})});
    ASSERT_TRUE(y.isOk()) << y.status().message();
    EXPECT_EQ(y->shape, makeDims({2, 3}));
    EXPECT_TRUE(allClose(*y, {1, 2, 3, -1, -1, -1}, 0.0));
    auto d = pwtest::inferOnly(ir::SelectAttrs{}, {pwtest::desc(DataType::kBOOL, makeDims({-1, 1})),
                                                   pwtest::desc(DataType::kINT32, makeDims({1, 4})),
                                                   pwtest::desc(DataType::kINT32, Dims{})});
    ASSERT_TRUE(d.isOk()) << d.status().message();
    EXPECT_EQ(d->shape, makeDims({-1, 4}));
    EXPECT_EQ(d->type, DataType::kINT32);
}

TEST(SelectOp, Errors) {
    using pwtest::desc;
    auto err = [](ir::TensorDesc c, ir::TensorDesc t, ir::TensorDesc e) {
        return pwtest::inferOnly(ir::SelectAttrs{}, {c, t, e}).status();
    };
    const Dims s = makeDims({2, 3});
    EXPECT_TRUE(
        failsWith(err(desc(DataType::kFLOAT, s), desc(DataType::kFLOAT, s), desc(DataType::kFLOAT, s)),
                  {"Select: condition (input 0) must be bool, got float32"}));
    EXPECT_TRUE(failsWith(err(desc(DataType::kBOOL, s), desc(DataType::kFLOAT, s), desc(DataType::kHALF, s)),
                          {"then (input 1) and else (input 2)", "float32 and float16"}));
    EXPECT_TRUE(failsWith(err(desc(DataType::kBOOL, s), desc(DataType::kINT8, makeDims({3})),
                              desc(DataType::kINT8, makeDims({4, 1}))),
                          {"condition [2,3], then [3] and else [4,1]", "cannot broadcast"}));
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

TEST(PointwiseOps, EmptyTensorsGiveEmptyOutputs) {
    // Zero-element tensors may come with null data; every op must give an empty output of the right shape.
    const Dims empty = makeDims({0, 3});
    const HostTensor f(DataType::kFLOAT, empty);
    ir::ActivationAttrs act;
    ir::ElementWiseAttrs ew;
    ir::UnaryAttrs un;
    ir::ScaleAttrs sc;
    sc.mode = ScaleMode::kCHANNEL;
    ir::CastAttrs cast;
    cast.toType = DataType::kHALF;
    struct Case {
        const char* name;
        ir::Attrs attrs;
        std::vector<HostTensor> inputs;
        Dims want;
    };
    const std::vector<Case> cases = {
        {"Activation", act, {f}, empty},
        {"ElementWise", ew, {f, HostTensor(DataType::kFLOAT, makeDims({1, 3}))}, empty},
        {"ElementWise broadcast to zero",
         ew,
         {HostTensor(DataType::kFLOAT, makeDims({2, 1, 3})), f},
         makeDims({2, 0, 3})},
        {"Unary", un, {f}, empty},
        {"Scale", sc, {f, HostTensor(DataType::kFLOAT, makeDims({3}))}, empty},
        {"Cast", cast, {f}, empty},
        {"Identity", ir::IdentityAttrs{}, {f}, empty},
        {"Select", ir::SelectAttrs{}, {HostTensor(DataType::kBOOL, empty), f, f}, empty},
    };
    for (const Case& c : cases) {
        auto y = pwtest::run1(c.attrs, c.inputs);
        ASSERT_TRUE(y.isOk()) << c.name << ": " << y.status().message();
        EXPECT_EQ(y->shape, c.want) << c.name;
        EXPECT_EQ(y->numel(), 0) << c.name;
    }
}

}  // namespace
}  // namespace kiln
