// absorb-row-transposes: alone on small hand-made graphs, where the moved views and the rewritten
// reshapes are checked value by value (hand-computed), and through the whole GPU pipeline on ViT- and
// GPT-2-shaped blocks (attention_blocks.h), where every projection feeds or reads the Attention node
// without a copy: q, k, v STRIDED views straight into the packed projection, no Gather, Slice or data-moving
// Shuffle left, the out-projection's output in the residual's row order. Each positive case also runs the
// reference backend before and after on seeded random inputs (the fused attention accumulates in double
// where the unfused ops round each step to float32, hence 2e-5 relative; the rewrite itself changes no
// number, only the order rows are computed in). Negative cases (an intermediate read twice or a graph
// output, a residual addend in a projection, a non-constant weight, unknown dims, a transpose that moves
// the last axis) leave the graph unchanged.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ir/attention_layout.h"
#include "passes/attention_blocks.h"
#include "passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using ir::Graph;
using ir::TensorId;
using passtest::countKind;
using passtest::dims;

PassContext gpuTarget() {
    PassContext c;
    c.cudaTarget = true;
    c.reducedPrecision = DataType::kHALF;
    return c;
}

std::vector<int64_t> viewValues(int64_t offset, std::array<int64_t, 4> extent,
                                std::array<int64_t, 4> stride) {
    return {offset, extent[0], extent[1], extent[2], extent[3], stride[0], stride[1], stride[2], stride[3]};
}

const ir::Node& only(const Graph& g, ir::OpKind kind) {
    EXPECT_EQ(countKind(g, kind), 1) << ir::dumpGraph(g);
    return passtest::onlyNode(g, kind);
}

/// The nodes reading t, once per input slot.
std::vector<ir::NodeId> readers(const Graph& g, TensorId t) {
    std::vector<ir::NodeId> out;
    for (ir::NodeId n = 0; n < static_cast<ir::NodeId>(g.nodes().size()); ++n)
        for (TensorId in : g.node(n).inputs)
            if (in == t) out.push_back(n);
    return out;
}

const ir::AttentionAttrs& attentionAttrs(const Graph& g) {
    return std::get<ir::AttentionAttrs>(only(g, ir::OpKind::kAttention).attrs);
}

// ---- alone ------------------------------------------------------------------------------------------------

struct InputSide {
    bool dynamic = false, transposeIsOutput = false, addend = false, weightIsInput = false,
         projectionIsOutput = false, projectionReadElsewhere = false, movesLastAxis = false;
};

/// x [B=2, S=5, E=12] -> transpose(1, 0, 2) -> MatMul(W [12, 36]) -> P [5, 2, 36] -> Attention reading P
/// three times: q from sequence row 1 on (Sq 4), k and v whole, at the thirds 0, 12, 24; output BSHD.
Graph inputSide(const InputSide& o = {}) {
    Graph g;
    const TensorId x = g.addInput("x", DataType::kFLOAT,
                                  o.movesLastAxis ? dims({5, 12, 2}) : dims({o.dynamic ? -1 : 2, 5, 12}));
    const TensorId xt = o.movesLastAxis ? passtest::transpose(g, "x_t", x, {0, 2, 1})  // [5, 2, 12]
                                        : passtest::transpose(g, "x_t", x, {1, 0, 2});
    if (o.transposeIsOutput) g.markOutput(xt);
    const TensorId w = o.weightIsInput ? g.addInput("w", DataType::kFLOAT, dims({12, 36}))
                                       : passtest::weights(g, "w", dims({12, 36}), 1, 0.3);
    std::vector<TensorId> in = {xt, w};
    if (o.addend) in = {xt, w, ir::kNoTensor, g.addInput("r", DataType::kFLOAT, dims({5, 2, 36}))};
    const TensorId p = passtest::op(g, "proj", ir::MatrixMultiplyAttrs{}, in);
    if (o.projectionIsOutput) g.markOutput(p);
    if (o.projectionReadElsewhere) g.markOutput(passtest::activation(g, "relu", ActivationType::kRELU, p));
    ir::AttentionAttrs a;
    a.scale = 0.5f;
    a.qLayout = a.kLayout = a.vLayout = ir::AttentionLayout::kSTRIDED;
    a.qView = viewValues(72, {2, 3, 4, 4}, {36, 4, 72, 1});
    a.kView = viewValues(12, {2, 3, 5, 4}, {36, 4, 72, 1});
    a.vView = viewValues(24, {2, 3, 5, 4}, {36, 4, 72, 1});
    a.outLayout = ir::AttentionLayout::kBSHD;
    g.markOutput(passtest::op(g, "attention", a, {p, p, p}));
    EXPECT_TRUE(g.inferShapes().isOk()) << ir::dumpGraph(g);
    return g;
}

