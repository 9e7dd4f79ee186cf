// Attribute structs, one per op in ops.def. Every struct lists its fields once in `visit`, which is what
// the textual IR dump, the plan writer and the plan reader iterate; a new field therefore reaches all
// three by being added to `visit` (a field added after plan format 3 is visited with kOptionalField, see
// OptionalField). Field kinds a visitor must accept: int32_t, int64_t, uint32_t, float,
// bool, an enum (stored as int32), Dims, Permutation, DataType, std::vector<float>, std::vector<int64_t>,
// Bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/dims.h"
#include "kiln/layer_types.h"
#include "kiln/types.h"

namespace kiln::ir {

/// Immutable shared bytes (weights). Shared so that copying a graph does not copy weights.
using Bytes = std::shared_ptr<const std::vector<uint8_t>>;

/// Passed to a visitor as a third argument for a field added after plan format 3: the plan writer and the
/// IR dump leave the field out while it holds its default value (T{}), and the plan reader keeps that
/// default when the field is absent. Plans that do not use the field keep their bytes, plans written
/// before it existed still load, and an older Kiln reading a plan that does use it names the field it
/// does not know. Visitors must therefore accept v(name, field) and v(name, field, kOptionalField).
struct OptionalField {};
inline constexpr OptionalField kOptionalField{};

struct ConstantAttrs {
    Bytes data;  ///< row-major values of the output tensor's type and shape
    template <class V> void visit(V& v) { v("data", data); }
};

/// A fused epilogue on an op's result (MatrixMultiply, Convolution): y = act(result + bias + addend), the
/// activation with ActivationAttrs' meaning of alpha and beta. Written by the fuse-*-epilogue passes; the
/// bias and addend are inputs of the op (see ops.def).
struct EpilogueAttrs {
    bool hasActivation{false};
    ActivationType activation{ActivationType::kRELU};
    float alpha{0.0f};
    float beta{0.0f};
    template <class V> void visit(V& v) {
        v("has_activation", hasActivation); v("activation", activation);
        v("activation_alpha", alpha); v("activation_beta", beta);
    }
};

/// The geometry Convolution and Deconvolution share.
struct ConvGeometryAttrs {
    int32_t nbOutputMaps{0};
    Dims kernelSize{};
    Dims stride{};       ///< rank = spatial rank; empty means all 1
    Dims prePadding{};   ///< empty means all 0
    Dims postPadding{};
    Dims dilation{};     ///< empty means all 1
    int32_t nbGroups{1};
    PaddingMode paddingMode{PaddingMode::kEXPLICIT_ROUND_DOWN};
    template <class V> void visit(V& v) {
        v("nb_output_maps", nbOutputMaps); v("kernel_size", kernelSize); v("stride", stride);
        v("pre_padding", prePadding); v("post_padding", postPadding); v("dilation", dilation);
        v("nb_groups", nbGroups); v("padding_mode", paddingMode);
    }
};

/// y = act(conv(x, kernel) + bias + addend) with the optional parts per `epilogue` and the inputs.
struct ConvolutionAttrs : ConvGeometryAttrs {
    EpilogueAttrs epilogue{};
    /// Kiln: x, y and the addend are [N, spatial..., C] and the kernel [K, k..., C/groups] (NHWC, KRSC):
    /// the layout tensor cores want. Set by the channels-last pass for GPU plans; ONNX and the network
    /// API always make channels-first convolutions.
    bool channelsLast{false};
    template <class V> void visit(V& v) {
        ConvGeometryAttrs::visit(v);
        epilogue.visit(v);
        v("channels_last", channelsLast);
    }
};

/// The kernel tensor is [C_in, C_out / groups, k...] (ONNX / TensorRT).
struct DeconvolutionAttrs : ConvGeometryAttrs {
    Dims outputPadding{};  ///< Kiln: extra extent added at the end of each spatial dim (ONNX output_padding)
    template <class V> void visit(V& v) {
        ConvGeometryAttrs::visit(v);
        v("output_padding", outputPadding);
    }
};

struct PoolingAttrs {
    PoolingType type{PoolingType::kMAX};
    Dims windowSize{};
    Dims stride{};       ///< empty means equal to the window
    Dims prePadding{};
    Dims postPadding{};
    Dims dilation{};     ///< Kiln: window dilation (ONNX MaxPool/AveragePool); empty means 1
    PaddingMode paddingMode{PaddingMode::kEXPLICIT_ROUND_DOWN};
    bool averageCountExcludesPadding{true};
    bool global{false};  ///< Kiln: window = the whole spatial extent
    float blendFactor{0.0f};
    /// Kiln: output 1 (max pooling only, when the node has it) numbers the spatial position column-major
    /// (ONNX storage_order = 1); row-major when false.
    bool indicesColumnMajor{false};
    /// Kiln: x and y are [N, H, W, C] (NHWC, 2-D pooling only, no indices output), so pooling sits between
    /// channels-last convolutions without transposes. Set by the channels-last pass for GPU plans; ONNX and
    /// the network API always make channels-first pooling.
    bool channelsLast{false};
    template <class V> void visit(V& v) {
        v("type", type); v("window_size", windowSize); v("stride", stride); v("pre_padding", prePadding);
        v("post_padding", postPadding); v("dilation", dilation); v("padding_mode", paddingMode);
        v("average_count_excludes_padding", averageCountExcludesPadding); v("global", global);
        v("blend_factor", blendFactor); v("indices_column_major", indicesColumnMajor);
        v("channels_last", channelsLast);
    }
};

struct ActivationAttrs {
    ActivationType type{ActivationType::kRELU};
    float alpha{0.0f};
    float beta{0.0f};
    template <class V> void visit(V& v) { v("type", type); v("alpha", alpha); v("beta", beta); }
};

/// The Activation an epilogue applies (meaningful when e.hasActivation).
inline ActivationAttrs epilogueActivation(const EpilogueAttrs& e) {
    ActivationAttrs a;
    a.type = e.activation;
    a.alpha = e.alpha;
    a.beta = e.beta;
    return a;
}

/// Numpy broadcasting between a and b (ranks aligned at the right).
struct ElementWiseAttrs {
    ElementWiseOperation op{ElementWiseOperation::kSUM};
    template <class V> void visit(V& v) { v("op", op); }
};

struct UnaryAttrs {
    UnaryOperation op{UnaryOperation::kEXP};
    template <class V> void visit(V& v) { v("op", op); }
};

/// y = (x * scale + shift) ^ power, coefficients per `mode`; absent coefficients are 1, 0, 1.
struct ScaleAttrs {
    ScaleMode mode{ScaleMode::kUNIFORM};
    int32_t channelAxis{1};
    template <class V> void visit(V& v) { v("mode", mode); v("channel_axis", channelAxis); }
};

/// Converts to `toType` under the rules of common/cast.h. `saturate` (ONNX Cast's attribute) decides what
/// out-of-range values become in the 8-bit float formats: the largest finite value, or NaN / infinity;
/// `roundMode` is how a cast to E8M0 rounds.
struct CastAttrs {
    DataType toType{DataType::kFLOAT};
    bool saturate{true};
    CastRoundMode roundMode{CastRoundMode::kUP};
    template <class V>
    void visit(V& v) {
        v("to_type", toType);
        v("saturate", saturate);
        v("round_mode", roundMode);
    }
};

struct SelectAttrs {
    template <class V> void visit(V&) {}
};

/// Copies the input; the output tensor's type may differ (a conversion), as in TensorRT.
struct IdentityAttrs {
    template <class V> void visit(V&) {}
};

/// Batched matmul with numpy broadcasting over the batch dims.
/// y = act(op0(a) x op1(b) + bias + addend) with the optional parts per `epilogue` and the inputs.
struct MatrixMultiplyAttrs {
    MatrixOperation op0{MatrixOperation::kNONE};
    MatrixOperation op1{MatrixOperation::kNONE};
    EpilogueAttrs epilogue{};
    template <class V> void visit(V& v) {
        v("op0", op0); v("op1", op1);
        epilogue.visit(v);
    }
};

struct SoftMaxAttrs {
    uint32_t axes{1};  ///< bitmask with exactly one bit
    bool log{false};   ///< Kiln: log-softmax
    template <class V> void visit(V& v) { v("axes", axes); v("log", log); }
};

/// An empty reduction gives the op's identity (ONNX): 0 for sums, 1 for kPROD, -inf / the type's lowest
/// value for kMAX, +inf / the highest for kMIN; an integer kAVG of nothing is an error.
struct ReduceAttrs {
    ReduceOperation op{ReduceOperation::kSUM};
    uint32_t axes{0};  ///< bitmask; ignored when input 1 (a run-time axes list) is present
    bool keepDims{false};
    /// Kiln (ONNX noop_with_empty_axes): an empty axes list in input 1 makes the op a copy instead of
    /// reducing every axis.
    bool noopWithEmptyAxes{false};
    template <class V> void visit(V& v) {
        v("op", op); v("axes", axes); v("keep_dims", keepDims); v("noop_with_empty_axes", noopWithEmptyAxes);
    }
};

struct TopKAttrs {
    TopKOperation op{TopKOperation::kMAX};
    int32_t k{1};      ///< ignored when input 1 (k at run time) is present
    uint32_t axes{1};  ///< bitmask with exactly one bit
    DataType indicesType{DataType::kINT32};
    template <class V> void visit(V& v) { v("op", op); v("k", k); v("axes", axes); v("indices_type", indicesType); }
};

/// TensorRT's INormalizationLayer: mean/variance over `axes` (per group when nbGroups > 1, channels
/// on axis 1 split into groups), then y = scale * xhat + bias with scale/bias broadcast.
struct NormalizationAttrs {
    uint32_t axes{0};
    float epsilon{1e-5f};
    int64_t nbGroups{1};
    template <class V> void visit(V& v) { v("axes", axes); v("epsilon", epsilon); v("nb_groups", nbGroups); }
};

/// first transpose, then reshape (0 copies the input dim when zeroIsPlaceholder, -1 is inferred),
/// then second transpose. A second input, when present, gives the reshape dims at run time.
struct ShuffleAttrs {
    Permutation firstTranspose{};
    bool hasReshape{false};
    Dims reshapeDims{};
    Permutation secondTranspose{};
    bool zeroIsPlaceholder{true};
    template <class V> void visit(V& v) {
        v("first_transpose", firstTranspose); v("has_reshape", hasReshape); v("reshape_dims", reshapeDims);
        v("second_transpose", secondTranspose); v("zero_is_placeholder", zeroIsPlaceholder);
    }
};

struct ConcatenationAttrs {
    int32_t axis{0};
    template <class V> void visit(V& v) { v("axis", axis); }
};

/// out[i] = in[start + i * stride] per dim, out-of-bounds handled by `mode`. Inputs 1..3, when present,
/// override start/size/stride at run time; input 4 is the fill value for kFILL.
struct SliceAttrs {
    Dims start{};
    Dims size{};
    Dims stride{};
    SampleMode mode{SampleMode::kSTRICT_BOUNDS};
    template <class V> void visit(V& v) { v("start", start); v("size", size); v("stride", stride); v("mode", mode); }
};

struct GatherAttrs {
    int32_t axis{0};
    GatherMode mode{GatherMode::kDEFAULT};
    int32_t nbElementWiseDims{0};
    template <class V> void visit(V& v) { v("axis", axis); v("mode", mode); v("nb_element_wise_dims", nbElementWiseDims); }
};

/// N-d padding of the trailing dims: prePadding/postPadding have rank <= input rank and apply to the last
/// dims; negative values crop.
struct PaddingAttrs {
    Dims prePadding{};
    Dims postPadding{};
    PaddingFillMode mode{PaddingFillMode::kCONSTANT};
    float value{0.0f};
    template <class V> void visit(V& v) { v("pre_padding", prePadding); v("post_padding", postPadding); v("mode", mode); v("value", value); }
};

/// Output extent per dimension from the first of: input 1 (int32/int64 shape tensor), outputDims, input 2
/// (Kiln: a 1-D float shape tensor of scales, out = floor(in * scale)), scales (out = floor(in * scale)).
/// The coordinate mapping uses the scale of input 2 whenever it is present (ONNX keep_aspect_ratio_policy
/// gives extents and scales together), else `scales` when they gave the extents, else out / in.
/// roi (Kiln, kTF_CROP_AND_RESIZE only): [starts..., ends...] normalized, one pair per dimension, from
/// the attribute or from input 3 (1-D float, at run time); the whole input when neither is given.
struct ResizeAttrs {
    InterpolationMode mode{InterpolationMode::kNEAREST};
    Dims outputDims{};
    std::vector<float> scales;
    ResizeCoordinateTransformation coordinateTransformation{ResizeCoordinateTransformation::kASYMMETRIC};
    ResizeSelector selectorForSinglePixel{ResizeSelector::kFORMULA};
    ResizeRoundMode nearestRounding{ResizeRoundMode::kFLOOR};
    float cubicCoeff{-0.75f};
    bool excludeOutside{false};
    std::vector<float> roi;
    float extrapolationValue{0.0f};
    bool antialias{false};  ///< Kiln: linear/cubic filters stretched by 1 / scale when downsampling
    template <class V> void visit(V& v) {
        v("mode", mode); v("output_dims", outputDims); v("scales", scales);
        v("coordinate_transformation", coordinateTransformation); v("selector_for_single_pixel", selectorForSinglePixel);
        v("nearest_rounding", nearestRounding); v("cubic_coeff", cubicCoeff); v("exclude_outside", excludeOutside);
        v("roi", roi); v("extrapolation_value", extrapolationValue); v("antialias", antialias);
    }
};

/// Output: int64 1-D tensor holding the input's shape.
struct ShapeAttrs {
    template <class V> void visit(V&) {}
};

/// TensorRT's IFillLayer. kLINSPACE: out[i0, i1, ...] = alpha + sum_k beta[k] * i_k (a 1-D range when
/// rank 1); kCONSTANT (Kiln, ONNX ConstantOfShape): every element = alpha. The output shape is
/// `dimensions` unless input 0 (a 1-D shape tensor) is given; alpha/beta come from inputs 1/2 when
/// given, else from the attributes.
struct FillAttrs {
    FillOperation op{FillOperation::kLINSPACE};
    Dims dimensions{};
    float alpha{0.0f};
    float beta{1.0f};
    DataType outputType{DataType::kFLOAT};
    template <class V> void visit(V& v) {
        v("op", op); v("dimensions", dimensions); v("alpha", alpha); v("beta", beta); v("output_type", outputType);
    }
};

/// TensorRT's ICumulativeLayer (sum only here, ONNX CumSum). The axis comes from `axis` unless input 1
/// (a scalar int32/int64 tensor) is given.
struct CumulativeAttrs {
    CumulativeOperation op{CumulativeOperation::kSUM};
    int32_t axis{0};
    bool exclusive{false};
    bool reverse{false};
    template <class V> void visit(V& v) { v("op", op); v("axis", axis); v("exclusive", exclusive); v("reverse", reverse); }
};

/// TensorRT's IScatterLayer: kELEMENT is ONNX ScatterElements along `axis`; kND is ONNX ScatterND.
/// Updates apply in index order, each combined with the element it lands on by `reduction` (Kiln); with
/// kNONE the last of duplicate indices wins.
struct ScatterAttrs {
    ScatterMode mode{ScatterMode::kELEMENT};
    int32_t axis{0};
    ScatterReduction reduction{ScatterReduction::kNONE};
    template <class V> void visit(V& v) { v("mode", mode); v("axis", axis); v("reduction", reduction); }
};

/// Kiln: ONNX Trilu. Keeps the upper (or lower) triangle of the last two dims, offset by k (attribute or
/// input 1), zeroing the rest.
struct TriluAttrs {
    bool upper{true};
    int64_t k{0};
    template <class V> void visit(V& v) { v("upper", upper); v("k", k); }
};

/// TensorRT's IQuantizeLayer / IDequantizeLayer (ONNX QuantizeLinear / DequantizeLinear). Per-tensor
/// scale (scalar), per-axis (1-D along `axis`), or blocked: with `blockShape` set (rank = the input's),
/// the scale has the input's rank and dim i is ceil(x.d[i] / blockShape.d[i]) (-1 in blockShape: the whole
/// dim is one block), element x[c] using scale[c / blockShape]; ONNX's block_size on `axis` is the block
/// shape that is 1 everywhere else. Quantize: round half to even, saturate to toType's range.
struct QuantizeAttrs {
    int32_t axis{1};
    DataType toType{DataType::kINT8};
    Dims blockShape{};  ///< rank 0: not blocked
    template <class V>
    void visit(V& v) {
        v("axis", axis);
        v("to_type", toType);
        v("block_shape", blockShape);
    }
};
struct DequantizeAttrs {
    int32_t axis{1};
    DataType toType{DataType::kFLOAT};
    Dims blockShape{};  ///< rank 0: not blocked
    template <class V>
    void visit(V& v) {
        v("axis", axis);
        v("to_type", toType);
        v("block_shape", blockShape);
    }
};

/// Kiln: a fused chain of pointwise ops (made by the fuse-pointwise pass), as a straight-line program over
/// float32 registers evaluated once per output element. The output shape is the numpy broadcast of every
/// input; an input is loaded at the output element's broadcast position (bool inputs load as 0 / 1).
/// `code` holds kPointwiseFields int64 per instruction: opcode (PointwiseOpcode), operation (the input
/// index for kLOAD, else the UnaryOperation / ActivationType / ElementWiseOperation value), destination
/// register, three source registers (-1 when unused); `immediates` holds two floats per instruction (the
/// constant of kIMMEDIATE, alpha and beta of kACTIVATION, else 0). The last instruction's destination is
/// stored to the output, rounded once to `outputType`. Intermediates stay float32 (TensorRT's fused
/// pointwise kernels do the same). ir/pointwise_program.h decodes and validates programs.
struct PointwiseAttrs {
    std::vector<int64_t> code;
    std::vector<float> immediates;
    DataType outputType{DataType::kFLOAT};
    template <class V> void visit(V& v) { v("code", code); v("immediates", immediates); v("output_type", outputType); }
};

/// Kiln: how a 4-D Attention operand orders its axes, outermost first: B (batch), H (heads), S (sequence:
/// queries for q and the output, keys for k and v), D (head dim). kBHDS (the keys already transposed) is
/// for k only. kSTRIDED (q, k and v only) reads the operand as an explicit view of its input tensor, of
/// any rank: an element offset and, per logical axis, an extent and an element stride (AttentionAttrs'
/// q_view, k_view, v_view), e.g. three views into one packed [S, B, 3E] projection. ir/attention_layout.h
/// maps layouts to dims and strides and decodes and checks views.
enum class AttentionLayout : int32_t { kBHSD = 0, kBSHD = 1, kSBHD = 2, kBHDS = 3, kSTRIDED = 4 };

/// Kiln: fused multi-head attention (made by the fuse-attention pass). For every batch b and head h:
///   O[b,h] = softmax(scale * Q[b,h] K[b,h]^T + mask[b,h]) V[b,h]
/// with Q [Sq, D], K [Skv, D], V [Skv, Dv] the (b, h) slices of q, k, v as their layouts store them, the
/// softmax over the key axis, and the optional mask (input 3, any float type) broadcast numpy-style to
/// [B, H, Sq, Skv]. Scores are float32 values (the dot product scaled, rounded to float32, plus the mask);
/// the softmax and both products accumulate in float32 or wider. A row whose scores have no finite maximum
/// (all -inf, a NaN, +inf) is NaN, as SoftMax makes it; with zeroFullyMaskedRows it is 0 instead (the
/// Where(IsNaN(P), 0, P) that ONNX exports of masked attention write). The layouts let the op read its
/// operands and write its output through the head transposes around it instead of copying them; strided
/// views (kSTRIDED) let it read q, k and v straight out of a packed projection.
struct AttentionAttrs {
    float scale{1.0f};
    AttentionLayout qLayout{AttentionLayout::kBHSD};
    AttentionLayout kLayout{AttentionLayout::kBHSD};
    AttentionLayout vLayout{AttentionLayout::kBHSD};
    AttentionLayout outLayout{AttentionLayout::kBHSD};
    bool zeroFullyMaskedRows{false};
    /// For an operand of layout kSTRIDED, kAttentionViewFields values: the element offset of (0, 0, 0, 0)
    /// in the input's row-major buffer, the extents of B, H, S, D, then their element strides (>= 0).
    /// Empty for every other layout. Optional fields (added after plan format 3).
    std::vector<int64_t> qView;
    std::vector<int64_t> kView;
    std::vector<int64_t> vView;
    template <class V> void visit(V& v) {
        v("scale", scale); v("q_layout", qLayout); v("k_layout", kLayout); v("v_layout", vLayout);
        v("out_layout", outLayout); v("zero_fully_masked_rows", zeroFullyMaskedRows);
        v("q_view", qView, kOptionalField); v("k_view", kView, kOptionalField);
        v("v_view", vView, kOptionalField);
    }
};

}  // namespace kiln::ir
