// Reference kernels for the quantize family: Quantize, Dequantize.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runQuantize(const ir::QuantizeAttrs&, const KernelContext&) { return unsupported("Quantize: reference kernel not implemented yet"); }
Status runDequantize(const ir::DequantizeAttrs&, const KernelContext&) { return unsupported("Dequantize: reference kernel not implemented yet"); }

}  // namespace kiln::reference
