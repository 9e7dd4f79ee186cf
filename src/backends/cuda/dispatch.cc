// Dispatch from an op's attributes to its CUDA kernel (kernels/<family>/*.cu), or to the unsupported
// answer of kernels/pending.cc for the ops whose GPU kernel is not written yet.
#include "backends/cuda/kernel_context.h"

namespace kiln::cuda {

Status runNode(const ir::Attrs& attrs, const KernelContext& ctx) {
    switch (ir::opKindOf(attrs)) {
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) \
    case ir::OpKind::k##Name:                               \
        return run##Name(std::get<ir::Name##Attrs>(attrs), ctx);
#include "ir/ops.def"
#undef KILN_OP
    }
    return internalError("cuda::runNode: op kind out of range");
}

StatusOr<std::vector<TacticCandidate>> listTactics(const ir::Attrs& attrs, const KernelContext& ctx) {
    std::vector<TacticCandidate> out;
    KernelContext query = ctx;
    query.candidates = &out;
    // Only kernels with several tactics answer the query; every other op has its one default.
    if (const auto* conv = std::get_if<ir::ConvolutionAttrs>(&attrs))
        KILN_RETURN_IF_ERROR(runConvolution(*conv, query));
    if (const auto* mm = std::get_if<ir::MatrixMultiplyAttrs>(&attrs))
        KILN_RETURN_IF_ERROR(runMatrixMultiply(*mm, query));
    if (const auto* at = std::get_if<ir::AttentionAttrs>(&attrs)) KILN_RETURN_IF_ERROR(runAttention(*at, query));
    return out;
}

}  // namespace kiln::cuda
