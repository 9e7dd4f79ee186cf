// Reference kernels for the conv family: Convolution, Deconvolution, Pooling.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runConvolution(const ir::ConvolutionAttrs&, const KernelContext&) { return unsupported("Convolution: reference kernel not implemented yet"); }
Status runDeconvolution(const ir::DeconvolutionAttrs&, const KernelContext&) { return unsupported("Deconvolution: reference kernel not implemented yet"); }
Status runPooling(const ir::PoolingAttrs&, const KernelContext&) { return unsupported("Pooling: reference kernel not implemented yet"); }

}  // namespace kiln::reference
