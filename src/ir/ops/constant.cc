// Shape/type inference for Constant: the output's declared type and shape are authoritative; the data
// must hold exactly that many bytes.
#include "common/dims.h"
#include "ir/infer.h"

namespace kiln::ir {

Status inferConstant(const ConstantAttrs& attrs, InferContext& ctx) {
    TensorDesc& out = ctx.outputs[0];
    if (!isFullyKnown(out.shape))
        return invalidArgument("constant shape " + toString(out.shape) + " must be fully known");
    int64_t expected = storageBytes(out.type, volume(out.shape));
    int64_t found = attrs.data ? static_cast<int64_t>(attrs.data->size()) : 0;
    if (found != expected)
        return invalidArgument("constant of " + std::string(dataTypeName(out.type)) + toString(out.shape) + " needs " +
                               std::to_string(expected) + " bytes of data, found " + std::to_string(found));
    return Status::ok();
}

}  // namespace kiln::ir
