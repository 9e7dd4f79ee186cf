// Shape/type inference for Resize (TensorRT's IResizeLayer / ONNX Resize). The output extents come from
// input 1 (a shape tensor) when present, else from attrs.outputDims, else from attrs.scales
// (out = floor(in * scale)); giving both outputDims and scales is ambiguous and rejected. Nearest works
// on every dtype (it only copies); linear and cubic interpolate and need a float dtype.
#include <cmath>
#include <sstream>

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
           << " (expected 0, 1, 2 or 100)";
    else if (!isKnown(a.selectorForSinglePixel))
        os << "unknown single-pixel selector " << static_cast<int>(a.selectorForSinglePixel)
           << " (expected 0..1)";
    else if (!isKnown(a.nearestRounding))
        os << "unknown nearest rounding " << static_cast<int>(a.nearestRounding) << " (expected 0..3)";
    else
        return Status::ok();
    return invalidArgument("Resize: " + os.str());
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
    } else if (!attrs.scales.empty()) {
        if (static_cast<int>(attrs.scales.size()) != rank)
            return invalidArgument("Resize: " + std::to_string(attrs.scales.size()) +
                                   " scales given, expected one per dimension of the input " +
                                   toString(in.shape));
        for (int d = 0; d < rank; ++d) {
            const int64_t n = in.shape.d[d];
            // Scales are floats: floor of the product in double, as ONNX specifies.
            out.d[d] =
                n < 0 ? -1 : static_cast<int64_t>(std::floor(static_cast<double>(n) * attrs.scales[d]));
        }
    } else {
        return invalidArgument(
            "Resize: needs output dims, scales, or an output-shape tensor as input 1; none given");
    }
    // Extents from scales are -1 only when the input extent is; explicit extents must be >= 0.
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
