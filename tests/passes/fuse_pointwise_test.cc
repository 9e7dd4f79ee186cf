// fuse-pointwise, run alone on small graphs: the expected structure after the pass (how many Pointwise nodes,
// their inputs, output type, what stayed unfused), and the reference backend's results before and after on
// seeded random inputs with odd shapes, broadcasting inputs and constants. float32 chains of ElementWise,
// Unary, Activation and Select must give bit-identical results (both sides round every op's double result
// to float32); chains through float16 or a Scale differ only by the intermediate roundings the fusion drops.
// Negative cases (an intermediate used outside the group, a graph output inside it, integer arithmetic,
// shapes that would recompute a smaller intermediate) leave the graph unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"
#include "common/host_tensor.h"
#include "ir/pointwise_program.h"
#include "passes/pass.h"

namespace kiln::passes {
namespace {

using ir::Graph;
using ir::TensorId;
using Values = std::map<std::string, HostTensor>;

/// Runs every node of an inferred graph on the reference backend; returns the graph outputs by name.
Values runReference(const Graph& g, const Values& inputs) {
    static ThreadPool pool(2);
    std::vector<HostTensor> v(g.tensors().size());
    for (TensorId t : g.inputs()) v[static_cast<size_t>(t)] = inputs.at(g.tensor(t).name);
    for (const ir::Node& n : g.nodes()) {
        std::vector<TensorRef> in, out;
        for (TensorId t : n.inputs)
            in.push_back(t == ir::kNoTensor ? HostTensor::absent().ref() : v[static_cast<size_t>(t)].ref());
        for (TensorId t : n.outputs) {
            v[static_cast<size_t>(t)] = HostTensor(g.tensor(t).type, g.tensor(t).shape);
            out.push_back(v[static_cast<size_t>(t)].ref());
        }
        const Status st = reference::runNode(n.attrs, reference::KernelContext{in, out, &pool});
        EXPECT_TRUE(st.isOk()) << n.name << ": " << st.message();
    }
    Values outs;
    for (TensorId t : g.outputs()) outs[g.tensor(t).name] = v[static_cast<size_t>(t)];
    return outs;
}

TensorId constant(Graph& g, const std::string& name, Dims shape, const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(float));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return g.addConstant(name, DataType::kFLOAT, shape, std::move(bytes));
}

TensorId op(Graph& g, const std::string& name, ir::Attrs attrs, std::vector<TensorId> in) {
    return g.node(g.addNode(name, std::move(attrs), std::move(in), 1)).outputs[0];
}
ir::ElementWiseAttrs ew(ElementWiseOperation o) {
    return ir::ElementWiseAttrs{o};
}
ir::UnaryAttrs un(UnaryOperation o) {
    return ir::UnaryAttrs{o};
}

int count(const Graph& g, ir::OpKind kind) {
    int c = 0;
    for (const ir::Node& n : g.nodes()) c += n.kind() == kind;
    return c;
}

/// Random inputs for every graph input (bool ones as 0/1), seeded by position.
Values randomInputs(const Graph& g) {
    Values in;
    uint64_t seed = 11;
    for (TensorId t : g.inputs())
        in[g.tensor(t).name] = HostTensor::random(g.tensor(t).type, g.tensor(t).shape, seed++, -2.0, 2.0);
    return in;
}

/// The fuse-pointwise pass works on GPU plans only.
PassContext gpuTarget() {
    PassContext c;
    c.cudaTarget = true;
    return c;
}

/// Infers, runs before, runs the pass alone, runs after; compares within `ulps` of the output type or `atol`
/// (0, 0: bit-identical). Returns whether the pass changed the graph.
bool fuseAndCompare(Graph& g, int64_t ulps, const char* what, double atol = 0.0) {
    EXPECT_TRUE(g.inferShapes().isOk()) << what;
    const Values in = randomInputs(g);
    const Values before = runReference(g, in);
    StatusOr<bool> changed = runPass("fuse-pointwise", g, gpuTarget());
    EXPECT_TRUE(changed.isOk()) << what << ": " << changed.status().message();
    EXPECT_TRUE(g.validate().isOk()) << what;
    const Values after = runReference(g, in);
    for (const auto& [name, want] : before) {
        const HostTensor& got = after.at(name);
        EXPECT_EQ(got.type, want.type) << what << " " << name;
        EXPECT_EQ(got.shape, want.shape) << what << " " << name;
        for (int64_t i = 0; i < want.numel(); ++i) {
            const double w = want.at(i), r = got.at(i);
            if (std::isnan(w) && std::isnan(r)) continue;
            const double ulp = want.type == DataType::kHALF ? std::ldexp(1.0, std::ilogb(std::fabs(w)) - 10)
                                                            : std::ldexp(1.0, std::ilogb(std::fabs(w)) - 23);
            const double limit = static_cast<double>(ulps) * (w == 0 ? 1e-30 : ulp);
            if (std::fabs(w - r) <= limit || std::fabs(w - r) <= atol) continue;
            ADD_FAILURE() << what << " " << name << "[" << i << "]: before " << w << ", after " << r << "\n"
                          << ir::dumpGraph(g);
            return false;
        }
    }
    return changed.isOk() && *changed;
}

const ir::Node& onlyPointwise(const Graph& g) {
    for (const ir::Node& n : g.nodes())
        if (n.kind() == ir::OpKind::kPointwise) return n;
    ADD_FAILURE() << "no Pointwise node in\n" << ir::dumpGraph(g);
    return g.nodes().front();
}

TEST(FusePointwise, AttentionScaleAndMaskBeforeSoftmax) {
    Graph g;
    const TensorId s = g.addInput("scores", DataType::kFLOAT, makeDims({2, 3, 5, 7}));
    const TensorId m = g.addInput("mask", DataType::kFLOAT, makeDims({2, 1, 1, 7}));
    const TensorId scaled = op(g, "scale", ew(ElementWiseOperation::kDIV), {s, constant(g, "d", makeDims({}), {8.0f})});
    const TensorId masked = op(g, "mask_add", ew(ElementWiseOperation::kSUM), {scaled, m});
    ir::SoftMaxAttrs sm;
    sm.axes = 1u << 3;
    g.markOutput(op(g, "softmax", sm, {masked}));
    ASSERT_TRUE(fuseAndCompare(g, 0, "attention"));
    EXPECT_EQ(count(g, ir::OpKind::kPointwise), 1);
    EXPECT_EQ(count(g, ir::OpKind::kElementWise), 0);
    EXPECT_EQ(count(g, ir::OpKind::kSoftMax), 1);
    const ir::Node& pw = onlyPointwise(g);
    ASSERT_EQ(pw.inputs.size(), 2u);  // the divisor became an immediate
    EXPECT_EQ(g.tensor(pw.inputs[0]).name, "scores");
    EXPECT_EQ(g.tensor(pw.inputs[1]).name, "mask");
}

TEST(FusePointwise, CausalMaskSelectWithBoolCondition) {
    Graph g;
    const TensorId a = g.addInput("attn", DataType::kFLOAT, makeDims({3, 4, 5}));
    const TensorId c = g.addInput("causal", DataType::kBOOL, makeDims({1, 5}));
    const TensorId scaled = op(g, "mul", ew(ElementWiseOperation::kPROD), {a, constant(g, "k", makeDims({1}), {0.3f})});
    const TensorId sel = op(g, "where", ir::SelectAttrs{}, {c, scaled, constant(g, "neg", makeDims({}), {-1e4f})});
    g.markOutput(op(g, "exp", un(UnaryOperation::kEXP), {sel}));
    ASSERT_TRUE(fuseAndCompare(g, 0, "causal mask"));
    EXPECT_EQ(g.nodes().size(), 1u) << ir::dumpGraph(g);
    EXPECT_EQ(onlyPointwise(g).inputs.size(), 2u);
}

TEST(FusePointwise, Float16ChainThroughCastsRoundsOnce) {
    Graph g;
    const TensorId x = g.addInput("x", DataType::kHALF, makeDims({3, 1, 7}));
    const TensorId y = g.addInput("y", DataType::kHALF, makeDims({5, 7}));
    ir::CastAttrs toF32;
    toF32.toType = DataType::kFLOAT;
    ir::CastAttrs toF16;
    toF16.toType = DataType::kHALF;
    const TensorId xf = op(g, "x_f32", toF32, {x});
    const TensorId yf = op(g, "y_f32", toF32, {y});
    const TensorId sum = op(g, "add", ew(ElementWiseOperation::kSUM), {xf, yf});
    const TensorId act = op(g, "relu", ir::ActivationAttrs{ActivationType::kLEAKY_RELU, 0.1f, 0.0f}, {sum});
    g.markOutput(op(g, "out_f16", toF16, {act}));
    // Before, the sum rounds to float32 and the activation's product to float32, then to half; after, the
    // same float32 steps in registers: identical here, as no step rounds to half in between.
    ASSERT_TRUE(fuseAndCompare(g, 0, "float16 casts"));
    const ir::Node& pw = onlyPointwise(g);
    EXPECT_EQ(g.nodes().size(), 1u) << ir::dumpGraph(g);
    EXPECT_EQ(std::get<ir::PointwiseAttrs>(pw.attrs).outputType, DataType::kHALF);
    EXPECT_EQ(g.tensor(pw.outputs[0]).shape, makeDims({3, 5, 7}));
}

TEST(FusePointwise, PerChannelScaleAndReluUseAReshapedConstant) {
    Graph g;
    const TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({2, 3, 4, 5}));
    ir::ScaleAttrs sc;
    sc.mode = ScaleMode::kCHANNEL;
    sc.channelAxis = 1;
    const TensorId shift = constant(g, "shift", makeDims({3}), {0.5f, -0.25f, 1.0f});
    const TensorId scale = constant(g, "scale", makeDims({3}), {2.0f, -1.5f, 0.75f});
    const TensorId bn = op(g, "bn", sc, {x, shift, scale});
    g.markOutput(op(g, "relu", ir::ActivationAttrs{}, {bn}));
    // (x * scale + shift) rounds once in the Scale kernel (double), twice in the program (float32 steps):
    // the product's rounding, half a float32 ulp of |x * scale| <= 4, survives the shift's cancellation.
    ASSERT_TRUE(fuseAndCompare(g, 1, "scale + relu", 2.4e-7));
    const ir::Node& pw = onlyPointwise(g);
    ASSERT_EQ(pw.inputs.size(), 3u);
    EXPECT_EQ(g.tensor(pw.inputs[1]).shape, makeDims({3, 1, 1}));
    EXPECT_EQ(g.tensor(pw.inputs[2]).shape, makeDims({3, 1, 1}));
}

