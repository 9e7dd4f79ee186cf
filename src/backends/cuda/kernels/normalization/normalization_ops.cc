// CUDA runNormalization: the host half of normalization_groups.cu. Splits x's dims into kept and reduced
// ones exactly as the reference does (src/backends/reference/normalization.cc: group norm views the
// channel axis as [groups, channels per group]; scale and bias walk alongside x with broadcast strides,
// a per-group operand advancing once per group), then drops extent-1 dims and merges neighbours whose
// strides allow it for all three operands, so layer and instance norm reduce over one contiguous dim.
// The LayerNorm form (rows of contiguous elements, affine per element) goes to the register-rows kernel
// when planNormRows (normalization_plan.h) says it fits; everything else to the general kernel.
#include <string>
#include <vector>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/common/reduce_host.h"
#include "backends/cuda/kernels/normalization/normalization_plan.h"

namespace kiln::cuda {
namespace {

/// Strides of broadcast operand `p` along each of x's dims (0 where p has extent 1 or lacks the dim).
std::vector<int64_t> broadcastStrides(const Dims& p, const Dims& x) {
    const std::vector<int64_t> own = stridesOf(p);
    std::vector<int64_t> s(static_cast<size_t>(x.nbDims), 0);
    for (int i = 0; i < p.nbDims; ++i)
        if (p.d[i] != 1) s[static_cast<size_t>(x.nbDims - p.nbDims + i)] = own[static_cast<size_t>(i)];
    return s;
}

int64_t extentAlong(const Dims& p, const Dims& x, int xi) {
    const int i = xi - (x.nbDims - p.nbDims);
    return i >= 0 ? p.d[i] : 1;
}

struct Dim {
    int64_t extent;
    int64_t stride[3];
};

/// Appends a dim, merging it into the previous one when all three operands step through both as one.
void appendDim(std::vector<Dim>& dims, const Dim& d) {
    if (d.extent == 1) return;
    if (!dims.empty()) {
        Dim& last = dims.back();
        bool mergeable = true;
        for (int j = 0; j < 3; ++j) mergeable = mergeable && last.stride[j] == d.stride[j] * d.extent;
        if (mergeable) {
            last.extent *= d.extent;
            for (int j = 0; j < 3; ++j) last.stride[j] = d.stride[j];
            return;
        }
    }
    dims.push_back(d);
}

}  // namespace

namespace rk {

NormGeometry normGeometry(const Dims& shape, const Dims& scaleShape, const Dims& biasShape, uint32_t axes,
                          int64_t groups) {
    const std::vector<int64_t> xs = stridesOf(shape);
    const std::vector<int64_t> ss = broadcastStrides(scaleShape, shape),
                               bs = broadcastStrides(biasShape, shape);
    std::vector<Dim> kept, reduced;
    for (int i = 0; i < shape.nbDims; ++i) {
        const size_t u = static_cast<size_t>(i);
        if (i == 1 && groups > 1) {
            // Channel c = g * (C/G) + j: a per-channel operand advances per channel, a per-group one
            // (extent G != C) once per group and not within it.
            const int64_t per = shape.d[1] / groups;
            const bool scalePerChannel = extentAlong(scaleShape, shape, 1) == shape.d[1];
            const bool biasPerChannel = extentAlong(biasShape, shape, 1) == shape.d[1];
            appendDim(kept, {groups,
                             {xs[u] * per, scalePerChannel ? ss[u] * per : ss[u],
                              biasPerChannel ? bs[u] * per : bs[u]}});
            appendDim(reduced, {per, {xs[u], scalePerChannel ? ss[u] : 0, biasPerChannel ? bs[u] : 0}});
            continue;
        }
        appendDim(((axes >> i) & 1u) ? reduced : kept, {shape.d[i], {xs[u], ss[u], bs[u]}});
    }
    rk::NormGeometry g;
    for (const Dim& d : kept) {
        g.keptExtent[g.nbKept] = d.extent;
        for (int j = 0; j < 3; ++j) g.keptStride[j][g.nbKept] = d.stride[j];
        ++g.nbKept;
        g.nbGroups *= d.extent;
    }
    for (const Dim& d : reduced) {
        g.reducedExtent[g.nbReduced] = d.extent;
        for (int j = 0; j < 3; ++j) g.reducedStride[j][g.nbReduced] = d.stride[j];
        ++g.nbReduced;
        g.count *= d.extent;
    }
    return g;
}

}  // namespace rk

Status runNormalization(const ir::NormalizationAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& scale = ctx.inputs[1];
    const TensorRef& bias = ctx.inputs[2];
    const TensorRef& y = ctx.outputs[0];
    const Dims& shape = x.shape;
    const int64_t groups = attrs.nbGroups;
    if (y.type != x.type || y.shape != shape)
        return internalError("Normalization: output " + std::string(dataTypeName(y.type)) +
                             toString(y.shape) + " differs from input " + dataTypeName(x.type) +
                             toString(shape));
    if (groups < 1 || (groups > 1 && (shape.nbDims < 2 || shape.d[1] % groups != 0)))
        return invalidArgument("Normalization: nbGroups = " + std::to_string(groups) +
                               " does not split input " + toString(shape) +
                               "; expected a divisor of the channel count (dim 1)");
    if (shape.nbDims > rk::kMaxNormDims - 2 || scale.shape.nbDims > shape.nbDims ||
        bias.shape.nbDims > shape.nbDims)
        return invalidArgument("Normalization: scale " + toString(scale.shape) + " and bias " +
                               toString(bias.shape) + " must broadcast to input " + toString(shape));
    KILN_ASSIGN_OR_RETURN(rk::ValueType type, rk::kernelType("Normalization", "the input", x.type));
    KILN_ASSIGN_OR_RETURN(rk::ValueType scaleType, rk::kernelType("Normalization", "scale", scale.type));
    KILN_ASSIGN_OR_RETURN(rk::ValueType biasType, rk::kernelType("Normalization", "bias", bias.type));
    const auto isFloat = [](rk::ValueType t) {
        return t == rk::ValueType::kF32 || t == rk::ValueType::kF16 || t == rk::ValueType::kBF16;
    };
    if (!isFloat(type) || !isFloat(scaleType) || !isFloat(biasType))
        return unsupported(std::string("Normalization: no CUDA kernel for input / scale / bias types ") +
                           dataTypeName(x.type) + " / " + dataTypeName(scale.type) + " / " +
                           dataTypeName(bias.type) + "; expected float32, float16 or bfloat16");

    const rk::NormGeometry g = rk::normGeometry(shape, scale.shape, bias.shape, attrs.axes, groups);
    if (g.count == 0 || g.nbGroups == 0) return Status::ok();  // no elements, nothing to write
    const rk::NormRows rows =
        rk::planNormRows(g, type, scaleType, biasType, reinterpret_cast<uintptr_t>(x.data),
                         reinterpret_cast<uintptr_t>(y.data), reinterpret_cast<uintptr_t>(scale.data),
                         reinterpret_cast<uintptr_t>(bias.data));
    if (rows.plan.fast) {
        KILN_CUDA_RETURN_IF_ERROR(rk::launchNormalizationRows(type, x.data, y.data, scale.data, bias.data,
                                                              rows, attrs.epsilon, ctx.stream));
        return Status::ok();
    }
    KILN_CUDA_RETURN_IF_ERROR(rk::launchNormalization(type, x.data, y.data, scaleType, scale.data, biasType,
                                                      bias.data, g, attrs.epsilon, ctx.stream));
    return Status::ok();
}

}  // namespace kiln::cuda
