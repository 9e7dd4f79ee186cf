// The concrete layer classes behind the public I*Layer interfaces. LayerImpl<Interface, Attrs>
// implements ILayer once; each layer adds only its own setters/getters, which edit the node's Attrs.
#pragma once

#include <algorithm>

#include "api/network_impl.h"

namespace kiln::api {

template <class Interface, class Attrs>
class LayerImpl : public Interface, public LayerCore {
public:
    LayerImpl(NetworkImpl* net, ir::NodeId node, LayerType type) : LayerCore(net, node, type) {
        auto n = static_cast<size_t>(nodeRef().outputs.size());
        requests().outputTypeSet.assign(n, false);
        requests().outputTypes.assign(n, DataType::kFLOAT);
    }
    ILayer* asLayer() override { return this; }

    LayerType getType() const noexcept override { return layerType(); }
    void setName(const char* name) noexcept override { nodeRef().name = name ? name : ""; }
    const char* getName() const noexcept override { return nodeRef().name.c_str(); }
    int32_t getNbInputs() const noexcept override { return static_cast<int32_t>(nodeRef().inputs.size()); }
    ITensor* getInput(int32_t index) const noexcept override {
        if (index < 0 || index >= getNbInputs()) return nullptr;
        ir::TensorId t = nodeRef().inputs[static_cast<size_t>(index)];
        return t == ir::kNoTensor ? nullptr : net()->tensorObject(t);
    }
    int32_t getNbOutputs() const noexcept override { return static_cast<int32_t>(nodeRef().outputs.size()); }
    ITensor* getOutput(int32_t index) const noexcept override {
        if (index < 0 || index >= getNbOutputs()) return nullptr;
        return net()->tensorObject(nodeRef().outputs[static_cast<size_t>(index)]);
    }
    void setInput(int32_t index, ITensor& tensor) noexcept override {
        const ir::OpInfo& info = ir::opInfo(nodeRef().kind());
        if (index < 0 || index >= info.maxInputs) {
            net()->reporter().error(ErrorCode::kINVALID_ARGUMENT,
                                    "setInput on layer '" + nodeRef().name + "': index " + std::to_string(index) +
                                        " is out of range; " + std::string(info.name) + " takes at most " +
                                        std::to_string(info.maxInputs) + " inputs");
            return;
        }
        ir::TensorId id = net()->idOf(tensor, "setInput");
        if (id == ir::kNoTensor) return;
        auto& inputs = nodeRef().inputs;
        if (static_cast<size_t>(index) >= inputs.size()) inputs.resize(static_cast<size_t>(index) + 1, ir::kNoTensor);
        inputs[static_cast<size_t>(index)] = id;
        net()->markDirty();
    }
    void setPrecision(DataType dataType) noexcept override {
        requests().precisionSet = true;
        requests().precision = dataType;
    }
    DataType getPrecision() const noexcept override { return requests().precision; }
    bool precisionIsSet() const noexcept override { return requests().precisionSet; }
    void resetPrecision() noexcept override { requests().precisionSet = false; }
    void setOutputType(int32_t index, DataType dataType) noexcept override {
        if (!checkOutput(index)) return;
        requests().outputTypeSet[static_cast<size_t>(index)] = true;
        requests().outputTypes[static_cast<size_t>(index)] = dataType;
        net()->graph().tensor(nodeRef().outputs[static_cast<size_t>(index)]).type = dataType;
        net()->markDirty();
    }
    DataType getOutputType(int32_t index) const noexcept override {
        if (index < 0 || index >= getNbOutputs()) return DataType::kFLOAT;
        return net()->graph().tensor(nodeRef().outputs[static_cast<size_t>(index)]).type;
    }
    bool outputTypeIsSet(int32_t index) const noexcept override {
        return index >= 0 && index < getNbOutputs() && requests().outputTypeSet[static_cast<size_t>(index)];
    }
    void resetOutputType(int32_t index) noexcept override {
        if (!checkOutput(index)) return;
        requests().outputTypeSet[static_cast<size_t>(index)] = false;
        net()->markDirty();
    }

protected:
    ir::Node& nodeRef() const { return net()->graph().node(node()); }
    Attrs& attrs() const { return std::get<Attrs>(nodeRef().attrs); }
    /// Edits attributes and marks the network for re-inference.
    Attrs& edit() {
        net()->markDirty();
        return attrs();
    }
    bool checkOutput(int32_t index) const {
        if (index >= 0 && index < getNbOutputs()) return true;
        net()->reporter().error(ErrorCode::kINVALID_ARGUMENT, "layer '" + nodeRef().name + "' has no output " +
                                                                  std::to_string(index));
        return false;
    }
};

/// Setters shared by convolution and deconvolution.
template <class Interface, class Attrs>
class ConvLikeLayer : public LayerImpl<Interface, Attrs> {
public:
    using LayerImpl<Interface, Attrs>::LayerImpl;
    void setNbOutputMaps(int64_t n) noexcept override { this->edit().nbOutputMaps = static_cast<int32_t>(n); }
    int64_t getNbOutputMaps() const noexcept override { return this->attrs().nbOutputMaps; }
    void setNbGroups(int64_t g) noexcept override {
        this->edit().nbGroups = static_cast<int32_t>(g);
        reshapeKernel();
    }
    int64_t getNbGroups() const noexcept override { return this->attrs().nbGroups; }
    void setKernelSizeNd(Dims k) noexcept override {
        this->edit().kernelSize = k;
        reshapeKernel();
    }
    Dims getKernelSizeNd() const noexcept override { return this->attrs().kernelSize; }
    void setStrideNd(Dims s) noexcept override { this->edit().stride = s; }
    Dims getStrideNd() const noexcept override { return this->attrs().stride; }
    void setPaddingNd(Dims p) noexcept override {
        this->edit().prePadding = p;
        this->attrs().postPadding = p;
    }
    Dims getPaddingNd() const noexcept override { return this->attrs().prePadding; }
    void setPrePadding(Dims p) noexcept override { this->edit().prePadding = p; }
    Dims getPrePadding() const noexcept override { return this->attrs().prePadding; }
    void setPostPadding(Dims p) noexcept override { this->edit().postPadding = p; }
    Dims getPostPadding() const noexcept override { return this->attrs().postPadding; }
    void setPaddingMode(PaddingMode m) noexcept override { this->edit().paddingMode = m; }
    PaddingMode getPaddingMode() const noexcept override { return this->attrs().paddingMode; }
    void setDilationNd(Dims d) noexcept override { this->edit().dilation = d; }
    Dims getDilationNd() const noexcept override { return this->attrs().dilation; }

