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
    // ONNX's CumSum has no bool type, but torch exports cumsum of a bool mask (transformers' GPT-2 mask code
    // counts with it) and means torch's semantics: booleans count as int64.
    if (x->getType() == DataType::kBOOL) {
        KILN_ASSIGN_OR_RETURN(x, castTo(ctx, x, DataType::kINT64));
    }
    KILN_ASSIGN_OR_RETURN(ITensor * axis, inputTensor(ctx, node, inputs, 1));
    ICumulativeLayer* c =
        ctx.net().addCumulative(*x, *axis, CumulativeOperation::kSUM, exclusive != 0, reverse != 0);
    KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(c, "addCumulative"));
    return setOutput(outputs, y);
}

Status checkQuantize(const OnnxNode& node) {
    KILN_ASSIGN_OR_RETURN(int64_t block, node.attrs().getInt("block_size", 0));
    if (block < 0)
        return invalidArgument("attribute 'block_size' is " + std::to_string(block) +
                               ", expected 0 (not blocked) or a positive block length");
    return Status::ok();
}

bool isFloat8(DataType t) {
    return t == DataType::kFP8 || t == DataType::kFP8_E5M2 || t == DataType::kFP8_E4M3FNUZ ||
           t == DataType::kFP8_E5M2FNUZ;
}

/// What Quantize produces: Kiln's type, and for ONNX's int16 / uint16 (which Kiln holds as int32) the
/// range the int32 result is clamped to afterwards.
struct QuantizedTarget {
    DataType type{DataType::kUINT8};
    bool clamp{false};
    int64_t lo{0};
    int64_t hi{0};
};

/// The quantized type: output_dtype (opset 21), else the zero point's type, else uint8.
StatusOr<QuantizedTarget> quantizedTarget(const OnnxNode& node, const std::vector<Value>& inputs) {
    KILN_ASSIGN_OR_RETURN(int64_t outType, node.attrs().getInt("output_dtype", 0));
    QuantizedTarget q;
    if (outType == TensorProto::INT16 || outType == TensorProto::UINT16) {
        // Kiln has no 16-bit integers: quantize to int32 and clamp to the 16-bit range, which gives the
        // same values since clamping twice to nested ranges equals clamping once to the inner one.
        q.type = DataType::kINT32;
        q.clamp = true;
        q.lo = outType == TensorProto::INT16 ? -32768 : 0;
        q.hi = outType == TensorProto::INT16 ? 32767 : 65535;
        return q;
    }
    if (outType != 0) {
        bool converted = false;
        KILN_ASSIGN_OR_RETURN(q.type, kilnTypeOf(static_cast<int32_t>(outType), &converted));
        if (converted)
            return unsupported("quantization to " + onnxTypeName(static_cast<int32_t>(outType)) +
                               " is not supported");
    } else if (hasInput(inputs, 2)) {
        q.type = typeOf(inputs[2]);
    }
    switch (q.type) {
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
        case DataType::kFP8:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kFP4:
            return q;
        case DataType::kINT32:
            // ONNX has no int32 quantization: this zero point was int16 or uint16, which Kiln cannot tell
            // apart once imported, and their ranges differ.
            return unsupported(
                "quantization to int16 / uint16 given by the zero point's type is not supported (Kiln holds "
                "both as int32); give the output type with the output_dtype attribute");
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kINT64:
        case DataType::kBOOL:
        case DataType::kE8M0:
            break;
    }
    return unsupported(
        std::string("quantization to ") + dataTypeName(q.type) +
        " is not supported; Kiln quantizes to int8, uint8, int16 and uint16 (as int32), int4, "
        "uint4, int2, uint2, the float8 types E4M3FN, E5M2, E4M3FNUZ, E5M2FNUZ and float4 E2M1");
}

