// Reference kernel for Activation: every ActivationType of include/kiln/layer_types.h, on the float types,
// computed in double and rounded once on store. Formulas follow the enum's comments (TensorRT's semantics);
// where the written formula overflows in double for large inputs (softplus), an equal form that does not is
// used. NaN inputs give NaN outputs, including for the clamping activations.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "backends/reference/kernels.h"
#include "backends/reference/pointwise_math.h"
#include "backends/reference/pointwise_util.h"

namespace kiln::reference {
namespace {

template <class F>
Status map(const KernelContext& ctx, F f) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    pointwise::parallelRange(ctx, x.numel(), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            pointwise::storeFloat(out.type, out.data, i, f(loadAsDouble(x.type, x.data, i)));
    });
    return Status::ok();
}

double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

/// max(lo, min(hi, v)) that lets NaN through (std::min/max would return a bound for NaN).
double clamp(double v, double lo, double hi) {
    if (std::isnan(v)) return v;
    return v < lo ? lo : v > hi ? hi : v;
}

/// log(exp(t) + 1) without overflow: for t > 0 it equals t + log(1 + exp(-t)).
double softplus(double t) {
    return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t));
}

}  // namespace

double activationValue(ActivationType type, double alpha, double beta, double x) {
    using A = ActivationType;
    switch (type) {
        case A::kRELU:
            return x < 0 ? 0.0 : x;
        case A::kSIGMOID:
            return sigmoid(x);
        case A::kTANH:
            return std::tanh(x);
        case A::kLEAKY_RELU:
            return x >= 0 ? x : alpha * x;
        case A::kELU:
            return x >= 0 ? x : alpha * std::expm1(x);
        case A::kSELU:
            return beta * (x >= 0 ? x : alpha * std::expm1(x));
        case A::kSOFTSIGN:
            return x / (1.0 + std::fabs(x));
        case A::kSOFTPLUS:
            return alpha * softplus(beta * x);
        case A::kCLIP:
            return std::isnan(x) ? x : std::max(alpha, std::min(beta, x));
        case A::kHARD_SIGMOID:
            return clamp(alpha * x + beta, 0.0, 1.0);
        case A::kSCALED_TANH:
            return alpha * std::tanh(beta * x);
        case A::kTHRESHOLDED_RELU:
            return x > alpha || std::isnan(x) ? x : 0.0;
        case A::kGELU_ERF:
            return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
        case A::kGELU_TANH: {
            const double k = std::sqrt(2.0 / std::numbers::pi);
            return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
        }
        case A::kSILU:
            return x * sigmoid(x);
        case A::kHARD_SWISH:
            return x * clamp(x / 6.0 + 0.5, 0.0, 1.0);
    }
    return std::numeric_limits<double>::quiet_NaN();
}

Status runActivation(const ir::ActivationAttrs& attrs, const KernelContext& ctx) {
    const DataType t = ctx.inputs[0].type;
    if (!isFloatType(t) || ctx.outputs[0].type != t)
        return internalError(std::string("Activation kernel: unsupported types ") + dataTypeName(t) + " -> " +
                             dataTypeName(ctx.outputs[0].type));
    // An unknown type (refused by inference and the plan reader) would give NaN, never a misread.
    const ActivationType type = attrs.type;
    const double alpha = attrs.alpha;
    const double beta = attrs.beta;
    return map(ctx, [=](double x) { return activationValue(type, alpha, beta, x); });
}

}  // namespace kiln::reference
