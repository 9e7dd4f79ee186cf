// Tensor helpers of the kiln tool (see tensor_util.h).
#include "tensor_util.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace kiln::tool {

int64_t volumeOf(const Dims& d) {
    if (d.nbDims < 0) return -1;
    int64_t v = 1;
    for (int i = 0; i < d.nbDims; ++i) {
        if (d.d[i] < 0) return -1;
        v *= d.d[i];
    }
    return v;
}

std::string dimsText(const Dims& d) {
    if (d.nbDims < 0) return "(unknown rank)";
    std::string s = "[";
    for (int i = 0; i < d.nbDims; ++i) s += (i ? "," : "") + std::to_string(d.d[i]);
    return s + "]";
}

bool parseShape(const std::string& text, Dims* out, std::string* error) {
    Dims d;
    d.nbDims = 0;
    if (text.empty() || text == "scalar") {
        *out = d;
        return true;
    }
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find_first_of("x,", pos);
        if (end == std::string::npos) end = text.size();
        const std::string item = text.substr(pos, end - pos);
        if (item.empty() || item.size() > 12 || item.find_first_not_of("0123456789") != std::string::npos) {
            *error = "shape '" + text + "': '" + item +
                     "' is not a non-negative integer; write shapes as 1x3x224x224";
            return false;
        }
        if (d.nbDims == kMAX_DIMS) {
            *error = "shape '" + text + "' has more than " + std::to_string(kMAX_DIMS) + " dimensions";
            return false;
        }
        d.d[d.nbDims++] = std::stoll(item);
        pos = end + 1;
    }
    *out = d;
    return true;
}

float halfBitsToFloat(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    float magnitude;
    if (exp == 0)
        magnitude = std::ldexp(static_cast<float>(mant), -24);
    else if (exp == 31)
        magnitude = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    else
        magnitude = std::ldexp(static_cast<float>(mant | 0x400u), static_cast<int>(exp) - 25);
    return sign ? -magnitude : magnitude;
}

uint16_t floatToHalfBits(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    const int32_t exp = static_cast<int32_t>((x >> 23) & 0xffu);
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));
    const int32_t e = exp - 127 + 15;
    if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
    if (e <= 0) {
        // Subnormal half: units of 2^-24; below 2^-25 everything rounds to zero.
        if (e < -10) return sign;
        mant |= 0x800000u;
        const int shift = 14 - e;
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1u);
        const uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (h & 1u))) ++h;
        return static_cast<uint16_t>(sign | h);
    }
    uint32_t h = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is still correct
    return static_cast<uint16_t>(sign | h);
}

