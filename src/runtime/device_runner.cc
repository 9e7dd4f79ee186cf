// DeviceWeights and DeviceRunner (see device_runner.h). The CUDA half is compiled only with KILN_HAS_CUDA;
// without it the same entry points fail saying this Kiln has no CUDA backend.
#include "runtime/device_runner.h"

#include "backends/device_info.h"

#if KILN_HAS_CUDA
#include <cuda_runtime.h>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/library_handles.h"
#endif

namespace kiln::runtime {

namespace {

constexpr int64_t kAlign = 256;
/// Scratch per context for library tactics (cuBLASLt heuristics, cuDNN algorithms, padding staging): at
/// least this, more when the plan's tuned tactics need more (PlanHeader::workspaceBytes).
constexpr int64_t kWorkspaceBytes = int64_t(64) << 20;
/// Delay ahead of a profiled run: long enough for the host to enqueue a large plan's launches.
constexpr int32_t kProfileDelayUs = 50000;

/// What KernelContext::tactic gets per node: the tuned id, or -1 for a node the builder did not tune.
std::vector<int64_t> kernelTactics(const plan::Plan& plan) {
    std::vector<int64_t> ids(plan.graph.nodes().size(), -1);
    for (size_t i = 0; i < ids.size() && i < plan.tactics.size(); ++i) {
        const plan::NodeTactic& t = plan.tactics[i];
        if (t.name != "cuda" && t.name != "reference") ids[i] = t.id;
    }
    return ids;
}
int64_t alignUp(int64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

}  // namespace

Status checkPlanDevice(const plan::PlanHeader& header, int32_t device) {
    const std::string built = "plan built for " + header.target + " (" + header.deviceName + ")";
    if (!backends::cudaCompiledIn())
        return unsupported(built + "; this Kiln was built without CUDA: rebuild the plan for target 'cpu' or use a "
                                   "Kiln built with the CUDA toolkit");
    backends::CudaDeviceInfo info;
    if (!backends::cudaDeviceInfo(device, &info))
        return unsupported(built + "; this machine has no CUDA device " + std::to_string(device) +
                           " (" + std::to_string(backends::cudaDeviceCount()) +
                           " found): run it on a machine with that GPU, or rebuild the plan for target 'cpu'");
    const std::string here = "sm_" + std::to_string(info.smMajor) + std::to_string(info.smMinor);
    if (here != header.target)
        return unsupported(built + "; this GPU is " + here + " (" + info.name +
                           "): rebuild the plan on this GPU (plans hold kernels and tactics chosen for one architecture)");
    return Status::ok();
}

std::string libraryVersionDrift(const plan::PlanHeader& header, int32_t cudnnNow, int32_t cublasLtNow) {
    std::string drift;
    const auto compare = [&](const char* library, int32_t built, int32_t now) {
        if (built <= 0 || now <= 0 || built / 100 == now / 100) return;
        drift += std::string(drift.empty() ? "" : ", ") + library + " " + backends::libraryVersionText(built) +
                 " when it was built and " + backends::libraryVersionText(now) + " here";
    };
    compare("cuDNN", header.cudnnVersion, cudnnNow);
    compare("cuBLASLt", header.cublasVersion, cublasLtNow);
    if (drift.empty()) return drift;
    return "plan built for " + header.target + " (" + header.deviceName + ") timed its tactics with other libraries (" +
           drift + "): its layers still run, but the chosen algorithms may no longer be the fastest; rebuild the plan "
           "on this machine for tuned speed";
}

#if KILN_HAS_CUDA

namespace {

/// Device memory from the user's allocator, or cudaMalloc; `what` names the use in the error.
Status deviceAlloc(IGpuAllocator* allocator, void** p, int64_t bytes, const std::string& what) {
    *p = nullptr;
    if (allocator) {
        *p = allocator->allocateAsync(static_cast<uint64_t>(bytes), static_cast<uint64_t>(kAlign), 0, nullptr);
        if (!*p)
            return allocationFailed("the IGpuAllocator returned no memory for " + what + " (" + std::to_string(bytes) +
                                    " bytes)");
        return Status::ok();
    }
    return cuda::cudaStatus(cudaMalloc(p, static_cast<size_t>(bytes)), ("allocating " + what).c_str());
}

void deviceFree(IGpuAllocator* allocator, void* p) {
    if (!p) return;
    if (allocator)
        allocator->deallocateAsync(p, nullptr);
    else
        cudaFree(p);
}

}  // namespace

// ---- weights -----------------------------------------------------------------------------------------

StatusOr<std::unique_ptr<DeviceWeights>> DeviceWeights::upload(const plan::Plan& plan, IGpuAllocator* allocator) {
    const ir::Graph& g = plan.graph;
    std::unique_ptr<DeviceWeights> w(new DeviceWeights());
    w->mAllocator = allocator;
    w->mOffset.assign(g.tensors().size(), -1);
    int64_t total = 0;
    for (const ir::Node& n : g.nodes())
        if (const auto* c = std::get_if<ir::ConstantAttrs>(&n.attrs); c && c->data && !c->data->empty()) {
            w->mOffset[static_cast<size_t>(n.outputs[0])] = total;
            total = alignUp(total + static_cast<int64_t>(c->data->size()));
        }
    w->mBytes = total;
    if (total == 0) return w;
    KILN_RETURN_IF_ERROR(deviceAlloc(allocator, &w->mBase, total, std::to_string(total) + " bytes of weights"));
    for (const ir::Node& n : g.nodes())
        if (const auto* c = std::get_if<ir::ConstantAttrs>(&n.attrs); c && c->data && !c->data->empty()) {
            void* dst = static_cast<uint8_t*>(w->mBase) + w->mOffset[static_cast<size_t>(n.outputs[0])];
            KILN_CUDA_RETURN_IF_ERROR(cudaMemcpy(dst, c->data->data(), c->data->size(), cudaMemcpyHostToDevice));
        }
    return w;
}

DeviceWeights::~DeviceWeights() {
    deviceFree(mAllocator, mBase);
}

void* DeviceWeights::address(ir::TensorId t) const {
    if (t < 0 || static_cast<size_t>(t) >= mOffset.size() || mOffset[static_cast<size_t>(t)] < 0) return nullptr;
    return static_cast<uint8_t*>(mBase) + mOffset[static_cast<size_t>(t)];
}

// ---- runner ------------------------------------------------------------------------------------------

DeviceRunner::~DeviceRunner() {
    if (mStream) {
        cudaStreamSynchronize(mStream);
        cudaStreamDestroy(mStream);
    }
    deviceFree(mAllocator, mArena);
    deviceFree(mAllocator, mMirror);
    deviceFree(mAllocator, mWorkspace);
}

Status DeviceRunner::prepare(int64_t workspaceBytes) {
    if (!mLibraries) {
        KILN_ASSIGN_OR_RETURN(std::unique_ptr<cuda::LibraryHandles> libs, cuda::LibraryHandles::create());
        mLibraries = std::shared_ptr<cuda::LibraryHandles>(std::move(libs));
    }
    const int64_t want = std::max(kWorkspaceBytes, alignUp(workspaceBytes));
    if (mWorkspaceBytes < want) {
        deviceFree(mAllocator, mWorkspace);
        mWorkspace = nullptr;
        mWorkspaceBytes = 0;
        KILN_RETURN_IF_ERROR(deviceAlloc(mAllocator, &mWorkspace, want,
                                         std::to_string(want) + " bytes of the context's library workspace"));
        mWorkspaceBytes = want;
    }
    return Status::ok();
}

StatusOr<cudaStream_t> DeviceRunner::ownStream() {
    if (!mStream) KILN_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&mStream, cudaStreamNonBlocking));
    return mStream;
}

