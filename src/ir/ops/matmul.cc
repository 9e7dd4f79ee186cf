// Shape/type inference for the matmul family: MatrixMultiply.
#include "ir/infer.h"

namespace kiln::ir {

Status inferMatrixMultiply(const MatrixMultiplyAttrs&, InferContext&) { return unsupported("MatrixMultiply: inference not implemented yet"); }

}  // namespace kiln::ir
