// Importers for convolution and pooling: Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool,
// GlobalMaxPool. ONNX pads ([begin..., end...]), auto_pad, dilations, ceil_mode and count_include_pad map
// onto the layers' pre/post padding, padding mode and flags; MaxPool's Indices output is the pooling
// layer's indices output, storage_order its column-major flag. The network checks a layer as it is added,
// with default attributes, so layers are added in a form valid for any input (a 1x1 kernel or window)
// and then given their real parameters: the kernel goes in as 1x1 weights with (maps / groups) *
// kernel volume output maps, which holds exactly W's values, and takes its real shape when the maps,
// groups and kernel size are set.
#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

struct SpatialAttrs {
    std::vector<int64_t> kernel, strides, dilations, pre, post;
    std::string autoPad;
    bool ceil{false};
};

Dims toDims(const std::vector<int64_t>& v) {
    return makeDims(std::span<const int64_t>(v));
}

Dims unitDims(int n) {
    return toDims(std::vector<int64_t>(static_cast<size_t>(n), 1));
}

/// Reads kernel_shape (or `kernel` from the weights), strides, dilations, pads and auto_pad.
StatusOr<SpatialAttrs> readSpatial(const OnnxNode& node, int nbSpatial,
                                   const std::vector<int64_t>& kernelFromWeights, bool hasDilations,
                                   bool hasCeil) {
    const NodeAttrs a = node.attrs();
    SpatialAttrs s;
    const std::vector<int64_t> ones(static_cast<size_t>(nbSpatial), 1),
        zeros(2 * static_cast<size_t>(nbSpatial), 0);
    KILN_ASSIGN_OR_RETURN(s.kernel, a.getInts("kernel_shape", kernelFromWeights));
    KILN_ASSIGN_OR_RETURN(s.strides, a.getInts("strides", ones));
    KILN_ASSIGN_OR_RETURN(s.dilations,
                          hasDilations ? a.getInts("dilations", ones) : StatusOr<std::vector<int64_t>>(ones));
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> pads, a.getInts("pads", zeros));
    KILN_ASSIGN_OR_RETURN(s.autoPad, a.getString("auto_pad", std::string("NOTSET")));
    if (hasCeil) {
        KILN_ASSIGN_OR_RETURN(int64_t ceil, a.getInt("ceil_mode", 0));
        s.ceil = ceil != 0;
    }
    auto checkSize = [&](const std::vector<int64_t>& v, size_t n, const char* name) -> Status {
        if (v.size() != n)
            return invalidArgument(std::string("attribute '") + name + "' has " + std::to_string(v.size()) +
                                   " values, expected " + std::to_string(n) + " for " +
                                   std::to_string(nbSpatial) + " spatial dims");
        return Status::ok();
    };
    KILN_RETURN_IF_ERROR(checkSize(s.kernel, static_cast<size_t>(nbSpatial), "kernel_shape"));
    KILN_RETURN_IF_ERROR(checkSize(s.strides, static_cast<size_t>(nbSpatial), "strides"));
    KILN_RETURN_IF_ERROR(checkSize(s.dilations, static_cast<size_t>(nbSpatial), "dilations"));
    KILN_RETURN_IF_ERROR(checkSize(pads, 2 * static_cast<size_t>(nbSpatial), "pads"));
    s.pre.assign(pads.begin(), pads.begin() + nbSpatial);
    s.post.assign(pads.begin() + nbSpatial, pads.end());
    if (s.autoPad != "NOTSET" && s.autoPad != "SAME_UPPER" && s.autoPad != "SAME_LOWER" &&
        s.autoPad != "VALID")
        return invalidArgument("attribute 'auto_pad' is '" + s.autoPad +
                               "'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
    if (s.autoPad == "VALID") {
        s.pre.assign(static_cast<size_t>(nbSpatial), 0);
        s.post.assign(static_cast<size_t>(nbSpatial), 0);
    }
    return s;
}

