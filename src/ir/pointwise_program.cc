// Decoding and validation of Pointwise programs (see pointwise_program.h).
#include "ir/pointwise_program.h"

#include <sstream>
#include <string>

namespace kiln::ir {

namespace {

/// Operations travel as one byte in the CUDA kernel's parameters; every enum value (Kiln's extensions
/// included, 100 and up) is below this.
constexpr int64_t kMaxOperation = 256;

bool isUnaryOp(int32_t v) {
    switch (static_cast<UnaryOperation>(v)) {
        case UnaryOperation::kEXP:
        case UnaryOperation::kLOG:
        case UnaryOperation::kSQRT:
        case UnaryOperation::kRECIP:
        case UnaryOperation::kABS:
        case UnaryOperation::kNEG:
        case UnaryOperation::kSIN:
        case UnaryOperation::kCOS:
        case UnaryOperation::kTAN:
        case UnaryOperation::kSINH:
        case UnaryOperation::kCOSH:
        case UnaryOperation::kASIN:
        case UnaryOperation::kACOS:
        case UnaryOperation::kATAN:
        case UnaryOperation::kASINH:
        case UnaryOperation::kACOSH:
        case UnaryOperation::kATANH:
        case UnaryOperation::kCEIL:
        case UnaryOperation::kFLOOR:
        case UnaryOperation::kERF:
        case UnaryOperation::kNOT:
        case UnaryOperation::kSIGN:
        case UnaryOperation::kROUND:
        case UnaryOperation::kISINF:
        case UnaryOperation::kISNAN:
            return true;
    }
    return false;
}

bool isActivation(int32_t v) {
    switch (static_cast<ActivationType>(v)) {
        case ActivationType::kRELU:
        case ActivationType::kSIGMOID:
        case ActivationType::kTANH:
        case ActivationType::kLEAKY_RELU:
        case ActivationType::kELU:
        case ActivationType::kSELU:
        case ActivationType::kSOFTSIGN:
        case ActivationType::kSOFTPLUS:
        case ActivationType::kCLIP:
        case ActivationType::kHARD_SIGMOID:
        case ActivationType::kSCALED_TANH:
        case ActivationType::kTHRESHOLDED_RELU:
        case ActivationType::kGELU_ERF:
        case ActivationType::kGELU_TANH:
        case ActivationType::kSILU:
        case ActivationType::kHARD_SWISH:
            return true;
    }
    return false;
}

/// Number of source registers an opcode reads; -1 for an unknown opcode.
int sourcesOf(PointwiseOpcode op) {
    switch (op) {
        case PointwiseOpcode::kLOAD:
        case PointwiseOpcode::kIMMEDIATE:
            return 0;
        case PointwiseOpcode::kUNARY:
        case PointwiseOpcode::kACTIVATION:
            return 1;
        case PointwiseOpcode::kBINARY:
            return 2;
        case PointwiseOpcode::kSELECT:
            return 3;
    }
    return -1;
}

}  // namespace

bool isPointwiseBinaryOp(ElementWiseOperation op) {
    switch (op) {
        case ElementWiseOperation::kSUM:
        case ElementWiseOperation::kPROD:
        case ElementWiseOperation::kMAX:
        case ElementWiseOperation::kMIN:
        case ElementWiseOperation::kSUB:
        case ElementWiseOperation::kDIV:
        case ElementWiseOperation::kPOW:
        case ElementWiseOperation::kAND:
        case ElementWiseOperation::kOR:
        case ElementWiseOperation::kXOR:
        case ElementWiseOperation::kEQUAL:
        case ElementWiseOperation::kGREATER:
        case ElementWiseOperation::kLESS:
            return true;
        case ElementWiseOperation::kFLOOR_DIV:
        case ElementWiseOperation::kMOD:
        case ElementWiseOperation::kFMOD:
            return false;
    }
    return false;
}

void appendInstruction(PointwiseAttrs& attrs, const PointwiseInstruction& ins) {
    attrs.code.insert(attrs.code.end(), {static_cast<int64_t>(ins.opcode), ins.operation, ins.dst, ins.src[0],
                                         ins.src[1], ins.src[2]});
    attrs.immediates.insert(attrs.immediates.end(), {ins.imm[0], ins.imm[1]});
}

StatusOr<std::vector<PointwiseInstruction>> decodePointwiseProgram(const PointwiseAttrs& attrs,
                                                                   int32_t nbInputs) {
    if (attrs.code.size() % kPointwiseFields != 0)
        return invalidArgument("Pointwise: code holds " + std::to_string(attrs.code.size()) +
                               " values, expected " + std::to_string(kPointwiseFields) +
                               " per instruction (opcode, operation, dst, src0, src1, src2)");
    const size_t n = attrs.code.size() / kPointwiseFields;
    if (n == 0 || n > static_cast<size_t>(kPointwiseMaxInstructions))
        return invalidArgument("Pointwise: the program has " + std::to_string(n) + " instructions, expected 1.." +
                               std::to_string(kPointwiseMaxInstructions) + "; split the chain into several ops");
    if (attrs.immediates.size() != 2 * n)
        return invalidArgument("Pointwise: immediates hold " + std::to_string(attrs.immediates.size()) +
                               " values, expected 2 per instruction (" + std::to_string(2 * n) + ")");
    std::vector<PointwiseInstruction> out(n);
    bool written[kPointwiseMaxRegisters] = {};
    for (size_t i = 0; i < n; ++i) {
        const int64_t* f = &attrs.code[i * kPointwiseFields];
        const std::string at = "Pointwise: instruction " + std::to_string(i);
        auto reg = [&](int64_t r, const char* role) -> Status {
            if (r >= 0 && r < kPointwiseMaxRegisters) return Status::ok();
            return invalidArgument(at + ": " + role + " register is " + std::to_string(r) + ", expected 0.." +
                                   std::to_string(kPointwiseMaxRegisters - 1));
        };
        PointwiseInstruction& ins = out[i];
        ins.opcode = static_cast<PointwiseOpcode>(f[0]);
        const int nbSrc = f[0] >= 0 && f[0] <= 5 ? sourcesOf(ins.opcode) : -1;
        if (nbSrc < 0)
            return invalidArgument(at + ": opcode " + std::to_string(f[0]) +
                                   " is unknown (expected 0..5, a PointwiseOpcode)");
        KILN_RETURN_IF_ERROR(reg(f[2], "destination"));
        ins.dst = static_cast<int32_t>(f[2]);
        for (int k = 0; k < 3; ++k) {
            if (k >= nbSrc) {
                if (f[3 + k] != -1)
                    return invalidArgument(at + ": source " + std::to_string(k) + " is " +
                                           std::to_string(f[3 + k]) + ", expected -1 (unused by this opcode)");
                continue;
            }
            KILN_RETURN_IF_ERROR(reg(f[3 + k], "source"));
            if (!written[f[3 + k]])
                return invalidArgument(at + ": reads register " + std::to_string(f[3 + k]) +
                                       ", which no earlier instruction writes");
            ins.src[static_cast<size_t>(k)] = static_cast<int32_t>(f[3 + k]);
        }
        const int64_t op = f[1];
        bool opOk = true;
        switch (ins.opcode) {
            case PointwiseOpcode::kLOAD:
                if (op < 0 || op >= nbInputs)
                    return invalidArgument(at + ": loads input " + std::to_string(op) + ", but the node has " +
                                           std::to_string(nbInputs) + " inputs");
                break;
            case PointwiseOpcode::kIMMEDIATE:
            case PointwiseOpcode::kSELECT:
                opOk = op == 0;
                break;
            case PointwiseOpcode::kUNARY:
                opOk = op >= 0 && op < kMaxOperation && isUnaryOp(static_cast<int32_t>(op));
                break;
            case PointwiseOpcode::kACTIVATION:
                opOk = op >= 0 && op < kMaxOperation && isActivation(static_cast<int32_t>(op));
                break;
            case PointwiseOpcode::kBINARY:
                opOk = op >= 0 && op < kMaxOperation && isPointwiseBinaryOp(static_cast<ElementWiseOperation>(op));
                break;
        }
        if (!opOk)
            return invalidArgument(at + ": operation " + std::to_string(op) + " is not valid for opcode " +
                                   std::to_string(f[0]) +
                                   " (kUNARY: a UnaryOperation, kACTIVATION: an ActivationType, kBINARY: "
                                   "SUM, PROD, MAX, MIN, SUB, DIV, POW, AND, OR, XOR, EQUAL, GREATER or "
                                   "LESS, otherwise 0)");
        ins.operation = static_cast<int32_t>(op);
        ins.imm = {attrs.immediates[2 * i], attrs.immediates[2 * i + 1]};
        written[ins.dst] = true;
    }
    return out;
}

}  // namespace kiln::ir
