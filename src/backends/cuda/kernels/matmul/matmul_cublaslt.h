// The cuBLASLt matmul tactic with its fused epilogue: matmulBiasAct, the batched, broadcasting GEMM
// D = act(A B + C + bias) (bias per output column, C an addend of the output's shape, then ReLU or
// tanh-GELU). runMatrixMultiply (matmul_epilogue.cc) maps MatrixMultiply's epilogue onto it and runs
// what cuBLASLt cannot fuse with the ElementWise/Activation kernels.
#pragma once

#include <cstdint>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/matmul/matmul_cublaslt_plan.h"

namespace kiln::cuda {

/// Scratch a matmul launch can use well: cuBLASLt's recommendation for Hopper. Less (even 0) still
/// works; the heuristic then only offers algorithms that fit.
constexpr int64_t kCublasLtWorkspaceBytes = int64_t{32} << 20;

/// c = act(op0(a) x op1(b) + addend + bias), with MatrixMultiply's semantics for attrs, shapes and
/// broadcasting (attrs.epilogue is ignored: the epilogue is what the arguments say). `bias` (may be null)
/// holds one value per output column N, of c's type; `addend` (may be null) has c's type and shape and
/// must not overlap c. An unsupported Status means cuBLASLt has no algorithm for this epilogue and
/// layout; calls of earlier batch groups may then have written part of c (a plain retry rewrites all of
/// it). a, b and c share one type:
/// float32 (exact float32 math; TF32 when ctx.allowTf32), float16 or bfloat16 (float32 accumulation, one rounding on
/// store). Enqueue-only on ctx.stream; needs ctx.libraries; uses ctx.workspace.
Status matmulBiasAct(const ir::MatrixMultiplyAttrs& attrs, const TensorRef& a, const TensorRef& b,
                     const TensorRef* bias, const TensorRef* addend, EpilogueActivation activation,
                     const TensorRef& c, const KernelContext& ctx);

}  // namespace kiln::cuda
