// Reading TensorProto test data, converting values to and from Kiln tensor bytes, comparing outputs. The
// narrow float conversions (float16, bfloat16, the float8 and float4 formats) and the 4-/2-bit packing are
// written out here rather than taken from Kiln's internals, so the runner checks Kiln against an
// independent implementation. The 8- and 4-bit float decoders spell out each format's formula; encoding
// into them (only needed for inputs, whose values come from the same format) searches the codes.
#include "tensor_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "onnx/onnx_subset.pb.h"

namespace kiln::conformance {
namespace {

float bitsToFloat(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

uint32_t floatToBits(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

double halfToDouble(uint16_t h) {
    const int exponent = (h >> 10) & 0x1f;
    const int mantissa = h & 0x3ff;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exponent == 0x1f) return mantissa ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
    if (exponent == 0) return sign * std::ldexp(mantissa, -24);
    return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

uint16_t floatToHalf(float value) {
    const uint32_t x = floatToBits(value);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
    const uint32_t abs = x & 0x7fffffff;
    if (abs > 0x7f800000) return sign | 0x7e00;   // NaN
    if (abs >= 0x477ff000) return sign | 0x7c00;  // >= 65520 rounds to infinity
    if (abs < 0x38800000) {
        // Below the smallest normal half (2^-14): count units of 2^-24, rounding to nearest even.
        const double units = std::nearbyint(static_cast<double>(bitsToFloat(abs)) * 16777216.0);
        return sign | static_cast<uint16_t>(units);
    }
    uint32_t h = ((((abs >> 23) - 127 + 15) << 10) | ((abs & 0x7fffff) >> 13));
    const uint32_t rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;  // a carry correctly bumps the exponent
    return sign | static_cast<uint16_t>(h);
}

double bf16ToDouble(uint16_t b) { return bitsToFloat(static_cast<uint32_t>(b) << 16); }

uint16_t floatToBf16(float value) {
    const uint32_t x = floatToBits(value);
    if ((x & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((x >> 16) | 0x40);  // quiet NaN
    return static_cast<uint16_t>((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

// FP8 E4M3FN: bias 7, no infinities, 0x7f / 0xff are NaN, largest finite 448.
double fp8ToDouble(uint8_t b) {
    const int exponent = (b >> 3) & 0xf;
    const int mantissa = b & 7;
    const double sign = (b & 0x80) ? -1.0 : 1.0;
    if (exponent == 0xf && mantissa == 7) return std::numeric_limits<double>::quiet_NaN();
    if (exponent == 0) return sign * std::ldexp(mantissa, -9);
    return sign * std::ldexp(8 + mantissa, exponent - 10);
}

uint8_t doubleToFp8(double value) {
    if (std::isnan(value)) return 0x7f;
    const uint8_t sign = std::signbit(value) ? 0x80 : 0;
    const double a = std::fabs(value);
    // Nearest of the 127 non-negative codes (ties to the even code); saturates at 448 as ONNX's default.
    uint8_t best = 0;
    double bestDiff = INFINITY;
    for (int code = 0; code < 0x7f; ++code) {
        const double diff = std::fabs(fp8ToDouble(static_cast<uint8_t>(code)) - a);
        if (diff < bestDiff || (diff == bestDiff && (code & 1) == 0)) {
            best = static_cast<uint8_t>(code);
            bestDiff = diff;
        }
    }
    return sign | best;
}

// FP8 E5M2 (IEEE-like): bias 15, all-ones exponent is infinity (mantissa 0) or NaN.
double e5m2ToDouble(uint8_t b) {
    const int exponent = (b >> 2) & 0x1f;
    const int mantissa = b & 3;
    const double sign = (b & 0x80) ? -1.0 : 1.0;
    if (exponent == 0x1f) return mantissa ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
    if (exponent == 0) return sign * std::ldexp(mantissa, -16);
    return sign * std::ldexp(4 + mantissa, exponent - 17);
}

// FP8 E4M3FNUZ: bias 8, no infinities, no -0: 0x80 is the only NaN.
double e4m3fnuzToDouble(uint8_t b) {
    if (b == 0x80) return std::numeric_limits<double>::quiet_NaN();
    const int exponent = (b >> 3) & 0xf;
    const int mantissa = b & 7;
    const double sign = (b & 0x80) ? -1.0 : 1.0;
    if (exponent == 0) return sign * std::ldexp(mantissa, -10);
    return sign * std::ldexp(8 + mantissa, exponent - 11);
}

// FP8 E5M2FNUZ: bias 16, no infinities, no -0: 0x80 is the only NaN.
double e5m2fnuzToDouble(uint8_t b) {
    if (b == 0x80) return std::numeric_limits<double>::quiet_NaN();
    const int exponent = (b >> 2) & 0x1f;
    const int mantissa = b & 3;
    const double sign = (b & 0x80) ? -1.0 : 1.0;
    if (exponent == 0) return sign * std::ldexp(mantissa, -17);
    return sign * std::ldexp(4 + mantissa, exponent - 18);
}

// E8M0: 2^(b - 127); 0xff is NaN.
double e8m0ToDouble(uint8_t b) {
    if (b == 0xff) return std::numeric_limits<double>::quiet_NaN();
    return std::ldexp(1.0, b - 127);
}

// FP4 E2M1: the eight magnitudes of the OCP MX table, bit 3 the sign.
double fp4ToDouble(uint8_t nibble) {
    static const double kMagnitudes[8] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0};
    const double m = kMagnitudes[nibble & 7];
    return (nibble & 8) ? -m : m;
}

// The code (0 .. nbCodes-1) whose value is `value`; for a value between codes, the nearest one (ties to
// the even code). Input tensors hold values of their own format, so the exact match is what is used.
template <typename Decode>
uint8_t encodeBySearch(double value, int nbCodes, Decode decode) {
    int best = 0;
    double bestDiff = INFINITY;
    for (int code = 0; code < nbCodes; ++code) {
        const double d = decode(static_cast<uint8_t>(code));
        if (std::isnan(value) || std::isnan(d)) {
            if (std::isnan(value) && std::isnan(d)) return static_cast<uint8_t>(code);
            continue;
        }
        if (d == value && std::signbit(d) == std::signbit(value)) return static_cast<uint8_t>(code);
        const double diff = std::fabs(d - value);
        if (diff < bestDiff || (diff == bestDiff && (code & 1) == 0)) {
            best = code;
            bestDiff = diff;
        }
    }
    return static_cast<uint8_t>(best);
}

// Bits per element of the packed ONNX types, 0 for the others.
int packedBits(int32_t t) {
    switch (t) {
        case kOnnxUint4:
        case kOnnxInt4:
        case kOnnxFloat4E2M1:
            return 4;
        case kOnnxUint2:
        case kOnnxInt2:
            return 2;
        default:
            return 0;
    }
}

// Element k of a packed buffer: element 0 in the lowest bits of byte 0.
uint8_t unpack(const uint8_t* bytes, int64_t k, int bits) {
    const int64_t perByte = 8 / bits;
    return static_cast<uint8_t>((bytes[k / perByte] >> ((k % perByte) * bits)) & ((1 << bits) - 1));
}

void pack(uint8_t* bytes, int64_t k, int bits, uint8_t v) {
    const int64_t perByte = 8 / bits;
    const int shift = static_cast<int>((k % perByte) * bits);
    bytes[k / perByte] = static_cast<uint8_t>(bytes[k / perByte] | ((v & ((1 << bits) - 1)) << shift));
}

// One element of a packed ONNX type, from its field.
void appendPacked(uint8_t field, int32_t t, HostArray* out) {
    switch (t) {
        case kOnnxFloat4E2M1:
            out->f.push_back(fp4ToDouble(field));
            return;
        case kOnnxUint4:
        case kOnnxUint2:
            out->i.push_back(field);
            return;
        case kOnnxInt4:
            out->i.push_back(field >= 8 ? field - 16 : field);
            return;
        case kOnnxInt2:
            out->i.push_back(field >= 2 ? field - 4 : field);
            return;
        default:
            return;
    }
}

template <typename T>
T readLittleEndian(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);  // the build machines are little-endian, as raw_data
    return v;
}

bool isFloatOnnx(int32_t t) {
    return t == kOnnxFloat || t == kOnnxDouble || t == kOnnxFloat16 || t == kOnnxBfloat16 ||
           t == kOnnxFloat8E4M3FN || t == kOnnxFloat8E4M3FNUZ || t == kOnnxFloat8E5M2 ||
           t == kOnnxFloat8E5M2FNUZ || t == kOnnxFloat8E8M0 || t == kOnnxFloat4E2M1;
}

int64_t rawSize(int32_t t) {
    switch (t) {
        case kOnnxFloat: case kOnnxInt32: case kOnnxUint32: return 4;
        case kOnnxUint8: case kOnnxInt8: case kOnnxBool: case kOnnxFloat8E4M3FN: return 1;
        case kOnnxFloat8E4M3FNUZ:
        case kOnnxFloat8E5M2:
        case kOnnxFloat8E5M2FNUZ:
        case kOnnxFloat8E8M0:
            return 1;
        case kOnnxUint16: case kOnnxInt16: case kOnnxFloat16: case kOnnxBfloat16: return 2;
        case kOnnxInt64: case kOnnxDouble: case kOnnxUint64: return 8;
        default: return 0;
    }
}

// One element from its raw little-endian bytes.
void appendRaw(const char* p, int32_t t, HostArray* out) {
    switch (t) {
        case kOnnxFloat: out->f.push_back(readLittleEndian<float>(p)); return;
        case kOnnxDouble: out->f.push_back(readLittleEndian<double>(p)); return;
        case kOnnxFloat16: out->f.push_back(halfToDouble(readLittleEndian<uint16_t>(p))); return;
        case kOnnxBfloat16: out->f.push_back(bf16ToDouble(readLittleEndian<uint16_t>(p))); return;
        case kOnnxFloat8E4M3FN: out->f.push_back(fp8ToDouble(readLittleEndian<uint8_t>(p))); return;
        case kOnnxFloat8E4M3FNUZ:
            out->f.push_back(e4m3fnuzToDouble(readLittleEndian<uint8_t>(p)));
            return;
        case kOnnxFloat8E5M2:
            out->f.push_back(e5m2ToDouble(readLittleEndian<uint8_t>(p)));
            return;
        case kOnnxFloat8E5M2FNUZ:
            out->f.push_back(e5m2fnuzToDouble(readLittleEndian<uint8_t>(p)));
            return;
        case kOnnxFloat8E8M0:
            out->f.push_back(e8m0ToDouble(readLittleEndian<uint8_t>(p)));
            return;
        case kOnnxUint8: out->i.push_back(readLittleEndian<uint8_t>(p)); return;
        case kOnnxInt8: out->i.push_back(readLittleEndian<int8_t>(p)); return;
        case kOnnxBool: out->i.push_back(readLittleEndian<uint8_t>(p) != 0); return;
        case kOnnxUint16: out->i.push_back(readLittleEndian<uint16_t>(p)); return;
        case kOnnxInt16: out->i.push_back(readLittleEndian<int16_t>(p)); return;
        case kOnnxInt32: out->i.push_back(readLittleEndian<int32_t>(p)); return;
        case kOnnxUint32: out->i.push_back(readLittleEndian<uint32_t>(p)); return;
        case kOnnxInt64: out->i.push_back(readLittleEndian<int64_t>(p)); return;
        case kOnnxUint64: out->i.push_back(static_cast<int64_t>(readLittleEndian<uint64_t>(p))); return;
        default: return;
    }
}

// One element from the int32_data field, where ONNX keeps the narrow types (float16 etc. as bit patterns).
void appendInt32Field(int32_t v, int32_t t, HostArray* out) {
    switch (t) {
        case kOnnxFloat16: out->f.push_back(halfToDouble(static_cast<uint16_t>(v))); return;
        case kOnnxBfloat16: out->f.push_back(bf16ToDouble(static_cast<uint16_t>(v))); return;
        case kOnnxFloat8E4M3FN: out->f.push_back(fp8ToDouble(static_cast<uint8_t>(v))); return;
        case kOnnxFloat8E4M3FNUZ:
            out->f.push_back(e4m3fnuzToDouble(static_cast<uint8_t>(v)));
            return;
        case kOnnxFloat8E5M2:
            out->f.push_back(e5m2ToDouble(static_cast<uint8_t>(v)));
            return;
        case kOnnxFloat8E5M2FNUZ:
            out->f.push_back(e5m2fnuzToDouble(static_cast<uint8_t>(v)));
            return;
        case kOnnxFloat8E8M0:
            out->f.push_back(e8m0ToDouble(static_cast<uint8_t>(v)));
            return;
        case kOnnxBool: out->i.push_back(v != 0); return;
        default: out->i.push_back(v); return;
    }
}

}  // namespace

std::string onnxTypeName(int32_t t) {
    static const char* const kNames[] = {
        "UNDEFINED",      "FLOAT",    "UINT8",        "INT8",           "UINT16",
        "INT16",          "INT32",    "INT64",        "STRING",         "BOOL",
        "FLOAT16",        "DOUBLE",   "UINT32",       "UINT64",         "COMPLEX64",
        "COMPLEX128",     "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
        "FLOAT8E5M2FNUZ", "UINT4",    "INT4",         "FLOAT4E2M1",     "FLOAT8E8M0",
        "UINT2",          "INT2"};
    if (t >= 0 && t < static_cast<int32_t>(std::size(kNames))) return kNames[t];
    return "type " + std::to_string(t);
}

int64_t HostArray::volume() const {
    int64_t v = 1;
    for (int64_t d : dims) v *= d;
    return v;
}

std::string dimsText(const std::vector<int64_t>& dims) {
    std::string s = "[";
    for (size_t k = 0; k < dims.size(); ++k) s += (k ? "," : "") + std::to_string(dims[k]);
    return s + "]";
}

std::string dimsText(const Dims& dims) {
    if (dims.nbDims < 0) return "(unknown)";
    return dimsText(std::vector<int64_t>(dims.d, dims.d + dims.nbDims));
}

bool readTensorFile(const std::string& path, HostArray* out, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = "cannot open " + path;
        return false;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    kiln::onnx::TensorProto proto;
    if (!proto.ParseFromString(bytes)) {
        *error = path + " is not a serialized TensorProto";
        return false;
    }
    *out = HostArray{};
    out->name = proto.name();
    out->onnxType = proto.data_type();
    out->dims.assign(proto.dims().begin(), proto.dims().end());
    out->isFloat = isFloatOnnx(out->onnxType);
    const int64_t count = out->volume();
    const int32_t t = out->onnxType;
    if (proto.data_location() == kiln::onnx::TensorProto::EXTERNAL) {
        *error = path + ": external data in a test data file is not supported by the runner";
        return false;
    }
    if (const int bits = packedBits(t)) {
        // Packed in raw_data, or one byte of packed elements per int32_data entry.
        std::vector<uint8_t> packed;
        if (proto.has_raw_data())
            packed.assign(proto.raw_data().begin(), proto.raw_data().end());
        else
            for (int32_t v : proto.int32_data()) packed.push_back(static_cast<uint8_t>(v));
        const int64_t need = (count * bits + 7) / 8;
        if (static_cast<int64_t>(packed.size()) != need) {
            *error = path + ": " + std::to_string(packed.size()) + " bytes of packed " + onnxTypeName(t) +
                     " for " + dimsText(out->dims) + ", expected " + std::to_string(need);
            return false;
        }
        for (int64_t k = 0; k < count; ++k) appendPacked(unpack(packed.data(), k, bits), t, out);
        return true;
    }
    if (rawSize(t) == 0) {
        *error = path + ": the runner cannot hold ONNX type " + onnxTypeName(t) + " values";
        return false;
    }
    if (proto.has_raw_data()) {
        const std::string& raw = proto.raw_data();
        if (static_cast<int64_t>(raw.size()) != count * rawSize(t)) {
            *error = path + ": raw_data has " + std::to_string(raw.size()) + " bytes; " + dimsText(out->dims) + " " +
                     onnxTypeName(t) + " needs " + std::to_string(count * rawSize(t));
            return false;
        }
        for (int64_t k = 0; k < count; ++k) appendRaw(raw.data() + k * rawSize(t), t, out);
    } else if (t == kOnnxFloat) {
        for (float v : proto.float_data()) out->f.push_back(v);
    } else if (t == kOnnxDouble) {
        for (double v : proto.double_data()) out->f.push_back(v);
    } else if (t == kOnnxInt64) {
        for (int64_t v : proto.int64_data()) out->i.push_back(v);
    } else if (t == kOnnxUint32 || t == kOnnxUint64) {
        for (uint64_t v : proto.uint64_data()) out->i.push_back(static_cast<int64_t>(v));
    } else {
        for (int32_t v : proto.int32_data()) appendInt32Field(v, t, out);
    }
    const int64_t got = static_cast<int64_t>(out->isFloat ? out->f.size() : out->i.size());
    if (got != count) {
        *error = path + ": " + std::to_string(got) + " values for shape " + dimsText(out->dims) + " (" +
                 std::to_string(count) + " elements)";
        return false;
    }
    return true;
}

bool kilnTypeFor(int32_t onnxType, DataType* out) {
    switch (onnxType) {
        case kOnnxFloat: case kOnnxDouble: *out = DataType::kFLOAT; return true;
        case kOnnxFloat16: *out = DataType::kHALF; return true;
        case kOnnxBfloat16: *out = DataType::kBF16; return true;
        case kOnnxFloat8E4M3FN: *out = DataType::kFP8; return true;
        case kOnnxFloat8E4M3FNUZ:
            *out = DataType::kFP8_E4M3FNUZ;
            return true;
        case kOnnxFloat8E5M2:
            *out = DataType::kFP8_E5M2;
            return true;
        case kOnnxFloat8E5M2FNUZ:
            *out = DataType::kFP8_E5M2FNUZ;
            return true;
        case kOnnxFloat8E8M0:
            *out = DataType::kE8M0;
            return true;
        case kOnnxFloat4E2M1:
            *out = DataType::kFP4;
            return true;
        case kOnnxInt4:
            *out = DataType::kINT4;
            return true;
        case kOnnxUint4:
            *out = DataType::kUINT4;
            return true;
        case kOnnxInt2:
            *out = DataType::kINT2;
            return true;
        case kOnnxUint2:
            *out = DataType::kUINT2;
            return true;
        case kOnnxInt8: *out = DataType::kINT8; return true;
        case kOnnxUint8: *out = DataType::kUINT8; return true;
        case kOnnxBool: *out = DataType::kBOOL; return true;
        case kOnnxInt16: case kOnnxUint16: case kOnnxInt32: *out = DataType::kINT32; return true;
        case kOnnxUint32: case kOnnxUint64: case kOnnxInt64: *out = DataType::kINT64; return true;
        default: return false;
    }
}

bool encodeValues(const HostArray& values, DataType type, std::vector<uint8_t>* bytes, std::string* error) {
    const int64_t count = values.volume();
    bytes->assign(static_cast<size_t>(storageBytes(type, count)), 0);
    uint8_t* p = bytes->data();
    for (int64_t k = 0; k < count; ++k) {
        const double v = values.at(k);
        const bool isInteger =
            type == DataType::kINT8 || type == DataType::kUINT8 || type == DataType::kINT32 ||
            type == DataType::kINT64 || type == DataType::kBOOL || type == DataType::kINT4 ||
            type == DataType::kUINT4 || type == DataType::kINT2 || type == DataType::kUINT2;
        if (isInteger && values.isFloat && v != std::trunc(v)) {
            *error = "input '" + values.name + "' holds " + onnxTypeName(values.onnxType) + " value " +
                     std::to_string(v) + " but the engine input is " + dataTypeName(type);
            return false;
        }
        const int64_t iv = values.isFloat ? static_cast<int64_t>(v) : values.i[static_cast<size_t>(k)];
        auto packInt = [&](int bits, int64_t lo, int64_t hi) {
            if (iv < lo || iv > hi) {
                *error = "input '" + values.name + "' holds " + std::to_string(iv) + ", outside " +
                         dataTypeName(type) + "'s range " + std::to_string(lo) + ".." + std::to_string(hi);
                return false;
            }
            pack(p, k, bits, static_cast<uint8_t>(iv));
            return true;
        };
        switch (type) {
            case DataType::kFLOAT: reinterpret_cast<float*>(p)[k] = static_cast<float>(v); break;
            case DataType::kHALF: reinterpret_cast<uint16_t*>(p)[k] = floatToHalf(static_cast<float>(v)); break;
            case DataType::kBF16: reinterpret_cast<uint16_t*>(p)[k] = floatToBf16(static_cast<float>(v)); break;
            case DataType::kFP8: p[k] = doubleToFp8(v); break;
            case DataType::kFP8_E5M2:
                p[k] = encodeBySearch(v, 256, e5m2ToDouble);
                break;
            case DataType::kFP8_E4M3FNUZ:
                p[k] = encodeBySearch(v, 256, e4m3fnuzToDouble);
                break;
            case DataType::kFP8_E5M2FNUZ:
                p[k] = encodeBySearch(v, 256, e5m2fnuzToDouble);
                break;
            case DataType::kE8M0:
                p[k] = encodeBySearch(v, 256, e8m0ToDouble);
                break;
            case DataType::kFP4:
                pack(p, k, 4, encodeBySearch(v, 16, fp4ToDouble));
                break;
            case DataType::kINT8: reinterpret_cast<int8_t*>(p)[k] = static_cast<int8_t>(iv); break;
            case DataType::kUINT8: p[k] = static_cast<uint8_t>(iv); break;
            case DataType::kBOOL: p[k] = iv != 0; break;
            case DataType::kINT32: reinterpret_cast<int32_t*>(p)[k] = static_cast<int32_t>(iv); break;
            case DataType::kINT64: reinterpret_cast<int64_t*>(p)[k] = iv; break;
            case DataType::kINT4:
                if (!packInt(4, -8, 7)) return false;
                break;
            case DataType::kUINT4:
                if (!packInt(4, 0, 15)) return false;
                break;
            case DataType::kINT2:
                if (!packInt(2, -2, 1)) return false;
                break;
            case DataType::kUINT2:
                if (!packInt(2, 0, 3)) return false;
                break;
        }
    }
    return true;
}

void decodeValues(const void* data, DataType type, int64_t count, HostArray* out) {
    const auto* p = static_cast<const uint8_t*>(data);
    out->f.clear();
    out->i.clear();
    out->isFloat = type == DataType::kFLOAT || type == DataType::kHALF || type == DataType::kBF16 ||
                   type == DataType::kFP8 || type == DataType::kFP8_E5M2 || type == DataType::kFP8_E4M3FNUZ ||
                   type == DataType::kFP8_E5M2FNUZ || type == DataType::kE8M0 || type == DataType::kFP4;
    for (int64_t k = 0; k < count; ++k) {
        switch (type) {
            case DataType::kFLOAT: out->f.push_back(reinterpret_cast<const float*>(p)[k]); break;
            case DataType::kHALF: out->f.push_back(halfToDouble(reinterpret_cast<const uint16_t*>(p)[k])); break;
            case DataType::kBF16: out->f.push_back(bf16ToDouble(reinterpret_cast<const uint16_t*>(p)[k])); break;
            case DataType::kFP8: out->f.push_back(fp8ToDouble(p[k])); break;
            case DataType::kFP8_E5M2:
                out->f.push_back(e5m2ToDouble(p[k]));
                break;
            case DataType::kFP8_E4M3FNUZ:
                out->f.push_back(e4m3fnuzToDouble(p[k]));
                break;
            case DataType::kFP8_E5M2FNUZ:
                out->f.push_back(e5m2fnuzToDouble(p[k]));
                break;
            case DataType::kE8M0:
                out->f.push_back(e8m0ToDouble(p[k]));
                break;
            case DataType::kFP4:
                appendPacked(unpack(p, k, 4), kOnnxFloat4E2M1, out);
                break;
            case DataType::kINT8: out->i.push_back(reinterpret_cast<const int8_t*>(p)[k]); break;
            case DataType::kUINT8: out->i.push_back(p[k]); break;
            case DataType::kBOOL: out->i.push_back(p[k]); break;
            case DataType::kINT32: out->i.push_back(reinterpret_cast<const int32_t*>(p)[k]); break;
            case DataType::kINT64: out->i.push_back(reinterpret_cast<const int64_t*>(p)[k]); break;
            case DataType::kINT4:
                appendPacked(unpack(p, k, 4), kOnnxInt4, out);
                break;
            case DataType::kUINT4:
                appendPacked(unpack(p, k, 4), kOnnxUint4, out);
                break;
            case DataType::kINT2:
                appendPacked(unpack(p, k, 2), kOnnxInt2, out);
                break;
            case DataType::kUINT2:
                appendPacked(unpack(p, k, 2), kOnnxUint2, out);
                break;
        }
    }
}

namespace {

std::string fmt(double v) {
    std::ostringstream s;
    s.precision(9);
    s << v;
    return s.str();
}

// Integer and bool outputs: exact.
Comparison compareExact(const HostArray& got, const HostArray& want) {
    int64_t bad = 0, first = -1;
    for (int64_t k = 0; k < want.volume(); ++k)
        if (got.i[static_cast<size_t>(k)] != want.i[static_cast<size_t>(k)] && bad++ == 0) first = k;
    Comparison c;
    c.ok = bad == 0;
    if (!c.ok)
        c.detail = std::to_string(bad) + " of " + std::to_string(want.volume()) + " elements differ; first at " +
                   std::to_string(first) + ": got " + std::to_string(got.i[static_cast<size_t>(first)]) + ", expected " +
                   std::to_string(want.i[static_cast<size_t>(first)]);
    return c;
}

}  // namespace

Comparison compareAllClose(const HostArray& got, const HostArray& want, double rtol, double atol) {
    if (!want.isFloat && !got.isFloat) return compareExact(got, want);
    int64_t bad = 0, worst = -1;
    double worstExcess = -1, maxAbs = 0;
    for (int64_t k = 0; k < want.volume(); ++k) {
        const double g = got.at(k), w = want.at(k);
        bool ok;
        double excess;
        if (std::isnan(w) || std::isnan(g)) {
            ok = std::isnan(w) && std::isnan(g);
            excess = ok ? 0 : INFINITY;
        } else if (std::isinf(w) || std::isinf(g)) {
            ok = g == w;
            excess = ok ? 0 : INFINITY;
        } else {
            const double diff = std::fabs(g - w);
            maxAbs = std::max(maxAbs, diff);
            excess = diff - (atol + rtol * std::fabs(w));
            ok = excess <= 0;
        }
        if (!ok) {
            ++bad;
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = k;
            }
        }
    }
    Comparison c;
    c.ok = bad == 0;
    if (!c.ok)
        c.detail = std::to_string(bad) + " of " + std::to_string(want.volume()) + " elements outside rtol " + fmt(rtol) +
                   " atol " + fmt(atol) + "; worst at " + std::to_string(worst) + ": got " + fmt(got.at(worst)) +
                   ", expected " + fmt(want.at(worst)) + "; max abs error " + fmt(maxAbs);
    return c;
}

Comparison compareRelL2(const HostArray& got, const HostArray& want, double maxRelL2) {
    if (!want.isFloat && !got.isFloat) return compareExact(got, want);
    double diff2 = 0, want2 = 0, maxAbs = 0;
    int64_t nonFinite = 0;
    for (int64_t k = 0; k < want.volume(); ++k) {
        const double g = got.at(k), w = want.at(k);
        if (!std::isfinite(g) || !std::isfinite(w)) {
            ++nonFinite;
            continue;
        }
        diff2 += (g - w) * (g - w);
        want2 += w * w;
        maxAbs = std::max(maxAbs, std::fabs(g - w));
    }
    const double rel = want2 > 0 ? std::sqrt(diff2 / want2) : std::sqrt(diff2);
    Comparison c;
    c.ok = nonFinite == 0 && rel < maxRelL2;
    c.detail = "relative L2 error " + fmt(rel) + " (limit " + fmt(maxRelL2) + "), max abs error " + fmt(maxAbs) +
               (nonFinite ? ", " + std::to_string(nonFinite) + " NaN/inf elements" : "");
    return c;
}

}  // namespace kiln::conformance
