// fuse-conv-epilogue: Convolution -> + residual -> activation (ResNet's bottleneck end) becomes one
// Convolution with input [3] addend and the activation attributes, computing the same numbers on the
// reference backend; a broadcast addend, a shared or graph-output intermediate leave the graph unchanged.
// Behind a reshape-only Shuffle the same steps fold, the reshape moving after the convolution.
#include <gtest/gtest.h>

#include "pass_test_util.h"

namespace kiln::passtest {
namespace {

using E = ElementWiseOperation;
constexpr DataType kF32 = DataType::kFLOAT;

/// x [2, 3, 9, 7] -> 3x3 conv, padding 1, 5 maps (with a bias when asked): [2, 5, 9, 7].
ir::TensorId conv(ir::Graph& g, ir::TensorId x, bool bias) {
    ir::ConvolutionAttrs c;
    c.nbOutputMaps = 5;
    c.kernelSize = dims({3, 3});
    c.prePadding = dims({1, 1});
    c.postPadding = dims({1, 1});
    std::vector<double> w(5 * 3 * 9);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.05 * static_cast<double>(static_cast<int>(i * 5 % 11) - 5);
    std::vector<ir::TensorId> in = {x, constant(g, "w", kF32, dims({5, 3, 3, 3}), w)};
    if (bias) in.push_back(constant(g, "b", kF32, dims({5}), {0.5, -0.25, 0.0, 1.0, -1.5}));
    return op(g, "conv", c, in);
}

const ir::ConvolutionAttrs& convAttrs(const ir::Graph& g) {
    return std::get<ir::ConvolutionAttrs>(onlyNode(g, ir::OpKind::kConvolution).attrs);
}

TEST(FuseConvEpilogue, ResidualAddAndReluBecomeOneConvolution) {
    for (bool bias : {true, false}) {
        SCOPED_TRACE(bias ? "with bias" : "without bias");
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 7}));
        const ir::TensorId shortcut = g.addInput("shortcut", kF32, dims({2, 5, 9, 7}));
        const ir::TensorId sum = binary(g, "add", E::kSUM, conv(g, x, bias), shortcut);
        g.markOutput(activation(g, "relu", ActivationType::kRELU, sum));
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        EXPECT_TRUE(runOnly("fuse-conv-epilogue", g));
        EXPECT_EQ(g.nodes().size(), bias ? 3u : 2u) << ir::dumpGraph(g);
        const ir::Node& n = onlyNode(g, ir::OpKind::kConvolution);
        ASSERT_EQ(n.inputs.size(), 4u);
        EXPECT_EQ(n.inputs[2] == ir::kNoTensor, !bias);
        EXPECT_EQ(n.inputs[3], g.inputs()[1]);
        EXPECT_TRUE(convAttrs(g).epilogue.hasActivation);
        EXPECT_EQ(convAttrs(g).epilogue.activation, ActivationType::kRELU);
        expectSameNumbers(before, g, 1e-5, 1e-5);
    }
}

TEST(FuseConvEpilogue, ActivationAloneIsFused) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 7}));
    g.markOutput(activation(g, "clip", ActivationType::kCLIP, conv(g, x, true), 0.0f, 6.0f));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-conv-epilogue", g));
    EXPECT_EQ(countKind(g, ir::OpKind::kActivation), 0);
    EXPECT_EQ(convAttrs(g).epilogue.activation, ActivationType::kCLIP);
    EXPECT_EQ(convAttrs(g).epilogue.beta, 6.0f);
    EXPECT_EQ(onlyNode(g, ir::OpKind::kConvolution).inputs.size(), 3u);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(FuseConvEpilogue, BroadcastAddendLeavesTheGraph) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 7}));
    const ir::TensorId perChannel = g.addInput("c", kF32, dims({1, 5, 1, 1}));
    g.markOutput(binary(g, "add", E::kSUM, conv(g, x, true), perChannel));
    ASSERT_TRUE(g.inferShapes().isOk());
    expectUnchanged("fuse-conv-epilogue", g);
}

TEST(FuseConvEpilogue, SharedOrOutputIntermediateLeavesTheGraph) {
    {
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 7}));
        const ir::TensorId c = conv(g, x, true);
        g.markOutput(c);
        g.markOutput(activation(g, "relu", ActivationType::kRELU, c));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-conv-epilogue", g);
    }
    {
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 7}));
        const ir::TensorId c = conv(g, x, true);
        g.markOutput(activation(g, "relu", ActivationType::kRELU, c));
        g.markOutput(activation(g, "sigmoid", ActivationType::kSIGMOID, c));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("fuse-conv-epilogue", g);
    }
}

TEST(FuseConvEpilogue, ResidualAndReluBehindAReshapeFold) {
    // conv [2, 5, 9, 7] -> reshape [2, 5, 63] -> + shortcut -> ReLU.
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 7}));
    const ir::TensorId shortcut = g.addInput("shortcut", kF32, dims({2, 5, 63}));
    const ir::TensorId r = reshape(g, "flatten", conv(g, x, true), dims({2, 5, 63}));
    g.markOutput(activation(g, "relu", ActivationType::kRELU, binary(g, "add", E::kSUM, shortcut, r)));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-conv-epilogue", g));
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 0) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kActivation), 0);
    const ir::Node& n = onlyNode(g, ir::OpKind::kConvolution);
    ASSERT_EQ(n.inputs.size(), 4u);
    const ir::Node& addendReshape = g.node(g.tensor(n.inputs[3]).producer);
    EXPECT_EQ(addendReshape.kind(), ir::OpKind::kShuffle);
    EXPECT_EQ(addendReshape.inputs, std::vector<ir::TensorId>{g.inputs()[1]});
    EXPECT_TRUE(g.tensor(n.inputs[3]).shape == dims({2, 5, 9, 7}));
    EXPECT_EQ(convAttrs(g).epilogue.activation, ActivationType::kRELU);
    const ir::Node& out = g.node(g.tensor(g.outputs()[0]).producer);
    EXPECT_EQ(out.kind(), ir::OpKind::kShuffle);
    EXPECT_EQ(out.inputs, std::vector<ir::TensorId>{n.outputs[0]});
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(FuseConvEpilogue, ReluThenAddIsNotReordered) {
    // relu(conv) + shortcut: the activation is fused, the add after it must stay.
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 7}));
    const ir::TensorId shortcut = g.addInput("shortcut", kF32, dims({2, 5, 9, 7}));
    const ir::TensorId r = activation(g, "relu", ActivationType::kRELU, conv(g, x, true));
    g.markOutput(binary(g, "add", E::kSUM, r, shortcut));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("fuse-conv-epilogue", g));
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 1);
    EXPECT_EQ(onlyNode(g, ir::OpKind::kConvolution).inputs.size(), 3u);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

}  // namespace
}  // namespace kiln::passtest
