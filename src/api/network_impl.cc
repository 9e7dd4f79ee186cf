// INetworkDefinition implementation: each add* validates its arguments, appends IR nodes (weights become
// Constant nodes) and runs inference for the new node so shape errors surface at the call that caused
// them, as TensorRT does.
#include "api/network_impl.h"

#include <cstring>

#include "api/network_layers.h"
#include "common/tensor_ref.h"

namespace kiln::api {

namespace {

bool isWeightsEmpty(const Weights& w) { return w.count == 0; }

}  // namespace

// ---- tensors ---------------------------------------------------------------------------------------

void TensorImpl::setName(const char* name) noexcept {
    if (!name || !*name) {
        mNet->reporter().error(ErrorCode::kINVALID_ARGUMENT, "ITensor::setName: name must be non-empty");
        return;
    }
    for (const auto& t : mNet->graph().tensors()) {
        if (t.name == name && &t != &mNet->graph().tensor(mId)) {
            mNet->reporter().error(ErrorCode::kINVALID_ARGUMENT,
                                   std::string("ITensor::setName: another tensor is already named '") + name + "'");
            return;
        }
    }
    mNet->graph().tensor(mId).name = name;
}
const char* TensorImpl::getName() const noexcept { return mNet->graph().tensor(mId).name.c_str(); }
Dims TensorImpl::getDimensions() const noexcept {
    (void)mNet->ensureInferred();
    return mNet->graph().tensor(mId).shape;
}
void TensorImpl::setDimensions(Dims dimensions) noexcept {
    if (!isNetworkInput()) {
        mNet->reporter().error(ErrorCode::kINVALID_ARGUMENT, "ITensor::setDimensions: '" +
                                                                 mNet->graph().tensor(mId).name +
                                                                 "' is not a network input; only inputs have declared dims");
        return;
    }
    mNet->graph().tensor(mId).shape = dimensions;
    mNet->markDirty();
}
DataType TensorImpl::getType() const noexcept {
    (void)mNet->ensureInferred();
    return mNet->graph().tensor(mId).type;
}
void TensorImpl::setType(DataType type) noexcept {
    ir::Tensor& t = mNet->graph().tensor(mId);
    if (t.isInput) {
        t.type = type;
        mNet->markDirty();
        return;
    }
    for (const auto& layer : mNet->layers()) {
        const ir::Node& n = mNet->graph().node(layer->node());
        for (size_t k = 0; k < n.outputs.size(); ++k)
            if (n.outputs[k] == mId) {
                layer->asLayer()->setOutputType(static_cast<int32_t>(k), type);
                return;
            }
    }
    mNet->reporter().error(ErrorCode::kINVALID_ARGUMENT, "ITensor::setType: '" + t.name + "' is a weights tensor; its type is its weights' type");
}
bool TensorImpl::isNetworkInput() const noexcept { return mNet->graph().tensor(mId).isInput; }
bool TensorImpl::isNetworkOutput() const noexcept { return mNet->graph().tensor(mId).isOutput; }
bool TensorImpl::isShapeTensor() const noexcept {
    for (const ir::Node& n : mNet->graph().nodes())
        for (size_t i = 0; i < n.inputs.size(); ++i)
            if (n.inputs[i] == mId && ir::isShapeInputSlot(n.kind(), i)) return true;
    return false;
}

// ---- network ---------------------------------------------------------------------------------------

TensorImpl* NetworkImpl::tensorObject(ir::TensorId id) const {
    if (id < 0 || static_cast<size_t>(id) >= mTensorObjects.size()) return nullptr;
    return mTensorObjects[static_cast<size_t>(id)].get();
}

void NetworkImpl::syncTensorObjects() {
    while (mTensorObjects.size() < mGraph.tensors().size())
        mTensorObjects.push_back(std::make_unique<TensorImpl>(this, static_cast<ir::TensorId>(mTensorObjects.size())));
}

ir::TensorId NetworkImpl::idOf(const ITensor& t, const char* what) const {
    for (const auto& obj : mTensorObjects)
        if (obj.get() == &t) return obj->id();
    mReporter->error(ErrorCode::kINVALID_ARGUMENT,
                     std::string(what) + ": the tensor does not belong to this network (was it created by another one?)");
    return ir::kNoTensor;
}

Status NetworkImpl::ensureInferred() const {
    if (!mDirty) return Status::ok();
    // Infer node by node so that one invalid layer leaves only what depends on it unknown.
    auto& g = const_cast<ir::Graph&>(mGraph);
    Status first;
    for (ir::NodeId i = 0; i < static_cast<ir::NodeId>(g.nodes().size()); ++i) {
        Status st = g.inferNodeShapes(i);
        if (st.isOk()) continue;
        for (ir::TensorId t : g.node(i).outputs) g.tensor(t).shape.nbDims = -1;
        if (first.isOk()) first = st;
    }
    mDirty = !first.isOk();
    if (!first.isOk()) mReporter->verbose("shape inference: " + first.message());
    return first;
}

std::string NetworkImpl::uniqueLayerName(const char* prefix) {
    return std::string(prefix) + "_" + std::to_string(mNameCounter++);
}

ir::TensorId NetworkImpl::addWeights(const std::string& name, Weights w, Dims shape, DataType type) {
    if (isWeightsEmpty(w)) return ir::kNoTensor;
    int64_t n = volume(shape);
    std::vector<uint8_t> bytes(static_cast<size_t>(storageBytes(type, n)));
    for (int64_t i = 0; i < n; ++i) {
        if (isFloatType(type))
            storeFromDouble(type, bytes.data(), i, loadAsDouble(w.type, w.values, i));
        else
            storeFromInt64(type, bytes.data(), i, loadAsInt64(w.type, w.values, i));
    }
    ir::TensorId t = mGraph.addConstant(name, type, shape, std::move(bytes));
    syncTensorObjects();
    return t;
}

bool NetworkImpl::finishNode(ir::NodeId node, Mark mark, const std::vector<DataType>& presetOutputTypes) {
    (void)mark;
    ir::Node& n = mGraph.node(node);
    for (size_t k = 0; k < n.outputs.size(); ++k)
        mGraph.tensor(n.outputs[k]).type = k < presetOutputTypes.size() ? presetOutputTypes[k] : DataType::kFLOAT;
    syncTensorObjects();
    // Earlier edits may have left the graph stale; bring it up to date before inferring the new node.
    if (mDirty) (void)ensureInferred();
    Status st = mGraph.inferNodeShapes(node);
    if (!st.isOk()) {
        // As in TensorRT, a layer may be valid only once its setters have run (a 3x3 convolution on a 2x2
        // map needs its padding first), so shape errors are not final here: the output shapes stay unknown
        // and the builder reports whatever is still wrong, naming the layer.
        for (ir::TensorId t : n.outputs) mGraph.tensor(t).shape.nbDims = -1;
        mReporter->verbose("shape inference deferred: " + st.message());
        mDirty = true;
    }
    return true;
}

template <class Layer, class Attrs>
Layer* NetworkImpl::addLayer(Mark mark, const char* prefix, LayerType type, Attrs attrs,
                             std::vector<ir::TensorId> inputs, int nbOutputs, std::vector<DataType> presetOutputTypes) {
    for (size_t i = 0; i < inputs.size(); ++i) {
        // A required input that failed to resolve (idOf reported why) aborts the add.
        if (inputs[i] == ir::kNoTensor && static_cast<int32_t>(i) < ir::opInfo(ir::opKindOf(ir::Attrs(attrs))).minInputs) {
            mGraph.nodes().resize(mark.nodes);
            mGraph.tensors().resize(mark.tensors);
            mTensorObjects.resize(std::min(mTensorObjects.size(), mark.tensors));
            return nullptr;
        }
    }
    ir::NodeId node = mGraph.addNode(uniqueLayerName(prefix), std::move(attrs), std::move(inputs), nbOutputs);
    if (!finishNode(node, mark, presetOutputTypes)) return nullptr;
    auto layer = std::make_unique<Layer>(this, node, type);
    Layer* raw = layer.get();
    mLayers.push_back(std::move(layer));
    return raw;
}

ITensor* NetworkImpl::addInput(const char* name, DataType type, Dims dimensions) noexcept {
    if (!name || !*name) {
        mReporter->error(ErrorCode::kINVALID_ARGUMENT, "addInput: the input needs a non-empty name");
        return nullptr;
    }
    for (const auto& t : mGraph.tensors())
        if (t.name == name) {
            mReporter->error(ErrorCode::kINVALID_ARGUMENT, std::string("addInput: a tensor named '") + name + "' already exists");
            return nullptr;
        }
    if (dimensions.nbDims < 0 || dimensions.nbDims > kMAX_DIMS) {
        mReporter->error(ErrorCode::kINVALID_ARGUMENT, std::string("addInput '") + name + "': rank must be 0.." +
                                                           std::to_string(kMAX_DIMS) + ", got " + std::to_string(dimensions.nbDims));
        return nullptr;
    }
    for (int i = 0; i < dimensions.nbDims; ++i)
        if (dimensions.d[i] < -1) {
            mReporter->error(ErrorCode::kINVALID_ARGUMENT, std::string("addInput '") + name + "': dimension " + std::to_string(i) +
                                                               " is " + std::to_string(dimensions.d[i]) + "; use -1 for a dimension set at run time");
            return nullptr;
        }
    ir::TensorId id = mGraph.addInput(name, type, dimensions);
    syncTensorObjects();
    markDirty();
    return tensorObject(id);
}

void NetworkImpl::markOutput(ITensor& tensor) noexcept {
    ir::TensorId id = idOf(tensor, "markOutput");
    if (id != ir::kNoTensor) mGraph.markOutput(id);
}

void NetworkImpl::unmarkOutput(ITensor& tensor) noexcept {
    ir::TensorId id = idOf(tensor, "unmarkOutput");
    if (id != ir::kNoTensor) mGraph.unmarkOutput(id);
}

ILayer* NetworkImpl::getLayer(int32_t index) const noexcept {
    if (index < 0 || index >= getNbLayers()) return nullptr;
    return mLayers[static_cast<size_t>(index)]->asLayer();
}
ITensor* NetworkImpl::getInput(int32_t index) const noexcept {
    if (index < 0 || index >= getNbInputs()) return nullptr;
    return tensorObject(mGraph.inputs()[static_cast<size_t>(index)]);
}
ITensor* NetworkImpl::getOutput(int32_t index) const noexcept {
    if (index < 0 || index >= getNbOutputs()) return nullptr;
    return tensorObject(mGraph.outputs()[static_cast<size_t>(index)]);
}

// ---- layers with weights ---------------------------------------------------------------------------

namespace {

/// The float type weights take: the input's type when it is a float type, else float32.
DataType weightsTypeFor(DataType inputType) { return isFloatType(inputType) ? inputType : DataType::kFLOAT; }

int64_t product(const Dims& d) {
    int64_t p = 1;
    for (int i = 0; i < d.nbDims; ++i) p *= d.d[i];
    return p;
}

}  // namespace

template <class Interface, class Attrs>
void ConvLikeLayer<Interface, Attrs>::reshapeKernel() {
    // Kernels given as Weights are flat: their count is fixed, their shape follows the layer's parameters.
    ir::Graph& g = this->net()->graph();
    ir::TensorId kernel = this->nodeRef().inputs[1];
    ir::NodeId producer = g.tensor(kernel).producer;
    if (producer < 0 || g.node(producer).kind() != ir::OpKind::kConstant) return;  // a user tensor keeps its shape
    const Attrs& a = this->attrs();
    constexpr bool kDeconv = std::is_same_v<Attrs, ir::DeconvolutionAttrs>;
    const int64_t count = volume(g.tensor(kernel).shape);
    const int64_t spatial = product(a.kernelSize);
    if (a.nbGroups <= 0 || a.nbOutputMaps <= 0 || spatial <= 0 || a.nbOutputMaps % a.nbGroups != 0) return;
    const int64_t second = kDeconv ? a.nbOutputMaps / a.nbGroups : count / (int64_t(a.nbOutputMaps) * spatial);
    const int64_t first = kDeconv ? count / (second * spatial) : a.nbOutputMaps;
    Dims shape;
    shape.nbDims = 2 + a.kernelSize.nbDims;
    shape.d[0] = first;
    shape.d[1] = second;
    for (int i = 0; i < a.kernelSize.nbDims; ++i) shape.d[2 + i] = a.kernelSize.d[i];
    if (volume(shape) == count) g.tensor(kernel).shape = shape;  // else inference reports the mismatch
}

namespace {

/// Shared body of addConvolutionNd / addDeconvolutionNd.
template <class Layer, class Attrs>
Layer* addConvLike(NetworkImpl& net, bool deconv, ITensor& input, int64_t nbOutputMaps, Dims kernelSize,
                   Weights kernelWeights, Weights biasWeights) {
    const char* api = deconv ? "addDeconvolutionNd" : "addConvolutionNd";
    auto mark = net.mark();
    ir::TensorId x = net.idOf(input, api);
    if (x == ir::kNoTensor) return nullptr;
    const ir::Tensor& xt = net.graph().tensor(x);
    auto fail = [&](const std::string& msg) -> Layer* {
        net.reporter().error(ErrorCode::kINVALID_ARGUMENT, std::string(api) + ": " + msg);
        return nullptr;
    };
    if (nbOutputMaps <= 0) return fail("nbOutputMaps must be positive, got " + std::to_string(nbOutputMaps));
    if (kernelSize.nbDims < 1 || kernelSize.nbDims > 3)
        return fail("kernel size must have 1 to 3 spatial dims, got " + toString(kernelSize));
    if (xt.shape.nbDims >= 0 && xt.shape.nbDims != kernelSize.nbDims + 2)
        return fail("input '" + xt.name + "' has shape " + toString(xt.shape) + "; a " + std::to_string(kernelSize.nbDims) +
                    "-d kernel needs rank " + std::to_string(kernelSize.nbDims + 2) + " [N, C, spatial...]");
    for (int i = 0; i < kernelSize.nbDims; ++i)
        if (kernelSize.d[i] <= 0) return fail("kernel size " + toString(kernelSize) + " must be positive");
    // The group count is set later (setNbGroups), so the weights' count fixes the channels per group:
    // convolution [K, C/g, k...], deconvolution [C, K/g, k...] with g = 1 until told otherwise.
    const int64_t perMap = nbOutputMaps * product(kernelSize);
    const int64_t c = xt.shape.nbDims >= 2 ? xt.shape.d[1] : -1;
    const int64_t channels = kernelWeights.count / perMap;
    bool countOk = kernelWeights.count > 0 && kernelWeights.count % perMap == 0 &&
                   (c < 0 || (deconv ? channels == c : c % channels == 0));
    if (!countOk) {
        std::string expected = c >= 0 ? std::to_string(nbOutputMaps * c * product(kernelSize)) : "a multiple of " + std::to_string(perMap);
        return fail("kernel weights hold " + std::to_string(kernelWeights.count) + " values; expected " + expected +
                    (deconv ? " (C x nbOutputMaps x kernel)" : " (nbOutputMaps x C x kernel for one group, or C/groups channels per group)") +
                    " with nbOutputMaps = " + std::to_string(nbOutputMaps) + ", C = " + std::to_string(c) +
                    ", kernel " + toString(kernelSize));
    }
    if (!isWeightsEmpty(biasWeights) && biasWeights.count != nbOutputMaps)
        return fail("bias weights hold " + std::to_string(biasWeights.count) + " values; expected nbOutputMaps = " +
                    std::to_string(nbOutputMaps) + " (or 0 for no bias)");
    DataType wt = weightsTypeFor(xt.type);
    Dims kshape;
    kshape.nbDims = 2 + kernelSize.nbDims;
    kshape.d[0] = deconv ? channels : nbOutputMaps;
    kshape.d[1] = deconv ? nbOutputMaps : channels;
    for (int i = 0; i < kernelSize.nbDims; ++i) kshape.d[2 + i] = kernelSize.d[i];
    std::string base = net.uniqueLayerName(deconv ? "deconv" : "conv");
    ir::TensorId k = net.addWeights(base + "_kernel", kernelWeights, kshape, wt);
    ir::TensorId b = net.addWeights(base + "_bias", biasWeights, makeDims({nbOutputMaps}), wt);
    Attrs a;
    a.nbOutputMaps = static_cast<int32_t>(nbOutputMaps);
    a.kernelSize = kernelSize;
    std::vector<ir::TensorId> inputs{x, k};
    if (b != ir::kNoTensor) inputs.push_back(b);
    return net.template addLayer<Layer>(mark, deconv ? "deconv" : "conv", deconv ? LayerType::kDECONVOLUTION : LayerType::kCONVOLUTION,
                                        a, inputs, 1);
}

}  // namespace

IConvolutionLayer* NetworkImpl::addConvolutionNd(ITensor& input, int64_t nbOutputMaps, Dims kernelSize,
                                                 Weights kernelWeights, Weights biasWeights) noexcept {
    return addConvLike<ConvolutionLayer, ir::ConvolutionAttrs>(*this, false, input, nbOutputMaps, kernelSize,
                                                               kernelWeights, biasWeights);
}

IDeconvolutionLayer* NetworkImpl::addDeconvolutionNd(ITensor& input, int64_t nbOutputMaps, Dims kernelSize,
                                                     Weights kernelWeights, Weights biasWeights) noexcept {
    return addConvLike<DeconvolutionLayer, ir::DeconvolutionAttrs>(*this, true, input, nbOutputMaps, kernelSize,
                                                                   kernelWeights, biasWeights);
}

IScaleLayer* NetworkImpl::addScale(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power) noexcept {
    return addScaleNd(input, mode, shift, scale, power, 1);
}

IScaleLayer* NetworkImpl::addScaleNd(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power,
                                     int32_t channelAxis) noexcept {
    auto m = mark();
    ir::TensorId x = idOf(input, "addScaleNd");
    if (x == ir::kNoTensor) return nullptr;
    const ir::Tensor& xt = mGraph.tensor(x);
    DataType wt = weightsTypeFor(xt.type);
    std::string base = uniqueLayerName("scale");
    std::vector<ir::TensorId> inputs{x};
    const Weights* ws[3] = {&shift, &scale, &power};
    const char* names[3] = {"_shift", "_scale", "_power"};
    for (int i = 0; i < 3; ++i) {
        // Coefficients are 1-D; inference checks the count against the mode.
        ir::TensorId t = addWeights(base + names[i], *ws[i], makeDims({ws[i]->count}), wt);
        inputs.push_back(t);
    }
    while (inputs.size() > 1 && inputs.back() == ir::kNoTensor) inputs.pop_back();
    ir::ScaleAttrs a;
    a.mode = mode;
    a.channelAxis = channelAxis;
    return addLayer<ScaleLayer>(m, "scale", LayerType::kSCALE, a, inputs, 1);
}

IConstantLayer* NetworkImpl::addConstant(Dims dimensions, Weights weights) noexcept {
    auto m = mark();
    if (!isFullyKnown(dimensions)) {
        mReporter->error(ErrorCode::kINVALID_ARGUMENT, "addConstant: dimensions " + toString(dimensions) + " must all be known and >= 0");
        return nullptr;
    }
    if (weights.count != volume(dimensions) || (weights.count > 0 && !weights.values)) {
        mReporter->error(ErrorCode::kINVALID_ARGUMENT, "addConstant: weights hold " + std::to_string(weights.count) +
                                                           " values but dimensions " + toString(dimensions) + " need " +
                                                           std::to_string(volume(dimensions)));
        return nullptr;
    }
    std::vector<uint8_t> bytes(static_cast<size_t>(storageBytes(weights.type, weights.count)));
    if (!bytes.empty()) std::memcpy(bytes.data(), weights.values, bytes.size());
    ir::ConstantAttrs a;
    a.data = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
    ir::NodeId node = mGraph.addNode(uniqueLayerName("constant"), a, {}, 1);
    mGraph.tensor(mGraph.node(node).outputs[0]).shape = dimensions;
    if (!finishNode(node, m, {weights.type})) return nullptr;
    auto layer = std::make_unique<ConstantLayer>(this, node, LayerType::kCONSTANT);
    ConstantLayer* raw = layer.get();
    mLayers.push_back(std::move(layer));
    return raw;
}

// ---- layers without weights ------------------------------------------------------------------------

#define KILN_RESOLVE(var, tensor, api)              ir::TensorId var = idOf(tensor, api);           if (var == ir::kNoTensor) return nullptr

IPoolingLayer* NetworkImpl::addPoolingNd(ITensor& input, PoolingType type, Dims windowSize) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addPoolingNd");
    ir::PoolingAttrs a;
    a.type = type;
    a.windowSize = windowSize;
    return addLayer<PoolingLayer>(m, "pool", LayerType::kPOOLING, a, {x}, 1);
}

