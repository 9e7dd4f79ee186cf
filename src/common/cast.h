// The element conversion rules of Cast, in one place: the reference Cast / Identity kernels and the ONNX
// importer's conversion of constants (CastLike on an initializer) both call castElement, so a value
// converted at import time equals the same value converted at run time.
//
//   float -> float: correctly rounded to nearest even; the 8-bit formats follow ONNX's saturate rule and
//                   E8M0 its round_mode (FloatStoreMode); FP4 always saturates;
//   float -> int:   truncation toward zero, saturating to the target's range (+-inf too); NaN gives 0. The
//                   packed 4- and 2-bit targets instead keep the low bits of the truncated value (ONNX
//                   leaves out-of-range values undefined; its reference and tests wrap: 8.0 -> int4 is -8),
//                   NaN and infinities giving 0;
//   int   -> float: correctly rounded to nearest even, int64 included;
//   int   -> int:   two's complement wrap-around (int64 300 -> int8 44), as numpy and C++20 do;
//   any   -> bool:  x != 0 (NaN gives true, as in numpy); bool -> any: 0 or 1.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "common/tensor_ref.h"

namespace kiln {

/// Truncates toward zero and clamps into [lo, hi]; NaN gives 0. The comparisons happen in double, where
/// every bound used here (int8 .. int64) is exact or rounds up to 2^63, so the final cast is always defined.
inline int64_t saturatingToInt(double v, int64_t lo, int64_t hi) {
    if (std::isnan(v)) return 0;
    const double t = std::trunc(v);
    if (t <= static_cast<double>(lo)) return lo;
    if (t >= static_cast<double>(hi)) return hi;
    return static_cast<int64_t>(t);
}

/// Converts element i of `src` (of type st) into element j of `dst` (of type dt) under Cast's rules.
inline void castElement(DataType st, const void* src, int64_t i, DataType dt, void* dst, int64_t j,
                        FloatStoreMode mode = {}) {
    if (isFloatType(st)) {
        const double v = loadAsDouble(st, src, i);
        if (isFloatType(dt)) {
            storeFromDouble(dt, dst, j, v, mode);
        } else if (dt == DataType::kBOOL) {
            static_cast<uint8_t*>(dst)[j] = v != 0.0 ? 1 : 0;
        } else if (isPackedType(dt)) {
            // The low bits of the truncated value. fmod is exact, and for |v| >= 2^53 (a multiple of every
            // small power of two) gives 0, as the exact integer would; NaN and infinities give 0 too.
            const double low = std::isfinite(v) ? std::fmod(std::trunc(v), 256.0) : 0.0;
            storeFromInt64(dt, dst, j, static_cast<int64_t>(low));
        } else {
            int64_t lo = 0, hi = 0;
            integerRange(dt, &lo, &hi);
            storeFromInt64(dt, dst, j, saturatingToInt(v, lo, hi));
        }
        return;
    }
    const int64_t v = loadAsInt64(st, src, i);
    if (dt == DataType::kFLOAT)
        static_cast<float*>(dst)[j] = static_cast<float>(v);  // one rounding, even for int64
    else if (isFloatType(dt))
        // long double holds every int64 exactly on the x86-64 and AArch64 Linux targets; rounding it to an
        // odd float first keeps the second rounding, to the narrow format, correct.
        storeFromDouble(dt, dst, j, roundToOddFloat(static_cast<long double>(v)), mode);
    else
        storeFromInt64(dt, dst, j, v);
}

}  // namespace kiln
