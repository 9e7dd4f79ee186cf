// Shape/type inference for the pointwise family: Activation, ElementWise, Unary, Scale, Cast, Select, Identity.
#include "ir/infer.h"

namespace kiln::ir {

Status inferActivation(const ActivationAttrs&, InferContext&) { return unsupported("Activation: inference not implemented yet"); }
Status inferElementWise(const ElementWiseAttrs&, InferContext&) { return unsupported("ElementWise: inference not implemented yet"); }
Status inferUnary(const UnaryAttrs&, InferContext&) { return unsupported("Unary: inference not implemented yet"); }
Status inferScale(const ScaleAttrs&, InferContext&) { return unsupported("Scale: inference not implemented yet"); }
Status inferCast(const CastAttrs&, InferContext&) { return unsupported("Cast: inference not implemented yet"); }
Status inferSelect(const SelectAttrs&, InferContext&) { return unsupported("Select: inference not implemented yet"); }
Status inferIdentity(const IdentityAttrs&, InferContext&) { return unsupported("Identity: inference not implemented yet"); }

}  // namespace kiln::ir
