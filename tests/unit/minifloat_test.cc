// The 8- and 4-bit float codecs of common/minifloat.h: decoded values for hand-picked codes of every
// format (worked out from the sign / exponent / mantissa layouts and biases), ONNX Cast's saturate tables
// for NaN, infinities and overflow, round-to-nearest-even ties (subnormals included), the FNUZ formats'
// single zero and NaN, E8M0's three rounding modes, every code re-encoding to itself, and random values
// against a nearest-code search.
#include "common/minifloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kiln {
namespace {

struct Decoded {
    uint32_t code;
    double value;
};

void expectDecodes(const MiniFloatFormat& f, const std::vector<Decoded>& table, const char* name) {
    for (const Decoded& d : table) {
        const double v = decodeMiniFloat(f, d.code);
        if (std::isnan(d.value)) {
            EXPECT_TRUE(std::isnan(v)) << name << " code 0x" << std::hex << d.code;
        } else {
            EXPECT_EQ(v, d.value) << name << " code 0x" << std::hex << d.code;
            EXPECT_EQ(std::signbit(v), std::signbit(d.value)) << name << " code 0x" << std::hex << d.code;
        }
    }
}

TEST(MiniFloat, DecodesHandPickedCodes) {
    // E5M2, bias 15: 0x3c = 0 01111 00 = 1; 0x7b = 0 11110 11 = 1.75 * 2^15; 0x01 = 0.25 * 2^-14.
    expectDecodes(kFormatE5M2,
                  {{0x3c, 1.0},
                   {0x3d, 1.25},
                   {0x3f, 1.75},
                   {0xc0, -2.0},
                   {0x7b, 57344.0},
                   {0x04, 0x1p-14},
                   {0x01, 0x1p-16},
                   {0x03, 0.75 * 0x1p-14},
                   {0x80, -0.0},
                   {0x7c, INFINITY},
                   {0xfc, -INFINITY},
                   {0x7d, NAN},
                   {0x7e, NAN},
                   {0xff, NAN}},
                  "e5m2");
    // E4M3FN, bias 7: 0x7e = 0 1111 110 = 1.75 * 2^8; only 0x7f / 0xff are NaN.
    expectDecodes(kFormatE4M3FN,
                  {{0x38, 1.0},
                   {0x7e, 448.0},
                   {0xfe, -448.0},
                   {0x01, 0x1p-9},
                   {0x08, 0x1p-6},
                   {0x78, 256.0},
                   {0x7f, NAN},
                   {0xff, NAN},
                   {0x80, -0.0}},
                  "e4m3fn");
    // E4M3FNUZ, bias 8: 0x40 = 0 1000 000 = 1; 0x7f = 1.875 * 2^7; 0x80 (the would-be -0) is NaN.
    expectDecodes(kFormatE4M3FNUZ,
                  {{0x40, 1.0},
                   {0x38, 0.5},
                   {0x7f, 240.0},
                   {0xff, -240.0},
                   {0xc0, -1.0},
                   {0x01, 0x1p-10},
                   {0x08, 0x1p-7},
                   {0x80, NAN},
                   {0x00, 0.0}},
                  "e4m3fnuz");
    // E5M2FNUZ, bias 16: 0x40 = 0 10000 00 = 1; 0x7f = 1.75 * 2^15; 0x80 is NaN.
    expectDecodes(kFormatE5M2FNUZ,
                  {{0x40, 1.0},
                   {0xc2, -1.5},
                   {0x7f, 57344.0},
                   {0x01, 0x1p-17},
                   {0x04, 0x1p-15},
                   {0x80, NAN},
                   {0x7c, 32768.0}},
                  "e5m2fnuz");
    // FP4 E2M1, bias 1: the OCP MX table, every code.
    const double fp4[8] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0};
    for (uint32_t c = 0; c < 16; ++c) {
        const double want = (c & 8) ? -fp4[c & 7] : fp4[c & 7];
        EXPECT_EQ(decodeMiniFloat(kFormatE2M1, c), want) << c;
        EXPECT_EQ(std::signbit(decodeMiniFloat(kFormatE2M1, c)), (c & 8) != 0) << c;
    }
    // E8M0: 2^(c - 127).
    EXPECT_EQ(decodeE8M0(0x7f), 1.0);
    EXPECT_EQ(decodeE8M0(0x80), 2.0);
    EXPECT_EQ(decodeE8M0(0x00), 0x1p-127);
    EXPECT_EQ(decodeE8M0(0xfe), 0x1p127);
    EXPECT_TRUE(std::isnan(decodeE8M0(0xff)));
}

struct Encoded {
    double value;
    uint32_t saturated;    // saturate = true (ONNX's default)
    uint32_t unsaturated;  // saturate = false
};

void expectEncodes(const MiniFloatFormat& f, const std::vector<Encoded>& table, const char* name) {
    for (const Encoded& e : table) {
        EXPECT_EQ(encodeMiniFloat(f, e.value, true), e.saturated) << name << " " << e.value << " saturate";
        EXPECT_EQ(encodeMiniFloat(f, e.value, false), e.unsaturated)
            << name << " " << e.value << " no saturate";
    }
}