Status DeviceRunner::synchronize(cudaStream_t stream) {
    return cuda::cudaStatus(cudaStreamSynchronize(stream), "waiting for the run (cudaStreamSynchronize)");
}

Status DeviceRunner::reserveArena(int64_t bytes) {
    if (bytes <= mArenaBytes) return Status::ok();
    deviceFree(mAllocator, mArena);
    mArena = nullptr;
    mArenaBytes = 0;
    KILN_RETURN_IF_ERROR(deviceAlloc(mAllocator, &mArena, bytes, std::to_string(bytes) + " bytes of activation memory"));
    mArenaBytes = bytes;
    return Status::ok();
}

Status DeviceRunner::mirrorHostValues(const plan::Plan& plan, const ResolvedShapes& r, cudaStream_t stream) {
    const size_t nT = plan.graph.tensors().size();
    mMirrorOffset.assign(nT, -1);
    int64_t total = 0;
    for (size_t t = 0; t < nT; ++t)
        if (r.storage[t] == Storage::kHOST && r.hostValues[t]) {
            mMirrorOffset[t] = total;
            total = alignUp(total + r.hostValues[t]->ref().bytes());
        }
    if (total > mMirrorBytes) {
        // Shapes changed: the first run after setInputShape may allocate, as TensorRT's does for
        // data-dependent state; later runs with the same shapes never do.
        deviceFree(mAllocator, mMirror);
        mMirror = nullptr;
        mMirrorBytes = 0;
        KILN_RETURN_IF_ERROR(deviceAlloc(mAllocator, &mMirror, total, "the device copy of host-resolved values"));
        mMirrorBytes = total;
    }
    for (size_t t = 0; t < nT; ++t)
        if (mMirrorOffset[t] >= 0) {
            const TensorRef ref = r.hostValues[t]->ref();
            if (ref.bytes() > 0)
                KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(static_cast<uint8_t*>(mMirror) + mMirrorOffset[t], ref.data,
                                                          static_cast<size_t>(ref.bytes()), cudaMemcpyHostToDevice, stream));
        }
    return Status::ok();
}

