// The tail of a fused epilogue (ir::EpilogueAttrs) on the reference backend, shared by MatrixMultiply and
// Convolution: add the addend (the residual) to the op's float32 result, then apply the activation
// through the Activation reference kernel itself, so a fused op computes exactly what the unfused layers
// computed. Each op adds its own bias first, since its layout differs (per column vs per channel).
#pragma once

#include "backends/reference/kernels.h"

namespace kiln::reference {

/// y[0, count) += addend (any float type, `count` elements; null when absent), then y = act(y) when
/// e.hasActivation. `op` names the caller in errors.
Status applyEpilogue(const char* op, const ir::EpilogueAttrs& e, const TensorRef* addend, float* y, int64_t count,
                     const KernelContext& ctx);

}  // namespace kiln::reference
