// Reference kernels for the movement family: Shuffle, Concatenation, Slice, Gather, Padding, Shape.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runShuffle(const ir::ShuffleAttrs&, const KernelContext&) { return unsupported("Shuffle: reference kernel not implemented yet"); }
Status runConcatenation(const ir::ConcatenationAttrs&, const KernelContext&) { return unsupported("Concatenation: reference kernel not implemented yet"); }
Status runSlice(const ir::SliceAttrs&, const KernelContext&) { return unsupported("Slice: reference kernel not implemented yet"); }
Status runGather(const ir::GatherAttrs&, const KernelContext&) { return unsupported("Gather: reference kernel not implemented yet"); }
Status runPadding(const ir::PaddingAttrs&, const KernelContext&) { return unsupported("Padding: reference kernel not implemented yet"); }
Status runShape(const ir::ShapeAttrs&, const KernelContext&) { return unsupported("Shape: reference kernel not implemented yet"); }

}  // namespace kiln::reference
