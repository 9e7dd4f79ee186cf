// Reference kernel for ElementWise: numpy-broadcast binary arithmetic, comparisons and logic. Float inputs
// compute in double and round once on store. Integer inputs compute in int64 with two's complement
// wrap-around (numpy's behaviour), stored modulo the output width; division and remainder by zero give 0
// (numpy's result, where C++ would be undefined), and POW with a negative exponent gives the truncated real
// result (1 for base 1, +-1 for base -1, else 0). DIV truncates toward zero (ONNX Div), FLOOR_DIV floors,
// MOD takes the divisor's sign (Python %), FMOD the dividend's (C fmod).
#include <cmath>
#include <limits>

#include "backends/reference/kernels.h"
#include "backends/reference/pointwise_math.h"
#include "backends/reference/pointwise_util.h"

namespace kiln::reference {
namespace {

using pointwise::BroadcastWalk;

void storeResult(const TensorRef& out, int64_t i, double v) {
    pointwise::storeFloat(out.type, out.data, i, v);
}
void storeResult(const TensorRef& out, int64_t i, int64_t v) {
    storeFromInt64(out.type, out.data, i, v);
}
void storeResult(const TensorRef& out, int64_t i, bool v) {
    static_cast<uint8_t*>(out.data)[i] = v ? 1 : 0;
}

template <class T>
T load(const TensorRef& t, int64_t i);
template <>
double load<double>(const TensorRef& t, int64_t i) {
    return loadAsDouble(t.type, t.data, i);
}
template <>
int64_t load<int64_t>(const TensorRef& t, int64_t i) {
    return loadAsInt64(t.type, t.data, i);
}

/// Runs out[i] = f(a[ia], b[ib]) over the broadcast output, loading both inputs as T (double or int64).
template <class T, class F>
Status apply(const KernelContext& ctx, F f) {
    const TensorRef& a = ctx.inputs[0];
    const TensorRef& b = ctx.inputs[1];
    const TensorRef& out = ctx.outputs[0];
    KILN_ASSIGN_OR_RETURN(BroadcastWalk<2> walk, BroadcastWalk<2>::make(out.shape, {a.shape, b.shape}));
    pointwise::parallelRange(ctx, out.numel(), [&](int64_t begin, int64_t end) {
        walk.forRange(begin, end, [&](int64_t i, const std::array<int64_t, 2>& idx) {
            storeResult(out, i, f(load<T>(a, idx[0]), load<T>(b, idx[1])));
        });
    });
    return Status::ok();
}

// Integer arithmetic in uint64 wraps instead of overflowing (signed overflow is undefined in C++).
int64_t wrapAdd(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapSub(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

int64_t intDiv(int64_t a, int64_t b) {
    if (b == 0) return 0;
    if (b == -1) return wrapSub(0, a);  // INT64_MIN / -1 wraps to INT64_MIN
    return a / b;
}

int64_t intFloorDiv(int64_t a, int64_t b) {
    if (b == 0) return 0;
    if (b == -1) return wrapSub(0, a);
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) --q;
    return q;
}

int64_t intFmod(int64_t a, int64_t b) {
    if (b == 0 || b == -1) return 0;  // x % -1 is 0, but INT64_MIN % -1 is undefined in C++
    return a % b;
}

int64_t intMod(int64_t a, int64_t b) {
    int64_t r = intFmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

int64_t intPow(int64_t base, int64_t e) {
    if (e < 0) {
        if (base == 1) return 1;
        if (base == -1) return (e & 1) ? -1 : 1;
        return 0;
    }
    uint64_t result = 1;
    uint64_t b = static_cast<uint64_t>(base);
    while (e != 0) {
        if (e & 1) result *= b;
        b *= b;
        e >>= 1;
    }
    return static_cast<int64_t>(result);
}

double floatMax(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
    return a > b ? a : b;
}

double floatMin(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
    return a < b ? a : b;
}

double floatMod(double a, double b) {
    double r = std::fmod(a, b);
    if (r == 0) return std::copysign(0.0, b);  // Python: a zero remainder takes the divisor's sign too
    if ((r < 0) != (b < 0)) r += b;
    return r;
}

}  // namespace

double elementWiseValue(ElementWiseOperation op, double a, double b) {
    using Op = ElementWiseOperation;
    switch (op) {
        case Op::kSUM:
            return a + b;
        case Op::kPROD:
            return a * b;
        case Op::kSUB:
            return a - b;
        case Op::kMAX:
            return floatMax(a, b);
        case Op::kMIN:
            return floatMin(a, b);
        case Op::kDIV:
            return a / b;
        case Op::kFLOOR_DIV:
            return std::floor(a / b);
        case Op::kPOW:
            return std::pow(a, b);
        case Op::kMOD:
            return floatMod(a, b);
        case Op::kFMOD:
            return std::fmod(a, b);
        case Op::kAND:
            return a != 0 && b != 0 ? 1.0 : 0.0;
        case Op::kOR:
            return a != 0 || b != 0 ? 1.0 : 0.0;
        case Op::kXOR:
            return (a != 0) != (b != 0) ? 1.0 : 0.0;
        case Op::kEQUAL:
            return a == b ? 1.0 : 0.0;
        case Op::kGREATER:
            return a > b ? 1.0 : 0.0;
        case Op::kLESS:
            return a < b ? 1.0 : 0.0;
    }
    return std::numeric_limits<double>::quiet_NaN();
}

Status runElementWise(const ir::ElementWiseAttrs& attrs, const KernelContext& ctx) {
    const DataType t = ctx.inputs[0].type;
    const DataType outType = ctx.outputs[0].type;
    if (ctx.inputs[1].type != t)
        return internalError(std::string("ElementWise kernel: input types differ: ") + dataTypeName(t) +
                             " and " + dataTypeName(ctx.inputs[1].type));
    const bool fl = isFloatType(t);
    const bool in = isIntegerType(t);
    using Op = ElementWiseOperation;
    bool arithmetic = true;
    switch (attrs.op) {
        case Op::kSUM:
        case Op::kPROD:
        case Op::kMAX:
        case Op::kMIN:
        case Op::kSUB:
        case Op::kDIV:
        case Op::kPOW:
        case Op::kFLOOR_DIV:
        case Op::kMOD:
        case Op::kFMOD:
            break;
        case Op::kAND:
        case Op::kOR:
        case Op::kXOR:
        case Op::kEQUAL:
        case Op::kGREATER:
        case Op::kLESS:
            arithmetic = false;
            break;
    }
    if (arithmetic ? (!(fl || in) || outType != t) : outType != DataType::kBOOL)
        return internalError(std::string("ElementWise kernel: unsupported types ") + dataTypeName(t) +
                             " -> " + dataTypeName(outType) + " for operation " +
                             std::to_string(static_cast<int32_t>(attrs.op)));
    const Op op = attrs.op;
    const bool boolOut = !arithmetic;
    if (fl && boolOut) return apply<double>(ctx, [op](double a, double b) { return elementWiseValue(op, a, b) != 0.0; });
    if (fl) return apply<double>(ctx, [op](double a, double b) { return elementWiseValue(op, a, b); });
    switch (op) {
        case Op::kSUM:
            return apply<int64_t>(ctx, wrapAdd);
        case Op::kPROD:
            return apply<int64_t>(ctx, wrapMul);
        case Op::kSUB:
            return apply<int64_t>(ctx, wrapSub);
        case Op::kMAX:
            return apply<int64_t>(ctx, [](int64_t a, int64_t b) { return a > b ? a : b; });
        case Op::kMIN:
            return apply<int64_t>(ctx, [](int64_t a, int64_t b) { return a < b ? a : b; });
        case Op::kDIV:
            return apply<int64_t>(ctx, intDiv);
        case Op::kFLOOR_DIV:
            return apply<int64_t>(ctx, intFloorDiv);
        case Op::kPOW:
            return apply<int64_t>(ctx, intPow);
        case Op::kMOD:
            return apply<int64_t>(ctx, intMod);
        case Op::kFMOD:
            return apply<int64_t>(ctx, intFmod);
        case Op::kAND:
            return apply<int64_t>(ctx, [](int64_t a, int64_t b) { return a != 0 && b != 0; });
        case Op::kOR:
            return apply<int64_t>(ctx, [](int64_t a, int64_t b) { return a != 0 || b != 0; });
        case Op::kXOR:
            return apply<int64_t>(ctx, [](int64_t a, int64_t b) { return (a != 0) != (b != 0); });
        case Op::kEQUAL:
            return apply<int64_t>(ctx, [](int64_t a, int64_t b) { return a == b; });
        case Op::kGREATER:
            return apply<int64_t>(ctx, [](int64_t a, int64_t b) { return a > b; });
        case Op::kLESS:
            return apply<int64_t>(ctx, [](int64_t a, int64_t b) { return a < b; });
    }
    return internalError("ElementWise kernel: unknown operation " +
                         std::to_string(static_cast<int32_t>(attrs.op)));
}

}  // namespace kiln::reference
