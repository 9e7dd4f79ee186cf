// Importers for data movement: Transpose, Concat, Split, Slice, Gather, GatherElements, GatherND,
// ScatterND, ScatterElements, Pad, DepthToSpace, SpaceToDepth. ONNX Slice semantics (negative indices,
// clamping, INT_MAX ends, negative steps) are computed per sliced axis with ShapeTensor arithmetic: on
// the host when the extents and bounds are known, as int64 layers otherwise.
#include <limits>

#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

Status importTranspose(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                       std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    std::vector<int64_t> reversed;
    for (int i = rank - 1; i >= 0; --i) reversed.push_back(i);
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> perm64, node.attrs().getInts("perm", reversed));
    if (static_cast<int>(perm64.size()) != rank)
        return invalidArgument("perm has " + std::to_string(perm64.size()) +
                               " entries for an input of rank " + std::to_string(rank));
    KILN_ASSIGN_OR_RETURN(std::vector<int> perm, normalizeAxes(perm64, rank, "perm"));
    KILN_ASSIGN_OR_RETURN(ITensor * y, transposeTo(ctx, x, perm));
    return setOutput(outputs, y);
}

Status importConcat(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis"));
    std::vector<ITensor*> tensors;
    for (int i = 0; i < static_cast<int>(inputs.size()); ++i) {
        if (!hasInput(inputs, i)) continue;
        KILN_ASSIGN_OR_RETURN(ITensor * t, inputTensor(ctx, node, inputs, i));
        tensors.push_back(t);
    }
    if (tensors.empty()) return invalidArgument("Concat needs at least one input");
    const int rank = tensors[0]->getDimensions().nbDims;
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, rank, "axis"));
    // The layer is checked as it is added, with axis 0: add it with the first input alone, which is
    // valid on any axis, then set the axis and the other inputs.
    IConcatenationLayer* c = ctx.net().addConcatenation(tensors.data(), 1);
    KILN_ASSIGN_OR_RETURN(c, ctx.check(c, "addConcatenation"));
    c->setAxis(axis);
    for (size_t i = 1; i < tensors.size(); ++i) c->setInput(static_cast<int32_t>(i), *tensors[i]);
    return setOutput(outputs, c->getOutput(0));
}

/// A slice of `x` covering every dim fully except `axis`, where it is [start, start + len).
StatusOr<ITensor*> sliceAlong(ImportContext& ctx, ITensor* x, int axis, const ShapeTensor& start,
                              const ShapeTensor& len) {
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    const int rank = static_cast<int>(shape.size());
    KILN_ASSIGN_OR_RETURN(ShapeTensor pre, sliceShape(ctx, shape, 0, axis));
    KILN_ASSIGN_OR_RETURN(ShapeTensor post, sliceShape(ctx, shape, axis + 1, rank));
    KILN_ASSIGN_OR_RETURN(ShapeTensor size, concatShapes(ctx, {pre, len, post}));
    KILN_ASSIGN_OR_RETURN(
        ShapeTensor starts,
        concatShapes(ctx,
                     {ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(axis), 0)), start,
                      ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(rank - axis - 1), 0))}));
    Dims ones, zeros;
    ones.nbDims = zeros.nbDims = rank;
    for (int i = 0; i < rank; ++i) {
        ones.d[i] = 1;
        zeros.d[i] = 0;
    }
    // Run-time parts start as zeros: a zero size passes the layer's bounds check until the inputs are set.
    Dims st = starts.allKnown() ? makeDims(starts.values()) : zeros;
    Dims sz = size.allKnown() ? makeDims(size.values()) : zeros;
    ISliceLayer* s = ctx.net().addSlice(*x, st, sz, ones);
    KILN_ASSIGN_OR_RETURN(s, ctx.check(s, "addSlice"));
    if (!starts.allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, starts.tensor(ctx));
        s->setInput(1, *t);
    }
    if (!size.allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, size.tensor(ctx));
        s->setInput(2, *t);
    }
    return s->getOutput(0);
}

