// Cast and Identity to and from the storage-only types (float8 E5M2 / E4M3FNUZ / E5M2FNUZ, E8M0, FP4,
// int4, uint4, int2, uint2). Expected output bytes are worked out by hand from the formats and ONNX's
// Cast rules: the saturate tables for NaN, infinities and overflow, round-to-nearest-even ties and
// subnormals, E8M0's round modes, the 4- and 2-bit integers keeping the low bits, packed odd-length
// tensors (first element in the low bits, last byte padded), a packed output large enough to be split
// between threads against a serial loop, and the other ops refusing these types with a message that
// names the type and the ops that take it.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ops/extra_ops_test_util.h"

namespace kiln {
namespace {

using testing::failsWithAll;
using testing::runSingleOp;
using testing::tensorOf;

ir::CastAttrs castTo(DataType t, bool saturate = true, CastRoundMode mode = CastRoundMode::kUP) {
    ir::CastAttrs a;
    a.toType = t;
    a.saturate = saturate;
    a.roundMode = mode;
    return a;
}

HostTensor floats(const std::vector<double>& v) {
    return tensorOf(DataType::kFLOAT, makeDims({static_cast<int64_t>(v.size())}), v);
}

/// A tensor of `type` holding the raw bytes given.
HostTensor rawOf(DataType type, int64_t n, const std::vector<uint8_t>& bytes) {
    HostTensor h(type, makeDims({n}));
    EXPECT_EQ(h.bytes.size(), bytes.size()) << dataTypeName(type) << " x " << n;
    h.bytes = bytes;
    return h;
}

std::vector<uint8_t> castBytes(const HostTensor& x, const ir::CastAttrs& a) {
    auto r = runSingleOp(a, {x});
    EXPECT_TRUE(r.isOk()) << r.status().message();
    if (!r.isOk()) return {};
    EXPECT_EQ(r.value()[0].type, a.toType);
    return r.value()[0].bytes;
}

/// Every value equal to the expected one (infinities included), or both NaN.
::testing::AssertionResult sameValues(const HostTensor& got, const std::vector<double>& want) {
    if (static_cast<size_t>(got.numel()) != want.size())
        return ::testing::AssertionFailure() << got.numel() << " elements, expected " << want.size();
    for (size_t i = 0; i < want.size(); ++i) {
        const double g = got.at(static_cast<int64_t>(i));
        if (std::isnan(want[i]) ? !std::isnan(g) : g != want[i])
            return ::testing::AssertionFailure()
                   << "element " << i << " is " << g << ", expected " << want[i];
    }
    return ::testing::AssertionSuccess();
}

const std::vector<double> kSpecials{NAN, INFINITY, -INFINITY, 1e6, -1e6, -0.0, 1.0, 0.3};

TEST(CastStorageTypes, Float8FromFloatSaturating) {
    // Codes by hand. 0.3 lies between 0.25 and 0.3125 in the 2-bit-mantissa formats (nearer 0.3125) and
    // between 0.28125 and 0.3125 in the 3-bit ones (nearer 0.3125); 0.3125 = 1.25 * 2^-2.
    // E5M2 (bias 15): 1 = 0 01111 00 = 0x3c, 0.3125 = 0 01101 01 = 0x35, max 57344 = 0x7b.
    // E4M3FNUZ (bias 8): 1 = 0 1000 000 = 0x40, 0.3125 = 0 0110 010 = 0x32, max 240 = 0x7f.
    // E5M2FNUZ (bias 16): 1 = 0 10000 00 = 0x40, 0.3125 = 0 01110 01 = 0x39, max 0x7f.
    EXPECT_EQ(castBytes(floats(kSpecials), castTo(DataType::kFP8_E5M2)),
              (std::vector<uint8_t>{0x7e, 0x7b, 0xfb, 0x7b, 0xfb, 0x80, 0x3c, 0x35}));
    EXPECT_EQ(castBytes(floats(kSpecials), castTo(DataType::kFP8_E4M3FNUZ)),
              (std::vector<uint8_t>{0x80, 0x7f, 0xff, 0x7f, 0xff, 0x00, 0x40, 0x32}));
    EXPECT_EQ(castBytes(floats(kSpecials), castTo(DataType::kFP8_E5M2FNUZ)),
              (std::vector<uint8_t>{0x80, 0x7f, 0xff, 0x7f, 0xff, 0x00, 0x40, 0x39}));
    // E4M3FN (Kiln's kFP8, bias 7): max 448 = 0x7e, 0.3125 = 0 0101 010 = 0x2a.
    EXPECT_EQ(castBytes(floats(kSpecials), castTo(DataType::kFP8)),
              (std::vector<uint8_t>{0x7f, 0x7e, 0xfe, 0x7e, 0xfe, 0x80, 0x38, 0x2a}));
}

TEST(CastStorageTypes, Float8FromFloatWithoutSaturation) {
    // ONNX saturate=0: overflow and infinities become NaN (E4M3FN keeps the sign: 0x7f / 0xff; FNUZ has the
    // single NaN 0x80) or infinity for E5M2 (0x7c / 0xfc).
    EXPECT_EQ(castBytes(floats(kSpecials), castTo(DataType::kFP8_E5M2, false)),
              (std::vector<uint8_t>{0x7e, 0x7c, 0xfc, 0x7c, 0xfc, 0x80, 0x3c, 0x35}));
    EXPECT_EQ(castBytes(floats(kSpecials), castTo(DataType::kFP8, false)),
              (std::vector<uint8_t>{0x7f, 0x7f, 0xff, 0x7f, 0xff, 0x80, 0x38, 0x2a}));
    EXPECT_EQ(castBytes(floats(kSpecials), castTo(DataType::kFP8_E4M3FNUZ, false)),
              (std::vector<uint8_t>{0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x40, 0x32}));
    EXPECT_EQ(castBytes(floats(kSpecials), castTo(DataType::kFP8_E5M2FNUZ, false)),
              (std::vector<uint8_t>{0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x40, 0x39}));
    // From float16 too: 65504 overflows E4M3FNUZ (NaN) and rounds to 65536 in E5M2 (infinity).
    const HostTensor h = tensorOf(DataType::kHALF, makeDims({2}), {65504.0, -0x1p-14});
    EXPECT_EQ(castBytes(h, castTo(DataType::kFP8_E4M3FNUZ, false)), (std::vector<uint8_t>{0x80, 0x00}));
    // -2^-14 is E5M2's smallest normal: 1 00001 00.
    EXPECT_EQ(castBytes(h, castTo(DataType::kFP8_E5M2, false)), (std::vector<uint8_t>{0x7c, 0x84}));
}

TEST(CastStorageTypes, Float8Subnormals) {
    // E5M2 subnormals are k * 2^-16: 2^-17 ties to 0 (even), 3 * 2^-17 ties to 2 * 2^-16; E4M3FNUZ's are
    // k * 2^-10 and a negative one that rounds to zero gives +0 (the format has no -0).
    EXPECT_EQ(castBytes(floats({0x1p-17, 3 * 0x1p-17, -0x1p-16}), castTo(DataType::kFP8_E5M2)),
              (std::vector<uint8_t>{0x00, 0x02, 0x81}));
    EXPECT_EQ(castBytes(floats({0x1p-10, -0x1p-12, 3 * 0x1p-11}), castTo(DataType::kFP8_E4M3FNUZ)),
              (std::vector<uint8_t>{0x01, 0x00, 0x02}));
}

TEST(CastStorageTypes, Float8ToFloat) {
    // E5M2 0x7b = 57344, 0xfc = -inf, 0x01 = 2^-16, 0x7f NaN; E4M3FNUZ 0x80 NaN, 0xff = -240.
    auto r = runSingleOp(castTo(DataType::kFLOAT), {rawOf(DataType::kFP8_E5M2, 4, {0x7b, 0xfc, 0x01, 0x7f})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(sameValues(r.value()[0], {57344, -INFINITY, 0x1p-16, NAN}));
    auto u = runSingleOp(castTo(DataType::kHALF), {rawOf(DataType::kFP8_E4M3FNUZ, 3, {0x80, 0xff, 0x40})});
    ASSERT_TRUE(u.isOk()) << u.status().message();
    EXPECT_EQ(u.value()[0].type, DataType::kHALF);
    EXPECT_TRUE(sameValues(u.value()[0], {NAN, -240, 1}));
}

TEST(CastStorageTypes, E8M0RoundModes) {
    // 2^(c - 127): 1 = 0x7f. 0.124 -> 2^-3 up (0x7c), 2^-4 down (0x7b), 2^-3 nearest (>= 1.5 * 2^-4).
    const HostTensor x = floats({0.0, 0.124, 1.0, 1.5, 3.0, INFINITY, NAN});
    EXPECT_EQ(castBytes(x, castTo(DataType::kE8M0)),
              (std::vector<uint8_t>{0x00, 0x7c, 0x7f, 0x80, 0x81, 0xfe, 0xff}));
    EXPECT_EQ(castBytes(x, castTo(DataType::kE8M0, true, CastRoundMode::kDOWN)),
              (std::vector<uint8_t>{0x00, 0x7b, 0x7f, 0x7f, 0x80, 0xfe, 0xff}));
    EXPECT_EQ(castBytes(x, castTo(DataType::kE8M0, false, CastRoundMode::kNEAREST)),
              (std::vector<uint8_t>{0xff, 0x7c, 0x7f, 0x80, 0x81, 0xff, 0xff}));
    auto back = runSingleOp(castTo(DataType::kFLOAT), {rawOf(DataType::kE8M0, 3, {0x00, 0x86, 0xff})});
    ASSERT_TRUE(back.isOk()) << back.status().message();
    EXPECT_TRUE(sameValues(back.value()[0], {0x1p-127, 128, NAN}));
}

TEST(CastStorageTypes, Fp4PackedOddLength) {
    // ONNX test values: 0.48 -> 0.5 (0x1), 0.25 ties to 0 (0x0), 1.05 -> 1 (0x2), -3.5 ties to -4 (0xe),
    // -8 saturates to -6 (0xf), 9 -> 6 (0x7), NaN -> +0; packed two per byte, low nibble first.
    const HostTensor x = floats({0.48, 0.25, 1.05, -3.5, -8, 9, NAN});
    EXPECT_EQ(castBytes(x, castTo(DataType::kFP4)), (std::vector<uint8_t>{0x01, 0xe2, 0x7f, 0x00}));
    auto back = runSingleOp(castTo(DataType::kFLOAT), {rawOf(DataType::kFP4, 5, {0x01, 0xe2, 0x0f})});
    ASSERT_TRUE(back.isOk()) << back.status().message();
    EXPECT_TRUE(sameValues(back.value()[0], {0.5, 0, 1, -4, -6}));
}

TEST(CastStorageTypes, SubByteIntegersKeepTheLowBits) {
    // ONNX Cast float -> int4: -9 -> 7, 8 -> -8 (the tests' values); truncation first (2.7 -> 2,
    // -2.7 -> -2); NaN and infinities -> 0; 1e20 is a multiple of 16 -> 0. Packed: nibbles
    // 7, 8, 2, e, 0, 0, 0 -> 0x87, 0xe2, 0x00, 0x00.
    const HostTensor x = floats({-9, 8, 2.7, -2.7, NAN, INFINITY, 1e20});
    EXPECT_EQ(castBytes(x, castTo(DataType::kINT4)), (std::vector<uint8_t>{0x87, 0xe2, 0x00, 0x00}));
    // uint2 from float: -3 -> 1, -2 -> 2, -1 -> 3, 4 -> 0, 5 -> 1: fields 1 | 2<<2 | 3<<4 | 0<<6 = 0x39,
    // 0x01.
    EXPECT_EQ(castBytes(floats({-3, -2, -1, 4, 5}), castTo(DataType::kUINT2)),
              (std::vector<uint8_t>{0x39, 0x01}));
    // From integers: int32 300 = 0x12c -> int4 0xc = -4, uint4 12; int2 from int8 -3 (..101) -> 1.
    const HostTensor i = testing::intsOf(DataType::kINT32, makeDims({3}), {300, -1, 17});
    EXPECT_EQ(castBytes(i, castTo(DataType::kUINT4)), (std::vector<uint8_t>{0xfc, 0x01}));
    EXPECT_EQ(castBytes(testing::intsOf(DataType::kINT8, makeDims({1}), {-3}), castTo(DataType::kINT2)),
              (std::vector<uint8_t>{0x01}));
    // Back out: int4 nibbles f, 8, 7 are -1, -8, 7; into uint8 they wrap (-1 -> 255), into float exact.
    const HostTensor p = rawOf(DataType::kINT4, 3, {0x8f, 0x07});
    auto f = runSingleOp(castTo(DataType::kFLOAT), {p});
    ASSERT_TRUE(f.isOk()) << f.status().message();
    EXPECT_TRUE(sameValues(f.value()[0], {-1, -8, 7}));
    auto u8 = runSingleOp(castTo(DataType::kUINT8), {p});
    ASSERT_TRUE(u8.isOk()) << u8.status().message();
    EXPECT_TRUE(testing::intsEqual(u8.value()[0], DataType::kUINT8, makeDims({3}), {255, 248, 7}));
    // Between packed types: uint2 (3, 0, 1) -> int4 (3, 0, 1).
    EXPECT_EQ(castBytes(rawOf(DataType::kUINT2, 3, {0x13}), castTo(DataType::kINT4)),
              (std::vector<uint8_t>{0x03, 0x01}));
}

TEST(CastStorageTypes, PackedOutputSplitBetweenThreadsMatchesSerialLoop) {
    // An odd element count well beyond one work chunk: the pool splits the output, and a split inside a
    // byte would lose nibbles. The expected bytes are packed here, one element at a time.
    const int64_t n = 5 * 16384 + 3;
    HostTensor x(DataType::kINT32, makeDims({n}));
    for (int64_t i = 0; i < n; ++i)
        static_cast<int32_t*>(x.data())[i] = static_cast<int32_t>((i * 7919) % 2003 - 1001);
    for (DataType t : {DataType::kINT4, DataType::kUINT2, DataType::kFP4}) {
        std::vector<uint8_t> want(static_cast<size_t>(storageBytes(t, n)), 0);
        const int bits = dataTypeBits(t);
        for (int64_t i = 0; i < n; ++i) {
            const int64_t v = static_cast<int32_t*>(x.data())[i];
            // FP4: every |v| >= 6 saturates; the few smaller ones are exact codes (0, 1, 2, 3, 4 -> 0x0,
            // 0x2, 0x4, 0x5, 0x6), 5 ties to 4; integers keep their low bits.
            uint32_t field;
            if (t == DataType::kFP4) {
                static const uint32_t kSmall[6] = {0x0, 0x2, 0x4, 0x5, 0x6, 0x6};
                const int64_t a = v < 0 ? -v : v;
                field = (a >= 6 ? 0x7u : kSmall[a]) | (v < 0 ? 0x8u : 0u);
            } else {
                field = static_cast<uint32_t>(v) & ((1u << bits) - 1);
            }
            want[static_cast<size_t>(i * bits / 8)] |= static_cast<uint8_t>(field << ((i * bits) % 8));
        }
        EXPECT_EQ(castBytes(x, castTo(t)), want) << dataTypeName(t);
    }
}

TEST(CastStorageTypes, IdentityConvertsToTheRequestedStorageType) {
    auto r = testing::runSingleOp(ir::IdentityAttrs{}, {floats({1.0, 1e9, -0.3})}, 1, {DataType::kFP8_E5M2});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].bytes, (std::vector<uint8_t>{0x3c, 0x7b, 0xb5}));  // Identity saturates
    auto same = testing::runSingleOp(ir::IdentityAttrs{}, {rawOf(DataType::kINT2, 5, {0xe4, 0x02})}, 1,
                                     {DataType::kINT2});
    ASSERT_TRUE(same.isOk()) << same.status().message();
    EXPECT_EQ(same.value()[0].bytes, (std::vector<uint8_t>{0xe4, 0x02}));
}

TEST(CastStorageTypes, OtherOpsRefuseThemNamingTheTypeAndTheOpsThatTakeThem) {
    const HostTensor a = rawOf(DataType::kINT4, 3, {0x21, 0x03});
    ir::ElementWiseAttrs add;
    EXPECT_TRUE(
        failsWithAll(runSingleOp(add, {a, a}), {"ElementWise", "input 0 is int4", "Cast, Identity, Constant",
                                                "Quantize", "Dequantize", "add a Cast"}));
    ir::UnaryAttrs neg;
    neg.op = UnaryOperation::kNEG;
    EXPECT_TRUE(
        failsWithAll(runSingleOp(neg, {rawOf(DataType::kFP8_E5M2, 1, {0x3c})}), {"Unary", "float8_e5m2"}));
    ir::ShuffleAttrs s;
    EXPECT_TRUE(
        failsWithAll(runSingleOp(s, {rawOf(DataType::kFP4, 2, {0x21})}), {"Shuffle", "float4_e2m1fn"}));
    // The second input too, and a requested output of such a type.
    EXPECT_TRUE(failsWithAll(runSingleOp(add, {floats({1}), rawOf(DataType::kE8M0, 1, {0x7f})}),
                             {"input 1 is float8_e8m0fnu"}));
    ir::FillAttrs fill;
    fill.op = FillOperation::kCONSTANT;
    fill.dimensions = makeDims({2});
    fill.outputType = DataType::kUINT4;
    EXPECT_TRUE(failsWithAll(runSingleOp(fill, {}, 1, {DataType::kUINT4}), {"Fill", "output 0 is uint4"}));
}

TEST(CastStorageTypes, CastInferenceChecksTheRoundMode) {
    ir::CastAttrs a = castTo(DataType::kE8M0);
    a.roundMode = static_cast<CastRoundMode>(7);
    EXPECT_TRUE(failsWithAll(runSingleOp(a, {floats({1})}), {"round mode is 7", "kUP, kDOWN or kNEAREST"}));
}

}  // namespace
}  // namespace kiln
