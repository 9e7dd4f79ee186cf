/// @file types.h
/// Basic value types shared by the whole public API: data types, dimensions, weights, severities.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln {

/// Element type of a tensor. Values match TensorRT's `nvinfer1::DataType` where TensorRT has the type
/// (0..11); the values from 12 on are Kiln extensions that TensorRT does not have, numbered after
/// TensorRT's so that a TensorRT value never changes meaning.
///
/// The sub-byte types (kINT4, kUINT4, kFP4, kINT2, kUINT2) are stored packed, as in ONNX and TensorRT:
/// two 4-bit or four 2-bit elements per byte, the first element in the lowest bits, the last byte padded
/// with zero bits. A buffer of N such elements holds storageBytes(type, N) bytes, not N * dataTypeSize.
///
/// The types marked "storage" below are accepted by Cast, Identity, Constant, Quantize (as its output),
/// Dequantize (as its input) and as network inputs and outputs; any other layer given one fails at
/// shape inference with a message saying so (cast to a compute type first).
enum class DataType : int32_t {
    kFLOAT = 0,  ///< 32-bit IEEE float
    kHALF = 1,   ///< 16-bit IEEE float
    kINT8 = 2,   ///< signed 8-bit integer
    kINT32 = 3,  ///< signed 32-bit integer
    kBOOL = 4,   ///< 8-bit boolean (0 or 1)
    kUINT8 = 5,  ///< unsigned 8-bit integer
    kFP8 = 6,    ///< 8-bit float, E4M3 (finite-only, as in OCP FP8 e4m3fn): max 448, NaN 0x7f/0xff
    kBF16 = 7,   ///< bfloat16
    kINT64 = 8,  ///< signed 64-bit integer
    kINT4 = 9,   ///< storage: signed 4-bit integer in [-8, 7], packed two per byte
    kFP4 = 10,   ///< storage: 4-bit float E2M1 (OCP MX): 0, 0.5, 1, 1.5, 2, 3, 4, 6 and sign; no inf, no NaN
    kE8M0 = 11,  ///< storage: exponent-only scale 2^(e-127) (OCP MX E8M0); 0xff is NaN; no zero, no sign
    /// Kiln only: 8-bit float E5M2 (OCP FP8 e5m2): IEEE-like with infinities, max 57344.
    kFP8_E5M2 = 12,
    /// Kiln only: 8-bit float E4M3, exponent bias 8, finite-only and unsigned zero: max 240, NaN 0x80 only.
    kFP8_E4M3FNUZ = 13,
    /// Kiln only: 8-bit float E5M2, exponent bias 16, finite-only and unsigned zero: max 57344, NaN 0x80.
    kFP8_E5M2FNUZ = 14,
    kUINT4 = 15,  ///< Kiln only, storage: unsigned 4-bit integer in [0, 15], packed two per byte
    kINT2 = 16,   ///< Kiln only, storage: signed 2-bit integer in [-2, 1], packed four per byte
    kUINT2 = 17,  ///< Kiln only, storage: unsigned 2-bit integer in [0, 3], packed four per byte
};

/// Number of DataType values.
constexpr int32_t kNB_DATA_TYPES = 18;

/// Maximum rank of a tensor.
constexpr int32_t kMAX_DIMS = 8;

/// A shape: up to kMAX_DIMS extents. -1 marks a dimension only known at run time.
class Dims64 {
public:
    static constexpr int32_t MAX_DIMS = kMAX_DIMS;
    int32_t nbDims{0};   ///< rank; -1 means "unknown rank" or "absent"
    int64_t d[MAX_DIMS]{};
};
using Dims = Dims64;

/// Convenience constructors mirroring TensorRT's Dims2/Dims3/Dims4.
class Dims2 : public Dims {
public:
    Dims2() = default;
    Dims2(int64_t d0, int64_t d1) { nbDims = 2; d[0] = d0; d[1] = d1; }
};
class Dims3 : public Dims {
public:
    Dims3() = default;
    Dims3(int64_t d0, int64_t d1, int64_t d2) { nbDims = 3; d[0] = d0; d[1] = d1; d[2] = d2; }
};
class Dims4 : public Dims {
public:
    Dims4() = default;
    Dims4(int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
        nbDims = 4; d[0] = d0; d[1] = d1; d[2] = d2; d[3] = d3;
    }
};
using DimsHW = Dims2;

/// Host memory the caller owns (weights handed to the network). The builder copies what it keeps.
/// `values` holds storageBytes(type, count) bytes (packed for the sub-byte types).
class Weights {
public:
    DataType type{DataType::kFLOAT};
    const void* values{nullptr};
    int64_t count{0};  ///< number of elements (not bytes)
};

/// Whether an I/O tensor is an input or an output of the engine.
enum class TensorIOMode : int32_t { kNONE = 0, kINPUT = 1, kOUTPUT = 2 };

/// Tensor memory location.
enum class TensorLocation : int32_t { kDEVICE = 0, kHOST = 1 };

/// Bits per element of `type`: 4 or 2 for the packed sub-byte types, 8 * the byte size otherwise.
constexpr int32_t dataTypeBits(DataType type) noexcept {
    switch (type) {
        case DataType::kFLOAT: return 32;
        case DataType::kHALF: return 16;
        case DataType::kINT8: return 8;
        case DataType::kINT32: return 32;
        case DataType::kBOOL: return 8;
        case DataType::kUINT8: return 8;
        case DataType::kFP8: return 8;
        case DataType::kBF16: return 16;
        case DataType::kINT64: return 64;
        case DataType::kINT4: return 4;
        case DataType::kFP4: return 4;
        case DataType::kE8M0: return 8;
        case DataType::kFP8_E5M2: return 8;
        case DataType::kFP8_E4M3FNUZ: return 8;
        case DataType::kFP8_E5M2FNUZ: return 8;
        case DataType::kUINT4: return 4;
        case DataType::kINT2: return 2;
        case DataType::kUINT2: return 2;
    }
    return 0;
}

/// Size in bytes of one element of `type`. The packed sub-byte types have no whole-byte element size and
/// give 0: size their buffers with storageBytes().
constexpr int64_t dataTypeSize(DataType type) noexcept {
    return dataTypeBits(type) % 8 == 0 ? dataTypeBits(type) / 8 : 0;
}

/// Bytes that `count` elements of `type` occupy: count * dataTypeSize(type), or for the packed sub-byte
/// types ceil(count * bits / 8). A negative count (an unknown volume) gives 0.
constexpr int64_t storageBytes(DataType type, int64_t count) noexcept {
    if (count <= 0) return 0;
    const int64_t bits = dataTypeBits(type);
    if (bits % 8 == 0) return count * (bits / 8);
    const int64_t perByte = 8 / bits;
    return count / perByte + (count % perByte != 0 ? 1 : 0);
}

/// Lower-case name ("float32", "float16", ...), matching numpy where numpy has the type.
const char* dataTypeName(DataType type) noexcept;

/// Kiln's version.
constexpr int32_t kKILN_VERSION_MAJOR = 0;
constexpr int32_t kKILN_VERSION_MINOR = 1;
constexpr int32_t kKILN_VERSION_PATCH = 0;
/// Version as one number: major * 10000 + minor * 100 + patch.
int32_t getKilnVersion() noexcept;

}  // namespace kiln
