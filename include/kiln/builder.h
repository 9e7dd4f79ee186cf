/// @file builder.h
/// IBuilder, IBuilderConfig and IHostMemory: turning a network into a serialized plan, as in TensorRT.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kiln/error_recorder.h"
#include "kiln/logger.h"
#include "kiln/network.h"
#include "kiln/types.h"

namespace kiln {

/// Bytes owned by Kiln (a serialized plan). Release with `delete`.
class IHostMemory {
public:
    virtual void* data() const noexcept = 0;
    virtual std::size_t size() const noexcept = 0;
    virtual DataType type() const noexcept = 0;
    virtual ~IHostMemory() = default;
};

/// Builder flags. Values match TensorRT 10 where the flag exists there.
enum class BuilderFlag : int32_t {
    kFP16 = 0,
    kINT8 = 1,
    kDEBUG = 2,
    kGPU_FALLBACK = 3,
    kREFIT = 5,
    kDISABLE_TIMING_CACHE = 6,
    kTF32 = 7,
    kSPARSE_WEIGHTS = 8,
    kOBEY_PRECISION_CONSTRAINTS = 10,
    kPREFER_PRECISION_CONSTRAINTS = 11,
    kDIRECT_IO = 12,
    kVERSION_COMPATIBLE = 14,
    kFP8 = 17,
    kBF16 = 19,
    kSTRIP_PLAN = 21,
    kDETERMINISTIC = 30,  ///< Kiln: tactic choice and outputs do not depend on timing noise
};
constexpr int32_t kNB_BUILDER_FLAGS = 31;
using BuilderFlags = uint32_t;

enum class MemoryPoolType : int32_t {
    kWORKSPACE = 0,  ///< scratch memory a kernel may use; default: the device's total memory
};

enum class ProfilingVerbosity : int32_t { kLAYER_NAMES_ONLY = 0, kNONE = 1, kDETAILED = 2 };

/// Build settings.
class IBuilderConfig {
public:
    virtual void setFlags(BuilderFlags builderFlags) noexcept = 0;
    virtual BuilderFlags getFlags() const noexcept = 0;
    virtual void setFlag(BuilderFlag builderFlag) noexcept = 0;
    virtual void clearFlag(BuilderFlag builderFlag) noexcept = 0;
    virtual bool getFlag(BuilderFlag builderFlag) const noexcept = 0;

    virtual void setMemoryPoolLimit(MemoryPoolType pool, std::size_t poolSize) noexcept = 0;
    virtual std::size_t getMemoryPoolLimit(MemoryPoolType pool) const noexcept = 0;

    /// Kiln: the device the plan is built for: "cpu" or "cuda:N". Returns false (and logs) for an
    /// unknown or absent device.
    virtual bool setTargetDevice(const char* device) noexcept = 0;
    virtual const char* getTargetDevice() const noexcept = 0;

    virtual void setBuilderOptimizationLevel(int32_t level) noexcept = 0;
    virtual int32_t getBuilderOptimizationLevel() const noexcept = 0;
    virtual void setAvgTimingIterations(int32_t avgTiming) noexcept = 0;
    virtual int32_t getAvgTimingIterations() const noexcept = 0;
    virtual void setProfilingVerbosity(ProfilingVerbosity verbosity) noexcept = 0;
    virtual ProfilingVerbosity getProfilingVerbosity() const noexcept = 0;

    virtual ~IBuilderConfig() = default;
};

/// Creates networks and configs and builds plans.
class IBuilder {
public:
    /// `flags`: bits of NetworkDefinitionCreationFlag (0 for a default, explicit-batch network).
    virtual INetworkDefinition* createNetworkV2(uint32_t flags) noexcept = 0;
    virtual IBuilderConfig* createBuilderConfig() noexcept = 0;
    /// Optimizes `network` for `config`'s target and returns the serialized plan, or null after
    /// reporting why.
    virtual IHostMemory* buildSerializedNetwork(INetworkDefinition& network, IBuilderConfig& config) noexcept = 0;
    /// True if `network` would build with `config` (same checks, no plan written).
    virtual bool isNetworkSupported(INetworkDefinition const& network, IBuilderConfig const& config) const noexcept = 0;
    virtual bool platformHasFastFp16() const noexcept = 0;
    virtual bool platformHasTf32() const noexcept = 0;
    virtual void setErrorRecorder(IErrorRecorder* recorder) noexcept = 0;
    virtual IErrorRecorder* getErrorRecorder() const noexcept = 0;
    virtual ILogger* getLogger() const noexcept = 0;
    virtual ~IBuilder() = default;
};

/// Creates a builder that reports through `logger` (which must outlive it).
IBuilder* createInferBuilder(ILogger& logger) noexcept;

}  // namespace kiln
