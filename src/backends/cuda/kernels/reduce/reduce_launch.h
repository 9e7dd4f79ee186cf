// Launchers of the reduce family's CUDA kernels (Reduce, SoftMax, TopK), called by the host-side run##Name
// functions in reduce_ops.cc. The split keeps the .cu files free of Kiln's C++20 host headers (Status,
// attrs, Dims), so nvcc compiles only device code and thin launchers: shapes arrive here already checked
// and normalized (coalesced dims, axis views), and every launcher returns the launch's cudaError_t.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/common/rows_plan.h"
#include "backends/cuda/kernels/common/value_type.h"
#include "kiln/layer_types.h"

namespace kiln::cuda::rk {

constexpr int kMaxReduceDims = 8;

/// A Reduce over a contiguous row-major tensor, dims split into kept (one output each, row-major over
/// the kept dims) and reduced ones, each with its element stride in the input. Extent-1 dims are dropped
/// and adjacent dims of one kind merged by the caller.
struct ReduceGeometry {
    int32_t nbKept{0};
    int64_t keptExtent[kMaxReduceDims]{};
    int64_t keptStride[kMaxReduceDims]{};
    int32_t nbReduced{0};
    int64_t reducedExtent[kMaxReduceDims]{};
    int64_t reducedStride[kMaxReduceDims]{};
    int64_t nbOutputs{1};  ///< product of the kept extents
    int64_t count{1};      ///< elements reduced per output (product of the reduced extents)
};

/// Reduce where every reduced dim follows every kept one: output r reduces x[r * count, (r + 1) * count).
cudaError_t launchReduceRows(ValueType type, ReduceOperation op, const void* x, void* y, int64_t rows,
                             int64_t count, cudaStream_t stream);

/// Any other split of kept and reduced dims.
cudaError_t launchReduceStrided(ValueType type, ReduceOperation op, const void* x, void* y,
                                const ReduceGeometry& g, cudaStream_t stream);

/// SoftMax over the middle extent of a [outer, extent, inner] view (log-softmax when `log`).
cudaError_t launchSoftMax(ValueType type, bool log, const void* x, void* y, int64_t outer, int64_t extent,
                          int64_t inner, cudaStream_t stream);

/// SoftMax over `rows` contiguous rows of `cols` elements held in registers (softmax_rows.cu), for a
/// plan from planSoftMaxRows that chose the fast path.
cudaError_t launchSoftMaxRows(ValueType type, bool log, const void* x, void* y, int64_t rows, int64_t cols,
                              const RowsPlan& plan, cudaStream_t stream);

/// The largest k TopK accepts: the shared-memory sort buffer holds this many candidates (TensorRT's limit
/// is 3840).
constexpr int64_t kTopKMaxK = 4096;

/// TopK over the middle extent of a [outer, extent, inner] view: the k largest (largest) or smallest
/// values in rank order, ties by the lower index, NaN above every number; indices int32 or int64.
cudaError_t launchTopK(ValueType type, bool largest, int64_t k, const void* x, void* values, void* indices,
                       bool int64Indices, int64_t outer, int64_t extent, int64_t inner, cudaStream_t stream);

}  // namespace kiln::cuda::rk
