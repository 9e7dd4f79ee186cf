// TensorRef: a typed, shaped view of contiguous row-major host memory, the currency of CPU kernels.
// Elements of any DataType can be read as double or int64 and written from them (loadAsDouble /
// storeFromDouble), which lets reference kernels support every dtype with one code path. Packed sub-byte
// elements are addressed by element index like the others; a store rewrites the element's byte, so two
// threads must never store into the same byte (split work with elementsPerByte).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "common/dims.h"
#include "common/float_types.h"
#include "common/storage_types.h"
#include "kiln/types.h"

namespace kiln {

struct TensorRef {
    DataType type{DataType::kFLOAT};
    Dims shape{};
    void* data{nullptr};

    bool present() const { return data != nullptr || (shape.nbDims >= 0 && volume(shape) == 0); }
    int64_t numel() const { return volume(shape); }
    int64_t bytes() const { return storageBytes(type, numel()); }
    template <typename T>
    T* as() const { return static_cast<T*>(data); }
};

/// Every float format: the compute types and the 8- and 4-bit storage formats.
inline bool isFloatType(DataType t) {
    switch (t) {
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kFP4:
        case DataType::kE8M0:
            return true;
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
            return false;
    }
    return false;
}

/// Every integer type (bool excluded), the packed ones included.
inline bool isIntegerType(DataType t) {
    switch (t) {
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
            return true;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kFP4:
        case DataType::kE8M0:
        case DataType::kBOOL:
            return false;
    }
    return false;
}

/// Whether `t` is one of DataType's declared values (a plan or a caller may hold any int32).
inline bool isValidDataType(DataType t) {
    switch (t) {
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kINT8:
        case DataType::kINT32:
        case DataType::kBOOL:
        case DataType::kUINT8:
        case DataType::kFP8:
        case DataType::kBF16:
        case DataType::kINT64:
        case DataType::kINT4:
        case DataType::kFP4:
        case DataType::kE8M0:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
            return true;
    }
    return false;
}

/// Types Kiln stores and converts but does not compute with (see DataType in kiln/types.h): only Cast,
/// Identity, Constant, Quantize (output), Dequantize (input) and network I/O take them.
inline bool isStorageOnlyType(DataType t) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:
            return true;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
            return false;
    }
    return false;
}

/// Packed sub-byte types: several elements share a byte.
inline bool isPackedType(DataType t) { return dataTypeBits(t) < 8; }

/// Elements per byte of a packed type (1 for the others): kernels that write a packed output split their
/// work on multiples of it, so that no two threads write the same byte.
inline int64_t elementsPerByte(DataType t) { return isPackedType(t) ? 8 / dataTypeBits(t) : 1; }

/// Range of an integer type (bool: 0..1); all of int64 for int64 and for the float types.
inline void integerRange(DataType t, int64_t* lo, int64_t* hi) {
    switch (t) {
        case DataType::kINT8: *lo = -128; *hi = 127; return;
        case DataType::kUINT8: *lo = 0; *hi = 255; return;
        case DataType::kINT4: *lo = -8; *hi = 7; return;
        case DataType::kUINT4: *lo = 0; *hi = 15; return;
        case DataType::kINT2: *lo = -2; *hi = 1; return;
        case DataType::kUINT2: *lo = 0; *hi = 3; return;
        case DataType::kBOOL: *lo = 0; *hi = 1; return;
        case DataType::kINT32:
            *lo = std::numeric_limits<int32_t>::min();
            *hi = std::numeric_limits<int32_t>::max();
            return;
        case DataType::kINT64:
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kFP4:
        case DataType::kE8M0:
            break;
    }
    *lo = std::numeric_limits<int64_t>::min();
    *hi = std::numeric_limits<int64_t>::max();
}

/// The `bits`-wide field of element i in a packed buffer (element 0 in the lowest bits of byte 0).
inline uint32_t loadPackedBits(const void* data, int64_t i, int bits) {
    const int64_t perByte = 8 / bits;
    const uint8_t byte = static_cast<const uint8_t*>(data)[i / perByte];
    return (byte >> static_cast<int>((i % perByte) * bits)) & ((1u << bits) - 1);
}

