// Quantize and Dequantize: the ONNX specification's QuantizeLinear / DequantizeLinear examples by hand
// (per-tensor, per-axis), round-half-to-even ties, saturation, FP8 E4M3 (nearest, saturating to +-448),
// int32 dequantization, every input/output type and axis against loops written here, a quantize ->
// dequantize round trip, dynamic shapes at build time, and the error messages.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
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
using testing::scalarOf;
using testing::tensorOf;
using testing::valuesNear;

ir::QuantizeAttrs qAttrs(DataType to, int axis = 1) {
    ir::QuantizeAttrs a;
    a.toType = to;
    a.axis = axis;
    return a;
}
ir::DequantizeAttrs dqAttrs(DataType to, int axis = 1) {
    ir::DequantizeAttrs a;
    a.toType = to;
    a.axis = axis;
    return a;
}

HostTensor floats(Dims s, const std::vector<double>& v) {
    return tensorOf(DataType::kFLOAT, s, v);
}

// ONNX test_quantizelinear_axis / test_dequantizelinear_axis: x (1, 3, 3, 2), per-channel scale and zero
// point.
const std::vector<double> kAxisX{-162, 10, -100, 232, -20,  -50,  -76,  0,    0,
                                 252,  32, -44,  245, -485, -960, -270, -375, -470};
const std::vector<int64_t> kAxisY{3, 89, 34, 200, 74, 59, 5, 24, 24, 87, 32, 13, 245, 99, 4, 142, 121, 102};

TEST(QuantizeOp, OnnxExamples) {
    auto x = floats(makeDims({6}), {0, 2, 3, 1000, -254, -1000});
    auto u = runSingleOp(qAttrs(DataType::kUINT8),
                         {x, scalarOf(DataType::kFLOAT, 2), intsOf(DataType::kUINT8, Dims{}, {128})});
    ASSERT_TRUE(u.isOk()) << u.status().message();
    EXPECT_TRUE(intsEqual(u.value()[0], DataType::kUINT8, makeDims({6}), {128, 129, 130, 255, 1, 0}));
    auto s = runSingleOp(qAttrs(DataType::kINT8),
                         {x, scalarOf(DataType::kFLOAT, 2), intsOf(DataType::kINT8, Dims{}, {-1})});
    ASSERT_TRUE(s.isOk()) << s.status().message();
    EXPECT_TRUE(intsEqual(s.value()[0], DataType::kINT8, makeDims({6}), {-1, 0, 1, 127, -128, -128}));
    // Per axis 1 of (1, 3, 3, 2).
    auto xa = floats(makeDims({1, 3, 3, 2}), kAxisX);
    auto a = runSingleOp(
        qAttrs(DataType::kUINT8, 1),
        {xa, floats(makeDims({3}), {2, 4, 5}), intsOf(DataType::kUINT8, makeDims({3}), {84, 24, 196})});
    ASSERT_TRUE(a.isOk()) << a.status().message();
    EXPECT_TRUE(intsEqual(a.value()[0], DataType::kUINT8, makeDims({1, 3, 3, 2}), kAxisY));
    // The same with axis -3 and a float16 input and scale (all values exact in float16).
    auto ah =
        runSingleOp(qAttrs(DataType::kUINT8, -3), {tensorOf(DataType::kHALF, makeDims({1, 3, 3, 2}), kAxisX),
                                                   tensorOf(DataType::kHALF, makeDims({3}), {2, 4, 5}),
                                                   intsOf(DataType::kUINT8, makeDims({3}), {84, 24, 196})});
    ASSERT_TRUE(ah.isOk()) << ah.status().message();
    EXPECT_TRUE(intsEqual(ah.value()[0], DataType::kUINT8, makeDims({1, 3, 3, 2}), kAxisY));
}

TEST(QuantizeOp, RoundsHalfToEvenWithoutZeroPoint) {
    auto x = floats(makeDims({8}), {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 2.4999});
    auto r = runSingleOp(qAttrs(DataType::kINT8), {x, scalarOf(DataType::kFLOAT, 1)});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(intsEqual(r.value()[0], DataType::kINT8, makeDims({8}), {0, 2, 2, 0, -2, -2, 4, 2}));
    // Without a zero point uint8 saturates negatives to 0; a 1-element 1-D scale is per-tensor.
    auto u = runSingleOp(qAttrs(DataType::kUINT8),
                         {floats(makeDims({2, 2}), {-3, 300, 254.5, 255.5}), floats(makeDims({1}), {1})});
    ASSERT_TRUE(u.isOk()) << u.status().message();
    EXPECT_TRUE(intsEqual(u.value()[0], DataType::kUINT8, makeDims({2, 2}), {0, 255, 254, 255}));
}

