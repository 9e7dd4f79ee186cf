// applyEpilogue (see epilogue.h): the addend and the activation of a fused MatrixMultiply or Convolution.
#include "backends/reference/epilogue.h"

#include <string>

namespace kiln::reference {

Status applyEpilogue(const char* op, const ir::EpilogueAttrs& e, const TensorRef* addend, float* y, int64_t count,
                     const KernelContext& ctx) {
    if (addend) {
        if (addend->numel() != count || !isFloatType(addend->type))
            return internalError(std::string(op) + ": the addend must hold " + std::to_string(count) +
                                 " float values (the output's), got " + dataTypeName(addend->type) + " " +
                                 toString(addend->shape));
        auto add = [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i)
                y[i] = static_cast<float>(static_cast<double>(y[i]) + loadAsDouble(addend->type, addend->data, i));
        };
        if (ctx.pool)
            ctx.pool->parallelFor(count, 1 << 14, add);
        else
            add(0, count);
    }
    if (!e.hasActivation || count == 0) return Status::ok();
    // In place: the Activation kernel reads element i before it writes element i.
    Dims shape{};
    shape.nbDims = 1;
    shape.d[0] = count;
    const TensorRef buffer{DataType::kFLOAT, shape, y};
    const KernelContext actCtx{std::span<const TensorRef>(&buffer, 1), std::span<const TensorRef>(&buffer, 1),
                               ctx.pool};
    return runActivation(ir::epilogueActivation(e), actCtx);
}

}  // namespace kiln::reference
