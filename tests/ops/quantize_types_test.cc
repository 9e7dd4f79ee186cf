// Quantize / Dequantize with the storage types (int4, uint4, int2, uint2, FP4, the float8 variants) and
// blocked scales. The ONNX node tests' values (worked out by hand there) for each type; saturation at each
// type's range; blocked quantization on odd and prime shapes, partial last blocks, several blocked dims and
// -1 (whole dim) extents against a loop over coordinates written here; a packed output big enough to be
// split between threads; int32 quantization (how the importer does int16); and the error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/extra_ops_test_util.h"

namespace kiln {
namespace {

using testing::failsWithAll;
using testing::intsEqual;
using testing::intsOf;
using testing::runSingleOp;
using testing::scalarOf;
using testing::tensorOf;
using testing::valuesNear;

ir::QuantizeAttrs qAttrs(DataType to, int axis = 1, Dims block = Dims{}) {
    ir::QuantizeAttrs a;
    a.toType = to;
    a.axis = axis;
    a.blockShape = block;
    return a;
}
ir::DequantizeAttrs dqAttrs(DataType to, int axis = 1, Dims block = Dims{}) {
    ir::DequantizeAttrs a;
    a.toType = to;
    a.axis = axis;
    a.blockShape = block;
    return a;
}

HostTensor floats(Dims s, const std::vector<double>& v) {
    return tensorOf(DataType::kFLOAT, s, v);
}

// ONNX test_quantizelinear_{int4,uint4,int2,uint2,float4e2m1}: x (3, 4), scale per row (axis 0).
const Dims kX34 = makeDims({3, 4});
const std::vector<double> kScales{2, 3, 4};

TEST(QuantizeTypes, OnnxSubByteExamples) {
    const HostTensor x = floats(kX34, {0, 2.5, 4.8, 8.6, -30, -20, 6, 9, 12, 15, 16, 40});
    auto i4 = runSingleOp(qAttrs(DataType::kINT4, 0), {x, floats(makeDims({3}), kScales),
                                                       intsOf(DataType::kINT4, makeDims({3}), {1, 1, 1})});
    ASSERT_TRUE(i4.isOk()) << i4.status().message();
    EXPECT_TRUE(intsEqual(i4.value()[0], DataType::kINT4, kX34, {1, 2, 3, 5, -8, -6, 3, 4, 4, 5, 5, 7}));
    auto u4 = runSingleOp(qAttrs(DataType::kUINT4, 0), {x, floats(makeDims({3}), kScales),
                                                        intsOf(DataType::kUINT4, makeDims({3}), {1, 1, 1})});
    ASSERT_TRUE(u4.isOk()) << u4.status().message();
    EXPECT_TRUE(intsEqual(u4.value()[0], DataType::kUINT4, kX34, {1, 2, 3, 5, 0, 0, 3, 4, 4, 5, 5, 11}));
    // Packed: nibbles 1,2 | 3,5 | 0,0 | 3,4 | 4,5 | 5,11.
    EXPECT_EQ(u4.value()[0].bytes, (std::vector<uint8_t>{0x21, 0x53, 0x00, 0x43, 0x54, 0xb5}));
    const HostTensor x2 = floats(kX34, {0, 2.5, 4.8, 8.6, -4, -3, 1, 2, -0.0, -2.5, -4.8, -8.6});
    auto i2 = runSingleOp(qAttrs(DataType::kINT2, 0), {x2, floats(makeDims({3}), kScales),
                                                       intsOf(DataType::kINT2, makeDims({3}), {0, 0, 0})});
    ASSERT_TRUE(i2.isOk()) << i2.status().message();
    EXPECT_TRUE(intsEqual(i2.value()[0], DataType::kINT2, kX34, {0, 1, 1, 1, -1, -1, 0, 1, 0, -1, -1, -2}));
    const HostTensor xu = floats(kX34, {0, 2.5, 4.8, 8.6, -2, -1, 1, 3, 4, 5, 6, 7});
    auto u2 = runSingleOp(qAttrs(DataType::kUINT2, 0), {xu, floats(makeDims({3}), kScales)});
    ASSERT_TRUE(u2.isOk()) << u2.status().message();
    EXPECT_TRUE(intsEqual(u2.value()[0], DataType::kUINT2, kX34, {0, 1, 2, 3, 0, 0, 0, 1, 1, 1, 2, 2}));
}

TEST(QuantizeTypes, FloatTargetsRoundAndSaturate) {
    const HostTensor x = floats(kX34, {0, 2.5, 4.8, 8.6, -30, -20, 6, 9, -0.0, -2.5, -4.8, -8.6});
    auto f4 = runSingleOp(qAttrs(DataType::kFP4, 0), {x, floats(makeDims({3}), kScales),
                                                      tensorOf(DataType::kFP4, makeDims({3}), {0, 0, 0})});
    ASSERT_TRUE(f4.isOk()) << f4.status().message();
    EXPECT_TRUE(
        valuesNear(f4.value()[0], DataType::kFP4, kX34, {0, 1, 2, 4, -6, -6, 2, 3, 0, -0.5, -1, -2}, 0.0));
    // E5M2: 1e5 / 2 = 50000 -> 49152 (nearer than 57344), 200 / 2 = 100 -> 96; 1e9 saturates to 57344.
    auto e5 = runSingleOp(qAttrs(DataType::kFP8_E5M2),
                          {floats(makeDims({6}), {0, 1, 2, 1e5, 200, 1e9}), scalarOf(DataType::kFLOAT, 2)});
    ASSERT_TRUE(e5.isOk()) << e5.status().message();
    EXPECT_TRUE(
        valuesNear(e5.value()[0], DataType::kFP8_E5M2, makeDims({6}), {0, 0.5, 1, 49152, 96, 57344}, 0.0));
    // FNUZ: saturate at 240 / 57344; NaN is 0x80.
    auto fz = runSingleOp(qAttrs(DataType::kFP8_E4M3FNUZ),
                          {floats(makeDims({3}), {1000, -1000, NAN}), scalarOf(DataType::kFLOAT, 1)});
    ASSERT_TRUE(fz.isOk()) << fz.status().message();
    EXPECT_EQ(fz.value()[0].bytes, (std::vector<uint8_t>{0x7f, 0xff, 0x80}));
    auto gz = runSingleOp(qAttrs(DataType::kFP8_E5M2FNUZ),
                          {floats(makeDims({2}), {1e9, 1.0}), scalarOf(DataType::kFLOAT, 1)});
    ASSERT_TRUE(gz.isOk()) << gz.status().message();
    EXPECT_EQ(gz.value()[0].bytes, (std::vector<uint8_t>{0x7f, 0x40}));
}

TEST(QuantizeTypes, OnnxDequantizeExamples) {
    const HostTensor s2 = scalarOf(DataType::kFLOAT, 2);
    struct Case {
        HostTensor x, zp;
        std::vector<double> want;
    };
    const std::vector<Case> cases{
        {intsOf(DataType::kINT4, makeDims({5}), {0, 1, 7, -4, -8}),
         intsOf(DataType::kINT4, makeDims({1}), {1}),
         {-2, 0, 12, -10, -18}},
        {intsOf(DataType::kUINT4, makeDims({5}), {0, 1, 7, 10, 15}),
         intsOf(DataType::kUINT4, makeDims({1}), {1}),
         {-2, 0, 12, 18, 28}},
        {intsOf(DataType::kINT2, makeDims({4}), {0, 1, -1, -2}),
         intsOf(DataType::kINT2, makeDims({1}), {1}),
         {-2, 0, -4, -6}},
        {intsOf(DataType::kUINT2, makeDims({4}), {0, 1, 2, 3}),
         intsOf(DataType::kUINT2, makeDims({1}), {1}),
         {-2, 0, 2, 4}},
        {tensorOf(DataType::kFP4, makeDims({5}), {0, 1, -1, 1.5, -4}),
         tensorOf(DataType::kFP4, makeDims({1}), {0}),
         {0, 2, -2, 3, -8}},
        {tensorOf(DataType::kFP8_E5M2, makeDims({5}), {0, 0.5, 1, 49152, -96}),
         HostTensor::absent(),
         {0, 1, 2, 98304, -192}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(dataTypeName(c.x.type));
        std::vector<HostTensor> in{c.x, s2};
        if (c.zp.present()) in.push_back(c.zp);  // a [1] zero point next to a scalar scale, as ONNX writes it
        auto r = runSingleOp(dqAttrs(DataType::kFLOAT, 0), in);
        ASSERT_TRUE(r.isOk()) << r.status().message();
        EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, c.x.shape, c.want, 0.0));
    }
}

/// Flat scale index of element `j` of x under a block shape (-1: the whole dim).
int64_t blockIndex(int64_t j, const Dims& x, const Dims& block, const Dims& scale) {
    int64_t idx = 0, stride = 1;
    for (int d = x.nbDims - 1; d >= 0; --d) {
        const int64_t c = j % x.d[d];
        j /= x.d[d];
        const int64_t b = block.d[d] == -1 ? x.d[d] : block.d[d];
        idx += (c / b) * stride;
        stride *= scale.d[d];
    }
    return idx;
}

double roundHalfEven(double v) {
    const double r = std::nearbyint(v);  // the default rounding mode: to nearest, ties to even
    return r;
}

struct BlockCase {
    std::vector<int64_t> x, block;
};

TEST(QuantizeTypes, BlockedAgainstCoordinateLoop) {
    const std::vector<BlockCase> cases{
        {{5, 7, 3}, {1, 3, 1}},   // 7 = 3 + 3 + 1: a partial last block
        {{5, 7, 3}, {2, 1, -1}},  // two blocked dims, one whole
        {{13, 11}, {4, 5}},       // primes, both partial
        {{1, 4, 3, 2}, {1, 2, 1, 1}},
    };
    uint64_t seed = 101;
    for (const BlockCase& bc : cases) {
        const Dims xs = makeDims(bc.x);
        const Dims block = makeDims(bc.block);
        Dims ss = xs;
        for (int d = 0; d < xs.nbDims; ++d)
            ss.d[d] = block.d[d] == -1 ? 1 : (xs.d[d] + block.d[d] - 1) / block.d[d];
        for (DataType to :
             {DataType::kINT8, DataType::kUINT8, DataType::kINT4, DataType::kUINT2, DataType::kFP4}) {
            for (bool withZp : {false, true}) {
                if (withZp && to == DataType::kFP4) continue;  // float quantization has no offset
                SCOPED_TRACE(toString(xs) + " block " + toString(block) + " -> " + dataTypeName(to) +
                             (withZp ? " with zero point" : ""));
                int64_t lo = 0, hi = 0;
                integerRange(to, &lo, &hi);
                const HostTensor x = HostTensor::random(DataType::kFLOAT, xs, seed++, -20.0, 20.0);
                const HostTensor s = HostTensor::random(DataType::kFLOAT, ss, seed++, 0.5, 3.0);
                const HostTensor zp = withZp ? HostTensor::random(to, ss, seed++, static_cast<double>(lo),
                                                                  static_cast<double>(hi))
                                             : HostTensor::absent();
                std::vector<HostTensor> in{x, s};
                if (withZp) in.push_back(zp);
                auto q = runSingleOp(qAttrs(to, 1, block), in);
                ASSERT_TRUE(q.isOk()) << q.status().message();
                auto dq = runSingleOp(dqAttrs(DataType::kFLOAT, 1, block), {q.value()[0], s, zp});
                ASSERT_TRUE(dq.isOk()) << dq.status().message();
                for (int64_t j = 0; j < x.numel(); ++j) {
                    const int64_t p = blockIndex(j, xs, block, ss);
                    const float qf = static_cast<float>(x.at(j)) / static_cast<float>(s.at(p));
                    double want;
                    if (to == DataType::kFP4) {
                        // Nearest of the 15 FP4 values (ties to the even code), saturating at 6.
                        const double a = std::fmin(std::fabs(qf), 6.0);
                        static const double kV[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
                        int best = 0;
                        for (int c = 1; c < 8; ++c) {
                            const double dc = std::fabs(kV[c] - a), db = std::fabs(kV[best] - a);
                            if (dc < db || (dc == db && c % 2 == 0)) best = c;
                        }
                        want = qf < 0 ? -kV[best] : kV[best];
                    } else {
                        want = roundHalfEven(qf) + (withZp ? static_cast<double>(zp.atInt(p)) : 0.0);
                        want = std::fmin(std::fmax(want, static_cast<double>(lo)), static_cast<double>(hi));
                    }
                    ASSERT_EQ(q.value()[0].at(j), want)
                        << "element " << j << " x " << x.at(j) << " scale " << s.at(p);
                    const double back = static_cast<float>(
                        static_cast<float>(want - (withZp ? zp.atInt(p) : 0)) * static_cast<float>(s.at(p)));
                    ASSERT_EQ(dq.value()[0].at(j), back) << "element " << j;
                }
            }
        }
    }
}

TEST(QuantizeTypes, BlockedPackedOutputSplitBetweenThreads) {
    // 3 x 40001 int4 values in blocks of 64 along the last dim: an odd row length, so rows start mid-byte.
    const Dims xs = makeDims({3, 40001});
    const Dims block = makeDims({1, 64});
    const Dims ss = makeDims({3, (40001 + 63) / 64});
    const HostTensor x = HostTensor::random(DataType::kFLOAT, xs, 5, -10.0, 10.0);
    const HostTensor s = HostTensor::random(DataType::kFLOAT, ss, 6, 0.5, 2.0);
    auto q = runSingleOp(qAttrs(DataType::kINT4, 1, block), {x, s});
    ASSERT_TRUE(q.isOk()) << q.status().message();
    std::vector<uint8_t> want(static_cast<size_t>(storageBytes(DataType::kINT4, x.numel())), 0);
    for (int64_t j = 0; j < x.numel(); ++j) {
        const float qf = static_cast<float>(x.at(j)) / static_cast<float>(s.at(blockIndex(j, xs, block, ss)));
        const auto v = static_cast<int64_t>(std::fmin(std::fmax(roundHalfEven(qf), -8.0), 7.0));
        want[static_cast<size_t>(j / 2)] |= static_cast<uint8_t>((v & 0xf) << (4 * (j % 2)));
    }
    EXPECT_EQ(q.value()[0].bytes, want);
}

TEST(QuantizeTypes, Int32TargetAndOneElementZeroPoint) {
    // int32 (the importer's route to int16 / uint16): rounding half to even, saturating at int32's range.
    auto r = runSingleOp(qAttrs(DataType::kINT32),
                         {floats(makeDims({3}), {1e10, -3.5, 2.5}), scalarOf(DataType::kFLOAT, 1)});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(intsEqual(r.value()[0], DataType::kINT32, makeDims({3}), {2147483647, -4, 2}));
    // A [1] zero point with a scalar scale is per-tensor.
    auto z = runSingleOp(qAttrs(DataType::kINT4),
                         {floats(makeDims({3}), {0, 4, -40}), scalarOf(DataType::kFLOAT, 2),
                          intsOf(DataType::kINT4, makeDims({1}), {-1})});
    ASSERT_TRUE(z.isOk()) << z.status().message();
    EXPECT_TRUE(intsEqual(z.value()[0], DataType::kINT4, makeDims({3}), {-1, 1, -8}));
}

TEST(QuantizeTypes, Errors) {
    const HostTensor x = floats(makeDims({4, 6}), std::vector<double>(24, 1.0));
    // A blocked scale of the wrong extent names the expected count and the formula.
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kINT4, 1, makeDims({1, 4})),
                                         {x, floats(makeDims({4, 3}), std::vector<double>(12, 1))}),
                             {"Quantize", "scale [4,3] must have 2 at dim 1", "ceil(6 / block 4)"}));
    // A rank-2 scale without a block shape.
    EXPECT_TRUE(failsWithAll(
        runSingleOp(qAttrs(DataType::kINT4), {x, floats(makeDims({4, 3}), std::vector<double>(12, 1))}),
        {"scale must be a scalar (per-tensor) or 1-D", "setBlockShape"}));
    // Block shape rank and extents.
    EXPECT_TRUE(
        failsWithAll(runSingleOp(dqAttrs(DataType::kFLOAT, 1, makeDims({2})),
                                 {intsOf(DataType::kINT4, makeDims({4, 6}), std::vector<int64_t>(24, 1)),
                                  floats(makeDims({2}), {1, 1})}),
                     {"Dequantize: block shape [2] must have the input's rank 2"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kINT8, 1, makeDims({1, 0})),
                                         {x, floats(makeDims({4, 1}), {1, 1, 1, 1})}),
                             {"extent 0 at dim 1", "expected >= 1, or -1"}));
    // A float zero point must be 0.
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kFP4), {x, scalarOf(DataType::kFLOAT, 1),
                                                                  tensorOf(DataType::kFP4, Dims{}, {0.5})}),
                             {"float4_e2m1fn zero point must be 0", "got 0.5"}));
    // E8M0 is a scale type, not a quantized one; the message lists those that are.
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kE8M0), {x, scalarOf(DataType::kFLOAT, 1)}),
                             {"output type must be int8, uint8, int4, uint4, int2, uint2", "float4_e2m1fn",
                              "got float8_e8m0fnu"}));
    EXPECT_TRUE(failsWithAll(
        runSingleOp(dqAttrs(DataType::kFLOAT),
                    {tensorOf(DataType::kE8M0, makeDims({2}), {1, 2}), scalarOf(DataType::kFLOAT, 1)}),
        {"Dequantize: input must be", "got float8_e8m0fnu"}));
    // The zero point has the quantized type.
    EXPECT_TRUE(failsWithAll(runSingleOp(qAttrs(DataType::kINT4),
                                         {x, scalarOf(DataType::kFLOAT, 1), scalarOf(DataType::kINT8, 0)}),
                             {"zero point must be int4", "got int8"}));
}

}  // namespace
}  // namespace kiln