IActivationLayer* NetworkImpl::addActivation(ITensor& input, ActivationType type) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addActivation");
    ir::ActivationAttrs a;
    a.type = type;
    // TensorRT's defaults for the parameterized activations.
    switch (type) {
        case ActivationType::kLEAKY_RELU: a.alpha = 0.01f; break;
        case ActivationType::kELU: a.alpha = 1.0f; break;
        case ActivationType::kSELU: a.alpha = 1.6732632423543772f; a.beta = 1.0507009873554805f; break;
        case ActivationType::kSOFTPLUS: a.alpha = 1.0f; a.beta = 1.0f; break;
        case ActivationType::kHARD_SIGMOID: a.alpha = 0.2f; a.beta = 0.5f; break;
        case ActivationType::kSCALED_TANH: a.alpha = 1.0f; a.beta = 1.0f; break;
        case ActivationType::kCLIP: a.alpha = 0.0f; a.beta = 6.0f; break;
        case ActivationType::kTHRESHOLDED_RELU: a.alpha = 1.0f; break;
        case ActivationType::kRELU:
        case ActivationType::kSIGMOID:
        case ActivationType::kTANH:
        case ActivationType::kSOFTSIGN:
        case ActivationType::kGELU_ERF:
        case ActivationType::kGELU_TANH:
        case ActivationType::kSILU:
        case ActivationType::kHARD_SWISH: break;
    }
    return addLayer<ActivationLayer>(m, "act", LayerType::kACTIVATION, a, {x}, 1);
}