/// Replaces element i's field, keeping the other elements of its byte (a read-modify-write of that byte).
inline void storePackedBits(void* data, int64_t i, int bits, uint32_t v) {
    const int64_t perByte = 8 / bits;
    const int shift = static_cast<int>((i % perByte) * bits);
    const auto mask = static_cast<uint8_t>(((1u << bits) - 1) << shift);
    uint8_t& byte = static_cast<uint8_t*>(data)[i / perByte];
    byte = static_cast<uint8_t>((byte & ~mask) | ((v << shift) & mask));
}

/// Two's complement value of a `bits`-wide field.
inline int64_t signExtendBits(uint32_t v, int bits) {
    const int64_t u = static_cast<int64_t>(v);
    return (v & (1u << (bits - 1))) ? u - (int64_t{1} << bits) : u;
}

/// Reads element i of a buffer of `type` as double.
inline double loadAsDouble(DataType type, const void* data, int64_t i) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    switch (type) {
        case DataType::kFLOAT: return static_cast<const float*>(data)[i];
        case DataType::kHALF: return halfToFloat(static_cast<const uint16_t*>(data)[i]);
        case DataType::kBF16: return bf16ToFloat(static_cast<const uint16_t*>(data)[i]);
        case DataType::kFP8: return decodeMiniFloat(kFormatE4M3FN, bytes[i]);
        case DataType::kFP8_E5M2: return decodeMiniFloat(kFormatE5M2, bytes[i]);
        case DataType::kFP8_E4M3FNUZ: return decodeMiniFloat(kFormatE4M3FNUZ, bytes[i]);
        case DataType::kFP8_E5M2FNUZ: return decodeMiniFloat(kFormatE5M2FNUZ, bytes[i]);
        case DataType::kE8M0: return decodeE8M0(bytes[i]);
        case DataType::kFP4: return decodeMiniFloat(kFormatE2M1, loadPackedBits(data, i, 4));
        case DataType::kINT8: return static_cast<const int8_t*>(data)[i];
        case DataType::kUINT8: return bytes[i];
        case DataType::kBOOL: return bytes[i] != 0 ? 1.0 : 0.0;
        case DataType::kINT32: return static_cast<const int32_t*>(data)[i];
        case DataType::kINT64: return static_cast<double>(static_cast<const int64_t*>(data)[i]);
        case DataType::kINT4: return static_cast<double>(signExtendBits(loadPackedBits(data, i, 4), 4));
        case DataType::kUINT4: return loadPackedBits(data, i, 4);
        case DataType::kINT2: return static_cast<double>(signExtendBits(loadPackedBits(data, i, 2), 2));
        case DataType::kUINT2: return loadPackedBits(data, i, 2);
    }
    return 0.0;
}

/// Converts a double to an integer type: truncation toward zero, saturation at the type's range, NaN to 0
/// (a plain static_cast is undefined behaviour out of range).
template <typename T>
inline T saturatingCast(double v) {
    if (std::isnan(v)) return 0;
    constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
    constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
    if (v <= lo) return std::numeric_limits<T>::min();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
}

/// Reads element i as int64 (floats truncate toward zero, saturating; NaN gives 0).
inline int64_t loadAsInt64(DataType type, const void* data, int64_t i) {
    switch (type) {
        case DataType::kINT32: return static_cast<const int32_t*>(data)[i];
        case DataType::kINT64: return static_cast<const int64_t*>(data)[i];
        case DataType::kINT8: return static_cast<const int8_t*>(data)[i];
        case DataType::kUINT8: return static_cast<const uint8_t*>(data)[i];
        case DataType::kBOOL: return static_cast<const uint8_t*>(data)[i] != 0;
        case DataType::kINT4: return signExtendBits(loadPackedBits(data, i, 4), 4);
        case DataType::kUINT4: return loadPackedBits(data, i, 4);
        case DataType::kINT2: return signExtendBits(loadPackedBits(data, i, 2), 2);
        case DataType::kUINT2: return loadPackedBits(data, i, 2);
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kFP4:
        case DataType::kE8M0: return saturatingCast<int64_t>(loadAsDouble(type, data, i));
    }
    return 0;
}

/// How a double is written into the 8-bit float formats (ONNX Cast's saturate and round_mode).
struct FloatStoreMode {
    bool saturate{true};
    CastRoundMode e8m0{CastRoundMode::kUP};
};

