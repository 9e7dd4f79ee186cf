// channels-last and cancel-transposes: 2-D convolutions of float16/bfloat16 GPU plans become channels-last
// ones between Shuffle transposes, the transposes that meet between consecutive convolutions cancel, and
// the graph computes the same numbers on the reference backend (whose channels-last convolution and
// pooling permute into their channels-first ones). 2-D pooling after a convolution (global too, and chains
// of poolings) converts; pooling with the indices output or fed NCHW from elsewhere does not. CPU and
// float32 plans, 1-D convolutions and computed kernels keep the graph; a transpose that is a graph output
// stays.
#include <gtest/gtest.h>

#include "pass_test_util.h"

namespace kiln::passtest {
namespace {

using E = ElementWiseOperation;
constexpr DataType kF32 = DataType::kFLOAT;

/// A convolution of x ([N, c, H, W]) to k maps with a seeded Constant kernel and bias.
ir::TensorId conv(ir::Graph& g, const std::string& name, ir::TensorId x, int64_t c, int64_t k, int64_t kh,
                  int64_t kw, int32_t groups = 1, std::vector<ir::TensorId> extra = {}) {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = static_cast<int32_t>(k);
    a.kernelSize = dims({kh, kw});
    a.prePadding = dims({kh / 2, 0});
    a.postPadding = dims({kh / 2, kw - 1});  // asymmetric in W
    a.stride = dims({1, 2});
    a.nbGroups = groups;
    std::vector<double> w(static_cast<size_t>(k * (c / groups) * kh * kw));
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.03 * static_cast<double>(static_cast<int>(i * 7 % 13) - 6);
    std::vector<double> b(static_cast<size_t>(k));
    for (size_t i = 0; i < b.size(); ++i) b[i] = 0.1 * static_cast<double>(i % 5) - 0.2;
    std::vector<ir::TensorId> in = {x, constant(g, name + "_w", kF32, dims({k, c / groups, kh, kw}), w),
                                    constant(g, name + "_b", kF32, dims({k}), b)};
    in.insert(in.end(), extra.begin(), extra.end());
    return op(g, name, a, in);
}

int countChannelsLast(const ir::Graph& g) {
    int n = 0;
    for (const ir::Node& node : g.nodes())
        if (node.kind() == ir::OpKind::kConvolution) n += std::get<ir::ConvolutionAttrs>(node.attrs).channelsLast;
    return n;
}

bool runLayoutPasses(ir::Graph& g) {
    const bool converted = runOnly("channels-last", g, gpuContext());
    runOnly("cancel-transposes", g, gpuContext());
    return converted;
}

// x -> conv1 -> relu -> conv2 (residual: conv1's output, fused as the addend) -> y: one conversion in, one
// out; the ones between the convolutions cancel (the addend's too).
TEST(ChannelsLast, ConsecutiveConvolutionsKeepOneConversionEachWay) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 8}));
    const ir::TensorId c1 = conv(g, "conv1", x, 3, 6, 3, 1);  // [2, 6, 9, 4]
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = 6;
    a.kernelSize = dims({3, 3});
    a.prePadding = dims({1, 1});
    a.postPadding = dims({1, 1});
    a.epilogue.hasActivation = true;
    a.epilogue.activation = ActivationType::kRELU;
    std::vector<double> w(6 * 6 * 9);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.02 * static_cast<double>(static_cast<int>(i % 9) - 4);
    const ir::TensorId c2 =
        op(g, "conv2", a, {c1, constant(g, "conv2_w", kF32, dims({6, 6, 3, 3}), w), ir::kNoTensor, c1});
    g.markOutput(c2);
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runLayoutPasses(g));
    EXPECT_EQ(countChannelsLast(g), 2) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 2) << ir::dumpGraph(g);
    EXPECT_EQ(g.tensor(g.outputs()[0]).name, before.tensor(before.outputs()[0]).name);
    EXPECT_TRUE(g.tensor(g.outputs()[0]).shape == before.tensor(before.outputs()[0]).shape);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

