// fuse-matmul-epilogue on the real exports (export_models.h): after the whole GPU pipeline, which runs the
// pass twice, a third run changes nothing on bert-base, gpt2 and vit_b_16, and the residual adds are in
// the products' epilogues. GPT-2 exports each Conv1D as Gemm [B*S, N] -> Reshape [B, S, N], so its 24
// residual adds and 12 GELUs fold only through the reshape; its reference output before and after the
// pipeline agrees to a relative L2 of 1e-5. Skipped without KILN_ATTENTION_MODELS.
#include <gtest/gtest.h>

#include <string>

#include "passes/export_models.h"

namespace kiln::passes {
namespace {

struct Model {
    const char* file;
    int addends;          ///< MatrixMultiply nodes with a residual addend (input 3)
    bool exact;           ///< whether `addends` is exact or a lower bound
    bool compareNumbers;  ///< whether to run the reference backend before and after (slow)
};

int countAddends(const ir::Graph& g) {
    int n = 0;
    for (const ir::Node& node : g.nodes())
        n += node.kind() == ir::OpKind::kMatrixMultiply && node.inputs.size() > 3 &&
             node.inputs[3] != ir::kNoTensor;
    return n;
}

TEST(FuseMatmulEpilogueModels, ResidualsFoldAndAThirdRunChangesNothing) {
    const char* dir = passtest::exportFolder();
    if (!dir) GTEST_SKIP() << passtest::kExportFolderHint;
    // Two residual adds per layer, 12 layers. ViT's attention residual folds in the second run, once
    // absorb-row-transposes has written the out-projection in the residual's row order.
    const Model models[] = {{"bert-base.onnx", 24, true, false},
                            {"gpt2.onnx", 24, true, true},
                            {"vit_b_16.onnx", 24, true, false}};
    for (const Model& m : models) {
        const std::string path = std::string(dir) + "/" + m.file;
        SCOPED_TRACE(path);
        ir::Graph before;
        ASSERT_TRUE(passtest::loadExport(path, &before));
        ir::Graph after = before;
        const PassContext gpu = passtest::gpuContext();
        const Status s = runPipeline(after, gpu);
        ASSERT_TRUE(s.isOk()) << s.message();
        if (m.exact)
            EXPECT_EQ(countAddends(after), m.addends);
        else
            EXPECT_GE(countAddends(after), m.addends);
        passtest::expectUnchanged("fuse-matmul-epilogue", after, gpu);
        if (!m.compareNumbers) continue;
        // GPT-2: every GELU is in a c_fc epilogue; the one add left is the token + position embedding
        // (a broadcast [1, S, E] table).
        EXPECT_EQ(passtest::countKind(after, ir::OpKind::kActivation), 0);
        EXPECT_EQ(passtest::countKind(after, ir::OpKind::kElementWise), 1);
        EXPECT_LT(passtest::relativeL2OfOutput0(before, after), 1e-5);
    }
}

}  // namespace
}  // namespace kiln::passes
