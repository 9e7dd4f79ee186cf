// Shape/type inference for Resize (TensorRT's IResizeLayer / ONNX Resize). The output extents come from
// input 1 (a shape tensor) when present, else from attrs.outputDims, else from the scales of input 2 (a
// float shape tensor) or attrs.scales (out = floor(in * scale)); giving both outputDims and scales
// attributes, or scales both ways, is ambiguous and rejected. Input 2 may come with input 1 or outputDims
// (ONNX keep_aspect_ratio_policy): the extents come from those and the scales only steer the mapping.
// The region of interest (attribute or input 3) must hold one start and one end per dimension. Nearest
// works on every dtype (it only copies); linear and cubic interpolate and need a float dtype.
#include <cmath>
#include <optional>
#include <sstream>
#include <vector>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"
#include "ir/ops/movement_common.h"

namespace kiln::ir {
namespace {

// Switches without default, so a new enum value is flagged here by the compiler.
bool isKnown(InterpolationMode m) {
    switch (m) {
        case InterpolationMode::kNEAREST:
        case InterpolationMode::kLINEAR:
        case InterpolationMode::kCUBIC:
            return true;
    }
    return false;
}
bool isKnown(ResizeCoordinateTransformation t) {
    switch (t) {
        case ResizeCoordinateTransformation::kALIGN_CORNERS:
        case ResizeCoordinateTransformation::kASYMMETRIC:
        case ResizeCoordinateTransformation::kHALF_PIXEL:
        case ResizeCoordinateTransformation::kPYTORCH_HALF_PIXEL:
        case ResizeCoordinateTransformation::kHALF_PIXEL_SYMMETRIC:
        case ResizeCoordinateTransformation::kTF_CROP_AND_RESIZE:
            return true;
    }
    return false;
}
bool isKnown(ResizeSelector s) {
    switch (s) {
        case ResizeSelector::kFORMULA:
        case ResizeSelector::kUPPER:
            return true;
    }
    return false;
}
bool isKnown(ResizeRoundMode r) {
    switch (r) {
        case ResizeRoundMode::kHALF_UP:
        case ResizeRoundMode::kHALF_DOWN:
        case ResizeRoundMode::kFLOOR:
        case ResizeRoundMode::kCEIL:
            return true;
    }
    return false;
}

Status checkEnums(const ResizeAttrs& a) {
    std::ostringstream os;
    if (!isKnown(a.mode))
        os << "unknown interpolation mode " << static_cast<int>(a.mode) << " (expected 0..2)";
    else if (!isKnown(a.coordinateTransformation))
        os << "unknown coordinate transformation " << static_cast<int>(a.coordinateTransformation)
           << " (expected 0, 1, 2, 100, 101 or 102)";
    else if (!isKnown(a.selectorForSinglePixel))
        os << "unknown single-pixel selector " << static_cast<int>(a.selectorForSinglePixel)
           << " (expected 0..1)";
    else if (!isKnown(a.nearestRounding))
        os << "unknown nearest rounding " << static_cast<int>(a.nearestRounding) << " (expected 0..3)";
    else
        return Status::ok();
    return invalidArgument("Resize: " + os.str());
}

/// Input 2 of Resize: absent, or a 1-D float tensor of one scale per dimension whose values may be
/// unknown at build time. Values, when known, are checked to be finite and > 0.
struct ScalesInput {
    bool present{false};
    std::optional<std::vector<double>> values;
};

StatusOr<ScalesInput> readScalesInput(const InferContext& ctx, int rank, const Dims& inShape) {
    ScalesInput s;
    if (ctx.inputs.size() <= 2 || !ctx.inputs[2].present()) return s;
    const TensorDesc& t = ctx.inputs[2];
    s.present = true;
    if (!isFloatType(t.type))
        return invalidArgument(std::string("Resize: scales (input 2) must be a float tensor, got ") +
                               dataTypeName(t.type));
    if (t.shape.nbDims != 1 || (t.shape.d[0] >= 0 && t.shape.d[0] != rank))
        return invalidArgument(
            "Resize: scales (input 2) must be 1-D with one scale per dimension of the input " +
            toString(inShape) + ", got shape " + toString(t.shape));
    if (!t.values) return s;
    if (t.shape.d[0] < 0)
        return invalidArgument("Resize: scales (input 2) have values but an unknown length " +
                               toString(t.shape));
    std::vector<double> v(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) {
        v[static_cast<size_t>(i)] = loadAsDouble(t.type, t.values, i);
        if (!(v[static_cast<size_t>(i)] > 0.0) || !std::isfinite(v[static_cast<size_t>(i)]))
            return invalidArgument("Resize: scale " + std::to_string(i) + " (input 2) is " +
                                   std::to_string(v[static_cast<size_t>(i)]) +
                                   ", expected a finite value > 0");
    }
    s.values = std::move(v);
    return s;
}

Status checkRoi(const ResizeAttrs& attrs, const InferContext& ctx, int rank, const Dims& inShape) {
    const bool runTime = ctx.inputs.size() > 3 && ctx.inputs[3].present();
    if (!attrs.roi.empty() && runTime)
        return invalidArgument("Resize: give the region of interest as an attribute (" +
                               std::to_string(attrs.roi.size()) + " values) or as input 3, not both");
    if (!attrs.roi.empty() && static_cast<int>(attrs.roi.size()) != 2 * rank)
        return invalidArgument("Resize: the region of interest has " + std::to_string(attrs.roi.size()) +
                               " values, expected 2 * rank = " + std::to_string(2 * rank) +
                               " (all starts, then all ends) for input " + toString(inShape));
    for (size_t i = 0; i < attrs.roi.size(); ++i)
        if (!std::isfinite(attrs.roi[i]))
            return invalidArgument("Resize: region of interest value " + std::to_string(i) + " is " +
                                   std::to_string(attrs.roi[i]) + ", expected a finite value");
    if (runTime) {
        const TensorDesc& t = ctx.inputs[3];
        if (!isFloatType(t.type) || t.shape.nbDims != 1 || (t.shape.d[0] >= 0 && t.shape.d[0] != 2 * rank))
            return invalidArgument(std::string("Resize: the region of interest (input 3) must be a 1-D float "
                                               "tensor of 2 * rank = ") +
                                   std::to_string(2 * rank) + " values, got " + dataTypeName(t.type) +
                                   toString(t.shape));
    }
    return Status::ok();
}

}  // namespace

Status inferResize(const ResizeAttrs& attrs, InferContext& ctx) {
    const TensorDesc& in = ctx.inputs[0];
    const int rank = in.shape.nbDims;
    KILN_RETURN_IF_ERROR(checkEnums(attrs));
    if (rank < 1)
        return invalidArgument("Resize: input must have rank >= 1, got shape " + toString(in.shape));
    if (attrs.mode != InterpolationMode::kNEAREST && !isFloatType(in.type))
        return invalidArgument(
            std::string("Resize: linear and cubic interpolation need a float input, got ") +
            dataTypeName(in.type) + " (use nearest for integer and bool tensors)");
    if (attrs.antialias && attrs.mode == InterpolationMode::kNEAREST)
        return invalidArgument(
            "Resize: antialias applies to linear and cubic interpolation, not nearest; "
            "turn it off or choose linear or cubic");
    if (!std::isfinite(attrs.cubicCoeff))
        return invalidArgument("Resize: cubic coefficient must be finite, got " +
                               std::to_string(attrs.cubicCoeff));
    if (attrs.outputDims.nbDims > 0 && !attrs.scales.empty())
        return invalidArgument("Resize: give either output dims " + toString(attrs.outputDims) + " or " +
                               std::to_string(attrs.scales.size()) + " scales, not both");
    for (size_t i = 0; i < attrs.scales.size(); ++i) {
        if (!(attrs.scales[i] > 0.0f) || !std::isfinite(attrs.scales[i]))
            return invalidArgument("Resize: scale " + std::to_string(i) + " is " +
                                   std::to_string(attrs.scales[i]) + ", expected a finite value > 0");
    }
    KILN_RETURN_IF_ERROR(checkRoi(attrs, ctx, rank, in.shape));
    KILN_ASSIGN_OR_RETURN(ScalesInput runScales, readScalesInput(ctx, rank, in.shape));
    if (runScales.present && !attrs.scales.empty())
        return invalidArgument("Resize: " + std::to_string(attrs.scales.size()) +
                               " scales given as an attribute and scales as input 2; give one of them");

    Dims out;
    out.nbDims = rank;
    KILN_ASSIGN_OR_RETURN(ShapeInput dyn, readShapeInput(ctx, 1, "Resize output dims (input 1)"));
    if (dyn.present) {
        if (dyn.length != rank)
            return invalidArgument("Resize: output dims (input 1) have " + std::to_string(dyn.length) +
                                   " entries, expected the input's rank " + std::to_string(rank) +
                                   " (input " + toString(in.shape) + ")");
        for (int d = 0; d < rank; ++d) out.d[d] = dyn.values ? (*dyn.values)[static_cast<size_t>(d)] : -1;
    } else if (attrs.outputDims.nbDims > 0) {
        if (attrs.outputDims.nbDims != rank)
            return invalidArgument("Resize: output dims " + toString(attrs.outputDims) + " have rank " +
                                   std::to_string(attrs.outputDims.nbDims) + ", expected the input's rank " +
                                   std::to_string(rank) + " (input " + toString(in.shape) + ")");
        out = attrs.outputDims;
    } else if (runScales.present || !attrs.scales.empty()) {
        if (!runScales.present && static_cast<int>(attrs.scales.size()) != rank)
            return invalidArgument("Resize: " + std::to_string(attrs.scales.size()) +
                                   " scales given, expected one per dimension of the input " +
                                   toString(in.shape));
        for (int d = 0; d < rank; ++d) {
            const int64_t n = in.shape.d[d];
            const bool known = n >= 0 && (!runScales.present || runScales.values);
            const double s = !runScales.present ? static_cast<double>(attrs.scales[static_cast<size_t>(d)])
                             : runScales.values ? (*runScales.values)[static_cast<size_t>(d)]
                                                : 0.0;
            // Floor of the product in double, as ONNX specifies (the float scale widened exactly).
            out.d[d] = known ? static_cast<int64_t>(std::floor(static_cast<double>(n) * s)) : -1;
        }
    } else {
        return invalidArgument(
            "Resize: needs output dims, scales, or an output-shape tensor as input 1; none given");
    }
    // Extents from scales are -1 only when unknown; explicit extents must be >= 0.
    const bool explicitDims = (dyn.present && dyn.values) || (!dyn.present && attrs.outputDims.nbDims > 0);
    for (int d = 0; d < rank; ++d) {
        if (explicitDims && out.d[d] < 0)
            return invalidArgument("Resize: output dims " + toString(out) +
                                   " have a negative extent in dimension " + std::to_string(d));
        if (in.shape.d[d] == 0 && out.d[d] > 0)
            return invalidArgument("Resize: cannot resize the empty dimension " + std::to_string(d) +
                                   " of input " + toString(in.shape) + " to extent " +
                                   std::to_string(out.d[d]));
    }
    ctx.outputs[0].type = in.type;
    ctx.outputs[0].shape = out;
    return Status::ok();
}

}  // namespace kiln::ir
