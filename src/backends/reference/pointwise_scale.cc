// Reference kernel for Scale: y = (x * scale + shift) ^ power, in double, rounded once on store. Inputs 1..3
// (shift, scale, power) are optional (absent: 0, 1, 1) and hold one value (kUNIFORM), one per channel of
// channelAxis (kCHANNEL) or one per element of the dims from channelAxis onward (kELEMENTWISE).
#include <cmath>

#include "backends/reference/kernels.h"
#include "backends/reference/pointwise_util.h"

namespace kiln::reference {

Status runScale(const ir::ScaleAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    if (!isFloatType(x.type) || out.type != x.type || out.numel() != x.numel())
        return internalError("Scale kernel: output " + std::string(dataTypeName(out.type)) +
                             toString(out.shape) + " does not match input " + dataTypeName(x.type) +
                             toString(x.shape));
    const int64_t n = x.numel();
    if (n == 0) return Status::ok();

    // Coefficient index of element i: (i / inner) % period, with period = 1 for kUNIFORM.
    const int rank = x.shape.nbDims;
    const int axis = attrs.channelAxis;
    int64_t inner = 1;
    int64_t period = 1;
    bool knownMode = false;
    switch (attrs.mode) {
        case ScaleMode::kUNIFORM:
            knownMode = true;
            break;
        case ScaleMode::kCHANNEL:
        case ScaleMode::kELEMENTWISE: {
            if (axis < 0 || axis >= rank)
                return internalError("Scale kernel: channel axis " + std::to_string(axis) + " outside rank " +
                                     std::to_string(rank));
            for (int d = axis + 1; d < rank; ++d) inner *= x.shape.d[d];
            period = x.shape.d[axis];
            if (attrs.mode == ScaleMode::kELEMENTWISE) {
                period *= inner;
                inner = 1;
            }
            knownMode = true;
            break;
        }
    }
    if (!knownMode)
        return internalError("Scale kernel: unknown mode " +
                             std::to_string(static_cast<int32_t>(attrs.mode)));

    // shift, scale, power; null when absent.
    const TensorRef* coef[3] = {nullptr, nullptr, nullptr};
    for (size_t k = 1; k < ctx.inputs.size() && k <= 3; ++k) {
        const TensorRef& c = ctx.inputs[k];
        if (c.data == nullptr || c.shape.nbDims < 0) continue;
        if (!isFloatType(c.type) || c.numel() != period)
            return internalError("Scale kernel: coefficient input " + std::to_string(k) + " " +
                                 dataTypeName(c.type) + toString(c.shape) + " does not hold " +
                                 std::to_string(period) + " float values");
        coef[k - 1] = &c;
    }
    auto coefAt = [](const TensorRef* c, int64_t j, double absent) {
        return c != nullptr ? loadAsDouble(c->type, c->data, j) : absent;
    };
    pointwise::parallelRange(ctx, n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const int64_t j = (i / inner) % period;
            double v = loadAsDouble(x.type, x.data, i) * coefAt(coef[1], j, 1.0) + coefAt(coef[0], j, 0.0);
            if (coef[2] != nullptr) v = std::pow(v, coefAt(coef[2], j, 1.0));
            pointwise::storeFloat(out.type, out.data, i, v);
        }
    });
    return Status::ok();
}

}  // namespace kiln::reference