    /// Weights given as a flat Weights array take their shape from the layer's parameters; when groups or
    /// kernel size change the kernel constant is re-shaped accordingly.
    void reshapeKernel();
};

class ConvolutionLayer final : public ConvLikeLayer<IConvolutionLayer, ir::ConvolutionAttrs> {
public:
    using ConvLikeLayer::ConvLikeLayer;
};

class DeconvolutionLayer final : public ConvLikeLayer<IDeconvolutionLayer, ir::DeconvolutionAttrs> {
public:
    using ConvLikeLayer::ConvLikeLayer;
    void setOutputPaddingNd(Dims p) noexcept override { edit().outputPadding = p; }
    Dims getOutputPaddingNd() const noexcept override { return attrs().outputPadding; }
};

class PoolingLayer final : public LayerImpl<IPoolingLayer, ir::PoolingAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setPoolingType(PoolingType t) noexcept override { edit().type = t; }
    PoolingType getPoolingType() const noexcept override { return attrs().type; }
    void setWindowSizeNd(Dims w) noexcept override { edit().windowSize = w; }
    Dims getWindowSizeNd() const noexcept override { return attrs().windowSize; }
    void setStrideNd(Dims s) noexcept override { edit().stride = s; }
    Dims getStrideNd() const noexcept override { return attrs().stride; }
    void setPaddingNd(Dims p) noexcept override {
        edit().prePadding = p;
        attrs().postPadding = p;
    }
    Dims getPaddingNd() const noexcept override { return attrs().prePadding; }
    void setPrePadding(Dims p) noexcept override { edit().prePadding = p; }
    Dims getPrePadding() const noexcept override { return attrs().prePadding; }
    void setPostPadding(Dims p) noexcept override { edit().postPadding = p; }
    Dims getPostPadding() const noexcept override { return attrs().postPadding; }
    void setPaddingMode(PaddingMode m) noexcept override { edit().paddingMode = m; }
    PaddingMode getPaddingMode() const noexcept override { return attrs().paddingMode; }
    void setBlendFactor(float f) noexcept override { edit().blendFactor = f; }
    float getBlendFactor() const noexcept override { return attrs().blendFactor; }
    void setAverageCountExcludesPadding(bool e) noexcept override { edit().averageCountExcludesPadding = e; }
    bool getAverageCountExcludesPadding() const noexcept override { return attrs().averageCountExcludesPadding; }
    void setGlobal(bool g) noexcept override { edit().global = g; }
    bool getGlobal() const noexcept override { return attrs().global; }
    void setDilationNd(Dims d) noexcept override { edit().dilation = d; }
    Dims getDilationNd() const noexcept override { return attrs().dilation; }
    void setIndicesColumnMajor(bool c) noexcept override { edit().indicesColumnMajor = c; }
    bool getIndicesColumnMajor() const noexcept override { return attrs().indicesColumnMajor; }
    ITensor* addIndicesOutput() noexcept override {
        if (getNbOutputs() == 2) return getOutput(1);
        if (attrs().type != PoolingType::kMAX) {
            net()->reporter().error(ErrorCode::kINVALID_ARGUMENT,
                                    "IPoolingLayer::addIndicesOutput on layer '" + nodeRef().name +
                                        "': indices exist for max pooling only, the layer's type is " +
                                        std::to_string(static_cast<int>(attrs().type)) +
                                        "; set PoolingType::kMAX first");
            return nullptr;
        }
        // The node gains its optional output 1 (int64); a name clash with a user-named tensor gets a suffix.
        ir::Graph& g = net()->graph();
        auto taken = [&](const std::string& n) {
            return std::any_of(g.tensors().begin(), g.tensors().end(), [&](const ir::Tensor& t) { return t.name == n; });
        };
        const std::string base = nodeRef().name + "_indices";
        std::string name = base;
        for (int k = 1; taken(name); ++k) name = base + std::to_string(k);
        const ir::TensorId t = g.addTensor(name, DataType::kINT64, Dims{});
        g.tensor(t).producer = node();
        nodeRef().outputs.push_back(t);
        requests().outputTypeSet.push_back(false);
        requests().outputTypes.push_back(DataType::kINT64);
        net()->syncTensorObjects();
        net()->markDirty();
        return net()->tensorObject(t);
    }
};

