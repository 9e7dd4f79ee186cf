// Accumulation policies of the Reduce kernels, one per (storage type, arithmetic) pair, matching the
// reference kernel (src/backends/reference/reduce.cc): float32/float16/bfloat16 accumulate in float and
// round once on store; int32/int64 accumulate in 64-bit two's complement (sums and products wrap, kAVG
// is the quotient truncated toward zero); kL2 and kLOG_SUM_EXP over integers run in double and are
// truncated toward zero and saturated to the output type. Max and min propagate NaN; an empty reduction
// gives the operation's identity. A policy provides init / push / combine / finish, so the row and
// strided kernels share every semantic decision and differ only in how threads walk the input.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/common/reduce_utils.cuh"
#include "kiln/layer_types.h"

namespace kiln::cuda::rk {

struct FloatState {
    float a;
    float b;  ///< kLOG_SUM_EXP only: the running sum of exp(x - a)
};
__device__ __forceinline__ FloatState shuffleXor(FloatState v, int mask) {
    return {shuffleXor(v.a, mask), shuffleXor(v.b, mask)};
}

struct DoubleState {
    double a;
    double b;
};
__device__ __forceinline__ DoubleState shuffleXor(DoubleState v, int mask) {
    return {shuffleXor(v.a, mask), shuffleXor(v.b, mask)};
}

template <typename Storage>
struct FloatPolicy {
    using T = Storage;
    using State = FloatState;

    static __device__ __forceinline__ State init(ReduceOperation op) {
        switch (op) {
            case ReduceOperation::kPROD:
                return {1.0f, 0.0f};
            case ReduceOperation::kMAX:
            case ReduceOperation::kLOG_SUM_EXP:
                return {-INFINITY, 0.0f};
            case ReduceOperation::kMIN:
                return {INFINITY, 0.0f};
            case ReduceOperation::kSUM:
            case ReduceOperation::kAVG:
            case ReduceOperation::kL1:
            case ReduceOperation::kSUM_SQUARE:
            case ReduceOperation::kL2:
                break;
        }
        return {0.0f, 0.0f};
    }
    static __device__ __forceinline__ void push(State& s, T raw, ReduceOperation op) {
        const float v = toFloat(raw);
        switch (op) {
            case ReduceOperation::kSUM:
            case ReduceOperation::kAVG:
                s.a += v;
                return;
            case ReduceOperation::kL1:
                s.a += fabsf(v);
                return;
            case ReduceOperation::kSUM_SQUARE:
            case ReduceOperation::kL2:
                s.a += v * v;
                return;
            case ReduceOperation::kPROD:
                s.a *= v;
                return;
            case ReduceOperation::kMAX:
                s.a = nanMax(s.a, v);
                return;
            case ReduceOperation::kMIN:
                s.a = nanMin(s.a, v);
                return;
            case ReduceOperation::kLOG_SUM_EXP: {
                LseState<float> l{s.a, s.b};
                lsePush(l, v);
                s = {l.m, l.s};
                return;
            }
        }
    }
    static __device__ __forceinline__ State combine(State x, State y, ReduceOperation op) {
        switch (op) {
            case ReduceOperation::kPROD:
                return {x.a * y.a, 0.0f};
            case ReduceOperation::kMAX:
                return {nanMax(x.a, y.a), 0.0f};
            case ReduceOperation::kMIN:
                return {nanMin(x.a, y.a), 0.0f};
            case ReduceOperation::kLOG_SUM_EXP: {
                LseState<float> l = lseCombine(LseState<float>{x.a, x.b}, LseState<float>{y.a, y.b});
                return {l.m, l.s};
            }
            case ReduceOperation::kSUM:
            case ReduceOperation::kAVG:
            case ReduceOperation::kL1:
            case ReduceOperation::kSUM_SQUARE:
            case ReduceOperation::kL2:
                break;
        }
        return {x.a + y.a, 0.0f};
    }
    static __device__ __forceinline__ T finish(State s, ReduceOperation op, int64_t count) {
        float r = s.a;
        if (op == ReduceOperation::kAVG) r = s.a / static_cast<float>(count);  // 0 / 0 = NaN, as numpy
        if (op == ReduceOperation::kL2) r = sqrtf(s.a);
        if (op == ReduceOperation::kLOG_SUM_EXP) r = isfinite(s.a) ? s.a + logf(s.b) : s.a;
        return fromFloat<T>(r);
    }
};

/// Exact integer reductions in 64-bit unsigned arithmetic (wrapping is defined there).
template <typename Storage>
struct IntPolicy {
    using T = Storage;
    using State = uint64_t;
    static constexpr int64_t kLowest = sizeof(T) == 4 ? INT32_MIN : INT64_MIN;
    static constexpr int64_t kHighest = sizeof(T) == 4 ? INT32_MAX : INT64_MAX;