Status importSplit(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const Dims d = x->getDimensions();
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", 0));
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, d.nbDims, "axis"));
    std::vector<int64_t> split;
    if (node.opset < 13) {
        KILN_ASSIGN_OR_RETURN(split, node.attrs().getInts("split", std::vector<int64_t>{}));
    } else if (hasInput(inputs, 1)) {
        KILN_ASSIGN_OR_RETURN(const ConstValue* c, constantInput(node, inputs, 1, "split"));
        split = c->toInts();
    }
    const int n = node.nbOutputs();
    if (!split.empty()) {
        if (static_cast<int>(split.size()) != n)
            return invalidArgument("split has " + std::to_string(split.size()) + " entries for " +
                                   std::to_string(n) + " outputs");
        int64_t offset = 0, total = 0;
        for (int64_t s : split) total += s;
        if (d.d[axis] >= 0 && total != d.d[axis])
            return invalidArgument("split sizes sum to " + std::to_string(total) + " but axis " +
                                   std::to_string(axis) + " of input " + toString(d) + " has extent " +
                                   std::to_string(d.d[axis]));
        for (int i = 0; i < n; ++i) {
            KILN_ASSIGN_OR_RETURN(ITensor * y,
                                  sliceAlong(ctx, x, axis, ShapeTensor::known({offset}),
                                             ShapeTensor::known({split[static_cast<size_t>(i)]})));
            KILN_RETURN_IF_ERROR(setOutput(outputs, y, static_cast<size_t>(i)));
            offset += split[static_cast<size_t>(i)];
        }
        return Status::ok();
    }
    // Equal parts: ceil(extent / n) each, the last one smaller (opset 18's num_outputs rule; earlier
    // opsets require divisibility, where both rules agree).
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor extent, sliceShape(ctx, shape, axis, axis + 1));
    KILN_ASSIGN_OR_RETURN(ShapeTensor plus,
                          shapeBinary(ctx, extent, ShapeTensor::known({n - 1}), ElementWiseOperation::kSUM));
    KILN_ASSIGN_OR_RETURN(ShapeTensor chunk,
                          shapeBinary(ctx, plus, ShapeTensor::known({n}), ElementWiseOperation::kFLOOR_DIV));
    for (int i = 0; i < n; ++i) {
        KILN_ASSIGN_OR_RETURN(ShapeTensor start,
                              shapeBinary(ctx, chunk, ShapeTensor::known({i}), ElementWiseOperation::kPROD));
        KILN_ASSIGN_OR_RETURN(ShapeTensor rest, shapeBinary(ctx, extent, start, ElementWiseOperation::kSUB));
        KILN_ASSIGN_OR_RETURN(ShapeTensor len, shapeBinary(ctx, chunk, rest, ElementWiseOperation::kMIN));
        KILN_ASSIGN_OR_RETURN(ITensor * y, sliceAlong(ctx, x, axis, start, len));
        KILN_RETURN_IF_ERROR(setOutput(outputs, y, static_cast<size_t>(i)));
    }
    return Status::ok();
}

/// s if s >= 0 else s + d, for a one-element bound; decided at import time when s is known.
StatusOr<ShapeTensor> wrapNegative(ImportContext& ctx, const ShapeTensor& s, const ShapeTensor& d) {
    if (s.at(0))
        return *s.at(0) < 0 ? shapeBinary(ctx, s, d, ElementWiseOperation::kSUM) : StatusOr<ShapeTensor>(s);
    KILN_ASSIGN_OR_RETURN(ITensor * st, s.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ShapeTensor sum, shapeBinary(ctx, s, d, ElementWiseOperation::kSUM));
    KILN_ASSIGN_OR_RETURN(ITensor * sumT, sum.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * zero, ctx.constant(ConstValue::vector({0})));
    KILN_ASSIGN_OR_RETURN(ITensor * neg, elementwise(ctx, st, zero, ElementWiseOperation::kLESS));
    KILN_ASSIGN_OR_RETURN(ITensor * r, ctx.out(ctx.net().addSelect(*neg, *sumT, *st), "addSelect"));
    return ShapeTensor::dynamic(r, {std::nullopt});
}

