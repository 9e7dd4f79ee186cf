// Reference kernel for Resize (TensorRT's IResizeLayer / ONNX Resize). Each output coordinate y along a
// dim maps to a source coordinate x by the coordinate transformation, using the given scale when there is
// one (input 2, or attrs.scales when they gave the extents), as ONNX specifies, and out/in otherwise; with
// a given scale the "resized length" of align_corners, tf_crop_and_resize and half_pixel_symmetric is the
// fractional in * scale. Nearest rounds x and copies bytes (all dtypes, bit-exact). Linear and cubic are
// separable: one 1-D pass per resized dim over a double buffer, rounding to the output type once at the
// end. Their taps are the filter K((j - x) * s) over the input indices j around x, with edge indices
// clamped into the input; s is 1, or min(1, scale) with antialias (the filter stretched by 1 / scale, then
// normalized). excludeOutside drops taps outside the input and renormalizes; tf_crop_and_resize points
// outside the input take the extrapolation value. This follows the ONNX reference implementation.
#include <cmath>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"
#include "backends/reference/movement_common.h"

namespace kiln::reference {
namespace {

using CT = ResizeCoordinateTransformation;

struct AxisResize {
    int64_t in{0};
    int64_t out{0};
    double scale{1.0};   ///< the given scale, or out / in
    double length{0.0};  ///< the resized length: in * the given scale (may be fractional), or out
    double roiStart{0.0};
    double roiEnd{1.0};
    bool identity{false};
};

/// The source coordinate of output index y, and whether tf_crop_and_resize puts it outside the input.
struct Source {
    double x{0.0};
    bool extrapolated{false};
};

StatusOr<Source> sourceCoordinate(const ir::ResizeAttrs& attrs, const AxisResize& a, int64_t y) {
    if (a.out == 1 && attrs.selectorForSinglePixel == ResizeSelector::kUPPER) return Source{};
    const double yd = static_cast<double>(y);
    const double last = static_cast<double>(a.in - 1);
    switch (attrs.coordinateTransformation) {
        case CT::kALIGN_CORNERS:
            return Source{a.length == 1.0 ? 0.0 : yd * last / (a.length - 1.0), false};
        case CT::kASYMMETRIC:
            return Source{yd / a.scale, false};
        case CT::kHALF_PIXEL:
            return Source{(yd + 0.5) / a.scale - 0.5, false};
        case CT::kPYTORCH_HALF_PIXEL:
            return Source{a.out > 1 ? (yd + 0.5) / a.scale - 0.5 : 0.0, false};
        case CT::kHALF_PIXEL_SYMMETRIC: {
            // Shift so that the input's centre lands on the output's centre when the integer extent
            // falls short of in * scale.
            const double adjustment = static_cast<double>(a.out) / a.length;
            const double offset = static_cast<double>(a.in) / 2.0 * (1.0 - adjustment);
            return Source{offset + (yd + 0.5) / a.scale - 0.5, false};
        }
        case CT::kTF_CROP_AND_RESIZE: {
            const double x = a.length > 1.0
                                 ? a.roiStart * last + yd * (a.roiEnd - a.roiStart) * last / (a.length - 1.0)
                                 : 0.5 * (a.roiStart + a.roiEnd) * last;
            return Source{x, x < 0.0 || x > last};
        }
    }
    return invalidArgument("Resize: unknown coordinate transformation " +
                           std::to_string(static_cast<int>(attrs.coordinateTransformation)));
}

StatusOr<double> roundNearest(ResizeRoundMode mode, double x) {
    switch (mode) {
        case ResizeRoundMode::kHALF_UP:
            return std::floor(x + 0.5);  // ONNX round_prefer_ceil
        case ResizeRoundMode::kHALF_DOWN:
            return std::ceil(x - 0.5);  // ONNX round_prefer_floor
        case ResizeRoundMode::kFLOOR:
            return std::floor(x);
        case ResizeRoundMode::kCEIL:
            return std::ceil(x);
    }
    return invalidArgument("Resize: unknown nearest rounding " + std::to_string(static_cast<int>(mode)));
}

/// The taps (input indices) and weights that make output coordinate y along one axis; `extrapolated`
/// rows take the extrapolation value instead.
struct Taps {
    std::vector<int64_t> index;
    std::vector<double> weight;
    bool extrapolated{false};
};

/// Keys' cubic convolution kernel with coefficient a; zero beyond |t| = 2.
double cubicKernel(double t, double a) {
    t = std::fabs(t);
    if (t <= 1.0) return ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
    if (t < 2.0) return ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a;
    return 0.0;
}

double linearKernel(double t) {
    t = std::fabs(t);
    return t < 1.0 ? 1.0 - t : 0.0;
}

/// Linear or cubic taps around source coordinate x on an axis of n points. `s` (<= 1) stretches the filter
/// by 1 / s, widening its support from `radius` to radius / s points on each side; a stretched filter
/// (antialias) is normalized to sum 1.
Taps filterTaps(const ir::ResizeAttrs& attrs, double x, int64_t n, double s) {
    const bool linear = attrs.mode == InterpolationMode::kLINEAR;
    const double radius = linear ? 1.0 : 2.0;
    // base + ratio = x with ratio in (0, 1]: an integer x counts as the right end of the cell to its left,
    // so the taps k = first .. 1 - first sit symmetrically around the cell [base, base + 1].
    double base = std::floor(x);
    double ratio = x - base;
    if (ratio == 0.0) {
        base -= 1.0;
        ratio = 1.0;
    }
    const int64_t first = static_cast<int64_t>(std::floor(-radius / s)) + 1;
    Taps t;
    double sum = 0.0;
    for (int64_t k = first; k <= 1 - first; ++k) {
        const int64_t j = static_cast<int64_t>(base) + k;
        if (attrs.excludeOutside && (j < 0 || j >= n)) continue;
        const double d = (static_cast<double>(k) - ratio) * s;
        const double w = linear ? linearKernel(d) : cubicKernel(d, attrs.cubicCoeff);
        t.index.push_back(std::min(std::max<int64_t>(j, 0), n - 1));
        t.weight.push_back(w);
        sum += w;
    }
    // Keys' kernel and the triangle sum to 1 unstretched; stretched, and with taps dropped, they do not.
    if ((attrs.excludeOutside || s < 1.0) && sum != 0.0)
        for (double& w : t.weight) w /= sum;
    // Leave out zero-weight taps so that an inf neighbour cannot turn the sum into NaN.
    Taps kept;
    for (size_t k = 0; k < t.index.size(); ++k) {
        if (t.weight[k] == 0.0) continue;
        kept.index.push_back(t.index[k]);
        kept.weight.push_back(t.weight[k]);
    }
    return kept;
}

/// Resizes `cur` (shape `shape`, doubles) along `axis` into a new buffer; updates shape.
std::vector<double> resizeAxis(const KernelContext& ctx, const std::vector<double>& cur, Dims& shape,
                               int axis, const std::vector<Taps>& taps, double extrapolation) {
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= shape.d[d];
    for (int d = axis + 1; d < shape.nbDims; ++d) inner *= shape.d[d];
    const int64_t in = shape.d[axis], out = static_cast<int64_t>(taps.size());
    std::vector<double> next(static_cast<size_t>(outer * out * inner));
    parallelRange(ctx, outer * out, std::max<int64_t>(1, 8192 / std::max<int64_t>(inner, 1)),
                  [&](int64_t begin, int64_t end) {
                      for (int64_t row = begin; row < end; ++row) {
                          const int64_t o = row / out, y = row % out;
                          const Taps& t = taps[static_cast<size_t>(y)];
                          double* dst = next.data() + row * inner;
                          for (int64_t i = 0; i < inner; ++i) dst[i] = t.extrapolated ? extrapolation : 0.0;
                          if (t.extrapolated) continue;
                          for (size_t k = 0; k < t.index.size(); ++k) {
                              const double* src = cur.data() + (o * in + t.index[k]) * inner;
                              for (int64_t i = 0; i < inner; ++i) dst[i] += t.weight[k] * src[i];
                          }
                      }
                  });
    shape.d[axis] = out;
    return next;
}

/// Per-axis extents, scales and region of interest, following the same rules as inference.
StatusOr<std::vector<AxisResize>> axisParameters(const ir::ResizeAttrs& attrs, const KernelContext& ctx) {
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
    const auto roiAt = [&](int64_t i) {
        return runRoi ? loadAsDouble(runRoi->type, runRoi->data, i)
                      : static_cast<double>(attrs.roi[static_cast<size_t>(i)]);
    };
    std::vector<AxisResize> axes(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
        AxisResize& a = axes[static_cast<size_t>(d)];
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
        if (roiCount != 0) {
            a.roiStart = roiAt(d);
            a.roiEnd = roiAt(d + rank);
        }
        // Every transformation maps y to y when the extent and scale are unchanged, tf_crop_and_resize
        // only when its region is the whole axis.
        const bool wholeRoi = attrs.coordinateTransformation != CT::kTF_CROP_AND_RESIZE ||
                              (a.roiStart == 0.0 && a.roiEnd == 1.0);
        a.identity = a.in == a.out && a.scale == 1.0 && wholeRoi;
    }
    return axes;
}

}  // namespace

Status runResize(const ir::ResizeAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    if (in.type != out.type || out.shape.nbDims != rank)
        return internalError("Resize: output " + std::string(dataTypeName(out.type)) + toString(out.shape) +
                             " does not match input " + dataTypeName(in.type) + toString(in.shape));
    KILN_ASSIGN_OR_RETURN(std::vector<AxisResize> axes, axisParameters(attrs, ctx));
    if (out.numel() == 0) return Status::ok();

    if (attrs.mode == InterpolationMode::kNEAREST) {
        AxisMaps maps(static_cast<size_t>(rank));
        for (int d = 0; d < rank; ++d) {
            const AxisResize& a = axes[static_cast<size_t>(d)];
            for (int64_t y = 0; y < a.out; ++y) {
                KILN_ASSIGN_OR_RETURN(Source src, sourceCoordinate(attrs, a, y));
                KILN_ASSIGN_OR_RETURN(double r, roundNearest(attrs.nearestRounding, src.x));
                maps[static_cast<size_t>(d)].push_back(
                    src.extrapolated
                        ? kFillCoordinate
                        : std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(r), 0), a.in - 1));
            }
        }
        // The extrapolation value in the tensor's type, for tf_crop_and_resize points outside the input.
        std::vector<uint8_t> fill(static_cast<size_t>(dataTypeSize(in.type)));
        storeFromDouble(in.type, fill.data(), 0, static_cast<double>(attrs.extrapolationValue));
        gatherByAxisMaps(ctx, in, out, maps, fill.data());
        return Status::ok();
    }
    if (attrs.mode != InterpolationMode::kLINEAR && attrs.mode != InterpolationMode::kCUBIC)
        return invalidArgument("Resize: unknown interpolation mode " +
                               std::to_string(static_cast<int>(attrs.mode)));
    if (!isFloatType(in.type))
        return invalidArgument(
            std::string("Resize: linear and cubic interpolation need a float input, got ") +
            dataTypeName(in.type));

    std::vector<double> cur(static_cast<size_t>(in.numel()));
    parallelRange(ctx, in.numel(), 16384, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) cur[static_cast<size_t>(i)] = loadAsDouble(in.type, in.data, i);
    });
    Dims shape = in.shape;
    for (int d = 0; d < rank; ++d) {
        const AxisResize& a = axes[static_cast<size_t>(d)];
        if (a.identity) continue;
        const double s = attrs.antialias ? std::min(a.scale, 1.0) : 1.0;
        std::vector<Taps> taps;
        for (int64_t y = 0; y < a.out; ++y) {
            KILN_ASSIGN_OR_RETURN(Source src, sourceCoordinate(attrs, a, y));
            Taps t = src.extrapolated ? Taps{} : filterTaps(attrs, src.x, a.in, s);
            t.extrapolated = src.extrapolated;
            taps.push_back(std::move(t));
        }
        cur = resizeAxis(ctx, cur, shape, d, taps, static_cast<double>(attrs.extrapolationValue));
    }
    parallelRange(ctx, out.numel(), 16384, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) storeFromDouble(out.type, out.data, i, cur[static_cast<size_t>(i)]);
    });
    return Status::ok();
}

}  // namespace kiln::reference
