/// @file types.h
/// Basic value types shared by the whole public API: data types, dimensions, weights, severities.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln {

/// Element type of a tensor. Values match TensorRT's `nvinfer1::DataType`.
enum class DataType : int32_t {
    kFLOAT = 0,  ///< 32-bit IEEE float
    kHALF = 1,   ///< 16-bit IEEE float
    kINT8 = 2,   ///< signed 8-bit integer
    kINT32 = 3,  ///< signed 32-bit integer
    kBOOL = 4,   ///< 8-bit boolean (0 or 1)
    kUINT8 = 5,  ///< unsigned 8-bit integer
    kFP8 = 6,    ///< 8-bit float, E4M3 (finite-only, as in OCP FP8 e4m3fn)
    kBF16 = 7,   ///< bfloat16
    kINT64 = 8,  ///< signed 64-bit integer
};

/// Number of DataType values.
constexpr int32_t kNB_DATA_TYPES = 9;

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

/// Size in bytes of one element of `type`.
constexpr int64_t dataTypeSize(DataType type) noexcept {
    switch (type) {
        case DataType::kFLOAT: return 4;
        case DataType::kHALF: return 2;
        case DataType::kINT8: return 1;
        case DataType::kINT32: return 4;
        case DataType::kBOOL: return 1;
        case DataType::kUINT8: return 1;
        case DataType::kFP8: return 1;
        case DataType::kBF16: return 2;
        case DataType::kINT64: return 8;
    }
    return 0;
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
