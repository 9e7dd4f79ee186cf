// fuse-gelu: the erf and tanh GELU chains in the orders exporters write (torch.onnx, HF BERT, HF GPT-2
// "gelu_new", Div or Mul by the 1/sqrt 2 constant, Pow or x*x*x, float16 constants) become one
// Activation, with the same numbers as the chain on the reference backend; chains with a shared
// intermediate, an intermediate graph output, a wrong constant or a different x stay as they are.
#include <gtest/gtest.h>

#include "pass_test_util.h"

namespace kiln::passtest {
namespace {

using E = ElementWiseOperation;

struct ErfOptions {
    bool mulBySqrtHalf{false};  ///< x * 0.70710678 instead of x / 1.4142135
    bool halfFirst{false};      ///< HF order (x * 0.5) * a instead of torch's (x * a) * 0.5
    bool onePlusSwapped{false}; ///< Add(1, erf) instead of Add(erf, 1)
    double half{0.5};
    DataType type{DataType::kFLOAT};
};

/// y = gelu_erf(x) as a chain; returns the tensors a test may want to misuse: [erf output, 1 + erf].
std::vector<ir::TensorId> buildErfGelu(ir::Graph& g, ir::TensorId x, const ErfOptions& o, ir::TensorId y0 = -1) {
    const DataType t = o.type;
    const ir::TensorId xd = y0 >= 0 ? y0 : x;  // the x inside erf (a test may pass another tensor)
    const ir::TensorId d = o.mulBySqrtHalf ? binary(g, "scale", E::kPROD, xd, scalar(g, "c_rsqrt2", t, 0.70710678))
                                           : binary(g, "div", E::kDIV, xd, scalar(g, "c_sqrt2", t, 1.4142135));
    ir::UnaryAttrs erfAttrs;
    erfAttrs.op = UnaryOperation::kERF;
    const ir::TensorId e = op(g, "erf", erfAttrs, {d});
    const ir::TensorId one = scalar(g, "c_one", t, 1.0);
    const ir::TensorId a = o.onePlusSwapped ? binary(g, "add", E::kSUM, one, e) : binary(g, "add", E::kSUM, e, one);
    const ir::TensorId half = scalar(g, "c_half", t, o.half);
    ir::TensorId y;
    if (o.halfFirst)
        y = binary(g, "mul2", E::kPROD, binary(g, "mul1", E::kPROD, x, half), a);
    else
        y = binary(g, "mul2", E::kPROD, binary(g, "mul1", E::kPROD, x, a), half);
    g.markOutput(y);
    return {e, a};
}

/// y = gelu_tanh(x) as GPT-2's gelu_new exports it: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
void buildTanhGelu(ir::Graph& g, ir::TensorId x, bool usePow, DataType t) {
    ir::TensorId cube;
    if (usePow)
        cube = binary(g, "pow", E::kPOW, x, scalar(g, "c_three", t, 3.0));
    else
        cube = binary(g, "cube", E::kPROD, binary(g, "square", E::kPROD, x, x), x);
    const ir::TensorId cubic = binary(g, "cubic", E::kPROD, scalar(g, "c_cubic", t, 0.044715), cube);
    const ir::TensorId s = binary(g, "sum", E::kSUM, x, cubic);
    const ir::TensorId m = binary(g, "scaled", E::kPROD, scalar(g, "c_k", t, 0.7978845608028654), s);
    const ir::TensorId th = activation(g, "tanh", ActivationType::kTANH, m);
    const ir::TensorId a = binary(g, "one_plus", E::kSUM, scalar(g, "c_one", t, 1.0), th);
    const ir::TensorId hx = binary(g, "half_x", E::kPROD, scalar(g, "c_half", t, 0.5), x);
    g.markOutput(binary(g, "gelu", E::kPROD, hx, a));
}

void expectSingleGelu(const ir::Graph& g, ActivationType type) {
    ASSERT_EQ(g.nodes().size(), 1u) << ir::dumpGraph(g);
    const ir::Node& n = g.nodes()[0];
    ASSERT_EQ(n.kind(), ir::OpKind::kActivation);
    EXPECT_EQ(std::get<ir::ActivationAttrs>(n.attrs).type, type);
    EXPECT_EQ(n.inputs[0], g.inputs()[0]);
}

TEST(FuseGelu, ErfFormInEveryExportedOrder) {
    for (int variant = 0; variant < 8; ++variant) {
        ErfOptions o;
        o.mulBySqrtHalf = variant & 1;
        o.halfFirst = variant & 2;
        o.onePlusSwapped = variant & 4;
        SCOPED_TRACE("variant " + std::to_string(variant));
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({3, 17}));
        buildErfGelu(g, x, o);
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        EXPECT_TRUE(runOnly("fuse-gelu", g));
        expectSingleGelu(g, ActivationType::kGELU_ERF);
        EXPECT_EQ(g.tensor(g.outputs()[0]).name, before.tensor(before.outputs()[0]).name);
        // The chain rounds after each step in float32; the activation computes in double.
        expectSameNumbers(before, g, 1e-6, 1e-5);
    }
}

TEST(FuseGelu, TanhFormWithPowOrCube) {
    for (bool usePow : {true, false}) {
        SCOPED_TRACE(usePow ? "Pow(x, 3)" : "x * x * x");
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({2, 5, 9}));
        buildTanhGelu(g, x, usePow, DataType::kFLOAT);
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        EXPECT_TRUE(runOnly("fuse-gelu", g));
        expectSingleGelu(g, ActivationType::kGELU_TANH);
        expectSameNumbers(before, g, 1e-6, 1e-5);
    }
}