IElementWiseLayer* NetworkImpl::addElementWise(ITensor& input1, ITensor& input2, ElementWiseOperation op) noexcept {
    auto m = mark();
    KILN_RESOLVE(a0, input1, "addElementWise");
    KILN_RESOLVE(a1, input2, "addElementWise");
    ir::ElementWiseAttrs a;
    a.op = op;
    return addLayer<ElementWiseLayer>(m, "eltwise", LayerType::kELEMENTWISE, a, {a0, a1}, 1);
}

IUnaryLayer* NetworkImpl::addUnary(ITensor& input, UnaryOperation operation) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addUnary");
    ir::UnaryAttrs a;
    a.op = operation;
    return addLayer<UnaryLayer>(m, "unary", LayerType::kUNARY, a, {x}, 1);
}

ICastLayer* NetworkImpl::addCast(ITensor& input, DataType toType) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addCast");
    ir::CastAttrs a;
    a.toType = toType;
    return addLayer<CastLayer>(m, "cast", LayerType::kCAST, a, {x}, 1, {toType});
}

ISelectLayer* NetworkImpl::addSelect(ITensor& condition, ITensor& thenInput, ITensor& elseInput) noexcept {
    auto m = mark();
    KILN_RESOLVE(c, condition, "addSelect");
    KILN_RESOLVE(t, thenInput, "addSelect");
    KILN_RESOLVE(e, elseInput, "addSelect");
    return addLayer<SelectLayer>(m, "select", LayerType::kSELECT, ir::SelectAttrs{}, {c, t, e}, 1);
}

