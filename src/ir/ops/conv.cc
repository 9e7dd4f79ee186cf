// Shape/type inference for the conv family: Convolution, Deconvolution, Pooling. All three take
// [N, C, spatial...] with 1 to 3 spatial dims; per-spatial-dim attributes (stride, dilation, padding)
// are either empty (defaults) or have one entry per spatial dim. Output extents follow TensorRT's
// PaddingMode formulas; for Pooling in kEXPLICIT_ROUND_UP (ceil) mode a last window that would start
// past the input and its pre-padding is dropped, as PyTorch and ONNX do. Unknown (-1) input extents
// give -1 output extents wherever the output depends on them. Max pooling may have a second output, the
// int64 indices of the maxima, of the first output's shape. Channels-last Convolution and Pooling (2-D,
// [N, H, W, C], set by the channels-last pass) are inferred on their channels-first view.
#include <algorithm>
#include <sstream>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"

namespace kiln::ir {
namespace {

constexpr int kMinSpatial = 1;
constexpr int kMaxSpatial = 3;

/// Per-spatial-dim parameters after defaults are filled in.
struct Spatial {
    int64_t v[kMaxSpatial]{};
};

/// `attr` empty -> every entry is `fill`; else it must have nbSpatial entries, each >= minValue.
Status spatialParam(const char* op, const char* name, const Dims& attr, int nbSpatial, int64_t fill,
                    int64_t minValue, Spatial* out) {
    if (attr.nbDims <= 0) {
        for (int i = 0; i < nbSpatial; ++i) out->v[i] = fill;
        return Status::ok();
    }
    KILN_CHECK_ARG(attr.nbDims == nbSpatial, op << ": " << name
                                                << " must be empty or have one entry per spatial dim ("
                                                << nbSpatial << "), got " << toString(attr));
    for (int i = 0; i < nbSpatial; ++i) {
        KILN_CHECK_ARG(attr.d[i] >= minValue, op << ": " << name << " entries must be >= " << minValue
                                                 << ", got " << toString(attr));
        out->v[i] = attr.d[i];
    }
    return Status::ok();
}

Status checkPaddingMode(const char* op, PaddingMode mode) {
    switch (mode) {
        case PaddingMode::kEXPLICIT_ROUND_DOWN:
        case PaddingMode::kEXPLICIT_ROUND_UP:
        case PaddingMode::kSAME_UPPER:
        case PaddingMode::kSAME_LOWER:
            return Status::ok();
    }
    return invalidArgument(std::string(op) + ": unknown padding mode " +
                           std::to_string(static_cast<int>(mode)));
}

int64_t ceilDiv(int64_t a, int64_t b) {
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}
int64_t floorDiv(int64_t a, int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/// Output extent of a sliding window (Convolution, Pooling) along one spatial dim; -1 when `in` is
/// unknown. `dropPaddingWindow` applies the ceil-mode rule that a window must start inside the input
/// or its pre-padding.
StatusOr<int64_t> slidingExtent(const char* op, int dim, int64_t in, int64_t window, int64_t stride,
                                int64_t dilation, int64_t pre, int64_t post, PaddingMode mode,
                                bool dropPaddingWindow) {
    if (in < 0 || window < 0) return int64_t{-1};
    int64_t effective = dilation * (window - 1) + 1;
    int64_t out = 0;
    switch (mode) {
        case PaddingMode::kSAME_UPPER:
        case PaddingMode::kSAME_LOWER:
            out = ceilDiv(in, stride);
            break;
        case PaddingMode::kEXPLICIT_ROUND_DOWN:
            out = floorDiv(in + pre + post - effective, stride) + 1;
            break;
        case PaddingMode::kEXPLICIT_ROUND_UP:
            out = ceilDiv(in + pre + post - effective, stride) + 1;
            if (dropPaddingWindow && out > 0 && (out - 1) * stride >= in + pre) --out;
            break;
    }
    if (out < 1) {
        std::ostringstream os;
        os << op << ": spatial dim " << dim << " has input extent " << in << " with padding " << pre << "+"
           << post << ", smaller than the dilated window extent " << effective << " (window " << window
           << ", dilation " << dilation << "); the output extent would be " << out << ", expected >= 1";
        return invalidArgument(os.str());
    }
    return out;
}

Status checkFloatInput(const char* op, const char* what, DataType type) {
    KILN_CHECK_ARG(isFloatType(type), op << ": " << what << " must be float32, float16, bfloat16 or fp8, got "
                                         << dataTypeName(type));
    return Status::ok();
}

Status checkSpatialRank(const char* op, const Dims& x) {
    int nbSpatial = x.nbDims - 2;
    KILN_CHECK_ARG(
        nbSpatial >= kMinSpatial && nbSpatial <= kMaxSpatial,
        op << ": input must be [N, C, spatial...] with 1 to 3 spatial dims (rank 3 to 5), got shape "
           << toString(x));
    return Status::ok();
}

/// What Convolution and Deconvolution share: the input/kernel/bias checks and the per-dim parameters.
struct ConvSetup {
    int nbSpatial{0};
    int64_t outChannels{-1};
    Spatial kernel, stride, dilation, pre, post;
};

StatusOr<ConvSetup> convSetup(const char* op, const ConvGeometryAttrs& a, InferContext& ctx, bool transposed) {
    const TensorDesc& x = ctx.inputs[0];
    const TensorDesc& w = ctx.inputs[1];
    KILN_RETURN_IF_ERROR(checkSpatialRank(op, x.shape));
    KILN_RETURN_IF_ERROR(checkFloatInput(op, "input 0 (data)", x.type));
    KILN_RETURN_IF_ERROR(checkFloatInput(op, "input 1 (kernel)", w.type));
    KILN_RETURN_IF_ERROR(checkPaddingMode(op, a.paddingMode));
    ConvSetup s;
    s.nbSpatial = x.shape.nbDims - 2;
    const char* layout = transposed ? "[C, K/groups, k...]" : "[K, C/groups, k...]";
    KILN_CHECK_ARG(w.shape.nbDims == x.shape.nbDims,
                   op << ": kernel must be " << layout << " with the input's rank " << x.shape.nbDims
                      << ", got shape " << toString(w.shape) << " for input " << toString(x.shape));
    KILN_CHECK_ARG(a.nbGroups >= 1, op << ": nbGroups must be >= 1, got " << a.nbGroups);
    const int64_t groups = a.nbGroups;
    const int64_t c = x.shape.d[1];
    if (!transposed) {
        // Kernel [K, C/groups, k...]: K output maps split evenly over the groups.
        const int64_t k = w.shape.d[0], cPerGroup = w.shape.d[1];
        KILN_CHECK_ARG(k < 0 || k % groups == 0, op << ": output maps K = " << k << " (kernel "
                                                    << toString(w.shape)
                                                    << ") must be divisible by nbGroups = " << groups);
        KILN_CHECK_ARG(
            c < 0 || cPerGroup < 0 || cPerGroup * groups == c,
            op << ": kernel " << toString(w.shape) << " has " << cPerGroup << " channels per group; input "
               << toString(x.shape) << " with nbGroups = " << groups
               << " needs C/groups = " << (c % groups == 0 ? std::to_string(c / groups) : "non-integer"));
        s.outChannels = k;
    } else {
        // Kernel [C, K/groups, k...]: rows follow the input channels.
        const int64_t cKernel = w.shape.d[0], kPerGroup = w.shape.d[1];
        KILN_CHECK_ARG(c < 0 || c % groups == 0,
                       op << ": input channels C = " << c << " must be divisible by nbGroups = " << groups);
        KILN_CHECK_ARG(c < 0 || cKernel < 0 || cKernel == c, op << ": kernel " << toString(w.shape)
                                                                << " must have C = " << c << " rows (input "
                                                                << toString(x.shape) << "), got " << cKernel);
        s.outChannels = kPerGroup < 0 ? -1 : kPerGroup * groups;
    }
    if (a.nbOutputMaps != 0) {
        // 0 means "not set": the count comes from the kernel tensor, as kernelSize does when empty.
        KILN_CHECK_ARG(a.nbOutputMaps > 0, op << ": nbOutputMaps must be > 0, got " << a.nbOutputMaps);
        KILN_CHECK_ARG(s.outChannels < 0 || s.outChannels == a.nbOutputMaps,
                       op << ": nbOutputMaps = " << a.nbOutputMaps << " but kernel " << toString(w.shape)
                          << " with nbGroups = " << groups << " gives " << s.outChannels << " output maps");
        s.outChannels = a.nbOutputMaps;
    }
    if (ctx.inputs.size() > 2 && ctx.inputs[2].present()) {
        const TensorDesc& b = ctx.inputs[2];
        KILN_RETURN_IF_ERROR(checkFloatInput(op, "input 2 (bias)", b.type));
        KILN_CHECK_ARG(b.shape.nbDims == 1, op << ": bias must be 1-D [K], got shape " << toString(b.shape));
        KILN_CHECK_ARG(b.shape.d[0] < 0 || s.outChannels < 0 || b.shape.d[0] == s.outChannels,
                       op << ": bias has " << b.shape.d[0] << " values, expected one per output map ("
                          << s.outChannels << ")");
    }
    for (int i = 0; i < s.nbSpatial; ++i) s.kernel.v[i] = w.shape.d[2 + i];
    if (a.kernelSize.nbDims > 0) {
        KILN_CHECK_ARG(a.kernelSize.nbDims == s.nbSpatial,
                       op << ": kernelSize must have one entry per spatial dim (" << s.nbSpatial << "), got "
                          << toString(a.kernelSize));
        for (int i = 0; i < s.nbSpatial; ++i) {
            KILN_CHECK_ARG(a.kernelSize.d[i] >= 1,
                           op << ": kernelSize entries must be >= 1, got " << toString(a.kernelSize));
            KILN_CHECK_ARG(s.kernel.v[i] < 0 || s.kernel.v[i] == a.kernelSize.d[i],
                           op << ": kernelSize " << toString(a.kernelSize)
                              << " does not match the kernel tensor " << toString(w.shape));
            s.kernel.v[i] = a.kernelSize.d[i];
        }
    }
    for (int i = 0; i < s.nbSpatial; ++i)
        KILN_CHECK_ARG(s.kernel.v[i] != 0,
                       op << ": kernel spatial extents must be >= 1, got " << toString(w.shape));
    KILN_RETURN_IF_ERROR(spatialParam(op, "stride", a.stride, s.nbSpatial, 1, 1, &s.stride));
    KILN_RETURN_IF_ERROR(spatialParam(op, "dilation", a.dilation, s.nbSpatial, 1, 1, &s.dilation));
    KILN_RETURN_IF_ERROR(spatialParam(op, "prePadding", a.prePadding, s.nbSpatial, 0, 0, &s.pre));
    KILN_RETURN_IF_ERROR(spatialParam(op, "postPadding", a.postPadding, s.nbSpatial, 0, 0, &s.post));
    return s;
}

/// Whether the pooling type averages (needs float data); validates the type and the blend factor.
StatusOr<bool> poolingAverages(const PoolingAttrs& a) {
    switch (a.type) {
        case PoolingType::kMAX:
            return false;
        case PoolingType::kAVERAGE:
            return true;
        case PoolingType::kMAX_AVERAGE_BLEND:
            KILN_CHECK_ARG(a.blendFactor >= 0.0f && a.blendFactor <= 1.0f,
                           "Pooling: blendFactor must be in [0, 1], got " << a.blendFactor);
            return true;
    }
    return invalidArgument("Pooling: unknown pooling type " + std::to_string(static_cast<int>(a.type)));
}

}  // namespace

namespace {

/// Convolution inference on [N, C, spatial...] shapes (channels-last ones are permuted to this first).
Status inferChannelsFirstConvolution(const ConvolutionAttrs& a, InferContext& ctx) {
    const char* op = "Convolution";
    KILN_ASSIGN_OR_RETURN(ConvSetup s, convSetup(op, a, ctx, /*transposed=*/false));
    const Dims& x = ctx.inputs[0].shape;
    Dims out = x;
    out.d[1] = s.outChannels;
    for (int i = 0; i < s.nbSpatial; ++i) {
        KILN_ASSIGN_OR_RETURN(out.d[2 + i],
                              slidingExtent(op, i, x.d[2 + i], s.kernel.v[i], s.stride.v[i], s.dilation.v[i],
                                            s.pre.v[i], s.post.v[i], a.paddingMode,
                                            /*dropPaddingWindow=*/false));
    }
    ctx.outputs[0].type = ctx.inputs[0].type;
    ctx.outputs[0].shape = out;
    const TensorDesc* addend = ctx.inputs.size() > 3 && ctx.inputs[3].present() ? &ctx.inputs[3] : nullptr;
    return checkEpilogue(op, a.epilogue, addend, ctx.outputs[0]);
}

}  // namespace

Status inferConvolution(const ConvolutionAttrs& a, InferContext& ctx) {
    if (!a.channelsLast) return inferChannelsFirstConvolution(a, ctx);
    // Channels-last: the same rules on the channels-first view of x, the kernel and the addend (the bias
    // is 1-D either way), then the output back to [N, spatial..., K].
    KILN_CHECK_ARG(ctx.inputs[0].shape.nbDims == 4,
                   "Convolution: channels-last layout is implemented for 2-D convolutions ([N, H, W, C] input), "
                   "got input shape " << toString(ctx.inputs[0].shape));
    std::vector<TensorDesc> inputs(ctx.inputs.begin(), ctx.inputs.end());
    for (size_t i : {size_t{0}, size_t{1}, size_t{3}})
        if (i < inputs.size() && inputs[i].present()) {
            inputs[i].shape = channelsFirstDims(inputs[i].shape);
            inputs[i].values = nullptr;  // row-major values of the other layout; inference reads none
        }
    InferContext first{inputs, ctx.outputs};
    KILN_RETURN_IF_ERROR(inferChannelsFirstConvolution(a, first));
    ctx.outputs[0].shape = channelsLastDims(ctx.outputs[0].shape);
    return Status::ok();
}

Status inferDeconvolution(const DeconvolutionAttrs& a, InferContext& ctx) {
    const char* op = "Deconvolution";
    KILN_ASSIGN_OR_RETURN(ConvSetup s, convSetup(op, a, ctx, /*transposed=*/true));
    Spatial outPad;
    KILN_RETURN_IF_ERROR(spatialParam(op, "outputPadding", a.outputPadding, s.nbSpatial, 0, 0, &outPad));
    const Dims& x = ctx.inputs[0].shape;
    Dims out = x;
    out.d[1] = s.outChannels;
    for (int i = 0; i < s.nbSpatial; ++i) {
        // ONNX's rule: output padding only fills the gap a stride or dilation leaves, never a whole step.
        KILN_CHECK_ARG(outPad.v[i] < s.stride.v[i] || outPad.v[i] < s.dilation.v[i],
                       op << ": outputPadding " << toString(a.outputPadding)
                          << " must be smaller than the stride or the dilation in each spatial dim (dim " << i
                          << ": stride " << s.stride.v[i] << ", dilation " << s.dilation.v[i] << ")");
        const int64_t in = x.d[2 + i];
        if (in < 0 || s.kernel.v[i] < 0) {
            out.d[2 + i] = -1;
            continue;
        }
        const int64_t effective = s.dilation.v[i] * (s.kernel.v[i] - 1) + 1;
        int64_t cut = s.pre.v[i] + s.post.v[i];
        switch (a.paddingMode) {
            case PaddingMode::kEXPLICIT_ROUND_DOWN:
            case PaddingMode::kEXPLICIT_ROUND_UP:
                break;  // TensorRT: rounding does not apply to deconvolution
            case PaddingMode::kSAME_UPPER:
            case PaddingMode::kSAME_LOWER:
                cut = std::max<int64_t>(effective - s.stride.v[i], 0);
                break;
        }
        const int64_t extent = (in - 1) * s.stride.v[i] + effective - cut + outPad.v[i];
        KILN_CHECK_ARG(extent >= 1, op << ": spatial dim " << i << " output extent (" << in << " - 1) * "
                                       << s.stride.v[i] << " + " << effective << " - padding " << cut
                                       << " + outputPadding " << outPad.v[i] << " = " << extent
                                       << ", expected >= 1 (reduce the padding)");
        out.d[2 + i] = extent;
    }
    ctx.outputs[0].type = ctx.inputs[0].type;
    ctx.outputs[0].shape = out;
    return Status::ok();
}

namespace {

/// Pooling inference on [N, C, spatial...] shapes (channels-last ones are permuted to this first).
Status inferChannelsFirstPooling(const PoolingAttrs& a, InferContext& ctx) {
    const char* op = "Pooling";
    const TensorDesc& x = ctx.inputs[0];
    KILN_RETURN_IF_ERROR(checkSpatialRank(op, x.shape));
    KILN_RETURN_IF_ERROR(checkPaddingMode(op, a.paddingMode));
    KILN_ASSIGN_OR_RETURN(const bool averages, poolingAverages(a));
    const bool int8Max = !averages && (x.type == DataType::kINT8 || x.type == DataType::kUINT8);
    KILN_CHECK_ARG(
        isFloatType(x.type) || int8Max,
        op << ": input must be float32, float16, bfloat16 or fp8 (int8/uint8 for max pooling only), got "
           << dataTypeName(x.type) << (averages ? " with an averaging pooling type" : ""));
    const int nbSpatial = x.shape.nbDims - 2;
    Dims out = x.shape;
    ctx.outputs[0].type = x.type;
    const bool indices = ctx.outputs.size() > 1;
    KILN_CHECK_ARG(!indices || a.type == PoolingType::kMAX,
                   op << ": output 1 (indices) exists for max pooling only, the pooling type is "
                      << static_cast<int>(a.type) << "; use PoolingType::kMAX or drop the indices output");
    // Output 1 holds flat int64 indices into the whole input, of output 0's shape.
    auto finish = [&]() {
        ctx.outputs[0].shape = out;
        if (indices) {
            ctx.outputs[1].type = DataType::kINT64;
            ctx.outputs[1].shape = out;
        }
        return Status::ok();
    };
    if (a.global) {
        // The window is the whole spatial extent: every spatial dim collapses to 1, known or not.
        for (int i = 0; i < nbSpatial; ++i) {
            KILN_CHECK_ARG(
                x.shape.d[2 + i] != 0,
                op << ": global pooling over an empty spatial extent, input " << toString(x.shape));
            out.d[2 + i] = 1;
        }
        return finish();
    }
    KILN_CHECK_ARG(a.windowSize.nbDims == nbSpatial,
                   op << ": windowSize must have one entry per spatial dim of input " << toString(x.shape)
                      << " (" << nbSpatial << "), got " << toString(a.windowSize));
    Spatial window, stride, dilation, pre, post;
    KILN_RETURN_IF_ERROR(spatialParam(op, "windowSize", a.windowSize, nbSpatial, 1, 1, &window));
    KILN_RETURN_IF_ERROR(
        spatialParam(op, "stride", a.stride.nbDims > 0 ? a.stride : a.windowSize, nbSpatial, 1, 1, &stride));
    KILN_RETURN_IF_ERROR(spatialParam(op, "dilation", a.dilation, nbSpatial, 1, 1, &dilation));
    KILN_RETURN_IF_ERROR(spatialParam(op, "prePadding", a.prePadding, nbSpatial, 0, 0, &pre));
    KILN_RETURN_IF_ERROR(spatialParam(op, "postPadding", a.postPadding, nbSpatial, 0, 0, &post));
    for (int i = 0; i < nbSpatial; ++i) {
        // Padding as wide as the window would let whole windows see padding only.
        // (SAME modes compute padding that is always smaller.)
        const int64_t effective = dilation.v[i] * (window.v[i] - 1) + 1;
        const bool same =
            a.paddingMode == PaddingMode::kSAME_UPPER || a.paddingMode == PaddingMode::kSAME_LOWER;
        KILN_CHECK_ARG(same || (pre.v[i] < effective && post.v[i] < effective),
                       op << ": padding " << toString(a.prePadding) << "/" << toString(a.postPadding)
                          << " must be smaller than the dilated window extent " << effective
                          << " in spatial dim " << i);
        KILN_ASSIGN_OR_RETURN(out.d[2 + i], slidingExtent(op, i, x.shape.d[2 + i], window.v[i], stride.v[i],
                                                          dilation.v[i], pre.v[i], post.v[i], a.paddingMode,
                                                          /*dropPaddingWindow=*/true));
    }
    return finish();
}

}  // namespace

Status inferPooling(const PoolingAttrs& a, InferContext& ctx) {
    if (!a.channelsLast) return inferChannelsFirstPooling(a, ctx);
    // Channels-last: the same rules on the channels-first view of x, then the output back to [N, H, W, C].
    KILN_CHECK_ARG(ctx.inputs[0].shape.nbDims == 4,
                   "Pooling: channels-last layout is implemented for 2-D pooling ([N, H, W, C] input), got "
                       << toString(ctx.inputs[0].shape) << "; clear channelsLast for 1-D or 3-D pooling");
    KILN_CHECK_ARG(ctx.outputs.size() < 2,
                   "Pooling: channels-last pooling has no indices output (output 1 numbers channels-first "
                   "positions); clear channelsLast or drop the indices output");
    std::vector<TensorDesc> inputs(ctx.inputs.begin(), ctx.inputs.end());
    inputs[0].shape = channelsFirstDims(inputs[0].shape);
    inputs[0].values = nullptr;  // row-major values of the other layout; inference reads none
    InferContext first{inputs, ctx.outputs};
    KILN_RETURN_IF_ERROR(inferChannelsFirstPooling(a, first));
    ctx.outputs[0].shape = channelsLastDims(ctx.outputs[0].shape);
    return Status::ok();
}

}  // namespace kiln::ir
