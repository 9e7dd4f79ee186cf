// Element types on the device. Storage structs for the narrow float formats and bool; Elem<S>, the traits
// that load a stored element into the type kernels compute in (float for the float formats, int64 for the
// integers and bool) and store a result back; and loads/stores by run-time DataType for the kernels that
// convert between any two types (Cast, Identity, Slice's fill value). Every conversion reproduces the
// reference's (common/float_types.h, common/tensor_ref.h and backends/reference/pointwise.cc) bit for bit:
// round to nearest even, fp8 saturating to +-448, the same NaN encodings, truncation with saturation from
// float to integer, two's complement wrap between integers. The hardware conversion instructions do the
// rounding; only NaN, whose encoding the instructions canonicalize differently, is handled by hand. All of
// it is __host__ __device__ (see portable.cuh), so tests/unit/cuda_dtype_test.cc checks these rules on the
// CPU against the reference's Cast.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>

#include "backends/cuda/kernels/common/portable.cuh"
#include "kiln/types.h"
#include "common/storage_types.h"

namespace kiln::cuda {

struct Half {
    uint16_t bits;
};
struct Bf16 {
    uint16_t bits;
};
struct Fp8 {
    uint8_t bits;
};
/// A bool element: any non-zero byte reads as true; stores write 0 or 1.
struct Bool {
    uint8_t bits;
};

// ---- float formats <-> float --------------------------------------------------------------------------

KILN_HD inline float halfBitsToFloat(uint32_t h) {
    // NaN by hand (the conversion instruction need not keep its payload); everything else, subnormals
    // included, widens exactly through the instruction: one cvt per element instead of a branchy decode,
    // which float16 pointwise kernels pay for every element they read.
    if ((h & 0x7fffu) > 0x7c00u)
        return bitsToFloat(((h & 0x8000u) << 16) | 0x7f800000u | ((h & 0x3ffu) << 13));
    return __half2float(__ushort_as_half(static_cast<unsigned short>(h)));
}

KILN_HD inline float fp8BitsToFloat(uint32_t v) {
    const uint32_t exp = (v >> 3) & 0xfu;
    const uint32_t mant = v & 0x7u;
    if (exp == 0xf && mant == 0x7) return bitsToFloat(0x7fc00000u);     // both NaN codes read as +qNaN
    const float r = exp == 0 ? static_cast<float>(mant) * 0.001953125f  // subnormal: mant * 2^-9
                             : bitsToFloat(((exp + 120) << 23) | (mant << 20));
    return (v & 0x80u) ? -r : r;
}

KILN_HD inline uint16_t floatToHalfBits(float f) {
    const uint32_t x = floatToBits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>(((x >> 16) & 0x8000u) | 0x7e00u);
    return __half_as_ushort(__float2half_rn(f));
}

KILN_HD inline uint16_t floatToBf16Bits(float f) {
    const uint32_t x = floatToBits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
    return __bfloat16_as_ushort(__float2bfloat16_rn(f));
}

KILN_HD inline uint8_t floatToFp8Bits(float f) {
    if (f != f) return (floatToBits(f) >> 24 & 0x80u) | 0x7fu;  // NaN keeps its sign, as the reference's codec
    return static_cast<uint8_t>(__nv_cvt_float_to_fp8(f, __NV_SATFINITE, __NV_E4M3));
}

/// d rounded to float "to odd" (truncate, then set the last bit if anything was lost): a second rounding to
/// half, bfloat16 or fp8 then equals the correct rounding of d (see roundToOddFloat in float_types.h).
/// Beyond the float range this gives +-FLT_MAX where the reference gives +-inf; both round to the same
/// half (inf), bfloat16 (inf) and fp8 (+-448) value.
KILN_HD inline float roundToOddFloat(double d) {
    if (d != d) return doubleToFloatRn(d);  // NaN
    const float f = doubleToFloatRz(d);
    if (static_cast<double>(f) == d) return f;
    return bitsToFloat(floatToBits(f) | 1u);
}

/// v rounded to float to odd (exact for |v| < 2^24).
KILN_HD inline float roundToOddFloat(int64_t v) {
    const float f = int64ToFloatRz(v);
    if (static_cast<int64_t>(f) == v) return f;
    return bitsToFloat(floatToBits(f) | 1u);
}

// ---- Elem<S>: load into the compute type, store back ---------------------------------------------------

template <class S>
struct Elem;

template <>
struct Elem<float> {
    using Compute = float;
    static KILN_HD float load(float v) { return v; }
    static KILN_HD float store(float v) { return v; }
    static KILN_HD float store(double v) { return doubleToFloatRn(v); }
};
template <>
struct Elem<Half> {
    using Compute = float;
    static KILN_HD float load(Half v) { return halfBitsToFloat(v.bits); }
    static KILN_HD Half store(float v) { return Half{floatToHalfBits(v)}; }
    static KILN_HD Half store(double v) { return store(roundToOddFloat(v)); }
};
template <>
struct Elem<Bf16> {
    using Compute = float;
    static KILN_HD float load(Bf16 v) { return bitsToFloat(uint32_t{v.bits} << 16); }
    static KILN_HD Bf16 store(float v) { return Bf16{floatToBf16Bits(v)}; }
    static KILN_HD Bf16 store(double v) { return store(roundToOddFloat(v)); }
};
template <>
struct Elem<Fp8> {
    using Compute = float;
    static KILN_HD float load(Fp8 v) { return fp8BitsToFloat(v.bits); }
    static KILN_HD Fp8 store(float v) { return Fp8{floatToFp8Bits(v)}; }
    static KILN_HD Fp8 store(double v) { return store(roundToOddFloat(v)); }
};

/// Integers compute in int64 and store modulo their width (two's complement wrap, as numpy).
template <class I>
struct IntElem {
    using Compute = int64_t;
    static KILN_HD int64_t load(I v) { return static_cast<int64_t>(v); }
    static KILN_HD I store(int64_t v) { return static_cast<I>(v); }
};
template <>
struct Elem<int8_t> : IntElem<int8_t> {};
template <>
struct Elem<uint8_t> : IntElem<uint8_t> {};
template <>
struct Elem<int32_t> : IntElem<int32_t> {};
template <>
struct Elem<int64_t> : IntElem<int64_t> {};
template <>
struct Elem<Bool> {
    using Compute = int64_t;
    static KILN_HD int64_t load(Bool v) { return v.bits != 0 ? 1 : 0; }
    static KILN_HD Bool store(int64_t v) { return Bool{static_cast<uint8_t>(v != 0)}; }
};

// ---- run-time typed access (conversions between any two DataTypes) -----------------------------------

/// One element of any DataType: the float formats as float (exact), integers and bool as int64.
struct Scalar {
    bool isFloat;
    float f;
    int64_t i;
};

template <class S>
KILN_HD inline Scalar toScalar(S v) {
    using C = typename Elem<S>::Compute;
    if constexpr (sizeof(C) == sizeof(float))
        return Scalar{true, Elem<S>::load(v), 0};
    else
        return Scalar{false, 0.0f, Elem<S>::load(v)};
}

KILN_HD inline Scalar loadScalar(DataType t, const void* p, int64_t i) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kFLOAT:
            return toScalar(static_cast<const float*>(p)[i]);
        case DataType::kHALF:
            return toScalar(static_cast<const Half*>(p)[i]);
        case DataType::kBF16:
            return toScalar(static_cast<const Bf16*>(p)[i]);
        case DataType::kFP8:
            return toScalar(static_cast<const Fp8*>(p)[i]);
        case DataType::kINT8:
            return toScalar(static_cast<const int8_t*>(p)[i]);
        case DataType::kUINT8:
            return toScalar(static_cast<const uint8_t*>(p)[i]);
        case DataType::kINT32:
            return toScalar(static_cast<const int32_t*>(p)[i]);
        case DataType::kINT64:
            return toScalar(static_cast<const int64_t*>(p)[i]);
        case DataType::kBOOL:
            return toScalar(static_cast<const Bool*>(p)[i]);
    }
    return Scalar{false, 0.0f, 0};
}

