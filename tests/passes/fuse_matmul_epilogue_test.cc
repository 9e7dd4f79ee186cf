// fuse-matmul-epilogue: MatMul -> + bias -> + residual -> activation becomes one MatrixMultiply with
// inputs [2] bias ([N]), [3] addend and the activation attributes, computing the same numbers on the
// reference backend; a bias of shape [1, N] or [1] becomes a [N] constant; each step needs a private
// intermediate, and non-constant, wrongly broadcast or shared operands leave the graph unchanged. Steps
// behind reshape-only Shuffles (GPT-2's Conv1D: Gemm [B*S, N] -> Reshape [B, S, N] -> + residual, or ->
// GELU) fold too: the residual enters through a reshape to [B*S, N] and the reshape moves after the
// product; a second consumer or a graph output along the way, a transposing Shuffle, a broadcast
// residual or a bias whose columns the reshape moves leave the graph unchanged.
#include <gtest/gtest.h>

#include <algorithm>

#include "pass_test_util.h"

namespace kiln::passtest {
namespace {

using E = ElementWiseOperation;
constexpr DataType kF32 = DataType::kFLOAT;

std::vector<double> ramp(int64_t n, double scale) {
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * static_cast<double>((i * 7) % 13 - 6);
    return v;
}

/// a [2, 5, 7] x w [7, 11] (a constant weight, as exported).
ir::TensorId matmul(ir::Graph& g, ir::TensorId a, MatrixOperation op1 = MatrixOperation::kNONE) {
    ir::MatrixMultiplyAttrs mm;
    mm.op1 = op1;
    const ir::TensorId w = constant(
        g, "w", kF32, op1 == MatrixOperation::kTRANSPOSE ? dims({11, 7}) : dims({7, 11}), ramp(77, 0.1));
    return op(g, "mm", mm, {a, w});
}

const ir::MatrixMultiplyAttrs& fusedAttrs(const ir::Graph& g) {
    return std::get<ir::MatrixMultiplyAttrs>(onlyNode(g, ir::OpKind::kMatrixMultiply).attrs);
}

TEST(FuseMatmulEpilogue, BiasResidualAndReluBecomeOneMatmul) {
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({2, 5, 7}));
    const ir::TensorId res = g.addInput("res", kF32, dims({2, 5, 11}));
    const ir::TensorId mm = matmul(g, a);
    const ir::TensorId bias = constant(g, "bias", kF32, dims({11}), ramp(11, 0.3));
    const ir::TensorId withBias = binary(g, "add_bias", E::kSUM, mm, bias);
    const ir::TensorId withRes = binary(g, "add_res", E::kSUM, res, withBias);  // residual first
    g.markOutput(activation(g, "relu", ActivationType::kRELU, withRes));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 0) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kActivation), 0);
    const ir::Node& n = onlyNode(g, ir::OpKind::kMatrixMultiply);
    ASSERT_EQ(n.inputs.size(), 4u);
    EXPECT_EQ(g.tensor(n.inputs[2]).name, "bias_out");
    EXPECT_EQ(n.inputs[3], g.inputs()[1]);
    EXPECT_EQ(n.name, "mm");
    EXPECT_TRUE(fusedAttrs(g).epilogue.hasActivation);
    EXPECT_EQ(fusedAttrs(g).epilogue.activation, ActivationType::kRELU);
    EXPECT_EQ(g.tensor(n.outputs[0]).name, before.tensor(before.outputs()[0]).name);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(FuseMatmulEpilogue, GemmStyleBiasOfShape1xNAndTanhGelu) {
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({5, 7}));
    const ir::TensorId mm = matmul(g, a, MatrixOperation::kTRANSPOSE);
    const ir::TensorId bias = constant(g, "bias", kF32, dims({1, 11}), ramp(11, 0.2));
    const ir::TensorId y = binary(g, "add_bias", E::kSUM, bias, mm);  // bias first, as Gemm's C may be
    g.markOutput(activation(g, "gelu", ActivationType::kGELU_TANH, y));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
    const ir::Node& n = onlyNode(g, ir::OpKind::kMatrixMultiply);
    ASSERT_EQ(n.inputs.size(), 3u);
    EXPECT_TRUE(g.tensor(n.inputs[2]).shape == dims({11})) << toString(g.tensor(n.inputs[2]).shape);
    EXPECT_EQ(fusedAttrs(g).epilogue.activation, ActivationType::kGELU_TANH);
    EXPECT_EQ(g.nodes().size(), 3u) << ir::dumpGraph(g);  // w, the [11] bias copy, the matmul
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(FuseMatmulEpilogue, SingleValueBiasIsExpandedAndActivationKeepsItsParameters) {
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({3, 7}));
    const ir::TensorId y =
        binary(g, "add_bias", E::kSUM, matmul(g, a), constant(g, "bias", kF32, dims({1}), {0.75}));
    g.markOutput(activation(g, "leaky", ActivationType::kLEAKY_RELU, y, 0.125f));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
    const ir::Node& n = onlyNode(g, ir::OpKind::kMatrixMultiply);
    ASSERT_EQ(n.inputs.size(), 3u);
    EXPECT_TRUE(g.tensor(n.inputs[2]).shape == dims({11}));
    EXPECT_EQ(fusedAttrs(g).epilogue.activation, ActivationType::kLEAKY_RELU);
    EXPECT_EQ(fusedAttrs(g).epilogue.alpha, 0.125f);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(FuseMatmulEpilogue, ResidualWithoutBiasLeavesSlot2Absent) {
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({2, 5, 7}));
    const ir::TensorId res = g.addInput("res", kF32, dims({2, 5, 11}));
    g.markOutput(binary(g, "add_res", E::kSUM, matmul(g, a), res));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
    const ir::Node& n = onlyNode(g, ir::OpKind::kMatrixMultiply);
    ASSERT_EQ(n.inputs.size(), 4u);
    EXPECT_EQ(n.inputs[2], ir::kNoTensor);
    EXPECT_FALSE(fusedAttrs(g).epilogue.hasActivation);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(FuseMatmulEpilogue, GraphOutputInTheMiddleStopsThere) {
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({4, 7}));
    const ir::TensorId y =
        binary(g, "add_bias", E::kSUM, matmul(g, a), constant(g, "bias", kF32, dims({11}), ramp(11, 1)));
    g.markOutput(y);  // the biased product is a network output: the ReLU cannot be folded in
    g.markOutput(activation(g, "relu", ActivationType::kRELU, y));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
    EXPECT_EQ(countKind(g, ir::OpKind::kActivation), 1);
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 0);
    EXPECT_FALSE(fusedAttrs(g).epilogue.hasActivation);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(FuseMatmulEpilogue, SecondConsumerOfTheProductLeavesTheGraph) {
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({4, 7}));
    const ir::TensorId mm = matmul(g, a);
    g.markOutput(binary(g, "add_bias", E::kSUM, mm, constant(g, "bias", kF32, dims({11}), ramp(11, 1))));
    g.markOutput(activation(g, "relu", ActivationType::kRELU, mm));
    ASSERT_TRUE(g.inferShapes().isOk());
    expectUnchanged("fuse-matmul-epilogue", g);
}

