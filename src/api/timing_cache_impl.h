// ITimingCache over the builder's TimingCache (builder/timing_cache.h). IBuilderConfig creates it and
// attaches it; the builds of every config it is attached to write into it, which is why the cache is
// reachable as mutable from a const ITimingCache (TensorRT's setTimingCache takes a const reference and
// still receives the build's timings).
#pragma once

#include <exception>
#include <new>
#include <string>

#include "api/host_memory.h"
#include "builder/timing_cache.h"
#include "common/reporter.h"
#include "kiln/builder.h"

namespace kiln::api {

class TimingCacheImpl final : public ITimingCache {
public:
    explicit TimingCacheImpl(ILogger* logger) : mReporter(logger) {}

    IHostMemory* serialize() const noexcept override {
        try {
            auto* memory = new (std::nothrow) HostMemoryImpl(mCache.serialize());
            if (!memory)
                mReporter.error(ErrorCode::kFAILED_ALLOCATION, "ITimingCache::serialize: out of host memory");
            return memory;
        } catch (const std::exception& e) {
            mReporter.error(ErrorCode::kFAILED_ALLOCATION,
                            std::string("ITimingCache::serialize failed: ") + e.what());
            return nullptr;
        }
    }
    bool combine(ITimingCache const& inputCache, bool ignoreMismatch) noexcept override {
        const auto* other = dynamic_cast<const TimingCacheImpl*>(&inputCache);
        if (!other)
            return mReporter.error(
                ErrorCode::kINVALID_ARGUMENT,
                "ITimingCache::combine: the input cache must come from IBuilderConfig::createTimingCache");
        try {
            auto counts = mCache.combine(other->mCache, ignoreMismatch);
            if (!counts.isOk()) return mReporter.report(counts.status().withContext("ITimingCache::combine"));
            mReporter.info(
                "ITimingCache::combine: " + std::to_string(counts->added) + " entries added, " +
                std::to_string(counts->conflicting) +
                " skipped where both caches hold the layer with different choices (this cache's kept)");
            return true;
        } catch (const std::exception& e) {
            return mReporter.error(ErrorCode::kFAILED_ALLOCATION,
                                   std::string("ITimingCache::combine failed: ") + e.what());
        }
    }
    bool reset() noexcept override {
        mCache.reset();
        return true;
    }
    int64_t getNbEntries() const noexcept override { return mCache.size(); }

    builder::TimingCache& cache() const { return mCache; }

private:
    Reporter mReporter;
    mutable builder::TimingCache mCache;
};

}  // namespace kiln::api
