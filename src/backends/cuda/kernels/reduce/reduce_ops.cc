// CUDA run##Name for the reduce family (Reduce, SoftMax, TopK): the host half of the kernels in this
// folder. It resolves what the kernels need from attributes, shapes and host-valued shape inputs (Reduce's
// run-time axes, TopK's k), checks it with messages that name the values, normalizes the layout (extent-1
// dims dropped, neighbouring dims of one kind merged, so most reductions become rows or a single strided
// pattern), and launches on ctx.stream; nothing here synchronizes or allocates.
#include <string>
#include <vector>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/common/reduce_host.h"
#include "backends/cuda/kernels/reduce/reduce_launch.h"
#include "ir/reduce_params.h"

namespace kiln::cuda {
namespace {

struct MergedDim {
    int64_t extent;
    int64_t stride;
    bool reduced;
};

/// x's dims without the extent-1 ones, neighbours of one kind merged (x is contiguous row-major, so a
/// merged dim keeps the inner one's stride).
std::vector<MergedDim> mergeDims(const Dims& shape, uint32_t mask) {
    const std::vector<int64_t> strides = stridesOf(shape);
    std::vector<MergedDim> dims;
    for (int i = 0; i < shape.nbDims; ++i) {
        if (shape.d[i] == 1) continue;
        const bool reduced = ((mask >> i) & 1u) != 0;
        const int64_t stride = strides[static_cast<size_t>(i)];
        if (!dims.empty() && dims.back().reduced == reduced) {
            dims.back().extent *= shape.d[i];
            dims.back().stride = stride;
        } else {
            dims.push_back({shape.d[i], stride, reduced});
        }
    }
    return dims;
}

}  // namespace

Status runReduce(const ir::ReduceAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& y = ctx.outputs[0];
    if (x.type != y.type)
        return internalError(std::string("Reduce: output type ") + dataTypeName(y.type) +
                             " differs from input type " + dataTypeName(x.type));
    uint32_t mask = attrs.axes;
    if (const TensorRef* a = rk::optionalInput(ctx, 1)) {
        if ((a->type != DataType::kINT32 && a->type != DataType::kINT64) || a->shape.nbDims != 1)
            return invalidArgument("Reduce: axes (input 1) must be a 1-D int32/int64 tensor, got " +
                                   std::string(dataTypeName(a->type)) + toString(a->shape));
        if (a->numel() > 0 && a->data == nullptr)
            return internalError(
                "Reduce: the axes (input 1) have no host values; the runtime resolves them "
                "before the launch");
        KILN_ASSIGN_OR_RETURN(ir::ReduceAxes r,
                              ir::reduceAxesFromValues(ir::readIntValues(a->type, a->data, a->numel()),
                                                       x.shape.nbDims, attrs.noopWithEmptyAxes));
        if (r.copy) {
            if (y.numel() != x.numel())
                return internalError("Reduce: a no-op reduction's output " + toString(y.shape) +
                                     " does not match its input " + toString(x.shape));
            if (x.bytes() > 0)
                KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(y.data, x.data, static_cast<size_t>(x.bytes()),
                                                          cudaMemcpyDeviceToDevice, ctx.stream));
            return Status::ok();
        }
        mask = r.mask;
    }
    if (x.shape.nbDims < 0 || x.shape.nbDims > rk::kMaxReduceDims || (mask >> x.shape.nbDims) != 0)
        return invalidArgument("Reduce: axes mask " + std::to_string(mask) + " names an axis beyond input " +
                               toString(x.shape));
    KILN_ASSIGN_OR_RETURN(rk::ValueType type, rk::kernelType("Reduce", "the input", x.type));
    const bool isFloat =
        type == rk::ValueType::kF32 || type == rk::ValueType::kF16 || type == rk::ValueType::kBF16;
    if (!isFloat && type != rk::ValueType::kI32 && type != rk::ValueType::kI64)
        return unsupported(std::string("Reduce: no CUDA kernel for ") + dataTypeName(x.type) +
                           "; expected float32, float16, bfloat16, int32 or int64");

    rk::ReduceGeometry g;
    for (const MergedDim& d : mergeDims(x.shape, mask)) {
        if (d.reduced) {
            g.reducedExtent[g.nbReduced] = d.extent;
            g.reducedStride[g.nbReduced++] = d.stride;
            g.count *= d.extent;
        } else {
            g.keptExtent[g.nbKept] = d.extent;
            g.keptStride[g.nbKept++] = d.stride;
            g.nbOutputs *= d.extent;
        }
    }
    if (y.numel() != g.nbOutputs)
        return internalError("Reduce: output " + toString(y.shape) + " holds " + std::to_string(y.numel()) +
                             " elements, but reducing input " + toString(x.shape) + " over mask " +
                             std::to_string(mask) + " gives " + std::to_string(g.nbOutputs));
    if (g.count == 0 && attrs.op == ReduceOperation::kAVG && !isFloat)
        return invalidArgument(std::string("Reduce: kAVG over ") + dataTypeName(x.type) +
                               " needs a non-empty reduction, input " + toString(x.shape) +
                               " reduces over 0 elements");
    if (g.nbOutputs == 0) return Status::ok();
    // Rows: every reduced dim after every kept one (or nothing to read at all).
    const bool rows = g.count == 0 || g.nbReduced == 0 || (g.nbReduced == 1 && g.reducedStride[0] == 1);
    if (rows) {
        KILN_CUDA_RETURN_IF_ERROR(
            rk::launchReduceRows(type, attrs.op, x.data, y.data, g.nbOutputs, g.count, ctx.stream));
        return Status::ok();
    }
    KILN_CUDA_RETURN_IF_ERROR(rk::launchReduceStrided(type, attrs.op, x.data, y.data, g, ctx.stream));
    return Status::ok();
}