TEST(QuantizeOp, Fp8NearestAndSaturating) {
    // 0.3 lies between 0.28125 and 0.3125 (nearer the latter); 1.0625 ties between 1.0 and 1.125 and
    // goes to the even mantissa (1.0); -0.001 rounds to the smallest subnormal 2^-9; beyond 448 saturates.
    auto x = floats(makeDims({7}), {0, 0.3, 500, -1000, 1.0625, -0.001, 3});
    auto r = runSingleOp(qAttrs(DataType::kFP8), {x, scalarOf(DataType::kFLOAT, 1)});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFP8, makeDims({7}),
                           {0, 0.3125, 448, -448, 1.0, -0x1p-9, 3}, 0.0));
    // Scale 2 and a zero-valued FP8 zero point (ONNX models carry one).
    auto r2 = runSingleOp(
        qAttrs(DataType::kFP8),
        {floats(makeDims({2}), {3, -7}), scalarOf(DataType::kFLOAT, 2), scalarOf(DataType::kFP8, 0)});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(valuesNear(r2.value()[0], DataType::kFP8, makeDims({2}), {1.5, -3.5}, 0.0));
}

/// Whether `code` is a nearest FP8 E4M3 code to v (saturated to +-448), ties to the even code, checked
/// against every finite code.
bool isNearestFp8(uint8_t code, float v) {
    const float target = std::fmax(-448.0f, std::fmin(448.0f, v));
    const float got = fp8e4m3ToFloat(code);
    for (int c = 0; c < 256; ++c) {
        const float other = fp8e4m3ToFloat(static_cast<uint8_t>(c));
        if (std::isnan(other)) continue;
        const float dOther = std::fabs(other - target), dGot = std::fabs(got - target);
        if (dOther < dGot) return false;
        if (dOther == dGot && other != got && (code & 1)) return false;
    }
    return true;
}

TEST(QuantizeOp, EveryTypeAndAxisAgainstLoops) {
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);  // the reference below rounds with nearbyint
    const Dims shape = makeDims({3, 7, 5});
    uint64_t seed = 31;
    for (DataType xt : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16})
        for (DataType to : {DataType::kINT8, DataType::kUINT8, DataType::kFP8})
            for (int axis = -4; axis < 3; ++axis) {  // -4: per-tensor
                for (bool withZp : {false, true}) {
                    if (withZp && to == DataType::kFP8) continue;  // FP8 has no zero point offset
                    const bool perAxis = axis >= -3;
                    const int ax = axis < 0 ? axis + 3 : axis;
                    const Dims ss = perAxis ? makeDims({shape.d[ax]}) : Dims{};
                    HostTensor x = HostTensor::random(xt, shape, seed++, -40.0, 40.0);
                    HostTensor scale = HostTensor::random(DataType::kFLOAT, ss, seed++, 0.05, 0.5);
                    HostTensor zp = withZp
                                        ? HostTensor::random(to, ss, seed++, to == DataType::kINT8 ? -20 : 0,
                                                             to == DataType::kINT8 ? 20 : 255)
                                        : HostTensor::absent();
                    std::vector<HostTensor> in{x, scale};
                    if (withZp) in.push_back(zp);
                    auto r = runSingleOp(qAttrs(to, perAxis ? axis : 1), in);
                    ASSERT_TRUE(r.isOk()) << r.status().message();
                    const HostTensor& y = r.value()[0];
                    ASSERT_EQ(y.type, to);
                    ASSERT_EQ(y.shape, shape);
                    int bad = 0;
                    int64_t flat = 0;
                    for (int64_t i = 0; i < 3; ++i)
                        for (int64_t j = 0; j < 7; ++j)
                            for (int64_t k = 0; k < 5; ++k, ++flat) {
                                const int64_t coord[3] = {i, j, k};
                                const int64_t ch = perAxis ? coord[ax] : 0;
                                const float q =
                                    static_cast<float>(x.at(flat)) / static_cast<float>(scale.at(ch));
                                bool ok;
                                if (to == DataType::kFP8) {
                                    ok = isNearestFp8(static_cast<const uint8_t*>(y.data())[flat], q);
                                } else {
                                    double want =
                                        std::nearbyint(static_cast<double>(q)) + (withZp ? zp.at(ch) : 0.0);
                                    want = std::fmin(std::fmax(want, to == DataType::kINT8 ? -128.0 : 0.0),
                                                     to == DataType::kINT8 ? 127.0 : 255.0);
                                    ok = y.at(flat) == want;
                                }
                                if (!ok && bad++ == 0)
                                    ADD_FAILURE()
                                        << dataTypeName(xt) << " -> " << dataTypeName(to) << " axis " << axis
                                        << " zp " << withZp << ": element " << flat << " (x " << x.at(flat)
                                        << ", scale " << scale.at(ch) << ") is " << y.at(flat);
                            }
                    EXPECT_EQ(bad, 0) << dataTypeName(xt) << " -> " << dataTypeName(to) << " axis " << axis;
                }
            }
}

