// What the device-side helpers (indexing.cuh, dtype.cuh, movement/*_offsets.cuh) need to be callable from
// host code too: the __host__ __device__ marker, and the few CUDA intrinsics they use (bit casts, float
// conversions with a chosen rounding), each with a host fallback that gives the same result. The kernels
// get the intrinsics; the CPU unit tests (tests/unit/cuda_*_test.cc) get the fallbacks and so run the
// kernels' own index and conversion code against the reference kernels on machines without a GPU.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#define KILN_HD __host__ __device__

namespace kiln::cuda {

KILN_HD inline float bitsToFloat(uint32_t u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
#endif
}

KILN_HD inline uint32_t floatToBits(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
#endif
}

/// d rounded to the nearest float (ties to even).
KILN_HD inline float doubleToFloatRn(double d) {
#ifdef __CUDA_ARCH__
    return __double2float_rn(d);
#else
    return static_cast<float>(d);
#endif
}

/// d rounded toward zero to float (a finite d beyond the float range gives +-FLT_MAX).
KILN_HD inline float doubleToFloatRz(double d) {
#ifdef __CUDA_ARCH__
    return __double2float_rz(d);
#else
    float f = static_cast<float>(d);
    if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);
    return f;
#endif
}

/// v rounded to the nearest float (ties to even).
KILN_HD inline float int64ToFloatRn(int64_t v) {
#ifdef __CUDA_ARCH__
    return __ll2float_rn(v);
#else
    return static_cast<float>(v);
#endif
}

/// v rounded toward zero to float.
KILN_HD inline float int64ToFloatRz(int64_t v) {
#ifdef __CUDA_ARCH__
    return __ll2float_rz(v);
#else
    // x86-64 and AArch64 Linux long doubles hold every int64 exactly (as float_types.h also assumes).
    float f = static_cast<float>(v);
    if (std::fabs(static_cast<long double>(f)) > std::fabs(static_cast<long double>(v)))
        f = std::nextafter(f, 0.0f);
    return f;
#endif
}

}  // namespace kiln::cuda
