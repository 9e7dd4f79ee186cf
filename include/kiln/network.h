/// @file network.h
/// INetworkDefinition, ITensor and the layer interfaces: a model built layer by layer, as in TensorRT.
/// Every method is noexcept; a bad argument is reported to the logger and the call returns null/false.
#pragma once

#include <cstdint>

#include "kiln/layer_types.h"
#include "kiln/types.h"

namespace kiln {

class ILayer;

/// A tensor of the network: a network input, a layer output, or a constant.
class ITensor {
public:
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;
    /// The shape as inferred so far; -1 for dims only known at run time.
    virtual Dims getDimensions() const noexcept = 0;
    /// For network inputs only: changes the declared shape.
    virtual void setDimensions(Dims dimensions) noexcept = 0;
    virtual DataType getType() const noexcept = 0;
    /// For network inputs: the input's type. For layer outputs: the requested output type (as
    /// ILayer::setOutputType).
    virtual void setType(DataType type) noexcept = 0;
    virtual bool isNetworkInput() const noexcept = 0;
    virtual bool isNetworkOutput() const noexcept = 0;
    virtual bool isShapeTensor() const noexcept = 0;

protected:
    virtual ~ITensor() = default;
};

/// Common part of every layer.
class ILayer {
public:
    virtual LayerType getType() const noexcept = 0;
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;
    virtual int32_t getNbInputs() const noexcept = 0;
    /// Input `index`, or null when that optional input is absent.
    virtual ITensor* getInput(int32_t index) const noexcept = 0;
    virtual int32_t getNbOutputs() const noexcept = 0;
    virtual ITensor* getOutput(int32_t index) const noexcept = 0;
    /// Replaces (or, for an optional input, sets) input `index`.
    virtual void setInput(int32_t index, ITensor& tensor) noexcept = 0;
    /// Requests a computation precision. Kept for the precision issue; a build fails with a message
    /// naming the layer while per-layer precision is not implemented.
    virtual void setPrecision(DataType dataType) noexcept = 0;
    virtual DataType getPrecision() const noexcept = 0;
    virtual bool precisionIsSet() const noexcept = 0;
    virtual void resetPrecision() noexcept = 0;
    /// Requests an output type. Honoured by Identity and Cast layers; for other layers a build fails
    /// with a message naming the layer while per-layer precision is not implemented.
    virtual void setOutputType(int32_t index, DataType dataType) noexcept = 0;
    virtual DataType getOutputType(int32_t index) const noexcept = 0;
    virtual bool outputTypeIsSet(int32_t index) const noexcept = 0;
    virtual void resetOutputType(int32_t index) noexcept = 0;

protected:
    virtual ~ILayer() = default;
};

class IConvolutionLayer : public ILayer {
public:
    virtual void setNbOutputMaps(int64_t nbOutputMaps) noexcept = 0;
    virtual int64_t getNbOutputMaps() const noexcept = 0;
    virtual void setNbGroups(int64_t nbGroups) noexcept = 0;
    virtual int64_t getNbGroups() const noexcept = 0;
    virtual void setKernelSizeNd(Dims kernelSize) noexcept = 0;
    virtual Dims getKernelSizeNd() const noexcept = 0;
    virtual void setStrideNd(Dims stride) noexcept = 0;
    virtual Dims getStrideNd() const noexcept = 0;
    virtual void setPaddingNd(Dims padding) noexcept = 0;  ///< sets pre and post padding
    virtual Dims getPaddingNd() const noexcept = 0;
    virtual void setPrePadding(Dims padding) noexcept = 0;
    virtual Dims getPrePadding() const noexcept = 0;
    virtual void setPostPadding(Dims padding) noexcept = 0;
    virtual Dims getPostPadding() const noexcept = 0;
    virtual void setPaddingMode(PaddingMode paddingMode) noexcept = 0;
    virtual PaddingMode getPaddingMode() const noexcept = 0;
    virtual void setDilationNd(Dims dilation) noexcept = 0;
    virtual Dims getDilationNd() const noexcept = 0;
};

class IDeconvolutionLayer : public IConvolutionLayer {
public:
    /// Kiln: ONNX's output_padding (extra extent at the end of each spatial dim).
    virtual void setOutputPaddingNd(Dims padding) noexcept = 0;
    virtual Dims getOutputPaddingNd() const noexcept = 0;
};

class IPoolingLayer : public ILayer {
public:
    virtual void setPoolingType(PoolingType type) noexcept = 0;
    virtual PoolingType getPoolingType() const noexcept = 0;
    virtual void setWindowSizeNd(Dims windowSize) noexcept = 0;
    virtual Dims getWindowSizeNd() const noexcept = 0;
    virtual void setStrideNd(Dims stride) noexcept = 0;
    virtual Dims getStrideNd() const noexcept = 0;
    virtual void setPaddingNd(Dims padding) noexcept = 0;
    virtual Dims getPaddingNd() const noexcept = 0;
    virtual void setPrePadding(Dims padding) noexcept = 0;
    virtual Dims getPrePadding() const noexcept = 0;
    virtual void setPostPadding(Dims padding) noexcept = 0;
    virtual Dims getPostPadding() const noexcept = 0;
    virtual void setPaddingMode(PaddingMode paddingMode) noexcept = 0;
    virtual PaddingMode getPaddingMode() const noexcept = 0;
    virtual void setBlendFactor(float blendFactor) noexcept = 0;
    virtual float getBlendFactor() const noexcept = 0;
    virtual void setAverageCountExcludesPadding(bool exclusive) noexcept = 0;
    virtual bool getAverageCountExcludesPadding() const noexcept = 0;
    /// Kiln: pool over the whole spatial extent (window and stride are ignored).
    virtual void setGlobal(bool global) noexcept = 0;
    virtual bool getGlobal() const noexcept = 0;
    /// Kiln: spacing between window taps per spatial dim (ONNX MaxPool/AveragePool dilations); empty
    /// means 1. Padding, ceil mode and the average's divisor apply to the dilated window.
    virtual void setDilationNd(Dims dilation) noexcept = 0;
    virtual Dims getDilationNd() const noexcept = 0;
    /// Kiln: gives a max pooling layer a second output, int64 and of the first output's shape, holding
    /// for each output element the flat index into the whole input (n, c and the spatial position,
    /// padding excluded) of the element the max came from; the first one wins ties, and a window that
    /// holds no input element gives -1 (ONNX MaxPool's Indices). Returns that output, the same tensor
    /// when called again; null, with an error, for a layer whose type is not kMAX.
    virtual ITensor* addIndicesOutput() noexcept = 0;
    /// Kiln: the indices of addIndicesOutput() number the spatial position column-major (the first
    /// spatial dim varies fastest; ONNX storage_order = 1); n and c stay outermost. Default false.
    virtual void setIndicesColumnMajor(bool columnMajor) noexcept = 0;
    virtual bool getIndicesColumnMajor() const noexcept = 0;
};

class IActivationLayer : public ILayer {
public:
    virtual void setActivationType(ActivationType type) noexcept = 0;
    virtual ActivationType getActivationType() const noexcept = 0;
    virtual void setAlpha(float alpha) noexcept = 0;
    virtual float getAlpha() const noexcept = 0;
    virtual void setBeta(float beta) noexcept = 0;
    virtual float getBeta() const noexcept = 0;
};

class IElementWiseLayer : public ILayer {
public:
    virtual void setOperation(ElementWiseOperation op) noexcept = 0;
    virtual ElementWiseOperation getOperation() const noexcept = 0;
};

class IUnaryLayer : public ILayer {
public:
    virtual void setOperation(UnaryOperation op) noexcept = 0;
    virtual UnaryOperation getOperation() const noexcept = 0;
};

class IScaleLayer : public ILayer {
public:
    virtual void setMode(ScaleMode mode) noexcept = 0;
    virtual ScaleMode getMode() const noexcept = 0;
    virtual void setChannelAxis(int32_t channelAxis) noexcept = 0;
    virtual int32_t getChannelAxis() const noexcept = 0;
};

class ICastLayer : public ILayer {
public:
    virtual void setToType(DataType toType) noexcept = 0;
    virtual DataType getToType() const noexcept = 0;
    /// Kiln (ONNX Cast's saturate): what out-of-range values and infinities become in the 8-bit float
    /// types. true (the default): the largest finite value of that sign; false: NaN, or infinity for
    /// kFP8_E5M2, which has one. Other target types ignore it (kFP4 always saturates).
    virtual void setSaturate(bool saturate) noexcept = 0;
    virtual bool getSaturate() const noexcept = 0;
    /// Kiln (ONNX Cast's round_mode): how a cast to kE8M0 rounds; see CastRoundMode. Default kUP.
    virtual void setRoundMode(CastRoundMode mode) noexcept = 0;
    virtual CastRoundMode getRoundMode() const noexcept = 0;
};

class ISelectLayer : public ILayer {};
class IIdentityLayer : public ILayer {};
class IShapeLayer : public ILayer {};

class IMatrixMultiplyLayer : public ILayer {
public:
    virtual void setOperation(int32_t index, MatrixOperation op) noexcept = 0;
    virtual MatrixOperation getOperation(int32_t index) const noexcept = 0;
};

class ISoftMaxLayer : public ILayer {
public:
    virtual void setAxes(uint32_t axes) noexcept = 0;
    virtual uint32_t getAxes() const noexcept = 0;
    /// Kiln: log-softmax.
    virtual void setLog(bool log) noexcept = 0;
    virtual bool getLog() const noexcept = 0;
};

/// Reduces the axes named by a bitmask. Kiln: setInput(1, axes) takes the axes at run time instead, as a
/// 1-D int32/int64 shape tensor listing axis numbers (ONNX: negative numbers count from the end, each axis
/// at most once; an empty list reduces every axis, or nothing when setNoopWithEmptyAxes(true)). The mask
/// is then ignored. Without keepDimensions the list needs a length known at build time (it fixes the
/// output rank).
class IReduceLayer : public ILayer {
public:
    virtual void setOperation(ReduceOperation op) noexcept = 0;
    virtual ReduceOperation getOperation() const noexcept = 0;
    virtual void setReduceAxes(uint32_t reduceAxes) noexcept = 0;
    virtual uint32_t getReduceAxes() const noexcept = 0;
    virtual void setKeepDimensions(bool keepDimensions) noexcept = 0;
    virtual bool getKeepDimensions() const noexcept = 0;
    /// Kiln (ONNX noop_with_empty_axes): an empty axes list in input 1 makes the layer a copy.
    virtual void setNoopWithEmptyAxes(bool noop) noexcept = 0;
    virtual bool getNoopWithEmptyAxes() const noexcept = 0;
};

/// The k largest or smallest elements along one axis, and their indices. As in TensorRT 10,
/// setInput(1, k) gives k at run time as a shape tensor holding one int32/int64 value (0-D or 1-element
/// 1-D); setK is then ignored and the output extent along the axis is -1 until k is known.
class ITopKLayer : public ILayer {
public:
    virtual void setOperation(TopKOperation op) noexcept = 0;
    virtual TopKOperation getOperation() const noexcept = 0;
    virtual void setK(int32_t k) noexcept = 0;
    virtual int32_t getK() const noexcept = 0;
    virtual void setReduceAxes(uint32_t reduceAxes) noexcept = 0;
    virtual uint32_t getReduceAxes() const noexcept = 0;
    virtual bool setIndicesType(DataType type) noexcept = 0;
    virtual DataType getIndicesType() const noexcept = 0;
};

class INormalizationLayer : public ILayer {
public:
    virtual void setEpsilon(float eps) noexcept = 0;
    virtual float getEpsilon() const noexcept = 0;
    virtual void setAxes(uint32_t axesMask) noexcept = 0;
    virtual uint32_t getAxes() const noexcept = 0;
    virtual void setNbGroups(int64_t nbGroups) noexcept = 0;
    virtual int64_t getNbGroups() const noexcept = 0;
};

class IShuffleLayer : public ILayer {
public:
    virtual void setFirstTranspose(Permutation permutation) noexcept = 0;
    virtual Permutation getFirstTranspose() const noexcept = 0;
    virtual void setReshapeDimensions(Dims dimensions) noexcept = 0;
    virtual Dims getReshapeDimensions() const noexcept = 0;
    virtual void setSecondTranspose(Permutation permutation) noexcept = 0;
    virtual Permutation getSecondTranspose() const noexcept = 0;
    virtual void setZeroIsPlaceholder(bool zeroIsPlaceholder) noexcept = 0;
    virtual bool getZeroIsPlaceholder() const noexcept = 0;
};

class IConcatenationLayer : public ILayer {
public:
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;
};

class ISliceLayer : public ILayer {
public:
    virtual void setStart(Dims start) noexcept = 0;
    virtual Dims getStart() const noexcept = 0;
    virtual void setSize(Dims size) noexcept = 0;
    virtual Dims getSize() const noexcept = 0;
    virtual void setStride(Dims stride) noexcept = 0;
    virtual Dims getStride() const noexcept = 0;
    virtual void setMode(SampleMode mode) noexcept = 0;
    virtual SampleMode getMode() const noexcept = 0;
};

class IGatherLayer : public ILayer {
public:
    virtual void setGatherAxis(int32_t axis) noexcept = 0;
    virtual int32_t getGatherAxis() const noexcept = 0;
    virtual void setNbElementWiseDims(int32_t elementWiseDims) noexcept = 0;
    virtual int32_t getNbElementWiseDims() const noexcept = 0;
    virtual void setMode(GatherMode mode) noexcept = 0;
    virtual GatherMode getMode() const noexcept = 0;
};

class IPaddingLayer : public ILayer {
public:
    virtual void setPrePaddingNd(Dims padding) noexcept = 0;
    virtual Dims getPrePaddingNd() const noexcept = 0;
    virtual void setPostPaddingNd(Dims padding) noexcept = 0;
    virtual Dims getPostPaddingNd() const noexcept = 0;
    /// Kiln: fill mode and constant value (TensorRT pads with zeros).
    virtual void setFillMode(PaddingFillMode mode) noexcept = 0;
    virtual PaddingFillMode getFillMode() const noexcept = 0;
    virtual void setFillValue(float value) noexcept = 0;
    virtual float getFillValue() const noexcept = 0;
};

/// Resize. Input 1 (optional): the output dims as an int32/int64 shape tensor. Kiln extensions, for ONNX
/// Resize: input 2, a 1-D float tensor of one scale per dimension read when shapes are resolved (a shape
/// tensor: the output extent is floor(in * scale) unless input 1 or the output dims give it, and the
/// coordinate mapping uses the scale either way); input 3, a 1-D float region of interest as in
/// setRegionOfInterest, given at run time.
class IResizeLayer : public ILayer {
public:
    virtual void setOutputDimensions(Dims dimensions) noexcept = 0;
    virtual Dims getOutputDimensions() const noexcept = 0;
    virtual void setScales(const float* scales, int32_t nbScales) noexcept = 0;
    /// Copies up to `size` scales; returns how many there are (-1 when output dims are used).
    virtual int32_t getScales(int32_t size, float* scales) const noexcept = 0;
    virtual void setResizeMode(InterpolationMode interpolationMode) noexcept = 0;
    virtual InterpolationMode getResizeMode() const noexcept = 0;
    virtual void setCoordinateTransformation(ResizeCoordinateTransformation transform) noexcept = 0;
    virtual ResizeCoordinateTransformation getCoordinateTransformation() const noexcept = 0;
    virtual void setSelectorForSinglePixel(ResizeSelector selector) noexcept = 0;
    virtual ResizeSelector getSelectorForSinglePixel() const noexcept = 0;
    virtual void setNearestRounding(ResizeRoundMode value) noexcept = 0;
    virtual ResizeRoundMode getNearestRounding() const noexcept = 0;
    virtual void setCubicCoeff(float a) noexcept = 0;
    virtual float getCubicCoeff() const noexcept = 0;
    virtual void setExcludeOutside(bool excludeFlag) noexcept = 0;
    virtual bool getExcludeOutside() const noexcept = 0;
    /// Kiln: the region of interest of kTF_CROP_AND_RESIZE, [start_0..start_{n-1}, end_0..end_{n-1}] in
    /// coordinates normalized to [0, 1] of the input (n = the input's rank). Without one the whole input
    /// is used.
    virtual void setRegionOfInterest(const float* roi, int32_t nbValues) noexcept = 0;
    /// Kiln: copies up to `size` values; returns how many there are (0 when none is set).
    virtual int32_t getRegionOfInterest(int32_t size, float* roi) const noexcept = 0;
    /// Kiln: the value of output points that kTF_CROP_AND_RESIZE maps outside the input (default 0).
    virtual void setExtrapolationValue(float value) noexcept = 0;
    virtual float getExtrapolationValue() const noexcept = 0;
    /// Kiln: when downsampling with kLINEAR or kCUBIC, stretch the filter by 1 / scale so that every input
    /// point contributes (ONNX antialias).
    virtual void setAntialias(bool antialias) noexcept = 0;
    virtual bool getAntialias() const noexcept = 0;
};

class IConstantLayer : public ILayer {
public:
    virtual Weights getWeights() const noexcept = 0;
    virtual Dims getDimensions() const noexcept = 0;
};

class IFillLayer : public ILayer {
public:
    virtual void setDimensions(Dims dimensions) noexcept = 0;
    virtual Dims getDimensions() const noexcept = 0;
    virtual void setOperation(FillOperation op) noexcept = 0;
    virtual FillOperation getOperation() const noexcept = 0;
    virtual void setAlpha(double alpha) noexcept = 0;
    virtual double getAlpha() const noexcept = 0;
    virtual void setBeta(double beta) noexcept = 0;
    virtual double getBeta() const noexcept = 0;
    virtual void setToType(DataType toType) noexcept = 0;
    virtual DataType getToType() const noexcept = 0;
};

class ICumulativeLayer : public ILayer {
public:
    virtual bool setOperation(CumulativeOperation op) noexcept = 0;
    virtual CumulativeOperation getOperation() const noexcept = 0;
    virtual void setExclusive(bool exclusive) noexcept = 0;
    virtual bool getExclusive() const noexcept = 0;
    virtual void setReverse(bool reverse) noexcept = 0;
    virtual bool getReverse() const noexcept = 0;
};

class IScatterLayer : public ILayer {
public:
    virtual void setMode(ScatterMode mode) noexcept = 0;
    virtual ScatterMode getMode() const noexcept = 0;
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual int32_t getAxis() const noexcept = 0;
    /// Kiln: how an update combines with the element it lands on (ONNX ScatterElements/ScatterND
    /// `reduction`); updates apply in index order, so with kNONE the last duplicate wins. Default kNONE.
    virtual void setReduction(ScatterReduction reduction) noexcept = 0;
    virtual ScatterReduction getReduction() const noexcept = 0;
};

/// Quantize: output = saturate(round_half_even(input / scale) + zeroPoint) in the output type (kINT8,
/// kUINT8, kINT4, kUINT4, kINT2, kUINT2, or a float type kFP8, kFP8_E5M2, kFP8_E4M3FNUZ, kFP8_E5M2FNUZ,
/// kFP4, whose zero point must be 0). The scale is a scalar (per tensor), 1-D along the axis (per
/// channel), or has the input's rank for block quantization (see setBlockShape).
class IQuantizeLayer : public ILayer {
public:
    virtual int32_t getAxis() const noexcept = 0;
    virtual void setAxis(int32_t axis) noexcept = 0;
    /// Block quantization: one scale per block of this shape (rank = the input's; -1 takes a whole dim).
    /// The scale's dim i is then ceil(input dim i / blockShape[i]). Rank 0 (the default): not blocked.
    /// Returns false, changing nothing, when an extent is 0 or below -1 or the rank is out of range.
    virtual bool setBlockShape(const Dims& blockShape) noexcept = 0;
    virtual Dims getBlockShape() const noexcept = 0;
    virtual void setToType(DataType toType) noexcept = 0;
    virtual DataType getToType() const noexcept = 0;
};

/// Dequantize: output = (input - zeroPoint) * scale, for the input types IQuantizeLayer produces (and
/// kINT32); scale and block shape as there.
class IDequantizeLayer : public ILayer {
public:
    virtual int32_t getAxis() const noexcept = 0;
    virtual void setAxis(int32_t axis) noexcept = 0;
    virtual bool setBlockShape(const Dims& blockShape) noexcept = 0;
    virtual Dims getBlockShape() const noexcept = 0;
    virtual void setToType(DataType toType) noexcept = 0;
    virtual DataType getToType() const noexcept = 0;
};

/// Kiln: ONNX Trilu (keep the upper or lower triangle of the last two dims).
class ITriluLayer : public ILayer {
public:
    virtual void setUpper(bool upper) noexcept = 0;
    virtual bool getUpper() const noexcept = 0;
    virtual void setK(int64_t k) noexcept = 0;
    virtual int64_t getK() const noexcept = 0;
};

/// Flags for createNetworkV2. Networks are always explicit-batch, as in TensorRT 10.
enum class NetworkDefinitionCreationFlag : int32_t { kSTRONGLY_TYPED = 1 };

/// A network under construction.
class INetworkDefinition {
public:
    virtual ITensor* addInput(const char* name, DataType type, Dims dimensions) noexcept = 0;
    virtual void markOutput(ITensor& tensor) noexcept = 0;
    virtual void unmarkOutput(ITensor& tensor) noexcept = 0;

