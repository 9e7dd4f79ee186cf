// Build pipeline implementation (see build.h).
#include "builder/build.h"

#include <fstream>
#include <thread>

#include "backends/device_info.h"
#include "builder/device_probe.h"
#include "builder/precision.h"
#include "kiln/types.h"
#include "passes/pass.h"

namespace kiln::builder {

StatusOr<Target> parseTarget(const std::string& text) {
    Target t;
    if (text == "cpu") return t;
    if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
        t.isCuda = true;
        if (text.size() > 5) {
            const std::string idx = text.substr(5);
            if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos || idx.size() > 4)
                return invalidArgument("target device '" + text + "': the index after 'cuda:' must be a number, e.g. cuda:0");
            t.deviceIndex = std::stoi(idx);
        }
        return t;
    }
    return invalidArgument("unknown target device '" + text + "': use 'cpu' or 'cuda:N' (N = GPU index)");
}

std::string describeHostCpu() {
    std::string model;
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos) model = line.substr(colon + 2);
            break;
        }
    }
    if (model.empty()) model = "CPU";
    return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " threads";
}

namespace {

Status checkNetwork(const ir::Graph& g) {
    if (g.outputs().empty())
        return invalidArgument("the network has no outputs: mark at least one tensor with markOutput()");
    // Unused inputs are allowed (TensorRT warns); they stay I/O tensors of the plan.
    return g.validate();
}

}  // namespace

StatusOr<plan::Plan> buildPlan(const ir::Graph& network, const BuildOptions& options, BuildStats* stats) {
    if (stats) *stats = BuildStats{};
    backends::CudaDeviceInfo gpu;
    if (options.target.isCuda) {
        int32_t n = backends::cudaDeviceCount();
        if (!backends::cudaCompiledIn())
            return unsupported("target " + options.target.toString() +
                               ": this Kiln was built without CUDA; build for target 'cpu' or rebuild Kiln with nvcc available");
        if (options.target.deviceIndex >= n || !backends::cudaDeviceInfo(options.target.deviceIndex, &gpu))
            return invalidArgument("target " + options.target.toString() + ": this machine has " + std::to_string(n) +
                                   " CUDA device(s); use 'cpu' or an index below " + std::to_string(n));
    }
    plan::Plan p;
    p.graph = network;
    KILN_RETURN_IF_ERROR(checkNetwork(p.graph));
    KILN_RETURN_IF_ERROR(p.graph.topoSort());
    KILN_RETURN_IF_ERROR(p.graph.inferShapes());
    p.graph.removeDeadNodes();
    KILN_RETURN_IF_ERROR(p.graph.inferShapes());
    passes::PassContext passContext;
    passContext.cudaTarget = options.target.isCuda;
    passContext.reducedPrecision = options.reducedPrecision;
    passContext.disabled = options.disabledPasses;
    KILN_RETURN_IF_ERROR(passes::runPipeline(p.graph, passContext));
    if (options.reducedPrecision != DataType::kFLOAT)
        KILN_RETURN_IF_ERROR(reducePrecision(p.graph, options.reducedPrecision));
    for (ir::TensorId t : p.graph.outputs()) {
        if (p.graph.tensor(t).isInput) continue;
        if (p.graph.tensor(t).producer < 0)
            return internalError("output '" + p.graph.tensor(t).name + "' lost its producer during the build");
    }
    p.header.kilnVersion = getKilnVersion();
    if (!options.target.isCuda) {
        // The CPU target has one tactic per op: the reference kernel.
        p.tactics.assign(p.graph.nodes().size(), plan::NodeTactic{"reference", 0});
        p.header.target = "cpu";
        p.header.deviceName = describeHostCpu();
        return p;
    }
    // GPU target: one CUDA tactic per op for now; the probe runs every node once on the device so that a
    // missing kernel fails the build, not the first run.
    p.tactics.assign(p.graph.nodes().size(), plan::NodeTactic{"cuda", 0});
    const TimingCacheIdentity identity = timingIdentityOf(gpu);
    p.header.target = identity.target;
    p.header.deviceName = gpu.name;
    p.header.cudaVersion = backends::cudaRuntimeVersion();
    p.header.tf32 = options.allowTf32;  // before the probe: tuning times the math the plan will run
    // Optimization level 0 skips the autotuner (fast builds): every node keeps its kernel's heuristic choice.
    const bool tune = options.optimizationLevel > 0;
    // Without the user's cache the build keeps its own, as TensorRT does: identical layers (a transformer's
    // blocks) are timed once. The user's cache was checked when it was attached, but the target may have
    // changed since.
    TimingCache buildOnly;
    TimingCache* cache = nullptr;
    if (tune && !options.disableTimingCache) {
        cache = options.timingCache ? options.timingCache : &buildOnly;
        const std::string mismatch = identityMismatch(cache->identity(), identity);
        if (!mismatch.empty() && !options.ignoreTimingCacheMismatch) return mismatchError(mismatch);
        cache->bind(identity);
    }
    KILN_ASSIGN_OR_RETURN(ProbeResult probe,
                          probeOnDevice(p, options.target.deviceIndex, options.workspaceLimit, tune, cache));
    if (probe.ran) {
        p.tactics = std::move(probe.tactics);
        p.header.workspaceBytes = probe.workspaceBytes;
    }
    if (stats) {
        stats->tuned = probe.ran && tune;
        stats->tunedNodes = probe.tunedNodes;
        stats->timedCandidates = probe.timedCandidates;
        stats->cacheHits = probe.cacheHits;
        stats->cacheMisses = probe.cacheMisses;
    }
    p.header.cudnnVersion = identity.cudnnVersion;
    p.header.cublasVersion = identity.cublasLtVersion;
    return p;
}

}  // namespace kiln::builder