float bf16BitsToFloat(uint16_t b) {
    const uint32_t x = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

uint16_t floatToBf16Bits(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if (std::isnan(f)) return static_cast<uint16_t>((x >> 16) | 0x40u);
    x += 0x7fffu + ((x >> 16) & 1u);
    return static_cast<uint16_t>(x >> 16);
}

float fp8BitsToFloat(uint8_t b) {
    const bool negative = b & 0x80u;
    const int exp = (b >> 3) & 0xf;
    const int mant = b & 0x7;
    float magnitude;
    if (exp == 15 && mant == 7)
        magnitude = std::numeric_limits<float>::quiet_NaN();
    else if (exp == 0)
        magnitude = std::ldexp(static_cast<float>(mant), -9);
    else
        magnitude = std::ldexp(static_cast<float>(8 + mant), exp - 10);
    return negative ? -magnitude : magnitude;
}

uint8_t floatToFp8Bits(float f) {
    if (std::isnan(f)) return 0x7f;
    const uint8_t sign = std::signbit(f) ? 0x80 : 0x00;
    const float a = std::fabs(f);
    // 126 finite positive codes: pick the nearest by search (ties to the even code), which is obviously
    // right and fast enough for filling inputs.
    uint8_t best = 0;
    float bestErr = std::numeric_limits<float>::infinity();
    for (uint8_t code = 0; code < 0x7f; ++code) {
        const float err = std::fabs(fp8BitsToFloat(code) - a);
        if (err < bestErr || (err == bestErr && (code & 1u) == 0)) {
            best = code;
            bestErr = err;
        }
    }
    return static_cast<uint8_t>(sign | best);
}

namespace {

// A sign / exponent / mantissa float of `expBits` + `mantBits` + 1 bits with exponent bias `bias`, decoded
// by its formula; which codes are NaN or infinity differs per format and is decided by the caller.
double miniFloatValue(uint32_t code, int expBits, int mantBits, int bias) {
    const bool negative = (code >> (expBits + mantBits)) & 1u;
    const int exp = static_cast<int>((code >> mantBits) & ((1u << expBits) - 1u));
    const int mant = static_cast<int>(code & ((1u << mantBits) - 1u));
    const double magnitude = exp == 0 ? std::ldexp(mant, 1 - bias - mantBits)
                                      : std::ldexp(mant + (1 << mantBits), exp - bias - mantBits);
    return negative ? -magnitude : magnitude;
}

// The field of element i of a packed 4- or 2-bit buffer (element 0 in the lowest bits).
uint32_t packedField(const uint8_t* bytes, int64_t i, int bits) {
    const int64_t perByte = 8 / bits;
    return (bytes[i / perByte] >> ((i % perByte) * bits)) & ((1u << bits) - 1u);
}

void setPackedField(uint8_t* bytes, int64_t i, int bits, uint32_t v) {
    const int64_t perByte = 8 / bits;
    const int shift = static_cast<int>((i % perByte) * bits);
    const auto mask = static_cast<uint8_t>(((1u << bits) - 1u) << shift);
    bytes[i / perByte] = static_cast<uint8_t>((bytes[i / perByte] & ~mask) | ((v << shift) & mask));
}

// The code of `nbCodes` whose value is nearest `f` (ties to the even code), NaN codes skipped.
uint32_t nearestCode(float f, uint32_t nbCodes, DataType type) {
    uint32_t best = 0;
    double bestErr = std::numeric_limits<double>::infinity();
    for (uint32_t code = 0; code < nbCodes; ++code) {
        uint8_t byte[1] = {static_cast<uint8_t>(code)};
        const double v = loadElement(type, byte, 0);
        if (std::isnan(v)) continue;
        const double err = std::fabs(v - f);
        if (err < bestErr || (err == bestErr && (code & 1u) == 0)) {
            best = code;
            bestErr = err;
        }
    }
    return best;
}

}  // namespace

int32_t packedBits(DataType type) {
    switch (type) {
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kFP4:
            return 4;
        case DataType::kINT2:
        case DataType::kUINT2:
            return 2;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kINT8:
        case DataType::kINT32:
        case DataType::kBOOL:
        case DataType::kUINT8:
        case DataType::kFP8:
        case DataType::kBF16:
        case DataType::kINT64:
        case DataType::kE8M0:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
            break;
    }
    return 0;
}

std::vector<uint8_t> unpackElements(DataType type, const void* data, int64_t count) {
    const int bits = packedBits(type);
    std::vector<uint8_t> out(static_cast<size_t>(count));
    const auto* bytes = static_cast<const uint8_t*>(data);
    for (int64_t i = 0; i < count; ++i) {
        uint32_t v = packedField(bytes, i, bits);
        // Signed types become int8 values (two's complement in the byte).
        if ((type == DataType::kINT4 || type == DataType::kINT2) && (v >> (bits - 1))) v |= ~0u << bits;
        out[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
    }
    return out;
}

bool packElements(DataType type, const std::vector<uint8_t>& unpacked, void* data, std::string* error) {
    const int bits = packedBits(type);
    auto* bytes = static_cast<uint8_t*>(data);
    for (size_t i = 0; i < unpacked.size(); ++i) {
        const uint8_t v = unpacked[i];
        const bool isSigned = type == DataType::kINT4 || type == DataType::kINT2;
        const int64_t value = isSigned ? static_cast<int8_t>(v) : v;
        const int64_t lo = isSigned ? -(int64_t{1} << (bits - 1)) : 0;
        const int64_t hi = isSigned ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
        if (value < lo || value > hi) {
            *error = std::string(dataTypeName(type)) + " element " + std::to_string(i) + " is " +
                     std::to_string(value) + ", outside " + std::to_string(lo) + ".." + std::to_string(hi);
            return false;
        }
        setPackedField(bytes, static_cast<int64_t>(i), bits, static_cast<uint32_t>(value));
    }
    return true;
}

double loadElement(DataType type, const void* data, int64_t i) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    switch (type) {
        case DataType::kFLOAT: {
            float v;
            std::memcpy(&v, bytes + i * 4, 4);
            return v;
        }
        case DataType::kHALF: {
            uint16_t v;
            std::memcpy(&v, bytes + i * 2, 2);
            return halfBitsToFloat(v);
        }
        case DataType::kBF16: {
            uint16_t v;
            std::memcpy(&v, bytes + i * 2, 2);
            return bf16BitsToFloat(v);
        }
        case DataType::kFP8:
            return fp8BitsToFloat(bytes[i]);
        case DataType::kINT8:
            return static_cast<int8_t>(bytes[i]);
        case DataType::kUINT8:
            return bytes[i];
        case DataType::kBOOL:
            return bytes[i] ? 1.0 : 0.0;
        case DataType::kINT32: {
            int32_t v;
            std::memcpy(&v, bytes + i * 4, 4);
            return v;
        }
        case DataType::kINT64: {
            int64_t v;
            std::memcpy(&v, bytes + i * 8, 8);
            return static_cast<double>(v);
        }
        case DataType::kFP8_E5M2: {
            const uint8_t b = bytes[i];
            if ((b & 0x7cu) == 0x7cu)
                return (b & 3u) ? std::numeric_limits<double>::quiet_NaN()
                                : ((b & 0x80u) ? -INFINITY : INFINITY);
            return miniFloatValue(b, 5, 2, 15);
        }
        case DataType::kFP8_E4M3FNUZ:
            return bytes[i] == 0x80 ? std::numeric_limits<double>::quiet_NaN()
                                    : miniFloatValue(bytes[i], 4, 3, 8);
        case DataType::kFP8_E5M2FNUZ:
            return bytes[i] == 0x80 ? std::numeric_limits<double>::quiet_NaN()
                                    : miniFloatValue(bytes[i], 5, 2, 16);
        case DataType::kE8M0:
            return bytes[i] == 0xff ? std::numeric_limits<double>::quiet_NaN()
                                    : std::ldexp(1.0, bytes[i] - 127);
        case DataType::kFP4:
            return miniFloatValue(packedField(bytes, i, 4), 2, 1, 1);
        case DataType::kINT4: {
            const uint32_t v = packedField(bytes, i, 4);
            return v >= 8 ? static_cast<double>(v) - 16 : v;
        }
        case DataType::kUINT4:
            return packedField(bytes, i, 4);
        case DataType::kINT2: {
            const uint32_t v = packedField(bytes, i, 2);
            return v >= 2 ? static_cast<double>(v) - 4 : v;
        }
        case DataType::kUINT2:
            return packedField(bytes, i, 2);
    }
    return 0.0;
}

void fillRandom(DataType type, void* data, int64_t count, Random& random) {
    auto* bytes = static_cast<uint8_t*>(data);
    for (int64_t i = 0; i < count; ++i) {
        const auto f = static_cast<float>(random.uniform(-1.0, 1.0));
        const auto n = static_cast<int32_t>(random.next() % 10);
        switch (type) {
            case DataType::kFLOAT:
                std::memcpy(bytes + i * 4, &f, 4);
                break;
            case DataType::kHALF: {
                const uint16_t h = floatToHalfBits(f);
                std::memcpy(bytes + i * 2, &h, 2);
                break;
            }
            case DataType::kBF16: {
                const uint16_t h = floatToBf16Bits(f);
                std::memcpy(bytes + i * 2, &h, 2);
                break;
            }
            case DataType::kFP8:
                bytes[i] = floatToFp8Bits(f);
                break;
            case DataType::kINT8:
            case DataType::kUINT8:
                bytes[i] = static_cast<uint8_t>(n);
                break;
            case DataType::kBOOL:
                bytes[i] = static_cast<uint8_t>(n & 1);
                break;
            case DataType::kINT32:
                std::memcpy(bytes + i * 4, &n, 4);
                break;
            case DataType::kINT64: {
                const int64_t v = n;
                std::memcpy(bytes + i * 8, &v, 8);
                break;
            }
            case DataType::kFP8_E5M2:
            case DataType::kFP8_E4M3FNUZ:
            case DataType::kFP8_E5M2FNUZ:
            case DataType::kE8M0:
                bytes[i] = static_cast<uint8_t>(nearestCode(f, 256, type));
                break;
            case DataType::kFP4:
                setPackedField(bytes, i, 4, nearestCode(f, 16, type));
                break;
            case DataType::kINT4:
            case DataType::kUINT4:
                setPackedField(bytes, i, 4, static_cast<uint32_t>(n));  // 0..9 fits both
                break;
            case DataType::kINT2:
            case DataType::kUINT2:
                setPackedField(bytes, i, 2, static_cast<uint32_t>(n & 1));  // 0 or 1 fits both
                break;
        }
    }
}

}  // namespace kiln::tool
