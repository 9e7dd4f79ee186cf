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
        // The names below are ml_dtypes', the numpy extension that ONNX's reference uses for these types.
        case DataType::kINT4:
            return "int4";
        case DataType::kFP4:
            return "float4_e2m1fn";
        case DataType::kE8M0:
            return "float8_e8m0fnu";
        case DataType::kFP8_E5M2:
            return "float8_e5m2";
        case DataType::kFP8_E4M3FNUZ:
            return "float8_e4m3fnuz";
        case DataType::kFP8_E5M2FNUZ:
            return "float8_e5m2fnuz";
        case DataType::kUINT4:
            return "uint4";
        case DataType::kINT2:
            return "int2";
        case DataType::kUINT2:
            return "uint2";
    }
    return "unknown";
}

int32_t getKilnVersion() noexcept {
    return kKILN_VERSION_MAJOR * 10000 + kKILN_VERSION_MINOR * 100 + kKILN_VERSION_PATCH;
}

}  // namespace kiln
