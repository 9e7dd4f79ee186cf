// The build step of GPU plans that needs the GPU: run the plan once on the target device at its declared
// input shapes, node by node, timing each launch with CUDA events. A node whose op or data type has no
// CUDA kernel fails the build, and every such node is listed at once. Then the autotuner
// (DeviceRunner::tune) times the candidate tactics of every node that has several and keeps the fastest,
// unless the timing cache already knows a layer's choice.
#pragma once

#include <string>
#include <vector>

#include "builder/timing_cache.h"
#include "common/status.h"
#include "plan/plan.h"

namespace kiln::builder {

struct ProbeResult {
    std::vector<float> nodeMs;  ///< per node: the launch's time (0 for nodes computed at resolution)
    bool ran{false};            ///< false when the plan has dynamic or shape-tensor inputs (no probe)
    std::vector<plan::NodeTactic> tactics;  ///< per node, when ran: the tuned choices
    int64_t workspaceBytes{0};  ///< what the chosen tactics need
    int32_t tunedNodes{0};       ///< nodes with several candidate tactics
    int32_t timedCandidates{0};
    int32_t cacheHits{0};        ///< tuned nodes whose tactic came from the timing cache
    int32_t cacheMisses{0};      ///< tuned nodes the cache had no entry for: timed, then recorded there
};

/// Runs `plan` on CUDA device `device` with zero-filled inputs, then tunes its tactics with up to
/// `workspaceLimit` bytes of library workspace (0: the default of 1 GiB, at most half the free memory).
/// Without `tune`, only the check runs. With `cache`, tuning takes the choices it holds for a layer
/// (timingCacheKey) and records the ones it times. Fails listing every node without a kernel.
StatusOr<ProbeResult> probeOnDevice(const plan::Plan& plan, int32_t device, uint64_t workspaceLimit = 0,
                                    bool tune = true, TimingCache* cache = nullptr);

}  // namespace kiln::builder