StatusOr<ShapeTensor> clampTo(ImportContext& ctx, const ShapeTensor& v, const ShapeTensor& lo,
                              const ShapeTensor& hi) {
    KILN_ASSIGN_OR_RETURN(ShapeTensor a, shapeBinary(ctx, v, lo, ElementWiseOperation::kMAX));
    return shapeBinary(ctx, a, hi, ElementWiseOperation::kMIN);
}

/// One bound vector (starts or ends) from an attribute or input, as int64 per listed axis.
StatusOr<ShapeTensor> sliceBounds(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                                  int index, const char* name) {
    if (node.opset < 10) {
        KILN_ASSIGN_OR_RETURN(std::vector<int64_t> v, node.attrs().getInts(name));
        return ShapeTensor::known(v);
    }
    if (!hasInput(inputs, index))
        return invalidArgument(std::string(name) + " (input " + std::to_string(index) + ") is required");
    return toShapeTensor(ctx, inputs[static_cast<size_t>(index)], name);
}

Status importSlice(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    KILN_ASSIGN_OR_RETURN(ShapeTensor starts, sliceBounds(ctx, node, inputs, 1, "starts"));
    KILN_ASSIGN_OR_RETURN(ShapeTensor ends, sliceBounds(ctx, node, inputs, 2, "ends"));
    const int64_t k = starts.size();
    if (ends.size() != k)
        return invalidArgument("starts has " + std::to_string(k) + " entries, ends " +
                               std::to_string(ends.size()));
    std::vector<int64_t> axes64, steps(static_cast<size_t>(k), 1);
    for (int64_t i = 0; i < k; ++i) axes64.push_back(i);
    if (node.opset < 10) {
        KILN_ASSIGN_OR_RETURN(axes64, node.attrs().getInts("axes", axes64));
    } else {
        if (hasInput(inputs, 3)) {
            KILN_ASSIGN_OR_RETURN(const ConstValue* c, constantInput(node, inputs, 3, "axes"));
            axes64 = c->toInts();
        }
        if (hasInput(inputs, 4)) {
            KILN_ASSIGN_OR_RETURN(const ConstValue* c, constantInput(node, inputs, 4, "steps"));
            steps = c->toInts();
        }
    }
    if (static_cast<int64_t>(axes64.size()) != k || static_cast<int64_t>(steps.size()) != k)
        return invalidArgument("starts, ends, axes and steps must have one length; got " + std::to_string(k) +
                               ", " + std::to_string(ends.size()) + ", " + std::to_string(axes64.size()) +
                               ", " + std::to_string(steps.size()));
    KILN_ASSIGN_OR_RETURN(std::vector<int> axes, normalizeAxes(axes64, rank, "axes"));
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    std::vector<ShapeTensor> startParts, sizeParts;
    std::vector<int64_t> strides(static_cast<size_t>(rank), 1);
    for (int dim = 0; dim < rank; ++dim) {
        KILN_ASSIGN_OR_RETURN(ShapeTensor d, sliceShape(ctx, shape, dim, dim + 1));
        auto it = std::find(axes.begin(), axes.end(), dim);
        if (it == axes.end()) {
            startParts.push_back(ShapeTensor::known({0}));
            sizeParts.push_back(d);
            continue;
        }
        const int64_t j = it - axes.begin();
        const int64_t step = steps[static_cast<size_t>(j)];
        if (step == 0) return invalidArgument("steps must not be 0 (axis " + std::to_string(dim) + ")");
        strides[static_cast<size_t>(dim)] = step;
        KILN_ASSIGN_OR_RETURN(ShapeTensor s0, sliceShape(ctx, starts, j, j + 1));
        KILN_ASSIGN_OR_RETURN(ShapeTensor e0, sliceShape(ctx, ends, j, j + 1));
        // INT64 extremes stand for "to the end": clamp them before arithmetic can overflow.
        auto tame = [&](const ShapeTensor& v) -> StatusOr<ShapeTensor> {
            if (v.at(0)) {
                const int64_t big = int64_t{1} << 62;
                return ShapeTensor::known({std::clamp<int64_t>(*v.at(0), -big, big)});
            }
            return v;
        };
        KILN_ASSIGN_OR_RETURN(s0, tame(s0));
        KILN_ASSIGN_OR_RETURN(e0, tame(e0));
        KILN_ASSIGN_OR_RETURN(ShapeTensor s, wrapNegative(ctx, s0, d));
        KILN_ASSIGN_OR_RETURN(ShapeTensor e, wrapNegative(ctx, e0, d));
        KILN_ASSIGN_OR_RETURN(ShapeTensor dm1,
                              shapeBinary(ctx, d, ShapeTensor::known({1}), ElementWiseOperation::kSUB));
        if (step > 0) {
            KILN_ASSIGN_OR_RETURN(s, clampTo(ctx, s, ShapeTensor::known({0}), d));
            KILN_ASSIGN_OR_RETURN(e, clampTo(ctx, e, ShapeTensor::known({0}), d));
        } else {
            KILN_ASSIGN_OR_RETURN(s, clampTo(ctx, s, ShapeTensor::known({0}), dm1));
            KILN_ASSIGN_OR_RETURN(e, clampTo(ctx, e, ShapeTensor::known({-1}), dm1));
        }
        // size = max(0, ceil((e - s) / step)) = max(0, -floor((s - e) / step)).
        KILN_ASSIGN_OR_RETURN(ShapeTensor diff, shapeBinary(ctx, s, e, ElementWiseOperation::kSUB));
        KILN_ASSIGN_OR_RETURN(ShapeTensor q, shapeBinary(ctx, diff, ShapeTensor::known({step}),
                                                         ElementWiseOperation::kFLOOR_DIV));
        KILN_ASSIGN_OR_RETURN(ShapeTensor negq,
                              shapeBinary(ctx, q, ShapeTensor::known({-1}), ElementWiseOperation::kPROD));
        KILN_ASSIGN_OR_RETURN(ShapeTensor size,
                              shapeBinary(ctx, negq, ShapeTensor::known({0}), ElementWiseOperation::kMAX));
        // An empty slice may start anywhere; 0 keeps the layer's bounds check happy.
        if (size.at(0) && *size.at(0) == 0) s = ShapeTensor::known({0});
        startParts.push_back(s);
        sizeParts.push_back(size);
    }
    KILN_ASSIGN_OR_RETURN(ShapeTensor start, concatShapes(ctx, startParts));
    KILN_ASSIGN_OR_RETURN(ShapeTensor size, concatShapes(ctx, sizeParts));
    Dims zeros;
    zeros.nbDims = rank;
    for (int i = 0; i < rank; ++i) zeros.d[i] = 0;
    ISliceLayer* l = ctx.net().addSlice(*x, start.allKnown() ? makeDims(start.values()) : zeros,
                                        size.allKnown() ? makeDims(size.values()) : zeros, makeDims(strides));
    KILN_ASSIGN_OR_RETURN(l, ctx.check(l, "addSlice"));
    if (!start.allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, start.tensor(ctx));
        l->setInput(1, *t);
    }
    if (!size.allKnown()) {
        KILN_ASSIGN_OR_RETURN(ITensor * t, size.tensor(ctx));
        l->setInput(2, *t);
    }
    return setOutput(outputs, l->getOutput(0));
}

