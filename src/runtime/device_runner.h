// Running a resolved plan on a CUDA device. DeviceWeights is the engine's one device copy of the plan's
// constants, uploaded when the engine is created. DeviceRunner is a context's device state: its own
// activation arena (unless the user gives one), a device mirror of the small tensors resolution computed
// on the host, and the launch loop that enqueues every remaining node on the caller's stream through
// cuda::runNode. Nothing in enqueue() synchronizes or allocates, except when shapes changed since the last
// run (the mirror is re-uploaded with cudaMemcpyAsync on that stream) or a profiler asks for layer times.
// Without CUDA compiled in, every entry point fails with a message saying so.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backends/tactic_candidate.h"
#include "common/status.h"
#include "common/tensor_ref.h"
#include "kiln/runtime.h"
#include "plan/plan.h"
#include "runtime/shape_resolver.h"

namespace kiln::runtime {

/// The GPU a plan targets, from its header ("sm_90"): fails when this machine has no GPU, or when GPU
/// `device` is another architecture, naming both sides and what to do.
Status checkPlanDevice(const plan::PlanHeader& header, int32_t device);

/// The warning a GPU plan deserves when the cuDNN or cuBLASLt loaded now (`cudnnNow`, `cublasLtNow`, as
/// backends::cudnnLibraryVersion reports them) differs in major or minor version from the one its tactics
/// were timed with (PlanHeader::cudnnVersion / cublasVersion), naming both sides; empty when they agree or
/// a side is unknown (0). Tuned tactic ids are library algorithm numbers and ranks: another library still
/// runs them or falls back, but not necessarily at the speed the builder measured.
std::string libraryVersionDrift(const plan::PlanHeader& header, int32_t cudnnNow, int32_t cublasLtNow);

class DeviceWeights {
public:
    /// Copies every Constant node's bytes to device memory (one allocation, 256-byte aligned entries) taken
    /// from `allocator` (cudaMalloc when null).
    static StatusOr<std::unique_ptr<DeviceWeights>> upload(const plan::Plan& plan, IGpuAllocator* allocator = nullptr);
    ~DeviceWeights();
    DeviceWeights(const DeviceWeights&) = delete;
    DeviceWeights& operator=(const DeviceWeights&) = delete;
    /// Device address of constant tensor `t`, or null when it is not a constant with bytes.
    void* address(ir::TensorId t) const;
    int64_t bytes() const { return mBytes; }

private:
    DeviceWeights() = default;
    IGpuAllocator* mAllocator{nullptr};
    void* mBase{nullptr};
    int64_t mBytes{0};
    std::vector<int64_t> mOffset;  ///< per tensor id, -1 when not a constant
};

/// Addresses of the network's I/O tensors for one run, by graph tensor id (device pointers, except
/// shape-tensor inputs, whose values live on the host).
struct IoAddresses {
    std::vector<void*> byTensor;
};

/// The autotuner's memory of earlier choices. The builder's timing cache implements it (builder/
/// device_probe.cc over builder/timing_cache.h), which keeps runtime/ free of builder/.
class TacticMemo {
public:
    /// What the tuner knows of a node before timing it.
    struct Query {
        const ir::Node& node;
        std::span<const TensorRef> inputs;   ///< as bound for the timing runs (types, shapes, addresses)
        std::span<const TensorRef> outputs;
        bool tf32;                           ///< PlanHeader::tf32
        std::span<const backends::TacticCandidate> candidates;  ///< what the kernel offers, in its order
    };
    /// The index in q.candidates of the remembered choice, or -1: time them.
    virtual int32_t choose(const Query& q) = 0;
    /// Remembers what timing chose for q.
    virtual void record(const Query& q, const backends::TacticCandidate& chosen, float medianMs) = 0;

protected:
    ~TacticMemo() = default;
};

class DeviceRunner {
public:
    /// Device memory comes from `allocator` (cudaMalloc when null).
    explicit DeviceRunner(IGpuAllocator* allocator = nullptr) : mAllocator(allocator) {}
    ~DeviceRunner();
    DeviceRunner(const DeviceRunner&) = delete;
    DeviceRunner& operator=(const DeviceRunner&) = delete;

