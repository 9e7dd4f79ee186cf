// GPU tests (label `gpu`) of the CUDA Pointwise kernel (kernels/pointwise/pointwise_program.cu) against the
// reference interpreter: every opcode, every UnaryOperation, every ActivationType and every binary operation
// a program takes, on float32, float16 and bfloat16 storage (inputs of different types in one program, bool
// inputs for Select and logic), numpy broadcasting up to rank 5, rank 0, an empty output, a tensor past the
// grid's first sweep, and a program at the interpreter's limits (32 instructions, 16 registers, 8 inputs).
// Both sides keep float32 registers; they differ only where CUDA's float functions differ from the
// reference's correctly rounded double ones, with the tolerance written beside each case. Without a GPU
// every test is skipped, never passed.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include "cuda_test_util.h"
#include "ir/pointwise_program.h"

namespace kiln {
namespace {

using cudatest::CudaKernelTest;
using cudatest::expectClose;
using cudatest::floatInput;
using cudatest::Tolerance;
using ir::PointwiseInstruction;
using Op = ir::PointwiseOpcode;

const DataType kTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16};

/// Register arithmetic and comparisons: one IEEE operation per step on both sides, bit-identical.
constexpr Tolerance kExact{0, 0, 0.0, "one correctly rounded float32 operation per step on both sides"};
/// CUDA's single-precision functions are within a few ulp (expf 2, powf/tanf/acoshf 4 ...) where the
/// reference rounds a double result once; the narrow formats round the float32 register once, so they may
/// land one ulp apart at a rounding boundary.
constexpr Tolerance kLibm{4, 1, 0.0, "CUDA single-precision functions <= 4 ulp, reference correctly rounded"};
/// Activations chain a function with float32 roundings of their own (beta * x, 1 + exp(-x), ...): the bounds
/// of cuda_pointwise_test.cc's Activation cases (at most 12 ulp, softplus), and an absolute floor where the
/// GELUs cancel (1 + erf -> 0 for x < 0).
constexpr Tolerance kActivation{12, 1, 1e-6, "function error plus the formula's own float32 roundings"};

PointwiseInstruction ins(Op op, int32_t operation, int32_t dst, std::array<int32_t, 3> src = {-1, -1, -1},
                         std::array<float, 2> imm = {0.0f, 0.0f}) {
    return PointwiseInstruction{op, operation, dst, src, imm};
}

ir::PointwiseAttrs program(const std::vector<PointwiseInstruction>& code, DataType out) {
    ir::PointwiseAttrs a;
    for (const auto& i : code) ir::appendInstruction(a, i);
    a.outputType = out;
    return a;
}

void check(const ir::PointwiseAttrs& a, const std::vector<HostTensor>& inputs, const Tolerance& tol,
           const std::string& what) {
    auto both = cudatest::runBoth(a, inputs);
    ASSERT_TRUE(both.isOk()) << what << ": " << both.status().message();
    expectClose(both->want[0], both->got[0], tol, what);
}

class CudaPointwiseProgram : public CudaKernelTest {};

TEST_F(CudaPointwiseProgram, EveryUnaryOperation) {
    for (int32_t op = 0; op <= static_cast<int32_t>(UnaryOperation::kISNAN); ++op) {
        const auto u = static_cast<UnaryOperation>(op);
        const bool exact = u == UnaryOperation::kABS || u == UnaryOperation::kNEG || u == UnaryOperation::kCEIL ||
                           u == UnaryOperation::kFLOOR || u == UnaryOperation::kNOT || u == UnaryOperation::kSIGN ||
                           u == UnaryOperation::kROUND || u == UnaryOperation::kISINF ||
                           u == UnaryOperation::kISNAN || u == UnaryOperation::kSQRT || u == UnaryOperation::kRECIP;
        for (DataType t : kTypes)
            for (const Dims& shape : cudatest::pointwiseShapes())
                check(program({ins(Op::kLOAD, 0, 3), ins(Op::kUNARY, op, 7, {3, -1, -1})}, t),
                      {floatInput(t, shape, 100 + static_cast<uint64_t>(op))}, exact ? kExact : kLibm,
                      cudatest::params("unary " + std::to_string(op), t, shape));
    }
}

TEST_F(CudaPointwiseProgram, EveryActivationWithAlphaBeta) {
    for (int32_t act : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 100, 101})  // ActivationType
        for (DataType t : kTypes)
            check(program({ins(Op::kLOAD, 0, 0), ins(Op::kACTIVATION, act, 0, {0, -1, -1}, {0.7f, 1.3f})}, t),
                  {floatInput(t, makeDims({3, 7, 5}), 200 + static_cast<uint64_t>(act), -6, 6)}, kActivation,
                  cudatest::params("activation " + std::to_string(act), t, makeDims({3, 7, 5})));
}

