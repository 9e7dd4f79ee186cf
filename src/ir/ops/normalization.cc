// Shape/type inference for the normalization family: Normalization (TensorRT INormalizationLayer).
// Statistics are taken over `axes`; with nbGroups > 1 the channels (axis 1) are split into nbGroups
// groups and the statistics of group g cover its channels and the spatial axes, which `axes` must then
// name exactly (axes 2..rank-1), as TensorRT requires. scale and bias broadcast against x (numpy-style,
// aligned right) without growing it: layer norm passes the normalized trailing dims, instance and group
// norm [1, C, 1, 1]. For group norm, [1, G, 1, 1] (one value per group, TensorRT 8.6's convention) is
// accepted too.
#include <sstream>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"

namespace kiln::ir {

namespace {

bool isNormType(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}

std::string maskString(uint32_t mask) {
    std::ostringstream os;
    os << "0x" << std::hex << mask;
    return os.str();
}

/// `p` (scale or bias) must broadcast to x's shape without changing it.
Status checkAffine(const char* what, const TensorDesc& p, const Dims& x, int64_t nbGroups) {
    if (!isNormType(p.type))
        return invalidArgument(std::string("Normalization: ") + what +
                               " must be float32, float16 or bfloat16, got " + dataTypeName(p.type));
    if (p.shape.nbDims > x.nbDims)
        return invalidArgument(std::string("Normalization: ") + what + " " + toString(p.shape) +
                               " has a higher rank than input " + toString(x));
    for (int i = 0; i < p.shape.nbDims; ++i) {
        int xi = x.nbDims - p.shape.nbDims + i;
        int64_t pd = p.shape.d[i], xd = x.d[xi];
        bool ok = pd == 1 || pd == xd || pd < 0 || xd < 0 || (nbGroups > 1 && xi == 1 && pd == nbGroups);
        if (!ok)
            return invalidArgument(
                std::string("Normalization: ") + what + " " + toString(p.shape) +
                " does not broadcast to input " + toString(x) + ": dim " + std::to_string(xi) + " is " +
                std::to_string(pd) + " vs " + std::to_string(xd) +
                (nbGroups > 1 ? " (expected 1, the channel count or nbGroups)" : " (expected 1 or equal)"));
    }
    return Status::ok();
}

}  // namespace

Status inferNormalization(const NormalizationAttrs& attrs, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    if (!isNormType(x.type))
        return invalidArgument(
            std::string("Normalization: input must be float32, float16 or bfloat16, got ") +
            dataTypeName(x.type));
    const int rank = x.shape.nbDims;
    if (rank < 1)
        return invalidArgument("Normalization: input must have rank >= 1, got " + toString(x.shape));
    if (!(attrs.epsilon >= 0.0f))
        return invalidArgument("Normalization: epsilon must be >= 0, got " + std::to_string(attrs.epsilon));
    if (attrs.nbGroups < 1)
        return invalidArgument("Normalization: nbGroups must be >= 1, got " + std::to_string(attrs.nbGroups));
    const uint64_t allowed = (uint64_t{1} << rank) - 1;
    if (attrs.nbGroups == 1) {
        if (attrs.axes == 0)
            return invalidArgument("Normalization: axes mask is 0; expected at least one axis of input " +
                                   toString(x.shape));
        if ((attrs.axes & ~allowed) != 0)
            return invalidArgument("Normalization: axes mask " + maskString(attrs.axes) +
                                   " names an axis >= rank " + std::to_string(rank) + " of input " +
                                   toString(x.shape));
    } else {
        if (rank < 2)
            return invalidArgument("Normalization: nbGroups = " + std::to_string(attrs.nbGroups) +
                                   " needs a channel axis 1, input is " + toString(x.shape));
        uint32_t spatial = static_cast<uint32_t>(allowed & ~uint64_t{3});
        if (attrs.axes != spatial)
            return invalidArgument("Normalization: with nbGroups = " + std::to_string(attrs.nbGroups) +
                                   " the axes must be the spatial axes 2.." + std::to_string(rank - 1) +
                                   " (mask " + maskString(spatial) + ") of input " + toString(x.shape) +
                                   ", got mask " + maskString(attrs.axes));
        int64_t c = x.shape.d[1];
        if (c >= 0 && c % attrs.nbGroups != 0)
            return invalidArgument("Normalization: channel count " + std::to_string(c) + " of input " +
                                   toString(x.shape) +
                                   " is not divisible by nbGroups = " + std::to_string(attrs.nbGroups));
    }
    KILN_RETURN_IF_ERROR(checkAffine("scale", ctx.inputs[1], x.shape, attrs.nbGroups));
    KILN_RETURN_IF_ERROR(checkAffine("bias", ctx.inputs[2], x.shape, attrs.nbGroups));
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

}  // namespace kiln::ir
