// CUDA runResize: the host half of resize_nearest.cu and resize_filter.cu. Per-axis extents, scales,
// resized lengths and the region of interest are resolved exactly as the reference resolves them
// (src/backends/reference/resize.cc, axisParameters): the scales of input 2 (host values: a shape
// tensor) or of the attribute steer the mapping when given, else out / in. A region of interest from
// input 3 is a device tensor and is read by the kernels. Linear and cubic filters are limited to
// kMaxFilteredAxes resized axes and kMaxFilterTaps taps per axis (antialias at very small scales);
// beyond that the op is unsupported with a message saying so.
#include <cmath>
#include <cstring>
#include <string>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/common/reduce_host.h"
#include "backends/cuda/kernels/resize/resize_launch.h"

namespace kiln::cuda {
namespace {

using CT = ResizeCoordinateTransformation;

Status axisParameters(const ir::ResizeAttrs& attrs, const KernelContext& ctx, rk::ResizeParams* p) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    const auto given = [&](size_t i) -> const TensorRef* {
        return ctx.inputs.size() > i && ctx.inputs[i].data ? &ctx.inputs[i] : nullptr;
    };
    const TensorRef* dims = given(1);
    const TensorRef* runScales = given(2);
    const TensorRef* runRoi = given(3);
    if (runScales && runScales->numel() != rank)
        return invalidArgument("Resize: " + std::to_string(runScales->numel()) +
                               " scales in input 2 for input " + toString(in.shape) + ", expected " +
                               std::to_string(rank));
    const bool attrScales = !runScales && !dims && attrs.outputDims.nbDims == 0 && !attrs.scales.empty();
    if (attrScales && static_cast<int>(attrs.scales.size()) != rank)
        return invalidArgument("Resize: " + std::to_string(attrs.scales.size()) + " scales for input " +
                               toString(in.shape));
    const int64_t roiCount = runRoi ? runRoi->numel() : static_cast<int64_t>(attrs.roi.size());
    if (roiCount != 0 && roiCount != 2 * rank)
        return invalidArgument("Resize: the region of interest has " + std::to_string(roiCount) +
                               " values for input " + toString(in.shape) +
                               ", expected 2 * rank = " + std::to_string(2 * rank));
    if (runRoi) {
        KILN_ASSIGN_OR_RETURN(p->roiType,
                              rk::kernelType("Resize", "the region of interest (input 3)", runRoi->type));
        p->roiDevice = runRoi->data;
    }
    for (int d = 0; d < rank; ++d) {
        rk::ResizeAxis& a = p->axis[d];
        a.in = in.shape.d[d];
        a.out = out.shape.d[d];
        if (a.in == 0 && a.out > 0)
            return invalidArgument("Resize: cannot resize the empty dimension " + std::to_string(d) +
                                   " of input " + toString(in.shape) + " to " + toString(out.shape));
        if (runScales || attrScales) {
            a.scale = runScales ? loadAsDouble(runScales->type, runScales->data, d)
                                : static_cast<double>(attrs.scales[static_cast<size_t>(d)]);
            if (!(a.scale > 0.0) || !std::isfinite(a.scale))
                return invalidArgument("Resize: scale " + std::to_string(d) + " is " +
                                       std::to_string(a.scale) + ", expected a finite value > 0");
            a.length = static_cast<double>(a.in) * a.scale;
        } else {
            a.scale = a.in > 0 ? static_cast<double>(a.out) / static_cast<double>(a.in) : 1.0;
            a.length = static_cast<double>(a.out);
        }
        if (roiCount != 0 && !runRoi) {
            a.roiStart = attrs.roi[static_cast<size_t>(d)];
            a.roiEnd = attrs.roi[static_cast<size_t>(d + rank)];
        }
        const bool wholeRoi = attrs.coordinateTransformation != CT::kTF_CROP_AND_RESIZE ||
                              (a.roiStart == 0.0 && a.roiEnd == 1.0);
        a.identity = a.in == a.out && a.scale == 1.0 && wholeRoi;
        a.filterScale = attrs.antialias ? std::min(a.scale, 1.0) : 1.0;
    }
    return Status::ok();
}

}  // namespace