/// Truncates toward zero and clamps into [lo, hi]; NaN gives 0. Compared in double, where the bounds are
/// the same values the reference compares with (int32's 2^31 - 1 is not a float).
KILN_HD inline int64_t saturatingToInt(float v, int64_t lo, int64_t hi) {
    if (v != v) return 0;  // NaN
    const double t = static_cast<double>(truncf(v));
    if (t <= static_cast<double>(lo)) return lo;
    if (t >= static_cast<double>(hi)) return hi;
    return static_cast<int64_t>(t);
}

/// Converts v to type t (the reference's Cast rules) and stores it as element i of p.
KILN_HD inline void storeScalar(DataType t, void* p, int64_t i, const Scalar& v) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kFLOAT:
            // A NaN leaves quiet, as the reference's detour through double leaves it (a float16 or bfloat16
            // signaling NaN widens to a signaling float NaN, which float -> double -> float quietens).
            static_cast<float*>(p)[i] = !v.isFloat   ? int64ToFloatRn(v.i)
                                        : v.f != v.f ? bitsToFloat(floatToBits(v.f) | 0x400000u)
                                                     : v.f;
            return;
        case DataType::kHALF:
            static_cast<Half*>(p)[i] = Elem<Half>::store(v.isFloat ? v.f : roundToOddFloat(v.i));
            return;
        case DataType::kBF16:
            static_cast<Bf16*>(p)[i] = Elem<Bf16>::store(v.isFloat ? v.f : roundToOddFloat(v.i));
            return;
        case DataType::kFP8:
            static_cast<Fp8*>(p)[i] = Elem<Fp8>::store(v.isFloat ? v.f : roundToOddFloat(v.i));
            return;
        case DataType::kBOOL:
            static_cast<uint8_t*>(p)[i] = (v.isFloat ? v.f != 0.0f : v.i != 0) ? 1 : 0;  // NaN is true
            return;
        case DataType::kINT8:
            static_cast<int8_t*>(p)[i] =
                static_cast<int8_t>(v.isFloat ? saturatingToInt(v.f, -128, 127) : v.i);
            return;
        case DataType::kUINT8:
            static_cast<uint8_t*>(p)[i] =
                static_cast<uint8_t>(v.isFloat ? saturatingToInt(v.f, 0, 255) : v.i);
            return;
        case DataType::kINT32:
            static_cast<int32_t*>(p)[i] =
                static_cast<int32_t>(v.isFloat ? saturatingToInt(v.f, INT32_MIN, INT32_MAX) : v.i);
            return;
        case DataType::kINT64:
            static_cast<int64_t*>(p)[i] = v.isFloat ? saturatingToInt(v.f, INT64_MIN, INT64_MAX) : v.i;
            return;
    }
}

}  // namespace kiln::cuda
