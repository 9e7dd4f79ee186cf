// Convolution's fused epilogue through cuDNN's cudnnConvolutionBiasActivationForward:
// y = act(conv(x, w) + z + bias) in one call, with z the addend (alpha2 = 1) or, without one, y itself
// with alpha2 = 0. cuDNN's legacy call takes only ReLU or identity, and identity only with
// CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM; other epilogues run as conv + bias kernel +
// ElementWise + Activation (conv_cudnn.cc). Kept apart from conv_cudnn.cc so the algorithm choice of the
// plain convolution can change independently.
#pragma once

#include <string>
#include <vector>

#include "backends/cuda/kernels/conv/conv_cudnn_common.h"

namespace kiln::cuda::conv_cudnn {

/// Whether the fused call can take this epilogue: a bias present and of y's type (cuDNN's configurations
/// give the bias the output's type), an addend (when present) of y's type, and no activation or ReLU.
bool fusedConvApplies(const ir::EpilogueAttrs& e, const TensorRef* bias, const TensorRef* addend, const TensorRef& y);

/// runConvolution's descriptors and buffers, set up as for cudnnConvolutionForward.
struct FusedConvArgs {
    cudnnHandle_t handle{nullptr};
    const TensorDesc* xDesc{nullptr};
    const FilterDesc* wDesc{nullptr};
    const ConvDesc* convDesc{nullptr};
    const TensorDesc* yDesc{nullptr};
    const void* x{nullptr};  ///< the (possibly zero-padded, staged) input xDesc describes
    const void* w{nullptr};
    void* y{nullptr};
    cudnnDataType_t dataType{CUDNN_DATA_FLOAT};  ///< of x, w, y, the addend and the bias
    int64_t k{0};  ///< output channels
    int rank{2};   ///< cuDNN spatial rank (cudnnSpatialRank)
};

/// Drops the algorithms cudnnConvolutionBiasActivationForward cannot run with the identity activation.
void keepIdentityCapableAlgos(std::vector<cudnnConvolutionFwdAlgoPerf_t>& perf);

/// Runs the fused call with the first of `perf` (the builder's tuned algorithm, or cuDNN's ranking) that
/// fits `scratch` and that it accepts (only IMPLICIT_PRECOMP_GEMM without an activation). An unsupported
/// Status means no algorithm ran and nothing was enqueued: run the unfused path instead. `what` describes
/// the layer for messages.
Status runFusedConv(const char* op, const FusedConvArgs& args, const ir::EpilogueAttrs& e, const TensorRef& bias,
                    const TensorRef* addend, const Scratch& scratch, const std::string& what,
                    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf);

}  // namespace kiln::cuda::conv_cudnn
