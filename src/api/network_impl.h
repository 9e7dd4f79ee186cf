// NetworkImpl: INetworkDefinition over an ir::Graph. Tensors and layers handed to the user are small
// objects holding an index into the graph; setters edit the node's attributes in place and mark the
// graph for re-inference, which getDimensions() and the builder trigger.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/reporter.h"
#include "ir/graph.h"
#include "kiln/network.h"

namespace kiln::api {

class NetworkImpl;

class TensorImpl final : public ITensor {
public:
    TensorImpl(NetworkImpl* net, ir::TensorId id) : mNet(net), mId(id) {}
    void setName(const char* name) noexcept override;
    const char* getName() const noexcept override;
    Dims getDimensions() const noexcept override;
    void setDimensions(Dims dimensions) noexcept override;
    DataType getType() const noexcept override;
    void setType(DataType type) noexcept override;
    bool isNetworkInput() const noexcept override;
    bool isNetworkOutput() const noexcept override;
    bool isShapeTensor() const noexcept override;
    ir::TensorId id() const { return mId; }

private:
    NetworkImpl* mNet;
    ir::TensorId mId;
};

/// Per-layer user requests that are not op attributes.
struct LayerRequests {
    bool precisionSet{false};
    DataType precision{DataType::kFLOAT};
    std::vector<bool> outputTypeSet;
    std::vector<DataType> outputTypes;
};

/// What every layer object knows: its network, node and user requests. Concrete layers derive from
/// LayerImpl<Interface, Attrs> (network_layers.h).
class LayerCore {
public:
    LayerCore(NetworkImpl* net, ir::NodeId node, LayerType type) : mNet(net), mNode(node), mType(type) {}
    virtual ~LayerCore() = default;
    NetworkImpl* net() const { return mNet; }
    ir::NodeId node() const { return mNode; }
    LayerType layerType() const { return mType; }
    LayerRequests& requests() { return mRequests; }
    const LayerRequests& requests() const { return mRequests; }
    /// The public face of this layer.
    virtual ILayer* asLayer() = 0;

private:
    NetworkImpl* mNet;
    ir::NodeId mNode;
    LayerType mType;
    LayerRequests mRequests;
};

class NetworkImpl final : public INetworkDefinition {
public:
    NetworkImpl(Reporter* reporter, uint32_t flags) : mReporter(reporter), mFlags(flags) {}

    ITensor* addInput(const char* name, DataType type, Dims dimensions) noexcept override;
    void markOutput(ITensor& tensor) noexcept override;
    void unmarkOutput(ITensor& tensor) noexcept override;
    IConvolutionLayer* addConvolutionNd(ITensor& input, int64_t nbOutputMaps, Dims kernelSize, Weights kernelWeights,
                                        Weights biasWeights) noexcept override;
    IDeconvolutionLayer* addDeconvolutionNd(ITensor& input, int64_t nbOutputMaps, Dims kernelSize,
                                            Weights kernelWeights, Weights biasWeights) noexcept override;
    IPoolingLayer* addPoolingNd(ITensor& input, PoolingType type, Dims windowSize) noexcept override;
    IActivationLayer* addActivation(ITensor& input, ActivationType type) noexcept override;
    IElementWiseLayer* addElementWise(ITensor& input1, ITensor& input2, ElementWiseOperation op) noexcept override;
    IUnaryLayer* addUnary(ITensor& input, UnaryOperation operation) noexcept override;
    IScaleLayer* addScale(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power) noexcept override;
    IScaleLayer* addScaleNd(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power,
                            int32_t channelAxis) noexcept override;
    ICastLayer* addCast(ITensor& input, DataType toType) noexcept override;
    ISelectLayer* addSelect(ITensor& condition, ITensor& thenInput, ITensor& elseInput) noexcept override;
    IIdentityLayer* addIdentity(ITensor& input) noexcept override;
    IMatrixMultiplyLayer* addMatrixMultiply(ITensor& input0, MatrixOperation op0, ITensor& input1,
                                            MatrixOperation op1) noexcept override;
    ISoftMaxLayer* addSoftMax(ITensor& input) noexcept override;
    IReduceLayer* addReduce(ITensor& input, ReduceOperation operation, uint32_t reduceAxes,
                            bool keepDimensions) noexcept override;
    ITopKLayer* addTopK(ITensor& input, TopKOperation op, int32_t k, uint32_t reduceAxes) noexcept override;
    INormalizationLayer* addNormalization(ITensor& input, ITensor& scale, ITensor& bias,
                                          uint32_t axesMask) noexcept override;
    IShuffleLayer* addShuffle(ITensor& input) noexcept override;
    IConcatenationLayer* addConcatenation(ITensor* const* inputs, int32_t nbInputs) noexcept override;
    ISliceLayer* addSlice(ITensor& input, Dims start, Dims size, Dims stride) noexcept override;
    IGatherLayer* addGatherV2(ITensor& data, ITensor& indices, GatherMode mode) noexcept override;
    IGatherLayer* addGather(ITensor& data, ITensor& indices, int32_t axis) noexcept override;
    IPaddingLayer* addPaddingNd(ITensor& input, Dims prePadding, Dims postPadding) noexcept override;
    IResizeLayer* addResize(ITensor& input) noexcept override;
    IShapeLayer* addShape(ITensor& input) noexcept override;
    IConstantLayer* addConstant(Dims dimensions, Weights weights) noexcept override;
    IFillLayer* addFill(Dims dimensions, FillOperation op, DataType outputType) noexcept override;
    ICumulativeLayer* addCumulative(ITensor& input, ITensor& axis, CumulativeOperation op, bool exclusive,
                                    bool reverse) noexcept override;
    IScatterLayer* addScatter(ITensor& data, ITensor& indices, ITensor& updates, ScatterMode mode) noexcept override;
    IQuantizeLayer* addQuantize(ITensor& input, ITensor& scale, DataType outputType) noexcept override;
    IDequantizeLayer* addDequantize(ITensor& input, ITensor& scale, DataType outputType) noexcept override;
    ITriluLayer* addTrilu(ITensor& input, bool upper) noexcept override;

