// Reference kernels for the matmul family: MatrixMultiply.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runMatrixMultiply(const ir::MatrixMultiplyAttrs&, const KernelContext&) { return unsupported("MatrixMultiply: reference kernel not implemented yet"); }

}  // namespace kiln::reference