Status importGather(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t axis, node.attrs().getInt("axis", 0));
    KILN_ASSIGN_OR_RETURN(ITensor * data, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * idx, inputTensor(ctx, node, inputs, 1));
    KILN_ASSIGN_OR_RETURN(int a, normalizeAxis(axis, data->getDimensions().nbDims, "axis"));
    KILN_ASSIGN_OR_RETURN(ITensor * y, ctx.out(ctx.net().addGather(*data, *idx, a), "addGather"));
    return setOutput(outputs, y);
}

Status importGatherElements(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                            std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t axis, node.attrs().getInt("axis", 0));
    KILN_ASSIGN_OR_RETURN(ITensor * data, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * idx, inputTensor(ctx, node, inputs, 1));
    KILN_ASSIGN_OR_RETURN(int a, normalizeAxis(axis, data->getDimensions().nbDims, "axis"));
    // Added in default mode on the right axis (valid for any indices), then switched to element mode:
    // element mode checked on axis 0 as the layer is added could reject indices valid on `a`.
    IGatherLayer* g = ctx.net().addGather(*data, *idx, a);
    KILN_ASSIGN_OR_RETURN(g, ctx.check(g, "addGather"));
    g->setMode(GatherMode::kELEMENT);
    return setOutput(outputs, g->getOutput(0));
}