Status runResize(const ir::ResizeAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    if (in.type != out.type || out.shape.nbDims != rank)
        return internalError("Resize: output " + std::string(dataTypeName(out.type)) + toString(out.shape) +
                             " does not match input " + dataTypeName(in.type) + toString(in.shape));
    if (rank < 0 || rank > rk::kMaxResizeRank)
        return invalidArgument("Resize: input " + toString(in.shape) + " must have rank 0 to 8");
    rk::ResizeParams p;
    p.rank = rank;
    p.mode = attrs.mode;
    p.transform = attrs.coordinateTransformation;
    p.selector = attrs.selectorForSinglePixel;
    p.rounding = attrs.nearestRounding;
    p.cubicCoeff = attrs.cubicCoeff;
    p.excludeOutside = attrs.excludeOutside;
    p.extrapolation = attrs.extrapolationValue;
    const std::vector<int64_t> strides = stridesOf(in.shape);
    for (int d = 0; d < rank; ++d) p.inStrides[d] = strides[static_cast<size_t>(d)];
    KILN_RETURN_IF_ERROR(axisParameters(attrs, ctx, &p));
    if (out.numel() == 0) return Status::ok();

    switch (attrs.mode) {
        case InterpolationMode::kNEAREST: {
            const int64_t size = dataTypeSize(in.type);
            if (size != 1 && size != 2 && size != 4 && size != 8)
                return unsupported(std::string("Resize: no CUDA kernel for ") + dataTypeName(in.type) +
                                   " elements");
            // The extrapolation value in the element type, for tf_crop_and_resize points outside the input.
            uint8_t fill[8] = {};
            storeFromDouble(in.type, fill, 0, static_cast<double>(attrs.extrapolationValue));
            std::memcpy(&p.extrapolationBits, fill, sizeof(fill));
            KILN_CUDA_RETURN_IF_ERROR(
                rk::launchResizeNearest(size, in.data, out.data, out.numel(), p, ctx.stream));
            return Status::ok();
        }
        case InterpolationMode::kLINEAR:
        case InterpolationMode::kCUBIC: {
            if (!isFloatType(in.type))
                return invalidArgument(
                    std::string("Resize: linear and cubic interpolation need a float input, got ") +
                    dataTypeName(in.type));
            KILN_ASSIGN_OR_RETURN(rk::ValueType type, rk::kernelType("Resize", "the input", in.type));
            const double radius = attrs.mode == InterpolationMode::kLINEAR ? 1.0 : 2.0;
            int filtered = 0;
            for (int d = 0; d < rank; ++d) {
                const rk::ResizeAxis& a = p.axis[d];
                // With a device roi, tf_crop_and_resize may resize an axis the host sees as identity.
                if (a.identity && !(p.roiDevice && attrs.coordinateTransformation == CT::kTF_CROP_AND_RESIZE))
                    continue;
                ++filtered;
                const int64_t taps = 2 - 2 * (static_cast<int64_t>(std::floor(-radius / a.filterScale)) + 1);
                if (taps > rk::kMaxFilterTaps)
                    return unsupported("Resize: antialiased scale " + std::to_string(a.scale) +
                                       " of dimension " + std::to_string(d) + " needs " +
                                       std::to_string(taps) + " filter taps; the CUDA kernel takes at most " +
                                       std::to_string(rk::kMaxFilterTaps) + " (downsample in steps)");
            }
            if (filtered > rk::kMaxFilteredAxes)
                return unsupported("Resize: " + std::to_string(filtered) + " dimensions of input " +
                                   toString(in.shape) +
                                   " are resized with a filter; the CUDA kernel takes at most " +
                                   std::to_string(rk::kMaxFilteredAxes));
            KILN_CUDA_RETURN_IF_ERROR(
                rk::launchResizeFilter(type, in.data, out.data, out.numel(), p, ctx.stream));
            return Status::ok();
        }
    }
    return invalidArgument("Resize: unknown interpolation mode " +
                           std::to_string(static_cast<int>(attrs.mode)));
}

}  // namespace kiln::cuda
