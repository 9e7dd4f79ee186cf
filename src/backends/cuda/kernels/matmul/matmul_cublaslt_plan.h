// How one MatrixMultiply maps onto cuBLASLt calls: pure host arithmetic, kept apart from the library
// calls so that tests can execute a plan with a naive column-major GEMM on the CPU and check it against
// the reference kernel without a GPU.
//
// Kiln's tensors are row-major and cuBLASLt is column-major, so the row-major C[M,N] = op(A) op(B) is
// issued as the column-major C^T[N,M] = op(B)^T op(A)^T: cuBLASLt's first operand is Kiln's B and its
// second is Kiln's A, each described as the column-major view of its own memory.
//
// Batches: the innermost run of output batch dims over which both operands advance by one constant
// stride (0 where broadcast) is one strided-batched call; the outer dims, where broadcasting breaks that
// pattern (A [2,1,...] against B [1,3,...]), loop over several calls. When B is shared by every batch
// and A is a contiguous stack of row-major matrices, the batch is folded into M: one large GEMM.
//
// Epilogue: which parts of MatrixMultiply's y = act(A B + bias + addend) cuBLASLt fuses (planLtEpilogue)
// and which run afterwards, in place on y, as the ElementWise / Activation kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/reference/matmul_geometry.h"

namespace kiln::cuda {

/// Batches per call at most: cuBLASLt takes an int32 count, and kernels that map the batch to the
/// grid's z extent are limited to 65535, so larger batches are split rather than left to chance.
constexpr int64_t kMaxBatchPerCall = 65535;

/// One column-major cuBLASLt matrix: its stored rows, columns and leading dimension, whether the call
/// transposes it, and the element stride between the matrices of a batch.
struct LtMatrix {
    int64_t rows{0}, cols{0}, ld{1};
    bool transposed{false};
    int64_t batchStride{0};
};

/// One cuBLASLt call: element offsets of its first batch element in Kiln's a, b and c.
struct LtCall {
    int64_t aOffset{0}, bOffset{0}, cOffset{0};
    int32_t batchCount{1};
};

struct LtPlan {
    LtMatrix first;   ///< cuBLASLt's A: Kiln's b, N x K after its op
    LtMatrix second;  ///< cuBLASLt's B: Kiln's a, K x M' after its op
    LtMatrix out;     ///< cuBLASLt's C and D: Kiln's c, N x M' (M' = M, or batches * M when folded)
    std::vector<LtCall> calls;
};

/// The activations cuBLASLt applies in its epilogue. Its GELU is the tanh approximation
/// (ActivationType::kGELU_TANH); an erf GELU cannot be fused this way.
enum class EpilogueActivation : int32_t {
    kNONE = 0,
    kRELU = 1,
    kGELU_TANH = 2,
};

/// The split of one MatrixMultiply's epilogue between cuBLASLt and the kernels run after it.
struct LtEpiloguePlan {
    bool fuseBias{false};    ///< cuBLASLt's bias pointer (per column of Kiln's output)
    bool fuseAddend{false};  ///< cuBLASLt's C with beta = 1
    EpilogueActivation fusedActivation{EpilogueActivation::kNONE};
    bool biasAfter{false}, addendAfter{false}, activationAfter{false};
    bool fusesAnything() const {
        return fuseBias || fuseAddend || fusedActivation != EpilogueActivation::kNONE;
    }
};

/// Which parts go to cuBLASLt: the addend always (C has D's layout); the bias when op1 is a matrix (then
/// the output's last dim is N, cuBLASLt's bias dim) and its pointer is 16-byte aligned (cuBLASLt reads it
/// with vector loads); the activation when it is ReLU or tanh-GELU and nothing is left to add after the
/// GEMM (the activation must come last). `fuse` false puts everything after (the retry when cuBLASLt
/// has no algorithm for the fused form).
LtEpiloguePlan planLtEpilogue(const ir::MatrixMultiplyAttrs& attrs, bool hasBias, bool biasAligned, bool hasAddend,
                              bool fuse);

/// The calls for a non-empty geometry (M, N, K and the batch count all > 0).
LtPlan planCublasLt(const reference::matmul_detail::Geometry& g);

}  // namespace kiln::cuda
