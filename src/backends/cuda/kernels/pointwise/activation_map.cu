// CUDA kernel for Activation: every ActivationType on float32, float16, bfloat16 and float8_e4m3, computed
// in float32 with CUDA's accurate (not fast-math) functions and rounded once on store. The formulas are the
// reference's (backends/reference/pointwise_activation.cc), including its NaN rules: NaN inputs give NaN,
// also through the clamping activations, and softplus uses the form that does not overflow.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/pointwise/map.cuh"

namespace kiln::cuda {
namespace {

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
            return run(ctx, Relu{});
        case A::kSIGMOID:
            return run(ctx, Sigmoid{});
        case A::kTANH:
            return run(ctx, Tanh{});
        case A::kLEAKY_RELU:
            return run(ctx, LeakyRelu{a});
        case A::kELU:
            return run(ctx, Elu{a});
        case A::kSELU:
            return run(ctx, Selu{a, b});
        case A::kSOFTSIGN:
            return run(ctx, Softsign{});
        case A::kSOFTPLUS:
            return run(ctx, Softplus{a, b});
        case A::kCLIP:
            return run(ctx, Clip{a, b});
        case A::kHARD_SIGMOID:
            return run(ctx, HardSigmoid{a, b});
        case A::kSCALED_TANH:
            return run(ctx, ScaledTanh{a, b});
        case A::kTHRESHOLDED_RELU:
            return run(ctx, ThresholdedRelu{a});
        case A::kGELU_ERF:
            return run(ctx, GeluErf{});
        case A::kGELU_TANH:
            return run(ctx, GeluTanh{});
        case A::kSILU:
            return run(ctx, Silu{});
        case A::kHARD_SWISH:
            return run(ctx, HardSwish{});
    }
    return internalError("Activation kernel: unknown type " +
                         std::to_string(static_cast<int32_t>(attrs.type)));
}

}  // namespace kiln::cuda
