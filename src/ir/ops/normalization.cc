// Shape/type inference for the normalization family: Normalization.
#include "ir/infer.h"

namespace kiln::ir {

Status inferNormalization(const NormalizationAttrs&, InferContext&) { return unsupported("Normalization: inference not implemented yet"); }

}  // namespace kiln::ir