Status importGatherND(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                      std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(int64_t batch, node.attrs().getInt("batch_dims", 0));
    KILN_ASSIGN_OR_RETURN(ITensor * data, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * idx, inputTensor(ctx, node, inputs, 1));
    IGatherLayer* g = ctx.net().addGather(*data, *idx, 0);
    KILN_ASSIGN_OR_RETURN(g, ctx.check(g, "addGather"));
    g->setMode(GatherMode::kND);
    g->setNbElementWiseDims(static_cast<int32_t>(batch));
    return setOutput(outputs, g->getOutput(0));
}

StatusOr<ScatterReduction> scatterReduction(const OnnxNode& node) {
    KILN_ASSIGN_OR_RETURN(std::string reduction, node.attrs().getString("reduction", std::string("none")));
    if (reduction == "none") return ScatterReduction::kNONE;
    if (reduction == "add") return ScatterReduction::kADD;
    if (reduction == "mul") return ScatterReduction::kMUL;
    if (reduction == "max") return ScatterReduction::kMAX;
    if (reduction == "min") return ScatterReduction::kMIN;
    return unsupported("reduction '" + reduction + "' is not supported; expected none, add, mul, max or min");
}

Status checkScatter(const OnnxNode& node) {
    return scatterReduction(node).status();
}

Status importScatter(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                     std::vector<Value>& outputs, ScatterMode mode) {
    KILN_ASSIGN_OR_RETURN(ScatterReduction reduction, scatterReduction(node));
    KILN_ASSIGN_OR_RETURN(ITensor * data, inputTensor(ctx, node, inputs, 0));
    KILN_ASSIGN_OR_RETURN(ITensor * idx, inputTensor(ctx, node, inputs, 1));
    KILN_ASSIGN_OR_RETURN(ITensor * upd, inputTensor(ctx, node, inputs, 2));
    IScatterLayer* s = ctx.net().addScatter(*data, *idx, *upd, mode);
    KILN_ASSIGN_OR_RETURN(s, ctx.check(s, "addScatter"));
    if (reduction != ScatterReduction::kNONE) s->setReduction(reduction);
    if (mode == ScatterMode::kELEMENT) {
        KILN_ASSIGN_OR_RETURN(int64_t axis, node.attrs().getInt("axis", 0));
        KILN_ASSIGN_OR_RETURN(int a, normalizeAxis(axis, data->getDimensions().nbDims, "axis"));
        s->setAxis(a);
    }
    return setOutput(outputs, s->getOutput(0));
}

Status importScatterND(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                       std::vector<Value>& out) {
    return importScatter(ctx, node, in, out, ScatterMode::kND);
}
Status importScatterElements(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                             std::vector<Value>& out) {
    return importScatter(ctx, node, in, out, ScatterMode::kELEMENT);
}

StatusOr<PaddingFillMode> padMode(const OnnxNode& node) {
    KILN_ASSIGN_OR_RETURN(std::string mode, node.attrs().getString("mode", std::string("constant")));
    if (mode == "constant") return PaddingFillMode::kCONSTANT;
    if (mode == "reflect") return PaddingFillMode::kREFLECT;
    if (mode == "edge") return PaddingFillMode::kEDGE;
    if (mode == "wrap") return PaddingFillMode::kWRAP;
    return unsupported("mode '" + mode + "' is not supported; expected constant, reflect, edge or wrap");
}