// Grouped and depthwise convolutions, a pointwise op between two convolutions (its conversions stay) and
// an intermediate that is also a graph output.
TEST(ChannelsLast, GroupsPointwiseBetweenAndOutputIntermediates) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({1, 4, 7, 10}));
    const ir::TensorId c1 = conv(g, "grouped", x, 4, 6, 3, 3, 2);  // [1, 6, 7, 5]
    g.markOutput(c1);
    const ir::TensorId t = activation(g, "tanh", ActivationType::kTANH, c1);
    g.markOutput(conv(g, "depthwise", t, 6, 6, 3, 1, 6));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runLayoutPasses(g));
    EXPECT_EQ(countChannelsLast(g), 2);
    // In, back for the output and the tanh, in again after the tanh, back for the last output.
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 4) << ir::dumpGraph(g);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

TEST(ChannelsLast, CpuFloat32OneDAndComputedKernelsKeepTheGraph) {
    {
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({1, 3, 9, 8}));
        g.markOutput(conv(g, "conv", x, 3, 4, 3, 3));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("channels-last", g);  // the CPU target
        passes::PassContext f32 = gpuContext();
        f32.reducedPrecision = DataType::kFLOAT;
        expectUnchanged("channels-last", g, f32);
    }
    {
        ir::Graph g;  // 1-D
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 5, 11}));
        ir::ConvolutionAttrs a;
        a.nbOutputMaps = 3;
        a.kernelSize = dims({3});
        g.markOutput(op(g, "conv", a, {x, constant(g, "w", kF32, dims({3, 5, 3}), std::vector<double>(45, 0.1))}));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("channels-last", g, gpuContext());
    }
    {
        ir::Graph g;  // the kernel is an input: nothing to permute at build time
        const ir::TensorId x = g.addInput("x", kF32, dims({1, 3, 9, 8}));
        const ir::TensorId w = g.addInput("w", kF32, dims({4, 3, 3, 3}));
        ir::ConvolutionAttrs a;
        a.nbOutputMaps = 4;
        a.kernelSize = dims({3, 3});
        g.markOutput(op(g, "conv", a, {x, w}));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("channels-last", g, gpuContext());
    }
}

ir::TensorId maxPool(ir::Graph& g, const std::string& name, ir::TensorId x, int outputs = 1) {
    ir::PoolingAttrs a;  // ResNet's stem pool: 3x3, stride 2, padding 1
    a.type = PoolingType::kMAX;
    a.windowSize = dims({3, 3});
    a.stride = dims({2, 2});
    a.prePadding = dims({1, 1});
    a.postPadding = dims({1, 1});
    const ir::NodeId n = g.addNode(name, a, {x}, outputs);
    for (int i = 1; i < outputs; ++i) g.markOutput(g.node(n).outputs[static_cast<size_t>(i)]);
    return g.node(n).outputs[0];
}

int countChannelsLastPooling(const ir::Graph& g) {
    int n = 0;
    for (const ir::Node& node : g.nodes())
        if (node.kind() == ir::OpKind::kPooling) n += std::get<ir::PoolingAttrs>(node.attrs).channelsLast;
    return n;
}

// ResNet's stem: conv -> max pool -> conv. The pooling runs channels-last between them, so only the network's
// input and output conversions stay.
TEST(ChannelsLast, PoolingBetweenConvolutionsKeepsOneConversionEachWay) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 11, 14}));
    const ir::TensorId c1 = conv(g, "conv1", x, 3, 5, 3, 1);  // [2, 5, 11, 7]
    const ir::TensorId p = maxPool(g, "pool", c1);            // [2, 5, 6, 4]
    g.markOutput(conv(g, "conv2", p, 5, 4, 1, 1));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runLayoutPasses(g));
    EXPECT_EQ(countChannelsLast(g), 2) << ir::dumpGraph(g);
    EXPECT_EQ(countChannelsLastPooling(g), 1) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 2) << ir::dumpGraph(g);
    const ir::Node& pool = onlyNode(g, ir::OpKind::kPooling);
    EXPECT_TRUE(g.tensor(pool.outputs[0]).shape == dims({2, 6, 4, 5})) << ir::dumpGraph(g);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