PaddingMode paddingModeOf(const SpatialAttrs& s) {
    if (s.autoPad == "SAME_UPPER") return PaddingMode::kSAME_UPPER;
    if (s.autoPad == "SAME_LOWER") return PaddingMode::kSAME_LOWER;
    return s.ceil ? PaddingMode::kEXPLICIT_ROUND_UP : PaddingMode::kEXPLICIT_ROUND_DOWN;
}

Status checkAutoPad(const OnnxNode& node) {
    KILN_ASSIGN_OR_RETURN(std::string autoPad, node.attrs().getString("auto_pad", std::string("NOTSET")));
    if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER" && autoPad != "VALID")
        return unsupported("attribute 'auto_pad' is '" + autoPad +
                           "'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
    return Status::ok();
}

/// The kernel as layer weights in the input's float type, or null weights when it is computed.
struct KernelInput {
    Dims shape;
    std::optional<ConstValue> constant;
    ITensor* tensor{nullptr};
};

StatusOr<KernelInput> kernelInput(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                                  DataType type) {
    if (!hasInput(inputs, 1)) return invalidArgument("input 1 (W) is required");
    KernelInput k;
    k.shape = dimsOf(inputs[1]);
    if (inputs[1].isConstant()) {
        k.constant = convertedConstant(*inputs[1].constant, type);
    } else {
        KILN_ASSIGN_OR_RETURN(k.tensor, inputTensor(ctx, node, inputs, 1));
        if (!isFullyKnown(k.shape))
            return unsupported("the weights W (input 1) have shape " + toString(k.shape) +
                               "; Kiln needs it at build time");
    }
    return k;
}

/// The bias as a tensor (null when absent). Made before the layer: adding a layer re-checks the whole
/// network, which must not happen while a conv layer is half way through its setters.
StatusOr<ITensor*> biasTensor(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                              DataType type) {
    if (!hasInput(inputs, 2)) return static_cast<ITensor*>(nullptr);
    if (inputs[2].isConstant()) return ctx.constant(convertedConstant(*inputs[2].constant, type));
    return inputTensor(ctx, node, inputs, 2);
}

/// Gives a layer added with a 1x1 kernel its real output maps, groups, kernel size, kernel and bias.
template <class Layer>
void finishConvLike(Layer* layer, const KernelInput& k, int64_t outMaps, int64_t groups, Dims kernel,
                    ITensor* bias) {
    layer->setNbOutputMaps(outMaps);
    if (groups != 1) layer->setNbGroups(groups);
    if (k.tensor) layer->setInput(1, *k.tensor);
    layer->setKernelSizeNd(kernel);
    if (bias) layer->setInput(2, *bias);
}

Status importConv(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const Dims xd = x->getDimensions();
    const DataType type = x->getType();
    if (!isFloatType(type))
        return unsupported(std::string("Conv input must be a float type, got ") + dataTypeName(type));
    KILN_ASSIGN_OR_RETURN(KernelInput k, kernelInput(ctx, node, inputs, type));
    const int nbSpatial = k.shape.nbDims - 2;
    if (nbSpatial < 1 || nbSpatial > 3 || xd.nbDims != k.shape.nbDims)
        return unsupported("Conv with input " + toString(xd) + " and weights " + toString(k.shape) +
                           ": Kiln supports 1 to 3 spatial dims with weights of the input's rank");
    KILN_ASSIGN_OR_RETURN(int64_t groups, node.attrs().getInt("group", 1));
    const int64_t m = k.shape.d[0], cPerGroup = k.shape.d[1];
    if (groups < 1 || m % groups != 0)
        return invalidArgument("group " + std::to_string(groups) + " does not divide the " +
                               std::to_string(m) + " output channels of W " + toString(k.shape));
    if (xd.d[1] >= 0 && xd.d[1] != cPerGroup * groups)
        return invalidArgument("input " + toString(xd) + " has " + std::to_string(xd.d[1]) + " channels; W " +
                               toString(k.shape) + " with group " + std::to_string(groups) + " expects " +
                               std::to_string(cPerGroup * groups));
    std::vector<int64_t> kernel(k.shape.d + 2, k.shape.d + k.shape.nbDims);
    KILN_ASSIGN_OR_RETURN(SpatialAttrs s, readSpatial(node, nbSpatial, kernel, true, false));
    if (s.kernel != kernel)
        return invalidArgument("attribute 'kernel_shape' " + toString(toDims(s.kernel)) +
                               " differs from W's " + toString(toDims(kernel)));
    const int64_t kvol = volume(toDims(kernel));
    std::vector<float> placeholder;
    Weights w{type, nullptr, 0};
    if (k.constant) {
        w = k.constant->weights();
    } else {
        placeholder.assign(static_cast<size_t>(m * cPerGroup * kvol), 0.0f);
        w = Weights{DataType::kFLOAT, placeholder.data(), static_cast<int64_t>(placeholder.size())};
    }
    KILN_ASSIGN_OR_RETURN(ITensor * bias, biasTensor(ctx, node, inputs, type));
    IConvolutionLayer* conv =
        ctx.net().addConvolutionNd(*x, m / groups * kvol, unitDims(nbSpatial), w, Weights{type, nullptr, 0});
    KILN_ASSIGN_OR_RETURN(conv, ctx.check(conv, "addConvolutionNd"));
    finishConvLike(conv, k, m, groups, toDims(kernel), bias);
    conv->setStrideNd(toDims(s.strides));
    conv->setDilationNd(toDims(s.dilations));
    conv->setPrePadding(toDims(s.pre));
    conv->setPostPadding(toDims(s.post));
    conv->setPaddingMode(paddingModeOf(s));
    return setOutput(outputs, conv->getOutput(0));
}

Status importConvTranspose(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                           std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const Dims xd = x->getDimensions();
    const DataType type = x->getType();
    if (!isFloatType(type))
        return unsupported(std::string("ConvTranspose input must be a float type, got ") +
                           dataTypeName(type));
    KILN_ASSIGN_OR_RETURN(KernelInput k, kernelInput(ctx, node, inputs, type));
    const int nbSpatial = k.shape.nbDims - 2;
    if (nbSpatial < 1 || nbSpatial > 3 || xd.nbDims != k.shape.nbDims)
        return unsupported("ConvTranspose with input " + toString(xd) + " and weights " + toString(k.shape) +
                           ": Kiln supports 1 to 3 spatial dims with weights of the input's rank");
    KILN_ASSIGN_OR_RETURN(int64_t groups, node.attrs().getInt("group", 1));
    const int64_t c = k.shape.d[0], mPerGroup = k.shape.d[1];
    if (groups < 1 || c % groups != 0)
        return invalidArgument("group " + std::to_string(groups) + " does not divide the " +
                               std::to_string(c) + " input channels of W " + toString(k.shape));
    std::vector<int64_t> kernel(k.shape.d + 2, k.shape.d + k.shape.nbDims);
    KILN_ASSIGN_OR_RETURN(SpatialAttrs s, readSpatial(node, nbSpatial, kernel, true, false));
    KILN_ASSIGN_OR_RETURN(
        std::vector<int64_t> outPad,
        node.attrs().getInts("output_padding", std::vector<int64_t>(static_cast<size_t>(nbSpatial), 0)));
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> outShape,
                          node.attrs().getInts("output_shape", std::vector<int64_t>{}));
    if (outPad.size() != static_cast<size_t>(nbSpatial))
        return invalidArgument("attribute 'output_padding' has " + std::to_string(outPad.size()) +
                               " values, expected " + std::to_string(nbSpatial));
    if (!outShape.empty() && outShape.size() == static_cast<size_t>(nbSpatial) + 2)
        outShape.erase(outShape.begin(), outShape.begin() + 2);  // some exporters include N and C
    if (!outShape.empty() && outShape.size() != static_cast<size_t>(nbSpatial))
        return invalidArgument("attribute 'output_shape' has " + std::to_string(outShape.size()) +
                               " values, expected " + std::to_string(nbSpatial) + " (one per spatial dim)");
    const bool same = s.autoPad == "SAME_UPPER" || s.autoPad == "SAME_LOWER";
    if (!outShape.empty() || same) {
        // ONNX's rule: total padding = stride * (in - 1) + output_padding + dilated kernel - out, split per
        // auto_pad (SAME_UPPER puts the smaller half first).
        for (int i = 0; i < nbSpatial; ++i) {
            const int64_t in = xd.d[2 + i];
            if (in < 0)
                return unsupported(
                    "ConvTranspose with output_shape or SAME padding needs spatial dims known at build "
                    "time; input is " +
                    toString(xd));
            const int64_t out =
                outShape.empty() ? in * s.strides[static_cast<size_t>(i)] : outShape[static_cast<size_t>(i)];
            const int64_t total =
                s.strides[static_cast<size_t>(i)] * (in - 1) + outPad[static_cast<size_t>(i)] +
                (kernel[static_cast<size_t>(i)] - 1) * s.dilations[static_cast<size_t>(i)] + 1 - out;
            // Halves by floor division, as ONNX's reference does, also for a negative total (an output
            // larger than the full transposed convolution: the extra end is zeros, i.e. output padding).
            const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
            const bool upper = s.autoPad == "SAME_UPPER";
            int64_t pre = upper ? half : total - half, post = upper ? total - half : half;
            if (pre < 0)
                return unsupported("ConvTranspose output_shape " + toString(toDims(outShape)) +
                                   " needs negative leading padding in spatial dim " + std::to_string(i));
            if (post < 0) {
                outPad[static_cast<size_t>(i)] -= post;
                post = 0;
            }
            s.pre[static_cast<size_t>(i)] = pre;
            s.post[static_cast<size_t>(i)] = post;
        }
        s.autoPad = "NOTSET";
    }
    const int64_t kvol = volume(toDims(kernel));
    std::vector<float> placeholder;
    Weights w{type, nullptr, 0};
    if (k.constant) {
        w = k.constant->weights();
    } else {
        placeholder.assign(static_cast<size_t>(c * mPerGroup * kvol), 0.0f);
        w = Weights{DataType::kFLOAT, placeholder.data(), static_cast<int64_t>(placeholder.size())};
    }
    KILN_ASSIGN_OR_RETURN(ITensor * bias, biasTensor(ctx, node, inputs, type));
    IDeconvolutionLayer* deconv =
        ctx.net().addDeconvolutionNd(*x, mPerGroup * kvol, unitDims(nbSpatial), w, Weights{type, nullptr, 0});
    KILN_ASSIGN_OR_RETURN(deconv, ctx.check(deconv, "addDeconvolutionNd"));
    finishConvLike(deconv, k, mPerGroup * groups, groups, toDims(kernel), bias);
    deconv->setStrideNd(toDims(s.strides));
    deconv->setDilationNd(toDims(s.dilations));
    deconv->setPrePadding(toDims(s.pre));
    deconv->setPostPadding(toDims(s.post));
    deconv->setPaddingMode(PaddingMode::kEXPLICIT_ROUND_DOWN);
    bool anyOutPad = false;
    for (int64_t p : outPad) anyOutPad = anyOutPad || p != 0;
    if (anyOutPad) deconv->setOutputPaddingNd(toDims(outPad));
    return setOutput(outputs, deconv->getOutput(0));
}

