// Shape/type inference for the reduce family: SoftMax, Reduce, TopK.
#include "ir/infer.h"

namespace kiln::ir {

Status inferSoftMax(const SoftMaxAttrs&, InferContext&) { return unsupported("SoftMax: inference not implemented yet"); }
Status inferReduce(const ReduceAttrs&, InferContext&) { return unsupported("Reduce: inference not implemented yet"); }
Status inferTopK(const TopKAttrs&, InferContext&) { return unsupported("TopK: inference not implemented yet"); }

}  // namespace kiln::ir
