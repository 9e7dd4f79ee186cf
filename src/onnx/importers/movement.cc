// Importers for data movement: Transpose, Concat, Split, Slice, Gather, GatherElements, GatherND,
// ScatterND, ScatterElements, Pad, DepthToSpace, SpaceToDepth. ONNX Slice semantics (negative indices,
// clamping, INT_MAX ends, negative steps) are computed with ShapeTensor arithmetic: on the host when the
// extents and parameters are known, as int64 layers otherwise (run-time starts, ends, axes, steps, split
// sizes), which the runtime evaluates when the shapes are resolved. Pad with run-time pads, axes or value
// becomes a Slice whose sample mode does the padding.
#include <limits>
#include <optional>

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
    const ShapeTensor ones = ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(rank), 1));
    KILN_ASSIGN_OR_RETURN(ISliceLayer * s, sliceLayer(ctx, x, starts, size, ones));
    return s->getOutput(0);
}

Status importSplit(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const Dims d = x->getDimensions();
    KILN_ASSIGN_OR_RETURN(int64_t rawAxis, node.attrs().getInt("axis", 0));
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(rawAxis, d.nbDims, "axis"));
    std::optional<ShapeTensor> split;
    if (node.opset < 13) {
        KILN_ASSIGN_OR_RETURN(std::vector<int64_t> v, node.attrs().getInts("split", std::vector<int64_t>{}));
        if (!v.empty()) split = ShapeTensor::known(v);
    } else if (hasInput(inputs, 1)) {
        KILN_ASSIGN_OR_RETURN(split, toShapeTensor(ctx, inputs[1], "split (input 1)"));
    }
    const int n = node.nbOutputs();
    if (split) {
        if (split->size() != n)
            return invalidArgument("split has " + std::to_string(split->size()) + " entries for " +
                                   std::to_string(n) + " outputs");
        if (split->allKnown()) {
            int64_t total = 0;
            for (int64_t s : split->values()) {
                if (s < 0)
                    return invalidArgument("split " + toString(makeDims(split->values())) +
                                           " has a negative size " + std::to_string(s));
                total += s;
            }
            if (d.d[axis] >= 0 && total != d.d[axis])
                return invalidArgument("split sizes sum to " + std::to_string(total) + " but axis " +
                                       std::to_string(axis) + " of input " + toString(d) + " has extent " +
                                       std::to_string(d.d[axis]));
        }
        // Part i starts at the sum of the sizes before it. Sizes known only at run time are not checked
        // against the extent here: a sum past it makes a slice read out of bounds, which fails when the
        // shapes are resolved.
        KILN_ASSIGN_OR_RETURN(ShapeTensor offsets, exclusiveCumSum(ctx, *split));
        for (int i = 0; i < n; ++i) {
            KILN_ASSIGN_OR_RETURN(ShapeTensor start, sliceShape(ctx, offsets, i, i + 1));
            KILN_ASSIGN_OR_RETURN(ShapeTensor len, sliceShape(ctx, *split, i, i + 1));
            KILN_ASSIGN_OR_RETURN(ITensor * y, sliceAlong(ctx, x, axis, start, len));
            KILN_RETURN_IF_ERROR(setOutput(outputs, y, static_cast<size_t>(i)));
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

/// v + d where v < 0, else v (ONNX's negative indices), element-wise. The addition is only made when
/// some element may be negative, so known non-negative bounds on dynamic dims add no layers.
StatusOr<ShapeTensor> wrapNegative(ImportContext& ctx, const ShapeTensor& v, const ShapeTensor& d) {
    bool maybeNegative = false;
    for (const auto& e : v.elements()) maybeNegative = maybeNegative || !e || *e < 0;
    if (!maybeNegative) return v;
    KILN_ASSIGN_OR_RETURN(ShapeTensor sum, shapeBinary(ctx, v, d, ElementWiseOperation::kSUM));
    return selectWhereNegative(ctx, v, sum, v);
}

StatusOr<ShapeTensor> clampTo(ImportContext& ctx, const ShapeTensor& v, const ShapeTensor& lo,
                              const ShapeTensor& hi) {
    KILN_ASSIGN_OR_RETURN(ShapeTensor a, shapeBinary(ctx, v, lo, ElementWiseOperation::kMAX));
    return shapeBinary(ctx, a, hi, ElementWiseOperation::kMIN);
}

/// Starts, ends, axes or steps of Slice: an attribute before opset 10, an input from opset 10. An absent
/// one is `fallback`, or an error when there is none (starts and ends are required).
StatusOr<ShapeTensor> sliceParam(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                                 int index, const char* name, const std::vector<int64_t>* fallback) {
    if (node.opset < 10) {
        if (fallback && !node.attrs().has(name)) return ShapeTensor::known(*fallback);
        KILN_ASSIGN_OR_RETURN(std::vector<int64_t> v, node.attrs().getInts(name));
        return ShapeTensor::known(v);
    }
    if (!hasInput(inputs, index)) {
        if (fallback) return ShapeTensor::known(*fallback);
        return invalidArgument(std::string(name) + " (input " + std::to_string(index) + ") is required");
    }
    const std::string what = std::string(name) + " (input " + std::to_string(index) + ")";
    KILN_ASSIGN_OR_RETURN(ShapeTensor v,
                          toShapeTensor(ctx, inputs[static_cast<size_t>(index)], what.c_str()));
    if (v.isScalar()) return invalidArgument(what + " must be 1-D, got a scalar");
    return v;
}

/// ONNX Slice. The arithmetic runs on vectors with one entry per listed axis (the k of starts/ends/axes/
/// steps), then scatters them into rank-long start/size/stride vectors whose other dims read everything.
/// Known entries fold on the host; axes, steps or bounds known only at run time become int64 layers that
/// the runtime evaluates when the shapes are resolved.
Status importSlice(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                   std::vector<Value>& outputs) {
    using E = ElementWiseOperation;
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    KILN_ASSIGN_OR_RETURN(ShapeTensor starts, sliceParam(ctx, node, inputs, 1, "starts", nullptr));
    KILN_ASSIGN_OR_RETURN(ShapeTensor ends, sliceParam(ctx, node, inputs, 2, "ends", nullptr));
    const int64_t k = starts.size();
    std::vector<int64_t> iota, ones(static_cast<size_t>(k), 1);
    for (int64_t i = 0; i < k; ++i) iota.push_back(i);
    KILN_ASSIGN_OR_RETURN(ShapeTensor axes, sliceParam(ctx, node, inputs, 3, "axes", &iota));
    KILN_ASSIGN_OR_RETURN(ShapeTensor steps, sliceParam(ctx, node, inputs, 4, "steps", &ones));
    if (ends.size() != k || axes.size() != k || steps.size() != k)
        return invalidArgument("starts, ends, axes and steps must have one length; got " + std::to_string(k) +
                               ", " + std::to_string(ends.size()) + ", " + std::to_string(axes.size()) +
                               ", " + std::to_string(steps.size()));
    if (axes.allKnown()) {  // checked now; run-time axes are checked by the Gather/Scatter reading them
        KILN_ASSIGN_OR_RETURN(std::vector<int> a, normalizeAxes(axes.values(), rank, "axes"));
        axes = ShapeTensor::known(std::vector<int64_t>(a.begin(), a.end()));
    }
    for (int64_t j = 0; j < k; ++j)
        if (steps.at(j) && *steps.at(j) == 0)
            return invalidArgument("steps must not be 0 (entry " + std::to_string(j) + ")");
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ShapeTensor d, gatherShapeAt(ctx, shape, axes));
    // INT64 extremes stand for "to the end": clamp them before arithmetic can overflow.
    const int64_t big = int64_t{1} << 62;
    KILN_ASSIGN_OR_RETURN(starts,
                          clampTo(ctx, starts, ShapeTensor::known({-big}), ShapeTensor::known({big})));
    KILN_ASSIGN_OR_RETURN(ends, clampTo(ctx, ends, ShapeTensor::known({-big}), ShapeTensor::known({big})));
    // neg is 1 for a negative step, else 0: (1 - sign(step)) / 2, in integers without a bool.
    KILN_ASSIGN_OR_RETURN(ShapeTensor sign,
                          clampTo(ctx, steps, ShapeTensor::known({-1}), ShapeTensor::known({1})));
    KILN_ASSIGN_OR_RETURN(ShapeTensor oneMinus, shapeBinary(ctx, ShapeTensor::known({1}), sign, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor neg,
                          shapeBinary(ctx, oneMinus, ShapeTensor::known({2}), E::kFLOOR_DIV));
    // Clamping: [0, d] for both bounds with a positive step; [0, d-1] for the start and [-1, d-1] for the
    // end with a negative one.
    KILN_ASSIGN_OR_RETURN(ShapeTensor hi, shapeBinary(ctx, d, neg, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor endLo, shapeBinary(ctx, ShapeTensor::known({0}), neg, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor s, wrapNegative(ctx, starts, d));
    KILN_ASSIGN_OR_RETURN(s, clampTo(ctx, s, ShapeTensor::known({0}), hi));
    KILN_ASSIGN_OR_RETURN(ShapeTensor e, wrapNegative(ctx, ends, d));
    KILN_ASSIGN_OR_RETURN(e, clampTo(ctx, e, endLo, hi));
    // size = max(0, ceil((e - s) / step)) = max(0, -floor((s - e) / step)).
    KILN_ASSIGN_OR_RETURN(ShapeTensor diff, shapeBinary(ctx, s, e, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor q, shapeBinary(ctx, diff, steps, E::kFLOOR_DIV));
    KILN_ASSIGN_OR_RETURN(ShapeTensor negq, shapeBinary(ctx, ShapeTensor::known({0}), q, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor size, shapeBinary(ctx, negq, ShapeTensor::known({0}), E::kMAX));
    if (!steps.allKnown()) {
        // A run-time step of 0 makes the size -1 (1 - sign^2 is 1 only then), which the Slice rejects when
        // the shapes are resolved, instead of silently producing an empty slice.
        KILN_ASSIGN_OR_RETURN(ShapeTensor sq, shapeBinary(ctx, sign, sign, E::kPROD));
        KILN_ASSIGN_OR_RETURN(ShapeTensor zeroStep, shapeBinary(ctx, ShapeTensor::known({1}), sq, E::kSUB));
        KILN_ASSIGN_OR_RETURN(size, shapeBinary(ctx, size, zeroStep, E::kSUB));
    }
    // An empty slice may start anywhere; 0 keeps the parameters tidy when they are attributes.
    if (s.allKnown() && size.allKnown()) {
        std::vector<int64_t> sv = s.values();
        for (int64_t j = 0; j < k; ++j)
            if (size.values()[static_cast<size_t>(j)] == 0) sv[static_cast<size_t>(j)] = 0;
        s = ShapeTensor::known(sv);
    }
    const auto filled = [&](int64_t v) {
        return ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(rank), v));
    };
    KILN_ASSIGN_OR_RETURN(ShapeTensor start, scatterShape(ctx, filled(0), axes, s, "axes"));
    KILN_ASSIGN_OR_RETURN(ShapeTensor extent, scatterShape(ctx, shape, axes, size, "axes"));
    KILN_ASSIGN_OR_RETURN(ShapeTensor stride, scatterShape(ctx, filled(1), axes, steps, "axes"));
    KILN_ASSIGN_OR_RETURN(ISliceLayer * l, sliceLayer(ctx, x, start, extent, stride));
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

/// The Slice mode that reads what ONNX Pad's mode writes: Slice's out-of-bounds rules are exactly the
/// padding rules (kREFLECT mirrors about the edge elements without repeating them, as ONNX reflect does).
SampleMode padSampleMode(PaddingFillMode mode) {
    switch (mode) {
        case PaddingFillMode::kCONSTANT:
            return SampleMode::kFILL;
        case PaddingFillMode::kREFLECT:
            return SampleMode::kREFLECT;
        case PaddingFillMode::kEDGE:
            return SampleMode::kCLAMP;
        case PaddingFillMode::kWRAP:
            return SampleMode::kWRAP;
    }
    return SampleMode::kFILL;
}

/// Pad with pads (or axes, or the constant value) known only at run time: a Slice starting at -pre with
/// size d + pre + post, whose sample mode produces the padding. The Padding layer takes its pads as
/// attributes only; the Slice already takes start and size as shape-tensor inputs and the fill value as
/// a data input, so no IR op needs new inputs. Negative pads crop, as in ONNX.
Status padBySlice(ImportContext& ctx, ITensor* x, const ShapeTensor& pads, const ShapeTensor& axes,
                  PaddingFillMode mode, ITensor* fill, std::vector<Value>& outputs) {
    using E = ElementWiseOperation;
    const int64_t rank = x->getDimensions().nbDims, k = axes.size();
    KILN_ASSIGN_OR_RETURN(ShapeTensor shape, shapeOf(ctx, x));
    const ShapeTensor zeros = ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(rank), 0));
    KILN_ASSIGN_OR_RETURN(ShapeTensor preK, sliceShape(ctx, pads, 0, k));
    KILN_ASSIGN_OR_RETURN(ShapeTensor postK, sliceShape(ctx, pads, k, 2 * k));
    KILN_ASSIGN_OR_RETURN(ShapeTensor pre, scatterShape(ctx, zeros, axes, preK, "axes"));
    KILN_ASSIGN_OR_RETURN(ShapeTensor post, scatterShape(ctx, zeros, axes, postK, "axes"));
    KILN_ASSIGN_OR_RETURN(ShapeTensor start, shapeBinary(ctx, ShapeTensor::known({0}), pre, E::kSUB));
    KILN_ASSIGN_OR_RETURN(ShapeTensor grown, shapeBinary(ctx, shape, pre, E::kSUM));
    KILN_ASSIGN_OR_RETURN(ShapeTensor size, shapeBinary(ctx, grown, post, E::kSUM));
    const ShapeTensor ones = ShapeTensor::known(std::vector<int64_t>(static_cast<size_t>(rank), 1));
    KILN_ASSIGN_OR_RETURN(ISliceLayer * l, sliceLayer(ctx, x, start, size, ones, padSampleMode(mode), fill));
    return setOutput(outputs, l->getOutput(0));
}

Status importPad(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                 std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(PaddingFillMode mode, padMode(node));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    std::vector<int64_t> all;
    for (int i = 0; i < rank; ++i) all.push_back(i);
    ShapeTensor pads, axes = ShapeTensor::known(all);
    double value = 0.0;
    ITensor* fill = nullptr;  // a constant value known only at run time
    if (node.opset < 11) {
        KILN_ASSIGN_OR_RETURN(std::vector<int64_t> p, node.attrs().getInts("pads"));
        pads = ShapeTensor::known(p);
        KILN_ASSIGN_OR_RETURN(float v, node.attrs().getFloat("value", 0.0f));
        value = v;
    } else {
        if (!hasInput(inputs, 1)) return invalidArgument("pads (input 1) is required");
        KILN_ASSIGN_OR_RETURN(pads, toShapeTensor(ctx, inputs[1], "pads (input 1)"));
        // The value only matters in constant mode (ONNX ignores it otherwise).
        if (hasInput(inputs, 2) && mode == PaddingFillMode::kCONSTANT) {
            const Value& v = inputs[2];
            if (volume(v.dims()) > 1)
                return invalidArgument("constant_value (input 2) must hold one element, got shape " +
                                       toString(v.dims()));
            if (v.isConstant()) {
                if (v.constant->count() > 0) value = v.constant->at(0);
            } else {
                KILN_ASSIGN_OR_RETURN(fill, inputTensor(ctx, node, inputs, 2));
            }
        }
        if (hasInput(inputs, 3)) {
            KILN_ASSIGN_OR_RETURN(axes, toShapeTensor(ctx, inputs[3], "axes (input 3)"));
            if (axes.allKnown()) {
                KILN_ASSIGN_OR_RETURN(std::vector<int> a, normalizeAxes(axes.values(), rank, "axes"));
                axes = ShapeTensor::known(std::vector<int64_t>(a.begin(), a.end()));
            }
        }
    }
    if (pads.size() != 2 * axes.size())
        return invalidArgument("pads has " + std::to_string(pads.size()) + " values, expected " +
                               std::to_string(2 * axes.size()) + " (begin and end for each padded axis)");
    if (!pads.allKnown() || !axes.allKnown() || fill) {
        if (fill) {  // Slice's fill value (input 4) takes the data's type, as the Padding value does
            KILN_ASSIGN_OR_RETURN(fill, castTo(ctx, fill, x->getType()));
        }
        if (mode == PaddingFillMode::kCONSTANT && !fill && value != 0.0) {
            KILN_ASSIGN_OR_RETURN(fill, ctx.constant(ConstValue::fromDoubles(x->getType(), Dims{}, {value})));
        }
        return padBySlice(ctx, x, pads, axes, mode, fill, outputs);
    }
    const std::vector<int64_t> p = pads.values(), a = axes.values();
    Dims pre, post;
    pre.nbDims = post.nbDims = rank;
    for (int i = 0; i < rank; ++i) pre.d[i] = post.d[i] = 0;
    for (size_t j = 0; j < a.size(); ++j) {
        pre.d[a[j]] = p[j];
        post.d[a[j]] = p[j + a.size()];
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