    virtual IConvolutionLayer* addConvolutionNd(ITensor& input, int64_t nbOutputMaps, Dims kernelSize,
                                                Weights kernelWeights, Weights biasWeights) noexcept = 0;
    virtual IDeconvolutionLayer* addDeconvolutionNd(ITensor& input, int64_t nbOutputMaps, Dims kernelSize,
                                                    Weights kernelWeights, Weights biasWeights) noexcept = 0;
    virtual IPoolingLayer* addPoolingNd(ITensor& input, PoolingType type, Dims windowSize) noexcept = 0;
    virtual IActivationLayer* addActivation(ITensor& input, ActivationType type) noexcept = 0;
    virtual IElementWiseLayer* addElementWise(ITensor& input1, ITensor& input2, ElementWiseOperation op) noexcept = 0;
    virtual IUnaryLayer* addUnary(ITensor& input, UnaryOperation operation) noexcept = 0;
    virtual IScaleLayer* addScale(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power) noexcept = 0;
    virtual IScaleLayer* addScaleNd(ITensor& input, ScaleMode mode, Weights shift, Weights scale, Weights power,
                                    int32_t channelAxis) noexcept = 0;
    virtual ICastLayer* addCast(ITensor& input, DataType toType) noexcept = 0;
    virtual ISelectLayer* addSelect(ITensor& condition, ITensor& thenInput, ITensor& elseInput) noexcept = 0;
    virtual IIdentityLayer* addIdentity(ITensor& input) noexcept = 0;
    virtual IMatrixMultiplyLayer* addMatrixMultiply(ITensor& input0, MatrixOperation op0, ITensor& input1,
                                                    MatrixOperation op1) noexcept = 0;
    virtual ISoftMaxLayer* addSoftMax(ITensor& input) noexcept = 0;
    virtual IReduceLayer* addReduce(ITensor& input, ReduceOperation operation, uint32_t reduceAxes,
                                    bool keepDimensions) noexcept = 0;
    virtual ITopKLayer* addTopK(ITensor& input, TopKOperation op, int32_t k, uint32_t reduceAxes) noexcept = 0;
    virtual INormalizationLayer* addNormalization(ITensor& input, ITensor& scale, ITensor& bias,
                                                  uint32_t axesMask) noexcept = 0;
    virtual IShuffleLayer* addShuffle(ITensor& input) noexcept = 0;
    virtual IConcatenationLayer* addConcatenation(ITensor* const* inputs, int32_t nbInputs) noexcept = 0;
    virtual ISliceLayer* addSlice(ITensor& input, Dims start, Dims size, Dims stride) noexcept = 0;
    virtual IGatherLayer* addGatherV2(ITensor& data, ITensor& indices, GatherMode mode) noexcept = 0;
    virtual IGatherLayer* addGather(ITensor& data, ITensor& indices, int32_t axis) noexcept = 0;
    virtual IPaddingLayer* addPaddingNd(ITensor& input, Dims prePadding, Dims postPadding) noexcept = 0;
    virtual IResizeLayer* addResize(ITensor& input) noexcept = 0;
    virtual IShapeLayer* addShape(ITensor& input) noexcept = 0;
    virtual IConstantLayer* addConstant(Dims dimensions, Weights weights) noexcept = 0;
    /// Fill: shape from `dimensions` (or setInput(0, shapeTensor)), values by `op`; alpha/beta by setters
    /// or setInput(1/2).
    virtual IFillLayer* addFill(Dims dimensions, FillOperation op, DataType outputType) noexcept = 0;
    /// Cumulative sum along the axis given by `axis` (a scalar int32/int64 tensor, usually a constant).
    virtual ICumulativeLayer* addCumulative(ITensor& input, ITensor& axis, CumulativeOperation op, bool exclusive,
                                            bool reverse) noexcept = 0;
    virtual IScatterLayer* addScatter(ITensor& data, ITensor& indices, ITensor& updates, ScatterMode mode) noexcept = 0;
    virtual IQuantizeLayer* addQuantize(ITensor& input, ITensor& scale, DataType outputType) noexcept = 0;
    virtual IDequantizeLayer* addDequantize(ITensor& input, ITensor& scale, DataType outputType) noexcept = 0;
    virtual ITriluLayer* addTrilu(ITensor& input, bool upper) noexcept = 0;

    virtual int32_t getNbLayers() const noexcept = 0;
    virtual ILayer* getLayer(int32_t index) const noexcept = 0;
    virtual int32_t getNbInputs() const noexcept = 0;
    virtual ITensor* getInput(int32_t index) const noexcept = 0;
    virtual int32_t getNbOutputs() const noexcept = 0;
    virtual ITensor* getOutput(int32_t index) const noexcept = 0;
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;

    virtual ~INetworkDefinition() = default;
};

}  // namespace kiln
