// fn::activate: every ActivationType chosen by a run-time value, through the functors of
// pointwise_functors.cuh, for kernels that apply an op's epilogue activation in their own store (the
// depthwise convolution, conv_depthwise_direct.cu) instead of a separate Activation launch, so the
// result is rounded into the output type once, as the reference does. The Activation kernel itself
// (activation_map.cu) keeps one instantiation per functor: there the switch would run per element.
#pragma once

#include "backends/cuda/kernels/pointwise/pointwise_functors.cuh"
#include "kiln/layer_types.h"

namespace kiln::cuda::fn {

__device__ __forceinline__ float activate(ActivationType type, float alpha, float beta, float x) {
    using A = ActivationType;
    switch (type) {
        case A::kRELU:
            return Relu{}(x);
        case A::kSIGMOID:
            return Sigmoid{}(x);
        case A::kTANH:
            return Tanh{}(x);
        case A::kLEAKY_RELU:
            return LeakyRelu{alpha}(x);
        case A::kELU:
            return Elu{alpha}(x);
        case A::kSELU:
            return Selu{alpha, beta}(x);
        case A::kSOFTSIGN:
            return Softsign{}(x);
        case A::kSOFTPLUS:
            return Softplus{alpha, beta}(x);
        case A::kCLIP:
            return Clip{alpha, beta}(x);
        case A::kHARD_SIGMOID:
            return HardSigmoid{alpha, beta}(x);
        case A::kSCALED_TANH:
            return ScaledTanh{alpha, beta}(x);
        case A::kTHRESHOLDED_RELU:
            return ThresholdedRelu{alpha}(x);
        case A::kGELU_ERF:
            return GeluErf{}(x);
        case A::kGELU_TANH:
            return GeluTanh{}(x);
        case A::kSILU:
            return Silu{}(x);
        case A::kHARD_SWISH:
            return HardSwish{}(x);
    }
    return x;  // no other values exist: the IR holds ActivationType enumerators only
}

}  // namespace kiln::cuda::fn