TEST(DequantizeOp, OnnxExamples) {
    auto r = runSingleOp(dqAttrs(DataType::kFLOAT),
                         {intsOf(DataType::kUINT8, makeDims({4}), {0, 3, 128, 255}),
                          scalarOf(DataType::kFLOAT, 2), intsOf(DataType::kUINT8, Dims{}, {128})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({4}), {-256, -250, 0, 254}, 0.0));
    auto a =
        runSingleOp(dqAttrs(DataType::kFLOAT, 1), {intsOf(DataType::kUINT8, makeDims({1, 3, 3, 2}), kAxisY),
                                                   floats(makeDims({3}), {2, 4, 5}),
                                                   intsOf(DataType::kUINT8, makeDims({3}), {84, 24, 196})});
    ASSERT_TRUE(a.isOk()) << a.status().message();
    EXPECT_TRUE(valuesNear(a.value()[0], DataType::kFLOAT, makeDims({1, 3, 3, 2}), kAxisX, 0.0));
    // int32 (bias-style) with a zero point, float16 output; FP8 input times the scale, bfloat16 output.
    auto i = runSingleOp(dqAttrs(DataType::kHALF),
                         {intsOf(DataType::kINT32, makeDims({3}), {-7, 5, 1003}),
                          scalarOf(DataType::kFLOAT, 0.5), intsOf(DataType::kINT32, Dims{}, {3})});
    ASSERT_TRUE(i.isOk()) << i.status().message();
    EXPECT_TRUE(valuesNear(i.value()[0], DataType::kHALF, makeDims({3}), {-5, 1, 500}, 0.0));
    // The zero point is subtracted in integers: 2^31 - 1 - (-2^31) = 2^32 - 1 does not overflow (float32
    // then rounds it to 2^32).
    auto big = runSingleOp(dqAttrs(DataType::kFLOAT),
                           {intsOf(DataType::kINT32, makeDims({1}), {INT32_MAX}),
                            scalarOf(DataType::kFLOAT, 1), intsOf(DataType::kINT32, Dims{}, {INT32_MIN})});
    ASSERT_TRUE(big.isOk()) << big.status().message();
    EXPECT_TRUE(valuesNear(big.value()[0], DataType::kFLOAT, makeDims({1}), {4294967296.0}, 0.0));
    auto f8 = runSingleOp(
        dqAttrs(DataType::kBF16),
        {tensorOf(DataType::kFP8, makeDims({3}), {0.3125, -448, 1.5}), scalarOf(DataType::kFLOAT, 2)});
    ASSERT_TRUE(f8.isOk()) << f8.status().message();
    EXPECT_TRUE(valuesNear(f8.value()[0], DataType::kBF16, makeDims({3}), {0.625, -896, 3}, 0.0));
}

