// TacticCandidate: one way a kernel can run a node, as the builder's autotuner and its timing cache see
// it. Kept free of CUDA headers so that the builder's timing cache (builder/timing_cache.h), compiled on
// every machine, can key and check candidates; backends/cuda/kernel_context.h uses it as
// cuda::TacticCandidate.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::backends {

struct TacticCandidate {
    int64_t id{-1};             ///< what KernelContext::tactic selects; stable for a library version
    std::string name;           ///< stable, readable: "cudnn_fwd_implicit_precomp_gemm"
    int64_t workspaceBytes{0};  ///< ctx.workspace this tactic needs at these shapes
};

}  // namespace kiln::backends