class ActivationLayer final : public LayerImpl<IActivationLayer, ir::ActivationAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setActivationType(ActivationType t) noexcept override { edit().type = t; }
    ActivationType getActivationType() const noexcept override { return attrs().type; }
    void setAlpha(float a) noexcept override { edit().alpha = a; }
    float getAlpha() const noexcept override { return attrs().alpha; }
    void setBeta(float b) noexcept override { edit().beta = b; }
    float getBeta() const noexcept override { return attrs().beta; }
};

class ElementWiseLayer final : public LayerImpl<IElementWiseLayer, ir::ElementWiseAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setOperation(ElementWiseOperation op) noexcept override { edit().op = op; }
    ElementWiseOperation getOperation() const noexcept override { return attrs().op; }
};

class UnaryLayer final : public LayerImpl<IUnaryLayer, ir::UnaryAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setOperation(UnaryOperation op) noexcept override { edit().op = op; }
    UnaryOperation getOperation() const noexcept override { return attrs().op; }
};

class ScaleLayer final : public LayerImpl<IScaleLayer, ir::ScaleAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setMode(ScaleMode m) noexcept override { edit().mode = m; }
    ScaleMode getMode() const noexcept override { return attrs().mode; }
    void setChannelAxis(int32_t a) noexcept override { edit().channelAxis = a; }
    int32_t getChannelAxis() const noexcept override { return attrs().channelAxis; }
};