TEST(DequantizeOp, EveryTypeAndAxisAgainstLoops) {
    const Dims shape = makeDims({5, 3, 7});
    uint64_t seed = 4242;
    for (DataType xt : {DataType::kINT8, DataType::kUINT8, DataType::kINT32, DataType::kFP8})
        for (DataType to : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16})
            for (int axis = -4; axis < 3; ++axis)  // -4: per-tensor
                for (bool withZp : {false, true}) {
                    if (withZp && xt == DataType::kFP8) continue;
                    const bool perAxis = axis >= -3;
                    const int ax = axis < 0 ? axis + 3 : axis;
                    const Dims ss = perAxis ? makeDims({shape.d[ax]}) : Dims{};
                    const double lo = xt == DataType::kUINT8 ? 0 : (xt == DataType::kINT32 ? -100000 : -100);
                    const double hi = xt == DataType::kUINT8 ? 255 : (xt == DataType::kINT32 ? 100000 : 100);
                    HostTensor x = HostTensor::random(xt, shape, seed++, lo, hi);
                    HostTensor scale = HostTensor::random(to == DataType::kFLOAT ? DataType::kFLOAT : to, ss,
                                                          seed++, 0.01, 0.1);
                    HostTensor zp =
                        withZp ? HostTensor::random(xt, ss, seed++, lo, hi) : HostTensor::absent();
                    std::vector<HostTensor> in{x, scale};
                    if (withZp) in.push_back(zp);
                    auto r = runSingleOp(dqAttrs(to, perAxis ? axis : 1), in);
                    ASSERT_TRUE(r.isOk()) << r.status().message();
                    std::vector<double> want;
                    for (int64_t i = 0; i < 5; ++i)
                        for (int64_t j = 0; j < 3; ++j)
                            for (int64_t k = 0; k < 7; ++k) {
                                const int64_t coord[3] = {i, j, k};
                                const int64_t ch = perAxis ? coord[ax] : 0;
                                const int64_t flat = (i * 3 + j) * 7 + k;
                                want.push_back((x.at(flat) - (withZp ? zp.at(ch) : 0.0)) * scale.at(ch));
                            }
                    // The kernel rounds the product to float32, then to the output type: half an ulp of each.
                    EXPECT_TRUE(valuesNear(r.value()[0], to, shape, want, 0.0, halfUlp(to) + 0x1p-24))
                        << dataTypeName(xt) << " -> " << dataTypeName(to) << " axis " << axis << " zp "
                        << withZp;
                }
}

TEST(QuantizeOp, LargeTensorSplitAcrossThreads) {
    // 22631 elements: above the kernels' grain, so the work is split; per-axis along the middle axis.
    const Dims shape = makeDims({7, 53, 61});
    HostTensor x = HostTensor::random(DataType::kFLOAT, shape, 21, -10.0, 10.0);
    HostTensor scale = HostTensor::random(DataType::kFLOAT, makeDims({53}), 22, 0.05, 0.2);
    HostTensor zp = HostTensor::random(DataType::kUINT8, makeDims({53}), 23, 100, 150);
    auto q = runSingleOp(qAttrs(DataType::kUINT8, 1), {x, scale, zp});
    ASSERT_TRUE(q.isOk()) << q.status().message();
    auto dq = runSingleOp(dqAttrs(DataType::kFLOAT, 1), {q.value()[0], scale, zp});
    ASSERT_TRUE(dq.isOk()) << dq.status().message();
    std::vector<int64_t> wantQ;
    std::vector<double> wantDq;
    for (int64_t i = 0; i < 7; ++i)
        for (int64_t c = 0; c < 53; ++c)
            for (int64_t k = 0; k < 61; ++k) {
                const int64_t flat = (i * 53 + c) * 61 + k;
                const float ratio = static_cast<float>(x.at(flat)) / static_cast<float>(scale.at(c));
                const double v =
                    std::fmin(255.0, std::fmax(0.0, std::nearbyint(static_cast<double>(ratio)) + zp.at(c)));
                wantQ.push_back(static_cast<int64_t>(v));
                wantDq.push_back((v - zp.at(c)) * scale.at(c));
            }
    EXPECT_TRUE(intsEqual(q.value()[0], DataType::kUINT8, shape, wantQ));
    // One float32 rounding of the product.
    EXPECT_TRUE(valuesNear(dq.value()[0], DataType::kFLOAT, shape, wantDq, 0.0, 0x1p-24));
}

TEST(QuantizeOp, RoundTripWithinHalfAScale) {
    const Dims shape = makeDims({2, 11, 3});
    HostTensor x = HostTensor::random(DataType::kFLOAT, shape, 9, -3.0, 3.0);
    HostTensor scale =
        floats(makeDims({11}), {0.02, 0.03, 0.05, 0.07, 0.11, 0.13, 0.17, 0.19, 0.23, 0.29, 0.31});
    HostTensor zp = HostTensor::random(DataType::kINT8, makeDims({11}), 10, -10, 10);
    auto q = runSingleOp(qAttrs(DataType::kINT8, 1), {x, scale, zp});
    ASSERT_TRUE(q.isOk()) << q.status().message();
    auto dq = runSingleOp(dqAttrs(DataType::kFLOAT, 1), {q.value()[0], scale, zp});
    ASSERT_TRUE(dq.isOk()) << dq.status().message();
    int checked = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t ch = (i / 3) % 11;
        const int64_t qv = q.value()[0].atInt(i);
        if (qv == -128 || qv == 127) continue;  // saturated: no round-trip bound
        ++checked;
        // Half a quantization step, plus float32 rounding of the division and the product.
        EXPECT_LE(std::fabs(dq.value()[0].at(i) - x.at(i)), scale.at(ch) * (0.5 + 1e-5))
            << "element " << i << " x " << x.at(i) << " scale " << scale.at(ch);
    }
    EXPECT_GT(checked, 40);
}

