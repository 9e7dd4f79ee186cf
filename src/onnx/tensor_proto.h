// ONNX element types and TensorProto payloads: mapping ONNX's data types to Kiln's (with the conversions
// Kiln makes where it has no equal type: double -> float32, int16/uint16 -> int32, uint32/uint64 ->
// int64) and reading a TensorProto's values from raw_data, the typed fields or an external data file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "onnx/onnx_subset.pb.h"
#include "onnx/values.h"

namespace kiln::onnx {

/// "FLOAT16" style name of an ONNX data type number ("type 99" when unknown).
std::string onnxTypeName(int32_t onnxType);

/// The ONNX data type number Kiln's type corresponds to.
int32_t onnxTypeOf(DataType type);

/// Size in bytes of one element of an ONNX type in raw_data; 0 for types without a fixed byte size
/// (strings, 4-bit types) or unknown numbers.
int64_t onnxTypeSize(int32_t onnxType);

/// The Kiln type an ONNX type is imported as. `converted` is set when the values change representation
/// (double -> float32 loses precision; int16 -> int32 does not), so callers can warn. Types Kiln cannot
/// represent (strings, complex, float6) fail with kUNSUPPORTED_STATE.
StatusOr<DataType> kilnTypeOf(int32_t onnxType, bool* converted = nullptr);

/// Where a model's external data files are looked up.
struct ExternalDataContext {
    std::string modelDir;  ///< the directory of the .onnx file; empty when unknown
    bool modelDirKnown{false};
};

/// Reads a TensorProto's values (rank <= 8). Errors name the tensor and, for external data, the file.
/// `warnings` receives a line for each lossy conversion.
StatusOr<ConstValue> readTensorProto(const TensorProto& tensor, const ExternalDataContext& external,
                                     std::vector<std::string>* warnings);

}  // namespace kiln::onnx