class CastLayer final : public LayerImpl<ICastLayer, ir::CastAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setToType(DataType t) noexcept override { edit().toType = t; }
    DataType getToType() const noexcept override { return attrs().toType; }
    void setSaturate(bool s) noexcept override { edit().saturate = s; }
    bool getSaturate() const noexcept override { return attrs().saturate; }
    void setRoundMode(CastRoundMode m) noexcept override { edit().roundMode = m; }
    CastRoundMode getRoundMode() const noexcept override { return attrs().roundMode; }
};

class SelectLayer final : public LayerImpl<ISelectLayer, ir::SelectAttrs> {
public:
    using LayerImpl::LayerImpl;
};
class IdentityLayer final : public LayerImpl<IIdentityLayer, ir::IdentityAttrs> {
public:
    using LayerImpl::LayerImpl;
};
class ShapeLayer final : public LayerImpl<IShapeLayer, ir::ShapeAttrs> {
public:
    using LayerImpl::LayerImpl;
};

class MatrixMultiplyLayer final : public LayerImpl<IMatrixMultiplyLayer, ir::MatrixMultiplyAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setOperation(int32_t index, MatrixOperation op) noexcept override {
        if (index == 0)
            edit().op0 = op;
        else if (index == 1)
            edit().op1 = op;
        else
            net()->reporter().error(ErrorCode::kINVALID_ARGUMENT, "IMatrixMultiplyLayer::setOperation: index must be 0 or 1, got " + std::to_string(index));
    }
    MatrixOperation getOperation(int32_t index) const noexcept override {
        return index == 0 ? attrs().op0 : attrs().op1;
    }
};

class SoftMaxLayer final : public LayerImpl<ISoftMaxLayer, ir::SoftMaxAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setAxes(uint32_t a) noexcept override { edit().axes = a; }
    uint32_t getAxes() const noexcept override { return attrs().axes; }
    void setLog(bool l) noexcept override { edit().log = l; }
    bool getLog() const noexcept override { return attrs().log; }
};

class ReduceLayer final : public LayerImpl<IReduceLayer, ir::ReduceAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setOperation(ReduceOperation op) noexcept override { edit().op = op; }
    ReduceOperation getOperation() const noexcept override { return attrs().op; }
    void setReduceAxes(uint32_t a) noexcept override { edit().axes = a; }
    uint32_t getReduceAxes() const noexcept override { return attrs().axes; }
    void setKeepDimensions(bool k) noexcept override { edit().keepDims = k; }
    bool getKeepDimensions() const noexcept override { return attrs().keepDims; }
    void setNoopWithEmptyAxes(bool n) noexcept override { edit().noopWithEmptyAxes = n; }
    bool getNoopWithEmptyAxes() const noexcept override { return attrs().noopWithEmptyAxes; }
};

class TopKLayer final : public LayerImpl<ITopKLayer, ir::TopKAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setOperation(TopKOperation op) noexcept override { edit().op = op; }
    TopKOperation getOperation() const noexcept override { return attrs().op; }
    void setK(int32_t k) noexcept override { edit().k = k; }
    int32_t getK() const noexcept override { return attrs().k; }
    void setReduceAxes(uint32_t a) noexcept override { edit().axes = a; }
    uint32_t getReduceAxes() const noexcept override { return attrs().axes; }
    bool setIndicesType(DataType t) noexcept override {
        if (t != DataType::kINT32 && t != DataType::kINT64) {
            net()->reporter().error(ErrorCode::kINVALID_ARGUMENT, "ITopKLayer::setIndicesType: indices must be int32 or int64, got " + std::string(dataTypeName(t)));
            return false;
        }
        edit().indicesType = t;
        return true;
    }
    DataType getIndicesType() const noexcept override { return attrs().indicesType; }
};

