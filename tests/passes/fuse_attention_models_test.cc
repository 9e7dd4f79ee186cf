// fuse-attention and absorb-row-transposes on the real exports (bench/gpu_models.py's bert-base, gpt2 and
// vit_b_16 ONNX files at batch 2): after the GPU pipeline's pattern passes, every layer's attention (12 per
// model) is one Attention node reading its operands the way those exports allow (BERT: BSHD from its three
// projections, with the mask and the NaN guard; GPT-2: STRIDED views into the packed c_attn output, with
// the mask and guard; ViT: STRIDED views into the packed in_proj output, which reads the LayerNorm's rows
// directly, no mask) and writing BSHD, no SoftMax, Gather, Slice or data-moving transpose is left around
// them, and the reference backend's output before and after agrees to a relative L2 of 1e-5 (BERT with a
// padded attention mask). The files come from KILN_ATTENTION_MODELS (export_models.h); the test is
// reported as skipped without it.
#include <gtest/gtest.h>

#include <string>

#include "passes/attention_blocks.h"
#include "passes/export_models.h"
#include "passes/pass_test_util.h"

namespace kiln::passes {
namespace {

struct Model {
    const char* file;
    ir::AttentionLayout layout;  ///< of q, k and v; the output is BSHD in all three
    bool masked;
};

TEST(FuseAttentionModels, EveryLayerOfTheExportsIsFusedAndTheOutputsAgree) {
    const char* dir = passtest::exportFolder();
    if (!dir) GTEST_SKIP() << passtest::kExportFolderHint;
    const Model models[] = {{"bert-base.onnx", ir::AttentionLayout::kBSHD, true},
                            {"gpt2.onnx", ir::AttentionLayout::kSTRIDED, true},
                            {"vit_b_16.onnx", ir::AttentionLayout::kSTRIDED, false}};
    for (const Model& m : models) {
        const std::string path = std::string(dir) + "/" + m.file;
        SCOPED_TRACE(path);
        ir::Graph before;
        ASSERT_TRUE(passtest::loadExport(path, &before));
        ir::Graph after = before;
        const PassContext gpu = passtest::gpuContext();
        for (const char* pass : {"fuse-gelu", "fuse-matmul-epilogue", "fuse-conv-epilogue", "fuse-attention",
                                 "absorb-row-transposes"})
            ASSERT_TRUE(runPass(pass, after, gpu).isOk()) << pass;
        EXPECT_EQ(passtest::countKind(after, ir::OpKind::kSoftMax), 0);
        int fused = 0;
        for (const ir::Node& n : after.nodes()) {
            const auto* a = std::get_if<ir::AttentionAttrs>(&n.attrs);
            if (!a) continue;
            ++fused;
            EXPECT_EQ(a->qLayout, m.layout) << n.name;
            EXPECT_EQ(a->kLayout, m.layout) << n.name;
            EXPECT_EQ(a->vLayout, m.layout) << n.name;
            EXPECT_EQ(a->outLayout, ir::AttentionLayout::kBSHD) << n.name;
            if (m.layout == ir::AttentionLayout::kSTRIDED) {
                // q, k, v: the thirds of one packed projection, read where the GEMM writes them.
                EXPECT_TRUE(n.inputs[0] == n.inputs[1] && n.inputs[1] == n.inputs[2]) << n.name;
                EXPECT_EQ(after.node(after.tensor(n.inputs[0]).producer).kind(), ir::OpKind::kMatrixMultiply)
                    << n.name;
                EXPECT_EQ(a->kView[0] - a->qView[0], 768) << n.name;
                EXPECT_EQ(a->vView[0] - a->kView[0], 768) << n.name;
                // The projection reads its rows without a transpose before it.
                const ir::Node& proj = after.node(after.tensor(n.inputs[0]).producer);
                const ir::NodeId rowsProducer = after.tensor(proj.inputs[0]).producer;
                if (rowsProducer >= 0 && after.node(rowsProducer).kind() == ir::OpKind::kShuffle) {
                    EXPECT_FALSE(passtest::movesData(after, after.node(rowsProducer))) << n.name;
                }
            }
            EXPECT_EQ(a->zeroFullyMaskedRows, m.masked) << n.name;
            EXPECT_EQ(n.inputs.size(), m.masked ? 4u : 3u) << n.name;
            EXPECT_NEAR(a->scale, 0.125, 1e-6) << n.name;  // 1 / sqrt(64)
        }
        EXPECT_EQ(fused, 12);
        // No copy is left in the attention blocks (named .../attention/... or .../attn/... by the exports):
        // no Gather, Slice or data-moving Shuffle (BERT's embeddings keep a Slice, ViT's patch embedding its
        // transposes).
        int copies = 0;
        for (const ir::Node& n : after.nodes()) {
            const bool inBlock =
                n.name.find("attention") != std::string::npos || n.name.find("attn") != std::string::npos;
            const bool copy = n.kind() == ir::OpKind::kGather || n.kind() == ir::OpKind::kSlice ||
                              (n.kind() == ir::OpKind::kShuffle && passtest::movesData(after, n));
            if (inBlock && copy) {
                ++copies;
                ADD_FAILURE() << "left in an attention block: " << n.name;
            }
        }
        EXPECT_EQ(copies, 0);

        EXPECT_LT(passtest::relativeL2OfOutput0(before, after), 1e-5);
    }
}

}  // namespace
}  // namespace kiln::passes
