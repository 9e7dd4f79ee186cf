// Importers for reductions and selections: ReduceMean/Sum/Max/Min/Prod/L1/L2/SumSquare/LogSumExp/LogSum
// (axes from the attribute, or from input 1 from opset 13 for ReduceSum and opset 18 for the rest),
// ArgMax/ArgMin (a TopK with k = 1 keeping the indices, squeezed unless keepdims; select_last_index
// runs it on the input reversed along the axis) and TopK. Axes and K known at import time become
// attributes; computed at run time, they feed the layer's input 1 (a shape tensor).
#include <limits>

#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

bool axesFromInput(const OnnxNode& node) {
    return node.opset >= 18 || (node.op() == "ReduceSum" && node.opset >= 13);
}

Status checkReduce(const OnnxNode& node) {
    if (!axesFromInput(node) && node.attrs().has("axes")) return node.attrs().getInts("axes").status();
    return Status::ok();
}

template <ReduceOperation kOp>
Status importReduce(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    KILN_ASSIGN_OR_RETURN(int64_t keep, node.attrs().getInt("keepdims", 1));
    std::vector<int64_t> raw;
    bool noop = false;
    ITensor* runtimeAxes = nullptr;  // axes computed at run time feed the layer's input 1
    if (axesFromInput(node)) {
        KILN_ASSIGN_OR_RETURN(int64_t n, node.attrs().getInt("noop_with_empty_axes", 0));
        noop = n != 0;
        if (hasInput(inputs, 1) && !inputs[1].isConstant()) {
            KILN_ASSIGN_OR_RETURN(runtimeAxes, inputTensor(ctx, node, inputs, 1));
        } else if (hasInput(inputs, 1)) {
            raw = inputs[1].constant->toInts();
        }
    } else {
        KILN_ASSIGN_OR_RETURN(raw, node.attrs().getInts("axes", std::vector<int64_t>{}));
    }
    uint32_t mask = 0;
    if (!runtimeAxes) {
        if ((raw.empty() && noop) || rank == 0) {
            KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(ctx.net().addIdentity(*x), "addIdentity"));
            return setOutput(outputs, y);
        }
        std::vector<int> axes;
        if (raw.empty()) {
            for (int i = 0; i < rank; ++i) axes.push_back(i);
        } else {
            KILN_ASSIGN_OR_RETURN(axes, normalizeAxes(raw, rank, "axes"));
        }
        mask = axesMask(axes);
    }
    // Kiln reduces numbers; max/min of bools is any/all, computed on int32. Comparing the result with 0
    // (rather than casting it back) maps an empty reduction's identity, the int32 limits, to false for
    // max and true for min, as ONNX defines them.
    const bool boolMinMax =
        (kOp == ReduceOperation::kMAX || kOp == ReduceOperation::kMIN) && x->getType() == DataType::kBOOL;
    ITensor* src = x;
    if (boolMinMax) {
        KILN_ASSIGN_OR_RETURN(src, castTo(ctx, x, DataType::kINT32));
    }
    IReduceLayer* r = ctx.net().addReduce(*src, kOp, mask, keep != 0);
    KILN_ASSIGN_OR_RETURN(r, ctx.check(r, "addReduce"));
    if (runtimeAxes) {
        r->setInput(1, *runtimeAxes);
        r->setNoopWithEmptyAxes(noop);
    }
    ITensor* y = r->getOutput(0);
    if (boolMinMax) {
        KILN_ASSIGN_OR_RETURN(y, withScalar(ctx, y, 0.0, ElementWiseOperation::kGREATER));
    }
    if (node.op() == "ReduceLogSum") {
        KILN_ASSIGN_OR_RETURN(y, unary(ctx, y, UnaryOperation::kLOG));
    }
    return setOutput(outputs, y);
}

/// `x` reversed along `axis` (a slice from the last index with stride -1).
StatusOr<ITensor*> reverseAxis(ImportContext& ctx, ITensor* x, int axis, const ShapeTensor& extent) {
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    const int rank = static_cast<int>(shape.size());
    std::vector<ShapeTensor> starts;
    std::vector<int64_t> strides(static_cast<size_t>(rank), 1);
    strides[static_cast<size_t>(axis)] = -1;
    for (int d = 0; d < rank; ++d) {
        if (d != axis) {
            starts.push_back(ShapeTensor::known({0}));
            continue;
        }
        KILN_ASSIGN_OR_RETURN(ShapeTensor last,
                              shapeBinary(ctx, extent, ShapeTensor::known({1}), ElementWiseOperation::kSUB));
        starts.push_back(last);
    }
    KILN_ASSIGN_OR_RETURN(ShapeTensor start, concatShapes(ctx, starts));
    Dims zeros;
    zeros.nbDims = rank;
    for (int i = 0; i < rank; ++i) zeros.d[i] = 0;
    ISliceLayer* s =
        ctx.net().addSlice(*x, start.allKnown() ? makeDims(start.values()) : zeros,
                           shape.allKnown() ? makeDims(shape.values()) : zeros, makeDims(strides));
    KILN_ASSIGN_OR_RETURN(s, ctx.check(s, "addSlice"));
    if (!start.allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, start.tensor(ctx));
        s->setInput(1, *t);
    }
    if (!shape.allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, shape.tensor(ctx));
        s->setInput(2, *t);
    }
    return s->getOutput(0);
}