class NormalizationLayer final : public LayerImpl<INormalizationLayer, ir::NormalizationAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setEpsilon(float e) noexcept override { edit().epsilon = e; }
    float getEpsilon() const noexcept override { return attrs().epsilon; }
    void setAxes(uint32_t a) noexcept override { edit().axes = a; }
    uint32_t getAxes() const noexcept override { return attrs().axes; }
    void setNbGroups(int64_t g) noexcept override { edit().nbGroups = g; }
    int64_t getNbGroups() const noexcept override { return attrs().nbGroups; }
};

class ShuffleLayer final : public LayerImpl<IShuffleLayer, ir::ShuffleAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setFirstTranspose(Permutation p) noexcept override { edit().firstTranspose = p; }
    Permutation getFirstTranspose() const noexcept override { return attrs().firstTranspose; }
    void setReshapeDimensions(Dims d) noexcept override {
        edit().reshapeDims = d;
        attrs().hasReshape = true;
    }
    Dims getReshapeDimensions() const noexcept override {
        if (attrs().hasReshape) return attrs().reshapeDims;
        Dims unknown;
        unknown.nbDims = -1;
        return unknown;
    }
    void setSecondTranspose(Permutation p) noexcept override { edit().secondTranspose = p; }
    Permutation getSecondTranspose() const noexcept override { return attrs().secondTranspose; }
    void setZeroIsPlaceholder(bool z) noexcept override { edit().zeroIsPlaceholder = z; }
    bool getZeroIsPlaceholder() const noexcept override { return attrs().zeroIsPlaceholder; }
};

class ConcatenationLayer final : public LayerImpl<IConcatenationLayer, ir::ConcatenationAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setAxis(int32_t a) noexcept override { edit().axis = a; }
    int32_t getAxis() const noexcept override { return attrs().axis; }
};

class SliceLayer final : public LayerImpl<ISliceLayer, ir::SliceAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setStart(Dims d) noexcept override { edit().start = d; }
    Dims getStart() const noexcept override { return attrs().start; }
    void setSize(Dims d) noexcept override { edit().size = d; }
    Dims getSize() const noexcept override { return attrs().size; }
    void setStride(Dims d) noexcept override { edit().stride = d; }
    Dims getStride() const noexcept override { return attrs().stride; }
    void setMode(SampleMode m) noexcept override { edit().mode = m; }
    SampleMode getMode() const noexcept override { return attrs().mode; }
};

class GatherLayer final : public LayerImpl<IGatherLayer, ir::GatherAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setGatherAxis(int32_t a) noexcept override { edit().axis = a; }
    int32_t getGatherAxis() const noexcept override { return attrs().axis; }
    void setNbElementWiseDims(int32_t n) noexcept override { edit().nbElementWiseDims = n; }
    int32_t getNbElementWiseDims() const noexcept override { return attrs().nbElementWiseDims; }
    void setMode(GatherMode m) noexcept override { edit().mode = m; }
    GatherMode getMode() const noexcept override { return attrs().mode; }
};

class PaddingLayer final : public LayerImpl<IPaddingLayer, ir::PaddingAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setPrePaddingNd(Dims p) noexcept override { edit().prePadding = p; }
    Dims getPrePaddingNd() const noexcept override { return attrs().prePadding; }
    void setPostPaddingNd(Dims p) noexcept override { edit().postPadding = p; }
    Dims getPostPaddingNd() const noexcept override { return attrs().postPadding; }
    void setFillMode(PaddingFillMode m) noexcept override { edit().mode = m; }
    PaddingFillMode getFillMode() const noexcept override { return attrs().mode; }
    void setFillValue(float v) noexcept override { edit().value = v; }
    float getFillValue() const noexcept override { return attrs().value; }
};