TEST(QuantizeOp, DynamicShapesAtBuildTime) {
    auto q = inferOnly(qAttrs(DataType::kINT8, 1),
                       {descOf(DataType::kFLOAT, makeDims({-1, 4, -1})),
                        descOf(DataType::kFLOAT, makeDims({4})), descOf(DataType::kINT8, makeDims({4}))});
    ASSERT_TRUE(q.isOk()) << q.status().message();
    EXPECT_EQ(q->shape, makeDims({-1, 4, -1}));
    EXPECT_EQ(q->type, DataType::kINT8);
    // An unknown axis extent cannot be checked against the scale length until run time.
    auto dq = inferOnly(dqAttrs(DataType::kHALF, 0), {descOf(DataType::kUINT8, makeDims({-1, 2})),
                                                      descOf(DataType::kFLOAT, makeDims({6}))});
    ASSERT_TRUE(dq.isOk()) << dq.status().message();
    EXPECT_EQ(dq->shape, makeDims({-1, 2}));
    EXPECT_EQ(dq->type, DataType::kHALF);
}

TEST(QuantizeOp, Errors) {
    auto x = floats(makeDims({2, 3}), {1, 2, 3, 4, 5, 6});
    auto s = scalarOf(DataType::kFLOAT, 1);
    EXPECT_TRUE(
        failsWithAll(runSingleOp(qAttrs(DataType::kINT8, 1), {x, floats(makeDims({4}), {1, 1, 1, 1})}),
                     {"per-axis scale length 4", "extent 3 of axis 1", "[2,3]"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kINT8, 2), {x, floats(makeDims({3}), {1, 1, 1})}),
                             {"axis 2 is out of range", "-2..1"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kINT8), {x, floats(makeDims({1, 3}), {1, 1, 1})}),
                             {"scalar (per-tensor) or 1-D (per-axis)", "[1,3]", "blocked"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kINT8), {x, scalarInt(DataType::kINT32, 1)}),
                             {"scale must be float32, float16 or bfloat16", "int32"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(qAttrs(DataType::kINT8), {x, s, intsOf(DataType::kUINT8, Dims{}, {0})}),
                     {"zero point must be int8", "uint8"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kINT8, 1), {x, floats(makeDims({3}), {1, 1, 1}),
                                                                      intsOf(DataType::kINT8, Dims{}, {0})}),
                             {"zero point shape []", "scale's shape [3]"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kFLOAT), {x, s}),
                             {"output type must be int8, uint8, int4", "float32"}));
    EXPECT_TRUE(failsWithAll(
        runSingleOp(qAttrs(DataType::kINT8), {intsOf(DataType::kINT32, makeDims({2}), {1, 2}), s}),
        {"Quantize: input must be float32", "int32"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kFP8), {x, s, scalarOf(DataType::kFP8, 1)}),
                             {"float8_e4m3 zero point must be 0", "got 1"}));
    EXPECT_TRUE(failsWithAll(
        runSingleOp(dqAttrs(DataType::kINT8), {intsOf(DataType::kINT8, makeDims({2}), {1, 2}), s}),
        {"Dequantize: output type must be float32, float16 or bfloat16", "int8"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(dqAttrs(DataType::kFLOAT), {x, s}),
                             {"Dequantize: input must be int8", "float32"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(dqAttrs(DataType::kFLOAT, 0),
                                         {intsOf(DataType::kINT8, makeDims({2, 3}), {1, 2, 3, 4, 5, 6}),
                                          floats(makeDims({3}), {1, 1, 1})}),
                             {"per-axis scale length 3", "extent 2 of axis 0"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(dqAttrs(DataType::kFLOAT), {intsOf(DataType::kINT8, makeDims({2}), {1, 2}),
                                                             s, intsOf(DataType::kINT32, Dims{}, {0})}),
                     {"zero point must be int8", "int32"}));
}

}  // namespace
}  // namespace kiln
