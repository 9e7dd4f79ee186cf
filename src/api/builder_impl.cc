// IBuilder and IBuilderConfig. The config validates flags against what is implemented, so that no flag
// is silently ignored: a flag whose feature does not exist yet fails the build with its name.
#include <exception>
#include <memory>
#include <new>

#include "api/host_memory.h"
#include "api/network_impl.h"
#include "api/timing_cache_impl.h"
#include "common/reporter.h"
#include "backends/device_info.h"
#include "builder/build.h"
#include "kiln/builder.h"

namespace kiln::api {

namespace {

const char* flagName(BuilderFlag f) {
    switch (f) {
        case BuilderFlag::kFP16: return "kFP16";
        case BuilderFlag::kINT8: return "kINT8";
        case BuilderFlag::kDEBUG: return "kDEBUG";
        case BuilderFlag::kGPU_FALLBACK: return "kGPU_FALLBACK";
        case BuilderFlag::kREFIT: return "kREFIT";
        case BuilderFlag::kDISABLE_TIMING_CACHE: return "kDISABLE_TIMING_CACHE";
        case BuilderFlag::kTF32: return "kTF32";
        case BuilderFlag::kSPARSE_WEIGHTS: return "kSPARSE_WEIGHTS";
        case BuilderFlag::kOBEY_PRECISION_CONSTRAINTS: return "kOBEY_PRECISION_CONSTRAINTS";
        case BuilderFlag::kPREFER_PRECISION_CONSTRAINTS: return "kPREFER_PRECISION_CONSTRAINTS";
        case BuilderFlag::kDIRECT_IO: return "kDIRECT_IO";
        case BuilderFlag::kVERSION_COMPATIBLE: return "kVERSION_COMPATIBLE";
        case BuilderFlag::kFP8: return "kFP8";
        case BuilderFlag::kBF16: return "kBF16";
        case BuilderFlag::kSTRIP_PLAN: return "kSTRIP_PLAN";
        case BuilderFlag::kDETERMINISTIC: return "kDETERMINISTIC";
    }
    return "unknown";
}

/// What a flag needs that is not there yet; null when the flag is honoured.
const char* missingFeature(BuilderFlag f) {
    switch (f) {
        case BuilderFlag::kFP16:
        case BuilderFlag::kBF16: return nullptr;  // builder/precision.cc
        case BuilderFlag::kINT8:
        case BuilderFlag::kFP8: return "quantized (INT8/FP8) builds";
        case BuilderFlag::kREFIT: return "refittable engines";
        case BuilderFlag::kSPARSE_WEIGHTS: return "structured-sparsity tactics";
        case BuilderFlag::kVERSION_COMPATIBLE: return "version-compatible plans";
        case BuilderFlag::kSTRIP_PLAN: return "weight-stripped plans";
        case BuilderFlag::kGPU_FALLBACK: return "DLA/GPU fallback";
        case BuilderFlag::kDEBUG:
        case BuilderFlag::kOBEY_PRECISION_CONSTRAINTS:
        case BuilderFlag::kPREFER_PRECISION_CONSTRAINTS: return nullptr;  // checked per layer instead
        case BuilderFlag::kTF32:  // a permission: FP32 on the CPU is at least as precise
        case BuilderFlag::kDISABLE_TIMING_CACHE:  // builder/build.cc: no cache is read or written
        case BuilderFlag::kDIRECT_IO:
        case BuilderFlag::kDETERMINISTIC:  // the reference kernels are deterministic
            return nullptr;
    }
    return "an unknown flag";
}

constexpr BuilderFlag kAllFlags[] = {
    BuilderFlag::kFP16, BuilderFlag::kINT8, BuilderFlag::kDEBUG, BuilderFlag::kGPU_FALLBACK, BuilderFlag::kREFIT,
    BuilderFlag::kDISABLE_TIMING_CACHE, BuilderFlag::kTF32, BuilderFlag::kSPARSE_WEIGHTS,
    BuilderFlag::kOBEY_PRECISION_CONSTRAINTS, BuilderFlag::kPREFER_PRECISION_CONSTRAINTS, BuilderFlag::kDIRECT_IO,
    BuilderFlag::kVERSION_COMPATIBLE, BuilderFlag::kFP8, BuilderFlag::kBF16, BuilderFlag::kSTRIP_PLAN,
    BuilderFlag::kDETERMINISTIC};

class BuilderConfigImpl final : public IBuilderConfig {
public:
    explicit BuilderConfigImpl(const Reporter* reporter) : mReporter(reporter) {
        mFlags = 1u << static_cast<int>(BuilderFlag::kTF32);  // TensorRT's default
    }
    void setFlags(BuilderFlags f) noexcept override { mFlags = f; }
    BuilderFlags getFlags() const noexcept override { return mFlags; }
    void setFlag(BuilderFlag f) noexcept override { mFlags |= 1u << static_cast<int>(f); }
    void clearFlag(BuilderFlag f) noexcept override { mFlags &= ~(1u << static_cast<int>(f)); }
    bool getFlag(BuilderFlag f) const noexcept override { return (mFlags >> static_cast<int>(f)) & 1u; }
    void setMemoryPoolLimit(MemoryPoolType pool, std::size_t size) noexcept override {
        if (pool != MemoryPoolType::kWORKSPACE) {
            mReporter->error(ErrorCode::kINVALID_ARGUMENT, "setMemoryPoolLimit: unknown pool " + std::to_string(static_cast<int>(pool)));
            return;
        }
        mWorkspace = size;
    }
    std::size_t getMemoryPoolLimit(MemoryPoolType) const noexcept override { return mWorkspace; }
    bool setTargetDevice(const char* device) noexcept override {
        auto t = builder::parseTarget(device ? device : "");
        if (!t.isOk()) return mReporter->report(t.status());
        mTarget = *t;
        mTargetText = mTarget.toString();
        return true;
    }
    const char* getTargetDevice() const noexcept override { return mTargetText.c_str(); }
    void setBuilderOptimizationLevel(int32_t level) noexcept override {
        if (level < 0 || level > 5) {
            mReporter->error(ErrorCode::kINVALID_ARGUMENT, "setBuilderOptimizationLevel: level must be 0..5, got " + std::to_string(level));
            return;
        }
        mOptLevel = level;
    }
    int32_t getBuilderOptimizationLevel() const noexcept override { return mOptLevel; }
    void setAvgTimingIterations(int32_t n) noexcept override { mAvgTiming = n > 0 ? n : 1; }
    int32_t getAvgTimingIterations() const noexcept override { return mAvgTiming; }
    void setProfilingVerbosity(ProfilingVerbosity v) noexcept override { mVerbosity = v; }
    ProfilingVerbosity getProfilingVerbosity() const noexcept override { return mVerbosity; }

