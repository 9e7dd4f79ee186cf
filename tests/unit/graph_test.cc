// ir::Graph: validation errors name what is wrong; topological sort is stable and finds cycles; dead
// nodes go; the textual dump shows types, shapes and attributes.
#include <gtest/gtest.h>

#include "ir/graph.h"

namespace kiln::ir {
namespace {

ActivationAttrs relu() { return ActivationAttrs{}; }

TEST(Graph, ValidateReportsDanglingInput) {
    Graph g;
    TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({2}));
    NodeId n = g.addNode("r", relu(), {x}, 1);
    g.markOutput(g.node(n).outputs[0]);
    EXPECT_TRUE(g.validate().isOk());
    g.node(n).inputs[0] = 42;
    Status st = g.validate();
    EXPECT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("tensor 42"), std::string::npos) << st.message();
}

TEST(Graph, ValidateReportsArityAndDuplicateNames) {
    Graph g;
    TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({2}));
    NodeId n = g.addNode("add", ElementWiseAttrs{}, {x}, 1);
    Status st = g.validate();
    EXPECT_NE(st.message().find("expected 2..2 inputs, found 1"), std::string::npos) << st.message();
    g.node(n).inputs.push_back(x);
    g.tensor(g.node(n).outputs[0]).name = "x";
    st = g.validate();
    EXPECT_NE(st.message().find("'x' is used twice"), std::string::npos) << st.message();
}

TEST(Graph, TopoSortOrdersAndDetectsCycles) {
    Graph g;
    TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({3}));
    // Nodes created out of order: b reads a's output but is created first.
    TensorId aOut = g.addTensor("a_out_placeholder", DataType::kFLOAT, makeDims({3}));
    NodeId b = g.addNode("b", relu(), {aOut}, 1);
    NodeId a = g.addNode("a", relu(), {x}, 1);
    // Point b at a's real output.
    g.node(b).inputs[0] = g.node(a).outputs[0];
    g.markOutput(g.node(b).outputs[0]);
    ASSERT_TRUE(g.topoSort().isOk());
    EXPECT_EQ(g.node(0).name, "a");
    EXPECT_EQ(g.node(1).name, "b");
    EXPECT_EQ(g.tensor(g.node(1).outputs[0]).producer, 1);
    // Make a read b's output: a cycle.
    g.node(0).inputs[0] = g.node(1).outputs[0];
    Status st = g.topoSort();
    EXPECT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("cycle"), std::string::npos) << st.message();
}

TEST(Graph, RemoveDeadNodesKeepsOnlyWhatOutputsNeed) {
    Graph g;
    TensorId x = g.addInput("x", DataType::kFLOAT, makeDims({3}));
    NodeId used = g.addNode("used", relu(), {x}, 1);
    g.addNode("dead", relu(), {x}, 1);
    g.markOutput(g.node(used).outputs[0]);
    g.removeDeadNodes();
    ASSERT_EQ(g.nodes().size(), 1u);
    EXPECT_EQ(g.node(0).name, "used");
    EXPECT_TRUE(g.validate().isOk());
    EXPECT_EQ(g.tensor(g.outputs()[0]).producer, 0);
}

TEST(Graph, DumpShowsTypesShapesAndAttributes) {
    Graph g;
    TensorId x = g.addInput("x", DataType::kHALF, makeDims({1, -1}));
    ActivationAttrs a;
    a.type = ActivationType::kLEAKY_RELU;
    a.alpha = 0.25f;
    NodeId n = g.addNode("lrelu", a, {x}, 1);
    g.tensor(g.node(n).outputs[0]).type = DataType::kHALF;
    g.tensor(g.node(n).outputs[0]).shape = makeDims({1, -1});
    g.markOutput(g.node(n).outputs[0]);
    std::string d = dumpGraph(g);
    EXPECT_NE(d.find("input %x: float16[1,-1]"), std::string::npos) << d;
    EXPECT_NE(d.find("%lrelu_out: float16[1,-1] = Activation(%x) {type=3, alpha=0.25, beta=0}"), std::string::npos) << d;
    EXPECT_NE(d.find("output %lrelu_out"), std::string::npos) << d;
}

TEST(OpTable, NamesRoundTrip) {
    for (int32_t i = 0; i < kNbOpKinds; ++i) {
        OpKind k;
        ASSERT_TRUE(opKindFromName(opName(static_cast<OpKind>(i)), &k));
        EXPECT_EQ(static_cast<int32_t>(k), i);
    }
    OpKind k;
    EXPECT_FALSE(opKindFromName("NoSuchOp", &k));
}

}  // namespace
}  // namespace kiln::ir