void* DeviceRunner::deviceAddress(const DeviceWeights& weights, const ResolvedShapes& r, const IoAddresses& io,
                                  void* arena, ir::TensorId t) const {
    return resolvedAddress(r, t, [&](ir::TensorId u) -> void* {
        const auto i = static_cast<size_t>(u);
        switch (r.storage[i]) {
            case Storage::kIO: return io.byTensor[i];
            case Storage::kARENA: return static_cast<uint8_t*>(arena) + r.arenaOffset[i];
            case Storage::kHOST: return mMirrorOffset[i] >= 0 ? static_cast<uint8_t*>(mMirror) + mMirrorOffset[i] : nullptr;
            case Storage::kWEIGHTS: return weights.address(u);
            case Storage::kABSENT:
            case Storage::kVIEW: return nullptr;
        }
        return nullptr;
    });
}

void DeviceRunner::bindNode(const plan::Plan& plan, const DeviceWeights& weights, const ResolvedShapes& r,
                            const IoAddresses& io, void* arena, ir::NodeId i, std::vector<TensorRef>& ins,
                            std::vector<TensorRef>& outs) const {
    const ir::Graph& g = plan.graph;
    // Device address of a tensor; host values stay on the host for shape-input slots (the kernel
    // contract), everything else is read from device memory.
    auto deviceAddress = [&](ir::TensorId t) { return this->deviceAddress(weights, r, io, arena, t); };
    // A view of a network input reads the user's buffer; any other view with host values has them in
    // r.tensors (resolution set them), like host-computed tensors and weights.
    auto hostAddress = [&](ir::TensorId t) -> void* {
        const auto i = static_cast<size_t>(t);
        if (r.storage[i] == Storage::kVIEW && r.storage[static_cast<size_t>(r.viewOf[i])] == Storage::kIO) {
            auto* root = static_cast<uint8_t*>(io.byTensor[static_cast<size_t>(r.viewOf[i])]);
            return root ? root + r.viewOffset[i] : nullptr;
        }
        return r.storage[i] == Storage::kIO ? io.byTensor[i] : const_cast<void*>(r.tensors[i].values);
    };
    const ir::Node& n = g.node(i);
    bindNodeTensors(
        n, r,
        [&](size_t slot, ir::TensorId t) {
            return ir::isShapeInputSlot(n.kind(), slot) ? hostAddress(t) : deviceAddress(t);
        },
        deviceAddress, ins, outs);
}