Status checkMaxPool(const OnnxNode& node) {
    KILN_RETURN_IF_ERROR(checkAutoPad(node));
    KILN_ASSIGN_OR_RETURN(int64_t order, node.attrs().getInt("storage_order", 0));
    if (order != 0 && order != 1)
        return invalidArgument("attribute 'storage_order' is " + std::to_string(order) +
                               "; expected 0 (row-major) or 1 (column-major)");
    return Status::ok();
}

Status importPool(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs, PoolingType type) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int nbSpatial = x->getDimensions().nbDims - 2;
    if (nbSpatial < 1 || nbSpatial > 3)
        return unsupported("pooling input " + toString(x->getDimensions()) +
                           ": Kiln supports 1 to 3 spatial dims");
    KILN_RETURN_IF_ERROR(type == PoolingType::kMAX ? checkMaxPool(node) : checkAutoPad(node));
    const bool dilations = type == PoolingType::kMAX ? node.opset >= 10 : node.opset >= 19;
    KILN_ASSIGN_OR_RETURN(SpatialAttrs s, readSpatial(node, nbSpatial, {}, dilations, node.opset >= 10));
    IPoolingLayer* pool = ctx.net().addPoolingNd(*x, type, unitDims(nbSpatial));
    KILN_ASSIGN_OR_RETURN(pool, ctx.check(pool, "addPoolingNd"));
    pool->setWindowSizeNd(toDims(s.kernel));
    pool->setStrideNd(toDims(s.strides));
    pool->setPrePadding(toDims(s.pre));
    pool->setPostPadding(toDims(s.post));
    pool->setPaddingMode(paddingModeOf(s));
    bool dilated = false;
    for (int64_t d : s.dilations) dilated = dilated || d != 1;
    if (dilated) pool->setDilationNd(toDims(s.dilations));
    if (type == PoolingType::kAVERAGE) {
        KILN_ASSIGN_OR_RETURN(int64_t include, node.attrs().getInt("count_include_pad", 0));
        pool->setAverageCountExcludesPadding(include == 0);
    } else if (outputs.size() > 1 && !node.proto->output(1).empty()) {
        // Indices (opset 8+): flat int64 positions in the input, spatial order per storage_order.
        KILN_ASSIGN_OR_RETURN(int64_t order, node.attrs().getInt("storage_order", 0));
        pool->setIndicesColumnMajor(order == 1);
        ITensor* indices = pool->addIndicesOutput();
        if (!indices) return ctx.failedCall("IPoolingLayer::addIndicesOutput");
        KILN_RETURN_IF_ERROR(setOutput(outputs, indices, 1));
    }
    return setOutput(outputs, pool->getOutput(0));
}

