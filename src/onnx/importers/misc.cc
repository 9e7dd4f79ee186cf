// Importers for Trilu, CumSum and explicit quantization (QuantizeLinear, DequantizeLinear). Q/DQ nodes
// are never folded at import time, even on constant weights: the quantization they describe must reach
// the builder.
#include "onnx/importers/helpers.h"
#include "onnx/tensor_proto.h"

namespace kiln::onnx {

namespace {

Status importTrilu(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t upper, node.attrs().getInt("upper", 1));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    if (x->getDimensions().nbDims < 2)
        return invalidArgument("input must have rank >= 2, got " + toString(x->getDimensions()));
    ITriluLayer* t = ctx.net().addTrilu(*x, upper != 0);
    KILN_ASSIGN_OR_RETURN(t, ctx.check(t, "addTrilu"));
    if (hasInput(inputs, 1)) {
        if (inputs[1].isConstant()) {
            if (inputs[1].constant->count() != 1)
                return invalidArgument("k must be a scalar, got shape " +
                                       toString(inputs[1].constant->shape));
            t->setK(inputs[1].constant->atInt(0));
        } else {
            KILN_ASSIGN_OR_RETURN(ITensor * k, inputTensor(ctx, node, inputs, 1));
            t->setInput(1, *k);
        }
    }
    return setOutput(outputs, t->getOutput(0));
}

Status importCumSum(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t exclusive, node.attrs().getInt("exclusive", 0));
    KILN_ASSIGN_OR_RETURN(int64_t reverse, node.attrs().getInt("reverse", 0));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * axis, inputTensor(ctx, node, inputs, 1));
    ICumulativeLayer* c =
        ctx.net().addCumulative(*x, *axis, CumulativeOperation::kSUM, exclusive != 0, reverse != 0);
    KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(c, "addCumulative"));
    return setOutput(outputs, y);
}

Status checkQuantize(const OnnxNode& node) {
    KILN_ASSIGN_OR_RETURN(int64_t block, node.attrs().getInt("block_size", 0));
    if (block != 0)
        return unsupported("blocked quantization (block_size " + std::to_string(block) +
                           ") is not supported");
    return Status::ok();
}

/// The quantized type: output_dtype (opset 21), else the zero point's type, else uint8.
StatusOr<DataType> quantizedType(const OnnxNode& node, const std::vector<Value>& inputs) {
    KILN_ASSIGN_OR_RETURN(int64_t outType, node.attrs().getInt("output_dtype", 0));
    DataType t = DataType::kUINT8;
    if (outType != 0) {
        bool converted = false;
        KILN_ASSIGN_OR_RETURN(t, kilnTypeOf(static_cast<int32_t>(outType), &converted));
        if (converted)
            return unsupported("quantization to " + onnxTypeName(static_cast<int32_t>(outType)) +
                               " is not supported");
    } else if (hasInput(inputs, 2)) {
        t = typeOf(inputs[2]);
    }
    if (t != DataType::kINT8 && t != DataType::kUINT8 && t != DataType::kFP8)
        return unsupported(std::string("quantization to ") + dataTypeName(t) +
                           " is not supported; Kiln quantizes to int8, uint8 and float8_e4m3");
    return t;
}

/// The zero point as a tensor of the scale's shape (exporters write a [1] zero point next to a scalar
/// scale), or null when absent.
StatusOr<ITensor*> zeroPoint(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                             const Dims& scaleDims) {
    if (!hasInput(inputs, 2)) return static_cast<ITensor*>(nullptr);
    const Dims zd = dimsOf(inputs[2]);
    if (scaleDims.nbDims == 0 && zd.nbDims == 1 && zd.d[0] == 1) {
        if (inputs[2].isConstant()) return ctx.constant(reshapedConstant(*inputs[2].constant, Dims{}));
        KILN_ASSIGN_OR_RETURN(ITensor * t, inputTensor(ctx, node, inputs, 2));
        return reshapeTo(ctx, t, ShapeTensor::known({}, true));
    }
    return inputTensor(ctx, node, inputs, 2);
}

/// Adds a Quantize or Dequantize layer. A per-axis scale (1-D, more than one value) is checked against
/// the layer's default axis 1 as the layer is added, so for another axis the layer is added with a
/// scalar scale and then given its axis and real scale.
template <bool kQuantize>
Status importQdq(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                 std::vector<Value>& outputs) {
    KILN_RETURN_IF_ERROR(checkQuantize(node));
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", 1));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * scale, inputTensor(ctx, node, inputs, 1));
    const Dims sd = scale->getDimensions();
    const bool perAxis = sd.nbDims == 1 && sd.d[0] != 1;
    int axis = 1;
    if (perAxis) {
        KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(rawAxis, x->getDimensions().nbDims, "axis"));
    }
    KILN_ASSIGN_OR_RETURN(ITensor * zp, zeroPoint(ctx, node, inputs, sd));
    ITensor* first = scale;
    if (perAxis && axis != 1) {
        KILN_ASSIGN_OR_RETURN(first, ctx.scalar(scale->getType(), 1.0));
    }
    ILayer* layer = nullptr;
    if constexpr (kQuantize) {
        KILN_ASSIGN_OR_RETURN(DataType to, quantizedType(node, inputs));
        KILN_ASSIGN_OR_RETURN(IQuantizeLayer * q,
                              ctx.check(ctx.net().addQuantize(*x, *first, to), "addQuantize"));
        if (perAxis) q->setAxis(axis);
        layer = q;
    } else {
        KILN_ASSIGN_OR_RETURN(
            IDequantizeLayer * q,
            ctx.check(ctx.net().addDequantize(*x, *first, scale->getType()), "addDequantize"));
        if (perAxis) q->setAxis(axis);
        layer = q;
    }
    if (first != scale) layer->setInput(1, *scale);
    if (zp) layer->setInput(2, *zp);
    return setOutput(outputs, layer->getOutput(0));
}

const OpImporter kImporters[] = {
    {"Trilu", 14, kMaxOpset, importTrilu},
    {"CumSum", 11, kMaxOpset, importCumSum},
    {"QuantizeLinear", 10, kMaxOpset, importQdq<true>, checkQuantize, false},
    {"DequantizeLinear", 10, kMaxOpset, importQdq<false>, checkQuantize, false},
};

}  // namespace

std::span<const OpImporter> miscImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