    static __device__ __forceinline__ State init(ReduceOperation op) {
        if (op == ReduceOperation::kPROD) return 1;
        if (op == ReduceOperation::kMAX) return static_cast<uint64_t>(kLowest);
        if (op == ReduceOperation::kMIN) return static_cast<uint64_t>(kHighest);
        return 0;
    }
    static __device__ __forceinline__ void push(State& s, T raw, ReduceOperation op) {
        const int64_t v = static_cast<int64_t>(raw);
        const uint64_t u = static_cast<uint64_t>(v);
        switch (op) {
            case ReduceOperation::kSUM:
            case ReduceOperation::kAVG:
                s += u;
                return;
            case ReduceOperation::kL1:
                s += v < 0 ? 0 - u : u;
                return;
            case ReduceOperation::kSUM_SQUARE:
                s += u * u;
                return;
            case ReduceOperation::kPROD:
                s *= u;
                return;
            case ReduceOperation::kMAX:
                s = static_cast<int64_t>(s) < v ? u : s;
                return;
            case ReduceOperation::kMIN:
                s = static_cast<int64_t>(s) > v ? u : s;
                return;
            case ReduceOperation::kL2:
            case ReduceOperation::kLOG_SUM_EXP:
                return;  // DoublePolicy's
        }
    }
    static __device__ __forceinline__ State combine(State x, State y, ReduceOperation op) {
        switch (op) {
            case ReduceOperation::kPROD:
                return x * y;
            case ReduceOperation::kMAX:
                return static_cast<int64_t>(x) < static_cast<int64_t>(y) ? y : x;
            case ReduceOperation::kMIN:
                return static_cast<int64_t>(x) > static_cast<int64_t>(y) ? y : x;
            case ReduceOperation::kSUM:
            case ReduceOperation::kAVG:
            case ReduceOperation::kL1:
            case ReduceOperation::kSUM_SQUARE:
            case ReduceOperation::kL2:
            case ReduceOperation::kLOG_SUM_EXP:
                break;
        }
        return x + y;
    }
    static __device__ __forceinline__ T finish(State s, ReduceOperation op, int64_t count) {
        const int64_t v = static_cast<int64_t>(s);
        // C++ division truncates toward zero; the host refuses an integer mean of nothing.
        return static_cast<T>(op == ReduceOperation::kAVG ? v / count : v);
    }
};

/// kL2 and kLOG_SUM_EXP over integers: double arithmetic, then truncation toward zero with saturation.
template <typename Storage>
struct DoublePolicy {
    using T = Storage;
    using State = DoubleState;

    static __device__ __forceinline__ State init(ReduceOperation op) {
        return op == ReduceOperation::kLOG_SUM_EXP ? State{-static_cast<double>(INFINITY), 0.0}
                                                   : State{0.0, 0.0};
    }
    static __device__ __forceinline__ void push(State& s, T raw, ReduceOperation op) {
        const double v = static_cast<double>(raw);
        if (op == ReduceOperation::kL2) {
            s.a += v * v;
            return;
        }
        LseState<double> l{s.a, s.b};
        lsePush(l, v);
        s = {l.m, l.s};
    }
    static __device__ __forceinline__ State combine(State x, State y, ReduceOperation op) {
        if (op == ReduceOperation::kL2) return {x.a + y.a, 0.0};
        LseState<double> l = lseCombine(LseState<double>{x.a, x.b}, LseState<double>{y.a, y.b});
        return {l.m, l.s};
    }
    static __device__ __forceinline__ T finish(State s, ReduceOperation op, int64_t) {
        const double r = op == ReduceOperation::kL2 ? sqrt(s.a) : (isfinite(s.a) ? s.a + log(s.b) : s.a);
        const double lo = static_cast<double>(IntPolicy<T>::kLowest);
        const double hi = sizeof(T) == 4 ? static_cast<double>(INT32_MAX) : 0x1p63;
        if (r != r) return 0;
        if (r <= lo) return static_cast<T>(IntPolicy<T>::kLowest);
        if (r >= hi) return static_cast<T>(IntPolicy<T>::kHighest);
        return static_cast<T>(static_cast<int64_t>(r));
    }
};

/// Calls f(policy tag) with the policy for (type, op); false when the type has no Reduce kernel.
template <typename F>
bool withReducePolicy(ValueType type, ReduceOperation op, F&& f) {
    const bool viaDouble = op == ReduceOperation::kL2 || op == ReduceOperation::kLOG_SUM_EXP;
    switch (type) {
        case ValueType::kF32:
            f(FloatPolicy<float>{});
            return true;
        case ValueType::kF16:
            f(FloatPolicy<__half>{});
            return true;
        case ValueType::kBF16:
            f(FloatPolicy<__nv_bfloat16>{});
            return true;
        case ValueType::kI32:
            if (viaDouble)
                f(DoublePolicy<int32_t>{});
            else
                f(IntPolicy<int32_t>{});
            return true;
        case ValueType::kI64:
            if (viaDouble)
                f(DoublePolicy<int64_t>{});
            else
                f(IntPolicy<int64_t>{});
            return true;
        case ValueType::kFP8:
        case ValueType::kI8:
        case ValueType::kU8:
        case ValueType::kBOOL:
            return false;
    }
    return false;
}

}  // namespace kiln::cuda::rk