TEST(FuseMatmulEpilogue, NonConstantOrWronglyBroadcastBiasLeavesTheGraph) {
    {
        // A bias from a network input is neither a constant bias nor an output-shaped addend.
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({4, 7}));
        const ir::TensorId b = g.addInput("b", kF32, dims({11}));
        g.markOutput(binary(g, "add", E::kSUM, matmul(g, a), b));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
    {
        // [4, 1] varies along the rows, not the columns.
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({4, 7}));
        g.markOutput(
            binary(g, "add", E::kSUM, matmul(g, a), constant(g, "rows", kF32, dims({4, 1}), ramp(4, 1))));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
    {
        // [3, 4, 11] broadcasts the [4, 11] product to a larger shape.
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({4, 7}));
        const ir::TensorId big = g.addInput("big", kF32, dims({3, 4, 11}));
        g.markOutput(binary(g, "add", E::kSUM, matmul(g, a), big));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
}

TEST(FuseMatmulEpilogue, SubtractionAndIntegerMatmulsAreNotEpilogues) {
    {
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({4, 7}));
        g.markOutput(
            binary(g, "sub", E::kSUB, matmul(g, a), constant(g, "bias", kF32, dims({11}), ramp(11, 1))));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
    {
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", DataType::kINT32, dims({4, 7}));
        const ir::TensorId w = constant(g, "w", DataType::kINT32, dims({7, 3}), ramp(21, 1));
        const ir::TensorId mm = op(g, "mm", ir::MatrixMultiplyAttrs{}, {a, w});
        g.markOutput(
            binary(g, "add", E::kSUM, mm, constant(g, "bias", DataType::kINT32, dims({3}), {1, 2, 3})));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
}

/// The node producing t (fails the test when none).
const ir::Node& producer(const ir::Graph& g, ir::TensorId t) {
    EXPECT_GE(g.tensor(t).producer, 0) << g.tensor(t).name;
    return g.node(std::max<ir::NodeId>(g.tensor(t).producer, 0));
}

/// Expects the graph's only output to be a plain reshape of the only MatrixMultiply's output, to `shape`.
void expectReshapedProduct(const ir::Graph& g, const Dims& shape) {
    const ir::Node& r = producer(g, g.outputs()[0]);
    ASSERT_EQ(r.kind(), ir::OpKind::kShuffle) << ir::dumpGraph(g);
    ASSERT_EQ(r.inputs.size(), 1u);
    EXPECT_EQ(r.inputs[0], onlyNode(g, ir::OpKind::kMatrixMultiply).outputs[0]);
    EXPECT_TRUE(g.tensor(r.outputs[0]).shape == shape) << toString(g.tensor(r.outputs[0]).shape);
}

/// Expects the MatrixMultiply's addend (input 3) to be `source` reshaped to the product's shape.
void expectReshapedAddend(const ir::Graph& g, ir::TensorId source) {
    const ir::Node& mm = onlyNode(g, ir::OpKind::kMatrixMultiply);
    ASSERT_EQ(mm.inputs.size(), 4u) << ir::dumpGraph(g);
    const ir::Node& r = producer(g, mm.inputs[3]);
    ASSERT_EQ(r.kind(), ir::OpKind::kShuffle) << ir::dumpGraph(g);
    EXPECT_EQ(r.inputs, std::vector<ir::TensorId>{source});
    EXPECT_TRUE(g.tensor(mm.inputs[3]).shape == g.tensor(mm.outputs[0]).shape);
}

TEST(FuseMatmulEpilogue, ResidualBehindGpt2ReshapeIsFoldedOnEitherSide) {
    for (bool residualFirst : {false, true}) {
        SCOPED_TRACE(residualFirst ? "residual + reshape(product)" : "reshape(product) + residual");
        // GPT-2's c_proj: Gemm (product + bias) [B*S, E] -> Reshape [B, S, E] -> Add residual.
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({10, 7}));
        const ir::TensorId res = g.addInput("res", kF32, dims({2, 5, 11}));
        const ir::TensorId gemm = binary(g, "add_bias", E::kSUM, matmul(g, a),
                                         constant(g, "bias", kF32, dims({11}), ramp(11, 0.3)));
        const ir::TensorId r = reshape(g, "reshape", gemm, dims({2, 5, 11}));
        g.markOutput(residualFirst ? binary(g, "add_res", E::kSUM, res, r)
                                   : binary(g, "add_res", E::kSUM, r, res));
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
        EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 0) << ir::dumpGraph(g);
        EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 2);  // the residual's reshape and the product's
        const ir::Node& n = onlyNode(g, ir::OpKind::kMatrixMultiply);
        EXPECT_EQ(n.name, "mm");
        EXPECT_EQ(g.tensor(n.inputs[2]).name, "bias_out");
        EXPECT_FALSE(fusedAttrs(g).epilogue.hasActivation);
        expectReshapedAddend(g, g.inputs()[1]);
        expectReshapedProduct(g, dims({2, 5, 11}));
        EXPECT_EQ(g.tensor(g.outputs()[0]).name, before.tensor(before.outputs()[0]).name);
        expectSameNumbers(before, g, 1e-5, 1e-5);
        expectUnchanged("fuse-matmul-epilogue", g);  // a second run finds nothing more
    }
}

