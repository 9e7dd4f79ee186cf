// The 8-bit and 4-bit float formats (OCP FP8 E4M3FN and E5M2, the FNUZ variants of both, OCP MX FP4
// E2M1 and the exponent-only E8M0), decoded to and encoded from double in software. One parameterized
// codec serves the five sign/exponent/mantissa formats, so each format is described by its fields and how
// it spends its top codes (infinities, NaN), not by a hand-written conversion; E8M0, which has neither
// sign nor mantissa, has its own pair. Encoding rounds to nearest even (E8M0: the rounding mode given) and
// follows ONNX Cast's `saturate` rule for out-of-range values: with saturate, finite overflow and
// infinities clamp to the largest finite value; without it they become NaN, or infinity where the format
// has one (E5M2). FP4 has neither NaN nor infinity: it always saturates and encodes NaN as +0.
#pragma once

#include <cmath>
#include <cstdint>

#include "kiln/layer_types.h"

namespace kiln {

/// How a format uses its codes beyond the finite values.
enum class MiniFloatSpecials : uint8_t {
    kIEEE,  ///< all-ones exponent: infinity (mantissa 0) or NaN (E5M2)
    kFN,    ///< finite-only: only the all-ones code (either sign) is NaN (E4M3FN)
    kFNUZ,  ///< finite-only, unsigned zero: the "-0" code 0x80 is the single NaN
    kNONE,  ///< no infinity, no NaN (FP4 E2M1)
};

struct MiniFloatFormat {
    int expBits;
    int mantBits;
    int bias;
    MiniFloatSpecials specials;
    uint32_t maxCode;  ///< code of the largest finite value, sign bit clear
};

constexpr MiniFloatFormat kFormatE4M3FN{4, 3, 7, MiniFloatSpecials::kFN, 0x7e};       // max 448
constexpr MiniFloatFormat kFormatE4M3FNUZ{4, 3, 8, MiniFloatSpecials::kFNUZ, 0x7f};   // max 240
constexpr MiniFloatFormat kFormatE5M2{5, 2, 15, MiniFloatSpecials::kIEEE, 0x7b};      // max 57344
constexpr MiniFloatFormat kFormatE5M2FNUZ{5, 2, 16, MiniFloatSpecials::kFNUZ, 0x7f};  // max 57344
constexpr MiniFloatFormat kFormatE2M1{2, 1, 1, MiniFloatSpecials::kNONE, 0x7};        // max 6

inline double decodeMiniFloat(const MiniFloatFormat& f, uint32_t code) {
    const uint32_t signBit = 1u << (f.expBits + f.mantBits);
    const uint32_t expMask = (1u << f.expBits) - 1;
    const uint32_t mantMask = (1u << f.mantBits) - 1;
    code &= (signBit << 1) - 1;
    const bool negative = (code & signBit) != 0;
    const uint32_t exp = (code >> f.mantBits) & expMask;
    const uint32_t mant = code & mantMask;
    switch (f.specials) {
        case MiniFloatSpecials::kIEEE:
            if (exp == expMask) return mant != 0 ? NAN : (negative ? -INFINITY : INFINITY);
            break;
        case MiniFloatSpecials::kFN:
            if (exp == expMask && mant == mantMask) return NAN;
            break;
        case MiniFloatSpecials::kFNUZ:
            if (code == signBit) return NAN;
            break;
        case MiniFloatSpecials::kNONE:
            break;
    }
    // Subnormals (exponent field 0) have no implicit leading 1 and the exponent of the smallest normal.
    const double v = exp == 0 ? std::ldexp(static_cast<double>(mant), 1 - f.bias - f.mantBits)
                              : std::ldexp(static_cast<double>(mant + (1u << f.mantBits)),
                                           static_cast<int>(exp) - f.bias - f.mantBits);
    return negative ? -v : v;
}

/// Rounds a non-negative double holding at most 2^53 to an integer, ties to even. Exact: every step
/// (floor, the subtraction, the comparison) is exact in double for such values.
inline double roundHalfEvenNonNegative(double x) {
    const double f = std::floor(x);
    const double frac = x - f;
    if (frac > 0.5) return f + 1.0;
    if (frac < 0.5) return f;
    return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

inline uint32_t encodeMiniFloat(const MiniFloatFormat& f, double v, bool saturate) {
    const uint32_t signBit = 1u << (f.expBits + f.mantBits);
    const uint32_t expMask = (1u << f.expBits) - 1;
    const bool negative = std::signbit(v);
    const uint32_t sign = negative ? signBit : 0u;
    uint32_t nanCode = 0;
    switch (f.specials) {
        case MiniFloatSpecials::kIEEE:
            nanCode = sign | (expMask << f.mantBits) | (1u << (f.mantBits - 1));  // quiet NaN
            break;
        case MiniFloatSpecials::kFN:
            nanCode = sign | (expMask << f.mantBits) | ((1u << f.mantBits) - 1);
            break;
        case MiniFloatSpecials::kFNUZ:
            nanCode = signBit;
            break;
        case MiniFloatSpecials::kNONE:
            nanCode = 0;  // no NaN to give: +0, whatever the NaN's sign
            break;
    }
    if (std::isnan(v)) return nanCode;
    const bool unsignedZero = f.specials == MiniFloatSpecials::kFNUZ;
    auto overflow = [&]() -> uint32_t {
        if (saturate || f.specials == MiniFloatSpecials::kNONE) return sign | f.maxCode;
        if (f.specials == MiniFloatSpecials::kIEEE) return sign | (expMask << f.mantBits);  // infinity
        return nanCode;
    };
    const double a = std::fabs(v);
    if (std::isinf(a)) return overflow();
    if (a == 0.0) return unsignedZero ? 0u : sign;
    // Quantize to the format's spacing at a's binade (the subnormal spacing below the smallest normal).
    const int minExp = 1 - f.bias;
    const int e = std::ilogb(a);
    const int q = (e > minExp ? e : minExp) - f.mantBits;
    const double r = roundHalfEvenNonNegative(std::ldexp(a, -q));
    if (r == 0.0) return unsignedZero ? 0u : sign;
    const double rounded = std::ldexp(r, q);
    if (rounded > decodeMiniFloat(f, f.maxCode)) return overflow();
    const int re = std::ilogb(rounded);  // rounding may have carried into the next binade
    if (re < minExp) return sign | static_cast<uint32_t>(r);  // subnormal: exponent field 0
    const auto mant = static_cast<uint32_t>(std::ldexp(rounded, f.mantBits - re)) - (1u << f.mantBits);
    return sign | (static_cast<uint32_t>(re + f.bias) << f.mantBits) | mant;
}

/// E8M0: code c is 2^(c - 127), c = 0xff is NaN. No zero, no sign.
inline double decodeE8M0(uint8_t code) {
    if (code == 0xff) return NAN;
    return std::ldexp(1.0, static_cast<int>(code) - 127);
}

/// Encodes |v| with the rounding of `mode` (see CastRoundMode); the sign is ignored, as ONNX leaves
/// negative inputs unspecified. Values that round below 2^-127 (zero included) or above 2^127 saturate to the
/// extreme codes 0x00 / 0xfe, or are NaN without saturate; infinity is the largest value with saturate, NaN
/// without.
inline uint8_t encodeE8M0(double v, bool saturate, CastRoundMode mode) {
    if (std::isnan(v)) return 0xff;
    const double a = std::fabs(v);
    if (std::isinf(a)) return saturate ? 0xfe : 0xff;
    if (a == 0.0) return saturate ? 0x00 : 0xff;
    const int e = std::ilogb(a);
    const bool exact = a == std::ldexp(1.0, e);
    int k = e;
    switch (mode) {
        case CastRoundMode::kUP:
            k = exact ? e : e + 1;
            break;
        case CastRoundMode::kDOWN:
            break;
        case CastRoundMode::kNEAREST:
            k = a >= std::ldexp(1.5, e) ? e + 1 : e;
            break;
    }
    const int code = k + 127;
    if (code < 0) return saturate ? 0x00 : 0xff;
    if (code > 0xfe) return saturate ? 0xfe : 0xff;
    return static_cast<uint8_t>(code);
}

}  // namespace kiln