TEST(FusePointwise, SmallerIntermediateIsNotRecomputedPerOutputElement) {
    Graph g;
    const TensorId s = g.addInput("scores", DataType::kFLOAT, makeDims({2, 3, 5, 7}));
    const TensorId m = g.addInput("mask", DataType::kFLOAT, makeDims({2, 1, 1, 7}));
    const TensorId inv = op(g, "one_minus", ew(ElementWiseOperation::kSUB), {constant(g, "one", makeDims({}), {1.0f}), m});
    const TensorId big = op(g, "times", ew(ElementWiseOperation::kPROD), {inv, constant(g, "big", makeDims({}), {-1e4f})});
    const TensorId sum = op(g, "add", ew(ElementWiseOperation::kSUM), {s, big});
    g.markOutput(op(g, "silu", ir::ActivationAttrs{ActivationType::kSILU, 0, 0}, {sum}));  // a Kiln value (100)
    ASSERT_TRUE(fuseAndCompare(g, 0, "mask chain"));
    // The [2,1,1,7] mask chain is one program, the [2,3,5,7] add + tanh another that reads its result.
    EXPECT_EQ(count(g, ir::OpKind::kPointwise), 2) << ir::dumpGraph(g);
    EXPECT_EQ(count(g, ir::OpKind::kElementWise), 0);
}

