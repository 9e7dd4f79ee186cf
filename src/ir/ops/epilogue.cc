// Inference checks for the fused epilogue (EpilogueAttrs) that MatrixMultiply and Convolution carry:
// y = act(result + bias + addend). The bias is checked by each op (its layout differs); the addend and
// the activation are the same for both and are checked here, the activation by Activation's own
// inference so that both accept exactly the same types and parameters.
#include <sstream>

#include "common/dims.h"
#include "ir/infer.h"

namespace kiln::ir {

Status checkEpilogue(const char* op, const EpilogueAttrs& e, const TensorDesc* addend, const TensorDesc& out) {
    if (addend) {
        KILN_CHECK_ARG(addend->type == out.type, op << ": the addend (residual) must have the output's type "
                                                    << dataTypeName(out.type) << ", got "
                                                    << dataTypeName(addend->type) << "; insert a Cast");
        KILN_CHECK_ARG(addend->shape == out.shape,
                       op << ": the addend (residual) must have the output's shape " << toString(out.shape)
                          << ", got " << toString(addend->shape)
                          << "; broadcast additions stay a separate ElementWise layer");
    }
    if (!e.hasActivation) return Status::ok();
    const ActivationAttrs act = epilogueActivation(e);
    TensorDesc in = out;
    TensorDesc result;
    InferContext ctx{std::span<const TensorDesc>(&in, 1), std::span<TensorDesc>(&result, 1)};
    const Status s = inferActivation(act, ctx);
    if (!s.isOk()) return invalidArgument(std::string(op) + " epilogue: " + s.message());
    return Status::ok();
}

}  // namespace kiln::ir
