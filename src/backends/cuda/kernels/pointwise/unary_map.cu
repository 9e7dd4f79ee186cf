// CUDA kernel for Unary: every UnaryOperation, as the reference (backends/reference/pointwise_unary.cc)
// defines it. The float formats compute in float32 with CUDA's accurate functions and round once on store;
// ABS, NEG and SIGN also take int8/uint8/int32/int64, computed in int64 with two's complement wrap-around
// (ABS(-128) in int8 stays -128); NOT maps bool to bool; ISINF and ISNAN map the float formats to bool.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/pointwise/map.cuh"

namespace kiln::cuda {
namespace {

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

// Integer forms; negation through uint64 wraps instead of overflowing.
struct IntAbs {
    __device__ int64_t operator()(int64_t x) const {
        return x < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(x)) : x;
    }
};
struct IntNeg {
    __device__ int64_t operator()(int64_t x) const {
        return static_cast<int64_t>(0 - static_cast<uint64_t>(x));
    }
};
struct IntSign {
    __device__ int64_t operator()(int64_t x) const { return (x > 0) - (x < 0); }
};
struct Not {
    __device__ int64_t operator()(int64_t x) const { return x == 0; }
};

constexpr const char* kName = "Unary kernel";

/// Float formats in, same format out.
template <class F>
Status floatMap(const KernelContext& ctx, F f) {
    return withFloatStorage(ctx.inputs[0].type, kName, [&](auto tag) {
        using S = decltype(tag);
        return launchMap<S, S>(ctx.inputs[0], ctx.outputs[0], ctx.stream, f, kName);
    });
}

/// Float formats in, bool out.
template <class F>
Status floatTest(const KernelContext& ctx, F f) {
    return withFloatStorage(ctx.inputs[0].type, kName, [&](auto tag) {
        using S = decltype(tag);
        return launchMap<S, Bool>(ctx.inputs[0], ctx.outputs[0], ctx.stream, f, kName);
    });
}

/// ABS, NEG, SIGN: the float form for the float formats, the int64 form for the integers.
template <class F, class I>
Status numericMap(const KernelContext& ctx, F f, I intF) {
    if (isFloatType(ctx.inputs[0].type)) return floatMap(ctx, f);
    return withIntStorage(ctx.inputs[0].type, kName, [&](auto tag) {
        using S = decltype(tag);
        return launchMap<S, S>(ctx.inputs[0], ctx.outputs[0], ctx.stream, intF, kName);
    });
}

}  // namespace

Status runUnary(const ir::UnaryAttrs& attrs, const KernelContext& ctx) {
    const DataType t = ctx.inputs[0].type;
    const DataType outType = ctx.outputs[0].type;
    using Op = UnaryOperation;
    // Inference owns the dtype rules; this only keeps a mis-wired call from misreading memory.
    DataType expectedOut = t;
    if (attrs.op == Op::kISINF || attrs.op == Op::kISNAN) expectedOut = DataType::kBOOL;
    if (outType != expectedOut)
        return internalError(std::string(kName) + ": output type " + dataTypeName(outType) + " for input " +
                             dataTypeName(t) + ", expected " + dataTypeName(expectedOut) + " (operation " +
                             std::to_string(static_cast<int32_t>(attrs.op)) + ")");
    switch (attrs.op) {
        case Op::kEXP:
            return floatMap(ctx, Exp{});
        case Op::kLOG:
            return floatMap(ctx, Log{});
        case Op::kSQRT:
            return floatMap(ctx, Sqrt{});
        case Op::kRECIP:
            return floatMap(ctx, Recip{});
        case Op::kABS:
            return numericMap(ctx, Abs{}, IntAbs{});
        case Op::kNEG:
            return numericMap(ctx, Neg{}, IntNeg{});
        case Op::kSIN:
            return floatMap(ctx, Sin{});
        case Op::kCOS:
            return floatMap(ctx, Cos{});
        case Op::kTAN:
            return floatMap(ctx, Tan{});
        case Op::kSINH:
            return floatMap(ctx, Sinh{});
        case Op::kCOSH:
            return floatMap(ctx, Cosh{});
        case Op::kASIN:
            return floatMap(ctx, Asin{});
        case Op::kACOS:
            return floatMap(ctx, Acos{});
        case Op::kATAN:
            return floatMap(ctx, Atan{});
        case Op::kASINH:
            return floatMap(ctx, Asinh{});
        case Op::kACOSH:
            return floatMap(ctx, Acosh{});
        case Op::kATANH:
            return floatMap(ctx, Atanh{});
        case Op::kCEIL:
            return floatMap(ctx, Ceil{});
        case Op::kFLOOR:
            return floatMap(ctx, Floor{});
        case Op::kERF:
            return floatMap(ctx, Erf{});
        case Op::kSIGN:
            return numericMap(ctx, Sign{}, IntSign{});
        case Op::kROUND:
            return floatMap(ctx, Round{});
        case Op::kISINF:
            return floatTest(ctx, IsInf{});
        case Op::kISNAN:
            return floatTest(ctx, IsNan{});
        case Op::kNOT:
            if (t != DataType::kBOOL)
                return internalError(std::string(kName) + ": NOT takes bool, got " + dataTypeName(t));
            return launchMap<Bool, Bool>(ctx.inputs[0], ctx.outputs[0], ctx.stream, Not{}, kName);
    }
    return internalError(std::string(kName) + ": unknown operation " +
                         std::to_string(static_cast<int32_t>(attrs.op)));
}

}  // namespace kiln::cuda
