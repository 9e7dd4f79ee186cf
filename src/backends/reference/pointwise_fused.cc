// Reference kernel for Pointwise: interprets the node's program (ir/pointwise_program.h) once per output
// element over float32 registers, with each input read at the element's numpy-broadcast position (bool
// inputs as 0 / 1). Every instruction computes with the unfused ops' own formulas (pointwise_math.h, in
// double) and rounds to float32, as the CUDA kernel keeps its registers; so a float32 chain gives exactly
// the values of its unfused ops, and a float16 / bfloat16 one differs only by the intermediate roundings
// the fusion drops. The result rounds once to the output type.
#include <array>

#include "backends/reference/kernels.h"
#include "backends/reference/pointwise_math.h"
#include "backends/reference/pointwise_util.h"
#include "ir/pointwise_program.h"

namespace kiln::reference {

namespace {

using Instruction = ir::PointwiseInstruction;
using Opcode = ir::PointwiseOpcode;
constexpr size_t kMaxInputs = ir::kPointwiseMaxInputs;

float execute(const Instruction& ins, const float* r) {
    const double a = ins.src[0] >= 0 ? r[ins.src[0]] : 0.0;
    switch (ins.opcode) {
        case Opcode::kLOAD:  // handled by the caller, which knows the element's input positions
        case Opcode::kIMMEDIATE:
            return ins.imm[0];
        case Opcode::kUNARY:
            return static_cast<float>(unaryValue(static_cast<UnaryOperation>(ins.operation), a));
        case Opcode::kACTIVATION:
            return static_cast<float>(
                activationValue(static_cast<ActivationType>(ins.operation), ins.imm[0], ins.imm[1], a));
        case Opcode::kBINARY:
            return static_cast<float>(
                elementWiseValue(static_cast<ElementWiseOperation>(ins.operation), a, r[ins.src[1]]));
        case Opcode::kSELECT:
            return a != 0.0 ? r[ins.src[1]] : r[ins.src[2]];
    }
    return 0.0f;
}

}  // namespace

Status runPointwise(const ir::PointwiseAttrs& attrs, const KernelContext& ctx) {
    const size_t nbInputs = ctx.inputs.size();
    const TensorRef& out = ctx.outputs[0];
    if (nbInputs == 0 || nbInputs > kMaxInputs || out.type != attrs.outputType)
        return internalError("Pointwise kernel: " + std::to_string(nbInputs) + " inputs and output type " +
                             dataTypeName(out.type) + " for a program writing " +
                             dataTypeName(attrs.outputType) + " (expected 1.." + std::to_string(kMaxInputs) +
                             " inputs and the program's type)");
    KILN_ASSIGN_OR_RETURN(const std::vector<Instruction> program,
                          ir::decodePointwiseProgram(attrs, static_cast<int32_t>(nbInputs)));
    std::array<Dims, kMaxInputs> shapes;
    for (size_t k = 0; k < kMaxInputs; ++k) {
        shapes[k] = Dims{};
        shapes[k].nbDims = 0;  // unused slots read as scalars, never loaded
        if (k >= nbInputs) continue;
        const TensorRef& x = ctx.inputs[k];
        if (x.data == nullptr && x.numel() > 0)
            return internalError("Pointwise kernel: input " + std::to_string(k) + " has no data");
        shapes[k] = x.shape;
    }
    KILN_ASSIGN_OR_RETURN(pointwise::BroadcastWalk<kMaxInputs> walk,
                          pointwise::BroadcastWalk<kMaxInputs>::make(out.shape, shapes));
    const int32_t resultReg = program.back().dst;
    pointwise::parallelRange(ctx, out.numel(), [&](int64_t begin, int64_t end) {
        walk.forRange(begin, end, [&](int64_t i, const std::array<int64_t, kMaxInputs>& idx) {
            float r[ir::kPointwiseMaxRegisters] = {};
            for (const Instruction& ins : program) {
                if (ins.opcode == Opcode::kLOAD) {
                    const TensorRef& x = ctx.inputs[static_cast<size_t>(ins.operation)];
                    r[ins.dst] = static_cast<float>(loadAsDouble(x.type, x.data, idx[static_cast<size_t>(ins.operation)]));
                } else {
                    r[ins.dst] = execute(ins, r);
                }
            }
            pointwise::storeFloat(out.type, out.data, i, r[resultReg]);
        });
    });
    return Status::ok();
}

}  // namespace kiln::reference