TEST(FuseGelu, Float16ConstantsMatchWithinTolerance) {
    // float16 rounds 0.70710678 to 0.70703125 and 0.044715 to 0.044708: within the 1e-3 relative tolerance.
    for (bool tanhForm : {false, true}) {
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", DataType::kHALF, dims({4, 33}));
        if (tanhForm) {
            buildTanhGelu(g, x, true, DataType::kHALF);
        } else {
            ErfOptions o;
            o.mulBySqrtHalf = true;
            o.type = DataType::kHALF;
            buildErfGelu(g, x, o);
        }
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        EXPECT_TRUE(runOnly("fuse-gelu", g));
        expectSingleGelu(g, tanhForm ? ActivationType::kGELU_TANH : ActivationType::kGELU_ERF);
        // The float16 chain rounds at every one of its 5-9 steps; the activation once.
        expectSameNumbers(before, g, 4e-3, 8e-3);
    }
}

TEST(FuseGelu, SharedIntermediateLeavesTheChain) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({3, 4}));
    const std::vector<ir::TensorId> mid = buildErfGelu(g, x, {});
    // A second reader of 1 + erf(...).
    g.markOutput(binary(g, "other", E::kSUM, mid[1], x));
    ASSERT_TRUE(g.inferShapes().isOk());
    expectUnchanged("fuse-gelu", g);
}

TEST(FuseGelu, IntermediateGraphOutputLeavesTheChain) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({3, 4}));
    const std::vector<ir::TensorId> mid = buildErfGelu(g, x, {});
    g.markOutput(mid[0]);  // erf(x / sqrt 2) is also a network output
    ASSERT_TRUE(g.inferShapes().isOk());
    expectUnchanged("fuse-gelu", g);
}

TEST(FuseGelu, WrongConstantLeavesTheChain) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({3, 4}));
    ErfOptions o;
    o.half = 0.501;  // outside the 1e-3 relative tolerance
    buildErfGelu(g, x, o);
    ASSERT_TRUE(g.inferShapes().isOk());
    expectUnchanged("fuse-gelu", g);
}

TEST(FuseGelu, DifferentXInsideAndOutsideLeavesTheChain) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({3, 4}));
    const ir::TensorId z = g.addInput("z", DataType::kFLOAT, dims({3, 4}));
    buildErfGelu(g, x, {}, z);  // z * 0.5 * (1 + erf(x / sqrt 2)) is no GELU
    ASSERT_TRUE(g.inferShapes().isOk());
    expectUnchanged("fuse-gelu", g);
}

TEST(FuseGelu, ConstantThatBroadcastsXLeavesTheChain) {
    // A [1, 1, 1] one broadcasts x [3, 4] to rank 3: one Activation would give a different shape.
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({3, 4}));
    const ir::TensorId d = binary(g, "div", E::kDIV, x, scalar(g, "c_sqrt2", DataType::kFLOAT, 1.4142135));
    ir::UnaryAttrs erfAttrs;
    erfAttrs.op = UnaryOperation::kERF;
    const ir::TensorId e = op(g, "erf", erfAttrs, {d});
    const ir::TensorId a = binary(g, "add", E::kSUM, e, constant(g, "c_one", DataType::kFLOAT, dims({1, 1, 1}), {1.0}));
    const ir::TensorId m = binary(g, "mul1", E::kPROD, x, a);
    g.markOutput(binary(g, "mul2", E::kPROD, m, scalar(g, "c_half", DataType::kFLOAT, 0.5)));
    ASSERT_TRUE(g.inferShapes().isOk());
    expectUnchanged("fuse-gelu", g);
}

}  // namespace
}  // namespace kiln::passtest
