// The build step of GPU plans that needs the GPU: run the plan once on the target device at its declared
// input shapes, node by node, timing each launch with CUDA events. A node whose op or data type has no
// CUDA kernel fails the build, and every such node is listed at once. This is where the autotuner will
// time the candidate tactics of each node; today every op has one CUDA tactic.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "plan/plan.h"

namespace kiln::builder {

struct ProbeResult {
    std::vector<float> nodeMs;  ///< per node: the launch's time (0 for nodes computed at resolution)
    bool ran{false};            ///< false when the plan has dynamic or shape-tensor inputs (no probe)
};

/// Runs `plan` on CUDA device `device` with zero-filled inputs. Fails listing every node without a kernel.
StatusOr<ProbeResult> probeOnDevice(const plan::Plan& plan, int32_t device);

}  // namespace kiln::builder