TEST(FuseMatmulEpilogue, BiasResidualAndGeluBehindAReshapeFoldInOrder) {
    // Every step behind the reshape: + bias [1, 1, N] (copied to [N]), + residual, tanh GELU.
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({10, 7}));
    const ir::TensorId res = g.addInput("res", kF32, dims({2, 5, 11}));
    const ir::TensorId r = reshape(g, "reshape", matmul(g, a), dims({2, 5, 11}));
    const ir::TensorId b =
        binary(g, "add_bias", E::kSUM, constant(g, "bias", kF32, dims({1, 1, 11}), ramp(11, 0.2)), r);
    const ir::TensorId y = binary(g, "add_res", E::kSUM, b, res);
    g.markOutput(activation(g, "gelu", ActivationType::kGELU_TANH, y));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 0) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kActivation), 0);
    const ir::Node& n = onlyNode(g, ir::OpKind::kMatrixMultiply);
    ASSERT_EQ(n.inputs.size(), 4u);
    EXPECT_TRUE(g.tensor(n.inputs[2]).shape == dims({11})) << toString(g.tensor(n.inputs[2]).shape);
    EXPECT_EQ(fusedAttrs(g).epilogue.activation, ActivationType::kGELU_TANH);
    expectReshapedAddend(g, g.inputs()[1]);
    expectReshapedProduct(g, dims({2, 5, 11}));
    expectSameNumbers(before, g, 1e-5, 1e-5);
    expectUnchanged("fuse-matmul-epilogue", g);
}

