// The Pointwise op on the reference backend: its program interpreter against hand-computed values and naive
// loops in double (broadcast positions computed from coordinates), every opcode, bool and mixed-type inputs,
// the output rounding once; and inference's checks, whose messages name the offending instruction.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ir/pointwise_program.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using ir::PointwiseInstruction;
using Op = ir::PointwiseOpcode;

PointwiseInstruction ins(Op op, int32_t operation, int32_t dst, std::array<int32_t, 3> src = {-1, -1, -1},
                         std::array<float, 2> imm = {0.0f, 0.0f}) {
    return PointwiseInstruction{op, operation, dst, src, imm};
}

ir::PointwiseAttrs program(const std::vector<PointwiseInstruction>& code, DataType out = DataType::kFLOAT) {
    ir::PointwiseAttrs a;
    for (const auto& i : code) ir::appendInstruction(a, i);
    a.outputType = out;
    return a;
}

int32_t bin(ElementWiseOperation op) {
    return static_cast<int32_t>(op);
}

TEST(PointwiseFused, HandComputedValues) {
    // y = max(relu(x * 2 - b), 0.25) with x = [1, -3, 0.5], b = [0.5] broadcast.
    auto a = program({ins(Op::kLOAD, 0, 0), ins(Op::kIMMEDIATE, 0, 1, {-1, -1, -1}, {2.0f, 0.0f}),
                      ins(Op::kBINARY, bin(ElementWiseOperation::kPROD), 0, {0, 1, -1}), ins(Op::kLOAD, 1, 1),
                      ins(Op::kBINARY, bin(ElementWiseOperation::kSUB), 0, {0, 1, -1}),
                      ins(Op::kACTIVATION, static_cast<int32_t>(ActivationType::kRELU), 2, {0, -1, -1}),
                      ins(Op::kIMMEDIATE, 0, 3, {-1, -1, -1}, {0.25f, 0.0f}),
                      ins(Op::kBINARY, bin(ElementWiseOperation::kMAX), 0, {2, 3, -1})});
    auto r = testing::runSingleOp(a, {HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<float>{1, -3, 0.5f}),
                                      HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{0.5f})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ((*r)[0].toDoubles(), (std::vector<double>{1.5, 0.25, 0.5}));
}

TEST(PointwiseFused, SelectOnBoolAndComparisonsGiveZeroOrOne) {
    // y = c ? x : (x > 1) + not(c)   with c bool [2,1], x [3] -> [2,3]
    auto a = program({ins(Op::kLOAD, 0, 0), ins(Op::kLOAD, 1, 1), ins(Op::kIMMEDIATE, 0, 2, {-1, -1, -1}, {1.0f, 0}),
                      ins(Op::kBINARY, bin(ElementWiseOperation::kGREATER), 2, {1, 2, -1}),
                      ins(Op::kUNARY, static_cast<int32_t>(UnaryOperation::kNOT), 3, {0, -1, -1}),
                      ins(Op::kBINARY, bin(ElementWiseOperation::kSUM), 2, {2, 3, -1}),
                      ins(Op::kSELECT, 0, 0, {0, 1, 2})});
    HostTensor c(DataType::kBOOL, makeDims({2, 1}));
    c.bytes = {7, 0};  // any non-zero byte is true
    auto r = testing::runSingleOp(a, {c, HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<float>{0.5f, 2, -1})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ((*r)[0].shape, makeDims({2, 3}));
    EXPECT_EQ((*r)[0].toDoubles(), (std::vector<double>{0.5, 2, -1, 1, 2, 1}));
}

/// Naive check: y[i] = round_out(tanh(x[bx(i)] * s[bs(i)]) + exp(h[bh(i)])) over a broadcast of a float32,
/// a bfloat16 and a float16 input, float32 registers each step, in double with float32 rounding per op.
TEST(PointwiseFused, MixedTypesBroadcastAgainstNaiveLoop) {
    const Dims outShape = makeDims({3, 4, 5});
    const HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({3, 1, 5}), 1, -2, 2);
    const HostTensor s = HostTensor::random(DataType::kBF16, makeDims({4, 1}), 2, -2, 2);
    const HostTensor h = HostTensor::random(DataType::kHALF, makeDims({5}), 3, -2, 2);
    for (DataType outType : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16}) {
        auto a = program({ins(Op::kLOAD, 0, 0), ins(Op::kLOAD, 1, 1),
                          ins(Op::kBINARY, bin(ElementWiseOperation::kPROD), 0, {0, 1, -1}),
                          ins(Op::kACTIVATION, static_cast<int32_t>(ActivationType::kTANH), 0, {0, -1, -1}),
                          ins(Op::kLOAD, 2, 1), ins(Op::kUNARY, static_cast<int32_t>(UnaryOperation::kEXP), 1, {1, -1, -1}),
                          ins(Op::kBINARY, bin(ElementWiseOperation::kSUM), 2, {0, 1, -1})},
                         outType);
        auto r = testing::runSingleOp(a, {x, s, h});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        const HostTensor& y = (*r)[0];
        ASSERT_EQ(y.shape, outShape);
        ASSERT_EQ(y.type, outType);
        HostTensor want(outType, outShape);
        for (int64_t i0 = 0; i0 < 3; ++i0)
            for (int64_t i1 = 0; i1 < 4; ++i1)
                for (int64_t i2 = 0; i2 < 5; ++i2) {
                    const auto f = [](double v) { return static_cast<double>(static_cast<float>(v)); };
                    const double p = f(x.at(i0 * 5 + i2) * s.at(i1));
                    const double v = f(f(std::tanh(p)) + f(std::exp(h.at(i2))));
                    want.set((i0 * 4 + i1) * 5 + i2, v);  // set() rounds the float32 value once to outType
                }
        EXPECT_EQ(y.bytes, want.bytes) << dataTypeName(outType);
    }
}

