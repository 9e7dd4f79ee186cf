// Launchers of the Scatter kernels (scatter_winner.cu), called by scatter_ops.cc, and the workspace the
// parallel variant needs. Both variants give the reference's result: the output starts as a copy of data
// and, where several updates address one element (kELEMENT) or one slice (kND), the last in index order
// wins. The parallel variant first records, per target, the highest update number that addresses it
// (atomicMax into the workspace), then lets only that update write. Without enough workspace a single
// block applies the updates chunk by chunk in index order (correct, slow for large updates).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/common/value_type.h"
#include "kiln/layer_types.h"

namespace kiln::cuda::rk {

struct ScatterGeometry {
    ScatterMode mode{ScatterMode::kELEMENT};
    int32_t rank{0};
    int64_t dataDims[8]{};
    int64_t dataStrides[8]{};
    int32_t axis{0};         ///< kELEMENT
    int64_t indexDims[8]{};  ///< kELEMENT: the shape of indices (= updates)
    int64_t tupleLength{0};  ///< kND: the last dim of indices
    int64_t slice{1};        ///< kND: elements per tuple (the data dims after the addressed ones)
    int64_t nbUnits{0};      ///< updates (kELEMENT) or tuples (kND)
    int64_t nbTargets{0};    ///< data elements (kELEMENT) or addressable slices (kND)
};

/// Bytes of workspace for the parallel variant: one 64-bit winner per target.
inline int64_t scatterWorkspaceBytes(const ScatterGeometry& g) {
    return g.nbTargets * static_cast<int64_t>(sizeof(unsigned long long));
}

/// Writes the updates into `out` (already a copy of data). Index values out of range are skipped: the
/// device cannot report them without a host round trip.
cudaError_t launchScatter(int64_t elementSize, const ScatterGeometry& g, const void* indices,
                          ValueType indexType, const void* updates, void* out, void* workspace,
                          int64_t workspaceSize, cudaStream_t stream);

}  // namespace kiln::cuda::rk