Status runSoftMax(const ir::SoftMaxAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& y = ctx.outputs[0];
    if (x.type != y.type || x.shape != y.shape)
        return internalError("SoftMax: output " + std::string(dataTypeName(y.type)) + toString(y.shape) +
                             " differs from input " + dataTypeName(x.type) + toString(x.shape));
    KILN_ASSIGN_OR_RETURN(int axis, rk::singleAxis("SoftMax", attrs.axes, x.shape));
    KILN_ASSIGN_OR_RETURN(rk::ValueType type, rk::kernelType("SoftMax", "the input", x.type));
    if (type != rk::ValueType::kF32 && type != rk::ValueType::kF16 && type != rk::ValueType::kBF16)
        return unsupported(std::string("SoftMax: no CUDA kernel for ") + dataTypeName(x.type) +
                           "; expected float32, float16 or bfloat16");
    const rk::AxisView v = rk::axisView(x.shape, axis);
    const rk::RowsPlan plan =
        rk::planSoftMaxRows(v.outer, v.extent, v.inner, dataTypeSize(x.type),
                            reinterpret_cast<uintptr_t>(x.data), reinterpret_cast<uintptr_t>(y.data));
    if (plan.fast) {
        KILN_CUDA_RETURN_IF_ERROR(
            rk::launchSoftMaxRows(type, attrs.log, x.data, y.data, v.outer, v.extent, plan, ctx.stream));
        return Status::ok();
    }
    KILN_CUDA_RETURN_IF_ERROR(
        rk::launchSoftMax(type, attrs.log, x.data, y.data, v.outer, v.extent, v.inner, ctx.stream));
    return Status::ok();
}

Status runTopK(const ir::TopKAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& values = ctx.outputs[0];
    const TensorRef& indices = ctx.outputs[1];
    KILN_ASSIGN_OR_RETURN(int axis, rk::singleAxis("TopK", attrs.axes, x.shape));
    const rk::AxisView v = rk::axisView(x.shape, axis);
    int64_t k = attrs.k;
    if (const TensorRef* kt = rk::optionalInput(ctx, 1)) {
        KILN_RETURN_IF_ERROR(ir::checkTopKInput(kt->type, kt->shape));
        if (!kt->data)
            return internalError("TopK: k (input 1) has no host value; the runtime resolves it first");
        k = loadAsInt64(kt->type, kt->data, 0);
    }
    if (k < 1 || k > v.extent)
        return invalidArgument("TopK: k = " + std::to_string(k) + " must be in [1, " +
                               std::to_string(v.extent) + "] for input " + toString(x.shape));
    if (k > rk::kTopKMaxK)
        return unsupported("TopK: k = " + std::to_string(k) + " exceeds the CUDA kernel's limit of " +
                           std::to_string(rk::kTopKMaxK) + " (TensorRT's is 3840); split the selection");
    if (v.extent > 0x7fffffff)
        return unsupported("TopK: axis extent " + std::to_string(v.extent) +
                           " exceeds the CUDA kernel's 2^31 - 1 elements per line");
    if (values.type != x.type || (indices.type != DataType::kINT32 && indices.type != DataType::kINT64))
        return internalError("TopK: outputs " + std::string(dataTypeName(values.type)) + " / " +
                             dataTypeName(indices.type) + " do not match input " + dataTypeName(x.type) +
                             " and int32/int64 indices");
    Dims expected = x.shape;
    expected.d[axis] = k;
    if (values.shape != expected || indices.shape != expected)
        return internalError("TopK: outputs " + toString(values.shape) + " and " + toString(indices.shape) +
                             " must both be " + toString(expected));
    KILN_ASSIGN_OR_RETURN(rk::ValueType type, rk::kernelType("TopK", "the input", x.type));
    if (type != rk::ValueType::kF32 && type != rk::ValueType::kF16 && type != rk::ValueType::kBF16 &&
        type != rk::ValueType::kI32 && type != rk::ValueType::kI64)
        return unsupported(std::string("TopK: no CUDA kernel for ") + dataTypeName(x.type) +
                           "; expected float32, float16, bfloat16, int32 or int64");
    KILN_CUDA_RETURN_IF_ERROR(rk::launchTopK(type, attrs.op == TopKOperation::kMAX, k, x.data, values.data,
                                             indices.data, indices.type == DataType::kINT64, v.outer,
                                             v.extent, v.inner, ctx.stream));
    return Status::ok();
}

}  // namespace kiln::cuda
