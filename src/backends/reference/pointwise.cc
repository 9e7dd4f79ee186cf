// Reference kernels for the pointwise family: Activation, ElementWise, Unary, Scale, Cast, Select, Identity.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runActivation(const ir::ActivationAttrs&, const KernelContext&) { return unsupported("Activation: reference kernel not implemented yet"); }
Status runElementWise(const ir::ElementWiseAttrs&, const KernelContext&) { return unsupported("ElementWise: reference kernel not implemented yet"); }
Status runUnary(const ir::UnaryAttrs&, const KernelContext&) { return unsupported("Unary: reference kernel not implemented yet"); }
Status runScale(const ir::ScaleAttrs&, const KernelContext&) { return unsupported("Scale: reference kernel not implemented yet"); }
Status runCast(const ir::CastAttrs&, const KernelContext&) { return unsupported("Cast: reference kernel not implemented yet"); }
Status runSelect(const ir::SelectAttrs&, const KernelContext&) { return unsupported("Select: reference kernel not implemented yet"); }
Status runIdentity(const ir::IdentityAttrs&, const KernelContext&) { return unsupported("Identity: reference kernel not implemented yet"); }

}  // namespace kiln::reference