TEST(FusePointwise, LongChainsAndWideFanInSplitAtTheInterpreterLimits) {
    Graph g;
    TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({13}));
    for (int i = 0; i < 40; ++i)
        x = op(g, "step" + std::to_string(i), i % 2 ? un(UnaryOperation::kSIN) : un(UnaryOperation::kNEG), {x});
    for (int i = 0; i < 11; ++i)
        x = op(g, "add" + std::to_string(i), ew(ElementWiseOperation::kSUM),
               {x, g.addInput("in" + std::to_string(i), DataType::kFLOAT, makeDims({i % 3 ? 13 : 1}))});
    g.markOutput(x);
    ASSERT_TRUE(fuseAndCompare(g, 0, "limits"));
    EXPECT_GE(count(g, ir::OpKind::kPointwise), 3) << ir::dumpGraph(g);
    for (const ir::Node& n : g.nodes()) {
        ASSERT_EQ(n.kind(), ir::OpKind::kPointwise) << ir::dumpGraph(g);
        const auto& a = std::get<ir::PointwiseAttrs>(n.attrs);
        EXPECT_LE(a.code.size(), static_cast<size_t>(ir::kPointwiseMaxInstructions * ir::kPointwiseFields));
        EXPECT_LE(n.inputs.size(), static_cast<size_t>(ir::kPointwiseMaxInputs));
    }
}