    int32_t getNbLayers() const noexcept override { return static_cast<int32_t>(mLayers.size()); }
    ILayer* getLayer(int32_t index) const noexcept override;
    int32_t getNbInputs() const noexcept override { return static_cast<int32_t>(mGraph.inputs().size()); }
    ITensor* getInput(int32_t index) const noexcept override;
    int32_t getNbOutputs() const noexcept override { return static_cast<int32_t>(mGraph.outputs().size()); }
    ITensor* getOutput(int32_t index) const noexcept override;
    void setName(const char* name) noexcept override { mName = name ? name : ""; }
    const char* getName() const noexcept override { return mName.c_str(); }

    // For layers, tensors and the builder.
    ir::Graph& graph() { return mGraph; }
    const ir::Graph& graph() const { return mGraph; }
    const Reporter& reporter() const { return *mReporter; }
    /// Routes this network's errors (and its builder's, which share the reporter) to `recorder` and returns
    /// the recorder that had them. The ONNX parser uses it to attribute a failed network call to the node
    /// being imported; the caller restores the previous recorder, which it should forward to.
    IErrorRecorder* exchangeErrorRecorder(IErrorRecorder* recorder) {
        IErrorRecorder* previous = mReporter->recorder();
        if (previous) previous->incRefCount();  // keep it alive while it is not installed
        mReporter->setRecorder(recorder);
        if (previous) previous->decRefCount();
        return previous;
    }
    uint32_t flags() const { return mFlags; }
    TensorImpl* tensorObject(ir::TensorId id) const;
    const std::vector<std::unique_ptr<LayerCore>>& layers() const { return mLayers; }
    void markDirty() { mDirty = true; }
    /// Re-runs inference when something changed; logs (once per change) and returns the Status.
    Status ensureInferred() const;
    /// A tensor by pointer, checking it belongs to this network.
    ir::TensorId idOf(const ITensor& t, const char* what) const;
    /// Creates a Constant node from user weights, converting values to `type`; kNoTensor when weights
    /// are empty (count 0).
    ir::TensorId addWeights(const std::string& name, Weights w, Dims shape, DataType type);
    /// Makes tensor objects for every graph tensor that lacks one.
    void syncTensorObjects();
    std::string uniqueLayerName(const char* prefix);

    /// Graph sizes before an add*, so a failed add can roll back the weights it created too.
    struct Mark {
        size_t tensors;
        size_t nodes;
    };
    Mark mark() const { return {mGraph.tensors().size(), mGraph.nodes().size()}; }
    /// Adds a node and its layer object; on an inference error reports it, rolls the graph back to
    /// `mark` and returns null. `Layer` is a LayerImpl type. Defined in network_impl.cc.
    template <class Layer, class Attrs>
    Layer* addLayer(Mark mark, const char* prefix, LayerType type, Attrs attrs, std::vector<ir::TensorId> inputs,
                    int nbOutputs, std::vector<DataType> presetOutputTypes = {});

private:
    bool finishNode(ir::NodeId node, Mark mark, const std::vector<DataType>& presetOutputTypes);

    Reporter* mReporter;
    uint32_t mFlags;
    std::string mName{"network"};
    ir::Graph mGraph;
    std::vector<std::unique_ptr<TensorImpl>> mTensorObjects;  // by TensorId
    std::vector<std::unique_ptr<LayerCore>> mLayers;
    mutable bool mDirty{false};
    int mNameCounter{0};
};

}  // namespace kiln::api