    ITimingCache* createTimingCache(void const* blob, std::size_t size) const noexcept override {
        std::unique_ptr<TimingCacheImpl> cache(new (std::nothrow) TimingCacheImpl(mReporter->logger()));
        if (!cache) {
            mReporter->error(ErrorCode::kFAILED_ALLOCATION, "createTimingCache: out of host memory");
            return nullptr;
        }
        if (size == 0) return cache.release();
        Status st;
        try {
            st = cache->cache().deserialize(blob, size);
        } catch (const std::exception& e) {
            st = allocationFailed(std::string("reading the cache failed: ") + e.what());
        }
        if (!mReporter->report(st.withContext("createTimingCache (" + std::to_string(size) + " bytes)"))) return nullptr;
        return cache.release();
    }
    bool setTimingCache(ITimingCache const& cache, bool ignoreMismatch) noexcept override {
        const auto* impl = dynamic_cast<const TimingCacheImpl*>(&cache);
        if (!impl)
            return mReporter->error(ErrorCode::kINVALID_ARGUMENT,
                                    "setTimingCache: the cache must come from IBuilderConfig::createTimingCache");
        // Checked against the target known now; GPU builds check again against theirs.
        backends::CudaDeviceInfo gpu;
        if (mTarget.isCuda && backends::cudaDeviceInfo(mTarget.deviceIndex, &gpu)) {
            const std::string mismatch = builder::identityMismatch(impl->cache().identity(), builder::timingIdentityOf(gpu));
            if (!mismatch.empty() && !ignoreMismatch)
                return mReporter->report(builder::mismatchError(mismatch).withContext("setTimingCache"));
            if (!mismatch.empty())
                mReporter->warning("setTimingCache: the cache was measured on another setup (" + mismatch +
                                   ", the cache's first); with ignoreMismatch its entries are used where a layer "
                                   "matches, and the chosen tactics may not be the fastest here");
        }
        mTimingCache = impl;
        mIgnoreTimingCacheMismatch = ignoreMismatch;
        return true;
    }
    ITimingCache const* getTimingCache() const noexcept override { return mTimingCache; }

