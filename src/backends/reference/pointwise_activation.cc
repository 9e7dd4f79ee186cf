// Reference kernel for Activation: every ActivationType of include/kiln/layer_types.h, on the float types,
// computed in double and rounded once on store. Formulas follow the enum's comments (TensorRT's semantics);
// where the written formula overflows in double for large inputs (softplus), an equal form that does not is
// used. NaN inputs give NaN outputs, including for the clamping activations.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "backends/reference/kernels.h"
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

Status runActivation(const ir::ActivationAttrs& attrs, const KernelContext& ctx) {
    const DataType t = ctx.inputs[0].type;
    if (!isFloatType(t) || ctx.outputs[0].type != t)
        return internalError(std::string("Activation kernel: unsupported types ") + dataTypeName(t) + " -> " +
                             dataTypeName(ctx.outputs[0].type));
    const double alpha = attrs.alpha;
    const double beta = attrs.beta;
    using A = ActivationType;
    switch (attrs.type) {
        case A::kRELU:
            return map(ctx, [](double x) { return x < 0 ? 0.0 : x; });
        case A::kSIGMOID:
            return map(ctx, sigmoid);
        case A::kTANH:
            return map(ctx, [](double x) { return std::tanh(x); });
        case A::kLEAKY_RELU:
            return map(ctx, [=](double x) { return x >= 0 ? x : alpha * x; });
        case A::kELU:
            return map(ctx, [=](double x) { return x >= 0 ? x : alpha * std::expm1(x); });
        case A::kSELU:
            return map(ctx, [=](double x) { return beta * (x >= 0 ? x : alpha * std::expm1(x)); });
        case A::kSOFTSIGN:
            return map(ctx, [](double x) { return x / (1.0 + std::fabs(x)); });
        case A::kSOFTPLUS:
            return map(ctx, [=](double x) { return alpha * softplus(beta * x); });
        case A::kCLIP:
            return map(ctx, [=](double x) { return std::isnan(x) ? x : std::max(alpha, std::min(beta, x)); });
        case A::kHARD_SIGMOID:
            return map(ctx, [=](double x) { return clamp(alpha * x + beta, 0.0, 1.0); });
        case A::kSCALED_TANH:
            return map(ctx, [=](double x) { return alpha * std::tanh(beta * x); });
        case A::kTHRESHOLDED_RELU:
            return map(ctx, [=](double x) { return x > alpha || std::isnan(x) ? x : 0.0; });
        case A::kGELU_ERF:
            return map(ctx, [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); });
        case A::kGELU_TANH:
            return map(ctx, [](double x) {
                const double k = std::sqrt(2.0 / std::numbers::pi);
                return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
            });
        case A::kSILU:
            return map(ctx, [](double x) { return x * sigmoid(x); });
        case A::kHARD_SWISH:
            return map(ctx, [](double x) { return x * clamp(x / 6.0 + 0.5, 0.0, 1.0); });
    }
    return internalError("Activation kernel: unknown type " +
                         std::to_string(static_cast<int32_t>(attrs.type)));
}

}  // namespace kiln::reference
