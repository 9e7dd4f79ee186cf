// ITimingCache through the public API (IBuilderConfig::createTimingCache / setTimingCache /
// getTimingCache, ITimingCache::serialize / combine / reset): empty and serialized caches, refused bytes
// with a logged reason, combine's mismatch rule, and CPU builds, which tune nothing: a cache attached to
// them stays byte for byte what it was and the build succeeds. The GPU side is tests/gpu.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "builder/timing_cache.h"
#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

using testing::TestLogger;

std::vector<uint8_t> bytesOf(const ITimingCache& cache) {
    std::unique_ptr<IHostMemory> memory(cache.serialize());
    EXPECT_NE(memory, nullptr);
    if (!memory) return {};
    const auto* p = static_cast<const uint8_t*>(memory->data());
    return std::vector<uint8_t>(p, p + memory->size());
}

/// Serialized bytes of a cache measured on `device` with `entries` entries (made with the builder's
/// cache directly: only GPU builds make entries through the API).
std::vector<uint8_t> cacheBytes(const std::string& device, int entries) {
    builder::TimingCache cache;
    cache.bind(builder::TimingCacheIdentity{"sm_90", device, 91000, 130100, getKilnVersion()});
    for (int i = 0; i < entries; ++i)
        cache.record(device + "/layer" + std::to_string(i), builder::TimingCacheEntry{"tactic", i, 0, 0.5f});
    return cache.serialize();
}

/// x [2,3] -> relu -> y, built for the CPU.
bool buildRelu(IBuilder& builder, IBuilderConfig& config) {
    std::unique_ptr<INetworkDefinition> net(builder.createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(2, 3));
    auto* relu = net->addActivation(*x, ActivationType::kRELU);
    net->markOutput(*relu->getOutput(0));
    std::unique_ptr<IHostMemory> plan(builder.buildSerializedNetwork(*net, config));
    return plan != nullptr;
}

class TimingCacheApi : public ::testing::Test {
protected:
    TestLogger logger;
    std::unique_ptr<IBuilder> builder{createInferBuilder(logger)};
    std::unique_ptr<IBuilderConfig> config{builder->createBuilderConfig()};
};

TEST_F(TimingCacheApi, EmptyCacheSerializesAndReadsBack) {
    EXPECT_EQ(config->getTimingCache(), nullptr);
    std::unique_ptr<ITimingCache> empty(config->createTimingCache(nullptr, 0));
    ASSERT_NE(empty, nullptr) << logger.allErrors();
    EXPECT_EQ(empty->getNbEntries(), 0);
    const std::vector<uint8_t> bytes = bytesOf(*empty);
    ASSERT_FALSE(bytes.empty());
    std::unique_ptr<ITimingCache> again(config->createTimingCache(bytes.data(), bytes.size()));
    ASSERT_NE(again, nullptr) << logger.allErrors();
    EXPECT_EQ(bytesOf(*again), bytes);

    const std::vector<uint8_t> full = cacheBytes("NVIDIA H100", 3);
    std::unique_ptr<ITimingCache> loaded(config->createTimingCache(full.data(), full.size()));
    ASSERT_NE(loaded, nullptr) << logger.allErrors();
    EXPECT_EQ(loaded->getNbEntries(), 3);
    EXPECT_EQ(bytesOf(*loaded), full);
    EXPECT_TRUE(loaded->reset());
    EXPECT_EQ(loaded->getNbEntries(), 0);
    EXPECT_TRUE(logger.errors().empty()) << logger.allErrors();
}

TEST_F(TimingCacheApi, BadBytesGiveNullAndALoggedReason) {
    const std::string junk = "this is not a timing cache, it is a sentence";
    EXPECT_EQ(config->createTimingCache(junk.data(), junk.size()), nullptr);
    EXPECT_TRUE(logger.hasError("not a Kiln timing cache")) << logger.allErrors();
    EXPECT_TRUE(logger.hasError("createTimingCache (44 bytes)")) << logger.allErrors();
    logger.clear();
    std::vector<uint8_t> truncated = cacheBytes("NVIDIA H100", 2);
    truncated.resize(truncated.size() - 5);
    EXPECT_EQ(config->createTimingCache(truncated.data(), truncated.size()), nullptr);
    EXPECT_TRUE(logger.hasError("truncated")) << logger.allErrors();
    logger.clear();
    EXPECT_EQ(config->createTimingCache(nullptr, 12), nullptr);
    EXPECT_TRUE(logger.hasError("null data")) << logger.allErrors();
}

