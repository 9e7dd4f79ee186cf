// Reading and writing NumPy .npy files, the tensor format of `kiln run`. Supported: format versions 1.0,
// 2.0 and 3.0 headers; C order; the little-endian dtypes <f4 <f2 <i4 <i8 |i1 |u1 |b1, and <u2 for the raw
// bits of bfloat16 (numpy has no bfloat16; FP8 tensors use |u1 likewise). Everything else (big-endian,
// fortran_order, float64, object or structured dtypes, truncated files) is an error naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/types.h"

namespace kiln::tool {

enum class NpyDType : int32_t {
    kFLOAT32 = 0,  ///< <f4
    kFLOAT16 = 1,  ///< <f2
    kINT32 = 2,    ///< <i4
    kINT64 = 3,    ///< <i8
    kINT8 = 4,     ///< |i1
    kUINT8 = 5,    ///< |u1 (also the raw bits of FP8 E4M3)
    kBOOL = 6,     ///< |b1
    kUINT16 = 7,   ///< <u2 (the raw bits of bfloat16)
};

/// An array in memory: C-order, little-endian elements.
struct NpyArray {
    NpyDType dtype{NpyDType::kFLOAT32};
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
    int64_t elementCount() const;
};

/// The descr string written for `dtype` ("<f4", "|u1", ...).
const char* npyDescr(NpyDType dtype);
/// numpy's name for `dtype` ("float32", ...).
const char* npyTypeName(NpyDType dtype);
int64_t npyItemSize(NpyDType dtype);

/// Parses an .npy image held in memory. `source` names it in errors (a file path). Returns false and sets
/// *error to one line ("<source>: <what is wrong>") on failure.
bool parseNpy(const uint8_t* bytes, size_t size, const std::string& source, NpyArray* out,
              std::string* error);
/// Reads and parses the file at `path`.
bool readNpy(const std::string& path, NpyArray* out, std::string* error);

/// The .npy image of `array` (version 1.0 header, or 2.0 when the header would not fit in 64 KiB).
/// Fails when data.size() does not match the shape and dtype.
bool encodeNpy(const NpyArray& array, std::vector<uint8_t>* out, std::string* error);
bool writeNpy(const std::string& path, const NpyArray& array, std::string* error);

/// The dtype a Kiln tensor of `type` is stored as. bfloat16 and FP8 have no numpy dtype: they are stored
/// as their raw bits (uint16, uint8) and *note (when given) says so; otherwise *note is cleared.
NpyDType npyTypeFor(DataType type, std::string* note = nullptr);

}  // namespace kiln::tool
