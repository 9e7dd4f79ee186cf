// fuse-attention on the real exports (bench/gpu_models.py's bert-base, gpt2 and vit_b_16 ONNX files at
// batch 2): after the GPU pipeline's pattern passes, every layer's attention (12 per model) is one
// Attention node with the layouts those exports call for (BERT / GPT-2: BSHD everywhere with the mask and
// the NaN guard; ViT: SBHD without a mask), no SoftMax is left, and the reference backend's output before
// and after agrees to a relative L2 of 1e-5 (BERT with a padded attention mask). The files come from
// KILN_ATTENTION_MODELS (export_models.h); the test is reported as skipped without it.
#include <gtest/gtest.h>

#include <string>

#include "passes/export_models.h"

namespace kiln::passes {
namespace {

struct Model {
    const char* file;
    ir::AttentionLayout layout;
    bool masked;
};

TEST(FuseAttentionModels, EveryLayerOfTheExportsIsFusedAndTheOutputsAgree) {
    const char* dir = passtest::exportFolder();
    if (!dir) GTEST_SKIP() << passtest::kExportFolderHint;
    const Model models[] = {{"bert-base.onnx", ir::AttentionLayout::kBSHD, true},
                            {"gpt2.onnx", ir::AttentionLayout::kBSHD, true},
                            {"vit_b_16.onnx", ir::AttentionLayout::kSBHD, false}};
    for (const Model& m : models) {
        const std::string path = std::string(dir) + "/" + m.file;
        SCOPED_TRACE(path);
        ir::Graph before;
        ASSERT_TRUE(passtest::loadExport(path, &before));
        ir::Graph after = before;
        PassContext gpu;
        gpu.cudaTarget = true;
        gpu.reducedPrecision = DataType::kHALF;
        for (const char* pass : {"fuse-gelu", "fuse-matmul-epilogue", "fuse-conv-epilogue", "fuse-attention"})
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
            EXPECT_EQ(a->outLayout, m.layout) << n.name;
            EXPECT_EQ(a->zeroFullyMaskedRows, m.masked) << n.name;
            EXPECT_EQ(n.inputs.size(), m.masked ? 4u : 3u) << n.name;
            EXPECT_NEAR(a->scale, 0.125, 1e-6) << n.name;  // 1 / sqrt(64)
        }
        EXPECT_EQ(fused, 12);

        EXPECT_LT(passtest::relativeL2OfOutput0(before, after), 1e-5);
    }
}

}  // namespace
}  // namespace kiln::passes
