// Shape/type inference for the conv family: Convolution, Deconvolution, Pooling.
#include "ir/infer.h"

namespace kiln::ir {

Status inferConvolution(const ConvolutionAttrs&, InferContext&) { return unsupported("Convolution: inference not implemented yet"); }
Status inferDeconvolution(const DeconvolutionAttrs&, InferContext&) { return unsupported("Deconvolution: inference not implemented yet"); }
Status inferPooling(const PoolingAttrs&, InferContext&) { return unsupported("Pooling: inference not implemented yet"); }

}  // namespace kiln::ir