    /// Makes the context's own arena at least `bytes` (allocation happens here, never in enqueue when the
    /// shapes did not grow).
    Status reserveArena(int64_t bytes);
    /// Creates what every launch needs besides the arena: the library handles (cuBLASLt, cuDNN) and the
    /// scratch workspace of at least `workspaceBytes` (the plan's tactics' need; a 64 MiB floor). Called
    /// when the context resolves shapes, so enqueue finds them ready.
    Status prepare(int64_t workspaceBytes = 0);
    void* ownArena() const { return mArena; }

    /// Enqueues the plan's nodes on `stream`. `arena` is the activation memory (own or the user's).
    /// `resolved` is the context's current resolution and `resolution` its number (the context counts
    /// its resolutions); when it changed since the last call the host values are mirrored to the device
    /// first (asynchronously, on `stream`). With a profiler, each node is timed with CUDA events and the
    /// stream is synchronized before the times are reported. With `unsupportedNodes` (the builder's probe),
    /// a node without a CUDA kernel is listed there and the run goes on, so every such node is found.
    Status enqueue(const plan::Plan& plan, const DeviceWeights& weights, const ResolvedShapes& resolved,
                   uint64_t resolution, const IoAddresses& io, void* arena, cudaStream_t stream, IProfiler* profiler,
                   std::vector<std::string>* unsupportedNodes = nullptr);

    /// The autotuner (builder): for every node whose kernel offers several tactics at the resolved shapes
    /// (cuda::listTactics), times each on `stream` with CUDA events (warm-up, then the median of a few
    /// rounds of back-to-back launches behind a delay kernel) and keeps the fastest, ties to the earlier
    /// candidate. Other nodes keep their tactic. Needs a prior enqueue of the whole plan (so every input a
    /// node reads holds values) and prepare() with the workspace the candidates may use. With `memo`, a node
    /// whose choice it remembers takes that candidate after one check run (no timing), and a timed node's
    /// choice is recorded there.
    struct TuneResult {
        std::vector<plan::NodeTactic> tactics;  ///< per node
        int64_t workspaceBytes{0};              ///< what the chosen tactics need
        int32_t tunedNodes{0};                  ///< nodes with several candidates (timed or remembered)
        int32_t timedCandidates{0};
        int32_t cacheHits{0};    ///< tuned nodes whose choice came from `memo`
        int32_t cacheMisses{0};  ///< tuned nodes `memo` had no usable choice for: timed
    };
    StatusOr<TuneResult> tune(const plan::Plan& plan, const DeviceWeights& weights, const ResolvedShapes& resolved,
                              const IoAddresses& io, void* arena, cudaStream_t stream, TacticMemo* memo = nullptr);

    /// executeV2's stream: the runner's own, created on first use.
    StatusOr<cudaStream_t> ownStream();
    /// Waits for the work enqueued on `stream`.
    static Status synchronize(cudaStream_t stream);

private:
    /// Where tensor `t` lives on the device in this run (null for absent tensors).
    void* deviceAddress(const DeviceWeights& weights, const ResolvedShapes& resolved, const IoAddresses& io,
                        void* arena, ir::TensorId t) const;
    /// The device (or, for shape-input slots, host) views of node `i`'s inputs and outputs.
    void bindNode(const plan::Plan& plan, const DeviceWeights& weights, const ResolvedShapes& resolved,
                  const IoAddresses& io, void* arena, ir::NodeId i, std::vector<TensorRef>& ins,
                  std::vector<TensorRef>& outs) const;
    Status mirrorHostValues(const plan::Plan& plan, const ResolvedShapes& resolved, cudaStream_t stream);

    IGpuAllocator* mAllocator{nullptr};
    void* mArena{nullptr};
    int64_t mArenaBytes{0};
    void* mMirror{nullptr};              ///< device copy of resolution's host values
    int64_t mMirrorBytes{0};
    std::vector<int64_t> mMirrorOffset;  ///< per tensor id, -1 when not mirrored
    uint64_t mMirrored{0};  ///< the resolution number mirrored; 0: none
    cudaStream_t mStream{nullptr};
    std::shared_ptr<void> mLibraries;  ///< cuda::LibraryHandles, type-erased to keep CUDA headers out
    void* mWorkspace{nullptr};
    int64_t mWorkspaceBytes{0};
    std::vector<int64_t> mKernelTactics;  ///< per node: KernelContext::tactic (the plan's tuned ids, else -1)
};

}  // namespace kiln::runtime
