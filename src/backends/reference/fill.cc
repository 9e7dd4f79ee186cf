// Reference kernels for the fill family: Fill, Cumulative, Trilu.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runFill(const ir::FillAttrs&, const KernelContext&) { return unsupported("Fill: reference kernel not implemented yet"); }
Status runCumulative(const ir::CumulativeAttrs&, const KernelContext&) { return unsupported("Cumulative: reference kernel not implemented yet"); }
Status runTrilu(const ir::TriluAttrs&, const KernelContext&) { return unsupported("Trilu: reference kernel not implemented yet"); }

}  // namespace kiln::reference
