// Test-data tensors for the ONNX conformance runner: reading a serialized TensorProto (input_K.pb /
// output_K.pb) into plain values, converting values to and from the bytes of a Kiln tensor, and comparing
// an output with its expected values (numpy's allclose rule, or relative L2 error). Written here, apart
// from the parser's own TensorProto reader, so a bug in the parser cannot hide in the test's data path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/types.h"

namespace kiln::conformance {

/// ONNX TensorProto.DataType numbers the runner names and reads.
enum OnnxType : int32_t {
    kOnnxUndefined = 0,
    kOnnxFloat = 1,
    kOnnxUint8 = 2,
    kOnnxInt8 = 3,
    kOnnxUint16 = 4,
    kOnnxInt16 = 5,
    kOnnxInt32 = 6,
    kOnnxInt64 = 7,
    kOnnxString = 8,
    kOnnxBool = 9,
    kOnnxFloat16 = 10,
    kOnnxDouble = 11,
    kOnnxUint32 = 12,
    kOnnxUint64 = 13,
    kOnnxBfloat16 = 16,
    kOnnxFloat8E4M3FN = 17,
    kOnnxFloat8E4M3FNUZ = 18,
    kOnnxFloat8E5M2 = 19,
    kOnnxFloat8E5M2FNUZ = 20,
    kOnnxUint4 = 21,
    kOnnxInt4 = 22,
    kOnnxFloat4E2M1 = 23,
    kOnnxFloat8E8M0 = 24,
    kOnnxUint2 = 25,
    kOnnxInt2 = 26,
};

/// "FLOAT16" style name ("type 99" for numbers the runner does not know).
std::string onnxTypeName(int32_t onnxType);

/// A tensor's values, held exactly: floating types as double, integer and bool types as int64 (uint64
/// values above INT64_MAX keep their bit pattern, as Kiln's uint64 -> int64 import does).
struct HostArray {
    std::string name;
    int32_t onnxType{kOnnxUndefined};  ///< the ONNX type the values came from (or map to)
    std::vector<int64_t> dims;
    bool isFloat{false};
    std::vector<double> f;   ///< values when isFloat
    std::vector<int64_t> i;  ///< values otherwise
    int64_t volume() const;
    double at(int64_t k) const { return isFloat ? f[static_cast<size_t>(k)] : static_cast<double>(i[static_cast<size_t>(k)]); }
};

/// "[2,3,4]".
std::string dimsText(const std::vector<int64_t>& dims);
std::string dimsText(const Dims& dims);

/// Reads a serialized TensorProto file. Fails (with the reason in `error`) for a file that is not a
/// TensorProto, external data, a payload whose size does not match the dims, or a type the runner cannot
/// hold (strings, complex, float6). 4- and 2-bit types are read packed, as ONNX stores them.
bool readTensorFile(const std::string& path, HostArray* out, std::string* error);

/// The Kiln type the ONNX parser imports an ONNX type as (its documented conversions: double -> float32,
/// int16/uint16 -> int32, uint32/uint64 -> int64). False for types Kiln cannot hold.
bool kilnTypeFor(int32_t onnxType, DataType* out);

/// The bytes of a Kiln tensor of type `type` holding `values` (converted, rounding to nearest even for
/// narrower floats; packed for the 4- and 2-bit types). Fails for a float value fed to an integer tensor
/// that is not a whole number, or an integer out of a 4- or 2-bit type's range.
bool encodeValues(const HostArray& values, DataType type, std::vector<uint8_t>* bytes, std::string* error);

/// Values from the bytes of a Kiln tensor of type `type` (count elements).
void decodeValues(const void* data, DataType type, int64_t count, HostArray* out);

/// Result of comparing one output.
struct Comparison {
    bool ok{false};
    std::string detail;  ///< for a mismatch: how many elements, the worst one, the errors
};

/// numpy.testing.assert_allclose's rule, |got - want| <= atol + rtol * |want|, element by element; NaN
/// matches NaN, an infinity only the same infinity. Integers and bools must match exactly.
Comparison compareAllClose(const HostArray& got, const HostArray& want, double rtol, double atol);

/// ||got - want||_2 / ||want||_2 < maxRelL2 (the plain L2 norm of the difference when want is all zero);
/// any NaN or infinity fails. Integers and bools must match exactly.
Comparison compareRelL2(const HostArray& got, const HostArray& want, double maxRelL2);

}  // namespace kiln::conformance
