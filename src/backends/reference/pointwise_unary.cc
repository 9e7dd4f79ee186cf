// Reference kernel for Unary. Float inputs compute in double (std:: math) and round once on store; ABS, NEG
// and SIGN also take integers, computed in int64 with two's complement wrap-around (ABS(-128) in int8 stays
// -128, as in numpy); NOT maps bool to bool; ISINF and ISNAN map floats to bool.
#include <cmath>
#include <limits>

#include "backends/reference/kernels.h"
#include "backends/reference/pointwise_math.h"
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

double unaryValue(UnaryOperation op, double x) {
    using Op = UnaryOperation;
    switch (op) {
        case Op::kEXP:
            return std::exp(x);
        case Op::kLOG:
            return std::log(x);
        case Op::kSQRT:
            return std::sqrt(x);
        case Op::kRECIP:
            return 1.0 / x;
        case Op::kABS:
            return std::fabs(x);
        case Op::kNEG:
            return -x;
        case Op::kSIN:
            return std::sin(x);
        case Op::kCOS:
            return std::cos(x);
        case Op::kTAN:
            return std::tan(x);
        case Op::kSINH:
            return std::sinh(x);
        case Op::kCOSH:
            return std::cosh(x);
        case Op::kASIN:
            return std::asin(x);
        case Op::kACOS:
            return std::acos(x);
        case Op::kATAN:
            return std::atan(x);
        case Op::kASINH:
            return std::asinh(x);
        case Op::kACOSH:
            return std::acosh(x);
        case Op::kATANH:
            return std::atanh(x);
        case Op::kCEIL:
            return std::ceil(x);
        case Op::kFLOOR:
            return std::floor(x);
        case Op::kERF:
            return std::erf(x);
        case Op::kNOT:
            return x == 0.0 ? 1.0 : 0.0;
        case Op::kSIGN:
            return floatSign(x);
        case Op::kROUND:
            return roundHalfEven(x);
        case Op::kISINF:
            return std::isinf(x) ? 1.0 : 0.0;
        case Op::kISNAN:
            return std::isnan(x) ? 1.0 : 0.0;
    }
    return std::numeric_limits<double>::quiet_NaN();
}

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
    const Op op = attrs.op;
    if (op == Op::kISINF || op == Op::kISNAN)
        return map<true>(ctx, [op](double x) { return unaryValue(op, x) != 0.0; });
    if (op == Op::kNOT) return map<false>(ctx, [](int64_t x) { return static_cast<int64_t>(x == 0); });
    if (fl) return map<true>(ctx, [op](double x) { return unaryValue(op, x); });
    // Integers (typesOk let only ABS, NEG and SIGN through), in int64 with wrap-around.
    if (op == Op::kABS) return map<false>(ctx, [](int64_t x) { return x < 0 ? wrapNeg(x) : x; });
    if (op == Op::kNEG) return map<false>(ctx, wrapNeg);
    if (op == Op::kSIGN) return map<false>(ctx, [](int64_t x) { return static_cast<int64_t>((x > 0) - (x < 0)); });
    return internalError("Unary kernel: unknown operation " + std::to_string(static_cast<int32_t>(attrs.op)));
}

}  // namespace kiln::reference