/// Writes `v` to element i, converting to `type`: narrow floats are rounded once, correctly (half and
/// bfloat16 through a round-to-odd float, the 8- and 4-bit formats directly from the double) and out of
/// range as `mode` says; integers truncate toward zero and saturate, packed ones included; bool is v != 0.
inline void storeFromDouble(DataType type, void* data, int64_t i, double v, FloatStoreMode mode = {}) {
    auto* bytes = static_cast<uint8_t*>(data);
    auto packedInt = [&](int bits) {
        int64_t lo = 0, hi = 0;
        integerRange(type, &lo, &hi);
        const double t = std::isnan(v) ? 0.0 : std::trunc(v);
        const int64_t c = t <= static_cast<double>(lo)   ? lo
                          : t >= static_cast<double>(hi) ? hi
                                                         : static_cast<int64_t>(t);
        storePackedBits(data, i, bits, static_cast<uint32_t>(c));
    };
    switch (type) {
        case DataType::kFLOAT: static_cast<float*>(data)[i] = static_cast<float>(v); return;
        case DataType::kHALF: static_cast<uint16_t*>(data)[i] = floatToHalf(roundToOddFloat(v)); return;
        case DataType::kBF16: static_cast<uint16_t*>(data)[i] = floatToBf16(roundToOddFloat(v)); return;
        case DataType::kFP8:
            bytes[i] = static_cast<uint8_t>(encodeMiniFloat(kFormatE4M3FN, v, mode.saturate));
            return;
        case DataType::kFP8_E5M2:
            bytes[i] = static_cast<uint8_t>(encodeMiniFloat(kFormatE5M2, v, mode.saturate));
            return;
        case DataType::kFP8_E4M3FNUZ:
            bytes[i] = static_cast<uint8_t>(encodeMiniFloat(kFormatE4M3FNUZ, v, mode.saturate));
            return;
        case DataType::kFP8_E5M2FNUZ:
            bytes[i] = static_cast<uint8_t>(encodeMiniFloat(kFormatE5M2FNUZ, v, mode.saturate));
            return;
        case DataType::kE8M0: bytes[i] = encodeE8M0(v, mode.saturate, mode.e8m0); return;
        case DataType::kFP4: storePackedBits(data, i, 4, encodeMiniFloat(kFormatE2M1, v, true)); return;
        case DataType::kINT8: static_cast<int8_t*>(data)[i] = saturatingCast<int8_t>(v); return;
        case DataType::kUINT8: bytes[i] = saturatingCast<uint8_t>(v); return;
        case DataType::kBOOL: bytes[i] = v != 0.0 ? 1 : 0; return;
        case DataType::kINT32: static_cast<int32_t*>(data)[i] = saturatingCast<int32_t>(v); return;
        case DataType::kINT64: static_cast<int64_t*>(data)[i] = saturatingCast<int64_t>(v); return;
        case DataType::kINT4:
        case DataType::kUINT4: packedInt(4); return;
        case DataType::kINT2:
        case DataType::kUINT2: packedInt(2); return;
    }
}

/// Writes an integer to element i: integer targets keep its low bits (two's complement wrap-around, as a
/// C++ conversion), float targets round it, bool is v != 0.
inline void storeFromInt64(DataType type, void* data, int64_t i, int64_t v) {
    switch (type) {
        case DataType::kINT32: static_cast<int32_t*>(data)[i] = static_cast<int32_t>(v); return;
        case DataType::kINT64: static_cast<int64_t*>(data)[i] = v; return;
        case DataType::kINT8: static_cast<int8_t*>(data)[i] = static_cast<int8_t>(v); return;
        case DataType::kUINT8: static_cast<uint8_t*>(data)[i] = static_cast<uint8_t>(v); return;
        case DataType::kBOOL: static_cast<uint8_t*>(data)[i] = v != 0; return;
        case DataType::kINT4:
        case DataType::kUINT4: storePackedBits(data, i, 4, static_cast<uint32_t>(v & 0xf)); return;
        case DataType::kINT2:
        case DataType::kUINT2: storePackedBits(data, i, 2, static_cast<uint32_t>(v & 0x3)); return;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kFP4:
        case DataType::kE8M0: storeFromDouble(type, data, i, static_cast<double>(v)); return;
    }
}

}  // namespace kiln
