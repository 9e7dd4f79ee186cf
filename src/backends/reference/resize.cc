// Reference kernel for Resize (TensorRT's IResizeLayer / ONNX Resize). Each output coordinate y along a
// dim maps to a source coordinate x by the coordinate transformation, using attrs.scales when the output
// extent came from them (as ONNX specifies) and out/in otherwise. Nearest rounds x and copies bytes (all
// dtypes, bit-exact). Linear and cubic are separable: one 1-D pass per resized dim over a double buffer,
// rounding to the output type once at the end; linear clamps x into the input, cubic clamps its taps
// (edge padding) or, with excludeOutside, drops them and renormalizes, as in the ONNX reference.
#include <cmath>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"
#include "backends/reference/movement_common.h"

namespace kiln::reference {
namespace {

struct AxisResize {
    int64_t in{0};
    int64_t out{0};
    double scale{1.0};  ///< out / in, or the given scale
    bool identity{false};
};

StatusOr<double> sourceCoordinate(const ir::ResizeAttrs& attrs, const AxisResize& a, int64_t y) {
    if (a.out == 1 && attrs.selectorForSinglePixel == ResizeSelector::kUPPER) return 0.0;
    const double yd = static_cast<double>(y);
    switch (attrs.coordinateTransformation) {
        case ResizeCoordinateTransformation::kALIGN_CORNERS:
            return a.out == 1 ? 0.0 : yd * static_cast<double>(a.in - 1) / static_cast<double>(a.out - 1);
        case ResizeCoordinateTransformation::kASYMMETRIC:
            return yd / a.scale;
        case ResizeCoordinateTransformation::kHALF_PIXEL:
            return (yd + 0.5) / a.scale - 0.5;
        case ResizeCoordinateTransformation::kPYTORCH_HALF_PIXEL:
            return a.out > 1 ? (yd + 0.5) / a.scale - 0.5 : 0.0;
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

/// The taps (input indices) and weights that make output coordinate y along one axis.
struct Taps {
    std::vector<int64_t> index;
    std::vector<double> weight;
};

Taps linearTaps(double x, int64_t n) {
    x = std::min(std::max(x, 0.0), static_cast<double>(n - 1));
    const int64_t x0 = static_cast<int64_t>(std::floor(x));
    const double w = x - static_cast<double>(x0);
    Taps t;
    t.index.push_back(x0);
    t.weight.push_back(1.0 - w);
    if (w > 0.0) {  // leave out zero-weight taps so an inf neighbour cannot turn into NaN
        t.index.push_back(std::min(x0 + 1, n - 1));
        t.weight.push_back(w);
    }
    return t;
}

Taps cubicTaps(double x, int64_t n, double a, bool excludeOutside) {
    const double x0 = std::floor(x);
    const double s = x - x0;
    // Keys' cubic convolution kernel evaluated at distances 1+s, s, 1-s, 2-s.
    const double w[4] = {((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
                         ((a + 2) * s - (a + 3)) * s * s + 1,
                         ((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1,
                         ((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a};
    Taps t;
    double sum = 0.0;
    for (int k = 0; k < 4; ++k) {
        int64_t i = static_cast<int64_t>(x0) - 1 + k;
        bool outside = i < 0 || i >= n;
        if (outside && excludeOutside) continue;
        if (w[k] == 0.0) continue;
        t.index.push_back(std::min(std::max<int64_t>(i, 0), n - 1));
        t.weight.push_back(w[k]);
        sum += w[k];
    }
    if (excludeOutside && sum != 0.0)
        for (double& v : t.weight) v /= sum;
    return t;
}

/// Resizes `cur` (shape `shape`, doubles) along `axis` into a new buffer; updates shape.
std::vector<double> resizeAxis(const KernelContext& ctx, const std::vector<double>& cur, Dims& shape,
                               int axis, const std::vector<Taps>& taps) {
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
                          for (int64_t i = 0; i < inner; ++i) dst[i] = 0.0;
                          for (size_t k = 0; k < t.index.size(); ++k) {
                              const double* src = cur.data() + (o * in + t.index[k]) * inner;
                              for (int64_t i = 0; i < inner; ++i) dst[i] += t.weight[k] * src[i];
                          }
                      }
                  });
    shape.d[axis] = out;
    return next;
}

}  // namespace

Status runResize(const ir::ResizeAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    if (in.type != out.type || out.shape.nbDims != rank)
        return internalError("Resize: output " + std::string(dataTypeName(out.type)) + toString(out.shape) +
                             " does not match input " + dataTypeName(in.type) + toString(in.shape));
    // The same rule as inference: scales drive the coordinate mapping only when they gave the extents.
    const bool dynamicDims = ctx.inputs.size() > 1 && ctx.inputs[1].data;
    const bool useScales = !dynamicDims && attrs.outputDims.nbDims == 0 && !attrs.scales.empty();
    if (useScales && static_cast<int>(attrs.scales.size()) != rank)
        return invalidArgument("Resize: " + std::to_string(attrs.scales.size()) + " scales for input " +
                               toString(in.shape));
    std::vector<AxisResize> axes(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
        AxisResize& a = axes[static_cast<size_t>(d)];
        a.in = in.shape.d[d];
        a.out = out.shape.d[d];
        if (a.in == 0 && a.out > 0)
            return invalidArgument("Resize: cannot resize the empty dimension " + std::to_string(d) +
                                   " of input " + toString(in.shape) + " to " + toString(out.shape));
        a.scale = useScales ? static_cast<double>(attrs.scales[static_cast<size_t>(d)])
                            : (a.in > 0 ? static_cast<double>(a.out) / static_cast<double>(a.in) : 1.0);
        // Every transformation maps y to y when the extent and scale are unchanged.
        a.identity = a.in == a.out && a.scale == 1.0;
    }
    if (out.numel() == 0) return Status::ok();

    if (attrs.mode == InterpolationMode::kNEAREST) {
        AxisMaps maps(static_cast<size_t>(rank));
        for (int d = 0; d < rank; ++d) {
            const AxisResize& a = axes[static_cast<size_t>(d)];
            for (int64_t y = 0; y < a.out; ++y) {
                KILN_ASSIGN_OR_RETURN(double x, sourceCoordinate(attrs, a, y));
                KILN_ASSIGN_OR_RETURN(double r, roundNearest(attrs.nearestRounding, x));
                maps[static_cast<size_t>(d)].push_back(
                    std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(r), 0), a.in - 1));
            }
        }
        gatherByAxisMaps(ctx, in, out, maps, nullptr);
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
        std::vector<Taps> taps;
        for (int64_t y = 0; y < a.out; ++y) {
            KILN_ASSIGN_OR_RETURN(double x, sourceCoordinate(attrs, a, y));
            taps.push_back(attrs.mode == InterpolationMode::kLINEAR
                               ? linearTaps(x, a.in)
                               : cubicTaps(x, a.in, attrs.cubicCoeff, attrs.excludeOutside));
        }
        cur = resizeAxis(ctx, cur, shape, d, taps);
    }
    parallelRange(ctx, out.numel(), 16384, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) storeFromDouble(out.type, out.data, i, cur[static_cast<size_t>(i)]);
    });
    return Status::ok();
}

}  // namespace kiln::reference
