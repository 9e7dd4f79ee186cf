// CUDA kernel for Activation: every ActivationType on float32, float16, bfloat16 and float8_e4m3, computed
// in float32 with CUDA's accurate (not fast-math) functions and rounded once on store. The formulas are the
// reference's (backends/reference/pointwise_activation.cc), including its NaN rules: NaN inputs give NaN,
// also through the clamping activations, and softplus uses the form that does not overflow.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/pointwise/map.cuh"
#include "backends/cuda/kernels/pointwise/pointwise_functors.cuh"

namespace kiln::cuda {
namespace {

template <class F>
Status run(const KernelContext& ctx, F f) {
    const TensorRef& x = ctx.inputs[0];
    return withFloatStorage(x.type, "Activation kernel", [&](auto tag) {
        using S = decltype(tag);
        return launchMap<S, S>(x, ctx.outputs[0], ctx.stream, f, "Activation kernel");
    });
}

}  // namespace

Status runActivation(const ir::ActivationAttrs& attrs, const KernelContext& ctx) {
    const DataType t = ctx.inputs[0].type;
    if (ctx.outputs[0].type != t)
        return internalError(std::string("Activation kernel: output type ") +
                             dataTypeName(ctx.outputs[0].type) + " differs from the input type " +
                             dataTypeName(t));
    const float a = attrs.alpha;
    const float b = attrs.beta;
    using A = ActivationType;
    switch (attrs.type) {
        case A::kRELU:
            return run(ctx, fn::Relu{});
        case A::kSIGMOID:
            return run(ctx, fn::Sigmoid{});
        case A::kTANH:
            return run(ctx, fn::Tanh{});
        case A::kLEAKY_RELU:
            return run(ctx, fn::LeakyRelu{a});
        case A::kELU:
            return run(ctx, fn::Elu{a});
        case A::kSELU:
            return run(ctx, fn::Selu{a, b});
        case A::kSOFTSIGN:
            return run(ctx, fn::Softsign{});
        case A::kSOFTPLUS:
            return run(ctx, fn::Softplus{a, b});
        case A::kCLIP:
            return run(ctx, fn::Clip{a, b});
        case A::kHARD_SIGMOID:
            return run(ctx, fn::HardSigmoid{a, b});
        case A::kSCALED_TANH:
            return run(ctx, fn::ScaledTanh{a, b});
        case A::kTHRESHOLDED_RELU:
            return run(ctx, fn::ThresholdedRelu{a});
        case A::kGELU_ERF:
            return run(ctx, fn::GeluErf{});
        case A::kGELU_TANH:
            return run(ctx, fn::GeluTanh{});
        case A::kSILU:
            return run(ctx, fn::Silu{});
        case A::kHARD_SWISH:
            return run(ctx, fn::HardSwish{});
    }
    return internalError("Activation kernel: unknown type " +
                         std::to_string(static_cast<int32_t>(attrs.type)));
}

}  // namespace kiln::cuda