IIdentityLayer* NetworkImpl::addIdentity(ITensor& input) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addIdentity");
    DataType t = mGraph.tensor(x).type;
    return addLayer<IdentityLayer>(m, "identity", LayerType::kIDENTITY, ir::IdentityAttrs{}, {x}, 1, {t});
}

IMatrixMultiplyLayer* NetworkImpl::addMatrixMultiply(ITensor& input0, MatrixOperation op0, ITensor& input1,
                                                     MatrixOperation op1) noexcept {
    auto m = mark();
    KILN_RESOLVE(a0, input0, "addMatrixMultiply");
    KILN_RESOLVE(a1, input1, "addMatrixMultiply");
    ir::MatrixMultiplyAttrs a;
    a.op0 = op0;
    a.op1 = op1;
    return addLayer<MatrixMultiplyLayer>(m, "matmul", LayerType::kMATRIX_MULTIPLY, a, {a0, a1}, 1);
}

ISoftMaxLayer* NetworkImpl::addSoftMax(ITensor& input) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addSoftMax");
    ir::SoftMaxAttrs a;
    // TensorRT's default axis: 1 << max(0, rank - 3), the channel axis of an NCHW tensor.
    int rank = mGraph.tensor(x).shape.nbDims;
    a.axes = 1u << std::max(0, rank - 3);
    return addLayer<SoftMaxLayer>(m, "softmax", LayerType::kSOFTMAX, a, {x}, 1);
}

