// The own depthwise Convolution tactics as runConvolution (conv_cudnn.cc) uses them, one per layout:
// channels-first (conv_depthwise_direct.cu) and channels-last (conv_depthwise_nhwc.cu). For each: its
// autotuner id and name, when it applies (planDepthwise / planDepthwiseNhwc, host-only, so the CPU unit
// tests check the decision) and the launch with the whole epilogue fused.
#pragma once

#include <string>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/conv/conv_depthwise_launch.h"
#include "backends/cuda/kernels/conv/conv_depthwise_nhwc_launch.h"

namespace kiln::cuda {

/// KernelContext::tactic of the own depthwise kernel: outside cudnnConvolutionFwdAlgo_t's range (0..7),
/// so a plan's tactic id says which of the two runs.
constexpr int64_t kDepthwiseTactic = 1000;
constexpr const char* kDepthwiseTacticName = "own_depthwise_direct";
/// KernelContext::tactic of the own channels-last depthwise kernel (a.channelsLast convolutions).
constexpr int64_t kDepthwiseNhwcTactic = 1001;
constexpr const char* kDepthwiseNhwcTacticName = "own_depthwise_nhwc";

struct DepthwisePlan {
    dw::DepthwiseGeometry geometry{};
    dw::DepthwiseTiling tiling{};
};

/// Plans the kernel for Convolution `a` on x, w, y (bias and addend optional): an empty string and *out
/// set when it applies, else why not. It applies to 1-D and 2-D convolutions with groups == C == K and
/// one filter per channel, windows up to kMaxKernel per dim, x, w, y (and the addend) of one type among
/// float32, float16 and bfloat16, a float bias, every index below dw::kIndexLimit and a tile that fits
/// shared memory.
std::string planDepthwise(const ir::ConvolutionAttrs& a, const TensorRef& x, const TensorRef& w,
                          const TensorRef& y, const TensorRef* bias, const TensorRef* addend,
                          DepthwisePlan* out);

/// Enqueues the kernel for a plan planDepthwise made from ctx's tensors: y = act(conv + bias + addend).
Status runDepthwiseDirect(const ir::ConvolutionAttrs& a, const KernelContext& ctx, const DepthwisePlan& plan);

struct DepthwiseNhwcPlan {
    dw::NhwcGeometry geometry{};
    dw::NhwcTiling tiling{};
};

/// Plans the channels-last kernel for Convolution `a` on x, w, y as the kernel gets them (x, y and the
/// addend [N, H, W, C], w [C, kh, kw, 1]): an empty string and *out set when it applies, else why not.
/// It applies to 2-D channels-last convolutions with groups == C == K, one filter per channel, at most
/// 65535 channels and dw::kNhwcMaxTaps window taps, the same types, bias and addend as planDepthwise,
/// and every index below dw::kIndexLimit. Whether it applies never depends on the pointers; how wide
/// the channel vectors are does (dw::nhwcVectorWidth of x, y and the addend), so plan with the tensors
/// that will run.
std::string planDepthwiseNhwc(const ir::ConvolutionAttrs& a, const TensorRef& x, const TensorRef& w,
                              const TensorRef& y, const TensorRef* bias, const TensorRef* addend,
                              DepthwiseNhwcPlan* out);

/// Enqueues the channels-last kernel for a plan planDepthwiseNhwc made from ctx's tensors.
Status runDepthwiseNhwc(const ir::ConvolutionAttrs& a, const KernelContext& ctx,
                        const DepthwiseNhwcPlan& plan);

}  // namespace kiln::cuda
