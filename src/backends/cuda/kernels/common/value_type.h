// The storage types the reduce-family CUDA kernels dispatch on (ValueType), shared by their host code and
// device code, and the host-side mapping from Kiln's DataType. A separate enum rather than DataType so
// that a DataType without kernels (a new or packed one) is refused once, here, with a message.
#pragma once

#include <cstdint>

#include "kiln/types.h"
#include "common/storage_types.h"

namespace kiln::cuda::rk {

enum class ValueType : int32_t { kF32, kF16, kBF16, kFP8, kI8, kU8, kBOOL, kI32, kI64 };

/// Maps a DataType to its ValueType; false when the kernels cannot hold it.
inline bool toValueType(DataType t, ValueType* out) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kFLOAT:
            *out = ValueType::kF32;
            return true;
        case DataType::kHALF:
            *out = ValueType::kF16;
            return true;
        case DataType::kBF16:
            *out = ValueType::kBF16;
            return true;
        case DataType::kFP8:
            *out = ValueType::kFP8;
            return true;
        case DataType::kINT8:
            *out = ValueType::kI8;
            return true;
        case DataType::kUINT8:
            *out = ValueType::kU8;
            return true;
        case DataType::kBOOL:
            *out = ValueType::kBOOL;
            return true;
        case DataType::kINT32:
            *out = ValueType::kI32;
            return true;
        case DataType::kINT64:
            *out = ValueType::kI64;
            return true;
    }
    return false;
}

}  // namespace kiln::cuda::rk
