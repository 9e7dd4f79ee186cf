// EngineImpl (ICudaEngine) and ContextImpl (IExecutionContext) for CPU and GPU plans. The engine owns the
// plan (weights live once: in the plan's Constant nodes, and for a GPU plan in one device copy uploaded
// by initDevice); each context owns its shapes, its activation arena and a thread pool (CPU) or device
// state (GPU), so contexts run concurrently without sharing mutable state.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/reporter.h"
#include "common/thread_pool.h"
#include "ir/infer.h"
#include "kiln/runtime.h"
#include "plan/plan.h"
#include "runtime/device_runner.h"
#include "runtime/shape_resolver.h"

namespace kiln::runtime {

class EngineImpl final : public ICudaEngine {
public:
    EngineImpl(plan::Plan plan, std::vector<uint8_t> bytes, ILogger* logger);

    int32_t getNbIOTensors() const noexcept override { return static_cast<int32_t>(mIO.size()); }
    const char* getIOTensorName(int32_t index) const noexcept override;
    TensorIOMode getTensorIOMode(const char* tensorName) const noexcept override;
    Dims getTensorShape(const char* tensorName) const noexcept override;
    DataType getTensorDataType(const char* tensorName) const noexcept override;
    TensorLocation getTensorLocation(const char* tensorName) const noexcept override;
    int32_t getNbLayers() const noexcept override { return static_cast<int32_t>(mPlan.graph.nodes().size()); }
    IExecutionContext* createExecutionContext(ExecutionContextAllocationStrategy strategy) noexcept override;
    int64_t getDeviceMemorySizeV2() const noexcept override { return mStaticArenaSize; }
    std::size_t getDeviceMemorySize() const noexcept override {
        return static_cast<std::size_t>(std::max<int64_t>(0, mStaticArenaSize));
    }
    int64_t getWeightsSize() const noexcept override { return mWeightsSize; }
    IHostMemory* serialize() const noexcept override;
    IEngineInspector* createEngineInspector() const noexcept override;
    const char* getName() const noexcept override { return "kiln-engine"; }
    const char* getTarget() const noexcept override { return mPlan.header.target.c_str(); }

    /// GPU plans: checks the device and uploads the weights with `allocator` (cudaMalloc when null), which
    /// contexts use too; call once before creating contexts.
    Status initDevice(IGpuAllocator* allocator = nullptr);
    IGpuAllocator* gpuAllocator() const { return mAllocator; }
    bool onDevice() const { return mOnDevice; }
    const DeviceWeights* deviceWeights() const { return mDeviceWeights.get(); }
    const plan::Plan& plan() const { return mPlan; }
    /// Index into mIO of a tensor name, or -1.
    int32_t ioIndex(const char* name) const;
    /// Graph tensor id of I/O tensor i.
    ir::TensorId ioTensor(int32_t i) const { return mIO[static_cast<size_t>(i)]; }
    ILogger* logger() const { return mLogger; }
    /// Per graph input (graph.inputs() order): whether its values decide shapes (see findShapeInputs).
    const std::vector<bool>& shapeInputs() const { return mShapeInputs; }

private:
    plan::Plan mPlan;
    std::vector<uint8_t> mBytes;  // the plan as loaded, for serialize()
    std::vector<ir::TensorId> mIO;  // inputs then outputs, in network order
    int64_t mStaticArenaSize{0};   // at the declared shapes; 0 when some input dim is dynamic
    int64_t mWeightsSize{0};
    std::vector<bool> mShapeInputs;
    ILogger* mLogger;
    bool mOnDevice{false};  ///< a GPU plan (target "sm_XY")
    IGpuAllocator* mAllocator{nullptr};
    std::unique_ptr<DeviceWeights> mDeviceWeights;
};

class ContextImpl final : public IExecutionContext {
public:
    ContextImpl(const EngineImpl& engine, ExecutionContextAllocationStrategy strategy);
    ~ContextImpl() override;

    const ICudaEngine& getEngine() const noexcept override { return mEngine; }
    void setName(const char* name) noexcept override { mName = name ? name : ""; }
    const char* getName() const noexcept override { return mName.c_str(); }
    bool setInputShape(const char* tensorName, Dims const& dims) noexcept override;
    Dims getTensorShape(const char* tensorName) const noexcept override;
    bool allInputDimensionsSpecified() const noexcept override;
    bool setTensorAddress(const char* tensorName, void* data) noexcept override;
    const void* getTensorAddress(const char* tensorName) const noexcept override;
    bool setInputTensorAddress(const char* tensorName, void const* data) noexcept override;
    bool enqueueV3(cudaStream_t stream) noexcept override;
    bool executeV2(void* const* bindings) noexcept override;
    void setDeviceMemoryV2(void* memory, int64_t size) noexcept override;
    int64_t getDeviceMemorySizeForCurrentShapes() const noexcept override;
    void setProfiler(IProfiler* profiler) noexcept override { mProfiler = profiler; }
    IProfiler* getProfiler() const noexcept override { return mProfiler; }
    void setErrorRecorder(IErrorRecorder* recorder) noexcept override { mReporter.setRecorder(recorder); }
    IErrorRecorder* getErrorRecorder() const noexcept override { return mReporter.recorder(); }

private:
    Status execute(cudaStream_t stream);
    Status executeOnDevice(cudaStream_t stream);
    /// The activation memory for the current resolution: the user's (kUSER_MANAGED) or the context's own.
    StatusOr<void*> arenaFor(int64_t bytes);
    Status ensureResolved();
    /// Compares shape-input values with those of the last resolution; drops it when they differ. Fails
    /// when a shape input has no address.
    Status refreshShapeInputValues();
    std::string ioName(int32_t i) const;

    const EngineImpl& mEngine;
    ExecutionContextAllocationStrategy mStrategy;
    Reporter mReporter;
    std::string mName;
    std::vector<Dims> mInputShapes;          // per I/O index (inputs only meaningful)
    std::vector<void*> mAddresses;           // per I/O index
    std::unique_ptr<ResolvedShapes> mResolved;  // null when input shapes changed since last resolution
    std::vector<std::vector<uint8_t>> mShapeInputValues;  // per graph input: values resolution used
    std::vector<uint8_t> mOwnedArena;
    void* mUserArena{nullptr};
    int64_t mUserArenaSize{0};
    IProfiler* mProfiler{nullptr};
    ThreadPool mPool;
    uint64_t mResolutions{0};     // resolutions made so far; names the current one for the device mirror
    DeviceRunner mDevice;         // GPU plans only
};

}  // namespace kiln::runtime