TEST(FuseMatmulEpilogue, ActivationBehindTwoReshapesIsFolded) {
    // GPT-2's c_fc: Gemm -> Reshape -> GELU, here through a chain of two reshapes to a new last dim.
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({10, 7}));
    const ir::TensorId r1 = reshape(g, "r1", matmul(g, a), dims({2, 5, 11}));
    const ir::TensorId r2 = reshape(g, "r2", r1, dims({2, 55}));
    g.markOutput(activation(g, "relu", ActivationType::kRELU, r2));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
    EXPECT_EQ(countKind(g, ir::OpKind::kActivation), 0) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 1);  // one reshape replaces the chain
    EXPECT_EQ(fusedAttrs(g).epilogue.activation, ActivationType::kRELU);
    expectReshapedProduct(g, dims({2, 55}));
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(FuseMatmulEpilogue, BiasIsFoldedBehindAReshapeOnlyWhileItsColumnsStay) {
    {
        // [10, 11] -> [5, 22]: a [22] row vector is not one value per product column; unchanged.
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({10, 7}));
        const ir::TensorId r = reshape(g, "reshape", matmul(g, a), dims({5, 22}));
        g.markOutput(binary(g, "add", E::kSUM, r, constant(g, "bias", kF32, dims({22}), ramp(22, 0.5))));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
    {
        // A single value is the same for every column: it becomes the [11] bias.
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({10, 7}));
        const ir::TensorId r = reshape(g, "reshape", matmul(g, a), dims({5, 22}));
        g.markOutput(binary(g, "add", E::kSUM, r, constant(g, "bias", kF32, dims({1, 1}), {-1.25})));
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        EXPECT_TRUE(runOnly("fuse-matmul-epilogue", g));
        const ir::Node& n = onlyNode(g, ir::OpKind::kMatrixMultiply);
        ASSERT_EQ(n.inputs.size(), 3u) << ir::dumpGraph(g);
        EXPECT_TRUE(g.tensor(n.inputs[2]).shape == dims({11}));
        expectReshapedProduct(g, dims({5, 22}));
        expectSameNumbers(before, g, 1e-5, 1e-5);
    }
}

TEST(FuseMatmulEpilogue, ReshapeWithAnotherReaderOrAsGraphOutputLeavesTheGraph) {
    for (int variant = 0; variant < 3; ++variant) {
        SCOPED_TRACE(variant);
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({10, 7}));
        const ir::TensorId res = g.addInput("res", kF32, dims({2, 5, 11}));
        const ir::TensorId r = reshape(g, "reshape", matmul(g, a), dims({2, 5, 11}));
        if (variant == 2) {
            g.markOutput(binary(g, "twice", E::kSUM, r, r));  // the product added to itself
        } else {
            g.markOutput(binary(g, "add_res", E::kSUM, r, res));
            if (variant == 0)
                g.markOutput(activation(g, "relu", ActivationType::kRELU, r));  // a second reader
            if (variant == 1) g.markOutput(r);  // the reshaped product is a network output
        }
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
}

TEST(FuseMatmulEpilogue, TransposingShuffleOrBroadcastResidualLeavesTheGraph) {
    {
        // [10, 11] -> [2, 5, 11] -> [5, 2, 11] moves elements: not a view.
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({10, 7}));
        const ir::TensorId res = g.addInput("res", kF32, dims({5, 2, 11}));
        const ir::TensorId r = reshape(g, "reshape", matmul(g, a), dims({2, 5, 11}));
        g.markOutput(binary(g, "add_res", E::kSUM, transpose(g, "t", r, {1, 0, 2}), res));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
    {
        // A residual of [1, 5, 11] (a position table) broadcasts over the batch: a separate add.
        ir::Graph g;
        const ir::TensorId a = g.addInput("a", kF32, dims({10, 7}));
        const ir::TensorId pos = g.addInput("pos", kF32, dims({1, 5, 11}));
        const ir::TensorId r = reshape(g, "reshape", matmul(g, a), dims({2, 5, 11}));
        g.markOutput(binary(g, "add_pos", E::kSUM, r, pos));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-matmul-epilogue", g);
    }
}

