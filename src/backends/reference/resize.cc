// Reference kernels for the resize family: Resize.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runResize(const ir::ResizeAttrs&, const KernelContext&) { return unsupported("Resize: reference kernel not implemented yet"); }

}  // namespace kiln::reference
