// CUDA kernel for Concatenation: each input is a block of `outer` rows of (its extent along the axis x
// inner) elements, copied into the output rows at its offset along the axis; one launch per input (at
// most 64), as a run copy (movement/copy_runs.h): the widest word (up to 16 bytes) that divides the row
// length, the output row pitch and both addresses, no division per word; a single row (outer == 1) is one
// device copy. Bytes are copied as they are: every DataType.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/movement/copy_runs.h"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Concatenation kernel";

}  // namespace

Status runConcatenation(const ir::ConcatenationAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& out = ctx.outputs[0];
    const int rank = out.shape.nbDims;
    const int axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
    if (axis < 0 || axis >= rank)
        return invalidArgument(std::string(kName) + ": axis " + std::to_string(attrs.axis) +
                               " is out of range for the output " + toString(out.shape) + " of rank " +
                               std::to_string(rank));
    const int64_t elem = dataTypeSize(out.type);
    int64_t outer = 1, inner = 1, axisSum = 0;
    for (int d = 0; d < axis; ++d) outer *= out.shape.d[d];
    for (int d = axis + 1; d < rank; ++d) inner *= out.shape.d[d];
    for (const TensorRef& in : ctx.inputs) {
        if (in.type != out.type || in.shape.nbDims != rank)
            return internalError(std::string(kName) + ": input " + dataTypeName(in.type) +
                                 toString(in.shape) + " does not match output " + dataTypeName(out.type) +
                                 toString(out.shape));
        axisSum += in.shape.d[axis];
    }
    if (axisSum != out.shape.d[axis])
        return internalError(std::string(kName) + ": inputs sum to " + std::to_string(axisSum) +
                             " along axis " + std::to_string(axis) + ", output " + toString(out.shape) +
                             " has " + std::to_string(out.shape.d[axis]));
    const int64_t pitchBytes = out.shape.d[axis] * inner * elem;
    int64_t offset = 0;  // along the axis
    for (const TensorRef& in : ctx.inputs) {
        const int64_t rowBytes = in.shape.d[axis] * inner * elem;
        const Dims rows = makeDims({outer});
        const RunCopyPlan plan = makeRunCopy(rows, &rowBytes, &pitchBytes, nullptr, rowBytes);
        KILN_RETURN_IF_ERROR(launchRunCopy(plan, in.data,
                                           static_cast<uint8_t*>(out.data) + offset * inner * elem,
                                           out.bytes(), RunIndex{}, ctx.stream, kName));
        offset += in.shape.d[axis];
    }
    return Status::ok();
}

}  // namespace kiln::cuda
