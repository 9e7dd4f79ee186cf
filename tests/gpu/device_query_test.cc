// GPU tests (ctest label `gpu`): device discovery — find the devices, describe them, and refuse a
// cuda:N build for a device that does not exist with a message that says why. Without a GPU every test here is
// reported as skipped, never as passed.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backends/device_info.h"
#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

class GpuTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!backends::cudaCompiledIn()) GTEST_SKIP() << "Kiln was built without CUDA";
        if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
    }
};

TEST_F(GpuTest, DescribesEveryDevice) {
    int32_t n = backends::cudaDeviceCount();
    for (int32_t i = 0; i < n; ++i) {
        backends::CudaDeviceInfo info;
        ASSERT_TRUE(backends::cudaDeviceInfo(i, &info)) << "device " << i;
        EXPECT_FALSE(info.name.empty());
        EXPECT_GE(info.smMajor, 7) << info.name;
        EXPECT_GT(info.totalMemory, int64_t(1) << 30) << info.name;
        std::printf("cuda:%d  %s  sm_%d%d  %.1f GiB\n", i, info.name.c_str(), info.smMajor, info.smMinor,
                    double(info.totalMemory) / double(1 << 30));
    }
    backends::CudaDeviceInfo none;
    EXPECT_FALSE(backends::cudaDeviceInfo(n, &none));
    EXPECT_GE(backends::cudaRuntimeVersion(), 12000);
}

TEST_F(GpuTest, AMissingDeviceIndexIsRefusedWithAReason) {
    testing::TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(2, 3));
    net->markOutput(*net->addActivation(*x, ActivationType::kRELU)->getOutput(0));
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    const std::string pastLast = "cuda:" + std::to_string(backends::cudaDeviceCount());
    ASSERT_TRUE(config->setTargetDevice(pastLast.c_str()));
    EXPECT_EQ(builder->buildSerializedNetwork(*net, *config), nullptr);
    EXPECT_TRUE(logger.hasError("CUDA device(s)")) << logger.allErrors();
}

}  // namespace
}  // namespace kiln
