// Reference kernel for MatrixMultiply (TensorRT IMatrixMultiplyLayer semantics, see
// src/ir/ops/matmul.cc). Every batch element is one GEMM C[M,N] = op(A)[M,K] * op(B)[K,N], with a vector
// operand read as a 1 x K row (A) or a K x 1 column (B). float32 goes to cblas_sgemm, one call per batch
// element, the batch split over the pool; float16/bfloat16 are widened to float32, multiplied the same
// way and rounded once on store; int32/int64 use a plain triple loop with wrapping 64-bit accumulation.
#include <cblas.h>

#include <cstring>
#include <vector>

#include "backends/reference/kernels.h"

namespace kiln::reference {

namespace {

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
std::vector<int64_t> batchStrides(const Dims& shape, int batchRank, const Dims& outBatch,
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

StatusOr<Geometry> makeGeometry(const ir::MatrixMultiplyAttrs& attrs, const Dims& a, const Dims& b,
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

/// C = op(A) * op(B) for every batch element, float32, through BLAS.
void gemmFloat(const Geometry& g, const float* a, const float* b, float* c, ThreadPool* pool) {
    const int64_t mn = g.m * g.n;
    auto one = [&](int64_t t) {
        float* ct = c + t * mn;
        if (mn == 0) return;
        if (g.k == 0) {  // empty sum; BLAS rejects a zero leading dimension, so fill directly
            std::memset(ct, 0, static_cast<size_t>(mn) * sizeof(float));
            return;
        }
        int64_t aOff = 0, bOff = 0;
        g.offsets(t, &aOff, &bOff);
        cblas_sgemm(CblasRowMajor, g.transA ? CblasTrans : CblasNoTrans, g.transB ? CblasTrans : CblasNoTrans,
                    static_cast<blasint>(g.m), static_cast<blasint>(g.n), static_cast<blasint>(g.k), 1.0f,
                    a + aOff, static_cast<blasint>(g.lda), b + bOff, static_cast<blasint>(g.ldb), 0.0f, ct,
                    static_cast<blasint>(g.n));
    };
    if (g.nbBatches == 1) {
        one(0);  // a single large GEMM: let BLAS use its own threads
        return;
    }
    pool->parallelFor(g.nbBatches, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) one(t);
    });
}

/// Integer matmul: plain loops, accumulated in uint64 so overflow wraps (two's complement) instead of
/// being undefined; the store truncates to T.
template <typename T>
void gemmInt(const Geometry& g, const T* a, const T* b, T* c, ThreadPool* pool) {
    pool->parallelFor(g.nbBatches * g.m, 1, [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
            int64_t t = row / g.m, i = row % g.m;
            int64_t aOff = 0, bOff = 0;
            g.offsets(t, &aOff, &bOff);
            const T* at = a + aOff;
            const T* bt = b + bOff;
            for (int64_t j = 0; j < g.n; ++j) {
                uint64_t acc = 0;
                for (int64_t p = 0; p < g.k; ++p) {
                    int64_t av = g.transA ? at[p * g.lda + i] : at[i * g.lda + p];
                    int64_t bv = g.transB ? bt[j * g.ldb + p] : bt[p * g.ldb + j];
                    acc += static_cast<uint64_t>(av) * static_cast<uint64_t>(bv);
                }
                c[row * g.n + j] = static_cast<T>(static_cast<int64_t>(acc));
            }
        }
    });
}

/// Widens any float tensor to float32 (exact for half and bfloat16).
std::vector<float> toFloat(const TensorRef& t, ThreadPool* pool) {
    std::vector<float> v(static_cast<size_t>(t.numel()));
    pool->parallelFor(t.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            v[static_cast<size_t>(i)] = static_cast<float>(loadAsDouble(t.type, t.data, i));
    });
    return v;
}

}  // namespace

Status runMatrixMultiply(const ir::MatrixMultiplyAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& a = ctx.inputs[0];
    const TensorRef& b = ctx.inputs[1];
    const TensorRef& c = ctx.outputs[0];
    KILN_ASSIGN_OR_RETURN(Geometry g, makeGeometry(attrs, a.shape, b.shape, c.shape));
    if (a.type != c.type || b.type != c.type)
        return internalError(std::string("MatrixMultiply: kernel expects one type, got ") +
                             dataTypeName(a.type) + ", " + dataTypeName(b.type) + " -> " +
                             dataTypeName(c.type));
    switch (c.type) {
        case DataType::kFLOAT:
            gemmFloat(g, a.as<float>(), b.as<float>(), c.as<float>(), ctx.pool);
            return Status::ok();
        case DataType::kHALF:
        case DataType::kBF16: {
            std::vector<float> af = toFloat(a, ctx.pool), bf = toFloat(b, ctx.pool);
            std::vector<float> cf(static_cast<size_t>(c.numel()));
            gemmFloat(g, af.data(), bf.data(), cf.data(), ctx.pool);
            ctx.pool->parallelFor(c.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i)
                    storeFromDouble(c.type, c.data, i, cf[static_cast<size_t>(i)]);
            });
            return Status::ok();
        }
        case DataType::kINT32:
            gemmInt(g, a.as<int32_t>(), b.as<int32_t>(), c.as<int32_t>(), ctx.pool);
            return Status::ok();
        case DataType::kINT64:
            gemmInt(g, a.as<int64_t>(), b.as<int64_t>(), c.as<int64_t>(), ctx.pool);
            return Status::ok();
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kBOOL:
        case DataType::kFP8:
        case DataType::kINT4:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
        case DataType::kFP4:
        case DataType::kE8M0:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
            break;
    }
    return internalError(std::string("MatrixMultiply: no reference kernel for ") + dataTypeName(c.type));
}

}  // namespace kiln::reference
