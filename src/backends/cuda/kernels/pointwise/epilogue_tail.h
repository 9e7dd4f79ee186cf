// The unfused tail of an epilogue (ir::EpilogueAttrs) on the GPU, for MatrixMultiply and Convolution when
// their library call cannot fuse it: y += other through the ElementWise kernel and y = act(y) through the
// Activation kernel, both in place on y (each output element reads only the same element of y, so in
// place is safe) and enqueue-only on ctx.stream like every kernel.
#pragma once

#include "backends/cuda/kernel_context.h"

namespace kiln::cuda {

/// y = y + other, `other` broadcast to y as ElementWise broadcasts (the same type as y).
Status addInPlace(const TensorRef& y, const TensorRef& other, const KernelContext& ctx);

/// y = act(y) with the epilogue's activation; nothing when e.hasActivation is false.
Status activateInPlace(const ir::EpilogueAttrs& e, const TensorRef& y, const KernelContext& ctx);

}  // namespace kiln::cuda
