// The timing cache on the GPU (label gpu; skipped without one): a network with two identical conv+ReLU
// layers and a matmul is built for cuda:0 twice with one cache. The first build times its layers (the
// second conv already comes from the cache: same key), the second build times nothing, takes the same
// tactics, leaves the cache as it was, and its plan computes what the first plan and the CPU plan
// compute. The serialized cache serves a fresh builder and a renamed copy of the network; a cache of
// another GPU is refused unless ignoreMismatch; kDISABLE_TIMING_CACHE times everything and leaves the
// cache alone.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/device_info.h"
#include "builder/timing_cache.h"
#include "gpu/plan_run_util.h"
#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

using testing::TestLogger;

// Every activation is a multiple of 256 bytes (2*8*16*16 float32), so the arena planner's offsets are too
// and the twin convolutions see the same operand alignment: their keys agree (timingCacheKey keys alignment
// up to 256 bytes, as cuBLASLt's heuristic sees it).
constexpr int64_t kN = 2, kC = 8, kH = 16, kW = 16, kF = 16;

using gputest::uniformFloats;

/// x [2,8,16,16] -> (conv 3x3 8->8 pad 1 + ReLU) x 2 -> reshape [2, 8*16*16] -> matmul [.., 16] -> y.
struct RepeatNet {
    std::vector<float> w1 = uniformFloats(kC * kC * 9, 1), b1 = uniformFloats(kC, 2);
    std::vector<float> w2 = uniformFloats(kC * kC * 9, 3), b2 = uniformFloats(kC, 4);
    std::vector<float> fc = uniformFloats(kC * kH * kW * kF, 5);

    void define(INetworkDefinition& net, const std::string& prefix) const {
        ITensor* x = net.addInput("x", DataType::kFLOAT, Dims4(kN, kC, kH, kW));
        ITensor* t = x;
        const std::vector<float>* weights[2][2] = {{&w1, &b1}, {&w2, &b2}};
        for (int i = 0; i < 2; ++i) {
            const auto& w = *weights[i][0];
            const auto& b = *weights[i][1];
            auto* conv = net.addConvolutionNd(*t, kC, Dims2(3, 3),
                                              Weights{DataType::kFLOAT, w.data(), (int64_t)w.size()},
                                              Weights{DataType::kFLOAT, b.data(), kC});
            conv->setPaddingNd(Dims2(1, 1));
            conv->setName((prefix + "conv" + std::to_string(i)).c_str());
            auto* relu = net.addActivation(*conv->getOutput(0), ActivationType::kRELU);
            relu->setName((prefix + "relu" + std::to_string(i)).c_str());
            t = relu->getOutput(0);
        }
        auto* flat = net.addShuffle(*t);
        flat->setReshapeDimensions(Dims2(kN, kC * kH * kW));
        auto* w = net.addConstant(Dims2(kC * kH * kW, kF),
                                  Weights{DataType::kFLOAT, fc.data(), (int64_t)fc.size()});
        auto* mm = net.addMatrixMultiply(*flat->getOutput(0), MatrixOperation::kNONE, *w->getOutput(0),
                                         MatrixOperation::kNONE);
        mm->setName((prefix + "fc").c_str());
        mm->getOutput(0)->setName("y");
        net.markOutput(*mm->getOutput(0));
    }
};

struct TuningLine {
    int layers{-1}, timed{-1}, candidates{-1}, hits{-1};
};

/// The builder's "autotuner: ..." info line of the last build (the logger is cleared before each).
TuningLine tuningLine(TestLogger& logger) {
    TuningLine t;
    for (const std::string& m : logger.messages())
        if (m.rfind("autotuner: ", 0) == 0)
            std::sscanf(m.c_str(),
                        "autotuner: %d layers with several tactics, %d timed (%d candidates), %d from the "
                        "timing cache",
                        &t.layers, &t.timed, &t.candidates, &t.hits);
    return t;
}

