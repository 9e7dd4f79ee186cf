// Deconvolution (transposed convolution, ONNX ConvTranspose) on the GPU through cuDNN's
// cudnnConvolutionBackwardData: the deconvolution's input plays the forward convolution's output
// gradient dy, its kernel [C, K/groups, k...] is the forward filter as is, and its output is dx.
//
// Padding (planDeconvPadding): output position i receives input position j through tap t when
// i = j * stride - pre + t * dilation, which is cuDNN's rule with padding pre. cuDNN takes one symmetric
// padding p per dim, min(pre, post), and a dx extent up to stride - 1 beyond the natural
// (in - 1) * stride + window - 2p, computing every position of it (that is how output padding is
// expressed). When pre == post and the output fits that range, cuDNN writes y directly. Otherwise
// cuDNN writes dx into the workspace and a window copy crops its first pre - p positions and
// zero-fills whatever the output has beyond dx; when even stride - 1 extra positions are too few
// (output padding >= stride, allowed with dilation), p is 0 and dx the uncut output. The bias is added
// by a small own kernel afterwards.
//
// Algorithm: cuDNN's heuristic ranking (cudnnGetConvolutionBackwardDataAlgorithm_v7), the first that
// fits the workspace and that cuDNN accepts. Descriptors and the ranking are made per launch for now;
// the builder's tactic step will time the candidates and cache them per node.
#include <algorithm>
#include <vector>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/conv/conv_cudnn_common.h"