Status checkPad(const OnnxNode& node) {
    return padMode(node).status();
}

Status importPad(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                 std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(PaddingFillMode mode, padMode(node));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    std::vector<int64_t> pads;
    double value = 0.0;
    std::vector<int> axes;
    for (int i = 0; i < rank; ++i) axes.push_back(i);
    if (node.opset < 11) {
        KILN_ASSIGN_OR_RETURN(pads, node.attrs().getInts("pads"));
        KILN_ASSIGN_OR_RETURN(float v, node.attrs().getFloat("value", 0.0f));
        value = v;
    } else {
        KILN_ASSIGN_OR_RETURN(const ConstValue* p, constantInput(node, inputs, 1, "pads"));
        pads = p->toInts();
        if (hasInput(inputs, 2)) {
            KILN_ASSIGN_OR_RETURN(const ConstValue* v, constantInput(node, inputs, 2, "constant_value"));
            if (v->count() > 0) value = v->at(0);
        }
        if (hasInput(inputs, 3)) {
            KILN_ASSIGN_OR_RETURN(const ConstValue* a, constantInput(node, inputs, 3, "axes"));
            KILN_ASSIGN_OR_RETURN(axes, normalizeAxes(a->toInts(), rank, "axes"));
        }
    }
    if (pads.size() != 2 * axes.size())
        return invalidArgument("pads has " + std::to_string(pads.size()) + " values, expected " +
                               std::to_string(2 * axes.size()) + " (begin and end for each padded axis)");
    Dims pre, post;
    pre.nbDims = post.nbDims = rank;
    for (int i = 0; i < rank; ++i) pre.d[i] = post.d[i] = 0;
    for (size_t j = 0; j < axes.size(); ++j) {
        pre.d[axes[j]] = pads[j];
        post.d[axes[j]] = pads[j + axes.size()];
    }
    IPaddingLayer* l = ctx.net().addPaddingNd(*x, pre, post);
    KILN_ASSIGN_OR_RETURN(l, ctx.check(l, "addPaddingNd"));
    l->setFillMode(mode);
    l->setFillValue(static_cast<float>(value));
    return setOutput(outputs, l->getOutput(0));
}

/// reshape -> transpose -> reshape, the body of DepthToSpace and SpaceToDepth.
StatusOr<ITensor*> rearrange(ImportContext& ctx, ITensor* x, const std::vector<ShapeTensor>& mid,
                             const std::vector<int>& perm, const std::vector<ShapeTensor>& out) {
    KILN_ASSIGN_OR_RETURN(ShapeTensor midDims, concatShapes(ctx, mid));
    KILN_ASSIGN_OR_RETURN(ITensor * r, reshapeTo(ctx, x, midDims));
    KILN_ASSIGN_OR_RETURN(ITensor * t, transposeTo(ctx, r, perm));
    KILN_ASSIGN_OR_RETURN(ShapeTensor outDims, concatShapes(ctx, out));
    return reshapeTo(ctx, t, outDims);
}

