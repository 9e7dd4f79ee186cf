// Importers for Resize (opsets 10 to 19+) and Upsample (opsets 7 to 9). The output size comes from constant
// scales (kept as scales, so the coordinate mapping uses them as ONNX specifies), constant sizes, or a
// run-time sizes tensor; run-time scales feed IResizeLayer's scales input (input 2, a float shape tensor
// read on the host when shapes are resolved). keep_aspect_ratio_policy turns sizes into one scale for the
// resized axes and extents round(scale * in): computed here when sizes and input dims are known, else by
// small layers that the runtime evaluates on the host; either way the layer gets the extents and that
// scale. `axes` is expanded here to full-rank scales, sizes and roi. ONNX's modes map to IResizeLayer's:
// coordinate_transformation_mode -> ResizeCoordinateTransformation, nearest_mode -> ResizeRoundMode
// (round_prefer_floor is "half down"), antialias, roi and extrapolation_value -> Kiln's extensions.
#include <algorithm>
#include <cmath>
#include <limits>

#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

enum class AspectPolicy { kSTRETCH, kNOT_LARGER, kNOT_SMALLER };

struct ResizeModes {
    InterpolationMode mode{InterpolationMode::kNEAREST};
    ResizeCoordinateTransformation transform{ResizeCoordinateTransformation::kHALF_PIXEL};
    ResizeRoundMode rounding{ResizeRoundMode::kHALF_DOWN};
    float cubic{-0.75f};
    bool excludeOutside{false};
    bool antialias{false};
    float extrapolation{0.0f};
    AspectPolicy policy{AspectPolicy::kSTRETCH};
};

StatusOr<ResizeCoordinateTransformation> readTransform(const NodeAttrs& a) {
    KILN_ASSIGN_OR_RETURN(std::string ct,
                          a.getString("coordinate_transformation_mode", std::string("half_pixel")));
    if (ct == "half_pixel") return ResizeCoordinateTransformation::kHALF_PIXEL;
    if (ct == "asymmetric") return ResizeCoordinateTransformation::kASYMMETRIC;
    if (ct == "align_corners") return ResizeCoordinateTransformation::kALIGN_CORNERS;
    if (ct == "pytorch_half_pixel") return ResizeCoordinateTransformation::kPYTORCH_HALF_PIXEL;
    if (ct == "half_pixel_symmetric") return ResizeCoordinateTransformation::kHALF_PIXEL_SYMMETRIC;
    if (ct == "tf_crop_and_resize") return ResizeCoordinateTransformation::kTF_CROP_AND_RESIZE;
    return unsupported("coordinate_transformation_mode '" + ct +
                       "' is not supported; expected half_pixel, half_pixel_symmetric, asymmetric, "
                       "align_corners, pytorch_half_pixel or tf_crop_and_resize");
}

StatusOr<ResizeModes> readModes(const OnnxNode& node) {
    const NodeAttrs a = node.attrs();
    ResizeModes m;
    KILN_ASSIGN_OR_RETURN(std::string mode, a.getString("mode", std::string("nearest")));
    if (mode == "nearest")
        m.mode = InterpolationMode::kNEAREST;
    else if (mode == "linear" || mode == "bilinear" || mode == "trilinear")
        m.mode = InterpolationMode::kLINEAR;
    else if (mode == "cubic" && node.op() == "Resize" && node.opset >= 11)
        m.mode = InterpolationMode::kCUBIC;
    else
        return unsupported("mode '" + mode + "' is not supported; expected nearest, linear or cubic");
    if (node.op() == "Upsample" || node.opset < 11) {
        // Upsample and Resize-10 sample at asymmetric coordinates and round nearest down.
        m.transform = ResizeCoordinateTransformation::kASYMMETRIC;
        m.rounding = ResizeRoundMode::kFLOOR;
        return m;
    }
    KILN_ASSIGN_OR_RETURN(m.transform, readTransform(a));
    KILN_ASSIGN_OR_RETURN(std::string nm, a.getString("nearest_mode", std::string("round_prefer_floor")));
    if (nm == "round_prefer_floor")
        m.rounding = ResizeRoundMode::kHALF_DOWN;
    else if (nm == "round_prefer_ceil")
        m.rounding = ResizeRoundMode::kHALF_UP;
    else if (nm == "floor")
        m.rounding = ResizeRoundMode::kFLOOR;
    else if (nm == "ceil")
        m.rounding = ResizeRoundMode::kCEIL;
    else
        return unsupported("nearest_mode '" + nm +
                           "' is not supported; expected round_prefer_floor, round_prefer_ceil, "
                           "floor or ceil");
    KILN_ASSIGN_OR_RETURN(m.cubic, a.getFloat("cubic_coeff_a", -0.75f));
    KILN_ASSIGN_OR_RETURN(int64_t exclude, a.getInt("exclude_outside", 0));
    m.excludeOutside = exclude != 0;
    KILN_ASSIGN_OR_RETURN(m.extrapolation, a.getFloat("extrapolation_value", 0.0f));
    KILN_ASSIGN_OR_RETURN(int64_t antialias, a.getInt("antialias", 0));
    // The ONNX reference refuses antialias with nearest; a nearest sample has no filter to stretch.
    if (antialias != 0 && m.mode == InterpolationMode::kNEAREST)
        return invalidArgument("antialias=1 needs mode linear or cubic, got nearest");
    m.antialias = antialias != 0;
    KILN_ASSIGN_OR_RETURN(std::string policy,
                          a.getString("keep_aspect_ratio_policy", std::string("stretch")));
    if (policy == "stretch")
        m.policy = AspectPolicy::kSTRETCH;
    else if (policy == "not_larger")
        m.policy = AspectPolicy::kNOT_LARGER;
    else if (policy == "not_smaller")
        m.policy = AspectPolicy::kNOT_SMALLER;
    else
        return unsupported("keep_aspect_ratio_policy '" + policy +
                           "' is not supported; expected stretch, not_larger or not_smaller");
    return m;
}