IReduceLayer* NetworkImpl::addReduce(ITensor& input, ReduceOperation operation, uint32_t reduceAxes,
                                     bool keepDimensions) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addReduce");
    ir::ReduceAttrs a;
    a.op = operation;
    a.axes = reduceAxes;
    a.keepDims = keepDimensions;
    return addLayer<ReduceLayer>(m, "reduce", LayerType::kREDUCE, a, {x}, 1);
}

ITopKLayer* NetworkImpl::addTopK(ITensor& input, TopKOperation op, int32_t k, uint32_t reduceAxes) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addTopK");
    ir::TopKAttrs a;
    a.op = op;
    a.k = k;
    a.axes = reduceAxes;
    return addLayer<TopKLayer>(m, "topk", LayerType::kTOPK, a, {x}, 2);
}

INormalizationLayer* NetworkImpl::addNormalization(ITensor& input, ITensor& scale, ITensor& bias,
                                                   uint32_t axesMask) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addNormalization");
    KILN_RESOLVE(s, scale, "addNormalization");
    KILN_RESOLVE(b, bias, "addNormalization");
    ir::NormalizationAttrs a;
    a.axes = axesMask;
    return addLayer<NormalizationLayer>(m, "norm", LayerType::kNORMALIZATION, a, {x, s, b}, 1);
}

