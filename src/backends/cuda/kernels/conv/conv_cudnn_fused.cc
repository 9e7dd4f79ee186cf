// runFusedConv (see conv_cudnn_fused.h): cudnnConvolutionBiasActivationForward with cuDNN's ranked
// algorithms, filtered by what the call accepts.
#include "backends/cuda/kernels/conv/conv_cudnn_fused.h"

#include <algorithm>
#include <vector>

#include "backends/cuda/cuda_status.h"

namespace kiln::cuda::conv_cudnn {
namespace {

using ActivationDesc = CudnnObject<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor,
                                   cudnnDestroyActivationDescriptor>;

}  // namespace

bool fusedConvApplies(const ir::EpilogueAttrs& e, const TensorRef* bias, const TensorRef* addend, const TensorRef& y) {
    if (!bias || bias->type != y.type) return false;
    if (addend && addend->type != y.type) return false;
    // Bias alone gains nothing from the fused call, which then runs only IMPLICIT_PRECOMP_GEMM: the plain
    // convolution (any algorithm) and the bias kernel serve it.
    if (!addend && !e.hasActivation) return false;
    return !e.hasActivation || e.activation == ActivationType::kRELU;
}

void keepIdentityCapableAlgos(std::vector<cudnnConvolutionFwdAlgoPerf_t>& perf) {
    // The identity activation is only implemented with IMPLICIT_PRECOMP_GEMM (cuDNN's documentation).
    perf.erase(std::remove_if(perf.begin(), perf.end(),
                              [](const cudnnConvolutionFwdAlgoPerf_t& p) {
                                  return p.algo != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
                              }),
               perf.end());
}

Status runFusedConv(const char* op, const FusedConvArgs& args, const ir::EpilogueAttrs& e, const TensorRef& bias,
                    const TensorRef* addend, const Scratch& scratch, const std::string& what,
                    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf) {
    TensorDesc biasDesc;
    KILN_RETURN_IF_ERROR(biasDesc.create());
    const int64_t ones[kSpatial] = {1, 1, 1};
    KILN_RETURN_IF_ERROR(setTensor(op, biasDesc, args.dataType, 1, args.k, ones, args.rank));
    ActivationDesc actDesc;
    KILN_RETURN_IF_ERROR(actDesc.create());
    const bool relu = e.hasActivation;  // fusedConvApplies admits only ReLU
    // NaN propagates, as in the Activation kernel (relu(NaN) is NaN there too).
    KILN_CUDNN_RETURN_IF_ERROR(cudnnSetActivationDescriptor(
        actDesc.get(), relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY, CUDNN_PROPAGATE_NAN, 0.0));

    // The identity activation is only implemented with IMPLICIT_PRECOMP_GEMM (cuDNN's documentation).
    if (!relu) keepIdentityCapableAlgos(perf);
    const float alpha1 = 1.0f;
    // Without an addend z is y with alpha2 = 0: cuDNN then does not use z's values.
    const float alpha2 = addend ? 1.0f : 0.0f;
    const void* z = addend ? addend->data : args.y;
    return runFirstAccepted(
        op, perf, static_cast<int>(perf.size()), scratch, what + " with a fused bias/activation epilogue",
        [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
            return cudnnGetConvolutionForwardWorkspaceSize(args.handle, args.xDesc->get(), args.wDesc->get(),
                                                           args.convDesc->get(), args.yDesc->get(), algo, bytes);
        },
        [&](cudnnConvolutionFwdAlgo_t algo, void* ws, size_t bytes) {
            return cudnnConvolutionBiasActivationForward(
                args.handle, &alpha1, args.xDesc->get(), args.x, args.wDesc->get(), args.w, args.convDesc->get(),
                algo, ws, bytes, &alpha2, args.yDesc->get(), z, biasDesc.get(), bias.data, actDesc.get(),
                args.yDesc->get(), args.y);
        });
}

}  // namespace kiln::cuda::conv_cudnn
