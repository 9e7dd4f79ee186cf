// Importers for Resize (opsets 10 to 19+) and Upsample (opsets 7 to 9). The output size comes from constant
// scales (kept as scales, so the coordinate mapping uses them as ONNX specifies), constant sizes, or a
// run-time sizes tensor; run-time scales become run-time sizes floor(in * scale). ONNX's modes map to
// IResizeLayer's: coordinate_transformation_mode -> ResizeCoordinateTransformation, nearest_mode ->
// ResizeRoundMode (round_prefer_floor is "half down").
#include <cmath>

#include "onnx/importers/helpers.h"

namespace kiln::onnx {

namespace {

struct ResizeModes {
    InterpolationMode mode{InterpolationMode::kNEAREST};
    ResizeCoordinateTransformation transform{ResizeCoordinateTransformation::kHALF_PIXEL};
    ResizeRoundMode rounding{ResizeRoundMode::kHALF_DOWN};
    float cubic{-0.75f};
    bool excludeOutside{false};
};

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
    KILN_ASSIGN_OR_RETURN(std::string ct,
                          a.getString("coordinate_transformation_mode", std::string("half_pixel")));
    if (ct == "half_pixel")
        m.transform = ResizeCoordinateTransformation::kHALF_PIXEL;
    else if (ct == "asymmetric")
        m.transform = ResizeCoordinateTransformation::kASYMMETRIC;
    else if (ct == "align_corners")
        m.transform = ResizeCoordinateTransformation::kALIGN_CORNERS;
    else if (ct == "pytorch_half_pixel")
        m.transform = ResizeCoordinateTransformation::kPYTORCH_HALF_PIXEL;
    else
        return unsupported(
            "coordinate_transformation_mode '" + ct +
            "' is not supported; expected half_pixel, asymmetric, align_corners or pytorch_half_pixel");
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
    KILN_ASSIGN_OR_RETURN(int64_t antialias, a.getInt("antialias", 0));
    if (antialias != 0) return unsupported("antialias=1 is not supported");
    KILN_ASSIGN_OR_RETURN(std::string policy,
                          a.getString("keep_aspect_ratio_policy", std::string("stretch")));
    if (policy != "stretch")
        return unsupported("keep_aspect_ratio_policy '" + policy + "' is not supported; only 'stretch'");
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
    // Upsample before opset 9 takes its scales as an attribute.
    const bool upsampleAttr = node.op() == "Upsample" && node.opset < 9;
    const bool haveScales = upsampleAttr || nonEmpty(inputs, scalesIndex);
    const bool haveSizes = sizesIndex >= 0 && nonEmpty(inputs, sizesIndex);
    if (haveScales == haveSizes)
        return invalidArgument(haveScales ? "both scales and sizes are given; expected exactly one"
                                          : "neither scales nor sizes is given; expected exactly one");
    if (haveSizes) {
        KILN_ASSIGN_OR_RETURN(ShapeTensor sizes,
                              toShapeTensor(ctx, inputs[static_cast<size_t>(sizesIndex)], "sizes"));
        if (sizes.size() != static_cast<int64_t>(axes.size()))
            return invalidArgument("sizes has " + std::to_string(sizes.size()) + " entries, expected " +
                                   std::to_string(axes.size()));
        KILN_ASSIGN_OR_RETURN(ShapeTensor full, shapeOf(ctx, x));
        std::vector<ShapeTensor> parts;
        for (int d = 0; d < rank; ++d) {
            auto it = std::find(axes.begin(), axes.end(), d);
            const int64_t j = it == axes.end() ? -1 : it - axes.begin();
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
    const Value& sv = inputs[static_cast<size_t>(scalesIndex)];
    if (sv.isConstant() || upsampleAttr) {
        std::vector<double> given;
        if (upsampleAttr) {
            KILN_ASSIGN_OR_RETURN(std::vector<float> f, node.attrs().getFloats("scales"));
            given.assign(f.begin(), f.end());
        } else {
            given = sv.constant->toDoubles();
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
    // Scales computed at run time: sizes = floor(shape * scales). The coordinate mapping then uses
    // out / in, which equals the scale whenever in * scale is a whole number.
    if (axes.size() != static_cast<size_t>(rank))
        return unsupported("run-time scales together with the 'axes' attribute are not supported");
    KILN_ASSIGN_OR_RETURN(ShapeTensor full, shapeOf(ctx, x));
    KILN_ASSIGN_OR_RETURN(ITensor * shapeT, full.tensor(ctx));
    KILN_ASSIGN_OR_RETURN(ITensor * shapeF, castTo(ctx, shapeT, DataType::kFLOAT));
    KILN_ASSIGN_OR_RETURN(ITensor * scalesT, ctx.tensor(sv));
    KILN_ASSIGN_OR_RETURN(scalesT, castTo(ctx, scalesT, DataType::kFLOAT));
    KILN_ASSIGN_OR_RETURN(ITensor * prod, elementwise(ctx, shapeF, scalesT, ElementWiseOperation::kPROD));
    KILN_ASSIGN_OR_RETURN(ITensor * fl, unary(ctx, prod, UnaryOperation::kFLOOR));
    KILN_ASSIGN_OR_RETURN(ITensor * sizes, castTo(ctx, fl, DataType::kINT64));
    r->setInput(1, *sizes);
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