TEST_F(TimingCacheApi, CpuBuildsLeaveTheAttachedCacheUnchanged) {
    const std::vector<uint8_t> bytes = cacheBytes("NVIDIA H100", 4);
    std::unique_ptr<ITimingCache> cache(config->createTimingCache(bytes.data(), bytes.size()));
    ASSERT_NE(cache, nullptr) << logger.allErrors();
    // The CPU target (the default) has no GPU to compare the cache with: it is attached.
    ASSERT_TRUE(config->setTimingCache(*cache, /*ignoreMismatch=*/false)) << logger.allErrors();
    EXPECT_EQ(config->getTimingCache(), cache.get());
    ASSERT_TRUE(buildRelu(*builder, *config)) << logger.allErrors();
    EXPECT_EQ(cache->getNbEntries(), 4);
    EXPECT_EQ(bytesOf(*cache), bytes);
    // So does an empty cache: it stays unbound (no GPU measured anything).
    std::unique_ptr<ITimingCache> empty(config->createTimingCache(nullptr, 0));
    ASSERT_TRUE(config->setTimingCache(*empty, false));
    EXPECT_EQ(config->getTimingCache(), empty.get());
    const std::vector<uint8_t> before = bytesOf(*empty);
    ASSERT_TRUE(buildRelu(*builder, *config)) << logger.allErrors();
    EXPECT_EQ(bytesOf(*empty), before);
    // kDISABLE_TIMING_CACHE is honoured (not refused as unimplemented).
    config->setFlag(BuilderFlag::kDISABLE_TIMING_CACHE);
    ASSERT_TRUE(buildRelu(*builder, *config)) << logger.allErrors();
    EXPECT_EQ(bytesOf(*empty), before);
    EXPECT_TRUE(logger.errors().empty()) << logger.allErrors();
}

TEST_F(TimingCacheApi, CombineUnitesAndRefusesOtherDevicesUnlessIgnoringMismatch) {
    const std::vector<uint8_t> h100 = cacheBytes("NVIDIA H100", 2), a100 = cacheBytes("NVIDIA A100", 3);
    std::unique_ptr<ITimingCache> mine(config->createTimingCache(h100.data(), h100.size()));
    std::unique_ptr<ITimingCache> theirs(config->createTimingCache(a100.data(), a100.size()));
    std::unique_ptr<ITimingCache> same(config->createTimingCache(h100.data(), h100.size()));
    ASSERT_TRUE(mine && theirs && same) << logger.allErrors();
    EXPECT_TRUE(mine->combine(*same, false)) << logger.allErrors();
    EXPECT_EQ(mine->getNbEntries(), 2);  // the same entries: nothing added
    EXPECT_FALSE(mine->combine(*theirs, false));
    EXPECT_TRUE(logger.hasError("GPU 'NVIDIA A100' (sm_90) vs GPU 'NVIDIA H100' (sm_90)"))
        << logger.allErrors();
    EXPECT_EQ(mine->getNbEntries(), 2);
    logger.clear();
    EXPECT_TRUE(mine->combine(*theirs, true)) << logger.allErrors();
    EXPECT_EQ(mine->getNbEntries(), 5);
    EXPECT_TRUE(mine->combine(*mine, false));
    EXPECT_EQ(mine->getNbEntries(), 5);
}

class ForeignCache final : public ITimingCache {
public:
    IHostMemory* serialize() const noexcept override { return nullptr; }
    bool combine(ITimingCache const&, bool) noexcept override { return false; }
    bool reset() noexcept override { return true; }
    int64_t getNbEntries() const noexcept override { return 0; }
};

TEST_F(TimingCacheApi, CachesNotMadeByKilnAreRefused) {
    ForeignCache foreign;
    EXPECT_FALSE(config->setTimingCache(foreign, true));
    EXPECT_TRUE(logger.hasError("must come from IBuilderConfig::createTimingCache")) << logger.allErrors();
    EXPECT_EQ(config->getTimingCache(), nullptr);
    logger.clear();
    std::unique_ptr<ITimingCache> mine(config->createTimingCache(nullptr, 0));
    EXPECT_FALSE(mine->combine(foreign, true));
    EXPECT_TRUE(logger.hasError("must come from IBuilderConfig::createTimingCache")) << logger.allErrors();
}

TEST_F(TimingCacheApi, ACacheOutlivesItsBuilderAndServesAnother) {
    const std::vector<uint8_t> bytes = cacheBytes("NVIDIA H100", 1);
    std::unique_ptr<ITimingCache> cache(config->createTimingCache(bytes.data(), bytes.size()));
    ASSERT_NE(cache, nullptr);
    config.reset();
    builder.reset();
    std::unique_ptr<IBuilder> other(createInferBuilder(logger));
    std::unique_ptr<IBuilderConfig> otherConfig(other->createBuilderConfig());
    ASSERT_TRUE(otherConfig->setTimingCache(*cache, false));
    ASSERT_TRUE(buildRelu(*other, *otherConfig)) << logger.allErrors();
    EXPECT_EQ(bytesOf(*cache), bytes);
    EXPECT_TRUE(cache->combine(*cache, false)) << logger.allErrors();  // logs through the live logger
}

}  // namespace
}  // namespace kiln
