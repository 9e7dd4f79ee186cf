// Helpers the kiln tool needs around tensors of every Kiln data type: shape text (parse and print),
// element decoding for summaries (float16, bfloat16, the float8 and float4 formats included), seeded
// random filling, and packing the 4- and 2-bit types (stored two or four per byte) to and from one
// element per byte for .npy files. Written against the public types only (kiln/types.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/types.h"
#include "random.h"

namespace kiln::tool {

/// Number of elements; -1 when some dimension is unknown (negative) or the rank is unknown.
int64_t volumeOf(const Dims& d);

/// "[1,3,224,224]" ("[]" for a scalar, "(unknown rank)" for nbDims < 0).
std::string dimsText(const Dims& d);

/// Parses "1x3x224x224" (also "1,3,224,224"; "" or "scalar" for rank 0). Returns false and sets *error for
/// anything else (negative or non-numeric extents, more than kMAX_DIMS dims).
bool parseShape(const std::string& text, Dims* out, std::string* error);

/// Element `index` of a buffer of `type`, as a double (bool and integers exactly, small floats decoded).
double loadElement(DataType type, const void* data, int64_t index);

/// Fills `count` elements of `type`: floats uniform in [-1, 1), integers uniform in [0, 10), bools 0/1.
/// Small float types are rounded to nearest even from the float32 draw.
void fillRandom(DataType type, void* data, int64_t count, Random& random);

/// Bits per element of the packed types (4 or 2), 0 for the others.
int32_t packedBits(DataType type);
/// `count` elements of a packed type, one per byte: int4 / int2 as int8 values, the others as their
/// unsigned field (the E2M1 code for kFP4).
std::vector<uint8_t> unpackElements(DataType type, const void* data, int64_t count);
/// The reverse of unpackElements into `data` (storageBytes(type, unpacked.size()) bytes, zeroed by the
/// caller). False, with the element and the range in *error, for a value the type cannot hold.
bool packElements(DataType type, const std::vector<uint8_t>& unpacked, void* data, std::string* error);

/// IEEE float16 bits of `value`, rounded to nearest even (overflow gives infinity).
uint16_t floatToHalfBits(float value);
/// bfloat16 bits of `value`, rounded to nearest even.
uint16_t floatToBf16Bits(float value);
/// FP8 E4M3 (finite-only, OCP e4m3fn) bits of `value`, rounded to nearest even, saturating at +-448.
uint8_t floatToFp8Bits(float value);
float halfBitsToFloat(uint16_t bits);
float bf16BitsToFloat(uint16_t bits);
float fp8BitsToFloat(uint8_t bits);

}  // namespace kiln::tool