TEST(FuseMatmulEpilogue, PipelineFoldsAGpt2BlockAndItsSecondRunChangesNothing) {
    // attn c_proj and MLP (c_fc + GELU, c_proj) of a GPT-2 block with [B*S, E] Gemms between reshapes.
    ir::Graph g;
    const ir::TensorId h = g.addInput("h", kF32, dims({2, 5, 7}));
    const ir::TensorId attn = g.addInput("attn", kF32, dims({10, 7}));
    auto gemm = [&](const std::string& name, ir::TensorId x, int64_t k, int64_t n) {
        const ir::TensorId w = constant(g, name + "_w", kF32, dims({k, n}), ramp(k * n, 0.05));
        const ir::TensorId mm = op(g, name, ir::MatrixMultiplyAttrs{}, {x, w});
        return binary(g, name + "_bias", E::kSUM, mm,
                      constant(g, name + "_b", kF32, dims({n}), ramp(n, 0.1)));
    };
    const ir::TensorId h1 =
        binary(g, "add", E::kSUM, reshape(g, "proj_r", gemm("c_proj", attn, 7, 7), dims({2, 5, 7})), h);
    const ir::TensorId fc =
        reshape(g, "fc_r", gemm("c_fc", reshape(g, "h1_r", h1, dims({10, 7})), 7, 13), dims({2, 5, 13}));
    const ir::TensorId act = activation(g, "gelu", ActivationType::kGELU_TANH, fc);
    const ir::TensorId mlp = reshape(
        g, "mlp_r", gemm("mlp_proj", reshape(g, "act_r", act, dims({10, 13})), 13, 7), dims({2, 5, 7}));
    g.markOutput(binary(g, "add_1", E::kSUM, h1, mlp));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    ASSERT_TRUE(passes::runPipeline(g, passes::PassContext{}).isOk());
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 0) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kActivation), 0);
    EXPECT_EQ(countKind(g, ir::OpKind::kMatrixMultiply), 3);
    int addends = 0;
    for (const ir::Node& n : g.nodes())
        if (n.kind() == ir::OpKind::kMatrixMultiply)
            addends += n.inputs.size() > 3 && n.inputs[3] != ir::kNoTensor;
    EXPECT_EQ(addends, 2);
    expectSameNumbers(before, g, 1e-5, 1e-5);
    expectUnchanged("fuse-matmul-epilogue", g);
}

TEST(FuseMatmulEpilogue, PipelineFusesGeluChainIntoTheMatmul) {
    // BERT's MLP: MatMul + bias, then the erf GELU chain: fuse-gelu runs first, so it ends as one node.
    ir::Graph g;
    const ir::TensorId a = g.addInput("a", kF32, dims({2, 3, 7}));
    const ir::TensorId x =
        binary(g, "add_bias", E::kSUM, matmul(g, a), constant(g, "bias", kF32, dims({11}), ramp(11, 0.1)));
    const ir::TensorId d = binary(g, "div", E::kDIV, x, scalar(g, "c_sqrt2", kF32, 1.4142135));
    ir::UnaryAttrs erfAttrs;
    erfAttrs.op = UnaryOperation::kERF;
    const ir::TensorId e = op(g, "erf", erfAttrs, {d});
    const ir::TensorId one = binary(g, "add1", E::kSUM, e, scalar(g, "c_one", kF32, 1.0));
    const ir::TensorId m = binary(g, "mul1", E::kPROD, x, one);
    g.markOutput(binary(g, "mul2", E::kPROD, m, scalar(g, "c_half", kF32, 0.5)));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    ASSERT_TRUE(passes::runPipeline(g, passes::PassContext{}).isOk());
    EXPECT_EQ(countKind(g, ir::OpKind::kMatrixMultiply), 1);
    EXPECT_EQ(g.nodes().size(), 3u) << ir::dumpGraph(g);  // w, bias, the matmul
    EXPECT_EQ(fusedAttrs(g).epilogue.activation, ActivationType::kGELU_ERF);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

}  // namespace
}  // namespace kiln::passtest
