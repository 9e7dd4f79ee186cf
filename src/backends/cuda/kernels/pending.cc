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
KILN_CUDA_PENDING(Shape)
KILN_CUDA_PENDING(Quantize)
KILN_CUDA_PENDING(Dequantize)

#undef KILN_CUDA_PENDING

}  // namespace kiln::cuda
