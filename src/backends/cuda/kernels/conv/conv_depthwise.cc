// planDepthwise / runDepthwiseDirect and planDepthwiseNhwc / runDepthwiseNhwc (see conv_depthwise.h): the
// geometry is the reference's (conv_detail::kernelGeometry: SAME modes resolved, a 1-D op lifted to 2-D;
// channels-last tensors through their channels-first shapes), narrowed to 32 bits. Both kernels take the
// same convolutions, types and epilogues (depthwiseRefusal, epilogueOf); they differ in layout and in
// what bounds their indices and shared memory.
#include "backends/cuda/kernels/conv/conv_depthwise.h"

#include "backends/cuda/cuda_status.h"
#include "backends/reference/conv_common.h"

namespace kiln::cuda {
namespace {

using reference::conv_detail::Geometry;

bool isConvFloat(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}

/// Every index a kernel forms along one dim stays below kIndexLimit, its overhang past the output
/// (`margin` rows or columns) included.
bool dimFits(const Geometry& g, int d, int64_t margin) {
    const int64_t reach = (g.out[d] + margin) * g.stride[d] + g.effective(d) + g.pre[d];
    return g.in[d] < dw::kIndexLimit && g.out[d] < dw::kIndexLimit && g.pre[d] < dw::kIndexLimit &&
           reach < dw::kIndexLimit;
}

/// Why the own kernels do not take Convolution `a` on x, w, y given channels-first ("" when they do):
/// groups == C == K with kernel [C, 1, ...], one type among float32, float16 and bfloat16 for x, w and
/// y, a float bias of C values and an addend of y's type and size.
std::string depthwiseRefusal(const ir::ConvolutionAttrs& a, const TensorRef& x, const TensorRef& w,
                             const TensorRef& y, const TensorRef* bias, const TensorRef* addend) {
    const int64_t n = x.shape.d[0], c = x.shape.d[1], k = y.shape.d[1];
    if (a.nbGroups != c || k != c || w.shape.d[0] != c || w.shape.d[1] != 1 || y.shape.d[0] != n || c < 1)
        return "not depthwise: needs groups == C == K and kernel [C, 1, ...], got groups " +
               std::to_string(a.nbGroups) + ", input " + toString(x.shape) + ", kernel " + toString(w.shape) +
               ", output " + toString(y.shape);
    if (!isConvFloat(y.type) || x.type != y.type || w.type != y.type)
        return std::string("types ") + dataTypeName(x.type) + ", " + dataTypeName(w.type) + " -> " +
               dataTypeName(y.type) + " (needs one of float32, float16, bfloat16)";
    if (bias && (!isConvFloat(bias->type) || bias->numel() != c))
        return "bias " + std::string(dataTypeName(bias->type)) + " " + toString(bias->shape) + " (needs " +
               std::to_string(c) + " float values)";
    if (addend && (addend->type != y.type || addend->numel() != y.numel()))
        return "addend " + std::string(dataTypeName(addend->type)) + " " + toString(addend->shape) +
               " (needs the output's type and shape)";
    return {};
}

/// The fused epilogue of `a` with ctx's bias and addend, and y's element type.
Status epilogueOf(const ir::ConvolutionAttrs& a, const KernelContext& ctx, rk::ValueType* type,
                  dw::DepthwiseEpilogue* e) {
    const TensorRef& y = ctx.outputs[0];
    const TensorRef* bias = ctx.inputs.size() > 2 && ctx.inputs[2].data ? &ctx.inputs[2] : nullptr;
    const TensorRef* addend = ctx.inputs.size() > 3 && ctx.inputs[3].data ? &ctx.inputs[3] : nullptr;
    rk::ValueType biasType{};
    if (!rk::toValueType(y.type, type) || (bias && !rk::toValueType(bias->type, &biasType)))
        return internalError(std::string("Convolution: depthwise kernel planned for types it cannot hold (") +
                             dataTypeName(y.type) + ")");
    e->bias = bias ? bias->data : nullptr;
    e->biasType = biasType;
    e->addend = addend ? addend->data : nullptr;
    e->hasActivation = a.epilogue.hasActivation;
    e->activation = a.epilogue.activation;
    e->alpha = a.epilogue.alpha;
    e->beta = a.epilogue.beta;
    return Status::ok();
}

/// t as [N, C, spatial...] when it is stored [N, spatial..., C]: same data.
TensorRef channelsFirst(const TensorRef& t) {
    TensorRef v = t;
    v.shape = channelsFirstDims(t.shape);
    return v;
}

}  // namespace

std::string planDepthwise(const ir::ConvolutionAttrs& a, const TensorRef& x, const TensorRef& w,
                          const TensorRef& y, const TensorRef* bias, const TensorRef* addend,
                          DepthwisePlan* out) {
    auto geometry = reference::conv_detail::kernelGeometry("Convolution", a, x, w, y, /*transposed=*/false);
    if (!geometry.isOk()) return geometry.status().message();
    const Geometry& g = geometry.value();
    if (g.nbSpatial > 2) return "3-D convolution (the kernel is 1-D and 2-D only)";
    if (std::string why = depthwiseRefusal(a, x, w, y, bias, addend); !why.empty()) return why;
    const int64_t n = x.shape.d[0], c = x.shape.d[1];
    for (int d = 1; d < 3; ++d)
        if (g.kernel[d] > dw::kMaxKernel)
            return "window " + toString(w.shape) + " (at most " + std::to_string(dw::kMaxKernel) +
                   " per dim)";
    const int64_t planes = n * c;
    if (planes >= dw::kIndexLimit || planes * g.inVolume() >= dw::kIndexLimit ||
        planes * g.outVolume() >= dw::kIndexLimit || !dimFits(g, 1, dw::kMaxThreads) ||
        !dimFits(g, 2, dw::kMaxThreads))
        return "indices of input " + toString(x.shape) + " / output " + toString(y.shape) +
               " exceed the kernel's 32-bit range";
    const auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
    DepthwisePlan p;
    p.geometry = {i32(planes),      i32(c),           i32(g.in[1]),       i32(g.in[2]),
                  i32(g.out[1]),    i32(g.out[2]),    i32(g.kernel[1]),   i32(g.kernel[2]),
                  i32(g.stride[1]), i32(g.stride[2]), i32(g.dilation[1]), i32(g.dilation[2]),
                  i32(g.pre[1]),    i32(g.pre[2])};
    if (!dw::planDepthwiseTiling(p.geometry, &p.tiling))
        return "no tile of window " + toString(w.shape) + " with dilation " + toString(a.dilation) +
               " fits " + std::to_string(dw::kMaxSharedBytes) + " bytes of shared memory";
    *out = p;
    return {};
}

Status runDepthwiseDirect(const ir::ConvolutionAttrs& a, const KernelContext& ctx,
                          const DepthwisePlan& plan) {
    rk::ValueType type{};
    dw::DepthwiseEpilogue e;
    KILN_RETURN_IF_ERROR(epilogueOf(a, ctx, &type, &e));
    return cudaStatus(dw::launchDepthwise(type, ctx.inputs[0].data, ctx.inputs[1].data, ctx.outputs[0].data,
                                          plan.geometry, plan.tiling, e, ctx.stream),
                      "Convolution depthwise kernel");
}

std::string planDepthwiseNhwc(const ir::ConvolutionAttrs& a, const TensorRef& x, const TensorRef& w,
                              const TensorRef& y, const TensorRef* bias, const TensorRef* addend,
                              DepthwiseNhwcPlan* out) {
    if (!a.channelsLast) return "channels-first convolution (the kernel is channels-last only)";
    if (x.shape.nbDims != 4) return "input " + toString(x.shape) + " (the kernel is 2-D only: [N, H, W, C])";
    const TensorRef xf = channelsFirst(x), wf = channelsFirst(w), yf = channelsFirst(y);
    auto geometry =
        reference::conv_detail::kernelGeometry("Convolution", a, xf, wf, yf, /*transposed=*/false);
    if (!geometry.isOk()) return geometry.status().message();
    const Geometry& g = geometry.value();
    if (std::string why = depthwiseRefusal(a, xf, wf, yf, bias, addend); !why.empty())
        return why + " (shapes channels-first)";
    const int64_t n = xf.shape.d[0], c = xf.shape.d[1], taps = g.kernel[1] * g.kernel[2];
    // A grid row per chunk of channels, and a chunk holds at least one vector: at most 65535 channels keep
    // the chunks within gridDim.y's limit whatever the vector width.
    if (c > dw::kNhwcMaxChunks)
        return std::to_string(c) + " channels (at most " + std::to_string(dw::kNhwcMaxChunks) + ")";
    if (taps > dw::kNhwcMaxTaps)
        return "window " + toString(w.shape) + " of " + std::to_string(taps) + " taps (at most " +
               std::to_string(dw::kNhwcMaxTaps) + ": a block stages its channels' taps in shared memory)";
    if (x.numel() >= dw::kIndexLimit || y.numel() >= dw::kIndexLimit || w.numel() >= dw::kIndexLimit ||
        !dimFits(g, 1, dw::kNhwcCols) || !dimFits(g, 2, dw::kNhwcCols))
        return "indices of input " + toString(x.shape) + " / output " + toString(y.shape) +
               " exceed the kernel's 32-bit range";
    const auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
    DepthwiseNhwcPlan p;
    p.geometry = {i32(n),           i32(c),           i32(g.in[1]),       i32(g.in[2]),
                  i32(g.out[1]),    i32(g.out[2]),    i32(g.kernel[1]),   i32(g.kernel[2]),
                  i32(g.stride[1]), i32(g.stride[2]), i32(g.dilation[1]), i32(g.dilation[2]),
                  i32(g.pre[1]),    i32(g.pre[2])};
    const auto address = [](const void* ptr) { return reinterpret_cast<uintptr_t>(ptr); };
    const int32_t vec = dw::nhwcVectorWidth(
        c, dataTypeSize(y.type), {address(x.data), address(y.data), addend ? address(addend->data) : 0});
    // The checks above leave planNhwcTiling nothing to refuse; a refusal is reported, not assumed away.
    if (!dw::planNhwcTiling(p.geometry, vec, &p.tiling))
        return "no launch plan for input " + toString(x.shape) + ", output " + toString(y.shape) + " and " +
               std::to_string(vec) + " channels a thread";
    *out = p;
    return {};
}

Status runDepthwiseNhwc(const ir::ConvolutionAttrs& a, const KernelContext& ctx,
                        const DepthwiseNhwcPlan& plan) {
    rk::ValueType type{};
    dw::DepthwiseEpilogue e;
    KILN_RETURN_IF_ERROR(epilogueOf(a, ctx, &type, &e));
    return cudaStatus(dw::launchDepthwiseNhwc(type, ctx.inputs[0].data, ctx.inputs[1].data,
                                              ctx.outputs[0].data, plan.geometry, plan.tiling, e, ctx.stream),
                      "Convolution channels-last depthwise kernel");
}

}  // namespace kiln::cuda
