// The graph-pass interface: every pass of passes.def is a function over an inferred ir::Graph that returns
// whether it changed the graph. Passes see what they may depend on through PassContext (the target, the
// precision the builder may lower to); they never touch backends. After a pass reports a change, the
// pipeline removes dead nodes and re-runs inference, so a pass may leave orphans behind.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "ir/graph.h"

namespace kiln::passes {

struct PassContext {
    bool cudaTarget{false};                  ///< building for cuda:N (false: the CPU target)
    DataType reducedPrecision{DataType::kFLOAT};  ///< kHALF / kBF16 when the builder may lower float32
    std::vector<std::string> disabled;       ///< kebab-case names of passes not to run (tests, debugging)
};

#define KILN_PASS(Function, name, summary) StatusOr<bool> Function(ir::Graph& graph, const PassContext& ctx);
#include "passes/passes.def"
#undef KILN_PASS

/// Names and summaries of every pass, in passes.def order (for `kiln build --help`-style listings and tests).
struct PassInfo {
    const char* name;
    const char* summary;
};
std::vector<PassInfo> allPasses();

/// Runs the pipeline (pipeline.cc) over an inferred graph; the graph stays topologically sorted and inferred.
/// An error names the pass that failed.
Status runPipeline(ir::Graph& graph, const PassContext& ctx);

/// Runs one pass by its kebab-case name, then dead-node removal and inference when it changed the graph
/// (what the pass tests do). Unknown names are an invalid-argument error listing the known ones.
StatusOr<bool> runPass(const std::string& name, ir::Graph& graph, const PassContext& ctx);

}  // namespace kiln::passes
