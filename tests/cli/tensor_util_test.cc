// Unit tests of the kiln tool's tensor helpers (tools/kiln/tensor_util.cc): small-float conversions
// checked exhaustively against their decoders and against hand-computed values, shape parsing.
#include "tensor_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace kiln::tool {
namespace {

TEST(TensorUtil, HalfDecodesKnownValuesAndRoundTripsEveryCode) {
    EXPECT_EQ(halfBitsToFloat(0x3c00), 1.0f);
    EXPECT_EQ(halfBitsToFloat(0xc100), -2.5f);
    EXPECT_EQ(halfBitsToFloat(0x7bff), 65504.0f);
    EXPECT_EQ(halfBitsToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
    EXPECT_TRUE(std::isinf(halfBitsToFloat(0x7c00)));
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = halfBitsToFloat(static_cast<uint16_t>(h));
        if (std::isnan(f)) continue;
        EXPECT_EQ(floatToHalfBits(f), h) << std::hex << h;
    }
}

TEST(TensorUtil, HalfRoundsToNearestEven) {
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa (1.0).
    EXPECT_EQ(floatToHalfBits(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
    EXPECT_EQ(floatToHalfBits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
    EXPECT_EQ(floatToHalfBits(70000.0f), 0x7c00);               // overflow: infinity
    EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -25)), 0x0000);  // half of the smallest subnormal: to even
    EXPECT_EQ(floatToHalfBits(std::ldexp(1.5f, -25)), 0x0001);
}

TEST(TensorUtil, Bf16AndFp8RoundTripEveryCode) {
    for (uint32_t b = 0; b < 0x10000; ++b) {
        const float f = bf16BitsToFloat(static_cast<uint16_t>(b));
        if (std::isnan(f)) continue;
        EXPECT_EQ(floatToBf16Bits(f), b) << std::hex << b;
    }
    EXPECT_EQ(floatToBf16Bits(1.0f + std::ldexp(1.0f, -8)), 0x3f80);  // tie to even
    for (uint32_t b = 0; b < 0x100; ++b) {
        const float f = fp8BitsToFloat(static_cast<uint8_t>(b));
        if (std::isnan(f)) continue;
        const uint8_t back = floatToFp8Bits(f);
        // +0 and -0 are distinct codes with equal values.
        EXPECT_EQ(back, b) << std::hex << b;
    }
    EXPECT_EQ(fp8BitsToFloat(0x7e), 448.0f);
    EXPECT_EQ(fp8BitsToFloat(0x01), std::ldexp(1.0f, -9));
    EXPECT_EQ(floatToFp8Bits(1000.0f), 0x7e);  // saturates at the largest finite value
}

TEST(TensorUtil, StorageTypesDecodeAndPack) {
    // Packed int4 [1, -2, 7, -8, 3] = 0xe1, 0x87, 0x03: decoded, unpacked to int8 values, packed back.
    const uint8_t i4[3] = {0xe1, 0x87, 0x03};
    EXPECT_EQ(loadElement(DataType::kINT4, i4, 1), -2.0);
    EXPECT_EQ(loadElement(DataType::kINT4, i4, 4), 3.0);
    const std::vector<uint8_t> unpacked = unpackElements(DataType::kINT4, i4, 5);
    EXPECT_EQ(unpacked, (std::vector<uint8_t>{1, 0xfe, 7, 0xf8, 3}));
    std::vector<uint8_t> back(3, 0);
    std::string error;
    ASSERT_TRUE(packElements(DataType::kINT4, unpacked, back.data(), &error)) << error;
    EXPECT_EQ(back, (std::vector<uint8_t>{0xe1, 0x87, 0x03}));
    EXPECT_FALSE(packElements(DataType::kUINT2, {4}, back.data(), &error));
    EXPECT_NE(error.find("outside 0..3"), std::string::npos) << error;
    // FP4 0xf1 = 0.5, -6; E5M2 0x7b = 57344, 0x7c = inf; E4M3FNUZ 0x7f = 240, 0x80 NaN; E8M0 0x80 = 2.
    const uint8_t f4[1] = {0xf1};
    EXPECT_EQ(loadElement(DataType::kFP4, f4, 0), 0.5);
    EXPECT_EQ(loadElement(DataType::kFP4, f4, 1), -6.0);
    const uint8_t e5[2] = {0x7b, 0x7c};
    EXPECT_EQ(loadElement(DataType::kFP8_E5M2, e5, 0), 57344.0);
    EXPECT_TRUE(std::isinf(loadElement(DataType::kFP8_E5M2, e5, 1)));
    const uint8_t fz[2] = {0x7f, 0x80};
    EXPECT_EQ(loadElement(DataType::kFP8_E4M3FNUZ, fz, 0), 240.0);
    EXPECT_TRUE(std::isnan(loadElement(DataType::kFP8_E4M3FNUZ, fz, 1)));
    const uint8_t e8[1] = {0x80};
    EXPECT_EQ(loadElement(DataType::kE8M0, e8, 0), 2.0);
}

TEST(TensorUtil, ParsesAndPrintsShapes) {
    Dims d;
    std::string error;
    ASSERT_TRUE(parseShape("1x3x224x224", &d, &error)) << error;
    EXPECT_EQ(dimsText(d), "[1,3,224,224]");
    EXPECT_EQ(volumeOf(d), 1 * 3 * 224 * 224);
    ASSERT_TRUE(parseShape("4,10", &d, &error)) << error;
    EXPECT_EQ(dimsText(d), "[4,10]");
    ASSERT_TRUE(parseShape("", &d, &error));
    EXPECT_EQ(d.nbDims, 0);
    EXPECT_EQ(volumeOf(d), 1);
    EXPECT_FALSE(parseShape("1x-3", &d, &error));
    EXPECT_NE(error.find("'-3' is not a non-negative integer"), std::string::npos) << error;
    EXPECT_FALSE(parseShape("1x", &d, &error));
    EXPECT_FALSE(parseShape("1x2x3x4x5x6x7x8x9", &d, &error));
    EXPECT_NE(error.find("more than 8"), std::string::npos) << error;
    d.nbDims = 2;
    d.d[0] = -1;
    d.d[1] = 3;
    EXPECT_EQ(volumeOf(d), -1);
}

TEST(TensorUtil, RandomFillIsSeededAndInRange) {
    std::vector<float> a(1000), b(1000);
    Random r1(3), r2(3);
    fillRandom(DataType::kFLOAT, a.data(), 1000, r1);
    fillRandom(DataType::kFLOAT, b.data(), 1000, r2);
    EXPECT_EQ(a, b);
    for (float v : a) {
        EXPECT_GE(v, -1.0f);
        EXPECT_LT(v, 1.0f);
    }
    std::vector<int64_t> ints(100);
    fillRandom(DataType::kINT64, ints.data(), 100, r1);
    for (int64_t v : ints) {
        EXPECT_GE(v, 0);
        EXPECT_LT(v, 10);
    }
    EXPECT_EQ(loadElement(DataType::kINT64, ints.data(), 5), static_cast<double>(ints[5]));
}

}  // namespace
}  // namespace kiln::tool
