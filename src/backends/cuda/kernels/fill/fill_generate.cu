// Fill: kCONSTANT (every element alpha) and kLINSPACE (alpha + sum over dims of beta[d] * index[d]), one
// thread per element, into any numeric output type. As in the reference (src/backends/reference/fill.cc):
// when the output is an integer type and every parameter is integral the arithmetic is int64 with
// wrap-around, so int64 ranges stay exact; otherwise it is double, converted once on store (narrow floats
// rounded to nearest, integers truncated toward zero and saturated, bool = value != 0).
#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "backends/cuda/kernels/fill/fill_launch.h"

namespace kiln::cuda::rk {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ double loadDouble(ValueType t, const void* p, int64_t i) {
    if (t == ValueType::kI64) return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    return static_cast<double>(loadFloat(t, p, i));  // float types and small integers are exact in float
}

template <typename I>
__device__ __forceinline__ I saturate(double v) {
    constexpr double lo = static_cast<double>(sizeof(I) == 8 ? INT64_MIN : (sizeof(I) == 4 ? INT32_MIN : 0));
    if (v != v) return 0;
    if constexpr (sizeof(I) == 8) {
        if (v <= lo) return INT64_MIN;
        if (v >= 0x1p63) return INT64_MAX;
    } else {
        if (v <= lo) return INT32_MIN;
        if (v >= static_cast<double>(INT32_MAX)) return INT32_MAX;
    }
    return static_cast<I>(v);
}

__device__ __forceinline__ void storeDouble(ValueType t, void* p, int64_t i, double v) {
    switch (t) {
        case ValueType::kF32:
            static_cast<float*>(p)[i] = static_cast<float>(v);
            return;
        case ValueType::kF16:
            static_cast<__half*>(p)[i] = __double2half(v);
            return;
        case ValueType::kBF16:
            static_cast<__nv_bfloat16*>(p)[i] = __double2bfloat16(v);
            return;
        case ValueType::kFP8:
            static_cast<__nv_fp8_storage_t*>(p)[i] = __nv_cvt_double_to_fp8(v, __NV_SATFINITE, __NV_E4M3);
            return;
        case ValueType::kI8:
            static_cast<int8_t*>(p)[i] =
                static_cast<int8_t>(v != v ? 0.0 : fmin(fmax(trunc(v), -128.0), 127.0));
            return;
        case ValueType::kU8:
            static_cast<uint8_t*>(p)[i] =
                static_cast<uint8_t>(v != v ? 0.0 : fmin(fmax(trunc(v), 0.0), 255.0));
            return;
        case ValueType::kBOOL:
            static_cast<uint8_t*>(p)[i] = v != 0.0 ? 1 : 0;
            return;
        case ValueType::kI32:
            static_cast<int32_t*>(p)[i] = saturate<int32_t>(v);
            return;
        case ValueType::kI64:
            static_cast<int64_t*>(p)[i] = saturate<int64_t>(v);
            return;
    }
}

/// Integer outputs from exact int64 values: narrower types keep the low bits, as a C++ cast does.
__device__ __forceinline__ void storeInt(ValueType t, void* p, int64_t i, int64_t v) {
    switch (t) {
        case ValueType::kI32:
            static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v);
            return;
        case ValueType::kI64:
            static_cast<int64_t*>(p)[i] = v;
            return;
        case ValueType::kI8:
            static_cast<int8_t*>(p)[i] = static_cast<int8_t>(v);
            return;
        case ValueType::kU8:
            static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(v);
            return;
        case ValueType::kBOOL:
            static_cast<uint8_t*>(p)[i] = v != 0 ? 1 : 0;
            return;
        case ValueType::kF32:
        case ValueType::kF16:
        case ValueType::kBF16:
        case ValueType::kFP8:
            storeDouble(t, p, i, static_cast<double>(v));
            return;
    }
}

__device__ __forceinline__ double scalarDouble(const FillScalar& s, int64_t i) {
    return s.device ? loadDouble(s.type, s.device, i) : s.value;
}
__device__ __forceinline__ int64_t scalarInt(const FillScalar& s, int64_t i) {
    return s.device ? loadInt(s.type, s.device, i) : s.intValue;
}

__global__ void fillKernel(ValueType outType, void* out, int64_t numel, FillParams p) {
    for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < numel;
         j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        if (p.op == FillOperation::kCONSTANT) {
            if (p.exactInt)
                storeInt(outType, out, j, scalarInt(p.alpha, 0));
            else
                storeDouble(outType, out, j, scalarDouble(p.alpha, 0));
            continue;
        }
        // Unsigned arithmetic wraps instead of overflowing.
        uint64_t accI = p.exactInt ? static_cast<uint64_t>(scalarInt(p.alpha, 0)) : 0;
        double accD = p.exactInt ? 0.0 : scalarDouble(p.alpha, 0);
        int64_t rem = j;
        for (int32_t d = 0; d < p.rank; ++d) {
            const int64_t c = rem / p.strides[d];
            rem -= c * p.strides[d];
            const int64_t b = p.betaCount == 1 ? 0 : d;
            if (p.exactInt)
                accI += static_cast<uint64_t>(scalarInt(p.beta, b)) * static_cast<uint64_t>(c);
            else
                accD += scalarDouble(p.beta, b) * static_cast<double>(c);
        }
        if (p.exactInt)
            storeInt(outType, out, j, static_cast<int64_t>(accI));
        else
            storeDouble(outType, out, j, accD);
    }
}

}  // namespace

cudaError_t launchFill(ValueType outType, void* out, int64_t numel, const FillParams& p,
                       cudaStream_t stream) {
    if (numel <= 0) return cudaSuccess;
    fillKernel<<<gridFor(numel, kThreads), kThreads, 0, stream>>>(outType, out, numel, p);
    return cudaGetLastError();
}

}  // namespace kiln::cuda::rk
