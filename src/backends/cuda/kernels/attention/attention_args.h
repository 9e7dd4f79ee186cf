// The host-side translation of an Attention node into the kernels' arguments (attention_launch.h): the
// operands' views (layouts or explicit STRIDED views) become base addresses and per-axis element strides,
// the mask's shape broadcast strides. Separate from
// the launch so that tests/unit/cuda_attention_plan_test.cc can check it, and the kernel choice that
// follows from it, on machines without a GPU.
#pragma once

#include <span>

#include "backends/cuda/kernels/attention/attention_launch.h"
#include "common/status.h"
#include "common/tensor_ref.h"
#include "ir/attrs.h"

namespace kiln::cuda::attn {

/// Arguments for q, k, v, [mask] (`inputs`) and `output`; an internal error when their types or shapes
/// disagree, and invalid-argument when a view does not fit its input (inference refuses both first).
StatusOr<AttentionArgs> attentionArgs(const ir::AttentionAttrs& attrs, std::span<const TensorRef> inputs,
                                      const TensorRef& output);

}  // namespace kiln::cuda::attn
