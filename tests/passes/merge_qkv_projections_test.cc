// merge-qkv-projections: BERT's attention block (separate query, key and value projections of one input,
// each + bias, reshaped to heads and transposed, a padding mask) through the GPU pipeline becomes one GEMM
// with the weights side by side and an Attention node reading q, k, v out of it as STRIDED views (offsets
// 0, E, 2E; rows 3E apart), computing the same numbers on the reference backend; the transposed-weight
// form (Gemm transB) merges too. Projections of different inputs, with another reader, with different
// epilogues, or with a bias on only some of them are left alone; so are CPU plans. The real bert-base export
// (KILN_ATTENTION_MODELS) merges in all 12 layers with its output unchanged.
#include <gtest/gtest.h>

#include "ir/attention_layout.h"
#include "passes/attention_blocks.h"
#include "passes/export_models.h"
#include "passes/pass_test_util.h"

namespace kiln::passtest {
namespace {

TEST(MergeQkvProjections, BertBlockReadsOnePackedProjection) {
    for (bool transposed : {false, true}) {
        SCOPED_TRACE(transposed ? "weights read transposed" : "weights as stored");
        ir::Graph g;
        const BlockShape c;
        BertOptions o;
        o.transposedWeights = transposed;
        buildBertBlock(g, c, o);
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        const Status st = passes::runPipeline(g, gpuContext());
        ASSERT_TRUE(st.isOk()) << st.message();
        EXPECT_EQ(countKind(g, ir::OpKind::kMatrixMultiply), 1) << ir::dumpGraph(g);
        const ir::Node& att = onlyNode(g, ir::OpKind::kAttention);
        const auto& a = std::get<ir::AttentionAttrs>(att.attrs);
        EXPECT_EQ(a.qLayout, ir::AttentionLayout::kSTRIDED);
        EXPECT_EQ(a.kLayout, ir::AttentionLayout::kSTRIDED);
        EXPECT_EQ(a.vLayout, ir::AttentionLayout::kSTRIDED);
        EXPECT_TRUE(att.inputs[0] == att.inputs[1] && att.inputs[1] == att.inputs[2]);
        const int64_t e = c.e(), rows = 3 * e;
        // offset, extents B H S D, strides B H S D (elements of the packed [B, S, 3E] output).
        EXPECT_EQ(a.qView, (std::vector<int64_t>{0, c.b, c.h, c.s, c.d, c.s * rows, c.d, rows, 1}));
        EXPECT_EQ(a.kView, (std::vector<int64_t>{e, c.b, c.h, c.s, c.d, c.s * rows, c.d, rows, 1}));
        EXPECT_EQ(a.vView, (std::vector<int64_t>{2 * e, c.b, c.h, c.s, c.d, c.s * rows, c.d, rows, 1}));
        const ir::Node& packed = g.node(g.tensor(att.inputs[0]).producer);
        ASSERT_EQ(packed.kind(), ir::OpKind::kMatrixMultiply);
        EXPECT_EQ(g.tensor(packed.inputs[0]).name, "x");
        EXPECT_TRUE(g.tensor(packed.outputs[0]).shape == dims({c.b, c.s, rows}));
        EXPECT_EQ(packed.inputs.size(), 3u) << "the three biases side by side";
        expectSameNumbers(before, g, 1e-6, 2e-5);
    }
}

TEST(MergeQkvProjections, MismatchedProjectionsAreLeftAlone) {
    struct Variant {
        const char* what;
        BertOptions o;
    };
    std::vector<Variant> variants(4);
    variants[0].what = "k projects another input";
    variants[0].o.keyFromOtherInput = true;
    variants[1].what = "the query projection is read elsewhere";
    variants[1].o.queryReadTwice = true;
    variants[2].what = "v without bias";
    variants[2].o.valueWithoutBias = true;
    variants[3].what = "k with a ReLU";
    variants[3].o.keyWithRelu = true;
    for (const Variant& v : variants) {
        SCOPED_TRACE(v.what);
        ir::Graph g;
        buildBertBlock(g, BlockShape{}, v.o);
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        for (const char* pass : {"fuse-matmul-epilogue", "fuse-attention"})
            ASSERT_TRUE(passes::runPass(pass, g, gpuContext()).isOk()) << pass;
        ASSERT_EQ(countKind(g, ir::OpKind::kAttention), 1) << ir::dumpGraph(g);
        expectUnchanged("merge-qkv-projections", g, gpuContext());
        expectSameNumbers(before, g, 1e-6, 2e-5);
    }
    {
        SCOPED_TRACE("cpu plan");
        ir::Graph g;
        buildBertBlock(g, BlockShape{});
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged("merge-qkv-projections", g, passes::PassContext{});
    }
}

TEST(MergeQkvProjections, BertExportMergesEveryLayer) {
    const char* dir = exportFolder();
    if (!dir) GTEST_SKIP() << kExportFolderHint;
    ir::Graph before;
    ASSERT_TRUE(loadExport(std::string(dir) + "/bert-base.onnx", &before));
    ir::Graph after = before;
    const Status s = passes::runPipeline(after, gpuContext());
    ASSERT_TRUE(s.isOk()) << s.message();
    int strided = 0;
    for (const ir::Node& n : after.nodes())
        if (const auto* a = std::get_if<ir::AttentionAttrs>(&n.attrs))
            strided += a->qLayout == ir::AttentionLayout::kSTRIDED && n.inputs[0] == n.inputs[2];
    EXPECT_EQ(strided, 12);
    // 12 layers x (packed qkv, attention output, intermediate, output); the export ends at the last
    // hidden state (no pooler). 72 before the merge.
    EXPECT_EQ(countKind(after, ir::OpKind::kMatrixMultiply), 48);
    EXPECT_LT(relativeL2OfOutput0(before, after), 1e-5);
}

}  // namespace
}  // namespace kiln::passtest
