// The build pipeline: from a user's network graph to a Plan for one target. Stages, in order:
// validate -> topological sort -> inference -> dead-node removal -> graph passes (fusion; passes/pipeline.cc)
// -> precision lowering -> tactic choice -> header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ir/graph.h"
#include "plan/plan.h"

namespace kiln::builder {

/// A parsed target device.
struct Target {
    bool isCuda{false};
    int32_t deviceIndex{0};
    std::string toString() const { return isCuda ? "cuda:" + std::to_string(deviceIndex) : "cpu"; }
};

/// Parses "cpu" or "cuda:N" (also "cuda" for cuda:0); the error lists the accepted spellings.
StatusOr<Target> parseTarget(const std::string& text);

struct BuildOptions {
    Target target;
    uint64_t workspaceLimit{0};  ///< 0: no limit
    int32_t optimizationLevel{3};
    DataType reducedPrecision{DataType::kFLOAT};  ///< kHALF / kBF16: lower float32 compute (precision.h)
    bool allowTf32{false};  ///< GPU float32 convolutions and matmuls may use TF32 tensor cores (BuilderFlag::kTF32)
    std::vector<std::string> disabledPasses;  ///< kebab-case pass names (passes.def) the pipeline skips
};

/// Builds the plan; every error names the node it concerns.
StatusOr<plan::Plan> buildPlan(const ir::Graph& network, const BuildOptions& options);

/// "x86_64, 2 threads" style description of this CPU for plan headers.
std::string describeHostCpu();

}  // namespace kiln::builder
