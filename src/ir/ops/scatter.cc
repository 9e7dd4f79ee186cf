// Shape/type inference for the scatter family: Scatter.
#include "ir/infer.h"

namespace kiln::ir {

Status inferScatter(const ScatterAttrs&, InferContext&) { return unsupported("Scatter: inference not implemented yet"); }

}  // namespace kiln::ir
