// planDepthwise and runDepthwiseDirect (see conv_depthwise.h): the geometry is the reference's
// (conv_detail::kernelGeometry: SAME modes resolved, a 1-D op lifted to 2-D), narrowed to 32 bits.
#include "backends/cuda/kernels/conv/conv_depthwise.h"

#include "backends/cuda/cuda_status.h"
#include "backends/reference/conv_common.h"

namespace kiln::cuda {
namespace {

using reference::conv_detail::Geometry;

bool isConvFloat(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}

/// Every index the kernel forms along one dim stays below kIndexLimit, the tile's overhang past the
/// output (at most kMaxThreads rows or columns) included.
bool dimFits(const Geometry& g, int d) {
    const int64_t reach = (g.out[d] + dw::kMaxThreads) * g.stride[d] + g.effective(d) + g.pre[d];
    return g.in[d] < dw::kIndexLimit && g.out[d] < dw::kIndexLimit && g.pre[d] < dw::kIndexLimit &&
           reach < dw::kIndexLimit;
}

}  // namespace

std::string planDepthwise(const ir::ConvolutionAttrs& a, const TensorRef& x, const TensorRef& w,
                          const TensorRef& y, const TensorRef* bias, const TensorRef* addend,
                          DepthwisePlan* out) {
    auto geometry = reference::conv_detail::kernelGeometry("Convolution", a, x, w, y, /*transposed=*/false);
    if (!geometry.isOk()) return geometry.status().message();
    const Geometry& g = geometry.value();
    if (g.nbSpatial > 2) return "3-D convolution (the kernel is 1-D and 2-D only)";
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
    for (int d = 1; d < 3; ++d)
        if (g.kernel[d] > dw::kMaxKernel)
            return "window " + toString(w.shape) + " (at most " + std::to_string(dw::kMaxKernel) +
                   " per dim)";
    const int64_t planes = n * c;
    if (planes >= dw::kIndexLimit || planes * g.inVolume() >= dw::kIndexLimit ||
        planes * g.outVolume() >= dw::kIndexLimit || !dimFits(g, 1) || !dimFits(g, 2))
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
    const TensorRef& y = ctx.outputs[0];
    const TensorRef* bias = ctx.inputs.size() > 2 && ctx.inputs[2].data ? &ctx.inputs[2] : nullptr;
    const TensorRef* addend = ctx.inputs.size() > 3 && ctx.inputs[3].data ? &ctx.inputs[3] : nullptr;
    rk::ValueType type{}, biasType{};
    if (!rk::toValueType(y.type, &type) || (bias && !rk::toValueType(bias->type, &biasType)))
        return internalError(std::string("Convolution: depthwise kernel planned for types it cannot hold (") +
                             dataTypeName(y.type) + ")");
    dw::DepthwiseEpilogue e;
    e.bias = bias ? bias->data : nullptr;
    e.biasType = biasType;
    e.addend = addend ? addend->data : nullptr;
    e.hasActivation = a.epilogue.hasActivation;
    e.activation = a.epilogue.activation;
    e.alpha = a.epilogue.alpha;
    e.beta = a.epilogue.beta;
    return cudaStatus(dw::launchDepthwise(type, ctx.inputs[0].data, ctx.inputs[1].data, y.data, plan.geometry,
                                          plan.tiling, e, ctx.stream),
                      "Convolution depthwise kernel");
}

}  // namespace kiln::cuda
