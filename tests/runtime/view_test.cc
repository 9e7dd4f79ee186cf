// Zero-copy views on CPU plans (src/runtime/view_analysis.h, shape_resolver.cc): every network of
// support/view_networks.h is built through the public API, run, and compared with its naive double
// computation; its resolution is compared with one made without views (the same plan resolved with
// ResolveOptions{views = false}): the expected nodes become views (and, on a GPU target, only those at
// 64-byte multiples), the arena never grows, and the profiler sees exactly the nodes that still run.
// Dynamic shapes: a Gather that is a view at batch 1 and a copy at batch 3, on one context.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

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

std::vector<uint8_t> build(const std::function<void(INetworkDefinition&)>& define, TestLogger& logger) {
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    define(*net);
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    EXPECT_TRUE(config->setTargetDevice("cpu"));
    std::unique_ptr<IHostMemory> plan(builder->buildSerializedNetwork(*net, *config));
    EXPECT_NE(plan, nullptr) << logger.allErrors();
    if (!plan) return {};
    const auto* p = static_cast<const uint8_t*>(plan->data());
    return {p, p + plan->size()};
}

std::unique_ptr<runtime::ResolvedShapes> resolve(const plan::Plan& plan, const std::vector<Dims>& shapes,
                                                 bool views) {
    ThreadPool pool(1);
    runtime::ResolveOptions options;
    options.views = views;
    auto r = runtime::resolveShapes(plan, shapes, {}, pool, options);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? std::move(*r) : nullptr;
}

int32_t executedNodes(const runtime::ResolvedShapes& r) {
    int32_t n = 0;
    for (bool done : r.nodeDone) n += done ? 0 : 1;
    return n;
}

struct CountingProfiler : IProfiler {
    std::vector<std::string> names;
    void reportLayerTime(const char* layerName, float) noexcept override { names.emplace_back(layerName); }
};

// Relu is exact; one float add or multiply rounds once (relative 2^-24), two chained ones twice.
constexpr double kTolerance = 1e-6;

void expectClose(const std::vector<float>& got, const std::vector<double>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], kTolerance * (1.0 + std::fabs(want[i]))) << what << " at element " << i;
}

class ViewTest : public ::testing::TestWithParam<ViewNetwork> {};

TEST_P(ViewTest, RunsMatchNaiveComputationWithoutGrowingTheArena) {
    const ViewNetwork& net = GetParam();
    TestLogger logger;
    const std::vector<uint8_t> bytes = build(net.define, logger);
    ASSERT_FALSE(bytes.empty());
    const std::vector<std::vector<float>> inputs = testing::viewInputs(net, 7);
    const std::vector<std::vector<double>> want = net.reference(inputs);

    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    CountingProfiler profiler;
    ctx->setProfiler(&profiler);
    for (size_t k = 0; k < inputs.size(); ++k)
        ctx->setInputTensorAddress(net.inputs[k].first.c_str(), inputs[k].data());
    std::vector<std::vector<float>> got;
    for (size_t k = 0; k < net.outputs.size(); ++k) {
        got.emplace_back(want[k].size(), -12345.f);
        ctx->setTensorAddress(net.outputs[k].c_str(), got.back().data());
    }
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << net.name << ": " << logger.allErrors();
    for (size_t k = 0; k < got.size(); ++k)
        expectClose(got[k], want[k], net.name + " output " + net.outputs[k]);

    auto planOr = plan::readPlan(bytes.data(), bytes.size());
    ASSERT_TRUE(planOr.isOk()) << planOr.status().message();
    plan::Plan plan = std::move(*planOr);
    std::vector<Dims> shapes;
    for (const auto& in : net.inputs) shapes.push_back(in.second);
    auto withViews = resolve(plan, shapes, true);
    auto copies = resolve(plan, shapes, false);
    ASSERT_TRUE(withViews && copies);
    EXPECT_EQ(withViews->nbViewNodes, net.viewsCpu) << net.name;
    EXPECT_EQ(copies->nbViewNodes, 0) << net.name;
    EXPECT_LE(withViews->arenaSize, copies->arenaSize) << net.name;
    EXPECT_EQ(engine->getDeviceMemorySizeV2(), withViews->arenaSize) << net.name;
    EXPECT_EQ(ctx->getDeviceMemorySizeForCurrentShapes(), withViews->arenaSize) << net.name;
    // Skipped view nodes report no time; every other executed node does.
    EXPECT_EQ(static_cast<int32_t>(profiler.names.size()), executedNodes(*withViews)) << net.name;
    EXPECT_EQ(executedNodes(*withViews), executedNodes(*copies) - net.viewsCpu) << net.name;
    for (size_t t = 0; t < withViews->storage.size(); ++t) {
        if (withViews->storage[t] != runtime::Storage::kVIEW) continue;
        const auto root = static_cast<size_t>(withViews->viewOf[t]);
        EXPECT_NE(withViews->storage[root], runtime::Storage::kVIEW)
            << net.name << ": views point at their root";
        EXPECT_FALSE(plan.graph.tensor(static_cast<ir::TensorId>(t)).isOutput) << net.name;
    }

    // The same plan resolved for a GPU target keeps views only at offsets that are multiples of 64 bytes.
    plan::Plan gpu = plan;
    gpu.header.target = "sm_90";
    auto onGpu = resolve(gpu, shapes, true);
    ASSERT_TRUE(onGpu);
    EXPECT_EQ(onGpu->nbViewNodes, net.viewsGpu) << net.name;
    for (size_t t = 0; t < onGpu->storage.size(); ++t) {
        if (onGpu->storage[t] == runtime::Storage::kVIEW) {
            EXPECT_EQ(onGpu->viewOffset[t] % 64, 0) << net.name;
        }
    }
    EXPECT_LE(onGpu->arenaSize, copies->arenaSize) << net.name;
}