IShuffleLayer* NetworkImpl::addShuffle(ITensor& input) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addShuffle");
    return addLayer<ShuffleLayer>(m, "shuffle", LayerType::kSHUFFLE, ir::ShuffleAttrs{}, {x}, 1);
}

IConcatenationLayer* NetworkImpl::addConcatenation(ITensor* const* inputs, int32_t nbInputs) noexcept {
    auto m = mark();
    if (!inputs || nbInputs < 1 || nbInputs > ir::opInfo(ir::OpKind::kConcatenation).maxInputs) {
        mReporter->error(ErrorCode::kINVALID_ARGUMENT, "addConcatenation: need 1.." +
                                                           std::to_string(ir::opInfo(ir::OpKind::kConcatenation).maxInputs) +
                                                           " inputs, got " + std::to_string(nbInputs));
        return nullptr;
    }
    std::vector<ir::TensorId> ids;
    for (int32_t i = 0; i < nbInputs; ++i) {
        if (!inputs[i]) {
            mReporter->error(ErrorCode::kINVALID_ARGUMENT, "addConcatenation: input " + std::to_string(i) + " is null");
            return nullptr;
        }
        KILN_RESOLVE(t, *inputs[i], "addConcatenation");
        ids.push_back(t);
    }
    return addLayer<ConcatenationLayer>(m, "concat", LayerType::kCONCATENATION, ir::ConcatenationAttrs{}, ids, 1);
}

