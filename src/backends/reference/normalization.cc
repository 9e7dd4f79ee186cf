// Reference kernel for Normalization (TensorRT INormalizationLayer, validated in
// src/ir/ops/normalization.cc). For group norm the channel axis is viewed as [G, C/G], so every case is
// "statistics over some dims of a view, one group per position of the other dims". Per group: the mean,
// then the population variance as the mean of squared deviations (two passes, in double, so no
// cancellation), then y = (x - mean) / sqrt(var + eps) * scale + bias, with scale and bias read through
// broadcast strides walked alongside x.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/reference/kernels.h"
#include "backends/reference/strided_walk.h"

namespace kiln::reference {

namespace {

/// Strides of broadcast operand `p` along each of x's dims (0 where p has extent 1 or lacks the dim).
std::vector<int64_t> broadcastStrides(const Dims& p, const Dims& x) {
    std::vector<int64_t> own = stridesOf(p);
    std::vector<int64_t> s(static_cast<size_t>(x.nbDims), 0);
    for (int i = 0; i < p.nbDims; ++i) {
        int xi = x.nbDims - p.nbDims + i;
        if (p.d[i] != 1) s[static_cast<size_t>(xi)] = own[static_cast<size_t>(i)];
    }
    return s;
}

/// Extent of `p` along x's dim `xi` (1 if p lacks it).
int64_t extentAlong(const Dims& p, const Dims& x, int xi) {
    int i = xi - (x.nbDims - p.nbDims);
    return i >= 0 ? p.d[i] : 1;
}

}  // namespace

Status runNormalization(const ir::NormalizationAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& scale = ctx.inputs[1];
    const TensorRef& bias = ctx.inputs[2];
    const TensorRef& y = ctx.outputs[0];
    const Dims& shape = x.shape;
    const int64_t groups = attrs.nbGroups;
    if (groups > 1 && (shape.nbDims < 2 || shape.d[1] % groups != 0))
        return internalError("Normalization: nbGroups = " + std::to_string(groups) +
                             " does not split input " + toString(shape));

    // Operand order in the walks: x (and y, same layout), scale, bias.
    std::vector<int64_t> xs = stridesOf(shape);
    std::vector<int64_t> ss = broadcastStrides(scale.shape, shape), bs = broadcastStrides(bias.shape, shape);
    StridedDims<3> kept, reduced;
    for (int i = 0; i < shape.nbDims; ++i) {
        const size_t u = static_cast<size_t>(i);
        if (i == 1 && groups > 1) {
            // Channel c = g * (C/G) + j. A per-channel operand advances by its stride per channel; a
            // per-group one (extent G != C) advances once per group and stays put within it.
            const int64_t per = shape.d[1] / groups;
            auto groupStride = [&](const Dims& p, int64_t s) {
                return extentAlong(p, shape, 1) == shape.d[1] ? s * per : s;
            };
            auto withinStride = [&](const Dims& p, int64_t s) {
                return extentAlong(p, shape, 1) == shape.d[1] ? s : 0;
            };
            kept.add(groups, {xs[u] * per, groupStride(scale.shape, ss[u]), groupStride(bias.shape, bs[u])});
            reduced.add(per, {xs[u], withinStride(scale.shape, ss[u]), withinStride(bias.shape, bs[u])});
            continue;
        }
        StridedDims<3>* target = ((attrs.axes >> i) & 1u) ? &reduced : &kept;
        target->add(shape.d[i], {xs[u], ss[u], bs[u]});
    }
    const int64_t count = reduced.volume();
    if (count == 0 || kept.volume() == 0) return Status::ok();  // no elements, nothing to write
    const double eps = attrs.epsilon;
    ctx.pool->parallelFor(
        kept.volume(), std::max<int64_t>(1, (1 << 14) / count), [&](int64_t begin, int64_t end) {
            for (int64_t k = begin; k < end; ++k) {
                const std::array<int64_t, 3> base = kept.offsetsAt(k);
                double sum = 0.0;
                reduced.walk(base, [&](const std::array<int64_t, 3>& o) {
                    sum += loadAsDouble(x.type, x.data, o[0]);
                });
                const double mean = sum / static_cast<double>(count);
                double sq = 0.0;
                reduced.walk(base, [&](const std::array<int64_t, 3>& o) {
                    double d = loadAsDouble(x.type, x.data, o[0]) - mean;
                    sq += d * d;
                });
                const double invStd = 1.0 / std::sqrt(sq / static_cast<double>(count) + eps);
                reduced.walk(base, [&](const std::array<int64_t, 3>& o) {
                    double xhat = (loadAsDouble(x.type, x.data, o[0]) - mean) * invStd;
                    double v = xhat * loadAsDouble(scale.type, scale.data, o[1]) +
                               loadAsDouble(bias.type, bias.data, o[2]);
                    storeFromDouble(y.type, y.data, o[0], v);
                });
            }
        });
    return Status::ok();
}

}  // namespace kiln::reference