TEST(PointwiseFused, InferenceBroadcastsEveryInputAndChecksTheProgram) {
    auto ok = program({ins(Op::kLOAD, 0, 0), ins(Op::kLOAD, 1, 1),
                       ins(Op::kBINARY, bin(ElementWiseOperation::kSUM), 2, {0, 1, -1})},
                      DataType::kHALF);
    std::vector<ir::TensorDesc> in(2), out(1);
    in[0].type = DataType::kFLOAT;
    in[0].shape = makeDims({-1, 1, 5});
    in[1].type = DataType::kBOOL;
    in[1].shape = makeDims({4, 1});
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(ok, ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, 4, 5}));
    EXPECT_EQ(out[0].type, DataType::kHALF);

    auto expectError = [&](const ir::PointwiseAttrs& a, const std::string& needle) {
        const Status st = ir::inferNode(a, ctx);
        ASSERT_FALSE(st.isOk()) << needle;
        EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
    };
    expectError(program({ins(Op::kLOAD, 2, 0)}), "instruction 0: loads input 2, but the node has 2 inputs");
    expectError(program({ins(Op::kLOAD, 0, 0), ins(Op::kUNARY, 0, 1, {5, -1, -1})}),
                "instruction 1: reads register 5, which no earlier instruction writes");
    expectError(program({ins(Op::kLOAD, 0, 16)}), "instruction 0: destination register is 16");
    expectError(program({ins(Op::kLOAD, 0, 0), ins(Op::kBINARY, bin(ElementWiseOperation::kMOD), 0, {0, 0, -1})}),
                "instruction 1: operation");
    expectError(program({ins(Op::kLOAD, 0, 0)}, DataType::kINT32), "output type is int32");
    ir::PointwiseAttrs bad = ok;
    bad.code[0] = 9;
    expectError(bad, "instruction 0: opcode 9 is unknown");
    bad = ok;
    bad.immediates.pop_back();
    expectError(bad, "immediates hold 5 values, expected 2 per instruction");
    std::vector<PointwiseInstruction> tooLong(ir::kPointwiseMaxInstructions + 1, ins(Op::kLOAD, 0, 0));
    expectError(program(tooLong), "the program has 33 instructions");
    in[1].type = DataType::kINT32;
    expectError(ok, "input 1 is int32");
}

}  // namespace
}  // namespace kiln