INSTANTIATE_TEST_SUITE_P(Networks, ViewTest, ::testing::ValuesIn(testing::viewNetworks()),
                         [](const ::testing::TestParamInfo<ViewNetwork>& info) { return info.param.name; });

TEST(ViewDynamicTest, GatherIsAViewOnlyWhileTheOuterDimIsOne) {
    // y = relu(x[B,3,8])[:, 2, :] + 0.25: one slab of x when B == 1, B strided rows otherwise.
    TestLogger logger;
    testing::ConstantStore store;
    auto define = [&](INetworkDefinition& net) {
        ITensor* r = testing::relu(net, *net.addInput("x", DataType::kFLOAT, Dims3(-1, 3, 8)));
        ITensor* g = net.addGather(*r, *testing::index(net, store, 2, true), 1)->getOutput(0);
        testing::output(
            net, testing::binary(net, *g, *testing::scalar(net, store, 2, 0.25f), ElementWiseOperation::kSUM),
            "y");
    };
    const std::vector<uint8_t> bytes = build(define, logger);
    ASSERT_FALSE(bytes.empty());
    auto planOr = plan::readPlan(bytes.data(), bytes.size());
    ASSERT_TRUE(planOr.isOk()) << planOr.status().message();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    for (int64_t b : {1, 3, 1, 2}) {
        const std::string what = "batch " + std::to_string(b);
        auto views = resolve(*planOr, {Dims3(b, 3, 8)}, true);
        auto copies = resolve(*planOr, {Dims3(b, 3, 8)}, false);
        ASSERT_TRUE(views && copies);
        EXPECT_EQ(views->nbViewNodes, b == 1 ? 1 : 0) << what;
        EXPECT_LE(views->arenaSize, copies->arenaSize) << what;

        std::vector<float> x(static_cast<size_t>(b * 24));
        std::mt19937 rng(static_cast<uint32_t>(b));
        std::uniform_real_distribution<float> u(-2.f, 2.f);
        for (float& e : x) e = u(rng);
        std::vector<float> y(static_cast<size_t>(b * 8), -1.f);
        ASSERT_TRUE(ctx->setInputShape("x", Dims3(b, 3, 8)));
        EXPECT_EQ(ctx->getDeviceMemorySizeForCurrentShapes(), views->arenaSize) << what;
        ctx->setInputTensorAddress("x", x.data());
        ctx->setTensorAddress("y", y.data());
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << what << ": " << logger.allErrors();
        std::vector<double> want;
        for (int64_t i = 0; i < b; ++i)
            for (int64_t j = 0; j < 8; ++j)
                want.push_back(testing::reluOf(x[static_cast<size_t>(i * 24 + 16 + j)]) + 0.25);
        expectClose(y, want, what);
    }
}

TEST(ViewDynamicTest, UserManagedMemoryOfTheReportedSizeIsEnough) {
    // The views_of_views network with the arena the context reports, filled with garbage first: a view
    // whose root had been reused would read it.
    ViewNetwork net;
    for (const ViewNetwork& v : testing::viewNetworks())
        if (v.name == "views_of_views") net = v;
    ASSERT_EQ(net.name, "views_of_views");
    TestLogger logger;
    const std::vector<uint8_t> bytes = build(net.define, logger);
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(
        engine->createExecutionContext(ExecutionContextAllocationStrategy::kUSER_MANAGED));
    const int64_t need = ctx->getDeviceMemorySizeForCurrentShapes();
    ASSERT_GT(need, 0);
    std::vector<uint8_t> arena(static_cast<size_t>(need), 0xCD);
    ctx->setDeviceMemoryV2(arena.data(), need);
    const auto inputs = testing::viewInputs(net, 3);
    const auto want = net.reference(inputs);
    std::vector<float> y(want[0].size()), z(want[1].size());
    ctx->setInputTensorAddress("x", inputs[0].data());
    ctx->setTensorAddress("y", y.data());
    ctx->setTensorAddress("z", z.data());
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    expectClose(y, want[0], "y");
    expectClose(z, want[1], "z");
}

}  // namespace
}  // namespace kiln
