// Reference kernels for the scatter family: Scatter.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runScatter(const ir::ScatterAttrs&, const KernelContext&) { return unsupported("Scatter: reference kernel not implemented yet"); }

}  // namespace kiln::reference
