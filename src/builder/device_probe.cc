// probeOnDevice (see device_probe.h).
#include "builder/device_probe.h"

#include <algorithm>
#include <optional>

#include "common/thread_pool.h"
#include "runtime/device_runner.h"
#include "runtime/shape_resolver.h"

#if KILN_HAS_CUDA
#include <cuda_runtime.h>

#include "backends/cuda/cuda_status.h"
#endif

namespace kiln::builder {

#if KILN_HAS_CUDA

namespace {

constexpr int64_t kDefaultTuneWorkspace = int64_t(1) << 30;

/// Device buffers for a probe's inputs and outputs, freed on every path.
struct ProbeBuffers {
    std::vector<void*> owned;
    ~ProbeBuffers() {
        for (void* p : owned) cudaFree(p);
    }
    StatusOr<void*> zeros(int64_t bytes) {
        void* p = nullptr;
        if (bytes <= 0) return p;
        KILN_CUDA_RETURN_IF_ERROR(cudaMalloc(&p, static_cast<size_t>(bytes)));
        owned.push_back(p);
        KILN_CUDA_RETURN_IF_ERROR(cudaMemset(p, 0, static_cast<size_t>(bytes)));
        return p;
    }
};

/// The tuner's view of a TimingCache: keys a node with timingCacheKey.
class CacheMemo final : public runtime::TacticMemo {
public:
    explicit CacheMemo(TimingCache& cache) : mCache(cache) {}
    int32_t choose(const Query& q) override { return mCache.choose(keyOf(q), q.candidates); }
    void record(const Query& q, const backends::TacticCandidate& chosen, float medianMs) override {
        mCache.record(keyOf(q), TimingCacheEntry{chosen.name, chosen.id, chosen.workspaceBytes, medianMs});
    }

private:
    static std::string keyOf(const Query& q) {
        return timingCacheKey(q.node, q.inputs, q.outputs, q.tf32, q.candidates);
    }
    TimingCache& mCache;
};

/// Collects per-layer times by layer name order.
class NodeTimes final : public IProfiler {
public:
    void reportLayerTime(const char* name, float ms) noexcept override {
        try {
            times.emplace_back(name ? name : "", ms);
        } catch (...) {
        }
    }
    std::vector<std::pair<std::string, float>> times;
};

}  // namespace

StatusOr<ProbeResult> probeOnDevice(const plan::Plan& plan, int32_t device, uint64_t workspaceLimit, bool tune,
                                    TimingCache* cache) {
    ProbeResult result;
    const ir::Graph& g = plan.graph;
    result.nodeMs.assign(g.nodes().size(), 0.f);
    std::vector<bool> shapeInputs = runtime::findShapeInputs(plan);
    std::vector<Dims> shapes;
    for (size_t k = 0; k < g.inputs().size(); ++k) {
        shapes.push_back(g.tensor(g.inputs()[k]).shape);
        if (!isFullyKnown(shapes.back()) || shapeInputs[k]) return result;  // nothing to probe at build time
    }
    int previous = 0;
    KILN_CUDA_RETURN_IF_ERROR(cudaGetDevice(&previous));
    KILN_CUDA_RETURN_IF_ERROR(cudaSetDevice(device));
    Status st = [&]() -> Status {
        ThreadPool pool(1);
        KILN_ASSIGN_OR_RETURN(auto resolved, runtime::resolveShapes(plan, shapes, {}, pool));
        KILN_ASSIGN_OR_RETURN(auto weights, runtime::DeviceWeights::upload(plan));
        ProbeBuffers buffers;
        runtime::IoAddresses io;
        io.byTensor.assign(g.tensors().size(), nullptr);
        auto bind = [&](ir::TensorId t) -> Status {
            const auto& d = resolved->tensors[static_cast<size_t>(t)];
            KILN_ASSIGN_OR_RETURN(io.byTensor[static_cast<size_t>(t)], buffers.zeros(storageBytes(d.type, volume(d.shape))));
            return Status::ok();
        };
        for (ir::TensorId t : g.inputs()) KILN_RETURN_IF_ERROR(bind(t));
        for (ir::TensorId t : g.outputs())
            if (!g.tensor(t).isInput) KILN_RETURN_IF_ERROR(bind(t));
        runtime::DeviceRunner runner;
        KILN_RETURN_IF_ERROR(runner.reserveArena(resolved->arenaSize));
        KILN_ASSIGN_OR_RETURN(cudaStream_t stream, runner.ownStream());
        NodeTimes times;
        std::vector<std::string> missing;
        KILN_RETURN_IF_ERROR(runner.enqueue(plan, *weights, *resolved, 1, io, runner.ownArena(), stream, &times, &missing));
        KILN_RETURN_IF_ERROR(runtime::DeviceRunner::synchronize(stream));
        if (!missing.empty()) {
            std::string list;
            for (const std::string& m : missing) list += "\n  " + m;
            return unsupported(std::to_string(missing.size()) + " of " + std::to_string(g.nodes().size()) +
                               " nodes have no CUDA kernel yet; build for target 'cpu' until they do:" + list);
        }
        size_t k = 0;
        for (size_t i = 0; i < g.nodes().size() && k < times.times.size(); ++i)
            if (!resolved->nodeDone[i] && g.node(static_cast<ir::NodeId>(i)).name == times.times[k].first)
                result.nodeMs[i] = times.times[k++].second;
        result.tactics = plan.tactics;
        result.ran = true;
        if (!tune) return Status::ok();
        // Tuning: candidates may use up to the workspace limit.
        size_t freeBytes = 0, totalBytes = 0;
        KILN_CUDA_RETURN_IF_ERROR(cudaMemGetInfo(&freeBytes, &totalBytes));
        const int64_t limit = std::min<int64_t>(workspaceLimit ? static_cast<int64_t>(workspaceLimit) : kDefaultTuneWorkspace,
                                                static_cast<int64_t>(freeBytes / 2));
        KILN_RETURN_IF_ERROR(runner.prepare(limit));
        std::optional<CacheMemo> memo;
        if (cache) memo.emplace(*cache);
        KILN_ASSIGN_OR_RETURN(auto tuned, runner.tune(plan, *weights, *resolved, io, runner.ownArena(), stream,
                                                      memo ? &*memo : nullptr));
        result.tactics = std::move(tuned.tactics);
        result.workspaceBytes = tuned.workspaceBytes;
        result.tunedNodes = tuned.tunedNodes;
        result.timedCandidates = tuned.timedCandidates;
        result.cacheHits = tuned.cacheHits;
        result.cacheMisses = tuned.cacheMisses;
        return Status::ok();
    }();
    cudaSetDevice(previous);
    if (!st.isOk()) return st;
    return result;
}

#else

StatusOr<ProbeResult> probeOnDevice(const plan::Plan&, int32_t, uint64_t, bool, TimingCache*) {
    return unsupported("this Kiln was built without CUDA: build for target 'cpu'");
}

#endif

}  // namespace kiln::builder