TEST_F(CudaPointwiseProgram, EveryBinaryOperationBroadcastAcrossMixedTypes) {
    for (int32_t op : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 100, 101}) {  // ElementWiseOperation
        const auto e = static_cast<ElementWiseOperation>(op);
        if (!ir::isPointwiseBinaryOp(e)) continue;
        const Tolerance& tol = e == ElementWiseOperation::kPOW ? kLibm : kExact;
        for (DataType ta : kTypes)
            for (DataType tb : kTypes) {
                const DataType out = tb;
                const HostTensor a = floatInput(ta, makeDims({2, 3, 1, 5, 1}), 300 + static_cast<uint64_t>(op));
                const HostTensor b = floatInput(tb, makeDims({7}), 400 + static_cast<uint64_t>(op), -4, 4, 3);
                check(program({ins(Op::kLOAD, 1, 5), ins(Op::kLOAD, 0, 2), ins(Op::kBINARY, op, 5, {2, 5, -1})}, out),
                      {a, b}, tol,
                      "binary " + std::to_string(op) + " " + dataTypeName(ta) + " x " + dataTypeName(tb) +
                          " -> [2,3,1,5,7]");
            }
    }
}

TEST_F(CudaPointwiseProgram, SelectOnBoolConditionAndLogic) {
    for (DataType t : kTypes) {
        HostTensor cond = cudatest::randomBytes(DataType::kBOOL, makeDims({2, 1, 1}), 7);  // any byte: non-zero true
        const HostTensor x = floatInput(t, makeDims({1, 4, 5}), 8);
        // y = (cond xor x > 0) ? x : -3.5
        check(program({ins(Op::kLOAD, 0, 0), ins(Op::kLOAD, 1, 1), ins(Op::kIMMEDIATE, 0, 2, {-1, -1, -1}, {0, 0}),
                       ins(Op::kBINARY, static_cast<int32_t>(ElementWiseOperation::kGREATER), 2, {1, 2, -1}),
                       ins(Op::kBINARY, static_cast<int32_t>(ElementWiseOperation::kXOR), 0, {0, 2, -1}),
                       ins(Op::kIMMEDIATE, 0, 2, {-1, -1, -1}, {-3.5f, 0}), ins(Op::kSELECT, 0, 3, {0, 1, 2})},
                      t),
              {cond, x}, kExact, cudatest::params("select", t, makeDims({2, 4, 5})));
    }
}

TEST_F(CudaPointwiseProgram, LargeTensorIteratesTheGridStrideLoop) {
    for (DataType t : kTypes)
        check(program({ins(Op::kLOAD, 0, 0), ins(Op::kLOAD, 1, 1),
                       ins(Op::kBINARY, static_cast<int32_t>(ElementWiseOperation::kPROD), 0, {0, 1, -1}),
                       ins(Op::kACTIVATION, static_cast<int32_t>(ActivationType::kRELU), 0, {0, -1, -1})},
                      t),
              {floatInput(t, cudatest::largeShape(), 9), floatInput(DataType::kFLOAT, makeDims({3001}), 10)}, kExact,
              cudatest::params("large", t, cudatest::largeShape()));
}

TEST_F(CudaPointwiseProgram, ProgramAtTheInterpreterLimits) {
    // 8 inputs of every type and broadcast pattern, 16 registers live at once, 32 instructions.
    std::vector<HostTensor> in;
    std::vector<PointwiseInstruction> code;
    const Dims shapes[] = {makeDims({3, 4, 5}), makeDims({5}), makeDims({4, 1}), makeDims({}),
                           makeDims({3, 1, 1}), makeDims({1, 4, 5}), makeDims({3, 4, 1}), makeDims({1})};
    for (int32_t k = 0; k < 8; ++k) {
        in.push_back(floatInput(kTypes[k % 3], shapes[k], 500 + static_cast<uint64_t>(k), -2, 2, -1));
        code.push_back(ins(Op::kLOAD, k, k));
    }
    for (int32_t k = 8; k < 16; ++k) code.push_back(ins(Op::kIMMEDIATE, 0, k, {-1, -1, -1}, {0.125f * static_cast<float>(k), 0}));
    for (int32_t k = 0; k < 15; ++k)  // fold all 16 registers: r[k+1] = r[k] op r[k+1]
        code.push_back(ins(Op::kBINARY, static_cast<int32_t>(k % 2 ? ElementWiseOperation::kSUM : ElementWiseOperation::kPROD),
                           k + 1, {k, k + 1, -1}));
    code.push_back(ins(Op::kACTIVATION, static_cast<int32_t>(ActivationType::kSIGMOID), 0, {15, -1, -1}));
    ASSERT_EQ(code.size(), static_cast<size_t>(ir::kPointwiseMaxInstructions));
    for (DataType t : kTypes)
        check(program(code, t), in, {6, 1, 0.0, "sigmoid: expf (2 ulp) + add + divide"},
              cudatest::params("limits", t, makeDims({3, 4, 5})));
}

TEST_F(CudaPointwiseProgram, EmptyOutputEnqueuesNothing) {
    check(program({ins(Op::kLOAD, 0, 0), ins(Op::kUNARY, static_cast<int32_t>(UnaryOperation::kEXP), 0, {0, -1, -1})},
                  DataType::kHALF),
          {floatInput(DataType::kFLOAT, makeDims({3, 0, 5}), 1)}, kExact, "empty");
}

}  // namespace
}  // namespace kiln

#endif  // KILN_HAS_CUDA