Status checkResize(const OnnxNode& node) {
    return readModes(node).status();
}

/// An optional input that is present and not empty (exporters pass empty tensors for "absent").
bool nonEmpty(const std::vector<Value>& inputs, int i) {
    if (!hasInput(inputs, i)) return false;
    return volume(dimsOf(inputs[static_cast<size_t>(i)])) != 0;
}

/// Picks elements of the run-time 1-D tensor `given` and of the constants `extra` (given's type):
/// result[i] = (given ++ extra)[indices[i]]. Spreads per-axis values over every dimension with one
/// Concatenation and one Gather, which run on the host when they feed shape inputs.
StatusOr<ITensor*> pickElements(ImportContext& ctx, ITensor* given, const std::vector<double>& extra,
                                const std::vector<int64_t>& indices) {
    ITensor* parts[2] = {given, nullptr};
    int nbParts = 1;
    if (!extra.empty()) {
        KILN_ASSIGN_OR_RETURN(parts[1],
                              ctx.constant(ConstValue::fromDoubles(
                                  given->getType(), makeDims({static_cast<int64_t>(extra.size())}), extra)));
        nbParts = 2;
    }
    ITensor* all = given;
    if (nbParts == 2) {
        KILN_ASSIGN_OR_RETURN(all, ctx.out(ctx.net().addConcatenation(parts, 2), "addConcatenation"));
    }
    KILN_ASSIGN_OR_RETURN(ITensor * idx, ctx.constant(ConstValue::vector(indices)));
    return ctx.out(ctx.net().addGather(*all, *idx, 0), "addGather");
}

/// Position of dimension d in `axes`, or -1.
int64_t axisSlot(const std::vector<int>& axes, int d) {
    auto it = std::find(axes.begin(), axes.end(), d);
    return it == axes.end() ? -1 : it - axes.begin();
}

bool allAxesInOrder(const std::vector<int>& axes, int rank) {
    if (static_cast<int>(axes.size()) != rank) return false;
    for (int d = 0; d < rank; ++d)
        if (axes[static_cast<size_t>(d)] != d) return false;
    return true;
}

