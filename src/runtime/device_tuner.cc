// DeviceRunner::tune, the autotuner (see device_runner.h): per node with several tactics, CUDA-event
// timings of each candidate at the plan's shapes, fastest kept. A candidate's launches are captured into
// a CUDA graph and the replays are timed: the time is the device's, never the host's launch cost (library
// calls can take longer on the host than their kernels on the GPU at batch 1). A TacticMemo (the builder's
// timing cache) answers for the nodes it has seen, so only new layers are timed.
#include <algorithm>

#include "runtime/device_runner.h"

#if KILN_HAS_CUDA
#include <cuda_runtime.h>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/library_handles.h"
#endif

namespace kiln::runtime {

#if KILN_HAS_CUDA

namespace {

constexpr int32_t kRounds = 5;        // timed graph replays per candidate; the median is kept
constexpr int32_t kLaunches = 4;      // launches captured in the graph
constexpr float kGiveUpFactor = 4.f;  // a candidate whose warm-up is this much slower than the best is dropped
constexpr float kScreenMinMs = 2.f;   // ... when the warm-up took at least this long

struct Events {
    cudaEvent_t begin{}, end{};
    ~Events() {
        if (begin) cudaEventDestroy(begin);
        if (end) cudaEventDestroy(end);
    }
};

struct Graph {
    cudaGraph_t graph{};
    cudaGraphExec_t exec{};
    ~Graph() {
        if (exec) cudaGraphExecDestroy(exec);
        if (graph) cudaGraphDestroy(graph);
    }
};

}  // namespace

StatusOr<DeviceRunner::TuneResult> DeviceRunner::tune(const plan::Plan& plan, const DeviceWeights& weights,
                                                      const ResolvedShapes& r, const IoAddresses& io, void* arena,
                                                      cudaStream_t stream, TacticMemo* memo) {
    const ir::Graph& g = plan.graph;
    TuneResult result;
    result.tactics = plan.tactics;
    result.tactics.resize(g.nodes().size(), plan::NodeTactic{"cuda", 0});
    const auto* libraries = static_cast<const cuda::LibraryHandles*>(mLibraries.get());
    if (!libraries) return invalidState("DeviceRunner::tune needs prepare() first");
    Events ev;
    KILN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&ev.begin));
    KILN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&ev.end));
    std::vector<TensorRef> ins, outs;
    for (ir::NodeId i = 0; i < static_cast<ir::NodeId>(g.nodes().size()); ++i) {
        if (r.nodeDone[static_cast<size_t>(i)]) continue;
        const ir::Node& n = g.node(i);
        bindNode(plan, weights, r, io, arena, i, ins, outs);
        cuda::KernelContext ctx{ins, outs, stream, mWorkspace, mWorkspaceBytes, libraries};
        ctx.allowTf32 = plan.header.tf32;
        auto listed = cuda::listTactics(n.attrs, ctx);
        if (!listed.isOk()) return listed.status().withContext(g.describeNode(i));
        const std::vector<cuda::TacticCandidate> candidates = std::move(listed).value();
        if (candidates.size() < 2) {
            if (candidates.size() == 1) {
                result.tactics[static_cast<size_t>(i)] = {candidates[0].name, candidates[0].id};
                result.workspaceBytes = std::max(result.workspaceBytes, candidates[0].workspaceBytes);
            }
            continue;
        }
        const TacticMemo::Query query{n, ins, outs, plan.header.tf32, candidates};
        if (memo) {
            const int32_t k = memo->choose(query);
            if (k >= 0 && static_cast<size_t>(k) < candidates.size()) {
                // One untimed run: a remembered tactic (perhaps from another library version, with
                // ignoreMismatch) must still run here, else it is timed with the others like a miss.
                ctx.tactic = candidates[static_cast<size_t>(k)].id;
                Status st = cuda::runNode(n.attrs, ctx);
                KILN_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
                cudaGetLastError();
                if (st.isOk()) {
                    const cuda::TacticCandidate& c = candidates[static_cast<size_t>(k)];
                    result.tactics[static_cast<size_t>(i)] = {c.name, c.id};
                    result.workspaceBytes = std::max(result.workspaceBytes, c.workspaceBytes);
                    ++result.tunedNodes;
                    ++result.cacheHits;
                    continue;
                }
            }
            ++result.cacheMisses;
        }
        float best = 0.f;
        const cuda::TacticCandidate* chosen = nullptr;
        for (const cuda::TacticCandidate& c : candidates) {
            ctx.tactic = c.id;
            // Warm-up, timed on its own: it also screens out candidates far slower than the best so far.
            cudaEventRecord(ev.begin, stream);
            Status st = cuda::runNode(n.attrs, ctx);
            cudaEventRecord(ev.end, stream);
            KILN_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
            cudaGetLastError();
            if (!st.isOk()) continue;  // this algorithm refused these descriptors: not a candidate
            float warm = 0.f;
            cudaEventElapsedTime(&warm, ev.begin, ev.end);
            // Only when the device clearly dominates the warm-up's time (it also holds the host's launch cost).
            if (chosen && warm > kGiveUpFactor * best && warm > kScreenMinMs) continue;
            Graph captured;
            KILN_CUDA_RETURN_IF_ERROR(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
            for (int32_t l = 0; l < kLaunches && st.isOk(); ++l) st = cuda::runNode(n.attrs, ctx);
            const cudaError_t ended = cudaStreamEndCapture(stream, &captured.graph);
            if (!st.isOk() || ended != cudaSuccess ||
                cudaGraphInstantiate(&captured.exec, captured.graph, 0) != cudaSuccess) {
                cudaGetLastError();
                continue;  // not capturable with this algorithm: not a candidate
            }
            std::vector<float> rounds;
            for (int32_t k = 0; k < kRounds; ++k) {
                cudaEventRecord(ev.begin, stream);
                KILN_CUDA_RETURN_IF_ERROR(cudaGraphLaunch(captured.exec, stream));
                cudaEventRecord(ev.end, stream);
                KILN_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
                float ms = 0.f;
                cudaEventElapsedTime(&ms, ev.begin, ev.end);
                rounds.push_back(ms / kLaunches);
            }
            ++result.timedCandidates;
            std::sort(rounds.begin(), rounds.end());
            const float median = rounds[rounds.size() / 2];
            if (!chosen || median < best) {
                best = median;
                chosen = &c;
            }
        }
        if (!chosen)
            return unsupported(g.describeNode(i) + ": none of its " + std::to_string(candidates.size()) +
                               " candidate tactics ran on this GPU; build for target 'cpu' or report the layer");
        result.tactics[static_cast<size_t>(i)] = {chosen->name, chosen->id};
        result.workspaceBytes = std::max(result.workspaceBytes, chosen->workspaceBytes);
        ++result.tunedNodes;
        if (memo) memo->record(query, *chosen, best);
    }
    return result;
}

#else

StatusOr<DeviceRunner::TuneResult> DeviceRunner::tune(const plan::Plan&, const DeviceWeights&, const ResolvedShapes&,
                                                      const IoAddresses&, void*, cudaStream_t, TacticMemo*) {
    return unsupported("this Kiln was built without CUDA: GPU plans cannot be tuned here");
}

#endif

}  // namespace kiln::runtime
