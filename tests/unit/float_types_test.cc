// Narrow float conversions against values worked out by hand from the IEEE/OCP bit layouts.
#include <gtest/gtest.h>

#include <cmath>

#include "common/float_types.h"

namespace kiln {
namespace {

TEST(FloatTypes, HalfKnownValues) {
    EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
    EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
    EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);           // largest finite half
    EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);           // rounds up to infinity
    EXPECT_EQ(floatToHalf(5.9604644775390625e-8f), 0x0001);  // smallest subnormal
    EXPECT_EQ(floatToHalf(1.0f + 1.0f / 2048), 0x3c00);  // exactly half an ulp above 1: ties to even (down)
    EXPECT_EQ(floatToHalf(1.0f + 3.0f / 2048), 0x3c02);  // 1.5 ulp: ties to even (up)
    EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
    EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
    EXPECT_EQ(halfToFloat(0x8001), -5.9604644775390625e-8f);
    EXPECT_EQ(halfToFloat(0x7c00), INFINITY);
}

TEST(FloatTypes, HalfRoundTripsEveryFiniteValue) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        uint16_t v = static_cast<uint16_t>(h);
        if ((v & 0x7c00) == 0x7c00) continue;  // inf/nan checked above
        ASSERT_EQ(floatToHalf(halfToFloat(v)), v) << std::hex << h;
    }
}

TEST(FloatTypes, Bf16KnownValues) {
    EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
    EXPECT_EQ(floatToBf16(-1.5f), 0xbfc0);
    EXPECT_EQ(bf16ToFloat(0x4049), 3.140625f);
    // 1 + 2^-8 is half an ulp above 1 in bf16: ties to even -> 1.
    EXPECT_EQ(floatToBf16(1.0f + 1.0f / 256), 0x3f80);
    EXPECT_EQ(floatToBf16(1.0f + 3.0f / 256), 0x3f82);
    EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(NAN))));
}

TEST(FloatTypes, Fp8E4m3KnownValues) {
    EXPECT_EQ(fp8e4m3ToFloat(0x38), 1.0f);     // exponent 7 = bias, mantissa 0
    EXPECT_EQ(fp8e4m3ToFloat(0x7e), 448.0f);   // largest finite
    EXPECT_EQ(fp8e4m3ToFloat(0x01), 0.001953125f);  // smallest subnormal 2^-9
    EXPECT_TRUE(std::isnan(fp8e4m3ToFloat(0x7f)));
    EXPECT_EQ(floatToFp8e4m3(1000.0f), 0x7e);  // saturates
    EXPECT_EQ(floatToFp8e4m3(-1000.0f), 0xfe);
    EXPECT_EQ(floatToFp8e4m3(1.0f), 0x38);
    EXPECT_EQ(floatToFp8e4m3(1.0625f), 0x38);  // halfway between 1 and 1.125: ties to even code
    for (int c = 0; c < 256; ++c) {
        if ((c & 0x7f) == 0x7f) continue;
        float f = fp8e4m3ToFloat(static_cast<uint8_t>(c));
        if (f == 0.0f) continue;  // +0 and -0 both fine
        ASSERT_EQ(floatToFp8e4m3(f), c) << c;
    }
}

}  // namespace
}  // namespace kiln