class CudaTimingCache : public ::testing::Test {
protected:
    void SetUp() override {
        if (!backends::cudaCompiledIn()) GTEST_SKIP() << "Kiln was built without CUDA";
        if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
    }
    /// Builds the network (layer names with `prefix`) for `target`; exact float32 (no TF32).
    std::unique_ptr<IHostMemory> build(IBuilder& builder, IBuilderConfig& config, const char* target,
                                       const std::string& prefix = "") {
        logger.clear();
        std::unique_ptr<INetworkDefinition> network(builder.createNetworkV2(0));
        net.define(*network, prefix);
        EXPECT_TRUE(config.setTargetDevice(target));
        config.clearFlag(BuilderFlag::kTF32);
        return std::unique_ptr<IHostMemory>(builder.buildSerializedNetwork(*network, config));
    }
    /// Per layer of the plan: its tactic name and id, as the inspector reports them.
    std::vector<std::string> tactics(const IHostMemory& plan) {
        std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
        std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan.data(), plan.size()));
        std::vector<std::string> out;
        if (!engine) return out;
        std::unique_ptr<IEngineInspector> inspector(engine->createEngineInspector());
        for (int32_t i = 0; i < engine->getNbLayers(); ++i) {
            const std::string info = inspector->getLayerInformation(i);
            const size_t at = info.find("\"tactic\":");
            // "tactic":"<name>","tactic_id":<id> (what follows, the attributes, is not the choice).
            out.push_back(at == std::string::npos ? info
                                                  : info.substr(at, info.find(",\"attributes\"", at) - at));
        }
        return out;
    }
    /// y for input `x`: on the GPU through device buffers, on the CPU with host pointers.
    std::vector<float> run(const IHostMemory& plan, const std::vector<float>& x, bool gpu) {
        std::vector<float> y(kN * kF, 0.f);
        std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
        std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan.data(), plan.size()));
        EXPECT_NE(engine, nullptr) << logger.allErrors();
        if (!engine) return y;
        if (!gpu) {
            std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
            ctx->setInputTensorAddress("x", x.data());
            ctx->setTensorAddress("y", y.data());
            EXPECT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
            return y;
        }
        return gputest::runGpuPlan(*engine, x, y.size(), logger);
    }
    std::vector<uint8_t> bytesOf(const ITimingCache& cache) {
        std::unique_ptr<IHostMemory> m(cache.serialize());
        if (!m) return {};
        const auto* p = static_cast<const uint8_t*>(m->data());
        return std::vector<uint8_t>(p, p + m->size());
    }

    TestLogger logger;
    RepeatNet net;
};

TEST_F(CudaTimingCache, SecondBuildTimesNothingAndPicksTheSameTactics) {
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    std::unique_ptr<ITimingCache> cache(config->createTimingCache(nullptr, 0));
    ASSERT_TRUE(config->setTargetDevice("cuda:0"));
    ASSERT_TRUE(config->setTimingCache(*cache, false)) << logger.allErrors();

    auto first = build(*builder, *config, "cuda:0");
    ASSERT_NE(first, nullptr) << logger.allErrors();
    const TuningLine t1 = tuningLine(logger);
    ASSERT_GE(t1.layers, 3) << "two convolutions and a matmul have several tactics";
    EXPECT_GE(t1.hits, 1) << "the second conv+ReLU is the first one's twin: one timing serves both";
    EXPECT_EQ(t1.timed, t1.layers - t1.hits);
    EXPECT_GE(t1.candidates, t1.timed);
    EXPECT_EQ(cache->getNbEntries(), t1.timed);
    const std::vector<uint8_t> afterFirst = bytesOf(*cache);

    auto second = build(*builder, *config, "cuda:0");
    ASSERT_NE(second, nullptr) << logger.allErrors();
    const TuningLine t2 = tuningLine(logger);
    EXPECT_EQ(t2.layers, t1.layers);
    EXPECT_EQ(t2.timed, 0);
    EXPECT_EQ(t2.candidates, 0);
    EXPECT_EQ(t2.hits, t1.layers);
    EXPECT_EQ(bytesOf(*cache), afterFirst);
    const std::vector<std::string> tactics1 = tactics(*first);
    ASSERT_FALSE(tactics1.empty());
    EXPECT_EQ(tactics(*second), tactics1);

    // Both plans compute what the CPU plan computes (float32, no TF32: sums of 72 and 2048 products in
    // another order, far below 1e-5 of the scale), and the same as each other.
    auto cpu = build(*builder, *config, "cpu");
    ASSERT_NE(cpu, nullptr) << logger.allErrors();
    EXPECT_EQ(bytesOf(*cache), afterFirst) << "a CPU build changed the cache";
    const std::vector<float> x = uniformFloats(kN * kC * kH * kW, 9);
    const std::vector<float> want = run(*cpu, x, false), got1 = run(*first, x, true),
                             got2 = run(*second, x, true);
    ASSERT_FALSE(HasFailure());
    double scale = 0.0;
    for (float v : want) scale = std::max(scale, std::fabs(static_cast<double>(v)));
    for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(got1[i], want[i], 1e-5 * scale + 1e-5) << "y[" << i << "]";
        ASSERT_NEAR(got2[i], got1[i], 1e-6 * scale) << "y[" << i << "]: same tactics, other result";
    }
}