Status importMaxPool(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                     std::vector<Value>& out) {
    return importPool(ctx, node, in, out, PoolingType::kMAX);
}
Status importAveragePool(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                         std::vector<Value>& out) {
    return importPool(ctx, node, in, out, PoolingType::kAVERAGE);
}

Status importGlobalPool(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                        std::vector<Value>& outputs, PoolingType type) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int nbSpatial = x->getDimensions().nbDims - 2;
    if (nbSpatial < 1 || nbSpatial > 3)
        return unsupported("global pooling input " + toString(x->getDimensions()) +
                           ": Kiln supports 1 to 3 spatial dims");
    IPoolingLayer* pool =
        ctx.net().addPoolingNd(*x, type, toDims(std::vector<int64_t>(static_cast<size_t>(nbSpatial), 1)));
    KILN_ASSIGN_OR_RETURN(pool, ctx.check(pool, "addPoolingNd"));
    pool->setGlobal(true);
    return setOutput(outputs, pool->getOutput(0));
}

Status importGlobalAveragePool(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                               std::vector<Value>& out) {
    return importGlobalPool(ctx, node, in, out, PoolingType::kAVERAGE);
}
Status importGlobalMaxPool(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                           std::vector<Value>& out) {
    return importGlobalPool(ctx, node, in, out, PoolingType::kMAX);
}

const OpImporter kImporters[] = {
    {"Conv", kMinOpset, kMaxOpset, importConv, checkAutoPad},
    {"ConvTranspose", kMinOpset, kMaxOpset, importConvTranspose, checkAutoPad},
    {"MaxPool", kMinOpset, kMaxOpset, importMaxPool, checkMaxPool},
    {"AveragePool", kMinOpset, kMaxOpset, importAveragePool, checkAutoPad},
    {"GlobalAveragePool", kMinOpset, kMaxOpset, importGlobalAveragePool},
    {"GlobalMaxPool", kMinOpset, kMaxOpset, importGlobalMaxPool},
};

}  // namespace

std::span<const OpImporter> convImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
