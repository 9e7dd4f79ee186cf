// Shape/type inference for the fill family: Fill, Cumulative, Trilu.
#include "ir/infer.h"

namespace kiln::ir {

Status inferFill(const FillAttrs&, InferContext&) { return unsupported("Fill: inference not implemented yet"); }
Status inferCumulative(const CumulativeAttrs&, InferContext&) { return unsupported("Cumulative: inference not implemented yet"); }
Status inferTrilu(const TriluAttrs&, InferContext&) { return unsupported("Trilu: inference not implemented yet"); }

}  // namespace kiln::ir
