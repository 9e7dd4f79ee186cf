// Conversions between float32 and the narrow float formats (IEEE half, bfloat16, FP8 E4M3FN), done in
// software so the CPU backend can read and write every DataType. Rounding is to nearest even; values
// beyond the FP8 range saturate to +-448 (the OCP "satfinite" convention), NaN stays NaN. The other 8- and
// 4-bit formats are in common/minifloat.h, which also does the FP8 E4M3FN work for the functions here.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common/minifloat.h"

namespace kiln {

inline uint32_t floatBits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline float bitsFloat(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

/// Rounds v to float "to odd": truncates, then sets the last mantissa bit if anything was lost. A second
/// rounding of that float to half, bfloat16 or fp8 (at most 11 significant bits, float has 24 >= 11 + 2)
/// then equals the correct rounding of v itself; the plain double -> float -> half chain can be one ulp off
/// when the first rounding lands exactly on a half-way point of the narrow format.
inline float roundToOddFloat(long double v) {
    float f = static_cast<float>(v);
    if (std::isnan(f) || std::isinf(f) || static_cast<long double>(f) == v) return f;
    if (std::fabs(static_cast<long double>(f)) > std::fabs(v)) f = std::nextafter(f, 0.0f);
    return bitsFloat(floatBits(f) | 1u);
}

inline uint16_t floatToHalf(float f) {
    uint32_t x = floatBits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) return static_cast<uint16_t>(sign | (absx > 0x7f800000u ? 0x7e00u : 0x7c00u));
    if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
    if (absx < 0x38800000u) {  // result is subnormal or zero
        // Let the FPU do the rounding: add a magic number whose ulp is the half subnormal ulp.
        float v = bitsFloat(absx) + 0.5f;
        return static_cast<uint16_t>(sign | (floatBits(v) - 0x3f000000u));
    }
    uint32_t mant_odd = (absx >> 13) & 1u;
    absx += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
    return static_cast<uint16_t>(sign | (absx >> 13));
}

inline float halfToFloat(uint16_t h) {
    uint32_t sign = (static_cast<uint32_t>(h) & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        float v = static_cast<float>(mant) * 5.9604644775390625e-8f;  // 2^-24
        return sign ? -v : v;
    }
    if (exp == 31) return bitsFloat(sign | 0x7f800000u | (mant << 13));
    return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

inline uint16_t floatToBf16(float f) {
    uint32_t x = floatBits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
    uint32_t lsb = (x >> 16) & 1u;
    x += 0x7fffu + lsb;
    return static_cast<uint16_t>(x >> 16);
}

inline float bf16ToFloat(uint16_t b) { return bitsFloat(static_cast<uint32_t>(b) << 16); }

/// FP8 E4M3FN: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities; 0x7f/0xff are NaN.
inline float fp8e4m3ToFloat(uint8_t v) {
    return static_cast<float>(decodeMiniFloat(kFormatE4M3FN, v));
}

/// Rounds to nearest even; saturates to +-448 (infinities too).
inline uint8_t floatToFp8e4m3(float f) {
    return static_cast<uint8_t>(encodeMiniFloat(kFormatE4M3FN, f, /*saturate=*/true));
}

}  // namespace kiln
