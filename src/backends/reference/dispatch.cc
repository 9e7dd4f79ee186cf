// Dispatch from an op's attributes to its reference kernel.
#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runNode(const ir::Attrs& attrs, const KernelContext& ctx) {
    switch (ir::opKindOf(attrs)) {
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) \
    case ir::OpKind::k##Name:                               \
        return run##Name(std::get<ir::Name##Attrs>(attrs), ctx);
#include "ir/ops.def"
#undef KILN_OP
    }
    return internalError("runNode: op kind out of range");
}

}  // namespace kiln::reference