namespace kiln::cuda {

using conv_cudnn::ConvDesc;
using conv_cudnn::FilterDesc;
using conv_cudnn::Geometry;
using conv_cudnn::kSpatial;
using conv_cudnn::TensorDesc;

Status runDeconvolution(const ir::DeconvolutionAttrs& a, const KernelContext& ctx) {
    const char* op = "Deconvolution";
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& w = ctx.inputs[1];
    const TensorRef& y = ctx.outputs[0];
    const TensorRef* bias = ctx.inputs.size() > 2 && ctx.inputs[2].data ? &ctx.inputs[2] : nullptr;
    KILN_ASSIGN_OR_RETURN(Geometry g,
                          reference::conv_detail::kernelGeometry(op, a, x, w, y, /*transposed=*/true));
    const int64_t n = x.shape.d[0], c = x.shape.d[1], k = y.shape.d[1], groups = a.nbGroups;
    KILN_CHECK_ARG(groups >= 1 && c % groups == 0 && k % groups == 0 && w.shape.d[0] == c &&
                       w.shape.d[1] * groups == k && y.shape.d[0] == n,
                   op << ": input " << toString(x.shape) << ", kernel " << toString(w.shape) << ", output "
                      << toString(y.shape) << " and nbGroups " << groups
                      << " disagree (expected kernel [C, K/groups, k...] and output [N, K, ...])");
    KILN_ASSIGN_OR_RETURN(conv_cudnn::TypeInfo t, conv_cudnn::typeInfo(op, x, w, y, bias, k, ctx.allowTf32));
    const int64_t es = dataTypeSize(y.type);
    if (y.numel() == 0) return Status::ok();
    if (x.numel() == 0) {  // nothing to scatter: every output is the bias alone
        KILN_CUDA_RETURN_IF_ERROR(
            cudaMemsetAsync(y.data, 0, static_cast<size_t>(y.numel() * es), ctx.stream));
        return conv_cudnn::addBias(bias, t, y.data, n, k, g.outVolume(), ctx.stream);
    }
    if (!ctx.libraries)
        return invalidState(std::string(op) + " on CUDA needs the context's cuDNN handle, got none (input " +
                            toString(x.shape) + "); create the KernelContext with LibraryHandles");

    KILN_ASSIGN_OR_RETURN(const conv_cudnn::DeconvPadding pad, conv_cudnn::planDeconvPadding(op, g));
    conv_cudnn::Scratch scratch(ctx.workspace, ctx.workspaceSize);
    void* dx = y.data;
    if (!pad.direct) {
        KILN_ASSIGN_OR_RETURN(
            dx, scratch.take(op, "the uncropped output (asymmetric or output padding)",
                             conv_cudnn::stagingBytes(n * k * pad.dx[0] * pad.dx[1] * pad.dx[2], es)));
    }

    const int rank = conv_cudnn::cudnnSpatialRank(g);
    TensorDesc dyDesc, dxDesc;
    FilterDesc wDesc;
    ConvDesc convDesc;
    KILN_RETURN_IF_ERROR(dyDesc.create());
    KILN_RETURN_IF_ERROR(dxDesc.create());
    KILN_RETURN_IF_ERROR(wDesc.create());
    KILN_RETURN_IF_ERROR(convDesc.create());
    KILN_RETURN_IF_ERROR(conv_cudnn::setTensor(op, dyDesc, t.data, n, c, g.in, rank));
    KILN_RETURN_IF_ERROR(conv_cudnn::setTensor(op, dxDesc, t.data, n, k, pad.dx, rank));
    KILN_RETURN_IF_ERROR(conv_cudnn::setFilter(op, wDesc, t.data, c, k / groups, g.kernel, rank));
    KILN_RETURN_IF_ERROR(conv_cudnn::setConvolution(op, convDesc, pad.sym, g, groups, t));

    // The forward convolution of dx must give back the input's extents, or cuDNN would reject the pair.
    int fwdOut[2 + kSpatial] = {};
    KILN_CUDNN_RETURN_IF_ERROR(
        cudnnGetConvolutionNdForwardOutputDim(convDesc.get(), dxDesc.get(), wDesc.get(), rank + 2, fwdOut));
    for (int i = 0; i < rank; ++i)
        if (fwdOut[2 + i] != g.in[kSpatial - rank + i])
            return internalError(std::string(op) + " on CUDA: the cuDNN output extent " +
                                 std::to_string(pad.dx[kSpatial - rank + i]) + " of spatial dim " +
                                 std::to_string(i) + " maps back to " + std::to_string(fwdOut[2 + i]) +
                                 " input positions, expected those of " + toString(x.shape) + " (output " +
                                 toString(y.shape) + ")");

    KILN_ASSIGN_OR_RETURN(cudnnHandle_t handle, ctx.libraries->cudnnOn(ctx.stream));
    int maxAlgos = 0;
    KILN_CUDNN_RETURN_IF_ERROR(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &maxAlgos));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(static_cast<size_t>(std::max(maxAlgos, 1)));
    int found = 0;
    KILN_CUDNN_RETURN_IF_ERROR(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        handle, wDesc.get(), dyDesc.get(), convDesc.get(), dxDesc.get(), static_cast<int>(perf.size()),
        &found, perf.data()));
    const float alpha = 1.0f, beta = 0.0f;
    KILN_RETURN_IF_ERROR(conv_cudnn::runFirstAccepted(
        op, perf, found, scratch,
        "input " + toString(x.shape) + " with kernel " + toString(w.shape) + " (" + dataTypeName(y.type) +
            ")",
        [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
            return cudnnGetConvolutionBackwardDataWorkspaceSize(handle, wDesc.get(), dyDesc.get(),
                                                                convDesc.get(), dxDesc.get(), algo, bytes);
        },
        [&](cudnnConvolutionBwdDataAlgo_t algo, void* ws, size_t bytes) {
            return cudnnConvolutionBackwardData(handle, &alpha, wDesc.get(), w.data, dyDesc.get(), x.data,
                                                convDesc.get(), algo, ws, bytes, &beta, dxDesc.get(), dx);
        }));
    if (!pad.direct) {
        const int64_t shift[kSpatial] = {-pad.crop[0], -pad.crop[1], -pad.crop[2]};
        KILN_CUDA_RETURN_IF_ERROR(convk::windowCopy(dx, y.data, es, n * k, pad.dx, g.out, shift, ctx.stream));
    }
    return conv_cudnn::addBias(bias, t, y.data, n, k, g.outVolume(), ctx.stream);
}

}  // namespace kiln::cuda
