// CUDA runResize: the host half of the Resize kernels. Per-axis extents, scales, resized lengths and the
// region of interest are resolved exactly as the reference resolves them (src/backends/reference/
// resize.cc, axisParameters): the scales of input 2 (host values: a shape tensor) or of the attribute
// steer the mapping when given, else out / in. A region of interest from input 3 is a device tensor and
// is read by the kernels. When only the last two axes resize, the fast path of resize_trailing.cu runs
// (planTrailingResize decides and lays out its grid); everything else takes the general kernels of
// resize_nearest.cu and resize_filter.cu, whose linear and cubic filters are limited to kMaxFilteredAxes
// resized axes and kMaxFilterTaps taps per axis (antialias at very small scales); beyond that the op is
// unsupported with a message saying so.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/common/reduce_host.h"
#include "backends/cuda/kernels/resize/resize_plan.h"
#include "backends/cuda/kernels/resize/resize_trailing.h"

namespace kiln::cuda {
namespace {

using CT = ResizeCoordinateTransformation;

Status axisParameters(const ir::ResizeAttrs& attrs, std::span<const TensorRef> inputs, const TensorRef& out,
                      rk::ResizeParams* p) {
    const TensorRef& in = inputs[0];
    const int rank = in.shape.nbDims;
    const auto given = [&](size_t i) -> const TensorRef* {
        return inputs.size() > i && inputs[i].data ? &inputs[i] : nullptr;
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

std::string axisText(const rk::ResizeAxis& a) {
    return std::to_string(a.in) + " -> " + std::to_string(a.out);
}

}  // namespace

StatusOr<rk::ResizeParams> makeResizeParams(const ir::ResizeAttrs& attrs, std::span<const TensorRef> inputs,
                                            const TensorRef& out) {
    const TensorRef& in = inputs[0];
    const int rank = in.shape.nbDims;
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
    // The extrapolation value in the element type, for nearest's tf_crop_and_resize points outside the input.
    uint8_t fill[8] = {};
    if (const int64_t size = dataTypeSize(in.type); size >= 1 && size <= 8)
        storeFromDouble(in.type, fill, 0, static_cast<double>(attrs.extrapolationValue));
    std::memcpy(&p.extrapolationBits, fill, sizeof(fill));
    const std::vector<int64_t> strides = stridesOf(in.shape);
    for (int d = 0; d < rank; ++d) p.inStrides[d] = strides[static_cast<size_t>(d)];
    KILN_RETURN_IF_ERROR(axisParameters(attrs, inputs, out, &p));
    return p;
}

TrailingPlan planTrailingResize(const rk::ResizeParams& p, int64_t elementSize, uintptr_t outAddress) {
    TrailingPlan plan;
    rk::TrailingResize& g = plan.geometry;
    const int rank = p.rank;
    if (rank < 1) {
        plan.refusal = "a rank-0 input has no axis to resize";
        return plan;
    }
    for (int d = 0; d + 2 < rank; ++d) {
        const rk::ResizeAxis& a = p.axis[d];
        if (!a.identity) {
            plan.refusal = "dimension " + std::to_string(d) + " (" + axisText(a) +
                           ") is not one of the last two but does not map to itself";
            return plan;
        }
        g.planes *= a.in;
    }
    if (p.roiDevice && p.transform == CT::kTF_CROP_AND_RESIZE) {
        plan.refusal = "the region of interest of tf_crop_and_resize is a device tensor (input 3)";
        return plan;
    }
    if (elementSize != 1 && elementSize != 2 && elementSize != 4 && elementSize != 8) {
        plan.refusal = "elements of " + std::to_string(elementSize) + " bytes";
        return plan;
    }
    rk::ResizeAxis unit;  // rank 1: a unit H axis
    unit.identity = true;
    g.h = rank >= 2 ? p.axis[rank - 2] : unit;
    g.w = p.axis[rank - 1];
    const bool filter = p.mode != InterpolationMode::kNEAREST;
    for (const rk::ResizeAxis* a : {&g.h, &g.w})
        if (filter && !a->identity && a->filterScale != 1.0) {
            plan.refusal = "antialias stretches the filter of dimension " +
                           std::to_string(a == &g.w ? rank - 1 : rank - 2) + " (" + axisText(*a) +
                           ", scale " + std::to_string(a->scale) + ") beyond " +
                           std::to_string(rk::trailingTapCount(p.mode)) + " taps";
            return plan;
        }
    // Column offsets (up to outW + 256 threads x 16 elements, for the idle threads of the last block
    // column) and offsets inside an input plane are 32-bit.
    constexpr int64_t kMax = int64_t{1} << 30;
    if (g.h.in > kMax || g.h.out > kMax || g.w.in > kMax || g.w.out > kMax || g.h.in * g.w.in > kMax) {
        plan.refusal = "the planes (" + axisText(g.h) + " x " + axisText(g.w) + ") need 64-bit offsets";
        return plan;
    }
    g.inH = static_cast<int32_t>(g.h.in);
    g.inW = static_cast<int32_t>(g.w.in);
    g.outH = static_cast<int32_t>(g.h.out);
    g.outW = static_cast<int32_t>(g.w.out);
    g.vector = rk::trailingVector(elementSize, filter);
    const uint64_t word = static_cast<uint64_t>(g.vector * elementSize);
    g.vectorStores = g.outW % g.vector == 0 && outAddress % word == 0;
    // x: the column chunks of a row (one block row covers up to 256 of them); y: rows, a block of
    // 256 threads spanning 256 / blockX rows, grid-stride beyond kTrailingTargetBlocks blocks.
    const int64_t chunks = (g.outW + g.vector - 1) / g.vector;
    g.blockX = static_cast<uint32_t>(std::min<int64_t>(chunks, 256));
    g.blockY = std::max<uint32_t>(1, 256 / g.blockX);
    g.gridX = static_cast<uint32_t>((chunks + g.blockX - 1) / g.blockX);
    const int64_t rows = g.planes * g.outH;
    const int64_t wanted = (rows + g.blockY - 1) / g.blockY;
    const int64_t cap = std::min<int64_t>(65535, std::max<int64_t>(1, kTrailingTargetBlocks / g.gridX));
    g.gridY = static_cast<uint32_t>(std::clamp<int64_t>(wanted, 1, cap));
    return plan;
}

Status runResize(const ir::ResizeAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    if (in.type != out.type || out.shape.nbDims != rank)
        return internalError("Resize: output " + std::string(dataTypeName(out.type)) + toString(out.shape) +
                             " does not match input " + dataTypeName(in.type) + toString(in.shape));
    if (ctx.tactic != -1 && ctx.tactic != kResizeGeneralTactic && ctx.tactic != kResizeTrailingTactic)
        return invalidArgument("Resize: unknown tactic " + std::to_string(ctx.tactic) +
                               "; expected -1 (default), " + std::to_string(kResizeGeneralTactic) + " (" +
                               kResizeGeneralTacticName + ") or " + std::to_string(kResizeTrailingTactic) +
                               " (" + kResizeTrailingTacticName + ")");
    KILN_ASSIGN_OR_RETURN(const rk::ResizeParams p, makeResizeParams(attrs, ctx.inputs, out));
    if (out.numel() == 0) return Status::ok();
    const int64_t size = dataTypeSize(in.type);
    const TrailingPlan fast = planTrailingResize(p, size, reinterpret_cast<uintptr_t>(out.data));
    if (ctx.tactic == kResizeTrailingTactic && !fast.refusal.empty())
        return unsupported(std::string("Resize: tactic ") + kResizeTrailingTacticName + " cannot resize " +
                           dataTypeName(in.type) + toString(in.shape) + " to " + toString(out.shape) + ": " +
                           fast.refusal + "; leave the tactic to the kernel (-1) or force " +
                           kResizeGeneralTacticName);
    const bool trailing = fast.refusal.empty() && ctx.tactic != kResizeGeneralTactic;

    switch (attrs.mode) {
        case InterpolationMode::kNEAREST: {
            if (size != 1 && size != 2 && size != 4 && size != 8)
                return unsupported(std::string("Resize: no CUDA kernel for ") + dataTypeName(in.type) +
                                   " elements");
            KILN_CUDA_RETURN_IF_ERROR(
                trailing
                    ? rk::launchResizeTrailingNearest(size, in.data, out.data, p, fast.geometry, ctx.stream)
                    : rk::launchResizeNearest(size, in.data, out.data, out.numel(), p, ctx.stream));
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
                trailing
                    ? rk::launchResizeTrailingFilter(type, in.data, out.data, p, fast.geometry, ctx.stream)
                    : rk::launchResizeFilter(type, in.data, out.data, out.numel(), p, ctx.stream));
            return Status::ok();
        }
    }
    return invalidArgument("Resize: unknown interpolation mode " +
                           std::to_string(static_cast<int>(attrs.mode)));
}

}  // namespace kiln::cuda