Status importDepthSpace(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                        std::vector<Value>& outputs, bool toSpace) {
    KILN_ASSIGN_OR_RETURN(int64_t b, node.attrs().getInt("blocksize"));
    KILN_ASSIGN_OR_RETURN(std::string mode, node.attrs().getString("mode", std::string("DCR")));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    if (x->getDimensions().nbDims != 4)
        return invalidArgument("input must be 4-D [N, C, H, W], got " + toString(x->getDimensions()));
    if (b < 1) return invalidArgument("blocksize must be >= 1, got " + std::to_string(b));
    KILN_ASSIGN_OR_RETURN(ShapeTensor s, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor n, sliceShape(ctx, s, 0, 1));
    KILN_ASSIGN_OR_RETURN(ShapeTensor c, sliceShape(ctx, s, 1, 2));
    KILN_ASSIGN_OR_RETURN(ShapeTensor h, sliceShape(ctx, s, 2, 3));
    KILN_ASSIGN_OR_RETURN(ShapeTensor w, sliceShape(ctx, s, 3, 4));
    const ShapeTensor bs = ShapeTensor::known({b}), bb = ShapeTensor::known({b * b});
    using E = ElementWiseOperation;
    ITensor* y = nullptr;
    if (toSpace) {
        if (mode != "DCR" && mode != "CRD")
            return unsupported("mode '" + mode + "' is not supported; expected DCR or CRD");
        KILN_ASSIGN_OR_RETURN(ShapeTensor cb, shapeBinary(ctx, c, bb, E::kFLOOR_DIV));
        KILN_ASSIGN_OR_RETURN(ShapeTensor hb, shapeBinary(ctx, h, bs, E::kPROD));
        KILN_ASSIGN_OR_RETURN(ShapeTensor wb, shapeBinary(ctx, w, bs, E::kPROD));
        if (mode == "DCR") {
            KILN_ASSIGN_OR_RETURN(
                y, rearrange(ctx, x, {n, bs, bs, cb, h, w}, {0, 3, 4, 1, 5, 2}, {n, cb, hb, wb}));
        } else {
            KILN_ASSIGN_OR_RETURN(
                y, rearrange(ctx, x, {n, cb, bs, bs, h, w}, {0, 1, 4, 2, 5, 3}, {n, cb, hb, wb}));
        }
    } else {
        // SpaceToDepth's mode (opset 24+) mirrors DepthToSpace's: DCR puts the block offset first.
        if (mode != "DCR" && mode != "CRD")
            return unsupported("mode '" + mode + "' is not supported; expected DCR or CRD");
        KILN_ASSIGN_OR_RETURN(ShapeTensor cb, shapeBinary(ctx, c, bb, E::kPROD));
        KILN_ASSIGN_OR_RETURN(ShapeTensor hb, shapeBinary(ctx, h, bs, E::kFLOOR_DIV));
        KILN_ASSIGN_OR_RETURN(ShapeTensor wb, shapeBinary(ctx, w, bs, E::kFLOOR_DIV));
        const std::vector<int> perm =
            mode == "DCR" ? std::vector<int>{0, 3, 5, 1, 2, 4} : std::vector<int>{0, 1, 3, 5, 2, 4};
        KILN_ASSIGN_OR_RETURN(y, rearrange(ctx, x, {n, c, hb, bs, wb, bs}, perm, {n, cb, hb, wb}));
    }
    return setOutput(outputs, y);
}

Status importDepthToSpace(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                          std::vector<Value>& out) {
    return importDepthSpace(ctx, node, in, out, true);
}
Status importSpaceToDepth(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& in,
                          std::vector<Value>& out) {
    return importDepthSpace(ctx, node, in, out, false);
}

const OpImporter kImporters[] = {
    {"Transpose", kMinOpset, kMaxOpset, importTranspose},
    {"Concat", kMinOpset, kMaxOpset, importConcat},
    {"Split", kMinOpset, kMaxOpset, importSplit},
    {"Slice", kMinOpset, kMaxOpset, importSlice},
    {"Gather", kMinOpset, kMaxOpset, importGather},
    {"GatherElements", 11, kMaxOpset, importGatherElements},
    {"GatherND", 11, kMaxOpset, importGatherND},
    {"ScatterND", 11, kMaxOpset, importScatterND, checkScatter},
    {"ScatterElements", 11, kMaxOpset, importScatterElements, checkScatter},
    {"Pad", kMinOpset, kMaxOpset, importPad, checkPad},
    {"DepthToSpace", kMinOpset, kMaxOpset, importDepthToSpace},
    {"SpaceToDepth", kMinOpset, kMaxOpset, importSpaceToDepth},
};

}  // namespace

std::span<const OpImporter> movementImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
