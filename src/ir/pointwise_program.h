// The Pointwise op's program (see PointwiseAttrs in ir/attrs.h): the opcodes, the decoded instruction, the
// limits every backend's interpreter is built for, and the one decoder/validator that inference, the
// reference kernel, the CUDA kernel and the fuse-pointwise pass share, so a program one of them accepts
// the others run. Messages name the offending instruction.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "ir/attrs.h"

namespace kiln::ir {

enum class PointwiseOpcode : int32_t {
    kLOAD = 0,        ///< r[dst] = input[operation] at the element's broadcast position
    kIMMEDIATE = 1,   ///< r[dst] = immediate 0
    kUNARY = 2,       ///< r[dst] = UnaryOperation(operation)(r[src0]) (bool results as 0 / 1)
    kACTIVATION = 3,  ///< r[dst] = ActivationType(operation)(r[src0]) with alpha, beta = immediates 0, 1
    kBINARY = 4,      ///< r[dst] = ElementWiseOperation(operation)(r[src0], r[src1]) (a subset, below)
    kSELECT = 5,      ///< r[dst] = r[src0] != 0 ? r[src1] : r[src2]
};

/// Fields of one instruction in PointwiseAttrs::code, and the limits of a program. The CUDA kernel passes
/// the program by value in its parameters, so these bound its size; the pass never makes a larger one.
constexpr int32_t kPointwiseFields = 6;
constexpr int32_t kPointwiseMaxInstructions = 32;
constexpr int32_t kPointwiseMaxRegisters = 16;
constexpr int32_t kPointwiseMaxInputs = 8;

struct PointwiseInstruction {
    PointwiseOpcode opcode{PointwiseOpcode::kIMMEDIATE};
    int32_t operation{0};
    int32_t dst{0};
    std::array<int32_t, 3> src{-1, -1, -1};
    std::array<float, 2> imm{0.0f, 0.0f};
};

/// Whether kBINARY takes this ElementWiseOperation: the float arithmetic, comparisons and logic that
/// compute in float32 exactly as the unfused op does (FLOOR_DIV and MOD need double, FMOD is left out).
bool isPointwiseBinaryOp(ElementWiseOperation op);

/// Appends one instruction to attrs.code / attrs.immediates.
void appendInstruction(PointwiseAttrs& attrs, const PointwiseInstruction& ins);

/// Decodes and validates a program: field counts, opcodes and operations known, register indices below
/// kPointwiseMaxRegisters and written before they are read, input indices below `nbInputs`, at most
/// kPointwiseMaxInstructions instructions and at least one.
StatusOr<std::vector<PointwiseInstruction>> decodePointwiseProgram(const PointwiseAttrs& attrs,
                                                                   int32_t nbInputs);

}  // namespace kiln::ir
