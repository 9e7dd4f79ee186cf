// Launchers of the movement fast paths planned in movement/copy_plan.h, defined in copy_runs.cu: the run
// copy (Shuffle keeping the innermost dim, Slice, Gather along one axis, Concatenation) and the tiled
// transpose. A plain C++ header, so that host-only callers compile without nvcc.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/movement/copy_plan.h"
#include "common/status.h"

namespace kiln::cuda {

/// Device index values that move each run's read (Gather): the value at the run's index position,
/// wrapped once from [-extent, 0); a value outside [-extent, extent) writes a run of zero bytes.
struct RunIndex {
    const void* values{nullptr};  ///< null: no index
    bool idx64{false};
    int64_t extent{0};
};

/// Enqueues the copy of `plan` from src to dst, moving the widest word the sizes and addresses allow.
/// totalBytes bounds every source and destination offset (it decides 32-bit index arithmetic).
Status launchRunCopy(const RunCopyPlan& plan, const void* src, void* dst, int64_t totalBytes,
                     const RunIndex& index, cudaStream_t stream, const char* kernel);

/// Enqueues the tiled transpose of `t` over elements of `elementBytes` bytes (1, 2, 4 or 8).
Status launchTiledTranspose(const TiledTranspose& t, const void* src, void* dst, int64_t elementBytes,
                            cudaStream_t stream, const char* kernel);

}  // namespace kiln::cuda
