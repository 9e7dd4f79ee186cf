// The build pipeline: from a user's network graph to a Plan for one target. Stages, in order:
// validate -> topological sort -> inference -> dead-node removal -> graph passes (fusion; passes/pipeline.cc)
// -> precision lowering -> tactic choice (GPU: the probe's autotuner with the timing cache) -> header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "builder/timing_cache.h"
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
    /// The user's timing cache (IBuilderConfig::setTimingCache): GPU builds take tactics from it and record
    /// what they time there. Null: a cache of this build only, so identical layers are timed once.
    TimingCache* timingCache{nullptr};
    /// Use `timingCache` although it was measured on another setup (identityMismatch); else such a cache
    /// fails GPU builds.
    bool ignoreTimingCacheMismatch{false};
    /// BuilderFlag::kDISABLE_TIMING_CACHE: time every layer; no cache is read or written.
    bool disableTimingCache{false};
};

/// What a build did besides producing its plan (for the builder's log).
struct BuildStats {
    bool tuned{false};  ///< the autotuner ran (GPU target, optimization level > 0, static shapes)
    int32_t tunedNodes{0};
    int32_t timedCandidates{0};
    int32_t cacheHits{0};
    int32_t cacheMisses{0};
};

/// Builds the plan; every error names the node it concerns. `stats`, when given, says what tuning did.
StatusOr<plan::Plan> buildPlan(const ir::Graph& network, const BuildOptions& options, BuildStats* stats = nullptr);

/// "x86_64, 2 threads" style description of this CPU for plan headers.
std::string describeHostCpu();

}  // namespace kiln::builder
