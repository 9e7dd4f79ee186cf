// The per-element float functors of the CUDA pointwise kernels, one definition each: the float forms of
// Unary (unary_map.cu), every Activation (activation_map.cu) and the float forms of ElementWise
// (elementwise_broadcast.cu), which those kernels map over tensors and the Pointwise program interpreter
// (pointwise_program.cu) applies register by register, so a fused chain computes what its unfused ops do.
// The formulas and NaN rules are the reference's (backends/reference/pointwise_math.h), in float32 with
// CUDA's accurate (not fast-math) functions.
#pragma once

#include <cmath>

namespace kiln::cuda::fn {

// ---- Unary -------------------------------------------------------------------------------------------
#define KILN_FLOAT_FN(Name, expr)                                   \
    struct Name {                                                   \
        __device__ float operator()(float x) const { return expr; } \
    };
KILN_FLOAT_FN(Exp, expf(x))
KILN_FLOAT_FN(Log, logf(x))
KILN_FLOAT_FN(Sqrt, sqrtf(x))
KILN_FLOAT_FN(Recip, 1.0f / x)
KILN_FLOAT_FN(Abs, fabsf(x))
KILN_FLOAT_FN(Neg, -x)
KILN_FLOAT_FN(Sin, sinf(x))
KILN_FLOAT_FN(Cos, cosf(x))
KILN_FLOAT_FN(Tan, tanf(x))
KILN_FLOAT_FN(Sinh, sinhf(x))
KILN_FLOAT_FN(Cosh, coshf(x))
KILN_FLOAT_FN(Asin, asinf(x))
KILN_FLOAT_FN(Acos, acosf(x))
KILN_FLOAT_FN(Atan, atanf(x))
KILN_FLOAT_FN(Asinh, asinhf(x))
KILN_FLOAT_FN(Acosh, acoshf(x))
KILN_FLOAT_FN(Atanh, atanhf(x))
KILN_FLOAT_FN(Ceil, ceilf(x))
KILN_FLOAT_FN(Floor, floorf(x))
KILN_FLOAT_FN(Erf, erff(x))
KILN_FLOAT_FN(Round, rintf(x))                               // the default rounding mode: half to even
KILN_FLOAT_FN(Sign, x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x)  // +-0 and NaN are their own sign
#undef KILN_FLOAT_FN

struct IsInf {
    __device__ bool operator()(float x) const { return isinf(x); }
};
struct IsNan {
    __device__ bool operator()(float x) const { return isnan(x); }
};

// ---- Activation --------------------------------------------------------------------------------------
__device__ __forceinline__ float sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}

/// max(lo, min(hi, v)) that lets NaN through.
__device__ __forceinline__ float clampNan(float v, float lo, float hi) {
    if (isnan(v)) return v;
    return v < lo ? lo : v > hi ? hi : v;
}

struct Relu {
    __device__ float operator()(float x) const { return x < 0.0f ? 0.0f : x; }
};
struct Sigmoid {
    __device__ float operator()(float x) const { return sigmoid(x); }
};
struct Tanh {
    __device__ float operator()(float x) const { return tanhf(x); }
};
struct LeakyRelu {
    float alpha;
    __device__ float operator()(float x) const { return x >= 0.0f ? x : alpha * x; }
};
struct Elu {
    float alpha;
    __device__ float operator()(float x) const { return x >= 0.0f ? x : alpha * expm1f(x); }
};
struct Selu {
    float alpha, beta;
    __device__ float operator()(float x) const { return beta * (x >= 0.0f ? x : alpha * expm1f(x)); }
};
struct Softsign {
    __device__ float operator()(float x) const { return x / (1.0f + fabsf(x)); }
};
struct Softplus {
    float alpha, beta;
    __device__ float operator()(float x) const {
        const float t = beta * x;
        return alpha * (t > 0.0f ? t + log1pf(expf(-t)) : log1pf(expf(t)));
    }
};
struct Clip {
    float alpha, beta;
    // The reference's std::max(alpha, std::min(beta, x)), comparison for comparison (signed zeros too).
    __device__ float operator()(float x) const {
        if (isnan(x)) return x;
        const float m = x < beta ? x : beta;
        return alpha < m ? m : alpha;
    }
};
struct HardSigmoid {
    float alpha, beta;
    __device__ float operator()(float x) const { return clampNan(alpha * x + beta, 0.0f, 1.0f); }
};
struct ScaledTanh {
    float alpha, beta;
    __device__ float operator()(float x) const { return alpha * tanhf(beta * x); }
};
struct ThresholdedRelu {
    float alpha;
    __device__ float operator()(float x) const { return x > alpha || isnan(x) ? x : 0.0f; }
};
struct GeluErf {
    __device__ float operator()(float x) const { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
};
struct GeluTanh {
    __device__ float operator()(float x) const {
        constexpr float k = 0.79788456080286536f;  // sqrt(2 / pi)
        return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
    }
};
struct Silu {
    __device__ float operator()(float x) const { return x * sigmoid(x); }
};
struct HardSwish {
    __device__ float operator()(float x) const { return x * clampNan(x / 6.0f + 0.5f, 0.0f, 1.0f); }
};

// ---- ElementWise ---------------------------------------------------------------------------------------
struct FSum {
    __device__ float operator()(float a, float b) const { return a + b; }
};
struct FProd {
    __device__ float operator()(float a, float b) const { return a * b; }
};
struct FSub {
    __device__ float operator()(float a, float b) const { return a - b; }
};
struct FDiv {
    __device__ float operator()(float a, float b) const { return a / b; }
};
struct FMax {  // NaN if either is NaN (fmaxf would return the other operand)
    __device__ float operator()(float a, float b) const { return isnan(a) || isnan(b) ? NAN : a > b ? a : b; }
};
struct FMin {
    __device__ float operator()(float a, float b) const { return isnan(a) || isnan(b) ? NAN : a < b ? a : b; }
};
struct FPow {
    __device__ float operator()(float a, float b) const { return powf(a, b); }
};
struct FFloorDiv {
    __device__ double operator()(float a, float b) const { return floor(double{a} / double{b}); }
};
struct FMod {  // Python's %: the remainder takes the divisor's sign, a zero one too
    __device__ double operator()(float a, float b) const {
        double r = fmod(double{a}, double{b});
        if (r == 0) return copysign(0.0, double{b});
        if ((r < 0) != (b < 0)) r += b;
        return r;
    }
};
struct FFmod {  // exact in float: fmod never rounds
    __device__ float operator()(float a, float b) const { return fmodf(a, b); }
};
struct FEqual {
    __device__ bool operator()(float a, float b) const { return a == b; }
};
struct FGreater {
    __device__ bool operator()(float a, float b) const { return a > b; }
};
struct FLess {
    __device__ bool operator()(float a, float b) const { return a < b; }
};

}  // namespace kiln::cuda::fn
