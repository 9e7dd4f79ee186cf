// Host-side planning of a CUDA Normalization: the geometry (x's dims split into kept and reduced ones,
// with the strides of x, scale and bias; normalization_ops.cc) and the choice between the register-rows
// kernel (normalization_rows.cu: LayerNorm over trailing dims, scale and bias per element of the
// normalized shape) and the general kernel (normalization_groups.cu: instance and group norm, strided
// statistics, long rows, mixed affine types). Separate from the launchers so that
// tests/unit/cuda_rows_plan_test.cc checks the choice from shapes and addresses without a GPU.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/normalization/normalization_launch.h"
#include "common/dims.h"

namespace kiln::cuda::rk {

/// The geometry of a Normalization of `x` over the dims in `axes` (group norm: `groups` > 1 splits dim
/// 1), scale and bias broadcast to x. Extent-1 dims are dropped and neighbours merged where all three
/// operands allow. Preconditions (checked by runNormalization): rank <= kMaxNormDims - 2, scale and
/// bias of at most x's rank, `groups` divides dim 1.
NormGeometry normGeometry(const Dims& x, const Dims& scale, const Dims& bias, uint32_t axes, int64_t groups);

inline int64_t floatTypeBytes(ValueType t) {
    return t == ValueType::kF32 ? 4 : 2;
}

/// The register-rows form of `g` when it has one and a compiled kernel takes these types and addresses
/// (see NormRows); otherwise plan.fast is false and the general kernel runs.
inline NormRows planNormRows(const NormGeometry& g, ValueType type, ValueType scaleType, ValueType biasType,
                             uintptr_t x, uintptr_t y, uintptr_t scale, uintptr_t bias) {
    NormRows r;
    const auto isFloat = [](ValueType t) {
        return t == ValueType::kF32 || t == ValueType::kF16 || t == ValueType::kBF16;
    };
    // Kernels exist for scale and bias of one type, x's or float32 (weights kept in float).
    if (!isFloat(type) || scaleType != biasType || (scaleType != type && scaleType != ValueType::kF32))
        return r;
    // One contiguous reduced dim walked with element stride 1 by all three operands, and rows of x
    // back to back.
    if (g.nbReduced != 1 || g.nbKept > 1) return r;
    for (int j = 0; j < 3; ++j)
        if (g.reducedStride[j][0] != 1) return r;
    if (g.nbKept == 1 && g.keptStride[0][0] != g.count) return r;
    r.rows = g.nbGroups;
    r.cols = g.count;
    r.scaleRowStride = g.nbKept == 1 ? g.keptStride[1][0] : 0;
    r.biasRowStride = g.nbKept == 1 ? g.keptStride[2][0] : 0;
    r.affineType = scaleType;
    const int64_t xb = floatTypeBytes(type), pb = floatTypeBytes(scaleType);
    const RowsOperand ops[] = {
        {x, xb, r.cols}, {y, xb, r.cols}, {scale, pb, r.scaleRowStride}, {bias, pb, r.biasRowStride}};
    r.plan = planRows(r.rows, r.cols, xb, ops, 4);
    return r;
}

}  // namespace kiln::cuda::rk
