// Public helpers from include/kiln/types.h.
#include "kiln/types.h"

namespace kiln {

const char* dataTypeName(DataType type) noexcept {
    switch (type) {
        case DataType::kFLOAT: return "float32";
        case DataType::kHALF: return "float16";
        case DataType::kINT8: return "int8";
        case DataType::kINT32: return "int32";
        case DataType::kBOOL: return "bool";
        case DataType::kUINT8: return "uint8";
        case DataType::kFP8: return "float8_e4m3";
        case DataType::kBF16: return "bfloat16";
        case DataType::kINT64: return "int64";
    }
    return "unknown";
}

int32_t getKilnVersion() noexcept {
    return kKILN_VERSION_MAJOR * 10000 + kKILN_VERSION_MINOR * 100 + kKILN_VERSION_PATCH;
}

}  // namespace kiln