TEST_F(CudaTimingCache, SerializedCacheServesAFreshBuilderAndRenamedLayers) {
    std::vector<uint8_t> bytes;
    std::vector<std::string> tactics1;
    {
        std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
        std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
        std::unique_ptr<ITimingCache> cache(config->createTimingCache(nullptr, 0));
        ASSERT_TRUE(config->setTimingCache(*cache, false));
        auto plan = build(*builder, *config, "cuda:0");
        ASSERT_NE(plan, nullptr) << logger.allErrors();
        tactics1 = tactics(*plan);
        bytes = bytesOf(*cache);
    }
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    std::unique_ptr<ITimingCache> cache(config->createTimingCache(bytes.data(), bytes.size()));
    ASSERT_NE(cache, nullptr) << logger.allErrors();
    ASSERT_TRUE(config->setTargetDevice("cuda:0"));
    ASSERT_TRUE(config->setTimingCache(*cache, false)) << logger.allErrors();
    auto renamed = build(*builder, *config, "cuda:0", "other_model.block.");
    ASSERT_NE(renamed, nullptr) << logger.allErrors();
    const TuningLine t = tuningLine(logger);
    EXPECT_GE(t.layers, 3);
    EXPECT_EQ(t.timed, 0);
    EXPECT_EQ(t.hits, t.layers);
    EXPECT_EQ(tactics(*renamed), tactics1);
    EXPECT_EQ(bytesOf(*cache), bytes);
}

TEST_F(CudaTimingCache, CacheOfAnotherGpuIsRefusedUnlessIgnoringMismatch) {
    builder::TimingCache foreign;
    foreign.bind(builder::TimingCacheIdentity{"sm_61", "GeForce GTX 1080", 80000, 110000, getKilnVersion()});
    foreign.record("some layer", builder::TimingCacheEntry{"cudnn_fwd_gemm", 2, 0, 1.f});
    const std::vector<uint8_t> bytes = foreign.serialize();
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    std::unique_ptr<ITimingCache> cache(config->createTimingCache(bytes.data(), bytes.size()));
    ASSERT_NE(cache, nullptr);
    ASSERT_TRUE(config->setTargetDevice("cuda:0"));
    EXPECT_FALSE(config->setTimingCache(*cache, false));
    EXPECT_TRUE(logger.hasError("GeForce GTX 1080")) << logger.allErrors();
    EXPECT_EQ(config->getTimingCache(), nullptr);

    // Attached while the target was the CPU, it fails the GPU build instead.
    ASSERT_TRUE(config->setTargetDevice("cpu"));
    ASSERT_TRUE(config->setTimingCache(*cache, false));
    EXPECT_EQ(build(*builder, *config, "cuda:0"), nullptr);
    EXPECT_TRUE(logger.hasError("measured on another setup")) << logger.allErrors();

    // With ignoreMismatch the build runs: no entry matches, every layer is timed and recorded.
    ASSERT_TRUE(config->setTargetDevice("cuda:0"));
    ASSERT_TRUE(config->setTimingCache(*cache, true)) << logger.allErrors();
    auto plan = build(*builder, *config, "cuda:0");
    ASSERT_NE(plan, nullptr) << logger.allErrors();
    const TuningLine t = tuningLine(logger);
    EXPECT_EQ(cache->getNbEntries(), 1 + t.timed);
}

TEST_F(CudaTimingCache, DisableTimingCacheTimesEveryLayerAndLeavesTheCacheAlone) {
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    std::unique_ptr<ITimingCache> cache(config->createTimingCache(nullptr, 0));
    ASSERT_TRUE(config->setTimingCache(*cache, false));
    config->setFlag(BuilderFlag::kDISABLE_TIMING_CACHE);
    const std::vector<uint8_t> before = bytesOf(*cache);
    auto plan = build(*builder, *config, "cuda:0");
    ASSERT_NE(plan, nullptr) << logger.allErrors();
    const TuningLine t = tuningLine(logger);
    EXPECT_GE(t.layers, 3);
    EXPECT_EQ(t.hits, 0);
    EXPECT_EQ(t.timed, t.layers) << "identical layers are timed again without a cache";
    EXPECT_EQ(bytesOf(*cache), before);
}

}  // namespace
}  // namespace kiln