Status DeviceRunner::enqueue(const plan::Plan& plan, const DeviceWeights& weights, const ResolvedShapes& r,
                             uint64_t resolution, const IoAddresses& io, void* arena, cudaStream_t stream,
                             IProfiler* profiler, std::vector<std::string>* unsupportedNodes) {
    const ir::Graph& g = plan.graph;
    KILN_RETURN_IF_ERROR(prepare());  // a no-op after the first run
    const auto* libraries = static_cast<const cuda::LibraryHandles*>(mLibraries.get());
    if (resolution != mMirrored) {
        KILN_RETURN_IF_ERROR(mirrorHostValues(plan, r, stream));
        mMirrored = resolution;
    }
    // Once per runner (a runner serves one engine's plan): not string compares per node per run.
    if (mKernelTactics.size() != g.nodes().size()) mKernelTactics = kernelTactics(plan);
    auto deviceAddress = [&](ir::TensorId t) { return this->deviceAddress(weights, r, io, arena, t); };
    std::vector<cudaEvent_t> events;
    auto destroyEvents = [&] {
        for (cudaEvent_t e : events) cudaEventDestroy(e);
    };
    std::vector<TensorRef> ins, outs;
    std::vector<ir::NodeId> timed;
    // Profiled runs time device work: a delay kernel first lets the host queue every launch before the GPU
    // reaches them, so the host's launch rate does not show up as layer time.
    if (profiler) KILN_RETURN_IF_ERROR(cuda::enqueueDelay(stream, kProfileDelayUs));
    Status st = Status::ok();
    for (ir::NodeId i = 0; i < static_cast<ir::NodeId>(g.nodes().size()) && st.isOk(); ++i) {
        if (r.nodeDone[static_cast<size_t>(i)]) continue;
        const ir::Node& n = g.node(i);
        bindNode(plan, weights, r, io, arena, i, ins, outs);
        if (profiler) {
            cudaEvent_t e{};
            st = cuda::cudaStatus(cudaEventCreate(&e), "cudaEventCreate");
            if (!st.isOk()) break;
            events.push_back(e);
            cudaEventRecord(e, stream);
            timed.push_back(i);
        }
        cuda::KernelContext kctx{ins, outs, stream, mWorkspace, mWorkspaceBytes, libraries};
        kctx.tactic = mKernelTactics[static_cast<size_t>(i)];
        kctx.allowTf32 = plan.header.tf32;
        st = cuda::runNode(n.attrs, kctx).withContext(g.describeNode(i));
        if (unsupportedNodes && st.code() == ErrorCode::kUNSUPPORTED_STATE) {
            unsupportedNodes->push_back(st.message());
            st = Status::ok();
            continue;
        }
        if (st.isOk()) st = cuda::cudaStatus(cudaGetLastError(), ("launching " + g.describeNode(i)).c_str());
    }
    // Outputs no step wrote: computed during resolution, constants, or inputs passed through.
    for (ir::TensorId t : g.outputs()) {
        if (!st.isOk()) break;
        const auto i = static_cast<size_t>(t);
        if (g.tensor(t).isInput || r.storage[i] == Storage::kIO) continue;
        const auto& d = r.tensors[i];
        const int64_t bytes = storageBytes(d.type, volume(d.shape));
        void* src = deviceAddress(t);
        void* dst = io.byTensor[i];
        if (bytes > 0 && src && dst)
            st = cuda::cudaStatus(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice, stream),
                                  "copying a constant or host-computed output");
    }
    if (profiler && st.isOk() && !events.empty()) {
        cudaEvent_t end{};
        st = cuda::cudaStatus(cudaEventCreate(&end), "cudaEventCreate");
        if (st.isOk()) {
            events.push_back(end);
            cudaEventRecord(end, stream);
            st = cuda::cudaStatus(cudaEventSynchronize(end), "waiting for the profiled run");
        }
        for (size_t k = 0; st.isOk() && k + 1 < events.size(); ++k) {
            float ms = 0.f;
            cudaEventElapsedTime(&ms, events[k], events[k + 1]);
            profiler->reportLayerTime(g.node(timed[k]).name.c_str(), ms);
        }
    }
    destroyEvents();
    return st;
}

#else  // !KILN_HAS_CUDA

namespace {
Status noCuda() {
    return unsupported("this Kiln was built without CUDA: GPU plans cannot run here; rebuild the plan for target 'cpu'");
}
}  // namespace

StatusOr<std::unique_ptr<DeviceWeights>> DeviceWeights::upload(const plan::Plan&, IGpuAllocator*) { return noCuda(); }
DeviceWeights::~DeviceWeights() = default;
void* DeviceWeights::address(ir::TensorId) const { return nullptr; }
DeviceRunner::~DeviceRunner() = default;
StatusOr<cudaStream_t> DeviceRunner::ownStream() { return noCuda(); }
Status DeviceRunner::synchronize(cudaStream_t) { return noCuda(); }
Status DeviceRunner::reserveArena(int64_t) { return noCuda(); }
Status DeviceRunner::prepare(int64_t) { return noCuda(); }
void* DeviceRunner::deviceAddress(const DeviceWeights&, const ResolvedShapes&, const IoAddresses&, void*,
                                  ir::TensorId) const {
    return nullptr;
}
void DeviceRunner::bindNode(const plan::Plan&, const DeviceWeights&, const ResolvedShapes&, const IoAddresses&, void*,
                            ir::NodeId, std::vector<TensorRef>&, std::vector<TensorRef>&) const {}
Status DeviceRunner::mirrorHostValues(const plan::Plan&, const ResolvedShapes&, cudaStream_t) { return noCuda(); }
Status DeviceRunner::enqueue(const plan::Plan&, const DeviceWeights&, const ResolvedShapes&, uint64_t, const IoAddresses&,
                             void*, cudaStream_t, IProfiler*, std::vector<std::string>*) {
    return noCuda();
}

#endif

}  // namespace kiln::runtime
