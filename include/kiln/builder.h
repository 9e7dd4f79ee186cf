/// @file builder.h
/// IBuilder, IBuilderConfig, ITimingCache and IHostMemory: turning a network into a serialized plan, as in
/// TensorRT.
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
    kDISABLE_TIMING_CACHE = 6,  ///< time every layer; no timing cache is read or written (see ITimingCache)
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

/// Tactic timings the builder measured, for later builds to reuse (TensorRT's ITimingCache). Created by
/// IBuilderConfig::createTimingCache, empty or from serialized bytes, and attached with setTimingCache:
/// a GPU build then takes a layer's tactic from the cache when it holds an entry for that layer (its op,
/// attributes, input and output types, shapes and alignment, the TF32 flag and the tactics offered; not
/// its name) and adds an entry for every layer it times. Serialize it after the build to keep them. The
/// cache records the GPU, cuDNN, cuBLASLt and Kiln versions it was measured with. It belongs to no
/// config, may be attached to several, and logs through the logger of the builder that created it, which
/// must outlive it. Release with `delete`.
class ITimingCache {
public:
    /// The cache as bytes for IBuilderConfig::createTimingCache (a versioned, checksummed format); null
    /// after logging on failure.
    virtual IHostMemory* serialize() const noexcept = 0;
    /// Adds the entries of `inputCache` this cache lacks; where both hold a layer, this cache's entry
    /// stays. A cache measured on another GPU or with other cuDNN, cuBLASLt or Kiln versions is refused
    /// (false, logged) unless `ignoreMismatch`: its timings need not hold here.
    virtual bool combine(ITimingCache const& inputCache, bool ignoreMismatch) noexcept = 0;
    /// Removes every entry (and the record of where they were measured).
    virtual bool reset() noexcept = 0;
    /// Kiln: the number of entries (timed layers).
    virtual int64_t getNbEntries() const noexcept = 0;
    virtual ~ITimingCache() = default;
};

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

    /// A timing cache from `size` bytes that ITimingCache::serialize wrote; `size` 0 gives an empty cache.
    /// Null after logging why for bytes that are not an intact Kiln timing cache of this format version.
    /// The cache is not attached: see setTimingCache.
    virtual ITimingCache* createTimingCache(void const* blob, std::size_t size) const noexcept = 0;
    /// Attaches `cache`: builds read tactics from it and write the timings they take into it. Refused
    /// (false, logged) when the target is a GPU other than the one the cache was measured on, or the
    /// cuDNN, cuBLASLt or Kiln versions differ, unless `ignoreMismatch` (then entries are used where a
    /// layer matches); a GPU build checks again, as the target may change. The cache must outlive the
    /// builds. BuilderFlag::kDISABLE_TIMING_CACHE makes builds ignore it.
    virtual bool setTimingCache(ITimingCache const& cache, bool ignoreMismatch) noexcept = 0;
    /// The attached cache, or null.
    virtual ITimingCache const* getTimingCache() const noexcept = 0;

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
