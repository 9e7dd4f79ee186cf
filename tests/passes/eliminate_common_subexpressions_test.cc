// eliminate-common-subexpressions: per-layer copies of one computation (equal small constants, then the
// same op with the same attributes on the same inputs, chains of them too) are computed once and the graph
// computes the same numbers on the reference backend; different attributes, random fills, graph outputs
// and large constants are left alone. The bert-base export's twelve attention masks become one.
#include <gtest/gtest.h>

#include "passes/export_models.h"
#include "passes/pass_test_util.h"

namespace kiln::passtest {
namespace {

constexpr DataType kF32 = DataType::kFLOAT;
constexpr const char* kPass = "eliminate-common-subexpressions";

/// Layer i's copy of a mask computation, as BERT's export writes it: where(keep, 0, -10000) with its own
/// two scalar constants, then added to that layer's scores.
ir::TensorId maskedScores(ir::Graph& g, int i, ir::TensorId keep, ir::TensorId scores) {
    const std::string l = std::to_string(i);
    ir::SelectAttrs s;
    const ir::TensorId mask =
        op(g, "where" + l, s, {keep, scalar(g, "zero" + l, kF32, 0.0), scalar(g, "big" + l, kF32, -10000.0)});
    return binary(g, "add" + l, ElementWiseOperation::kSUM, scores, mask);
}

TEST(EliminateCommonSubexpressions, PerLayerMasksAreComputedOnce) {
    ir::Graph g;
    const ir::TensorId keep = g.addInput("keep", DataType::kBOOL, dims({2, 1, 5}));
    const ir::TensorId s0 = g.addInput("s0", kF32, dims({2, 3, 5}));
    const ir::TensorId s1 = g.addInput("s1", kF32, dims({2, 3, 5}));
    const ir::TensorId s2 = g.addInput("s2", kF32, dims({2, 3, 5}));
    g.markOutput(maskedScores(g, 0, keep, s0));
    g.markOutput(maskedScores(g, 1, keep, s1));
    g.markOutput(maskedScores(g, 2, keep, s2));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly(kPass, g));
    EXPECT_EQ(countKind(g, ir::OpKind::kSelect), 1) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kConstant), 2) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 3) << "the adds read different scores";
    expectSameNumbers(before, g, 0.0, 0.0);
    expectUnchanged(kPass, g);  // nothing left to merge
}

TEST(EliminateCommonSubexpressions, ChainsMergeNodeByNode) {
    ir::Graph g;
    const ir::TensorId x = g.addInput("x", kF32, dims({4, 6}));
    auto chain = [&](const std::string& p) {
        const ir::TensorId a = activation(g, p + "sig", ActivationType::kSIGMOID, x);
        return binary(g, p + "mul", ElementWiseOperation::kPROD, a, x);
    };
    g.markOutput(binary(g, "sum", ElementWiseOperation::kSUM, chain("a_"), chain("b_")));
    ASSERT_TRUE(g.inferShapes().isOk());
    const ir::Graph before = g;
    EXPECT_TRUE(runOnly(kPass, g));
    EXPECT_EQ(countKind(g, ir::OpKind::kActivation), 1);
    EXPECT_EQ(countKind(g, ir::OpKind::kElementWise), 2);  // one mul, the sum
    expectSameNumbers(before, g, 0.0, 0.0);
}

TEST(EliminateCommonSubexpressions, DifferentAttributesOutputsRandomFillsAndLargeConstantsStay) {
    {
        SCOPED_TRACE("different attributes");
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({4, 6}));
        g.markOutput(binary(g, "sum", ElementWiseOperation::kSUM,
                            activation(g, "a", ActivationType::kLEAKY_RELU, x, 0.1f),
                            activation(g, "b", ActivationType::kLEAKY_RELU, x, 0.2f)));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged(kPass, g);
    }
    {
        SCOPED_TRACE("a duplicate that is a graph output keeps its node");
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({4, 6}));
        g.markOutput(activation(g, "a", ActivationType::kTANH, x));
        g.markOutput(activation(g, "b", ActivationType::kTANH, x));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged(kPass, g);
    }
    {
        SCOPED_TRACE("random fills are two draws");
        ir::Graph g;
        ir::FillAttrs f;
        f.op = FillOperation::kRANDOM_UNIFORM;
        f.dimensions = dims({3});
        const ir::TensorId a = op(g, "r1", f, {});
        const ir::TensorId b = op(g, "r2", f, {});
        g.markOutput(binary(g, "sum", ElementWiseOperation::kSUM, a, b));
        expectUnchanged(kPass, g);
    }
    {
        SCOPED_TRACE("constants over 64 KiB are not compared");
        ir::Graph g;
        const ir::TensorId x = g.addInput("x", kF32, dims({20000}));
        const std::vector<double> v(20000, 0.5);
        g.markOutput(binary(
            g, "sum", ElementWiseOperation::kSUM,
            binary(g, "a", ElementWiseOperation::kPROD, x, constant(g, "c1", kF32, dims({20000}), v)),
            binary(g, "b", ElementWiseOperation::kPROD, x, constant(g, "c2", kF32, dims({20000}), v))));
        ASSERT_TRUE(g.inferShapes().isOk());
        expectUnchanged(kPass, g);
    }
}

TEST(EliminateCommonSubexpressions, BertExportBuildsItsAttentionMaskOnce) {
    const char* dir = exportFolder();
    if (!dir) GTEST_SKIP() << kExportFolderHint;
    ir::Graph before;
    ASSERT_TRUE(loadExport(std::string(dir) + "/bert-base.onnx", &before));
    ASSERT_GE(countKind(before, ir::OpKind::kSelect), 12);
    ir::Graph after = before;
    ASSERT_TRUE(runOnly(kPass, after));
    EXPECT_EQ(countKind(after, ir::OpKind::kSelect), countKind(before, ir::OpKind::kSelect) - 11);
    EXPECT_LT(relativeL2OfOutput0(before, after), 1e-12);
}

}  // namespace
}  // namespace kiln::passtest
