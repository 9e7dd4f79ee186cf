// Device helpers shared by the reduction-shaped CUDA kernels (Reduce, SoftMax, TopK, Normalization,
// Pooling, Cumulative, Resize): conversions between the storage types and float, a run-time tagged load
// and store for parameters whose type is only known at launch, and warp / block all-reductions of a
// small state struct whose combine step the caller supplies. Kept free of Kiln's C++20 host headers so
// that the .cu files compile quickly and under nvcc's C++17 as well.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "backends/cuda/kernels/common/value_type.h"

namespace kiln::cuda::rk {

template <typename T>
__device__ __forceinline__ float toFloat(T v) {
    return static_cast<float>(v);
}
template <>
__device__ __forceinline__ float toFloat<__half>(__half v) {
    return __half2float(v);
}
template <>
__device__ __forceinline__ float toFloat<__nv_bfloat16>(__nv_bfloat16 v) {
    return __bfloat162float(v);
}
template <>
__device__ __forceinline__ float toFloat<__nv_fp8_e4m3>(__nv_fp8_e4m3 v) {
    return static_cast<float>(v);
}

/// float -> storage type, rounding to nearest even once (the reference rounds its double result once).
template <typename T>
__device__ __forceinline__ T fromFloat(float v) {
    return static_cast<T>(v);
}
template <>
__device__ __forceinline__ __half fromFloat<__half>(float v) {
    return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
    return __float2bfloat16_rn(v);
}
template <>
__device__ __forceinline__ __nv_fp8_e4m3 fromFloat<__nv_fp8_e4m3>(float v) {
    // Saturating, NaN kept: what the reference's floatToFp8e4m3 does.
    __nv_fp8_e4m3 r;
    r.__x = __nv_cvt_float_to_fp8(v, __NV_SATFINITE, __NV_E4M3);
    return r;
}

/// Element i of a float-typed buffer whose type is known only at run time (scale, bias, roi, ...).
__device__ __forceinline__ float loadFloat(ValueType t, const void* p, int64_t i) {
    switch (t) {
        case ValueType::kF32:
            return static_cast<const float*>(p)[i];
        case ValueType::kF16:
            return __half2float(static_cast<const __half*>(p)[i]);
        case ValueType::kBF16:
            return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
        case ValueType::kFP8:
            return toFloat(static_cast<const __nv_fp8_e4m3*>(p)[i]);
        case ValueType::kI8:
            return static_cast<float>(static_cast<const int8_t*>(p)[i]);
        case ValueType::kU8:
            return static_cast<float>(static_cast<const uint8_t*>(p)[i]);
        case ValueType::kBOOL:
            return static_cast<const uint8_t*>(p)[i] != 0 ? 1.0f : 0.0f;
        case ValueType::kI32:
            return static_cast<float>(static_cast<const int32_t*>(p)[i]);
        case ValueType::kI64:
            return static_cast<float>(static_cast<const int64_t*>(p)[i]);
    }
    return 0.0f;
}

/// Element i of an integer (or bool) buffer as int64; floats truncate toward zero.
__device__ __forceinline__ int64_t loadInt(ValueType t, const void* p, int64_t i) {
    switch (t) {
        case ValueType::kI32:
            return static_cast<const int32_t*>(p)[i];
        case ValueType::kI64:
            return static_cast<const int64_t*>(p)[i];
        case ValueType::kI8:
            return static_cast<const int8_t*>(p)[i];
        case ValueType::kU8:
            return static_cast<const uint8_t*>(p)[i];
        case ValueType::kBOOL:
            return static_cast<const uint8_t*>(p)[i] != 0 ? 1 : 0;
        case ValueType::kF32:
        case ValueType::kF16:
        case ValueType::kBF16:
        case ValueType::kFP8:
            return static_cast<int64_t>(loadFloat(t, p, i));
    }
    return 0;
}

/// The ValueType of buffers whose elements are stored as T (the kernels' storage types).
template <class T>
constexpr ValueType valueTypeOf() {
    if constexpr (std::is_same_v<T, float>) return ValueType::kF32;
    if constexpr (std::is_same_v<T, __half>) return ValueType::kF16;
    if constexpr (std::is_same_v<T, __nv_bfloat16>) return ValueType::kBF16;
    if constexpr (std::is_same_v<T, __nv_fp8_e4m3>) return ValueType::kFP8;
    if constexpr (std::is_same_v<T, int8_t>) return ValueType::kI8;
    if constexpr (std::is_same_v<T, uint8_t>) return ValueType::kU8;
    if constexpr (std::is_same_v<T, int32_t>) return ValueType::kI32;
    if constexpr (std::is_same_v<T, int64_t>) return ValueType::kI64;
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16> ||
                      std::is_same_v<T, __nv_fp8_e4m3> || std::is_same_v<T, int8_t> ||
                      std::is_same_v<T, uint8_t> || std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>,
                  "not a kernel storage type");
    return ValueType::kF32;
}