class ResizeLayer final : public LayerImpl<IResizeLayer, ir::ResizeAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setOutputDimensions(Dims d) noexcept override {
        edit().outputDims = d;
        attrs().scales.clear();
        mDimsSet = true;
    }
    /// Input 2 (Kiln: run-time scales) gives the extents unless output dims were set explicitly, in
    /// either order; addResize's placeholder dims (the input's shape) give way to it.
    void setInput(int32_t index, ITensor& tensor) noexcept override {
        LayerImpl::setInput(index, tensor);
        if (index == 2 && !mDimsSet) edit().outputDims = Dims{};
    }
    Dims getOutputDimensions() const noexcept override { return attrs().outputDims; }
    void setScales(const float* scales, int32_t n) noexcept override {
        if (!scales || n <= 0) {
            net()->reporter().error(ErrorCode::kINVALID_ARGUMENT, "IResizeLayer::setScales: need a non-empty array of scales");
            return;
        }
        edit().scales.assign(scales, scales + n);
        attrs().outputDims = Dims{};
        mDimsSet = false;
    }
    int32_t getScales(int32_t size, float* scales) const noexcept override {
        const auto& s = attrs().scales;
        if (s.empty()) return -1;
        if (scales)
            for (int32_t i = 0; i < std::min<int32_t>(size, static_cast<int32_t>(s.size())); ++i) scales[i] = s[static_cast<size_t>(i)];
        return static_cast<int32_t>(s.size());
    }
    void setResizeMode(InterpolationMode m) noexcept override { edit().mode = m; }
    InterpolationMode getResizeMode() const noexcept override { return attrs().mode; }
    void setCoordinateTransformation(ResizeCoordinateTransformation t) noexcept override {
        edit().coordinateTransformation = t;
    }
    ResizeCoordinateTransformation getCoordinateTransformation() const noexcept override {
        return attrs().coordinateTransformation;
    }
    void setSelectorForSinglePixel(ResizeSelector s) noexcept override { edit().selectorForSinglePixel = s; }
    ResizeSelector getSelectorForSinglePixel() const noexcept override { return attrs().selectorForSinglePixel; }
    void setNearestRounding(ResizeRoundMode m) noexcept override { edit().nearestRounding = m; }
    ResizeRoundMode getNearestRounding() const noexcept override { return attrs().nearestRounding; }
    void setCubicCoeff(float a) noexcept override { edit().cubicCoeff = a; }
    float getCubicCoeff() const noexcept override { return attrs().cubicCoeff; }
    void setExcludeOutside(bool e) noexcept override { edit().excludeOutside = e; }
    bool getExcludeOutside() const noexcept override { return attrs().excludeOutside; }
    void setRegionOfInterest(const float* roi, int32_t n) noexcept override {
        if (!roi || n <= 0) {
            net()->reporter().error(ErrorCode::kINVALID_ARGUMENT,
                                    "IResizeLayer::setRegionOfInterest: need a non-empty array of 2 * rank values");
            return;
        }
        edit().roi.assign(roi, roi + n);
    }
    int32_t getRegionOfInterest(int32_t size, float* roi) const noexcept override {
        const auto& r = attrs().roi;
        if (roi)
            for (int32_t i = 0; i < std::min<int32_t>(size, static_cast<int32_t>(r.size())); ++i) roi[i] = r[static_cast<size_t>(i)];
        return static_cast<int32_t>(r.size());
    }
    void setExtrapolationValue(float v) noexcept override { edit().extrapolationValue = v; }
    float getExtrapolationValue() const noexcept override { return attrs().extrapolationValue; }
    void setAntialias(bool a) noexcept override { edit().antialias = a; }
    bool getAntialias() const noexcept override { return attrs().antialias; }

private:
    bool mDimsSet{false};
};

class ConstantLayer final : public LayerImpl<IConstantLayer, ir::ConstantAttrs> {
public:
    using LayerImpl::LayerImpl;
    Weights getWeights() const noexcept override {
        Weights w;
        const ir::Tensor& t = net()->graph().tensor(nodeRef().outputs[0]);
        w.type = t.type;
        w.values = attrs().data ? attrs().data->data() : nullptr;
        w.count = volume(t.shape);
        return w;
    }
    Dims getDimensions() const noexcept override { return net()->graph().tensor(nodeRef().outputs[0]).shape; }
};

