// Zero-copy views on GPU plans (label gpu): every network of support/view_networks.h is built for cuda:0
// and for the CPU, run on both, and compared; the GPU resolution must make exactly the expected nodes
// views (only at 64-byte offsets, so network gather_axis0_3x5x7 also exercises the copying fallback),
// and the profiler must time only the nodes that still run. The same networks with every input placed
// at 4 bytes past a 256-byte boundary check that a view of a less aligned user buffer still reads right.
// A dynamic batch switches a Gather between view (batch 1) and copy (batch 3) on one context. Without a
// GPU every test is reported as skipped.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backends/device_info.h"
#include "common/thread_pool.h"
#include "kiln/kiln.h"
#include "plan/plan.h"
#include "runtime/shape_resolver.h"
#include "support/test_logger.h"
#include "support/view_networks.h"

namespace kiln {
namespace {

using testing::TestLogger;
using testing::ViewNetwork;

class CudaViewTest : public ::testing::TestWithParam<ViewNetwork> {
protected:
    void SetUp() override {
        if (!backends::cudaCompiledIn()) GTEST_SKIP() << "Kiln was built without CUDA";
        if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
    }
};

std::unique_ptr<IHostMemory> build(const std::function<void(INetworkDefinition&)>& define, const char* target,
                                   TestLogger& logger) {
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    define(*net);
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    if (!config->setTargetDevice(target)) return nullptr;
    return std::unique_ptr<IHostMemory>(builder->buildSerializedNetwork(*net, *config));
}

struct CountingProfiler : IProfiler {
    int32_t count{0};
    void reportLayerTime(const char*, float) noexcept override { ++count; }
};

/// One device allocation per tensor, the tensor starting `skew` bytes past the (256-byte aligned) base.
struct DeviceBuffers {
    std::vector<void*> bases;
    ~DeviceBuffers() {
        for (void* p : bases) cudaFree(p);
    }
    float* add(size_t elements, size_t skew) {
        void* p = nullptr;
        if (cudaMalloc(&p, elements * sizeof(float) + skew) != cudaSuccess) return nullptr;
        bases.push_back(p);
        return reinterpret_cast<float*>(static_cast<uint8_t*>(p) + skew);
    }
};

/// Runs the engine on the device with inputs and outputs `skew` bytes past a 256-byte boundary.
std::vector<std::vector<float>> runOnDevice(ICudaEngine& engine, const ViewNetwork& net,
                                            const std::vector<std::vector<float>>& inputs,
                                            const std::vector<size_t>& outputSizes, size_t skew,
                                            IProfiler* profiler, TestLogger& logger) {
    std::unique_ptr<IExecutionContext> ctx(engine.createExecutionContext());
    EXPECT_NE(ctx, nullptr);
    if (!ctx) return {};
    ctx->setProfiler(profiler);
    DeviceBuffers buffers;
    for (size_t k = 0; k < inputs.size(); ++k) {
        float* d = buffers.add(inputs[k].size(), skew);
        EXPECT_NE(d, nullptr);
        if (!d) return {};
        cudaMemcpy(d, inputs[k].data(), inputs[k].size() * sizeof(float), cudaMemcpyHostToDevice);
        ctx->setInputTensorAddress(net.inputs[k].first.c_str(), d);
    }
    std::vector<float*> outs;
    for (size_t k = 0; k < outputSizes.size(); ++k) {
        outs.push_back(buffers.add(outputSizes[k], skew));
        EXPECT_NE(outs.back(), nullptr);
        if (!outs.back()) return {};
        cudaMemset(outs.back(), 0xAB, outputSizes[k] * sizeof(float));
        ctx->setTensorAddress(net.outputs[k].c_str(), outs.back());
    }
    cudaStream_t stream{};
    EXPECT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    EXPECT_TRUE(ctx->enqueueV3(stream)) << net.name << ": " << logger.allErrors();
    EXPECT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    cudaStreamDestroy(stream);
    std::vector<std::vector<float>> got;
    for (size_t k = 0; k < outs.size(); ++k) {
        got.emplace_back(outputSizes[k]);
        cudaMemcpy(got.back().data(), outs[k], outputSizes[k] * sizeof(float), cudaMemcpyDeviceToHost);
    }
    return got;
}

std::vector<std::vector<float>> runOnCpu(const ViewNetwork& net,
                                         const std::vector<std::vector<float>>& inputs,
                                         const std::vector<size_t>& outputSizes, TestLogger& logger) {
    auto plan = build(net.define, "cpu", logger);
    EXPECT_NE(plan, nullptr) << logger.allErrors();
    if (!plan) return {};
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    for (size_t k = 0; k < inputs.size(); ++k)
        ctx->setInputTensorAddress(net.inputs[k].first.c_str(), inputs[k].data());
    std::vector<std::vector<float>> got;
    for (size_t k = 0; k < outputSizes.size(); ++k) got.emplace_back(outputSizes[k]);
    for (size_t k = 0; k < got.size(); ++k) ctx->setTensorAddress(net.outputs[k].c_str(), got[k].data());
    EXPECT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    return got;
}

// Relu, one add and one multiply per element are correctly rounded on both sides; the tolerance only
// allows a contraction into an FMA by the device compiler.
void expectClose(const std::vector<std::vector<float>>& got, const std::vector<std::vector<float>>& want,
                 const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t k = 0; k < want.size(); ++k) {
        ASSERT_EQ(got[k].size(), want[k].size()) << what;
        for (size_t i = 0; i < want[k].size(); ++i)
            ASSERT_NEAR(got[k][i], want[k][i], 1e-6 * (1.0 + std::fabs(want[k][i])))
                << what << ": output " << k << " element " << i;
    }
}

int32_t executedNodes(const runtime::ResolvedShapes& r) {
    int32_t n = 0;
    for (bool done : r.nodeDone) n += done ? 0 : 1;
    return n;
}

TEST_P(CudaViewTest, MatchesTheCpuPlanWithTheExpectedViews) {
    const ViewNetwork& net = GetParam();
    TestLogger logger;
    auto plan = build(net.define, "cuda:0", logger);
    ASSERT_NE(plan, nullptr) << logger.allErrors();
    const auto inputs = testing::viewInputs(net, 11);
    std::vector<size_t> sizes;
    for (const auto& r : net.reference(inputs)) sizes.push_back(r.size());
    const auto want = runOnCpu(net, inputs, sizes, logger);

    auto parsed = plan::readPlan(plan->data(), plan->size());
    ASSERT_TRUE(parsed.isOk()) << parsed.status().message();
    std::vector<Dims> shapes;
    for (const auto& in : net.inputs) shapes.push_back(in.second);
    ThreadPool pool(1);
    auto resolved = runtime::resolveShapes(*parsed, shapes, {}, pool);
    ASSERT_TRUE(resolved.isOk()) << resolved.status().message();
    EXPECT_EQ((*resolved)->nbViewNodes, net.viewsGpu) << net.name;

    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    EXPECT_EQ(engine->getDeviceMemorySizeV2(), (*resolved)->arenaSize) << net.name;
    CountingProfiler profiler;
    expectClose(runOnDevice(*engine, net, inputs, sizes, 0, &profiler, logger), want, net.name);
    EXPECT_EQ(profiler.count, executedNodes(**resolved)) << net.name << ": view nodes are not launched";
    expectClose(runOnDevice(*engine, net, inputs, sizes, 4, nullptr, logger), want,
                net.name + " (buffers at +4 bytes)");
}

INSTANTIATE_TEST_SUITE_P(Networks, CudaViewTest, ::testing::ValuesIn(testing::viewNetworks()),
                         [](const ::testing::TestParamInfo<ViewNetwork>& info) { return info.param.name; });

TEST(CudaViewDynamicTest, GatherSwitchesBetweenViewAndCopyWithTheBatch) {
    if (!backends::cudaCompiledIn() || backends::cudaDeviceCount() == 0)
        GTEST_SKIP() << "no CUDA device on this machine";
    // y = relu(x[B,3,8])[:, 2, :] + 0.25: at batch 1 one slab at 64 bytes (a view), else B rows (a copy).
    auto store = std::make_shared<testing::ConstantStore>();
    ViewNetwork net;
    net.name = "dynamic_gather";
    net.outputs = {"y"};
    net.define = [store](INetworkDefinition& n) {
        ITensor* r = testing::relu(n, *n.addInput("x", DataType::kFLOAT, Dims3(-1, 3, 8)));
        ITensor* g = n.addGather(*r, *testing::index(n, *store, 2, true), 1)->getOutput(0);
        testing::output(
            n, testing::binary(n, *g, *testing::scalar(n, *store, 2, 0.25f), ElementWiseOperation::kSUM),
            "y");
    };
    TestLogger logger;
    auto plan = build(net.define, "cuda:0", logger);
    ASSERT_NE(plan, nullptr) << logger.allErrors();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    DeviceBuffers buffers;
    float* x = buffers.add(3 * 24, 0);
    float* y = buffers.add(3 * 8, 0);
    ASSERT_TRUE(x && y);
    cudaStream_t stream{};
    ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    for (int64_t b : {1, 3, 1}) {
        std::vector<float> hx(static_cast<size_t>(b * 24));
        for (size_t i = 0; i < hx.size(); ++i)
            hx[i] = static_cast<float>((static_cast<int64_t>(i) * 7) % 11) - 5.f;
        cudaMemcpy(x, hx.data(), hx.size() * sizeof(float), cudaMemcpyHostToDevice);
        ASSERT_TRUE(ctx->setInputShape("x", Dims3(b, 3, 8)));
        ctx->setInputTensorAddress("x", x);
        ctx->setTensorAddress("y", y);
        ASSERT_TRUE(ctx->enqueueV3(stream)) << logger.allErrors();
        ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
        std::vector<float> got(static_cast<size_t>(b * 8));
        cudaMemcpy(got.data(), y, got.size() * sizeof(float), cudaMemcpyDeviceToHost);
        for (int64_t i = 0; i < b; ++i)
            for (int64_t j = 0; j < 8; ++j)  // small integers plus 0.25: exact
                ASSERT_EQ(got[static_cast<size_t>(i * 8 + j)],
                          std::max(0.f, hx[static_cast<size_t>(i * 24 + 16 + j)]) + 0.25f)
                    << "batch " << b << " row " << i << " column " << j;
    }
    cudaStreamDestroy(stream);
}

}  // namespace
}  // namespace kiln