ISliceLayer* NetworkImpl::addSlice(ITensor& input, Dims start, Dims size, Dims stride) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addSlice");
    ir::SliceAttrs a;
    a.start = start;
    a.size = size;
    a.stride = stride;
    return addLayer<SliceLayer>(m, "slice", LayerType::kSLICE, a, {x}, 1);
}

IGatherLayer* NetworkImpl::addGatherV2(ITensor& data, ITensor& indices, GatherMode mode) noexcept {
    auto m = mark();
    KILN_RESOLVE(d, data, "addGatherV2");
    KILN_RESOLVE(i, indices, "addGatherV2");
    ir::GatherAttrs a;
    a.mode = mode;
    return addLayer<GatherLayer>(m, "gather", LayerType::kGATHER, a, {d, i}, 1);
}

IGatherLayer* NetworkImpl::addGather(ITensor& data, ITensor& indices, int32_t axis) noexcept {
    auto m = mark();
    KILN_RESOLVE(d, data, "addGather");
    KILN_RESOLVE(i, indices, "addGather");
    ir::GatherAttrs a;
    a.axis = axis;
    return addLayer<GatherLayer>(m, "gather", LayerType::kGATHER, a, {d, i}, 1);
}

IPaddingLayer* NetworkImpl::addPaddingNd(ITensor& input, Dims prePadding, Dims postPadding) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addPaddingNd");
    ir::PaddingAttrs a;
    a.prePadding = prePadding;
    a.postPadding = postPadding;
    return addLayer<PaddingLayer>(m, "pad", LayerType::kPADDING, a, {x}, 1);
}