// ResNet's head: conv -> global average pool -> reshape. The pooling converts; the conversion back is on the
// [N, 1, 1, C] result. Two poolings in a row both convert.
TEST(ChannelsLast, GlobalAndChainedPoolingConvert) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 9, 8}));
    const ir::TensorId c1 = conv(g, "conv", x, 3, 6, 3, 3);  // [2, 6, 9, 4]
    ir::PoolingAttrs avg;
    avg.type = PoolingType::kAVERAGE;
    avg.windowSize = dims({2, 2});
    avg.stride = dims({1, 1});
    const ir::TensorId p1 = op(g, "avg", avg, {c1});  // [2, 6, 8, 3]
    ir::PoolingAttrs global;
    global.type = PoolingType::kAVERAGE;
    global.global = true;
    const ir::TensorId p2 = op(g, "global", global, {p1});  // [2, 6, 1, 1]
    ir::ShuffleAttrs flatten;
    flatten.hasReshape = true;
    flatten.reshapeDims = dims({2, 6});
    g.markOutput(op(g, "flatten", flatten, {p2}));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runLayoutPasses(g));
    EXPECT_EQ(countChannelsLastPooling(g), 2) << ir::dumpGraph(g);
    // In before the conv, back after the global pooling, and the flatten.
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 3) << ir::dumpGraph(g);
    expectSameNumbers(before, g, 1e-5, 1e-5);
}

// Not converted: a pooling with the indices output (they number channels-first positions), one fed NCHW by
// the network input (converting it would transpose its larger input), and a 1-D one.
TEST(ChannelsLast, PoolingWithIndicesOrNotAfterAConvolutionStays) {
    {
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({1, 3, 9, 8}));
        g.markOutput(maxPool(g, "pool", conv(g, "conv", x, 3, 4, 3, 3), 2));
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        EXPECT_TRUE(runLayoutPasses(g));  // the convolution converts
        EXPECT_EQ(countChannelsLast(g), 1);
        EXPECT_EQ(countChannelsLastPooling(g), 0) << ir::dumpGraph(g);
        expectSameNumbers(before, g, 1e-5, 1e-5);
    }
    {
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({1, 3, 9, 8}));
        g.markOutput(conv(g, "conv", maxPool(g, "pool", x), 3, 4, 3, 3));
        ASSERT_TRUE(g.inferShapes().isOk());
        EXPECT_TRUE(runLayoutPasses(g));
        EXPECT_EQ(countChannelsLast(g), 1);
        EXPECT_EQ(countChannelsLastPooling(g), 0) << ir::dumpGraph(g);
    }
    {
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({2, 5, 11}));
        ir::ShuffleAttrs t;  // a pure transpose of the 1-D pooling's input: still no 2-D pooling to convert
        t.firstTranspose.order[0] = 0;
        t.firstTranspose.order[1] = 2;
        t.firstTranspose.order[2] = 1;
        ir::PoolingAttrs a;
        a.windowSize = dims({3});
        g.markOutput(op(g, "pool", a, {op(g, "t", t, {x})}));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("channels-last", g, gpuContext());
    }
}

ir::TensorId transpose(ir::Graph& g, const std::string& name, ir::TensorId x, std::initializer_list<int32_t> perm) {
    ir::ShuffleAttrs a;
    int i = 0;
    for (int32_t p : perm) a.firstTranspose.order[i++] = p;
    return op(g, name, a, {x});
}

TEST(CancelTransposes, InversePairsVanishOthersCompose) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 4, 5}));
    const ir::TensorId t1 = transpose(g, "t1", x, {0, 2, 3, 1});
    const ir::TensorId back = transpose(g, "back", t1, {0, 3, 1, 2});  // undoes t1
    g.markOutput(binary(g, "add", E::kSUM, back, x));
    const ir::TensorId other = transpose(g, "other", t1, {3, 2, 1, 0});  // composes with t1
    g.markOutput(activation(g, "relu", ActivationType::kRELU, other));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly("cancel-transposes", g));
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 1) << ir::dumpGraph(g);
    const ir::Node& left = onlyNode(g, ir::OpKind::kShuffle);
    EXPECT_EQ(left.inputs[0], g.inputs()[0]);
    expectSameNumbers(before, g, 0.0, 0.0);
}

TEST(CancelTransposes, AGraphOutputKeepsItsTranspose) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({2, 3, 4, 5}));
    const ir::TensorId t1 = transpose(g, "t1", x, {0, 2, 3, 1});
    g.markOutput(transpose(g, "back", t1, {0, 3, 1, 2}));
    ASSERT_TRUE(g.inferShapes().isOk());
    expectUnchanged("cancel-transposes", g);
}

}  // namespace
}  // namespace kiln::passtest