/// roi for tf_crop_and_resize: a constant becomes the layer's region of interest, a run-time tensor its
/// input 3; both spread from `axes` to every dimension (start 0, end 1 elsewhere).
Status setRoi(ImportContext& ctx, IResizeLayer* r, const Value& roi, const std::vector<int>& axes, int rank) {
    const auto n = static_cast<int64_t>(axes.size());
    const int64_t count = checkedVolume(dimsOf(roi));
    if (count >= 0 && count != 2 * n)
        return invalidArgument("roi has " + std::to_string(count) + " values, expected 2 * " +
                               std::to_string(n) + " (a start and an end per resized axis)");
    if (roi.isConstant()) {
        const std::vector<double> given = roi.constant->toDoubles();
        std::vector<float> full(static_cast<size_t>(2 * rank), 0.0f);
        for (int d = 0; d < rank; ++d) full[static_cast<size_t>(rank + d)] = 1.0f;
        for (int64_t j = 0; j < n; ++j) {
            const auto d = static_cast<size_t>(axes[static_cast<size_t>(j)]);
            full[d] = static_cast<float>(given[static_cast<size_t>(j)]);
            full[static_cast<size_t>(rank) + d] = static_cast<float>(given[static_cast<size_t>(n + j)]);
        }
        r->setRegionOfInterest(full.data(), static_cast<int32_t>(full.size()));
        return Status::ok();
    }
    KILN_ASSIGN_OR_RETURN(ITensor * t, ctx.tensor(roi));
    KILN_ASSIGN_OR_RETURN(t, castTo(ctx, t, DataType::kFLOAT));
    if (!allAxesInOrder(axes, rank)) {
        std::vector<int64_t> idx(static_cast<size_t>(2 * rank));
        for (int d = 0; d < rank; ++d) {
            const int64_t j = axisSlot(axes, d);
            idx[static_cast<size_t>(d)] = j < 0 ? 2 * n : j;
            idx[static_cast<size_t>(rank + d)] = j < 0 ? 2 * n + 1 : n + j;
        }
        KILN_ASSIGN_OR_RETURN(t, pickElements(ctx, t, {0.0, 1.0}, idx));
    }
    r->setInput(3, *t);
    return Status::ok();
}

/// keep_aspect_ratio_policy other than stretch: scale = min (not_larger) or max (not_smaller) of
/// sizes[j] / in[axes[j]]; resized extents round_half_up(scale * in), the others unchanged; the layer
/// maps coordinates with that scale (input 2), not with out / in.
Status setAspectSizes(ImportContext& ctx, IResizeLayer* r, ITensor* x, const Value& sizesValue,
                      const ShapeTensor& sizes, const std::vector<int>& axes, AspectPolicy policy) {
    const int rank = x->getDimensions().nbDims;
    const auto n = static_cast<int64_t>(axes.size());
    KILN_ASSIGN_OR_RETURN(ShapeTensor full, shapeOf(ctx, x));
    if (sizes.allKnown() && full.allKnown()) {
        const std::vector<int64_t> sz = sizes.values(), in = full.values();
        double scale = policy == AspectPolicy::kNOT_LARGER ? std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t j = 0; j < n; ++j) {
            const int64_t extent = in[static_cast<size_t>(axes[static_cast<size_t>(j)])];
            if (extent == 0)
                return invalidArgument("keep_aspect_ratio_policy needs non-empty resized axes; axis " +
                                       std::to_string(axes[static_cast<size_t>(j)]) + " of the input " +
                                       toString(x->getDimensions()) + " is empty");
            const double ratio =
                static_cast<double>(sz[static_cast<size_t>(j)]) / static_cast<double>(extent);
            scale = policy == AspectPolicy::kNOT_LARGER ? std::min(scale, ratio) : std::max(scale, ratio);
        }
        std::vector<int64_t> out = in;
        std::vector<double> scales(static_cast<size_t>(rank), 1.0);
        for (int d : axes) {
            out[static_cast<size_t>(d)] = static_cast<int64_t>(
                std::floor(scale * static_cast<double>(in[static_cast<size_t>(d)]) + 0.5));
            scales[static_cast<size_t>(d)] = scale;
        }
        r->setOutputDimensions(makeDims(out));
        KILN_ASSIGN_OR_RETURN(
            ITensor * st, ctx.constant(ConstValue::fromDoubles(DataType::kFLOAT, makeDims({rank}), scales)));
        r->setInput(2, *st);
        return Status::ok();
    }
    // Run time: the same arithmetic in float32 layers (scales are float in ONNX).
    std::vector<int64_t> axes64(axes.begin(), axes.end());
    KILN_ASSIGN_OR_RETURN(ITensor * shapeT, full.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * axesT, ctx.constant(ConstValue::vector(axes64)));
    KILN_ASSIGN_OR_RETURN(ITensor * inAxes, ctx.out(ctx.net().addGather(*shapeT, *axesT, 0), "addGather"));
    KILN_ASSIGN_OR_RETURN(ITensor * inF, castTo(ctx, inAxes, DataType::kFLOAT));
    KILN_ASSIGN_OR_RETURN(ITensor * sizesT, ctx.tensor(sizesValue));
    KILN_ASSIGN_OR_RETURN(ITensor * sizesF, castTo(ctx, sizesT, DataType::kFLOAT));
    KILN_ASSIGN_OR_RETURN(ITensor * ratio, elementwise(ctx, sizesF, inF, ElementWiseOperation::kDIV));
    const ReduceOperation op =
        policy == AspectPolicy::kNOT_LARGER ? ReduceOperation::kMIN : ReduceOperation::kMAX;
    KILN_ASSIGN_OR_RETURN(ITensor * scale, ctx.out(ctx.net().addReduce(*ratio, op, 1u, true), "addReduce"));
    KILN_ASSIGN_OR_RETURN(ITensor * prod, elementwise(ctx, inF, scale, ElementWiseOperation::kPROD));
    KILN_ASSIGN_OR_RETURN(ITensor * half, withScalar(ctx, prod, 0.5, ElementWiseOperation::kSUM));
    KILN_ASSIGN_OR_RETURN(ITensor * rounded, unary(ctx, half, UnaryOperation::kFLOOR));
    KILN_ASSIGN_OR_RETURN(ITensor * outAxes, castTo(ctx, rounded, DataType::kINT64));
    ITensor* dimParts[2] = {shapeT, outAxes};
    KILN_ASSIGN_OR_RETURN(ITensor * dimsAll,
                          ctx.out(ctx.net().addConcatenation(dimParts, 2), "addConcatenation"));
    std::vector<int64_t> dimIdx(static_cast<size_t>(rank)), scaleIdx(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
        const int64_t j = axisSlot(axes, d);
        dimIdx[static_cast<size_t>(d)] = j < 0 ? d : rank + j;
        scaleIdx[static_cast<size_t>(d)] = j < 0 ? 1 : 0;
    }
    KILN_ASSIGN_OR_RETURN(ITensor * dimIdxT, ctx.constant(ConstValue::vector(dimIdx)));
    KILN_ASSIGN_OR_RETURN(ITensor * dims, ctx.out(ctx.net().addGather(*dimsAll, *dimIdxT, 0), "addGather"));
    KILN_ASSIGN_OR_RETURN(ITensor * scales, pickElements(ctx, scale, {1.0}, scaleIdx));
    r->setInput(1, *dims);
    r->setInput(2, *scales);
    return Status::ok();
}

