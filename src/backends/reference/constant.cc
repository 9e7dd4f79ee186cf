// Reference kernel for Constant: copies the stored bytes into the output.
#include <cstring>

#include "backends/reference/kernels.h"

namespace kiln::reference {

Status runConstant(const ir::ConstantAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& out = ctx.outputs[0];
    if (!attrs.data || static_cast<int64_t>(attrs.data->size()) != out.bytes())
        return internalError("Constant: stored data does not match the output size");
    if (out.bytes() > 0) std::memcpy(out.data, attrs.data->data(), static_cast<size_t>(out.bytes()));
    return Status::ok();
}

}  // namespace kiln::reference
