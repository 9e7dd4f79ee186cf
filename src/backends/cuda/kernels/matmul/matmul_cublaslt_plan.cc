// planCublasLt: batch blocking, batch folding and the column-major operand views (see the header).
#include "backends/cuda/kernels/matmul/matmul_cublaslt_plan.h"

#include <algorithm>

namespace kiln::cuda {
namespace {

/// True when, over output batch dims [from, end), the operand's matrix for inner batch index u sits at
/// u * stride; sets that stride (0 when it is broadcast over all of them).
bool uniformOver(const std::vector<int64_t>& strides, const Dims& outBatch, int from, int64_t* stride) {
    int64_t s = 0, inner = 1;
    bool seen = false;  // s is fixed by the innermost dim of extent > 1
    for (int i = outBatch.nbDims - 1; i >= from; --i) {
        const int64_t st = strides[static_cast<size_t>(i)];
        if (outBatch.d[i] != 1) {
            if (!seen) {
                s = st / inner;  // inner is 1 here: only extent-1 dims lie further in
                seen = true;
            } else if (st != s * inner) {
                return false;
            }
        }
        inner *= outBatch.d[i];
    }
    *stride = s;
    return true;
}

}  // namespace

LtPlan planCublasLt(const reference::matmul_detail::Geometry& g) {
    // Batch blocks: dims [split, end) are strided-batched inside one call, dims before `split` loop.
    const int nb = g.outBatch.nbDims;
    int split = nb;
    int64_t strideA = 0, strideB = 0;
    for (int from = 0; from <= nb; ++from) {
        int64_t sa = 0, sb = 0;
        if (uniformOver(g.aStride, g.outBatch, from, &sa) && uniformOver(g.bStride, g.outBatch, from, &sb)) {
            split = from;
            strideA = sa;
            strideB = sb;
            break;
        }
    }
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < nb; ++i) (i < split ? outer : inner) *= g.outBatch.d[i];
    int64_t m = g.m;
    // Fold: B broadcast over every batch and A a contiguous stack of row-major [M, K] matrices (a
    // vector operand is a 1 x K row, so a stack of them qualifies too): the stack is one
    // [batches * M, K] matrix and C one [batches * M, N] matrix.
    if (split == 0 && inner > 1 && strideB == 0 && !g.transA && strideA == g.m * g.k) {
        m *= inner;
        inner = 1;
        strideA = 0;
    }

    LtPlan p;
    p.first = {g.transB ? g.k : g.n, g.transB ? g.n : g.k, g.ldb, g.transB, strideB};
    p.second = {g.transA ? m : g.k, g.transA ? g.k : m, g.lda, g.transA, strideA};
    p.out = {g.n, m, g.n, false, g.m * g.n};
    for (int64_t o = 0; o < outer; ++o) {
        for (int64_t u0 = 0; u0 < inner; u0 += kMaxBatchPerCall) {
            const int64_t t = o * inner + u0;  // first output batch element of this call
            LtCall call;
            g.offsets(t, &call.aOffset, &call.bOffset);
            call.cOffset = t * g.m * g.n;
            call.batchCount = static_cast<int32_t>(std::min(kMaxBatchPerCall, inner - u0));
            p.calls.push_back(call);
        }
    }
    return p;
}

LtEpiloguePlan planLtEpilogue(const ir::MatrixMultiplyAttrs& attrs, bool hasBias, bool biasAligned, bool hasAddend,
                              bool fuse) {
    LtEpiloguePlan p;
    p.fuseAddend = fuse && hasAddend;
    p.addendAfter = hasAddend && !p.fuseAddend;
    p.fuseBias = fuse && hasBias && biasAligned && attrs.op1 != MatrixOperation::kVECTOR;
    p.biasAfter = hasBias && !p.fuseBias;
    if (!attrs.epilogue.hasActivation) return p;
    EpilogueActivation act = EpilogueActivation::kNONE;
    switch (attrs.epilogue.activation) {
        case ActivationType::kRELU:
            act = EpilogueActivation::kRELU;
            break;
        case ActivationType::kGELU_TANH:
            act = EpilogueActivation::kGELU_TANH;
            break;
        case ActivationType::kSIGMOID:
        case ActivationType::kTANH:
        case ActivationType::kLEAKY_RELU:
        case ActivationType::kELU:
        case ActivationType::kSELU:
        case ActivationType::kSOFTSIGN:
        case ActivationType::kSOFTPLUS:
        case ActivationType::kCLIP:
        case ActivationType::kHARD_SIGMOID:
        case ActivationType::kSCALED_TANH:
        case ActivationType::kTHRESHOLDED_RELU:
        case ActivationType::kGELU_ERF:  // cuBLASLt's GELU is the tanh form only
        case ActivationType::kSILU:
        case ActivationType::kHARD_SWISH:
            break;
    }
    if (fuse && act != EpilogueActivation::kNONE && !p.biasAfter && !p.addendAfter)
        p.fusedActivation = act;
    else
        p.activationAfter = true;
    return p;
}

}  // namespace kiln::cuda
