// CUDA kernel for Shuffle: first transpose, reshape, second transpose. A reshape only reinterprets the
// row-major buffer, so a Shuffle without transposes is one device copy; otherwise each output element is
// fetched through two index maps (output -> reshaped flat index through the second transpose, reshaped
// flat index -> input offset through the first), which needs no staging buffer when both transposes are
// present. With a single transpose, the merged permutation (movement/copy_plan.h) picks a faster path: a
// copy when it only moves extent-1 dims, runs of the innermost dim when that stays innermost ([B,S,H,D] ->
// [B,H,S,D]), or a 32x32 shared-memory tiled transpose (movement/copy_runs.cu). Elements move as words of
// their size, so every DataType is copied bit-exactly.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/movement/copy_runs.h"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Shuffle kernel";

template <class W>
__global__ void __launch_bounds__(kBlockSize)
    permuteKernel(const W* __restrict__ x, W* __restrict__ y, int64_t n, Indexer<1> second, Indexer<1> first,
                  bool index32) {
    if (index32) {
        const uint32_t n32 = static_cast<uint32_t>(n), step = blockDim.x * gridDim.x;
        for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n32; i += step) {
            uint32_t reshaped[1], from[1];
            second.offsets32(i, reshaped);
            first.offsets32(reshaped[0], from);
            y[i] = x[from[0]];
        }
        return;
    }
    for (int64_t i = gridStart(); i < n; i += gridStep()) {
        int64_t reshaped[1], from[1];
        second.offsets(i, reshaped);
        first.offsets(reshaped[0], from);
        y[i] = x[from[0]];
    }
}

bool isPermutation(const Permutation& p, int rank) {
    bool seen[kMAX_DIMS] = {};
    for (int i = 0; i < rank; ++i) {
        const int32_t v = p.order[i];
        if (v < 0 || v >= rank || seen[v]) return false;
        seen[v] = true;
    }
    return true;
}

bool isIdentity(const Permutation& p, int rank) {
    for (int i = 0; i < rank; ++i)
        if (p.order[i] != i) return false;
    return true;
}

}  // namespace

Status runShuffle(const ir::ShuffleAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    if (in.type != out.type || in.numel() != out.numel())
        return internalError(std::string(kName) + ": input " + dataTypeName(in.type) + toString(in.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) +
                             " must have the same type and volume");
    const int inRank = in.shape.nbDims, outRank = out.shape.nbDims;
    if (!isPermutation(attrs.firstTranspose, inRank) || !isPermutation(attrs.secondTranspose, outRank))
        return invalidArgument(std::string(kName) +
                               ": first or second transpose is not a permutation of the "
                               "tensor's dims (input " +
                               toString(in.shape) + ", output " + toString(out.shape) + ")");
    const int64_t n = in.numel();
    if (n == 0) return Status::ok();
    const bool first = !isIdentity(attrs.firstTranspose, inRank);
    const bool second = !isIdentity(attrs.secondTranspose, outRank);
    if (!first && !second) {
        if (in.data == out.data) return Status::ok();
        KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(out.data, in.data, static_cast<size_t>(in.bytes()),
                                                  cudaMemcpyDeviceToDevice, ctx.stream));
        return Status::ok();
    }
    // The reshaped shape R before the second transpose: out dim i is R dim perm2[i].
    Dims reshaped;
    reshaped.nbDims = outRank;
    for (int i = 0; i < outRank; ++i) reshaped.d[attrs.secondTranspose.order[i]] = out.shape.d[i];
    const int64_t elementBytes = dataTypeSize(in.type);
    if (first != second) {
        // One transpose: the reshape before or after it only renames the flat buffer.
        const TransposePlan plan = first ? planTranspose(in.shape, attrs.firstTranspose)
                                         : planTranspose(reshaped, attrs.secondTranspose);
        switch (plan.path) {
            case TransposePath::kCopy:
                KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(out.data, in.data, static_cast<size_t>(in.bytes()),
                                                          cudaMemcpyDeviceToDevice, ctx.stream));
                return Status::ok();
            case TransposePath::kRuns:
                return launchRunCopy(transposeRuns(plan, elementBytes), in.data, out.data, in.bytes(),
                                     RunIndex{}, ctx.stream, kName);
            case TransposePath::kTiled:
                return launchTiledTranspose(tiledTranspose(plan), in.data, out.data, elementBytes, ctx.stream,
                                            kName);
            case TransposePath::kGather:
                break;
        }
    }
    const Indexer<1> secondMap = makeTransposeIndexer(reshaped, attrs.secondTranspose);
    const Indexer<1> firstMap = makeTransposeIndexer(in.shape, attrs.firstTranspose);
    return withElementWord(elementBytes, [&](auto tag) {
        using W = decltype(tag);
        permuteKernel<W><<<gridFor(n), kBlockSize, 0, ctx.stream>>>(static_cast<const W*>(in.data),
                                                                    static_cast<W*>(out.data), n, secondMap,
                                                                    firstMap, fitsIndex32(n));
        return launchStatus(kName);
    });
}

}  // namespace kiln::cuda
