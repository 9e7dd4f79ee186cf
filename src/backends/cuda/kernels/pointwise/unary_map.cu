// CUDA kernel for Unary: every UnaryOperation, as the reference (backends/reference/pointwise_unary.cc)
// defines it. The float formats compute in float32 with CUDA's accurate functions and round once on store;
// ABS, NEG and SIGN also take int8/uint8/int32/int64, computed in int64 with two's complement wrap-around
// (ABS(-128) in int8 stays -128); NOT maps bool to bool; ISINF and ISNAN map the float formats to bool.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/pointwise/map.cuh"
#include "backends/cuda/kernels/pointwise/pointwise_functors.cuh"

namespace kiln::cuda {
namespace {

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
            return floatMap(ctx, fn::Exp{});
        case Op::kLOG:
            return floatMap(ctx, fn::Log{});
        case Op::kSQRT:
            return floatMap(ctx, fn::Sqrt{});
        case Op::kRECIP:
            return floatMap(ctx, fn::Recip{});
        case Op::kABS:
            return numericMap(ctx, fn::Abs{}, IntAbs{});
        case Op::kNEG:
            return numericMap(ctx, fn::Neg{}, IntNeg{});
        case Op::kSIN:
            return floatMap(ctx, fn::Sin{});
        case Op::kCOS:
            return floatMap(ctx, fn::Cos{});
        case Op::kTAN:
            return floatMap(ctx, fn::Tan{});
        case Op::kSINH:
            return floatMap(ctx, fn::Sinh{});
        case Op::kCOSH:
            return floatMap(ctx, fn::Cosh{});
        case Op::kASIN:
            return floatMap(ctx, fn::Asin{});
        case Op::kACOS:
            return floatMap(ctx, fn::Acos{});
        case Op::kATAN:
            return floatMap(ctx, fn::Atan{});
        case Op::kASINH:
            return floatMap(ctx, fn::Asinh{});
        case Op::kACOSH:
            return floatMap(ctx, fn::Acosh{});
        case Op::kATANH:
            return floatMap(ctx, fn::Atanh{});
        case Op::kCEIL:
            return floatMap(ctx, fn::Ceil{});
        case Op::kFLOOR:
            return floatMap(ctx, fn::Floor{});
        case Op::kERF:
            return floatMap(ctx, fn::Erf{});
        case Op::kSIGN:
            return numericMap(ctx, fn::Sign{}, IntSign{});
        case Op::kROUND:
            return floatMap(ctx, fn::Round{});
        case Op::kISINF:
            return floatTest(ctx, fn::IsInf{});
        case Op::kISNAN:
            return floatTest(ctx, fn::IsNan{});
        case Op::kNOT:
            if (t != DataType::kBOOL)
                return internalError(std::string(kName) + ": NOT takes bool, got " + dataTypeName(t));
            return launchMap<Bool, Bool>(ctx.inputs[0], ctx.outputs[0], ctx.stream, Not{}, kName);
    }
    return internalError(std::string(kName) + ": unknown operation " +
                         std::to_string(static_cast<int32_t>(attrs.op)));
}

}  // namespace kiln::cuda
