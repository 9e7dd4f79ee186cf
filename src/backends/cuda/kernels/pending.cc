// The ops of ops.def that have no CUDA kernel yet: each answers with an unsupported Status naming the op,
// which the builder reports (or falls back on) instead of failing later. This list only shrinks: an op
// leaves it when its kernels/<family>/*.cu lands, and the linker catches an op listed in neither place.
#include "backends/cuda/kernel_context.h"

namespace kiln::cuda {

#define KILN_CUDA_PENDING(Name)                                                 \
    Status run##Name(const ir::Name##Attrs&, const KernelContext&) {            \
        return unsupported("the CUDA backend has no kernel for " #Name " yet"); \
    }

KILN_CUDA_PENDING(Constant)
KILN_CUDA_PENDING(Convolution)
KILN_CUDA_PENDING(Deconvolution)
KILN_CUDA_PENDING(Pooling)
KILN_CUDA_PENDING(MatrixMultiply)
KILN_CUDA_PENDING(SoftMax)
KILN_CUDA_PENDING(Reduce)
KILN_CUDA_PENDING(TopK)
KILN_CUDA_PENDING(Normalization)
KILN_CUDA_PENDING(Resize)
KILN_CUDA_PENDING(Shape)
KILN_CUDA_PENDING(Fill)
KILN_CUDA_PENDING(Cumulative)
KILN_CUDA_PENDING(Scatter)
KILN_CUDA_PENDING(Trilu)
KILN_CUDA_PENDING(Quantize)
KILN_CUDA_PENDING(Dequantize)

#undef KILN_CUDA_PENDING

}  // namespace kiln::cuda
