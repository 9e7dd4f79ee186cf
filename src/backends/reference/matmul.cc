// Reference kernel for MatrixMultiply (TensorRT IMatrixMultiplyLayer semantics, see
// src/ir/ops/matmul.cc). Every batch element is one GEMM C[M,N] = op(A)[M,K] * op(B)[K,N], with a vector
// operand read as a 1 x K row (A) or a K x 1 column (B). float32 goes to cblas_sgemm, one call per batch
// element, the batch split over the pool; float16/bfloat16 are widened to float32, multiplied the same
// way and rounded once on store; int32/int64 use a plain triple loop with wrapping 64-bit accumulation.
// The fused epilogue (float types only) works on the float32 product before the store: bias per output
// column, then the addend and the activation (epilogue.h).
#include <cblas.h>

#include <cstring>
#include <vector>

#include "backends/reference/epilogue.h"
#include "backends/reference/kernels.h"
#include "backends/reference/matmul_geometry.h"

namespace kiln::reference {

namespace {

using matmul_detail::Geometry;
using matmul_detail::makeGeometry;

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

/// The epilogue on the float32 product y (c's element count): bias along the last dim, addend, activation.
Status epilogue(const ir::MatrixMultiplyAttrs& attrs, const KernelContext& ctx, float* y) {
    const TensorRef& c = ctx.outputs[0];
    const TensorRef* bias = ctx.inputs.size() > 2 && ctx.inputs[2].data ? &ctx.inputs[2] : nullptr;
    const TensorRef* addend = ctx.inputs.size() > 3 && ctx.inputs[3].data ? &ctx.inputs[3] : nullptr;
    const int64_t count = c.numel();
    if (bias && count > 0) {
        const int64_t n = c.shape.nbDims > 0 ? c.shape.d[c.shape.nbDims - 1] : 0;
        if (n <= 0 || bias->numel() != n)
            return internalError("MatrixMultiply: bias " + toString(bias->shape) + " must hold one value per " +
                                 "output column of " + toString(c.shape));
        std::vector<float> bf = toFloat(*bias, ctx.pool);
        ctx.pool->parallelFor(count / n, 1 << 8, [&](int64_t begin, int64_t end) {
            for (int64_t row = begin; row < end; ++row)
                for (int64_t j = 0; j < n; ++j) y[row * n + j] += bf[static_cast<size_t>(j)];
        });
    }
    return applyEpilogue("MatrixMultiply", attrs.epilogue, addend, y, count, ctx);
}

bool hasEpilogue(const ir::MatrixMultiplyAttrs& attrs, const KernelContext& ctx) {
    return attrs.epilogue.hasActivation || (ctx.inputs.size() > 2 && ctx.inputs[2].data) ||
           (ctx.inputs.size() > 3 && ctx.inputs[3].data);
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
    if (hasEpilogue(attrs, ctx) && !isFloatType(c.type))
        return internalError(std::string("MatrixMultiply: the epilogue needs a float type, got ") +
                             dataTypeName(c.type));
    switch (c.type) {
        case DataType::kFLOAT:
            gemmFloat(g, a.as<float>(), b.as<float>(), c.as<float>(), ctx.pool);
            return epilogue(attrs, ctx, c.as<float>());
        case DataType::kHALF:
        case DataType::kBF16: {
            std::vector<float> af = toFloat(a, ctx.pool), bf = toFloat(b, ctx.pool);
            std::vector<float> cf(static_cast<size_t>(c.numel()));
            gemmFloat(g, af.data(), bf.data(), cf.data(), ctx.pool);
            KILN_RETURN_IF_ERROR(epilogue(attrs, ctx, cf.data()));
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
