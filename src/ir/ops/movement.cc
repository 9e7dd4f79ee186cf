// Shape/type inference for the movement family: Shuffle, Concatenation, Slice, Gather, Padding, Shape.
#include "ir/infer.h"

namespace kiln::ir {

Status inferShuffle(const ShuffleAttrs&, InferContext&) { return unsupported("Shuffle: inference not implemented yet"); }
Status inferConcatenation(const ConcatenationAttrs&, InferContext&) { return unsupported("Concatenation: inference not implemented yet"); }
Status inferSlice(const SliceAttrs&, InferContext&) { return unsupported("Slice: inference not implemented yet"); }
Status inferGather(const GatherAttrs&, InferContext&) { return unsupported("Gather: inference not implemented yet"); }
Status inferPadding(const PaddingAttrs&, InferContext&) { return unsupported("Padding: inference not implemented yet"); }
Status inferShape(const ShapeAttrs&, InferContext&) { return unsupported("Shape: inference not implemented yet"); }

}  // namespace kiln::ir