TEST(FusePointwise, IntermediateUsedOutsideTheGroupStaysUnfused) {
    Graph g;
    const TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({3, 5}));
    const TensorId e = op(g, "exp", un(UnaryOperation::kEXP), {x});
    g.markOutput(op(g, "add", ew(ElementWiseOperation::kSUM), {e, x}));
    ir::SoftMaxAttrs sm;
    g.markOutput(op(g, "softmax", sm, {e}));
    ASSERT_TRUE(g.inferShapes().isOk());
    const std::string before = ir::dumpGraph(g);
    EXPECT_FALSE(fuseAndCompare(g, 0, "shared intermediate"));
    EXPECT_EQ(ir::dumpGraph(g), before);
}

TEST(FusePointwise, GraphOutputInsideAChainStaysUnfused) {
    Graph g;
    const TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({7}));
    const TensorId e = op(g, "exp", un(UnaryOperation::kEXP), {x});
    g.markOutput(e);
    g.markOutput(op(g, "relu", ir::ActivationAttrs{}, {e}));
    ASSERT_TRUE(g.inferShapes().isOk());
    const std::string before = ir::dumpGraph(g);
    EXPECT_FALSE(fuseAndCompare(g, 0, "output inside"));
    EXPECT_EQ(ir::dumpGraph(g), before);
}

TEST(FusePointwise, IntegerArithmeticStaysUnfused) {
    Graph g;
    const TensorId x = g.addInput("x", DataType::kINT32, makeDims({4, 3}));
    const TensorId y = g.addInput("y", DataType::kINT32, makeDims({3}));
    const TensorId s = op(g, "add", ew(ElementWiseOperation::kSUM), {x, y});
    g.markOutput(op(g, "mul", ew(ElementWiseOperation::kPROD), {s, y}));
    ASSERT_TRUE(g.inferShapes().isOk());
    const std::string before = ir::dumpGraph(g);
    EXPECT_FALSE(fuseAndCompare(g, 0, "int32"));
    EXPECT_EQ(ir::dumpGraph(g), before);
}

TEST(FusePointwise, RunsInThePipeline) {
    Graph g;
    const TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({5}));
    g.markOutput(op(g, "neg", un(UnaryOperation::kNEG), {op(g, "abs", un(UnaryOperation::kABS), {x})}));
    ASSERT_TRUE(g.inferShapes().isOk());
    ASSERT_TRUE(runPipeline(g, gpuTarget()).isOk());
    EXPECT_EQ(count(g, ir::OpKind::kPointwise), 1);
    // CPU plans keep the unfused ops (the reference interpreter is slower than the separate kernels).
    Graph c;
    const TensorId cx = c.addInput("x", DataType::kFLOAT, makeDims({5}));
    c.markOutput(op(c, "neg", un(UnaryOperation::kNEG), {op(c, "abs", un(UnaryOperation::kABS), {cx})}));
    ASSERT_TRUE(c.inferShapes().isOk());
    ASSERT_TRUE(runPipeline(c, PassContext{}).isOk());
    EXPECT_EQ(count(c, ir::OpKind::kPointwise), 0);
    PassContext off = gpuTarget();
    off.disabled = {"fuse-pointwise"};
    Graph h;
    const TensorId hx = h.addInput("x", DataType::kFLOAT, makeDims({5}));
    h.markOutput(op(h, "neg", un(UnaryOperation::kNEG), {op(h, "abs", un(UnaryOperation::kABS), {hx})}));
    ASSERT_TRUE(h.inferShapes().isOk());
    ASSERT_TRUE(runPipeline(h, off).isOk());
    EXPECT_EQ(count(h, ir::OpKind::kPointwise), 0);
}

}  // namespace
}  // namespace kiln::passes
