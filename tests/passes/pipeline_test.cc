// The pass registry and driver: names are unique kebab-case with a summary, an unknown name is an error
// that lists the known ones, and the pipeline leaves a graph with nothing to fuse unchanged and inferred.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include "ir/attrs.h"
#include "passes/pass.h"

namespace kiln::passes {
namespace {

TEST(PassRegistry, NamesAreUniqueKebabCaseWithSummaries) {
    std::set<std::string> seen;
    for (const PassInfo& p : allPasses()) {
        const std::string name = p.name;
        EXPECT_TRUE(seen.insert(name).second) << "duplicate pass name " << name;
        ASSERT_FALSE(name.empty());
        for (char c : name) EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '-') << name;
        EXPECT_GT(std::string(p.summary).size(), 10u) << name;
    }
}

TEST(PassRegistry, UnknownPassNameIsAnErrorListingTheKnownOnes) {
    ir::Graph g;
    auto r = runPass("no-such-pass", g, PassContext{});
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("unknown pass 'no-such-pass'"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("known passes"), std::string::npos) << r.status().message();
}

TEST(PassPipeline, GraphWithNothingToFuseIsUnchanged) {
    ir::Graph g;
    Dims d;
    d.nbDims = 2;
    d.d[0] = 3;
    d.d[1] = 5;
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, d);
    ir::UnaryAttrs u;
    u.op = UnaryOperation::kABS;
    const ir::NodeId n = g.addNode("abs", u, {x}, 1);
    g.markOutput(g.node(n).outputs[0]);
    ASSERT_TRUE(g.inferShapes().isOk());
    const std::string before = ir::dumpGraph(g);
    ASSERT_TRUE(runPipeline(g, PassContext{}).isOk());
    EXPECT_EQ(ir::dumpGraph(g), before);
}

}  // namespace
}  // namespace kiln::passes