TEST(MiniFloat, OnnxSaturateTables) {
    // ONNX Cast: with saturate, infinities and finite overflow clamp to the largest finite value; without,
    // they are NaN (keeping the sign for E4M3FN, the single NaN for FNUZ) or infinity for E5M2.
    expectEncodes(kFormatE4M3FN,
                  {{INFINITY, 0x7e, 0x7f},
                   {-INFINITY, 0xfe, 0xff},
                   {1e6, 0x7e, 0x7f},
                   {-1e6, 0xfe, 0xff},
                   {NAN, 0x7f, 0x7f},
                   {-0.0, 0x80, 0x80},
                   {0.0, 0x00, 0x00},
                   {464.0, 0x7e, 0x7e},   // half-way to the virtual 480: ties to the even 448
                   {465.0, 0x7e, 0x7f}},  // rounds to 480 > 448: overflow
                  "e4m3fn");
    expectEncodes(kFormatE5M2,
                  {{INFINITY, 0x7b, 0x7c},
                   {-INFINITY, 0xfb, 0xfc},
                   {1e6, 0x7b, 0x7c},
                   {-1e6, 0xfb, 0xfc},
                   {NAN, 0x7e, 0x7e},
                   {-0.0, 0x80, 0x80},
                   {61439.0, 0x7b, 0x7b},   // below the half-way point to 65536
                   {61440.0, 0x7b, 0x7c}},  // ties to the even 65536 (as IEEE half does at 65520): overflow
                  "e5m2");
    expectEncodes(kFormatE4M3FNUZ,
                  {{INFINITY, 0x7f, 0x80},
                   {-INFINITY, 0xff, 0x80},
                   {1e6, 0x7f, 0x80},
                   {NAN, 0x80, 0x80},
                   {-0.0, 0x00, 0x00},
                   {-1e-9, 0x00, 0x00},  // no -0: negative underflow is +0
                   {248.0, 0x7f, 0x80},  // ties to the even virtual 256: overflow
                   {247.0, 0x7f, 0x7f}},
                  "e4m3fnuz");
    expectEncodes(kFormatE5M2FNUZ,
                  {{INFINITY, 0x7f, 0x80},
                   {-INFINITY, 0xff, 0x80},
                   {NAN, 0x80, 0x80},
                   {-0.0, 0x00, 0x00},
                   {1.0, 0x40, 0x40},
                   {-1.5, 0xc2, 0xc2}},
                  "e5m2fnuz");
}

TEST(MiniFloat, RoundsToNearestEven) {
    // E5M2 subnormals are multiples of 2^-16: 0.5 unit ties to 0, 0.75 to 1, 1.5 ties to 2.
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, 0x1p-17, true), 0x00u);
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, 0.75 * 0x1p-16, true), 0x01u);
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, 1.5 * 0x1p-16, true), 0x02u);
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, -1.5 * 0x1p-16, true), 0x82u);
    // 1.125 is half-way between 1 (0x3c) and 1.25 (0x3d): even mantissa; 1.375 goes up to 1.5 (0x3e).
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, 1.125, true), 0x3cu);
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, 1.375, true), 0x3eu);
    // A carry out of the mantissa: 1.9 rounds to 2 (0x40).
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, 1.9, true), 0x40u);
    // ONNX test values: 0.47892547 -> 0.5, 1e-7 -> 0 (below half the smallest subnormal).
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, 0.47892547, false), 0x38u);
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, 1e-7, false), 0x00u);
    EXPECT_EQ(encodeMiniFloat(kFormatE5M2, -1e-7, false), 0x80u);
    // FP4 ties: 0.25 -> 0, 0.75 -> 1, 1.25 -> 1, 1.75 -> 2, 2.5 -> 2, 5 -> 4; beyond 6 saturates always;
    // NaN has no code and gives +0; -0.1 rounds to -0.
    const std::vector<std::pair<double, uint32_t>> fp4{
        {0.25, 0x0}, {0.75, 0x2},      {1.25, 0x2}, {1.75, 0x4}, {2.5, 0x4},  {5.0, 0x6}, {7.0, 0x7},
        {1e9, 0x7},  {-INFINITY, 0xf}, {NAN, 0x0},  {-0.1, 0x8}, {-3.5, 0xe}, {0.3, 0x1}, {INFINITY, 0x7}};
    for (const auto& [v, code] : fp4) {
        EXPECT_EQ(encodeMiniFloat(kFormatE2M1, v, true), code) << v;
        EXPECT_EQ(encodeMiniFloat(kFormatE2M1, v, false), code) << v << " (FP4 ignores saturate)";
    }
}

