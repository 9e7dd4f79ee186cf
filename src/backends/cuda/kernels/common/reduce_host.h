// Host-side helpers of the reduce-family CUDA ops (reduce, normalization, pooling, fill, scatter,
// resize): the kernel storage type of a tensor with an error naming the op, optional inputs, and the
// [outer, extent, inner] view of a tensor around one axis. Everything here runs before a launch, on
// shapes and host values only.
#pragma once

#include <cstdint>
#include <string>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/value_type.h"
#include "common/dims.h"
#include "common/status.h"

namespace kiln::cuda::rk {

/// The ValueType of `t`, or an unsupported Status naming the op and the type.
inline StatusOr<ValueType> kernelType(const char* op, const char* what, DataType t) {
    ValueType v;
    if (!toValueType(t, &v))
        return unsupported(std::string(op) + ": the CUDA kernel has no support for " + what + " of type " +
                           dataTypeName(t));
    return v;
}

/// Input i when the node has it and it is present, else null.
inline const TensorRef* optionalInput(const KernelContext& ctx, size_t i) {
    return i < ctx.inputs.size() && ctx.inputs[i].present() ? &ctx.inputs[i] : nullptr;
}

/// A tensor seen as [outer, extent, inner] around one axis.
struct AxisView {
    int64_t outer{1}, extent{1}, inner{1};
};

inline AxisView axisView(const Dims& shape, int axis) {
    AxisView v;
    for (int i = 0; i < shape.nbDims; ++i) {
        if (i < axis)
            v.outer *= shape.d[i];
        else if (i == axis)
            v.extent = shape.d[i];
        else
            v.inner *= shape.d[i];
    }
    return v;
}

/// The axis of a one-bit mask (SoftMax, TopK), checked against the rank.
inline StatusOr<int> singleAxis(const char* op, uint32_t mask, const Dims& shape) {
    if (mask == 0 || (mask & (mask - 1)) != 0 || shape.nbDims > 32 || (mask >> shape.nbDims) != 0)
        return invalidArgument(std::string(op) + ": axes mask " + std::to_string(mask) +
                               " must name exactly one axis of input " + toString(shape));
    int axis = 0;
    while (((mask >> axis) & 1u) == 0) ++axis;
    return axis;
}

}  // namespace kiln::cuda::rk