class FillLayer final : public LayerImpl<IFillLayer, ir::FillAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setDimensions(Dims d) noexcept override { edit().dimensions = d; }
    Dims getDimensions() const noexcept override { return attrs().dimensions; }
    void setOperation(FillOperation op) noexcept override { edit().op = op; }
    FillOperation getOperation() const noexcept override { return attrs().op; }
    void setAlpha(double a) noexcept override { edit().alpha = static_cast<float>(a); }
    double getAlpha() const noexcept override { return attrs().alpha; }
    void setBeta(double b) noexcept override { edit().beta = static_cast<float>(b); }
    double getBeta() const noexcept override { return attrs().beta; }
    void setToType(DataType t) noexcept override {
        edit().outputType = t;
        net()->graph().tensor(nodeRef().outputs[0]).type = t;
    }
    DataType getToType() const noexcept override { return attrs().outputType; }
};

class CumulativeLayer final : public LayerImpl<ICumulativeLayer, ir::CumulativeAttrs> {
public:
    using LayerImpl::LayerImpl;
    bool setOperation(CumulativeOperation op) noexcept override {
        edit().op = op;
        return true;
    }
    CumulativeOperation getOperation() const noexcept override { return attrs().op; }
    void setExclusive(bool e) noexcept override { edit().exclusive = e; }
    bool getExclusive() const noexcept override { return attrs().exclusive; }
    void setReverse(bool r) noexcept override { edit().reverse = r; }
    bool getReverse() const noexcept override { return attrs().reverse; }
};

class ScatterLayer final : public LayerImpl<IScatterLayer, ir::ScatterAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setMode(ScatterMode m) noexcept override { edit().mode = m; }
    ScatterMode getMode() const noexcept override { return attrs().mode; }
    void setAxis(int32_t a) noexcept override { edit().axis = a; }
    int32_t getAxis() const noexcept override { return attrs().axis; }
    void setReduction(ScatterReduction r) noexcept override { edit().reduction = r; }
    ScatterReduction getReduction() const noexcept override { return attrs().reduction; }
};

template <class Interface, class Attrs>
class QuantizeLikeLayer final : public LayerImpl<Interface, Attrs> {
public:
    using LayerImpl<Interface, Attrs>::LayerImpl;
    int32_t getAxis() const noexcept override { return this->attrs().axis; }
    void setAxis(int32_t a) noexcept override { this->edit().axis = a; }
    bool setBlockShape(const Dims& b) noexcept override {
        bool ok = b.nbDims >= 0 && b.nbDims <= kMAX_DIMS;
        for (int i = 0; ok && i < b.nbDims; ++i) ok = b.d[i] >= 1 || b.d[i] == -1;
        if (!ok) {
            this->net()->reporter().error(ErrorCode::kINVALID_ARGUMENT,
                                          "layer '" + this->nodeRef().name + "': setBlockShape(" +
                                              toString(b) + "): expected a rank in 0.." +
                                              std::to_string(kMAX_DIMS) +
                                              " and extents >= 1 or -1 (a whole dim)");
            return false;
        }
        this->edit().blockShape = b;
        return true;
    }
    Dims getBlockShape() const noexcept override { return this->attrs().blockShape; }
    void setToType(DataType t) noexcept override {
        this->edit().toType = t;
        this->net()->graph().tensor(this->nodeRef().outputs[0]).type = t;
    }
    DataType getToType() const noexcept override { return this->attrs().toType; }
};
using QuantizeLayer = QuantizeLikeLayer<IQuantizeLayer, ir::QuantizeAttrs>;
using DequantizeLayer = QuantizeLikeLayer<IDequantizeLayer, ir::DequantizeAttrs>;

class TriluLayer final : public LayerImpl<ITriluLayer, ir::TriluAttrs> {
public:
    using LayerImpl::LayerImpl;
    void setUpper(bool u) noexcept override { edit().upper = u; }
    bool getUpper() const noexcept override { return attrs().upper; }
    void setK(int64_t k) noexcept override { edit().k = k; }
    int64_t getK() const noexcept override { return attrs().k; }
};

}  // namespace kiln::api