TEST(MiniFloat, EveryCodeReencodesToItself) {
    for (const MiniFloatFormat* f : {&kFormatE4M3FN, &kFormatE4M3FNUZ, &kFormatE5M2, &kFormatE5M2FNUZ}) {
        for (uint32_t c = 0; c < 256; ++c) {
            const double v = decodeMiniFloat(*f, c);
            if (!std::isfinite(v)) continue;  // NaN and E5M2's infinities: the saturate tables above
            ASSERT_EQ(encodeMiniFloat(*f, v, true), c) << "bias " << f->bias << " code " << c;
            ASSERT_EQ(encodeMiniFloat(*f, v, false), c) << "bias " << f->bias << " code " << c;
        }
    }
    for (uint32_t c = 0; c < 16; ++c)
        ASSERT_EQ(encodeMiniFloat(kFormatE2M1, decodeMiniFloat(kFormatE2M1, c), true), c);
    for (uint32_t c = 0; c < 255; ++c)
        for (CastRoundMode m : {CastRoundMode::kUP, CastRoundMode::kDOWN, CastRoundMode::kNEAREST})
            ASSERT_EQ(encodeE8M0(decodeE8M0(static_cast<uint8_t>(c)), false, m), c) << c;
}

TEST(MiniFloat, RandomValuesMatchNearestCodeSearch) {
    // The nearest finite code by exhaustive search, ties to the even code, out-of-range values to the
    // largest one: what encoding with saturate must give.
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> mant(1.0, 2.0), expo(-20.0, 18.0);
    for (const MiniFloatFormat* f :
         {&kFormatE4M3FN, &kFormatE4M3FNUZ, &kFormatE5M2, &kFormatE5M2FNUZ, &kFormatE2M1}) {
        const uint32_t nbCodes = 1u << (1 + f->expBits + f->mantBits);
        for (int k = 0; k < 3000; ++k) {
            const double v = ((rng() & 1) ? -1.0 : 1.0) * mant(rng) * std::exp2(std::floor(expo(rng)));
            uint32_t best = 0;
            double bestDiff = INFINITY;
            for (uint32_t c = 0; c < nbCodes; ++c) {
                const double d = decodeMiniFloat(*f, c);
                if (!std::isfinite(d) || (d != 0.0 && std::signbit(d) != std::signbit(v))) continue;
                const double diff = std::fabs(d - v);
                if (diff < bestDiff || (diff == bestDiff && (c & 1) == 0)) {
                    best = c;
                    bestDiff = diff;
                }
            }
            uint32_t got = encodeMiniFloat(*f, v, true);
            // A value that rounds to zero keeps its sign where the format has -0; compare magnitudes there.
            if (decodeMiniFloat(*f, got) == 0.0 && decodeMiniFloat(*f, best) == 0.0) continue;
            ASSERT_EQ(got, best) << "bias " << f->bias << " value " << v;
        }
    }
}

TEST(MiniFloat, E8M0RoundingModes) {
    struct Row {
        double value;
        uint8_t up, down, nearest;
    };
    const Row rows[] = {
        {1.0, 0x7f, 0x7f, 0x7f},     {1.1, 0x80, 0x7f, 0x7f},
        {1.4, 0x80, 0x7f, 0x7f},     {1.5, 0x80, 0x7f, 0x80},  // ties (1.5 * 2^e) go up
        {1.9, 0x80, 0x7f, 0x80},     {3.0, 0x81, 0x80, 0x81},
        {0.124, 0x7c, 0x7b, 0x7c},   {-4.0, 0x81, 0x81, 0x81},  // the sign is ignored
        {0x1p127, 0xfe, 0xfe, 0xfe},
    };
    for (const Row& r : rows) {
        EXPECT_EQ(encodeE8M0(r.value, true, CastRoundMode::kUP), r.up) << r.value;
        EXPECT_EQ(encodeE8M0(r.value, true, CastRoundMode::kDOWN), r.down) << r.value;
        EXPECT_EQ(encodeE8M0(r.value, true, CastRoundMode::kNEAREST), r.nearest) << r.value;
    }
    // Out of range: saturate to the extreme codes, or NaN (0xff) without saturate.
    EXPECT_EQ(encodeE8M0(1.5 * 0x1p127, true, CastRoundMode::kUP), 0xfe);
    EXPECT_EQ(encodeE8M0(1.5 * 0x1p127, false, CastRoundMode::kUP), 0xff);
    EXPECT_EQ(encodeE8M0(1.5 * 0x1p127, false, CastRoundMode::kDOWN), 0xfe);
    EXPECT_EQ(encodeE8M0(INFINITY, true, CastRoundMode::kUP), 0xfe);
    EXPECT_EQ(encodeE8M0(INFINITY, false, CastRoundMode::kUP), 0xff);
    EXPECT_EQ(encodeE8M0(0.0, true, CastRoundMode::kUP), 0x00);
    EXPECT_EQ(encodeE8M0(0.0, false, CastRoundMode::kNEAREST), 0xff);
    EXPECT_EQ(encodeE8M0(0x1p-130, true, CastRoundMode::kDOWN), 0x00);
    EXPECT_EQ(encodeE8M0(0x1p-130, false, CastRoundMode::kDOWN), 0xff);
    EXPECT_EQ(encodeE8M0(NAN, true, CastRoundMode::kUP), 0xff);
}

}  // namespace
}  // namespace kiln
