// CUDA runScatter: the host half of scatter_winner.cu. Shapes are checked as the reference checks them
// (src/backends/reference/scatter.cc); the output starts as a device-to-device copy of data (skipped in
// place); the index values are device data, so, unlike the reference, an out-of-range index cannot be
// reported: its update is skipped. The parallel variant needs scatterWorkspaceBytes of ctx.workspace.
#include <string>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/common/reduce_host.h"
#include "backends/cuda/kernels/scatter/scatter_launch.h"

namespace kiln::cuda {

Status runScatter(const ir::ScatterAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& data = ctx.inputs[0];
    const TensorRef& indices = ctx.inputs[1];
    const TensorRef& updates = ctx.inputs[2];
    const TensorRef& out = ctx.outputs[0];
    const int r = data.shape.nbDims, q = indices.shape.nbDims;
    if (indices.type != DataType::kINT32 && indices.type != DataType::kINT64)
        return invalidArgument(std::string("Scatter: indices must be int32 or int64, got ") +
                               dataTypeName(indices.type));
    if (data.type != out.type || data.type != updates.type || data.shape != out.shape || r < 1 || r > 8)
        return internalError("Scatter: data " + std::string(dataTypeName(data.type)) + toString(data.shape) +
                             ", updates " + dataTypeName(updates.type) + toString(updates.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) +
                             " are inconsistent");
    const int64_t elem = dataTypeSize(data.type);
    if (elem != 1 && elem != 2 && elem != 4 && elem != 8)
        return unsupported(std::string("Scatter: no CUDA kernel for ") + dataTypeName(data.type) +
                           " elements");
    KILN_ASSIGN_OR_RETURN(rk::ValueType indexType, rk::kernelType("Scatter", "indices", indices.type));
    rk::ScatterGeometry g;
    g.mode = attrs.mode;
    g.rank = r;
    const std::vector<int64_t> strides = stridesOf(data.shape);
    for (int i = 0; i < r; ++i) {
        g.dataDims[i] = data.shape.d[i];
        g.dataStrides[i] = strides[static_cast<size_t>(i)];
    }
    bool element = false;
    switch (attrs.mode) {
        case ScatterMode::kELEMENT:
            element = true;
            break;
        case ScatterMode::kND:
            break;
    }
    if (attrs.mode != ScatterMode::kELEMENT && attrs.mode != ScatterMode::kND)
        return invalidArgument("Scatter: unknown mode " + std::to_string(static_cast<int>(attrs.mode)) +
                               " (expected kELEMENT or kND)");
    if (element) {
        if (q != r || updates.shape != indices.shape)
            return invalidArgument("Scatter: kELEMENT needs indices " + toString(indices.shape) +
                                   " and updates " + toString(updates.shape) +
                                   " of one shape and of the rank of data " + toString(data.shape));
        if (attrs.axis < -r || attrs.axis >= r)
            return invalidArgument("Scatter: axis " + std::to_string(attrs.axis) +
                                   " is out of range for data " + toString(data.shape));
        g.axis = attrs.axis < 0 ? attrs.axis + r : attrs.axis;
        for (int i = 0; i < r; ++i) {
            if (i != g.axis && indices.shape.d[i] > data.shape.d[i])
                return invalidArgument("Scatter: kELEMENT indices " + toString(indices.shape) +
                                       " exceed data " + toString(data.shape) + " in dimension " +
                                       std::to_string(i));
            g.indexDims[i] = indices.shape.d[i];
        }
        g.nbUnits = indices.numel();
        g.nbTargets = data.numel();
    } else {
        const int64_t k = q >= 1 ? indices.shape.d[q - 1] : 0;
        if (k < 1 || k > r)
            return invalidArgument("Scatter: kND index tuples of length " + std::to_string(k) + " (indices " +
                                   toString(indices.shape) + ") do not fit data " + toString(data.shape));
        g.tupleLength = k;
        g.nbTargets = 1;
        for (int i = 0; i < r; ++i) (i < k ? g.nbTargets : g.slice) *= data.shape.d[i];
        g.nbUnits = indices.numel() / k;
        if (updates.numel() != g.nbUnits * g.slice)
            return invalidArgument("Scatter: kND updates " + toString(updates.shape) + " hold " +
                                   std::to_string(updates.numel()) + " elements; expected " +
                                   std::to_string(g.nbUnits) + " tuples x " + std::to_string(g.slice) +
                                   " (indices " + toString(indices.shape) + ", data " + toString(data.shape) +
                                   ")");
    }
    if (out.data != data.data && data.bytes() > 0)
        KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(out.data, data.data, static_cast<size_t>(data.bytes()),
                                                  cudaMemcpyDeviceToDevice, ctx.stream));
    KILN_CUDA_RETURN_IF_ERROR(rk::launchScatter(elem, g, indices.data, indexType, updates.data, out.data,
                                                ctx.workspace, ctx.workspaceSize, ctx.stream));
    return Status::ok();
}

}  // namespace kiln::cuda