TEST(AbsorbRowTransposes, InputSideMovesTheViewsOntoTheUntransposedRows) {
    Graph g = inputSide();
    const Graph before = g;
    ASSERT_TRUE(passtest::runOnly("absorb-row-transposes", g));
    const ir::Node& mm = only(g, ir::OpKind::kMatrixMultiply);
    EXPECT_EQ(g.tensor(mm.inputs[0]).name, "x");
    EXPECT_EQ(g.tensor(mm.outputs[0]).shape, dims({2, 5, 36}));
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 0) << ir::dumpGraph(g);
    // Over [B, S, 3E] = [2, 5, 36]: B steps 180, S 36; q's first row (s 1, b 0, column 0) is element 36.
    const ir::AttentionAttrs& a = attentionAttrs(g);
    EXPECT_EQ(a.qView, viewValues(36, {2, 3, 4, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(a.kView, viewValues(12, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(a.vView, viewValues(24, {2, 3, 5, 4}, {180, 4, 36, 1}));
    passtest::expectSameNumbers(before, g, 1e-7, 1e-6);
}

TEST(AbsorbRowTransposes, InputSideRefusesWhenAConditionFails) {
    const std::pair<const char*, InputSide> cases[] = {
        {"transpose is a graph output", {.transposeIsOutput = true}},
        {"residual addend", {.addend = true}},
        {"weight is not a constant", {.weightIsInput = true}},
        {"projection is a graph output", {.projectionIsOutput = true}},
        {"projection read by another op", {.projectionReadElsewhere = true}},
        {"unknown batch", {.dynamic = true}},
        {"transpose moves the last axis", {.movesLastAxis = true}},
    };
    for (const auto& [what, o] : cases) {
        SCOPED_TRACE(what);
        Graph g = inputSide(o);
        passtest::expectUnchanged("absorb-row-transposes", g, gpuTarget());
    }
}

struct OutputSide {
    bool splitRows = false, outputReadTwice = false, addend = false, reshapedReadTwice = false;
};

/// Attention (q, k, v SBHD [5, 2, 3, 4], output SBHD) -> reshape [S*B, E] (or [S, B, E]) -> MatMul(W [12, 7],
/// bias) -> reshape [S, B, 7] -> transpose(1, 0, 2) -> y [2, 5, 7].
Graph outputSide(const OutputSide& o = {}) {
    Graph g;
    std::vector<TensorId> qkv;
    for (const char* n : {"q", "k", "v"}) qkv.push_back(g.addInput(n, DataType::kFLOAT, dims({5, 2, 3, 4})));
    ir::AttentionAttrs a;
    a.scale = 0.5f;
    a.qLayout = a.kLayout = a.vLayout = a.outLayout = ir::AttentionLayout::kSBHD;
    const TensorId att = passtest::op(g, "attention", a, qkv);
    if (o.outputReadTwice) g.markOutput(att);
    const TensorId rows = passtest::reshape(g, "rows", att, o.splitRows ? dims({5, 2, 12}) : dims({10, 12}));
    std::vector<TensorId> in = {rows, passtest::weights(g, "w", dims({12, 7}), 2, 0.3),
                                passtest::weights(g, "bias", dims({7}), 3, 0.2)};
    if (o.addend)
        in.push_back(g.addInput("r", DataType::kFLOAT, o.splitRows ? dims({5, 2, 7}) : dims({10, 7})));
    const TensorId m = passtest::op(g, "proj", ir::MatrixMultiplyAttrs{}, in);
    const TensorId m3 = passtest::reshape(g, "proj_r", m, dims({5, 2, 7}));
    if (o.reshapedReadTwice) g.markOutput(m3);
    g.markOutput(passtest::transpose(g, "y", m3, {1, 0, 2}));
    EXPECT_TRUE(g.inferShapes().isOk()) << ir::dumpGraph(g);
    return g;
}

TEST(AbsorbRowTransposes, OutputSideWritesTheRowsInTheFinalOrder) {
    for (bool split : {false, true}) {
        SCOPED_TRACE(split ? "rows [S, B, E]" : "rows [S*B, E]");
        Graph g = outputSide({.splitRows = split});
        const Graph before = g;
        ASSERT_TRUE(passtest::runOnly("absorb-row-transposes", g));
        const ir::Node& att = only(g, ir::OpKind::kAttention);
        EXPECT_EQ(std::get<ir::AttentionAttrs>(att.attrs).outLayout, ir::AttentionLayout::kBSHD);
        EXPECT_EQ(g.tensor(att.outputs[0]).shape, dims({2, 5, 3, 4}));
        EXPECT_EQ(g.tensor(g.outputs()[0]).name, "y_out");
        const ir::Node& last = g.node(g.tensor(g.outputs()[0]).producer);
        ASSERT_EQ(last.kind(), ir::OpKind::kShuffle);
        EXPECT_EQ(g.tensor(last.inputs[0]).name, "proj_out") << "the transpose became a reshape of the GEMM";
        EXPECT_EQ(g.tensor(only(g, ir::OpKind::kMatrixMultiply).inputs[0]).shape,
                  split ? dims({2, 5, 12}) : dims({10, 12}));
        EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 2) << ir::dumpGraph(g);
        EXPECT_EQ(passtest::countTransposes(g), 0) << ir::dumpGraph(g);
        passtest::expectSameNumbers(before, g, 1e-7, 1e-6);
    }
}

TEST(AbsorbRowTransposes, OutputSideRefusesWhenAConditionFails) {
    const std::pair<const char*, OutputSide> cases[] = {
        {"attention output read twice", {.outputReadTwice = true}},
        {"residual addend", {.addend = true}},
        {"reshaped rows read twice", {.reshapedReadTwice = true}},
    };
    for (const auto& [what, o] : cases) {
        SCOPED_TRACE(what);
        Graph g = outputSide(o);
        passtest::expectUnchanged("absorb-row-transposes", g, gpuTarget());
    }
}

// ---- through the GPU pipeline -----------------------------------------------------------------------------

/// Runs the GPU pipeline on g; the reference backend's outputs before and after must agree.
void pipelineAndCompare(Graph& g) {
    ASSERT_TRUE(g.inferShapes().isOk());
    const Graph before = g;
    const Status st = runPipeline(g, gpuTarget());
    ASSERT_TRUE(st.isOk()) << st.message();
    ASSERT_TRUE(g.validate().isOk());
    passtest::expectSameNumbers(before, g, 1e-6, 2e-5);
}

TEST(AbsorbRowTransposes, VitBlockHasNoCopyLeftAroundItsAttention) {
    Graph g;
    passtest::buildVitBlock(g, passtest::BlockShape{});
    pipelineAndCompare(g);
    const ir::Node& att = only(g, ir::OpKind::kAttention);
    const ir::AttentionAttrs& a = std::get<ir::AttentionAttrs>(att.attrs);
    // q, k, v: views straight into in_proj's output, which reads x itself: [B, S, 3E] = [2, 5, 36].
    ASSERT_EQ(att.inputs.size(), 3u);
    EXPECT_TRUE(att.inputs[0] == att.inputs[1] && att.inputs[1] == att.inputs[2]);
    const ir::Node& inProj = g.node(g.tensor(att.inputs[0]).producer);
    ASSERT_EQ(inProj.kind(), ir::OpKind::kMatrixMultiply);
    EXPECT_EQ(g.tensor(inProj.inputs[0]).name, "x");
    EXPECT_EQ(a.qView, viewValues(0, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(a.kView, viewValues(12, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(a.vView, viewValues(24, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(a.outLayout, ir::AttentionLayout::kBSHD);
    // out_proj: Attention -> reshape -> GEMM -> reshape [B, S, E]; with the rows in the residual's order,
    // the pipeline's second fuse-matmul-epilogue folds the residual add into the GEMM (its addend enters
    // through a third reshape). Every Shuffle left is a view.
    EXPECT_EQ(countKind(g, ir::OpKind::kGather), 0);
    EXPECT_EQ(passtest::countTransposes(g), 0) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 3) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 0) << ir::dumpGraph(g);
    const ir::Node& rows = g.node(readers(g, att.outputs[0]).front());
    const ir::Node& outProj = g.node(readers(g, rows.outputs[0]).front());
    ASSERT_EQ(outProj.kind(), ir::OpKind::kMatrixMultiply);
    EXPECT_EQ(outProj.inputs.size(), 4u) << "the residual is the out-projection's addend";
    const ir::Node& back = g.node(readers(g, outProj.outputs[0]).front());
    ASSERT_EQ(back.kind(), ir::OpKind::kShuffle);
    EXPECT_EQ(g.tensor(back.outputs[0]).shape, dims({2, 5, 12}));
}

TEST(AbsorbRowTransposes, Gpt2BlockReadsItsPackedProjectionWithoutSlices) {
    Graph g;
    passtest::buildGpt2Block(g, passtest::BlockShape{});
    pipelineAndCompare(g);
    const ir::Node& att = only(g, ir::OpKind::kAttention);
    const ir::AttentionAttrs& a = std::get<ir::AttentionAttrs>(att.attrs);
    ASSERT_EQ(att.inputs.size(), 4u);
    EXPECT_EQ(g.node(g.tensor(att.inputs[0]).producer).kind(), ir::OpKind::kMatrixMultiply);
    EXPECT_EQ(g.tensor(att.inputs[0]).shape, dims({10, 36}));
    EXPECT_EQ(a.qView, viewValues(0, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(a.vView, viewValues(24, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(a.outLayout, ir::AttentionLayout::kBSHD);
    EXPECT_EQ(countKind(g, ir::OpKind::kSlice), 0);
    EXPECT_EQ(passtest::countTransposes(g), 0) << ir::dumpGraph(g);
}

TEST(AbsorbRowTransposes, VitBlockKeepsTheTransposesItMayNotRemove) {
    {
        // The input transpose is also a graph output: it stays, the views stay over [S, B, 3E]; the output
        // side still goes.
        Graph g;
        passtest::buildVitBlock(g, passtest::BlockShape{}, {.transposeReadTwice = true});
        pipelineAndCompare(g);
        const ir::AttentionAttrs& a = attentionAttrs(g);
        EXPECT_EQ(a.qView, viewValues(0, {2, 3, 5, 4}, {36, 4, 72, 1}));
        EXPECT_EQ(a.outLayout, ir::AttentionLayout::kBSHD);
        EXPECT_EQ(passtest::countTransposes(g), 1) << ir::dumpGraph(g);
    }
    {
        // Residuals folded into both projections as addends: both transposes stay.
        Graph g;
        passtest::buildVitBlock(g, passtest::BlockShape{}, {.inProjResidual = true, .outProjResidual = true});
        pipelineAndCompare(g);
        const ir::AttentionAttrs& a = attentionAttrs(g);
        EXPECT_EQ(a.qLayout, ir::AttentionLayout::kSTRIDED);
        EXPECT_EQ(a.qView, viewValues(0, {2, 3, 5, 4}, {36, 4, 72, 1}));
        EXPECT_EQ(a.outLayout, ir::AttentionLayout::kSBHD);
        EXPECT_EQ(passtest::countTransposes(g), 2) << ir::dumpGraph(g);
    }
    {
        // Unknown batch (every reshape infers it): nothing is fused, nothing moves.
        Graph g;
        passtest::buildVitBlock(g, passtest::BlockShape{}, {.dynamicBatch = true});
        ASSERT_TRUE(g.inferShapes().isOk());
        const int transposes = passtest::countTransposes(g);
        ASSERT_TRUE(runPipeline(g, gpuTarget()).isOk());
        EXPECT_EQ(countKind(g, ir::OpKind::kAttention), 0);
        EXPECT_EQ(passtest::countTransposes(g), transposes);
    }
}

}  // namespace
}  // namespace kiln::passes
