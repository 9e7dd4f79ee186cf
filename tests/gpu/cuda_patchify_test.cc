// A ViT-style patch embedding built through the public API for cuda:0 (label gpu): x [2, 3, 32, 48] ->
// Convolution 16x16 stride 16 with a bias -> reshape [2, O, 6] -> transpose -> tokens [2, 6, O]. The GPU
// plan has no Convolution left (patchify-convolution: a patch Shuffle and a MatrixMultiply), in float32
// (TF32 off) and float16, and its tokens match the CPU plan (reference convolution). Skipped without a GPU.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/device_info.h"
#include "gpu/plan_run_util.h"
#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

constexpr int64_t kN = 2, kC = 3, kH = 32, kW = 48, kO = 40, kP = 16;
constexpr int64_t kTokens = (kH / kP) * (kW / kP);

using gputest::uniformFloats;

struct PatchEmbedding {
    std::vector<float> w = uniformFloats(kO * kC * kP * kP, 1, 0.05f), b = uniformFloats(kO, 2, 0.5f);

    std::unique_ptr<IHostMemory> build(const char* target, bool fp16, testing::TestLogger& logger) const {
        std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
        std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
        ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(kN, kC, kH, kW));
        auto* conv = net->addConvolutionNd(*x, kO, Dims2(kP, kP),
                                           Weights{DataType::kFLOAT, w.data(), (int64_t)w.size()},
                                           Weights{DataType::kFLOAT, b.data(), kO});
        conv->setStrideNd(Dims2(kP, kP));
        auto* flat = net->addShuffle(*conv->getOutput(0));
        flat->setReshapeDimensions(Dims3(kN, kO, kTokens));
        auto* tokens = net->addShuffle(*flat->getOutput(0));
        tokens->setFirstTranspose(Permutation{{0, 2, 1, 3, 4, 5, 6, 7}});
        tokens->getOutput(0)->setName("y");
        net->markOutput(*tokens->getOutput(0));
        std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
        if (!config->setTargetDevice(target)) return nullptr;
        config->clearFlag(BuilderFlag::kTF32);
        if (fp16) config->setFlag(BuilderFlag::kFP16);
        return std::unique_ptr<IHostMemory>(builder->buildSerializedNetwork(*net, *config));
    }
};

int32_t countOps(ICudaEngine& engine, const char* op) {
    std::unique_ptr<IEngineInspector> inspector(engine.createEngineInspector());
    int32_t n = 0;
    for (int32_t i = 0; i < engine.getNbLayers(); ++i)
        n += std::string(inspector->getLayerInformation(i)).find(std::string("\"op\":\"") + op + "\"") !=
             std::string::npos;
    return n;
}

TEST(CudaPatchify, PatchEmbeddingRunsAsAGemmAndMatchesTheCpuPlan) {
    if (!backends::cudaCompiledIn()) GTEST_SKIP() << "Kiln was built without CUDA";
    if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
    PatchEmbedding net;
    testing::TestLogger logger;
    auto cpuPlan = net.build("cpu", false, logger);
    ASSERT_NE(cpuPlan, nullptr) << logger.allErrors();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> cpu(runtime->deserializeCudaEngine(cpuPlan->data(), cpuPlan->size()));
    ASSERT_NE(cpu, nullptr) << logger.allErrors();
    EXPECT_EQ(countOps(*cpu, "Convolution"), 1) << "CPU plans keep the convolution";
    const std::vector<float> x = uniformFloats(kN * kC * kH * kW, 9, 1.0f);
    const size_t outCount = static_cast<size_t>(kN * kTokens * kO);
    std::vector<float> want(outCount);
    std::unique_ptr<IExecutionContext> cctx(cpu->createExecutionContext());
    cctx->setInputTensorAddress("x", x.data());
    cctx->setTensorAddress("y", want.data());
    ASSERT_TRUE(cctx->enqueueV3(nullptr)) << logger.allErrors();
    double scale = 0.0;
    for (float v : want) scale = std::max(scale, std::fabs(static_cast<double>(v)));

    for (bool fp16 : {false, true}) {
        SCOPED_TRACE(fp16 ? "float16" : "float32");
        auto gpuPlan = net.build("cuda:0", fp16, logger);
        ASSERT_NE(gpuPlan, nullptr) << logger.allErrors();
        std::unique_ptr<ICudaEngine> gpu(runtime->deserializeCudaEngine(gpuPlan->data(), gpuPlan->size()));
        ASSERT_NE(gpu, nullptr) << logger.allErrors();
        EXPECT_EQ(countOps(*gpu, "Convolution"), 0);
        EXPECT_EQ(countOps(*gpu, "MatrixMultiply"), 1);
        const std::vector<float> got = gputest::runGpuPlan(*gpu, x, outCount, logger);
        // float32: 768-term sums in another order, far below 1e-5 of the scale. float16: inputs, weights and
        // the output rounded to 11 bits (relative 2^-11 each) over 768 terms of random sign: ~1e-2 of scale.
        const double tol = fp16 ? 1e-2 * scale : 1e-5 * scale + 1e-6;
        for (size_t i = 0; i < outCount; ++i) ASSERT_NEAR(got[i], want[i], tol) << "y[" << i << "]";
    }
}

}  // namespace
}  // namespace kiln
