// EngineImpl and ContextImpl (see engine.h).
#include "runtime/engine.h"

#include <chrono>
#include <cstring>
#include <new>

#include "backends/device_info.h"
#include "backends/reference/kernels.h"

namespace kiln::runtime {

// ---- engine ----------------------------------------------------------------------------------------

EngineImpl::EngineImpl(plan::Plan plan, std::vector<uint8_t> bytes, ILogger* logger)
    : mPlan(std::move(plan)), mBytes(std::move(bytes)), mLogger(logger) {
    const ir::Graph& g = mPlan.graph;
    for (ir::TensorId t : g.inputs()) mIO.push_back(t);
    for (ir::TensorId t : g.outputs())
        if (!g.tensor(t).isInput) mIO.push_back(t);
    for (const ir::Node& n : g.nodes())
        if (const auto* c = std::get_if<ir::ConstantAttrs>(&n.attrs); c && c->data)
            mWeightsSize += static_cast<int64_t>(c->data->size());
    mShapeInputs = findShapeInputs(mPlan);
    mOnDevice = mPlan.header.target != "cpu";
    std::vector<Dims> shapes;
    bool allStatic = true;
    for (size_t k = 0; k < g.inputs().size(); ++k) {
        shapes.push_back(g.tensor(g.inputs()[k]).shape);
        allStatic = allStatic && isFullyKnown(shapes.back()) && !mShapeInputs[k];
    }
    if (allStatic) {
        ThreadPool pool(1);
        auto r = resolveShapes(mPlan, shapes, {}, pool);
        mStaticArenaSize = r.isOk() ? (*r)->arenaSize : 0;
    }
}

Status EngineImpl::initDevice(IGpuAllocator* allocator) {
    if (!mOnDevice || mDeviceWeights) return Status::ok();
    mAllocator = allocator;
    KILN_RETURN_IF_ERROR(checkPlanDevice(mPlan.header, 0));
    const std::string drift = libraryVersionDrift(mPlan.header, backends::cudnnLibraryVersion(),
                                                  backends::cublasLtLibraryVersion());
    if (!drift.empty() && mLogger) mLogger->log(ILogger::Severity::kWARNING, drift.c_str());
    KILN_ASSIGN_OR_RETURN(mDeviceWeights, DeviceWeights::upload(mPlan, allocator));
    return Status::ok();
}

int32_t EngineImpl::ioIndex(const char* name) const {
    if (!name) return -1;
    for (size_t i = 0; i < mIO.size(); ++i)
        if (mPlan.graph.tensor(mIO[i]).name == name) return static_cast<int32_t>(i);
    return -1;
}

const char* EngineImpl::getIOTensorName(int32_t index) const noexcept {
    if (index < 0 || index >= getNbIOTensors()) return nullptr;
    return mPlan.graph.tensor(mIO[static_cast<size_t>(index)]).name.c_str();
}

TensorIOMode EngineImpl::getTensorIOMode(const char* tensorName) const noexcept {
    int32_t i = ioIndex(tensorName);
    if (i < 0) return TensorIOMode::kNONE;
    return mPlan.graph.tensor(mIO[static_cast<size_t>(i)]).isInput ? TensorIOMode::kINPUT : TensorIOMode::kOUTPUT;
}

Dims EngineImpl::getTensorShape(const char* tensorName) const noexcept {
    int32_t i = ioIndex(tensorName);
    if (i < 0) {
        Dims d;
        d.nbDims = -1;
        return d;
    }
    return mPlan.graph.tensor(mIO[static_cast<size_t>(i)]).shape;
}

DataType EngineImpl::getTensorDataType(const char* tensorName) const noexcept {
    int32_t i = ioIndex(tensorName);
    return i < 0 ? DataType::kFLOAT : mPlan.graph.tensor(mIO[static_cast<size_t>(i)]).type;
}

TensorLocation EngineImpl::getTensorLocation(const char* tensorName) const noexcept {
    // CPU plans: every tensor lives in (host) "device" memory. GPU plans: shape-tensor inputs are read on
    // the host when shapes are resolved, as in TensorRT; everything else is device memory.
    const int32_t i = ioIndex(tensorName);
    if (mOnDevice && i >= 0 && static_cast<size_t>(i) < mShapeInputs.size() && mShapeInputs[static_cast<size_t>(i)])
        return TensorLocation::kHOST;
    return TensorLocation::kDEVICE;
}

IExecutionContext* EngineImpl::createExecutionContext(ExecutionContextAllocationStrategy strategy) noexcept {
    return new (std::nothrow) ContextImpl(*this, strategy);
}

// ---- context ---------------------------------------------------------------------------------------

ContextImpl::ContextImpl(const EngineImpl& engine, ExecutionContextAllocationStrategy strategy)
    : mEngine(engine), mStrategy(strategy), mReporter(engine.logger()), mPool(0), mDevice(engine.gpuAllocator()) {
    const auto n = static_cast<size_t>(engine.getNbIOTensors());
    mInputShapes.resize(n);
    mAddresses.assign(n, nullptr);
    for (size_t i = 0; i < n; ++i) mInputShapes[i] = engine.plan().graph.tensor(engine.ioTensor(static_cast<int32_t>(i))).shape;
}

ContextImpl::~ContextImpl() = default;

std::string ContextImpl::ioName(int32_t i) const { return mEngine.getIOTensorName(i); }

bool ContextImpl::setInputShape(const char* tensorName, Dims const& dims) noexcept {
    int32_t i = mEngine.ioIndex(tensorName);
    if (i < 0 || mEngine.getTensorIOMode(tensorName) != TensorIOMode::kINPUT)
        return mReporter.error(ErrorCode::kINVALID_ARGUMENT, std::string("setInputShape: '") + (tensorName ? tensorName : "(null)") +
                                                                 "' is not an input of this engine");
    const Dims& declared = mEngine.plan().graph.tensor(mEngine.ioTensor(i)).shape;
    bool ok = dims.nbDims == declared.nbDims;
    for (int k = 0; ok && k < dims.nbDims; ++k) ok = dims.d[k] >= 0 && (declared.d[k] < 0 || declared.d[k] == dims.d[k]);
    if (!ok)
        return mReporter.error(ErrorCode::kINVALID_ARGUMENT, "setInputShape: input '" + std::string(tensorName) + "' was built with shape " +
                                                                 toString(declared) + "; " + toString(dims) +
                                                                 " does not match it (only -1 dimensions may be chosen at run time)");
    if (mInputShapes[static_cast<size_t>(i)] != dims) {
        mInputShapes[static_cast<size_t>(i)] = dims;
        mResolved.reset();
    }
    return true;
}

bool ContextImpl::allInputDimensionsSpecified() const noexcept {
    for (int32_t i = 0; i < mEngine.getNbIOTensors(); ++i)
        if (mEngine.getTensorIOMode(mEngine.getIOTensorName(i)) == TensorIOMode::kINPUT &&
            !isFullyKnown(mInputShapes[static_cast<size_t>(i)]))
            return false;
    return true;
}

Status ContextImpl::refreshShapeInputValues() {
    const ir::Graph& g = mEngine.plan().graph;
    mShapeInputValues.resize(g.inputs().size());
    for (size_t k = 0; k < g.inputs().size(); ++k) {
        if (!mEngine.shapeInputs()[k]) continue;
        // Graph inputs come first in I/O order.
        const auto io = static_cast<int32_t>(k);
        const void* src = mAddresses[k];
        const Dims& shape = mInputShapes[k];
        int64_t bytes = storageBytes(g.tensor(g.inputs()[k]).type, volume(shape));
        if (!src && bytes > 0)
            return invalidState("input '" + ioName(io) + "' is a shape tensor (its values decide output shapes): set its address before asking for shapes or running");
        const auto* p = static_cast<const uint8_t*>(src);
        std::vector<uint8_t> now(p, p + std::max<int64_t>(bytes, 0));
        if (now != mShapeInputValues[k]) {
            mShapeInputValues[k] = std::move(now);
            mResolved.reset();
        }
    }
    return Status::ok();
}

Status ContextImpl::ensureResolved() {
    KILN_RETURN_IF_ERROR(refreshShapeInputValues());
    if (mResolved) return Status::ok();
    const ir::Graph& g = mEngine.plan().graph;
    std::vector<Dims> shapes;
    std::vector<const void*> values;
    for (size_t k = 0; k < g.inputs().size(); ++k) {
        shapes.push_back(mInputShapes[k]);
        values.push_back(mEngine.shapeInputs()[k] ? mShapeInputValues[k].data() : nullptr);
    }
    KILN_ASSIGN_OR_RETURN(mResolved, resolveShapes(mEngine.plan(), shapes, values, mPool));
    ++mResolutions;
    // A GPU context allocates its own activation memory here, when shapes are resolved, so that enqueue
    // does not (it only does when resolution itself happens inside enqueue).
    if (mEngine.onDevice()) {
        KILN_RETURN_IF_ERROR(mDevice.prepare(mEngine.plan().header.workspaceBytes));
        if (mStrategy != ExecutionContextAllocationStrategy::kUSER_MANAGED)
            KILN_RETURN_IF_ERROR(mDevice.reserveArena(mResolved->arenaSize));
    }
    return Status::ok();
}

Dims ContextImpl::getTensorShape(const char* tensorName) const noexcept {
    int32_t i = mEngine.ioIndex(tensorName);
    Dims unknown;
    unknown.nbDims = -1;
    if (i < 0) return unknown;
    if (mEngine.getTensorIOMode(tensorName) == TensorIOMode::kINPUT) return mInputShapes[static_cast<size_t>(i)];
    if (!allInputDimensionsSpecified()) return mEngine.getTensorShape(tensorName);
    auto* self = const_cast<ContextImpl*>(this);
    Status st = self->ensureResolved();
    if (!st.isOk()) {
        mReporter.report(st);
        return unknown;
    }
    return mResolved->tensors[static_cast<size_t>(mEngine.ioTensor(i))].shape;
}

bool ContextImpl::setTensorAddress(const char* tensorName, void* data) noexcept {
    int32_t i = mEngine.ioIndex(tensorName);
    if (i < 0)
        return mReporter.error(ErrorCode::kINVALID_ARGUMENT, std::string("setTensorAddress: '") + (tensorName ? tensorName : "(null)") +
                                                                 "' is not an I/O tensor of this engine");
    mAddresses[static_cast<size_t>(i)] = data;
    return true;
}

const void* ContextImpl::getTensorAddress(const char* tensorName) const noexcept {
    int32_t i = mEngine.ioIndex(tensorName);
    return i < 0 ? nullptr : mAddresses[static_cast<size_t>(i)];
}

bool ContextImpl::setInputTensorAddress(const char* tensorName, void const* data) noexcept {
    if (mEngine.getTensorIOMode(tensorName) != TensorIOMode::kINPUT)
        return mReporter.error(ErrorCode::kINVALID_ARGUMENT, std::string("setInputTensorAddress: '") + (tensorName ? tensorName : "(null)") +
                                                                 "' is not an input of this engine");
    return setTensorAddress(tensorName, const_cast<void*>(data));
}

void ContextImpl::setDeviceMemoryV2(void* memory, int64_t size) noexcept {
    if (mStrategy != ExecutionContextAllocationStrategy::kUSER_MANAGED) {
        mReporter.error(ErrorCode::kINVALID_STATE, "setDeviceMemoryV2: this context allocates its own memory; create it with kUSER_MANAGED to give memory");
        return;
    }
    mUserArena = memory;
    mUserArenaSize = size;
}

int64_t ContextImpl::getDeviceMemorySizeForCurrentShapes() const noexcept {
    if (!allInputDimensionsSpecified()) return -1;
    Status st = const_cast<ContextImpl*>(this)->ensureResolved();
    if (!st.isOk()) {
        mReporter.report(st);
        return -1;
    }
    return mResolved->arenaSize;
}

bool ContextImpl::enqueueV3(cudaStream_t stream) noexcept {
    if (!mEngine.onDevice() && stream != nullptr)
        return mReporter.error(ErrorCode::kINVALID_ARGUMENT, "enqueueV3: this is a CPU plan ('" + std::string(mEngine.getTarget()) +
                                                                 "'); it runs on the calling thread, so pass a null stream");
    return mReporter.report(execute(stream).withContext("enqueueV3"));
}

bool ContextImpl::executeV2(void* const* bindings) noexcept {
    if (!bindings) return mReporter.error(ErrorCode::kINVALID_ARGUMENT, "executeV2: bindings is null");
    for (int32_t i = 0; i < mEngine.getNbIOTensors(); ++i) mAddresses[static_cast<size_t>(i)] = bindings[i];
    if (!mEngine.onDevice()) return mReporter.report(execute(nullptr).withContext("executeV2"));
    Status st = [&]() -> Status {
        KILN_ASSIGN_OR_RETURN(cudaStream_t stream, mDevice.ownStream());
        KILN_RETURN_IF_ERROR(execute(stream));
        return DeviceRunner::synchronize(stream);
    }();
    return mReporter.report(st.withContext("executeV2"));
}

StatusOr<void*> ContextImpl::arenaFor(int64_t bytes) {
    if (bytes <= 0) return static_cast<void*>(nullptr);
    if (mStrategy == ExecutionContextAllocationStrategy::kUSER_MANAGED) {
        if (!mUserArena || mUserArenaSize < bytes)
            return invalidState("this context needs " + std::to_string(bytes) +
                                " bytes of activation memory for these shapes; setDeviceMemoryV2 gave " +
                                std::to_string(mUserArena ? mUserArenaSize : 0));
        return mUserArena;
    }
    if (mEngine.onDevice()) {
        KILN_RETURN_IF_ERROR(mDevice.reserveArena(bytes));
        return mDevice.ownArena();
    }
    if (static_cast<int64_t>(mOwnedArena.size()) < bytes) {
        try {
            mOwnedArena.resize(static_cast<size_t>(bytes));
        } catch (const std::bad_alloc&) {
            return allocationFailed("could not allocate " + std::to_string(bytes) + " bytes of activation memory");
        }
    }
    return static_cast<void*>(mOwnedArena.data());
}

Status ContextImpl::executeOnDevice(cudaStream_t stream) {
    const ResolvedShapes& r = *mResolved;
    const ir::Graph& g = mEngine.plan().graph;
    IoAddresses io;
    io.byTensor.assign(g.tensors().size(), nullptr);
    for (int32_t i = 0; i < mEngine.getNbIOTensors(); ++i)
        io.byTensor[static_cast<size_t>(mEngine.ioTensor(i))] = mAddresses[static_cast<size_t>(i)];
    KILN_ASSIGN_OR_RETURN(void* arena, arenaFor(r.arenaSize));
    if (!mEngine.deviceWeights()) return internalError("GPU plan without device weights (initDevice was not called)");
    return mDevice.enqueue(mEngine.plan(), *mEngine.deviceWeights(), r, mResolutions, io, arena, stream, mProfiler);
}

Status ContextImpl::execute(cudaStream_t stream) {
    const ir::Graph& g = mEngine.plan().graph;
    for (int32_t i = 0; i < mEngine.getNbIOTensors(); ++i) {
        if (mEngine.getTensorIOMode(mEngine.getIOTensorName(i)) == TensorIOMode::kINPUT && !isFullyKnown(mInputShapes[static_cast<size_t>(i)]))
            return invalidState("input '" + ioName(i) + "' has dynamic shape " + toString(mInputShapes[static_cast<size_t>(i)]) +
                                "; call setInputShape first");
    }
    KILN_RETURN_IF_ERROR(ensureResolved());
    const ResolvedShapes& r = *mResolved;
    // Every I/O tensor with bytes needs an address.
    std::vector<int32_t> ioOfTensor(g.tensors().size(), -1);
    for (int32_t i = 0; i < mEngine.getNbIOTensors(); ++i) {
        ir::TensorId t = mEngine.ioTensor(i);
        ioOfTensor[static_cast<size_t>(t)] = i;
        const auto& d = r.tensors[static_cast<size_t>(t)];
        if (mAddresses[static_cast<size_t>(i)] == nullptr && volume(d.shape) > 0)
            return invalidState("no address for I/O tensor '" + ioName(i) + "'; call setTensorAddress first");
    }
    if (mEngine.onDevice()) return executeOnDevice(stream);
    KILN_ASSIGN_OR_RETURN(void* arenaMemory, arenaFor(r.arenaSize));
    auto* arena = static_cast<uint8_t*>(arenaMemory);
    // A view reads its root's bytes from an offset; roots are never views themselves.
    auto storageOf = [&](ir::TensorId t) -> void* {
        switch (r.storage[static_cast<size_t>(t)]) {
            case Storage::kIO: return mAddresses[static_cast<size_t>(ioOfTensor[static_cast<size_t>(t)])];
            case Storage::kARENA: return arena + r.arenaOffset[static_cast<size_t>(t)];
            case Storage::kHOST: return r.hostValues[static_cast<size_t>(t)]->data();
            case Storage::kWEIGHTS: return const_cast<void*>(r.tensors[static_cast<size_t>(t)].values);
            case Storage::kABSENT:
            case Storage::kVIEW: return nullptr;
        }
        return nullptr;
    };
    auto addressOf = [&](ir::TensorId t) { return resolvedAddress(r, t, storageOf); };
    std::vector<TensorRef> ins, outs;
    for (ir::NodeId i = 0; i < static_cast<ir::NodeId>(g.nodes().size()); ++i) {
        if (r.nodeDone[static_cast<size_t>(i)]) continue;
        const ir::Node& n = g.node(i);
        bindNodeTensors(n, r, [&](size_t, ir::TensorId t) { return addressOf(t); }, addressOf, ins, outs);
        reference::KernelContext kctx{ins, outs, &mPool};
        auto start = std::chrono::steady_clock::now();
        KILN_RETURN_IF_ERROR(reference::runNode(n.attrs, kctx).withContext(g.describeNode(i)));
        if (mProfiler) {
            std::chrono::duration<float, std::milli> ms = std::chrono::steady_clock::now() - start;
            mProfiler->reportLayerTime(n.name.c_str(), ms.count());
        }
    }
    // Outputs that were not written by a step (computed during resolution, constants, or inputs).
    for (ir::TensorId t : g.outputs()) {
        Storage s = r.storage[static_cast<size_t>(t)];
        void* dst = mAddresses[static_cast<size_t>(ioOfTensor[static_cast<size_t>(t)])];
        if (g.tensor(t).isInput || s == Storage::kIO) continue;
        const auto& d = r.tensors[static_cast<size_t>(t)];
        int64_t bytes = storageBytes(d.type, volume(d.shape));
        void* src = addressOf(t);
        if (bytes > 0 && src && dst) std::memcpy(dst, src, static_cast<size_t>(bytes));
    }
    return Status::ok();
}

}  // namespace kiln::runtime
