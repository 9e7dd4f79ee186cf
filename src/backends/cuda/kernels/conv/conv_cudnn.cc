// Convolution on the GPU through cuDNN's cudnnConvolutionForward (NCHW / NCDHW, 1-D lifted to 2-D;
// groups, depthwise, stride, dilation), float32 (FMA math, TF32 only when the plan allows it), float16 and bfloat16 (float32
// accumulation). cuDNN takes one symmetric padding per dim, so the symmetric part goes to cuDNN and the
// rest (asymmetric pre/post, and the extra trailing padding kEXPLICIT_ROUND_UP needs for its last
// window) is materialized by copying the input, zero-padded, into the workspace first
// (planConvPadding). The bias is added by a small own kernel afterwards, then the epilogue's addend and
// activation by the ElementWise/Activation kernels (epilogue_tail.h), unless cuDNN's fused
// bias/activation call takes the whole epilogue (conv_cudnn_fused.h).
//
// Algorithm: the builder's timed choice (ctx.tactic, a cudnnConvolutionFwdAlgo_t), or without one cuDNN's
// heuristic ranking (cudnnGetConvolutionForwardAlgorithm_v7), the first that fits the workspace left
// after staging and that cuDNN accepts for these descriptors. The autotuner's query (ctx.candidates)
// lists every ranked algorithm that fits. Descriptors are host-only and made per launch.
//
// Depthwise layers have a second tactic, the own kernel of conv_depthwise.h for their layout
// (kDepthwiseTactic channels-first, kDepthwiseNhwcTactic channels-last): listed for the autotuner when it
// applies and run when the plan chose it; it fuses the whole epilogue.
#include <algorithm>
#include <vector>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/conv/conv_cudnn_common.h"
#include "backends/cuda/kernels/conv/conv_cudnn_fused.h"
#include "backends/cuda/kernels/conv/conv_depthwise.h"
#include "backends/cuda/kernels/pointwise/epilogue_tail.h"