template <TopKOperation kOp>
Status importArg(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                 std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", 0));
    KILN_ASSIGN_OR_RETURN(int64_t keep, node.attrs().getInt("keepdims", 1));
    KILN_ASSIGN_OR_RETURN(int64_t last, node.attrs().getInt("select_last_index", 0));
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, x->getDimensions().nbDims, "axis"));
    // TopK breaks ties by the lower index; the last extreme index is the first one of the reversed input.
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor extent, sliceShape(ctx, shape, axis, axis + 1));
    ITensor* src = x;
    if (last != 0) {
        KILN_ASSIGN_OR_RETURN(src, reverseAxis(ctx, x, axis, extent));
    }
    ITopKLayer* t = ctx.net().addTopK(*src, kOp, 1, 1u << axis);
    KILN_ASSIGN_OR_RETURN(t, ctx.check(t, "addTopK"));
    t->setIndicesType(DataType::kINT64);
    ITensor* y = t->getOutput(1);
    if (last != 0) {
        KILN_ASSIGN_OR_RETURN(ShapeTensor lastIndex,
                              shapeBinary(ctx, extent, ShapeTensor::known({1}), ElementWiseOperation::kSUB));
        KILN_ASSIGN_OR_RETURN(ITensor * n1, lastIndex.tensor(ctx));
        KILN_ASSIGN_OR_RETURN(y, elementwise(ctx, n1, y, ElementWiseOperation::kSUB));
    }
    if (keep == 0) {
        KILN_ASSIGN_OR_RETURN(y, squeezeTensor(ctx, y, {axis}));
    }
    return setOutput(outputs, y);
}

Status importTopK(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                  std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", -1));
    KILN_ASSIGN_OR_RETURN(int64_t largest, node.attrs().getInt("largest", 1));
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, x->getDimensions().nbDims, "axis"));
    const TopKOperation op = largest ? TopKOperation::kMAX : TopKOperation::kMIN;
    int64_t k = 0;
    if (node.opset < 10) {
        KILN_ASSIGN_OR_RETURN(k, node.attrs().getInt("k"));
    } else if (hasInput(inputs, 1) && !inputs[1].isConstant()) {
        // K computed at run time feeds input 1; the layer checks 1 <= K <= extent once K is known.
        KILN_ASSIGN_OR_RETURN(ITensor * kt, inputTensor(ctx, node, inputs, 1));
        ITopKLayer* t = ctx.net().addTopK(*x, op, 1, 1u << axis);
        KILN_ASSIGN_OR_RETURN(t, ctx.check(t, "addTopK"));
        t->setInput(1, *kt);
        t->setIndicesType(DataType::kINT64);
        KILN_RETURN_IF_ERROR(setOutput(outputs, t->getOutput(0), 0));
        return setOutput(outputs, t->getOutput(1), 1);
    } else {
        KILN_ASSIGN_OR_RETURN(const ConstValue* c, constantInput(node, inputs, 1, "K"));
        if (c->count() != 1) return invalidArgument("K must hold one value, got shape " + toString(c->shape));
        k = c->atInt(0);
    }
    if (k < 0 || k > std::numeric_limits<int32_t>::max())
        return invalidArgument("K is " + std::to_string(k) + "; expected 0.." +
                               std::to_string(std::numeric_limits<int32_t>::max()));
    ITopKLayer* t = ctx.net().addTopK(*x, op, static_cast<int32_t>(k), 1u << axis);
    KILN_ASSIGN_OR_RETURN(t, ctx.check(t, "addTopK"));
    t->setIndicesType(DataType::kINT64);
    KILN_RETURN_IF_ERROR(setOutput(outputs, t->getOutput(0), 0));
    return setOutput(outputs, t->getOutput(1), 1);
}

using R = ReduceOperation;

const OpImporter kImporters[] = {
    {"ReduceMean", kMinOpset, kMaxOpset, importReduce<R::kAVG>, checkReduce},
    {"ReduceSum", kMinOpset, kMaxOpset, importReduce<R::kSUM>, checkReduce},
    {"ReduceMax", kMinOpset, kMaxOpset, importReduce<R::kMAX>, checkReduce},
    {"ReduceMin", kMinOpset, kMaxOpset, importReduce<R::kMIN>, checkReduce},
    {"ReduceProd", kMinOpset, kMaxOpset, importReduce<R::kPROD>, checkReduce},
    {"ReduceL1", kMinOpset, kMaxOpset, importReduce<R::kL1>, checkReduce},
    {"ReduceL2", kMinOpset, kMaxOpset, importReduce<R::kL2>, checkReduce},
    {"ReduceSumSquare", kMinOpset, kMaxOpset, importReduce<R::kSUM_SQUARE>, checkReduce},
    {"ReduceLogSumExp", kMinOpset, kMaxOpset, importReduce<R::kLOG_SUM_EXP>, checkReduce},
    {"ReduceLogSum", kMinOpset, kMaxOpset, importReduce<R::kSUM>, checkReduce},  // the log of a sum
    {"ArgMax", kMinOpset, kMaxOpset, importArg<TopKOperation::kMAX>},
    {"ArgMin", kMinOpset, kMaxOpset, importArg<TopKOperation::kMIN>},
    {"TopK", kMinOpset, kMaxOpset, importTopK},
};

}  // namespace

std::span<const OpImporter> reduceImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
