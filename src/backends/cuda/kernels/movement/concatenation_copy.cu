// CUDA kernel for Concatenation: each input is a block of `outer` rows of (its extent along the axis x
// inner) elements, copied into the output rows at its offset along the axis; one launch per input (at
// most 64). The copy moves the widest word (up to 16 bytes) that divides the row length, the output row
// pitch and both addresses, so rows that are multiples of 16 bytes move as 16-byte words; a single row
// (outer == 1) is one device copy. Bytes are copied as they are: every DataType.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Concatenation kernel";

/// dst[r * dstPitch + c] = src[r * rowWords + c] for r < rows, c < rowWords (all in words).
template <class W>
__global__ void __launch_bounds__(kBlockSize) copyRowsKernel(const W* __restrict__ src, W* __restrict__ dst,
                                                             int64_t n, int64_t rowWords, int64_t dstPitch) {
    for (int64_t i = gridStart(); i < n; i += gridStep()) {
        int64_t c;
        const int64_t r = divMod(i, rowWords, &c);
        dst[r * dstPitch + c] = src[i];
    }
}

Status copyRows(const void* src, void* dst, int64_t rows, int64_t rowBytes, int64_t dstPitchBytes,
                cudaStream_t stream) {
    if (rows == 0 || rowBytes == 0) return Status::ok();
    if (rows == 1) {
        KILN_CUDA_RETURN_IF_ERROR(
            cudaMemcpyAsync(dst, src, static_cast<size_t>(rowBytes), cudaMemcpyDeviceToDevice, stream));
        return Status::ok();
    }
    const int64_t word = widestWord(rowBytes, dstPitchBytes, reinterpret_cast<uintptr_t>(src),
                                    reinterpret_cast<uintptr_t>(dst));
    const int64_t rowWords = rowBytes / word;
    const int64_t n = rows * rowWords;
    return withCopyWord(word, [&](auto tag) {
        using W = decltype(tag);
        copyRowsKernel<W><<<gridFor(n), kBlockSize, 0, stream>>>(
            static_cast<const W*>(src), static_cast<W*>(dst), n, rowWords, dstPitchBytes / word);
        return launchStatus(kName);
    });
}

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
        KILN_RETURN_IF_ERROR(copyRows(in.data, static_cast<uint8_t*>(out.data) + offset * inner * elem, outer,
                                      rowBytes, pitchBytes, ctx.stream));
        offset += in.shape.d[axis];
    }
    return Status::ok();
}

}  // namespace kiln::cuda
