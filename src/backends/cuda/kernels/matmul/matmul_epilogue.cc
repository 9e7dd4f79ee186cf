// runMatrixMultiply on the GPU: the product and its fused epilogue y = act(A B + bias + addend). What
// cuBLASLt can fuse goes into its call (planLtEpilogue: bias, the addend as C, ReLU / tanh-GELU); the
// rest runs afterwards, in place on y, through the ElementWise and Activation CUDA kernels themselves.
// When cuBLASLt has no algorithm for the fused form (some batched layouts and epilogues), the GEMM is
// issued plain and the whole epilogue runs as those kernels.
#include <cstdint>

#include "backends/cuda/kernels/matmul/matmul_cublaslt.h"
#include "backends/cuda/kernels/pointwise/epilogue_tail.h"

namespace kiln::cuda {
namespace {

const TensorRef* optionalInput(const KernelContext& ctx, size_t slot) {
    return ctx.inputs.size() > slot && ctx.inputs[slot].data ? &ctx.inputs[slot] : nullptr;
}

}  // namespace

Status runMatrixMultiply(const ir::MatrixMultiplyAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& a = ctx.inputs[0];
    const TensorRef& b = ctx.inputs[1];
    const TensorRef& y = ctx.outputs[0];
    const TensorRef* bias = optionalInput(ctx, 2);
    const TensorRef* addend = optionalInput(ctx, 3);
    const bool biasAligned = bias && reinterpret_cast<uintptr_t>(bias->data) % 16 == 0;
    LtEpiloguePlan plan = planLtEpilogue(attrs, bias != nullptr, biasAligned, addend != nullptr, /*fuse=*/true);
    Status s = matmulBiasAct(attrs, a, b, plan.fuseBias ? bias : nullptr, plan.fuseAddend ? addend : nullptr,
                             plan.fusedActivation, y, ctx);
    if (!s.isOk() && s.code() == ErrorCode::kUNSUPPORTED_STATE && plan.fusesAnything()) {
        // The plain GEMM rewrites all of y, so whatever the fused attempt enqueued is overwritten.
        plan = planLtEpilogue(attrs, bias != nullptr, biasAligned, addend != nullptr, /*fuse=*/false);
        s = matmulBiasAct(attrs, a, b, nullptr, nullptr, EpilogueActivation::kNONE, y, ctx);
    }
    KILN_RETURN_IF_ERROR(s);
    if (ctx.candidates) return Status::ok();  // the autotuner's query: the GEMM's candidates are listed
    if (plan.biasAfter) KILN_RETURN_IF_ERROR(addInPlace(y, *bias, ctx));
    if (plan.addendAfter) KILN_RETURN_IF_ERROR(addInPlace(y, *addend, ctx));
    if (plan.activationAfter) KILN_RETURN_IF_ERROR(activateInPlace(attrs.epilogue, y, ctx));
    return Status::ok();
}

}  // namespace kiln::cuda
