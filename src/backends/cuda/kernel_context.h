// The CUDA kernel contract: one run##Name per op of ops.def, the GPU twin of backends/reference/kernels.h.
// A kernel only enqueues work on ctx.stream: it never synchronizes, allocates or frees device memory, or
// copies to or from the host (enqueueV3 must stay asynchronous and capturable into a CUDA graph). Scratch
// memory comes from ctx.workspace, sized at build time by the kernel's workspaceSize query. Inputs and
// outputs are contiguous row-major device buffers with the shapes and types inference produced; the
// values of shape-input slots (ir::isShapeInputSlot: Reshape dims, Slice start/size/stride, ...) are on
// the host, because the runtime resolved them before the run. Absent optional inputs have data == null
// and shape.nbDims == -1. An op whose GPU kernel is not written yet returns an unsupported Status (kUNSUPPORTED_STATE) naming the op.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "backends/tactic_candidate.h"
#include "common/status.h"
#include "common/tensor_ref.h"
#include "ir/attrs.h"
#include "ir/op.h"

namespace kiln::cuda {

/// Library handles (cuBLASLt, cuDNN) of one execution context, created outside enqueue; defined in
/// backends/cuda/library_handles.h.
class LibraryHandles;

/// One way a kernel can run a node (a cuDNN algorithm, ...), as the builder's autotuner sees it.
using TacticCandidate = backends::TacticCandidate;

struct KernelContext {
    std::span<const TensorRef> inputs;   ///< device buffers; shape-input slots hold host values
    std::span<const TensorRef> outputs;  ///< device buffers
    cudaStream_t stream{nullptr};
    void* workspace{nullptr};            ///< device scratch, valid for this launch only
    int64_t workspaceSize{0};
    const LibraryHandles* libraries{nullptr};  ///< null when the op needs no library
    /// The builder's choice for this node (plan::NodeTactic::id of a tuned node); -1: the kernel's own
    /// default choice (heuristics). A tactic that cannot run at these shapes is an error naming it.
    int64_t tactic{-1};
    /// float32 convolutions and matmuls may use TF32 tensor cores (the plan's PlanHeader::tf32, from
    /// BuilderFlag::kTF32); otherwise float32 stays exact float32 math.
    bool allowTf32{false};
    /// Set only by listTactics: the kernel lists its candidates here for these shapes and launches nothing.
    std::vector<TacticCandidate>* candidates{nullptr};
};

#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) \
    Status run##Name(const ir::Name##Attrs& attrs, const KernelContext& ctx);
#include "ir/ops.def"
#undef KILN_OP

/// Dispatches on the attrs' alternative.
Status runNode(const ir::Attrs& attrs, const KernelContext& ctx);

/// The tactics the builder may time for this node at ctx's shapes, fastest-first by the libraries'
/// heuristics; empty when the op has a single tactic (its kernel's default). Launches nothing.
StatusOr<std::vector<TacticCandidate>> listTactics(const ir::Attrs& attrs, const KernelContext& ctx);

/// Enqueues a kernel that keeps the GPU busy for about `microseconds`, so that launches enqueued behind it
/// are timed back to back on the device, not at the host's pace (profiled runs' per-layer times).
Status enqueueDelay(cudaStream_t stream, int32_t microseconds);

}  // namespace kiln::cuda