/// The zero point, or null when absent. Exporters write a [1] zero point next to a scalar scale: a
/// constant one is reshaped to the scale's shape here; one computed at run time is passed as it is, which
/// the layer accepts (a one-element zero point with a one-element scale), since a Shuffle could not move
/// the 4- and 2-bit types.
StatusOr<ITensor*> zeroPoint(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                             const Dims& scaleDims) {
    if (!hasInput(inputs, 2)) return static_cast<ITensor*>(nullptr);
    const Dims zd = dimsOf(inputs[2]);
    if (scaleDims.nbDims == 0 && zd.nbDims == 1 && zd.d[0] == 1 && inputs[2].isConstant())
        return ctx.constant(reshapedConstant(*inputs[2].constant, Dims{}));
    return inputTensor(ctx, node, inputs, 2);
}

/// Adds a Quantize or Dequantize layer. A per-axis scale (1-D, more than one value) is checked against
/// the layer's default axis 1 as the layer is added, and a blocked one (block_size, opset 21) against no
/// block shape at all, so for those the layer is added with a scalar scale, then given its axis or block
/// shape and its real scale.
template <bool kQuantize>
Status importQdq(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                 std::vector<Value>& outputs) {
    KILN_RETURN_IF_ERROR(checkQuantize(node));
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", 1));
    KILN_ASSIGN_OR_RETURN(int64_t blockSize, node.attrs().getInt("block_size", 0));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * scale, inputTensor(ctx, node, inputs, 1));
    const Dims xd = x->getDimensions();
    const Dims sd = scale->getDimensions();
    const bool blocked = blockSize > 0;
    const bool perAxis = !blocked && sd.nbDims == 1 && sd.d[0] != 1;
    int axis = 1;
    if (perAxis || blocked) {
        KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(rawAxis, xd.nbDims, "axis"));
    }
    Dims blockShape{};
    if (blocked) {
        blockShape.nbDims = xd.nbDims;
        for (int i = 0; i < xd.nbDims; ++i) blockShape.d[i] = i == axis ? blockSize : 1;
    }
    KILN_ASSIGN_OR_RETURN(ITensor * zp, zeroPoint(ctx, node, inputs, sd));
    ITensor* first = scale;
    if (blocked || (perAxis && axis != 1)) {
        KILN_ASSIGN_OR_RETURN(first, ctx.scalar(scale->getType(), 1.0));
    }
    ILayer* layer = nullptr;
    QuantizedTarget target;
    if constexpr (kQuantize) {
        KILN_ASSIGN_OR_RETURN(target, quantizedTarget(node, inputs));
        KILN_ASSIGN_OR_RETURN(int64_t saturate, node.attrs().getInt("saturate", 1));
        if (saturate == 0 && isFloat8(target.type))
            return unsupported(std::string("saturate=0 (out-of-range values become NaN or infinity) is not "
                                           "supported for quantization to ") +
                               dataTypeName(target.type) + "; Kiln's Quantize saturates");
        KILN_ASSIGN_OR_RETURN(IQuantizeLayer * q,
                              ctx.check(ctx.net().addQuantize(*x, *first, target.type), "addQuantize"));
        if (perAxis) q->setAxis(axis);
        if (blocked && !q->setBlockShape(blockShape))
            return internalError("setBlockShape refused " + toString(blockShape));
        layer = q;
    } else {
        KILN_ASSIGN_OR_RETURN(
            IDequantizeLayer * q,
            ctx.check(ctx.net().addDequantize(*x, *first, scale->getType()), "addDequantize"));
        if (perAxis) q->setAxis(axis);
        if (blocked && !q->setBlockShape(blockShape))
            return internalError("setBlockShape refused " + toString(blockShape));
        layer = q;
    }
    if (first != scale) layer->setInput(1, *scale);
    if (zp) layer->setInput(2, *zp);
    ITensor* y = layer->getOutput(0);
    if (target.clamp) {
        KILN_ASSIGN_OR_RETURN(ITensor * lo, ctx.scalar(DataType::kINT32, static_cast<double>(target.lo)));
        KILN_ASSIGN_OR_RETURN(ITensor * hi, ctx.scalar(DataType::kINT32, static_cast<double>(target.hi)));
        KILN_ASSIGN_OR_RETURN(y, elementwise(ctx, y, lo, ElementWiseOperation::kMAX));
        KILN_ASSIGN_OR_RETURN(y, elementwise(ctx, y, hi, ElementWiseOperation::kMIN));
    }
    return setOutput(outputs, y);
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
