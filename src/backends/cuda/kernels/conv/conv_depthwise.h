// The own depthwise Convolution tactic (conv_depthwise_direct.cu) as runConvolution (conv_cudnn.cc) uses
// it: its autotuner id and name, when it applies (planDepthwise, host-only, so the CPU unit tests check
// the decision) and the launch with the whole epilogue fused.
#pragma once

#include <string>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/conv/conv_depthwise_launch.h"

namespace kiln::cuda {

/// KernelContext::tactic of the own depthwise kernel: outside cudnnConvolutionFwdAlgo_t's range (0..7),
/// so a plan's tactic id says which of the two runs.
constexpr int64_t kDepthwiseTactic = 1000;
constexpr const char* kDepthwiseTacticName = "own_depthwise_direct";

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

}  // namespace kiln::cuda