Status importResize(ImportContext& ctx, const OnnxNode& node, std::vector<Value>& inputs,
                    std::vector<Value>& outputs) {
    KILN_ASSIGN_OR_RETURN(ResizeModes modes, readModes(node));
    KILN_ASSIGN_OR_RETURN(ITensor * x, inputTensor(ctx, node, inputs, 0));
    const int rank = x->getDimensions().nbDims;
    const bool legacy = node.op() == "Upsample" || node.opset < 11;
    const int scalesIndex = legacy ? 1 : 2, sizesIndex = legacy ? -1 : 3;
    std::vector<int> axes;
    for (int i = 0; i < rank; ++i) axes.push_back(i);
    if (!legacy && node.attrs().has("axes")) {
        KILN_ASSIGN_OR_RETURN(std::vector<int64_t> raw, node.attrs().getInts("axes"));
        KILN_ASSIGN_OR_RETURN(axes, normalizeAxes(raw, rank, "axes"));
    }
    IResizeLayer* r = ctx.net().addResize(*x);
    KILN_ASSIGN_OR_RETURN(r, ctx.check(r, "addResize"));
    r->setResizeMode(modes.mode);
    r->setCoordinateTransformation(modes.transform);
    r->setNearestRounding(modes.rounding);
    r->setCubicCoeff(modes.cubic);
    r->setExcludeOutside(modes.excludeOutside);
    r->setAntialias(modes.antialias);
    r->setExtrapolationValue(modes.extrapolation);
    // roi only matters to tf_crop_and_resize (ONNX); without one the whole input is the region.
    if (modes.transform == ResizeCoordinateTransformation::kTF_CROP_AND_RESIZE && nonEmpty(inputs, 1))
        KILN_RETURN_IF_ERROR(setRoi(ctx, r, inputs[1], axes, rank));
    // Upsample before opset 9 takes its scales as an attribute.
    const bool upsampleAttr = node.op() == "Upsample" && node.opset < 9;
    const bool haveScales = upsampleAttr || nonEmpty(inputs, scalesIndex);
    const bool haveSizes = sizesIndex >= 0 && nonEmpty(inputs, sizesIndex);
    if (haveScales == haveSizes)
        return invalidArgument(haveScales ? "both scales and sizes are given; expected exactly one"
                                          : "neither scales nor sizes is given; expected exactly one");
    if (haveSizes) {
        const Value& sizesValue = inputs[static_cast<size_t>(sizesIndex)];
        KILN_ASSIGN_OR_RETURN(ShapeTensor sizes, toShapeTensor(ctx, sizesValue, "sizes"));
        if (sizes.size() != static_cast<int64_t>(axes.size()))
            return invalidArgument("sizes has " + std::to_string(sizes.size()) + " entries, expected " +
                                   std::to_string(axes.size()));
        if (modes.policy != AspectPolicy::kSTRETCH) {
            KILN_RETURN_IF_ERROR(setAspectSizes(ctx, r, x, sizesValue, sizes, axes, modes.policy));
            return setOutput(outputs, r->getOutput(0));
        }
        KILN_ASSIGN_OR_RETURN(ShapeTensor full, shapeOf(ctx, x));
        std::vector<ShapeTensor> parts;
        for (int d = 0; d < rank; ++d) {
            const int64_t j = axisSlot(axes, d);
            KILN_ASSIGN_OR_RETURN(ShapeTensor p,
                                  j < 0 ? sliceShape(ctx, full, d, d + 1) : sliceShape(ctx, sizes, j, j + 1));
            parts.push_back(p);
        }
        KILN_ASSIGN_OR_RETURN(ShapeTensor out, concatShapes(ctx, parts));
        if (out.allKnown()) {
            r->setOutputDimensions(makeDims(out.values()));
        } else {
            KILN_ASSIGN_OR_RETURN(ITensor * t, out.tensor(ctx));
            r->setInput(1, *t);
        }
        return setOutput(outputs, r->getOutput(0));
    }
    if (upsampleAttr || inputs[static_cast<size_t>(scalesIndex)].isConstant()) {
        std::vector<double> given;
        if (upsampleAttr) {
            KILN_ASSIGN_OR_RETURN(std::vector<float> f, node.attrs().getFloats("scales"));
            given.assign(f.begin(), f.end());
        } else {
            given = inputs[static_cast<size_t>(scalesIndex)].constant->toDoubles();
        }
        if (given.size() != axes.size())
            return invalidArgument("scales has " + std::to_string(given.size()) + " entries, expected " +
                                   std::to_string(axes.size()));
        std::vector<float> scales(static_cast<size_t>(rank), 1.0f);
        for (size_t j = 0; j < axes.size(); ++j)
            scales[static_cast<size_t>(axes[j])] = static_cast<float>(given[j]);
        r->setScales(scales.data(), rank);
        return setOutput(outputs, r->getOutput(0));
    }
    // Scales known at run time: the layer's scales input, a float shape tensor spread over every dimension
    // (scale 1 where `axes` leaves a dimension out).
    const Value& sv = inputs[static_cast<size_t>(scalesIndex)];
    const int64_t count = checkedVolume(dimsOf(sv));
    if (count >= 0 && count != static_cast<int64_t>(axes.size()))
        return invalidArgument("scales has " + std::to_string(count) + " entries, expected " +
                               std::to_string(axes.size()));
    KILN_ASSIGN_OR_RETURN(ITensor * scalesT, ctx.tensor(sv));
    KILN_ASSIGN_OR_RETURN(scalesT, castTo(ctx, scalesT, DataType::kFLOAT));
    if (!allAxesInOrder(axes, rank)) {
        std::vector<int64_t> idx(static_cast<size_t>(rank));
        for (int d = 0; d < rank; ++d) {
            const int64_t j = axisSlot(axes, d);
            idx[static_cast<size_t>(d)] = j < 0 ? static_cast<int64_t>(axes.size()) : j;
        }
        KILN_ASSIGN_OR_RETURN(scalesT, pickElements(ctx, scalesT, {1.0}, idx));
    }
    r->setInput(2, *scalesT);
    return setOutput(outputs, r->getOutput(0));
}

const OpImporter kImporters[] = {
    {"Resize", 10, kMaxOpset, importResize, checkResize},
    {"Upsample", kMinOpset, 9, importResize, checkResize},
};

}  // namespace

std::span<const OpImporter> resizeImporters() {
    return kImporters;
}

}  // namespace kiln::onnx