    const builder::Target& target() const { return mTarget; }
    std::size_t workspace() const { return mWorkspace; }
    const TimingCacheImpl* timingCache() const { return mTimingCache; }
    bool ignoreTimingCacheMismatch() const { return mIgnoreTimingCacheMismatch; }

private:
    const Reporter* mReporter;
    BuilderFlags mFlags{0};
    std::size_t mWorkspace{0};
    // The CUDA backend is not there yet, so the default target is the CPU even where a GPU is present.
    builder::Target mTarget{};
    std::string mTargetText{"cpu"};
    int32_t mOptLevel{3};
    int32_t mAvgTiming{1};
    ProfilingVerbosity mVerbosity{ProfilingVerbosity::kLAYER_NAMES_ONLY};
    const TimingCacheImpl* mTimingCache{nullptr};
    bool mIgnoreTimingCacheMismatch{false};
};

class BuilderImpl final : public IBuilder {
public:
    explicit BuilderImpl(ILogger& logger) : mReporter(&logger) {}
    INetworkDefinition* createNetworkV2(uint32_t flags) noexcept override {
        if (flags & ~static_cast<uint32_t>(1u << static_cast<int>(NetworkDefinitionCreationFlag::kSTRONGLY_TYPED))) {
            mReporter.error(ErrorCode::kINVALID_ARGUMENT, "createNetworkV2: unknown flag bits " + std::to_string(flags));
            return nullptr;
        }
        return new (std::nothrow) NetworkImpl(&mReporter, flags);
    }
    IBuilderConfig* createBuilderConfig() noexcept override { return new (std::nothrow) BuilderConfigImpl(&mReporter); }

    IHostMemory* buildSerializedNetwork(INetworkDefinition& network, IBuilderConfig& config) noexcept override {
        builder::BuildStats stats;
        auto planOr = build(network, config, &stats);
        if (!planOr.isOk()) {
            mReporter.report(planOr.status().withContext("build failed"));
            return nullptr;
        }
        auto bytes = plan::writePlan(*planOr);
        if (!bytes.isOk()) {
            mReporter.report(bytes.status().withContext("writing the plan failed"));
            return nullptr;
        }
        if (stats.tuned)
            mReporter.info("autotuner: " + std::to_string(stats.tunedNodes) + " layers with several tactics, " +
                           std::to_string(stats.tunedNodes - stats.cacheHits) + " timed (" +
                           std::to_string(stats.timedCandidates) + " candidates), " + std::to_string(stats.cacheHits) +
                           " from the timing cache");
        mReporter.info("built a plan of " + std::to_string(bytes->size()) + " bytes with " +
                       std::to_string(planOr->graph.nodes().size()) + " steps for target " + planOr->header.target);
        return new (std::nothrow) HostMemoryImpl(std::move(bytes).value());
    }

