// `kiln run` on a GPU plan: device buffers for the I/O tensors (inputs copied from the host, outputs
// copied back after the last run; shape-tensor inputs stay on the host, as the engine reads them there),
// runs with enqueueV3 on one stream, each timed with CUDA events, optionally as a replayed CUDA graph of one
// enqueue (the way latency-bound users deploy, and how torch is timed with CUDA graphs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/runtime.h"

namespace kiln::tool {

struct HostTensor {
    std::string name;
    void* data{nullptr};  ///< host buffer: the input's values, or where an output's values go
    int64_t bytes{0};
    bool isInput{false};
    bool onHost{false};   ///< TensorLocation::kHOST (shape-tensor input): bound as is
};

struct GpuRunOptions {
    int32_t warmup{0};
    int32_t iterations{1};
    bool cudaGraph{false};
    IProfiler* profiler{nullptr};  ///< when set: `profileRuns` more runs, timed layer by layer, after the timed ones
    int32_t profileRuns{0};
};

/// Whether this kiln was built with CUDA and sees a GPU.
bool gpuRunAvailable();

/// Binds device copies of `tensors` to `context`, runs, fills `ms` with one time per timed iteration and
/// copies the outputs back. False with `error` set on failure.
bool runOnGpu(IExecutionContext& context, std::vector<HostTensor>& tensors, const GpuRunOptions& options,
              std::vector<double>* ms, std::string* error);

}  // namespace kiln::tool
