// The autotuner end to end (label gpu): a GPU build times the cuDNN algorithms of every convolution and
// records the winner in the plan (tactic name "cudnn_fwd_<algorithm>", id = the algorithm), the plan's
// header carries the workspace the winners need, the engine runs the tuned plan with those algorithms,
// and the outputs match the CPU plan (the reference kernels). Skipped without a GPU.
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

constexpr int64_t kN = 3, kC = 8, kH = 23, kW = 17, kK = 24;

using gputest::runGpuPlan;
using gputest::uniformFloats;

struct TwoConvNet {
    std::vector<float> w1 = uniformFloats(kK * kC * 9, 1), b1 = uniformFloats(kK, 2);
    std::vector<float> w2 = uniformFloats(kK * kK * 25, 3), b2 = uniformFloats(kK, 4);

    /// TF32 is TensorRT's (and Kiln's) default; exact float32 unless `tf32`.
    std::unique_ptr<IHostMemory> build(const char* target, testing::TestLogger& logger,
                                       bool tf32 = false) const {
        std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
        std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
        ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(kN, kC, kH, kW));
        auto* c1 = net->addConvolutionNd(*x, kK, Dims2(3, 3),
                                         Weights{DataType::kFLOAT, w1.data(), (int64_t)w1.size()},
                                         Weights{DataType::kFLOAT, b1.data(), kK});
        c1->setPaddingNd(Dims2(1, 1));
        auto* relu = net->addActivation(*c1->getOutput(0), ActivationType::kRELU);
        auto* c2 = net->addConvolutionNd(*relu->getOutput(0), kK, Dims2(5, 5),
                                         Weights{DataType::kFLOAT, w2.data(), (int64_t)w2.size()},
                                         Weights{DataType::kFLOAT, b2.data(), kK});
        c2->setPaddingNd(Dims2(2, 2));
        c2->getOutput(0)->setName("y");
        net->markOutput(*c2->getOutput(0));
        std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
        if (!config->setTargetDevice(target)) return nullptr;
        if (!tf32) config->clearFlag(BuilderFlag::kTF32);
        return std::unique_ptr<IHostMemory>(builder->buildSerializedNetwork(*net, *config));
    }
};

TEST(CudaTuning, ConvolutionsGetTimedCudnnAlgorithmsAndMatchTheCpuPlan) {
    if (!backends::cudaCompiledIn()) GTEST_SKIP() << "Kiln was built without CUDA";
    if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
    TwoConvNet net;
    testing::TestLogger logger;
    auto gpuPlan = net.build("cuda:0", logger);
    ASSERT_NE(gpuPlan, nullptr) << logger.allErrors();
    auto cpuPlan = net.build("cpu", logger);
    ASSERT_NE(cpuPlan, nullptr) << logger.allErrors();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> gpu(runtime->deserializeCudaEngine(gpuPlan->data(), gpuPlan->size()));
    std::unique_ptr<ICudaEngine> cpu(runtime->deserializeCudaEngine(cpuPlan->data(), cpuPlan->size()));
    ASSERT_NE(gpu, nullptr) << logger.allErrors();
    ASSERT_NE(cpu, nullptr) << logger.allErrors();

    // Both convolutions were tuned: the inspector shows a cuDNN algorithm as their tactic.
    std::unique_ptr<IEngineInspector> inspector(gpu->createEngineInspector());
    int32_t tuned = 0;
    for (int32_t i = 0; i < gpu->getNbLayers(); ++i) {
        const std::string info = inspector->getLayerInformation(i);
        if (info.find("\"op\":\"Convolution\"") == std::string::npos) continue;
        EXPECT_NE(info.find("\"tactic\":\"cudnn_fwd_"), std::string::npos) << info;
        ++tuned;
    }
    EXPECT_EQ(tuned, 2);

    const std::vector<float> x = uniformFloats(kN * kC * kH * kW, 9);
    const size_t outCount = static_cast<size_t>(kN * kK * kH * kW);
    std::vector<float> want(outCount), got;
    std::unique_ptr<IExecutionContext> cctx(cpu->createExecutionContext());
    cctx->setInputTensorAddress("x", x.data());
    cctx->setTensorAddress("y", want.data());
    ASSERT_TRUE(cctx->enqueueV3(nullptr)) << logger.allErrors();

    got = runGpuPlan(*gpu, x, outCount, logger);
    ASSERT_FALSE(::testing::Test::HasFailure());
    // Float32 without TF32 on both sides, and no transform (FFT/Winograd) algorithms among float32's
    // candidates: the sums (72 and 600 products) differ only in their order, far below 1e-5 of the scale.
    double scale = 0.0;
    for (float v : want) scale = std::max(scale, std::fabs(static_cast<double>(v)));
    for (size_t i = 0; i < outCount; ++i)
        ASSERT_NEAR(got[i], want[i], 1e-5 * scale + 1e-5) << "y[" << i << "]";
}

// BuilderFlag::kTF32 (the default): the plan says so, and float32 convolutions run TF32 tensor-core math:
// within TF32's error (10-bit mantissa products: ~1e-3 of the scale for 600-term sums) of the CPU plan,
// and measurably off exact float32 (the largest deviation well above the 1e-5 exact float32 keeps).
TEST(CudaTuning, Tf32PlansRunFloat32ConvolutionsOnTensorCores) {
    if (!backends::cudaCompiledIn()) GTEST_SKIP() << "Kiln was built without CUDA";
    if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
    TwoConvNet net;
    testing::TestLogger logger;
    auto tf32Plan = net.build("cuda:0", logger, /*tf32=*/true);
    ASSERT_NE(tf32Plan, nullptr) << logger.allErrors();
    auto cpuPlan = net.build("cpu", logger);
    ASSERT_NE(cpuPlan, nullptr) << logger.allErrors();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> gpu(runtime->deserializeCudaEngine(tf32Plan->data(), tf32Plan->size()));
    std::unique_ptr<ICudaEngine> cpu(runtime->deserializeCudaEngine(cpuPlan->data(), cpuPlan->size()));
    ASSERT_NE(gpu, nullptr) << logger.allErrors();
    ASSERT_NE(cpu, nullptr) << logger.allErrors();
    std::unique_ptr<IEngineInspector> inspector(gpu->createEngineInspector());
    EXPECT_NE(std::string(inspector->getEngineInformation()).find("\"tf32\":true"), std::string::npos);

    const std::vector<float> x = uniformFloats(kN * kC * kH * kW, 9);
    const size_t outCount = static_cast<size_t>(kN * kK * kH * kW);
    std::vector<float> want(outCount);
    std::unique_ptr<IExecutionContext> cctx(cpu->createExecutionContext());
    cctx->setInputTensorAddress("x", x.data());
    cctx->setTensorAddress("y", want.data());
    ASSERT_TRUE(cctx->enqueueV3(nullptr)) << logger.allErrors();
    const std::vector<float> got = runGpuPlan(*gpu, x, outCount, logger);
    ASSERT_FALSE(::testing::Test::HasFailure());
    double scale = 0.0, worst = 0.0;
    for (float v : want) scale = std::max(scale, std::fabs(static_cast<double>(v)));
    for (size_t i = 0; i < outCount; ++i) {
        const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
        worst = std::max(worst, err);
        ASSERT_LE(err, 1e-2 * scale) << "y[" << i << "]";
    }
    EXPECT_GT(worst, 1e-5 * scale) << "no TF32 rounding visible: float32 ran exact";
}

}  // namespace
}  // namespace kiln