    bool isNetworkSupported(INetworkDefinition const& network, IBuilderConfig const& config) const noexcept override {
        auto planOr = const_cast<BuilderImpl*>(this)->build(const_cast<INetworkDefinition&>(network),
                                                             const_cast<IBuilderConfig&>(config));
        return planOr.isOk();
    }
    bool platformHasFastFp16() const noexcept override { return backends::cudaDeviceCount() > 0; }
    bool platformHasTf32() const noexcept override {
        backends::CudaDeviceInfo info;
        return backends::cudaDeviceInfo(0, &info) && info.smMajor >= 8;
    }
    void setErrorRecorder(IErrorRecorder* recorder) noexcept override { mReporter.setRecorder(recorder); }
    IErrorRecorder* getErrorRecorder() const noexcept override { return mReporter.recorder(); }
    ILogger* getLogger() const noexcept override { return mReporter.logger(); }

private:
    StatusOr<plan::Plan> build(INetworkDefinition& network, IBuilderConfig& config, builder::BuildStats* stats = nullptr) {
        auto* net = dynamic_cast<NetworkImpl*>(&network);
        auto* cfg = dynamic_cast<BuilderConfigImpl*>(&config);
        if (!net || !cfg) return invalidArgument("the network and config must come from a Kiln builder");
        for (BuilderFlag f : kAllFlags) {
            if (!cfg->getFlag(f)) continue;
            if (const char* missing = missingFeature(f))
                return unsupported(std::string("BuilderFlag::") + flagName(f) + " asks for " + missing +
                                   ", which this Kiln does not implement yet; clear the flag");
        }
        for (const auto& layer : net->layers()) {
            const ir::Node& n = net->graph().node(layer->node());
            if (layer->requests().precisionSet)
                return unsupported("layer '" + n.name + "': setPrecision asks for per-layer precision, which is not implemented yet; call resetPrecision()");
            ir::OpKind k = n.kind();
            for (size_t i = 0; i < layer->requests().outputTypeSet.size(); ++i) {
                if (layer->requests().outputTypeSet[i] && k != ir::OpKind::kIdentity && k != ir::OpKind::kCast)
                    return unsupported("layer '" + n.name + "': setOutputType on a " + std::string(ir::opName(k)) +
                                       " layer needs per-layer precision, which is not implemented yet; add an Identity or Cast layer instead");
            }
        }
        (void)net->ensureInferred();  // keeps getDimensions() current; buildPlan reports any error once
        builder::BuildOptions opts;
        opts.target = cfg->target();
        opts.workspaceLimit = cfg->workspace();
        opts.optimizationLevel = cfg->getBuilderOptimizationLevel();
        opts.allowTf32 = cfg->getFlag(BuilderFlag::kTF32);
        opts.disableTimingCache = cfg->getFlag(BuilderFlag::kDISABLE_TIMING_CACHE);
        if (cfg->timingCache()) {
            opts.timingCache = &cfg->timingCache()->cache();
            opts.ignoreTimingCacheMismatch = cfg->ignoreTimingCacheMismatch();
            if (opts.disableTimingCache && opts.target.isCuda)
                mReporter.info("BuilderFlag::kDISABLE_TIMING_CACHE is set: the attached timing cache is neither read nor written");
        }
        // With both flags, float16 (more mantissa) wins, as a TensorRT user allowing both would expect
        // from the faster-or-equal choice on GPUs with both.
        if (cfg->getFlag(BuilderFlag::kFP16))
            opts.reducedPrecision = DataType::kHALF;
        else if (cfg->getFlag(BuilderFlag::kBF16))
            opts.reducedPrecision = DataType::kBF16;
        return builder::buildPlan(net->graph(), opts, stats);
    }

    Reporter mReporter;
};

}  // namespace

}  // namespace kiln::api

namespace kiln {

IBuilder* createInferBuilder(ILogger& logger) noexcept { return new (std::nothrow) api::BuilderImpl(logger); }

}  // namespace kiln
