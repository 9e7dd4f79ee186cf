// Shape/type inference for the resize family: Resize.
#include "ir/infer.h"

namespace kiln::ir {

Status inferResize(const ResizeAttrs&, InferContext&) { return unsupported("Resize: inference not implemented yet"); }

}  // namespace kiln::ir