IResizeLayer* NetworkImpl::addResize(ITensor& input) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addResize");
    ir::ResizeAttrs a;
    // Until the user sets dims or scales the output keeps the input's shape (scale 1 everywhere).
    a.outputDims = mGraph.tensor(x).shape;
    return addLayer<ResizeLayer>(m, "resize", LayerType::kRESIZE, a, {x}, 1);
}

IShapeLayer* NetworkImpl::addShape(ITensor& input) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addShape");
    return addLayer<ShapeLayer>(m, "shape", LayerType::kSHAPE, ir::ShapeAttrs{}, {x}, 1, {DataType::kINT64});
}

IFillLayer* NetworkImpl::addFill(Dims dimensions, FillOperation op, DataType outputType) noexcept {
    auto m = mark();
    ir::FillAttrs a;
    a.op = op;
    a.dimensions = dimensions;
    a.outputType = outputType;
    return addLayer<FillLayer>(m, "fill", LayerType::kFILL, a, {}, 1, {outputType});
}

ICumulativeLayer* NetworkImpl::addCumulative(ITensor& input, ITensor& axis, CumulativeOperation op, bool exclusive,
                                             bool reverse) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addCumulative");
    KILN_RESOLVE(ax, axis, "addCumulative");
    ir::CumulativeAttrs a;
    a.op = op;
    a.exclusive = exclusive;
    a.reverse = reverse;
    return addLayer<CumulativeLayer>(m, "cumulative", LayerType::kCUMULATIVE, a, {x, ax}, 1);
}

IScatterLayer* NetworkImpl::addScatter(ITensor& data, ITensor& indices, ITensor& updates, ScatterMode mode) noexcept {
    auto m = mark();
    KILN_RESOLVE(d, data, "addScatter");
    KILN_RESOLVE(i, indices, "addScatter");
    KILN_RESOLVE(u, updates, "addScatter");
    ir::ScatterAttrs a;
    a.mode = mode;
    return addLayer<ScatterLayer>(m, "scatter", LayerType::kSCATTER, a, {d, i, u}, 1);
}

IQuantizeLayer* NetworkImpl::addQuantize(ITensor& input, ITensor& scale, DataType outputType) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addQuantize");
    KILN_RESOLVE(s, scale, "addQuantize");
    ir::QuantizeAttrs a;
    a.toType = outputType;
    return addLayer<QuantizeLayer>(m, "quantize", LayerType::kQUANTIZE, a, {x, s}, 1, {outputType});
}

IDequantizeLayer* NetworkImpl::addDequantize(ITensor& input, ITensor& scale, DataType outputType) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addDequantize");
    KILN_RESOLVE(s, scale, "addDequantize");
    ir::DequantizeAttrs a;
    a.toType = outputType;
    return addLayer<DequantizeLayer>(m, "dequantize", LayerType::kDEQUANTIZE, a, {x, s}, 1, {outputType});
}

ITriluLayer* NetworkImpl::addTrilu(ITensor& input, bool upper) noexcept {
    auto m = mark();
    KILN_RESOLVE(x, input, "addTrilu");
    ir::TriluAttrs a;
    a.upper = upper;
    return addLayer<TriluLayer>(m, "trilu", LayerType::kTRILU, a, {x}, 1);
}

#undef KILN_RESOLVE

}  // namespace kiln::api
