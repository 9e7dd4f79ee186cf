// Reference kernels for the normalization family: Normalization.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runNormalization(const ir::NormalizationAttrs&, const KernelContext&) { return unsupported("Normalization: reference kernel not implemented yet"); }

}  // namespace kiln::reference
