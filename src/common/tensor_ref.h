// TensorRef: a typed, shaped view of contiguous row-major host memory, the currency of CPU kernels.
// Elements of any DataType can be read as double or int64 and written from them (loadAsDouble /
// storeFromDouble), which lets reference kernels support every dtype with one code path.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "common/dims.h"
#include "common/float_types.h"
#include "kiln/types.h"

namespace kiln {

struct TensorRef {
    DataType type{DataType::kFLOAT};
    Dims shape{};
    void* data{nullptr};

    bool present() const { return data != nullptr || (shape.nbDims >= 0 && volume(shape) == 0); }
    int64_t numel() const { return volume(shape); }
    int64_t bytes() const { return numel() * dataTypeSize(type); }
    template <typename T>
    T* as() const { return static_cast<T*>(data); }
};

inline bool isFloatType(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16 || t == DataType::kFP8;
}
inline bool isIntegerType(DataType t) {
    return t == DataType::kINT8 || t == DataType::kUINT8 || t == DataType::kINT32 || t == DataType::kINT64;
}

/// Reads element i of a buffer of `type` as double.
inline double loadAsDouble(DataType type, const void* data, int64_t i) {
    switch (type) {
        case DataType::kFLOAT: return static_cast<const float*>(data)[i];
        case DataType::kHALF: return halfToFloat(static_cast<const uint16_t*>(data)[i]);
        case DataType::kBF16: return bf16ToFloat(static_cast<const uint16_t*>(data)[i]);
        case DataType::kFP8: return fp8e4m3ToFloat(static_cast<const uint8_t*>(data)[i]);
        case DataType::kINT8: return static_cast<const int8_t*>(data)[i];
        case DataType::kUINT8: return static_cast<const uint8_t*>(data)[i];
        case DataType::kBOOL: return static_cast<const uint8_t*>(data)[i] != 0 ? 1.0 : 0.0;
        case DataType::kINT32: return static_cast<const int32_t*>(data)[i];
        case DataType::kINT64: return static_cast<double>(static_cast<const int64_t*>(data)[i]);
    }
    return 0.0;
}

/// Reads element i as int64 (floats truncate toward zero).
inline int64_t loadAsInt64(DataType type, const void* data, int64_t i) {
    switch (type) {
        case DataType::kINT32: return static_cast<const int32_t*>(data)[i];
        case DataType::kINT64: return static_cast<const int64_t*>(data)[i];
        case DataType::kINT8: return static_cast<const int8_t*>(data)[i];
        case DataType::kUINT8: return static_cast<const uint8_t*>(data)[i];
        case DataType::kBOOL: return static_cast<const uint8_t*>(data)[i] != 0;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8: return static_cast<int64_t>(loadAsDouble(type, data, i));
    }
    return 0;
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

/// Writes `v` to element i, converting to `type`: narrow floats are rounded once, correctly (through a
/// round-to-odd float); integers truncate toward zero and saturate; bool is v != 0.
inline void storeFromDouble(DataType type, void* data, int64_t i, double v) {
    switch (type) {
        case DataType::kFLOAT: static_cast<float*>(data)[i] = static_cast<float>(v); return;
        case DataType::kHALF: static_cast<uint16_t*>(data)[i] = floatToHalf(roundToOddFloat(v)); return;
        case DataType::kBF16: static_cast<uint16_t*>(data)[i] = floatToBf16(roundToOddFloat(v)); return;
        case DataType::kFP8: static_cast<uint8_t*>(data)[i] = floatToFp8e4m3(roundToOddFloat(v)); return;
        case DataType::kINT8: static_cast<int8_t*>(data)[i] = saturatingCast<int8_t>(v); return;
        case DataType::kUINT8: static_cast<uint8_t*>(data)[i] = saturatingCast<uint8_t>(v); return;
        case DataType::kBOOL: static_cast<uint8_t*>(data)[i] = v != 0.0 ? 1 : 0; return;
        case DataType::kINT32: static_cast<int32_t*>(data)[i] = saturatingCast<int32_t>(v); return;
        case DataType::kINT64: static_cast<int64_t*>(data)[i] = saturatingCast<int64_t>(v); return;
    }
}

inline void storeFromInt64(DataType type, void* data, int64_t i, int64_t v) {
    switch (type) {
        case DataType::kINT32: static_cast<int32_t*>(data)[i] = static_cast<int32_t>(v); return;
        case DataType::kINT64: static_cast<int64_t*>(data)[i] = v; return;
        case DataType::kINT8: static_cast<int8_t*>(data)[i] = static_cast<int8_t>(v); return;
        case DataType::kUINT8: static_cast<uint8_t*>(data)[i] = static_cast<uint8_t>(v); return;
        case DataType::kBOOL: static_cast<uint8_t*>(data)[i] = v != 0; return;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8: storeFromDouble(type, data, i, static_cast<double>(v)); return;
    }
}

}  // namespace kiln
