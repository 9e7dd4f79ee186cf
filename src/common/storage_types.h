// The case labels of the storage-only data types (see isStorageOnlyType in common/tensor_ref.h), for the
// switches over DataType that name every value so the compiler finds a missing one: kernels that compute
// never see these types (inference refuses them outside Cast, Identity, Constant and Q/DQ), so such a
// switch sends them to its "unsupported" path in one line. Plain header: CUDA sources include it too.
#pragma once

#include "kiln/types.h"

#define KILN_STORAGE_ONLY_TYPE_CASES                                                                \
    case ::kiln::DataType::kINT4:                                                                  \
    case ::kiln::DataType::kUINT4:                                                                 \
    case ::kiln::DataType::kINT2:                                                                  \
    case ::kiln::DataType::kUINT2:                                                                 \
    case ::kiln::DataType::kFP4:                                                                   \
    case ::kiln::DataType::kE8M0:                                                                  \
    case ::kiln::DataType::kFP8_E5M2:                                                              \
    case ::kiln::DataType::kFP8_E4M3FNUZ:                                                          \
    case ::kiln::DataType::kFP8_E5M2FNUZ