/// The one dtype switch of the launchers: calls f(T{}) for the T among Ts whose ValueType is t and returns
/// its result; cudaErrorInvalidValue when t is none of them (the types a kernel is instantiated for).
template <class... Ts, class F>
cudaError_t withValueType(ValueType t, F&& f) {
    cudaError_t result = cudaErrorInvalidValue;
    (void)((t == valueTypeOf<Ts>() ? (result = f(Ts{}), true) : false) || ...);
    return result;
}

/// withValueType over float32 / float16 / bfloat16, the types most float kernels are instantiated for.
template <class F>
cudaError_t withFloatValueType(ValueType t, F&& f) {
    return withValueType<float, __half, __nv_bfloat16>(t, f);
}

/// NaN-propagating max / min (fmaxf / fminf drop NaN; numpy and the reference keep it).
__device__ __forceinline__ float nanMax(float a, float b) {
    return (a != a || b != b) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
}
__device__ __forceinline__ float nanMin(float a, float b) {
    return (a != a || b != b) ? __int_as_float(0x7fc00000) : fminf(a, b);
}

/// Online log-sum-exp state: the running max m and sum s of exp(x - m). -inf elements contribute
/// nothing and are skipped, so that exp(-inf - -inf) never turns the sum into NaN; a NaN element makes
/// m NaN for good; an infinite m makes s meaningless (the callers test m first).
template <typename F>
struct LseState {
    F m;
    F s;
};

template <typename F>
__device__ __forceinline__ F expT(F v);
template <>
__device__ __forceinline__ float expT<float>(float v) {
    return expf(v);
}
template <>
__device__ __forceinline__ double expT<double>(double v) {
    return exp(v);
}

template <typename F>
__device__ __forceinline__ LseState<F> lseEmpty() {
    return {-static_cast<F>(INFINITY), F(0)};
}

template <typename F>
__device__ __forceinline__ void lsePush(LseState<F>& st, F v) {
    if (v != v || st.m != st.m) {
        st.m = static_cast<F>(NAN);
        return;
    }
    if (v == -static_cast<F>(INFINITY)) return;
    if (v > st.m) {
        st.s = st.s * expT<F>(st.m - v) + F(1);
        st.m = v;
    } else {
        st.s += expT<F>(v - st.m);
    }
}

template <typename F>
__device__ __forceinline__ LseState<F> lseCombine(LseState<F> a, LseState<F> b) {
    if (a.m != a.m || b.m != b.m) return {static_cast<F>(NAN), F(0)};
    if (a.m == -static_cast<F>(INFINITY)) return b;
    if (b.m == -static_cast<F>(INFINITY)) return a;
    const F m = a.m > b.m ? a.m : b.m;
    return {m, a.s * expT<F>(a.m - m) + b.s * expT<F>(b.m - m)};
}

// ---- warp and block all-reductions ------------------------------------------------------------------
// A state type S provides `S shuffleXor(S, int laneMask)` through the overloads below (or its own), and
// the caller passes combine(S, S) -> S. Every lane (thread) receives the result.

__device__ __forceinline__ float shuffleXor(float v, int mask) {
    return __shfl_xor_sync(0xffffffffu, v, mask);
}
__device__ __forceinline__ double shuffleXor(double v, int mask) {
    return __shfl_xor_sync(0xffffffffu, v, mask);
}
__device__ __forceinline__ uint64_t shuffleXor(uint64_t v, int mask) {
    return __shfl_xor_sync(0xffffffffu, static_cast<unsigned long long>(v), mask);
}
template <typename F>
__device__ __forceinline__ LseState<F> shuffleXor(LseState<F> v, int mask) {
    return {shuffleXor(v.m, mask), shuffleXor(v.s, mask)};
}

template <typename S, typename Combine>
__device__ __forceinline__ S warpAllReduce(S v, Combine combine) {
#pragma unroll
    for (int mask = 16; mask > 0; mask >>= 1) v = combine(v, shuffleXor(v, mask));
    return v;
}

/// All-reduction over a block whose size is a multiple of 32 (at most 1024). `scratch` holds 32 states
/// in shared memory; it may be reused once every thread has the result (the trailing barrier sees to it).
template <typename S, typename Combine>
__device__ __forceinline__ S blockAllReduce(S v, Combine combine, S* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nbWarps = blockDim.x >> 5;
    v = warpAllReduce(v, combine);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    // Warp results are combined in warp order by every thread, so all threads agree bit for bit.
    S r = scratch[0];
    for (int w = 1; w < nbWarps; ++w) r = combine(r, scratch[w]);
    __syncthreads();
    return r;
}

/// Number of blocks for a grid-stride loop over n items with `perBlock` items per block: enough to fill
/// the GPU several times over, never more than the grid limit.
inline unsigned gridFor(int64_t n, int64_t perBlock) {
    const int64_t blocks = (n + perBlock - 1) / perBlock;
    const int64_t cap = int64_t{1} << 20;  // grid-stride loops cover the rest
    return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}

}  // namespace kiln::cuda::rk
