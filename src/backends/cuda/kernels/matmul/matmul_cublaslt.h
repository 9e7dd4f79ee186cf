// The cuBLASLt matmul tactic beyond plain MatrixMultiply: matmulBiasAct, the same batched,
// broadcasting GEMM with a fused epilogue (bias per output column, then ReLU or tanh-GELU), which the
// builder's fusion step will target for MatMul/Gemm + bias + activation. runMatrixMultiply
// (kernel_context.h) is this function without epilogue.
#pragma once

#include <cstdint>

#include "backends/cuda/kernel_context.h"

namespace kiln::cuda {

/// The activations cuBLASLt applies in its epilogue. Its GELU is the tanh approximation
/// (ActivationType::kGELU_TANH); an erf GELU cannot be fused this way.
enum class EpilogueActivation : int32_t {
    kNONE = 0,
    kRELU = 1,
    kGELU_TANH = 2,
};

/// Scratch a matmul launch can use well: cuBLASLt's recommendation for Hopper. Less (even 0) still
/// works; the heuristic then only offers algorithms that fit.
constexpr int64_t kCublasLtWorkspaceBytes = int64_t{32} << 20;

/// c = act(op0(a) x op1(b) + bias), with MatrixMultiply's semantics for attrs, shapes and broadcasting.
/// `bias` (may be null) holds one value per output column N, of c's type. a, b and c share one type:
/// float32 (exact float32 math, no TF32), float16 or bfloat16 (float32 accumulation, one rounding on
/// store). Enqueue-only on ctx.stream; needs ctx.libraries; uses ctx.workspace.
Status matmulBiasAct(const ir::MatrixMultiplyAttrs& attrs, const TensorRef& a, const TensorRef& b,
                     const TensorRef* bias, EpilogueActivation activation, const TensorRef& c,
                     const KernelContext& ctx);

}  // namespace kiln::cuda
