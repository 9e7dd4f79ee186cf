// MatrixMultiply geometry shared by the reference kernel (matmul.cc) and the CUDA cuBLASLt tactic: from
// the attributes and the actual shapes, the GEMM extents M, N, K, how each operand is stored (transposed
// or not, leading dimension, row-major) and, per output batch dim, the element stride of each operand's
// matrices (0 where that operand broadcasts). A vector operand is a 1 x K row (left) or a K x 1 column
// (right), as in TensorRT's IMatrixMultiplyLayer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/dims.h"
#include "common/status.h"
#include "ir/attrs.h"

namespace kiln::reference::matmul_detail {

/// Where each batch element's matrices live and how BLAS must read them.
struct Geometry {
    int64_t m{1}, n{1}, k{1};
    bool transA{false}, transB{false};  ///< operand stored transposed relative to op(x)
    int64_t lda{1}, ldb{1};
    int64_t nbBatches{1};
    Dims outBatch{};
    std::vector<int64_t> aStride, bStride;  ///< per output batch dim, element stride (0 where broadcast)

    /// Element offsets of batch element `t`'s A and B matrices.
    void offsets(int64_t t, int64_t* aOff, int64_t* bOff) const {
        *aOff = 0;
        *bOff = 0;
        for (int i = outBatch.nbDims - 1; i >= 0; --i) {
            int64_t idx = t % outBatch.d[i];
            t /= outBatch.d[i];
            *aOff += idx * aStride[static_cast<size_t>(i)];
            *bOff += idx * bStride[static_cast<size_t>(i)];
        }
    }
};

/// Strides of `shape`'s batch dims (its first `batchRank` dims) seen from the output batch dims.
inline std::vector<int64_t> batchStrides(const Dims& shape, int batchRank, const Dims& outBatch,
                                         int64_t matrixSize) {
    std::vector<int64_t> s(static_cast<size_t>(outBatch.nbDims), 0);
    int64_t stride = matrixSize;
    for (int i = batchRank - 1; i >= 0; --i) {
        int o = outBatch.nbDims - batchRank + i;
        if (shape.d[i] != 1) s[static_cast<size_t>(o)] = stride;
        stride *= shape.d[i];
    }
    return s;
}

inline StatusOr<Geometry> makeGeometry(const ir::MatrixMultiplyAttrs& attrs, const Dims& a, const Dims& b,
                                       const Dims& c) {
    Geometry g;
    int ra = a.nbDims, rb = b.nbDims;
    int64_t ka = 0, kb = 0;
    int batchA = 0, batchB = 0;
    switch (attrs.op0) {
        case MatrixOperation::kNONE:
            g.m = a.d[ra - 2];
            ka = a.d[ra - 1];
            g.lda = ka;
            batchA = ra - 2;
            break;
        case MatrixOperation::kTRANSPOSE:
            ka = a.d[ra - 2];
            g.m = a.d[ra - 1];
            g.transA = true;
            g.lda = g.m;
            batchA = ra - 2;
            break;
        case MatrixOperation::kVECTOR:
            g.m = 1;
            ka = a.d[ra - 1];
            g.lda = ka;
            batchA = ra - 1;
            break;
    }
    switch (attrs.op1) {
        case MatrixOperation::kNONE:
            kb = b.d[rb - 2];
            g.n = b.d[rb - 1];
            g.ldb = g.n;
            batchB = rb - 2;
            break;
        case MatrixOperation::kTRANSPOSE:
            g.n = b.d[rb - 2];
            kb = b.d[rb - 1];
            g.transB = true;
            g.ldb = kb;
            batchB = rb - 2;
            break;
        case MatrixOperation::kVECTOR:
            g.n = 1;
            kb = b.d[rb - 1];
            g.ldb = 1;
            batchB = rb - 1;
            break;
    }
    if (ka != kb)
        return internalError("MatrixMultiply: contracted extents differ at run time: " + toString(a) +
                             " vs " + toString(b));
    g.k = ka;
    int matDims =
        (attrs.op0 == MatrixOperation::kVECTOR ? 0 : 1) + (attrs.op1 == MatrixOperation::kVECTOR ? 0 : 1);
    g.outBatch.nbDims = c.nbDims - matDims;
    for (int i = 0; i < g.outBatch.nbDims; ++i) g.outBatch.d[i] = c.d[i];
    g.nbBatches = volume(g.outBatch);
    g.aStride = batchStrides(a, batchA, g.outBatch, g.m * g.k);
    g.bStride = batchStrides(b, batchB, g.outBatch, g.k * g.n);
    return g;
}

}  // namespace kiln::reference::matmul_detail
