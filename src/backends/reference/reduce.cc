// Reference kernels for the reduce family: SoftMax, Reduce, TopK.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runSoftMax(const ir::SoftMaxAttrs&, const KernelContext&) { return unsupported("SoftMax: reference kernel not implemented yet"); }
Status runReduce(const ir::ReduceAttrs&, const KernelContext&) { return unsupported("Reduce: reference kernel not implemented yet"); }
Status runTopK(const ir::TopKAttrs&, const KernelContext&) { return unsupported("TopK: reference kernel not implemented yet"); }

}  // namespace kiln::reference