namespace kiln::cuda {

using conv_cudnn::ConvDesc;
using conv_cudnn::FilterDesc;
using conv_cudnn::Geometry;
using conv_cudnn::kSpatial;
using conv_cudnn::TensorDesc;

Status runConvolution(const ir::ConvolutionAttrs& a, const KernelContext& ctx) {
    const char* op = "Convolution";
    // Channels-last (a.channelsLast): x, w and y keep their data but are described channels-first here, as
    // the geometry and the checks expect; cuDNN gets NHWC descriptors.
    const bool nhwc = a.channelsLast;
    const TensorRef x = nhwc ? conv_cudnn::channelsFirstView(ctx.inputs[0]) : ctx.inputs[0];
    const TensorRef w = nhwc ? conv_cudnn::channelsFirstView(ctx.inputs[1]) : ctx.inputs[1];
    const TensorRef yView = nhwc ? conv_cudnn::channelsFirstView(ctx.outputs[0]) : ctx.outputs[0];
    const TensorRef& y = ctx.outputs[0];  // its own shape: the epilogue's addend has it
    const TensorRef* bias = ctx.inputs.size() > 2 && ctx.inputs[2].data ? &ctx.inputs[2] : nullptr;
    const TensorRef* addend = ctx.inputs.size() > 3 && ctx.inputs[3].data ? &ctx.inputs[3] : nullptr;
    // The parts of the epilogue after the bias, when cuDNN does not fuse them.
    const auto epilogueTail = [&]() -> Status {
        if (addend) KILN_RETURN_IF_ERROR(addInPlace(y, *addend, ctx));
        return activateInPlace(a.epilogue, y, ctx);
    };
    KILN_CHECK_ARG(!nhwc || x.shape.nbDims == 4,
                   op << " on CUDA: channels-last convolutions are 2-D ([N, H, W, C]), got input "
                      << toString(ctx.inputs[0].shape));
    KILN_ASSIGN_OR_RETURN(Geometry g,
                          reference::conv_detail::kernelGeometry(op, a, x, w, yView, /*transposed=*/false));
    const int64_t n = x.shape.d[0], c = x.shape.d[1], k = yView.shape.d[1], groups = a.nbGroups;
    KILN_CHECK_ARG(groups >= 1 && c % groups == 0 && k % groups == 0 && w.shape.d[0] == k &&
                       w.shape.d[1] * groups == c && yView.shape.d[0] == n,
                   op << ": input " << toString(x.shape) << ", kernel " << toString(w.shape) << ", output "
                      << toString(yView.shape) << " and nbGroups " << groups
                      << " disagree (expected kernel [K, C/groups, k...] and output [N, K, ...])");
    KILN_ASSIGN_OR_RETURN(conv_cudnn::TypeInfo t, conv_cudnn::typeInfo(op, x, w, y, bias, k, ctx.allowTf32));
    const int64_t es = dataTypeSize(y.type);
    // The bias per output channel: [n, k, plane] channels-first, [n * plane, k] channels-last.
    const auto biasAdd = [&]() {
        return nhwc ? conv_cudnn::addBias(bias, t, y.data, n * g.outVolume(), k, 1, ctx.stream)
                    : conv_cudnn::addBias(bias, t, y.data, n, k, g.outVolume(), ctx.stream);
    };
    if (y.numel() == 0) return Status::ok();
    if (c == 0 && ctx.candidates) return Status::ok();  // nothing to tune: the output is the bias
    if (c == 0) {  // no input channels: every output is the bias alone
        KILN_CUDA_RETURN_IF_ERROR(
            cudaMemsetAsync(y.data, 0, static_cast<size_t>(y.numel() * es), ctx.stream));
        KILN_RETURN_IF_ERROR(biasAdd());
        return epilogueTail();
    }
    // The own depthwise kernels, one per layout. Planned only when asked for: the refusal text would be
    // host time on every other launch.
    DepthwisePlan depthwise;
    DepthwiseNhwcPlan depthwiseNhwc;
    const bool wantDirect = ctx.candidates || ctx.tactic == kDepthwiseTactic;
    const bool wantNhwc = ctx.candidates || ctx.tactic == kDepthwiseNhwcTactic;
    const std::string notDepthwise = !wantDirect ? ""
                                     : nhwc      ? std::string("the own kernel is channels-first only")
                                                 : planDepthwise(a, x, w, y, bias, addend, &depthwise);
    const std::string notDepthwiseNhwc =
        wantNhwc ? planDepthwiseNhwc(a, ctx.inputs[0], ctx.inputs[1], y, bias, addend, &depthwiseNhwc) : "";
    const auto refuseTactic = [&](const char* name, const std::string& why) {
        return invalidArgument(
            std::string(op) + ": tactic " + name + " cannot run input " + toString(ctx.inputs[0].shape) +
            " with kernel " + toString(ctx.inputs[1].shape) + " and nbGroups " + std::to_string(groups) +
            ": " + why + "; rebuild the plan (the autotuner offers it only where it applies)");
    };
    if (ctx.tactic == kDepthwiseTactic && !ctx.candidates) {
        if (!notDepthwise.empty()) return refuseTactic(kDepthwiseTacticName, notDepthwise);
        return runDepthwiseDirect(a, ctx, depthwise);
    }
    if (ctx.tactic == kDepthwiseNhwcTactic && !ctx.candidates) {
        if (!notDepthwiseNhwc.empty()) return refuseTactic(kDepthwiseNhwcTacticName, notDepthwiseNhwc);
        return runDepthwiseNhwc(a, ctx, depthwiseNhwc);
    }
    if (!ctx.libraries)
        return invalidState(std::string(op) + " on CUDA needs the context's cuDNN handle, got none (input " +
                            toString(x.shape) + "); create the KernelContext with LibraryHandles");

    KILN_ASSIGN_OR_RETURN(const conv_cudnn::ConvPadding pad, conv_cudnn::planConvPadding(op, g));
    conv_cudnn::Scratch scratch(ctx.workspace, ctx.workspaceSize);
    const void* xin = x.data;
    if (pad.staged) {
        KILN_ASSIGN_OR_RETURN(void* buf,
                              scratch.take(op, "the zero-padded input (asymmetric padding)",
                                           conv_cudnn::stagingBytes(
                                               n * c * pad.padded[0] * pad.padded[1] * pad.padded[2], es)));
        if (!ctx.candidates && nhwc) {
            // [n][h][w][c] planes per image: the spatial dims shift, the channels stay (rank 2 only).
            const int64_t src[3] = {g.in[1], g.in[2], c}, dst[3] = {pad.padded[1], pad.padded[2], c},
                          shift[3] = {pad.shift[1], pad.shift[2], 0};
            KILN_CUDA_RETURN_IF_ERROR(convk::windowCopy(x.data, buf, es, n, src, dst, shift, ctx.stream));
        } else if (!ctx.candidates) {
            KILN_CUDA_RETURN_IF_ERROR(
                convk::windowCopy(x.data, buf, es, n * c, g.in, pad.padded, pad.shift, ctx.stream));
        }
        xin = buf;
    }

    const int rank = conv_cudnn::cudnnSpatialRank(g);
    TensorDesc xDesc, yDesc;
    FilterDesc wDesc;
    ConvDesc convDesc;
    KILN_RETURN_IF_ERROR(xDesc.create());
    KILN_RETURN_IF_ERROR(yDesc.create());
    KILN_RETURN_IF_ERROR(wDesc.create());
    KILN_RETURN_IF_ERROR(convDesc.create());
    KILN_RETURN_IF_ERROR(conv_cudnn::setTensor(op, xDesc, t.data, n, c, pad.padded, rank, nhwc));
    KILN_RETURN_IF_ERROR(conv_cudnn::setTensor(op, yDesc, t.data, n, k, g.out, rank, nhwc));
    KILN_RETURN_IF_ERROR(conv_cudnn::setFilter(op, wDesc, t.data, k, c / groups, g.kernel, rank, nhwc));
    KILN_RETURN_IF_ERROR(conv_cudnn::setConvolution(op, convDesc, pad.sym, g, groups, t));

    // cuDNN derives the output extents itself; they must be the ones inference gave y.
    int cudnnOut[2 + kSpatial] = {};
    KILN_CUDNN_RETURN_IF_ERROR(
        cudnnGetConvolutionNdForwardOutputDim(convDesc.get(), xDesc.get(), wDesc.get(), rank + 2, cudnnOut));
    for (int i = 0; i < rank; ++i)
        if (cudnnOut[2 + i] != g.out[kSpatial - rank + i])
            return internalError(std::string(op) + " on CUDA: cuDNN computes spatial extent " +
                                 std::to_string(cudnnOut[2 + i]) + " for dim " + std::to_string(i) +
                                 ", inference gave " + toString(yView.shape) + " (input " + toString(x.shape) +
                                 ", padded for cuDNN to " + std::to_string(pad.padded[kSpatial - rank + i]) +
                                 ")");

    KILN_ASSIGN_OR_RETURN(cudnnHandle_t handle, ctx.libraries->cudnnOn(ctx.stream));
    const std::string what =
        "input " + toString(x.shape) + " with kernel " + toString(w.shape) + " (" + dataTypeName(y.type) + ")";
    const bool fused = conv_cudnn::fusedConvApplies(a.epilogue, bias, addend, y);
    auto workspaceOf = [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
        return cudnnGetConvolutionForwardWorkspaceSize(handle, xDesc.get(), wDesc.get(), convDesc.get(), yDesc.get(),
                                                       algo, bytes);
    };
    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf;
    int found = 0;
    if (ctx.tactic >= 0 && !ctx.candidates) {
        // The builder's timed choice: only that algorithm, no heuristic query (host time per launch).
        perf.resize(1);
        perf[0].algo = static_cast<cudnnConvolutionFwdAlgo_t>(ctx.tactic);
        perf[0].status = CUDNN_STATUS_SUCCESS;
        found = 1;
    } else {
        int maxAlgos = 0;
        KILN_CUDNN_RETURN_IF_ERROR(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &maxAlgos));
        perf.resize(static_cast<size_t>(std::max(maxAlgos, 1)));
        KILN_CUDNN_RETURN_IF_ERROR(
            cudnnGetConvolutionForwardAlgorithm_v7(handle, xDesc.get(), wDesc.get(), convDesc.get(), yDesc.get(),
                                                   static_cast<int>(perf.size()), &found, perf.data()));
    }
    perf.resize(static_cast<size_t>(std::clamp(found, 0, static_cast<int>(perf.size()))));
    // float32 keeps float32 accuracy: the transform algorithms (FFT, Winograd) spread rounding over a tile
    // and, measured on an H100, put 5x5 float32 outputs ~1e-3 (relative) off, TF32-sized. They stay
    // candidates for float16/bfloat16, whose own rounding dominates, and for float32 when the plan allows
    // TF32, whose error is that size anyway.
    if (y.type == DataType::kFLOAT && !ctx.allowTf32)
        perf.erase(std::remove_if(perf.begin(), perf.end(), [](const cudnnConvolutionFwdAlgoPerf_t& p) {
                       return p.algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT || p.algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING ||
                              p.algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD ||
                              p.algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
                   }), perf.end());
    // The fused call (bias + addend + ReLU in cuDNN) runs only some algorithms without an activation; the
    // unfused fallback keeps the whole list.
    std::vector<cudnnConvolutionFwdAlgoPerf_t> fusedPerf;
    if (fused) {
        fusedPerf = perf;
        if (!a.epilogue.hasActivation) conv_cudnn::keepIdentityCapableAlgos(fusedPerf);
    }
    if (ctx.candidates && fused) perf = fusedPerf;
    found = static_cast<int>(perf.size());
    if (ctx.candidates) {
        // The autotuner's query: every algorithm cuDNN ranks as usable whose workspace fits.
        const int64_t staging = ctx.workspaceSize - scratch.restSize();
        for (int i = 0; i < found; ++i) {
            size_t need = 0;
            if (perf[static_cast<size_t>(i)].status != CUDNN_STATUS_SUCCESS ||
                workspaceOf(perf[static_cast<size_t>(i)].algo, &need) != CUDNN_STATUS_SUCCESS ||
                static_cast<int64_t>(need) > scratch.restSize())
                continue;
            const auto algo = perf[static_cast<size_t>(i)].algo;
            ctx.candidates->push_back({static_cast<int64_t>(algo), std::string("cudnn_fwd_") + conv_cudnn::forwardAlgoName(algo),
                                       staging + static_cast<int64_t>((need + 255) / 256 * 256)});
        }
        if (notDepthwise.empty()) ctx.candidates->push_back({kDepthwiseTactic, kDepthwiseTacticName, 0});
        if (notDepthwiseNhwc.empty())
            ctx.candidates->push_back({kDepthwiseNhwcTactic, kDepthwiseNhwcTacticName, 0});
        return Status::ok();
    }
    if (fused) {
        const conv_cudnn::FusedConvArgs args{handle, &xDesc, &wDesc, &convDesc, &yDesc, xin, w.data, y.data,
                                             t.data, k, rank};
        const Status st = conv_cudnn::runFusedConv(op, args, a.epilogue, *bias, addend, scratch, what, fusedPerf);
        if (st.isOk() || st.code() != ErrorCode::kUNSUPPORTED_STATE) return st;
        // No algorithm takes the fused call here (nothing was enqueued): run the unfused path.
    }
    const float alpha = 1.0f, beta = 0.0f;
    KILN_RETURN_IF_ERROR(conv_cudnn::runFirstAccepted(
        op, perf, found, scratch, what,
        workspaceOf,
        [&](cudnnConvolutionFwdAlgo_t algo, void* ws, size_t bytes) {
            return cudnnConvolutionForward(handle, &alpha, xDesc.get(), xin, wDesc.get(), w.data,
                                           convDesc.get(), algo, ws, bytes, &beta, yDesc.get(), y.data);
        }));
    KILN_RETURN_IF_ERROR(biasAdd());
    return epilogueTail();
}

}  // namespace kiln::cuda
