// Reference kernel for Unary. Float inputs compute in double (std:: math) and round once on store; ABS, NEG
// and SIGN also take integers, computed in int64 with two's complement wrap-around (ABS(-128) in int8 stays
// -128, as in numpy); NOT maps bool to bool; ISINF and ISNAN map floats to bool.
#include <cmath>

#include "backends/reference/kernels.h"
#include "backends/reference/pointwise_util.h"

namespace kiln::reference {
namespace {

/// out[i] = f(x[i]) with x loaded as double (Float = true) or int64, stored as the result type of f.
template <bool Float, class F>
Status map(const KernelContext& ctx, F f) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    if (out.numel() != x.numel())
        return internalError("Unary kernel: output " + toString(out.shape) + " differs from input " +
                             toString(x.shape));
    pointwise::parallelRange(ctx, x.numel(), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            if constexpr (Float) {
                auto r = f(loadAsDouble(x.type, x.data, i));
                if constexpr (std::is_same_v<decltype(r), bool>)
                    static_cast<uint8_t*>(out.data)[i] = r ? 1 : 0;
                else
                    pointwise::storeFloat(out.type, out.data, i, r);
            } else {
                storeFromInt64(out.type, out.data, i, f(loadAsInt64(x.type, x.data, i)));
            }
        }
    });
    return Status::ok();
}

/// Round half to even, independent of the floating-point environment's rounding mode: std::round breaks
/// ties away from zero, so a tie (fraction exactly 0.5, which x - trunc(x) computes exactly) is redone as
/// twice the rounded half.
double roundHalfEven(double x) {
    if (std::fabs(x - std::trunc(x)) == 0.5) return 2.0 * std::round(x / 2.0);
    return std::round(x);
}

double floatSign(double x) {
    if (x > 0) return 1.0;
    if (x < 0) return -1.0;
    return x;  // +-0 and NaN are their own sign
}

int64_t wrapNeg(int64_t a) {
    return static_cast<int64_t>(0 - static_cast<uint64_t>(a));
}

}  // namespace

Status runUnary(const ir::UnaryAttrs& attrs, const KernelContext& ctx) {
    const DataType t = ctx.inputs[0].type;
    const DataType outType = ctx.outputs[0].type;
    const bool fl = isFloatType(t);
    using Op = UnaryOperation;
    // The dtype rules are inference's; these checks only keep a mis-wired call from misreading memory.
    DataType expectedOut = t;
    bool typesOk = fl;
    switch (attrs.op) {
        case Op::kABS:
        case Op::kNEG:
        case Op::kSIGN:
            typesOk = fl || isIntegerType(t);
            break;
        case Op::kNOT:
            typesOk = t == DataType::kBOOL;
            break;
        case Op::kISINF:
        case Op::kISNAN:
            expectedOut = DataType::kBOOL;
            break;
        case Op::kEXP:
        case Op::kLOG:
        case Op::kSQRT:
        case Op::kRECIP:
        case Op::kSIN:
        case Op::kCOS:
        case Op::kTAN:
        case Op::kSINH:
        case Op::kCOSH:
        case Op::kASIN:
        case Op::kACOS:
        case Op::kATAN:
        case Op::kASINH:
        case Op::kACOSH:
        case Op::kATANH:
        case Op::kCEIL:
        case Op::kFLOOR:
        case Op::kERF:
        case Op::kROUND:
            break;
    }
    if (!typesOk || outType != expectedOut)
        return internalError(std::string("Unary kernel: unsupported types ") + dataTypeName(t) + " -> " +
                             dataTypeName(outType) + " for operation " +
                             std::to_string(static_cast<int32_t>(attrs.op)));
    switch (attrs.op) {
        case Op::kEXP:
            return map<true>(ctx, [](double x) { return std::exp(x); });
        case Op::kLOG:
            return map<true>(ctx, [](double x) { return std::log(x); });
        case Op::kSQRT:
            return map<true>(ctx, [](double x) { return std::sqrt(x); });
        case Op::kRECIP:
            return map<true>(ctx, [](double x) { return 1.0 / x; });
        case Op::kABS:
            return fl ? map<true>(ctx, [](double x) { return std::fabs(x); })
                      : map<false>(ctx, [](int64_t x) { return x < 0 ? wrapNeg(x) : x; });
        case Op::kNEG:
            return fl ? map<true>(ctx, [](double x) { return -x; }) : map<false>(ctx, wrapNeg);
        case Op::kSIN:
            return map<true>(ctx, [](double x) { return std::sin(x); });
        case Op::kCOS:
            return map<true>(ctx, [](double x) { return std::cos(x); });
        case Op::kTAN:
            return map<true>(ctx, [](double x) { return std::tan(x); });
        case Op::kSINH:
            return map<true>(ctx, [](double x) { return std::sinh(x); });
        case Op::kCOSH:
            return map<true>(ctx, [](double x) { return std::cosh(x); });
        case Op::kASIN:
            return map<true>(ctx, [](double x) { return std::asin(x); });
        case Op::kACOS:
            return map<true>(ctx, [](double x) { return std::acos(x); });
        case Op::kATAN:
            return map<true>(ctx, [](double x) { return std::atan(x); });
        case Op::kASINH:
            return map<true>(ctx, [](double x) { return std::asinh(x); });
        case Op::kACOSH:
            return map<true>(ctx, [](double x) { return std::acosh(x); });
        case Op::kATANH:
            return map<true>(ctx, [](double x) { return std::atanh(x); });
        case Op::kCEIL:
            return map<true>(ctx, [](double x) { return std::ceil(x); });
        case Op::kFLOOR:
            return map<true>(ctx, [](double x) { return std::floor(x); });
        case Op::kERF:
            return map<true>(ctx, [](double x) { return std::erf(x); });
        case Op::kNOT:
            return map<false>(ctx, [](int64_t x) { return static_cast<int64_t>(x == 0); });
        case Op::kSIGN:
            return fl ? map<true>(ctx, floatSign)
                      : map<false>(ctx, [](int64_t x) { return static_cast<int64_t>((x > 0) - (x < 0)); });
        case Op::kROUND:
            return map<true>(ctx, roundHalfEven);
        case Op::kISINF:
            return map<true>(ctx, [](double x) { return std::isinf(x); });
        case Op::kISNAN:
            return map<true>(ctx, [](double x) { return std::isnan(x); });
    }
    return internalError("Unary kernel: unknown operation " + std::to_string(static_cast<int32_t>(attrs.op)));
}

}  // namespace kiln::reference
