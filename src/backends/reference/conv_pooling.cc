// Reference kernel for Pooling: max, average and max-average blend over 1 to 3 spatial dims, with
// stride, dilation, explicit or SAME padding and global windows; one thread-pool task per (n, c) plane,
// direct loops over each window, values handled as double (exact for every accepted type, int8/uint8
// included). Padding never contributes to the max. The average divides by the taps inside the input
// (averageCountExcludesPadding) or by the taps inside the padded input [-pre, in + post) — so the
// region a ceil-mode window hangs past the post-padding never counts, as in TensorRT, PyTorch and ONNX.
// Max pooling's optional output 1 receives, per output element, the int64 flat index into the whole
// input of the first tap holding the max (NaN counting as the max), row- or column-major over the
// spatial dims as the attribute says, or -1 for a window with no input tap (ONNX MaxPool's Indices).
// Channels-last pooling ([N, H, W, C], no indices) runs this same kernel on permuted copies.
#include <cmath>
#include <limits>

#include "backends/reference/conv_common.h"

namespace kiln::reference {
namespace {

using conv_detail::Geometry;
using conv_detail::kSpatial;

struct WindowResult {
    double max{-std::numeric_limits<double>::infinity()};
    double sum{0.0};
    int64_t inside{0};   ///< taps on input elements
    int64_t padded{0};   ///< taps on input or padding elements
    int64_t argmax{-1};  ///< spatial index of the first tap holding `max` (row- or column-major)
};

WindowResult poolWindow(const double* plane, const Geometry& g, const int64_t o[kSpatial], bool columnMajor) {
    WindowResult r;
    int64_t start[kSpatial];
    for (int i = 0; i < kSpatial; ++i) start[i] = o[i] * g.stride[i] - g.pre[i];
    for (int64_t t0 = 0; t0 < g.kernel[0]; ++t0) {
        const int64_t i0 = start[0] + t0 * g.dilation[0];
        for (int64_t t1 = 0; t1 < g.kernel[1]; ++t1) {
            const int64_t i1 = start[1] + t1 * g.dilation[1];
            for (int64_t t2 = 0; t2 < g.kernel[2]; ++t2) {
                const int64_t i2 = start[2] + t2 * g.dilation[2];
                const int64_t idx[kSpatial]{i0, i1, i2};
                bool inside = true, padded = true;
                for (int i = 0; i < kSpatial; ++i) {
                    inside = inside && idx[i] >= 0 && idx[i] < g.in[i];
                    padded = padded && idx[i] >= -g.pre[i] && idx[i] < g.in[i] + g.post[i];
                }
                r.padded += padded ? 1 : 0;
                if (!inside) continue;
                const int64_t rowMajor = (i0 * g.in[1] + i1) * g.in[2] + i2;
                const double v = plane[rowMajor];
                // The first tap reaching the max wins ties; NaN propagates, as in PyTorch.
                if (r.inside == 0 || (std::isnan(v) && !std::isnan(r.max)) || v > r.max) {
                    r.max = v;
                    // Column-major: the first spatial dim varies fastest (leading unit slots add nothing).
                    r.argmax = columnMajor ? (i2 * g.in[1] + i1) * g.in[0] + i0 : rowMajor;
                }
                r.sum += v;
                ++r.inside;
            }
        }
    }
    return r;
}

/// Max of a window with no input taps (only reachable through large dilation): -inf, or the type's
/// lowest value for integer types.
double emptyMax(DataType type) {
    if (type == DataType::kINT8) return std::numeric_limits<int8_t>::lowest();
    if (type == DataType::kUINT8) return 0.0;
    return -std::numeric_limits<double>::infinity();
}

/// Channels-last Pooling: the channels-first kernel on a permuted copy of x, the result permuted back into
/// y (the oracle reuses its one pooling loop rather than a second one).
Status runChannelsLastPooling(const ir::PoolingAttrs& a, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& y = ctx.outputs[0];
    KILN_CHECK_ARG(
        x.shape.nbDims == 4 && y.shape.nbDims == 4 && dataTypeSize(x.type) >= 1 && dataTypeSize(y.type) >= 1,
        "Pooling: channels-last pooling takes 2-D [N, H, W, C] tensors of a byte-sized type, got input "
            << dataTypeName(x.type) << toString(x.shape) << " and output " << dataTypeName(y.type)
            << toString(y.shape));
    KILN_CHECK_ARG(ctx.outputs.size() == 1, "Pooling: channels-last pooling has no indices output, got "
                                                << ctx.outputs.size() << " outputs");
    if (y.numel() == 0) return Status::ok();
    const conv_detail::ChannelsFirstCopy xFirst(x, ctx.pool);
    const conv_detail::ChannelsFirstOutput yFirst(y);
    ir::PoolingAttrs first = a;
    first.channelsLast = false;
    KILN_RETURN_IF_ERROR(
        runPooling(first, KernelContext{std::span<const TensorRef>(&xFirst.ref, 1),
                                        std::span<const TensorRef>(&yFirst.ref, 1), ctx.pool}));
    yFirst.finish(ctx.pool);
    return Status::ok();
}

}  // namespace

Status runPooling(const ir::PoolingAttrs& a, const KernelContext& ctx) {
    if (a.channelsLast) return runChannelsLastPooling(a, ctx);
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& y = ctx.outputs[0];
    double maxWeight = 1.0, averageWeight = 0.0;  // y = maxWeight * max + averageWeight * average
    switch (a.type) {
        case PoolingType::kMAX:
            break;
        case PoolingType::kAVERAGE:
            maxWeight = 0.0;
            averageWeight = 1.0;
            break;
        case PoolingType::kMAX_AVERAGE_BLEND:
            maxWeight = 1.0 - a.blendFactor;
            averageWeight = a.blendFactor;
            break;
    }
    const bool intMax =
        a.type == PoolingType::kMAX && (x.type == DataType::kINT8 || x.type == DataType::kUINT8);
    KILN_CHECK_ARG((isFloatType(x.type) || intMax) && y.type == x.type,
                   "Pooling: input " << dataTypeName(x.type) << " / output " << dataTypeName(y.type)
                                     << " must be the same float type (int8/uint8 for max pooling only)");
    KILN_ASSIGN_OR_RETURN(Geometry g, conv_detail::poolingGeometry(a, x.shape, y.shape));
    const TensorRef* indices = ctx.outputs.size() > 1 ? &ctx.outputs[1] : nullptr;
    KILN_CHECK_ARG(!indices || (a.type == PoolingType::kMAX && indices->type == DataType::kINT64 &&
                                indices->shape == y.shape),
                   "Pooling: output 1 (indices) must be int64 of the output's shape "
                       << toString(y.shape) << " and needs max pooling; got " << dataTypeName(indices->type)
                       << toString(indices->shape) << " with pooling type " << static_cast<int>(a.type));
    const int64_t planes = x.shape.d[0] * x.shape.d[1], inVol = g.inVolume(), outVol = g.outVolume();
    const double lowest = emptyMax(x.type);
    conv_detail::parallelFor(ctx.pool, planes, 1, [&](int64_t begin, int64_t end) {
        std::vector<double> plane(static_cast<size_t>(inVol));
        for (int64_t pl = begin; pl < end; ++pl) {
            for (int64_t i = 0; i < inVol; ++i)
                plane[static_cast<size_t>(i)] = loadAsDouble(x.type, x.data, pl * inVol + i);
            for (int64_t p = 0; p < outVol; ++p) {
                int64_t o[kSpatial];
                int64_t rest = p;
                for (int i = kSpatial - 1; i >= 0; --i) {
                    o[i] = rest % g.out[i];
                    rest /= g.out[i];
                }
                const WindowResult r = poolWindow(plane.data(), g, o, a.indicesColumnMajor);
                if (indices)
                    static_cast<int64_t*>(indices->data)[pl * outVol + p] =
                        r.argmax < 0 ? -1 : pl * inVol + r.argmax;
                const int64_t divisor = a.averageCountExcludesPadding ? r.inside : r.padded;
                const double average = divisor > 0 ? r.sum / static_cast<double>(divisor) : 0.0;
                const double max = r.inside > 0 ? r.max : lowest;
                double v = average;
                if (averageWeight == 0.0)
                    v = max;  // keeps -inf and integers exact: no 0 * inf, no blend rounding
                else if (maxWeight != 0.0)
                    v = maxWeight * max + averageWeight * average;
                storeFromDouble(y.type, y.data, pl * outVol + p, v);
            }
        }
    });
    return Status::ok();
}

}  // namespace kiln::reference
