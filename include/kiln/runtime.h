/// @file runtime.h
/// IRuntime, ICudaEngine and IExecutionContext: loading a plan and running it, as in TensorRT.
/// The names say "Cuda" for porting ease; the same interfaces run CPU plans, where device memory means
/// host memory and enqueueV3 executes before it returns.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kiln/error_recorder.h"
#include "kiln/logger.h"
#include "kiln/types.h"

struct CUstream_st;
using cudaStream_t = CUstream_st*;

namespace kiln {

class IExecutionContext;
class IEngineInspector;
class IHostMemory;

enum class ExecutionContextAllocationStrategy : int32_t {
    kSTATIC = 0,             ///< the context allocates the largest memory it may need once
    kON_PROFILE_CHANGE = 1,  ///< the context reallocates when input shapes change
    kUSER_MANAGED = 2,       ///< the user gives memory with setDeviceMemoryV2
};

/// Receives per-layer times after each execution (setProfiler).
class IProfiler {
public:
    virtual void reportLayerTime(const char* layerName, float ms) noexcept = 0;
    virtual ~IProfiler() = default;
};

/// A deserialized plan. Thread-safe: contexts may be created and used from several threads.
class ICudaEngine {
public:
    virtual int32_t getNbIOTensors() const noexcept = 0;
    virtual const char* getIOTensorName(int32_t index) const noexcept = 0;
    virtual TensorIOMode getTensorIOMode(const char* tensorName) const noexcept = 0;
    /// Declared shape; -1 for dims set at run time with IExecutionContext::setInputShape.
    virtual Dims getTensorShape(const char* tensorName) const noexcept = 0;
    virtual DataType getTensorDataType(const char* tensorName) const noexcept = 0;
    virtual TensorLocation getTensorLocation(const char* tensorName) const noexcept = 0;
    virtual int32_t getNbLayers() const noexcept = 0;
    virtual IExecutionContext* createExecutionContext(
        ExecutionContextAllocationStrategy strategy = ExecutionContextAllocationStrategy::kSTATIC) noexcept = 0;
    /// Activation memory a context needs at the declared shapes (bytes); for dynamic shapes, the
    /// context reports its own need with IExecutionContext::getDeviceMemorySizeForCurrentShapes.
    virtual int64_t getDeviceMemorySizeV2() const noexcept = 0;
    virtual std::size_t getDeviceMemorySize() const noexcept = 0;
    /// Memory the weights occupy (bytes).
    virtual int64_t getWeightsSize() const noexcept = 0;
    virtual IHostMemory* serialize() const noexcept = 0;
    virtual IEngineInspector* createEngineInspector() const noexcept = 0;
    virtual const char* getName() const noexcept = 0;
    /// Kiln: "cpu" or "sm_90"-style target the plan was built for.
    virtual const char* getTarget() const noexcept = 0;
    virtual ~ICudaEngine() = default;
};

/// Per-execution state: shapes, addresses, activation memory. Use one context per thread at a time.
class IExecutionContext {
public:
    virtual const ICudaEngine& getEngine() const noexcept = 0;
    virtual void setName(const char* name) noexcept = 0;
    virtual const char* getName() const noexcept = 0;
    virtual bool setInputShape(const char* tensorName, Dims const& dims) noexcept = 0;
    /// Shape of an I/O tensor for the current input shapes (-1 where still unknown).
    virtual Dims getTensorShape(const char* tensorName) const noexcept = 0;
    virtual bool allInputDimensionsSpecified() const noexcept = 0;
    virtual bool setTensorAddress(const char* tensorName, void* data) noexcept = 0;
    virtual const void* getTensorAddress(const char* tensorName) const noexcept = 0;
    virtual bool setInputTensorAddress(const char* tensorName, void const* data) noexcept = 0;
    /// Runs the plan with the addresses set by setTensorAddress. On a CUDA plan it is asynchronous on
    /// `stream`; on a CPU plan it runs before returning and `stream` must be null.
    virtual bool enqueueV3(cudaStream_t stream) noexcept = 0;
    /// Synchronous run; `bindings[i]` is the address of I/O tensor i (engine order).
    virtual bool executeV2(void* const* bindings) noexcept = 0;
    /// For kUSER_MANAGED contexts: memory of at least getDeviceMemorySizeForCurrentShapes bytes.
    virtual void setDeviceMemoryV2(void* memory, int64_t size) noexcept = 0;
    virtual int64_t getDeviceMemorySizeForCurrentShapes() const noexcept = 0;
    virtual void setProfiler(IProfiler* profiler) noexcept = 0;
    virtual IProfiler* getProfiler() const noexcept = 0;
    virtual void setErrorRecorder(IErrorRecorder* recorder) noexcept = 0;
    virtual IErrorRecorder* getErrorRecorder() const noexcept = 0;
    virtual ~IExecutionContext() = default;
};

/// Layer and engine descriptions, as TensorRT's IEngineInspector (JSON).
class IEngineInspector {
public:
    /// JSON object for layer `layerIndex`: name, op, inputs/outputs with types and shapes, tactic,
    /// attributes.
    virtual const char* getLayerInformation(int32_t layerIndex) const noexcept = 0;
    /// JSON object: target, versions, I/O tensors and every layer.
    virtual const char* getEngineInformation() const noexcept = 0;
    virtual ~IEngineInspector() = default;
};

/// Loads plans.
/// TensorRT's IGpuAllocator (the asynchronous form of TensorRT 10): where Kiln gets device memory for GPU
/// plans — the engine's weights, each context's activation arena, library workspace and mirror of
/// host-resolved values. Kiln allocates outside enqueue and passes a null stream (the memory is used on
/// streams the context picks later). Return null when the memory cannot be had; Kiln reports it. Set it on
/// the runtime before deserializing; it must outlive every engine and context made from that runtime.
class IGpuAllocator {
public:
    /// `size` bytes aligned to at least `alignment` (a power of two), or null.
    virtual void* allocateAsync(uint64_t size, uint64_t alignment, uint32_t flags, cudaStream_t stream) noexcept = 0;
    /// Frees memory from allocateAsync; false when `memory` is not one of its allocations.
    virtual bool deallocateAsync(void* memory, cudaStream_t stream) noexcept = 0;
    virtual ~IGpuAllocator() = default;
};

class IRuntime {
public:
    /// Device memory for the engines this runtime makes from now on; null restores cudaMalloc/cudaFree.
    virtual void setGpuAllocator(IGpuAllocator* allocator) noexcept = 0;
    /// Verifies and loads a plan; null (after reporting why) for a corrupt, truncated or foreign plan or
    /// one built for another target.
    virtual ICudaEngine* deserializeCudaEngine(void const* blob, std::size_t size) noexcept = 0;
    virtual void setErrorRecorder(IErrorRecorder* recorder) noexcept = 0;
    virtual IErrorRecorder* getErrorRecorder() const noexcept = 0;
    virtual ILogger* getLogger() const noexcept = 0;
    virtual ~IRuntime() = default;
};

IRuntime* createInferRuntime(ILogger& logger) noexcept;

}  // namespace kiln
