// GPU plans end to end (label gpu): build for cuda:0, serialize, deserialize, run with enqueueV3 on the
// caller's stream and with executeV2, and compare with the same network built for the CPU (the reference
// kernels). Also: user-managed activation memory, many contexts on many streams from several threads,
// capture into a CUDA graph, a plan refused on another GPU architecture, and a build that lists every node
// without a CUDA kernel. Without a GPU every test is reported as skipped.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backends/device_info.h"
#include "kiln/kiln.h"
#include "runtime/device_runner.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

#define CUDA_OK(expr) ASSERT_EQ((expr), cudaSuccess) << #expr

class CudaEngineTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!backends::cudaCompiledIn()) GTEST_SKIP() << "Kiln was built without CUDA";
        if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
    }
};

constexpr int64_t kN = 3, kH = 7, kW = 5;
const std::vector<float> kBias = {0.5f, -1.f, 2.f, 0.f, -0.25f, 3.f, 1.5f};
/// The network's only weights are the bias.
const int64_t kWeightsBytes = static_cast<int64_t>(kBias.size() * sizeof(float));

/// y = transpose(relu(x) + bias[1,7,1], (2,0,1)); z = x * x. Ops of the pointwise and movement families.
void defineNetwork(INetworkDefinition& net) {
    ITensor* x = net.addInput("x", DataType::kFLOAT, Dims3(kN, kH, kW));
    ITensor* r = net.addActivation(*x, ActivationType::kRELU)->getOutput(0);
    Weights w{DataType::kFLOAT, kBias.data(), static_cast<int64_t>(kBias.size())};
    ITensor* b = net.addConstant(Dims3(1, kH, 1), w)->getOutput(0);
    ITensor* s = net.addElementWise(*r, *b, ElementWiseOperation::kSUM)->getOutput(0);
    IShuffleLayer* t = net.addShuffle(*s);
    t->setFirstTranspose(Permutation{{2, 0, 1}});
    ITensor* y = t->getOutput(0);
    y->setName("y");
    net.markOutput(*y);
    ITensor* z = net.addElementWise(*x, *x, ElementWiseOperation::kPROD)->getOutput(0);
    z->setName("z");
    net.markOutput(*z);
}

std::unique_ptr<IHostMemory> buildPlan(const char* target, testing::TestLogger& logger) {
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    defineNetwork(*net);
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    if (!config->setTargetDevice(target)) return nullptr;
    return std::unique_ptr<IHostMemory>(builder->buildSerializedNetwork(*net, *config));
}

std::vector<float> randomInput(uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-2.f, 2.f);
    std::vector<float> v(kN * kH * kW);
    for (float& f : v) f = u(rng);
    return v;
}

struct Outputs {
    std::vector<float> y, z;
};

/// The CPU plan's outputs for `x` (the reference kernels).
Outputs runOnCpu(const std::vector<float>& x) {
    testing::TestLogger logger;
    auto plan = buildPlan("cpu", logger);
    EXPECT_NE(plan, nullptr) << logger.allErrors();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    Outputs o{std::vector<float>(x.size()), std::vector<float>(x.size())};
    ctx->setInputTensorAddress("x", x.data());
    ctx->setTensorAddress("y", o.y.data());
    ctx->setTensorAddress("z", o.z.data());
    EXPECT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    return o;
}

/// Device buffers for one run of the GPU plan.
struct DeviceIo {
    float* x{nullptr};
    float* y{nullptr};
    float* z{nullptr};
    DeviceIo() {
        const size_t bytes = kN * kH * kW * sizeof(float);
        cudaMalloc(&x, bytes);
        cudaMalloc(&y, bytes);
        cudaMalloc(&z, bytes);
    }
    ~DeviceIo() {
        cudaFree(x);
        cudaFree(y);
        cudaFree(z);
    }
    void bind(IExecutionContext& ctx) const {
        ctx.setInputTensorAddress("x", x);
        ctx.setTensorAddress("y", y);
        ctx.setTensorAddress("z", z);
    }
    Outputs fetch() const {
        Outputs o{std::vector<float>(kN * kH * kW), std::vector<float>(kN * kH * kW)};
        cudaMemcpy(o.y.data(), y, o.y.size() * sizeof(float), cudaMemcpyDeviceToHost);
        cudaMemcpy(o.z.data(), z, o.z.size() * sizeof(float), cudaMemcpyDeviceToHost);
        return o;
    }
};

// Relu, add and multiply are exact in float32 on both sides, and transpose is a copy: bit-exact.
void expectSame(const Outputs& got, const Outputs& want, const std::string& what) {
    ASSERT_EQ(got.y.size(), want.y.size());
    for (size_t i = 0; i < want.y.size(); ++i) ASSERT_EQ(got.y[i], want.y[i]) << what << ": y[" << i << "]";
    for (size_t i = 0; i < want.z.size(); ++i) ASSERT_EQ(got.z[i], want.z[i]) << what << ": z[" << i << "]";
}

struct GpuEngine {
    testing::TestLogger logger;
    std::unique_ptr<IRuntime> runtime;
    std::unique_ptr<ICudaEngine> engine;
    bool load() {
        auto plan = buildPlan("cuda:0", logger);
        if (!plan) return false;
        runtime.reset(createInferRuntime(logger));
        engine.reset(runtime->deserializeCudaEngine(plan->data(), plan->size()));
        return engine != nullptr;
    }
};

TEST_F(CudaEngineTest, BuildsForTheGpuAndMatchesTheCpuPlan) {
    GpuEngine g;
    ASSERT_TRUE(g.load()) << g.logger.allErrors();
    backends::CudaDeviceInfo info;
    ASSERT_TRUE(backends::cudaDeviceInfo(0, &info));
    EXPECT_EQ(std::string(g.engine->getTarget()), "sm_" + std::to_string(info.smMajor) + std::to_string(info.smMinor));
    EXPECT_GT(g.engine->getDeviceMemorySizeV2(), 0);
    std::unique_ptr<IExecutionContext> ctx(g.engine->createExecutionContext());
    ASSERT_NE(ctx, nullptr);
    const std::vector<float> x = randomInput(7);
    DeviceIo io;
    CUDA_OK(cudaMemcpy(io.x, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice));
    io.bind(*ctx);
    cudaStream_t stream{};
    CUDA_OK(cudaStreamCreate(&stream));
    ASSERT_TRUE(ctx->enqueueV3(stream)) << g.logger.allErrors();
    CUDA_OK(cudaStreamSynchronize(stream));
    cudaStreamDestroy(stream);
    const Outputs want = runOnCpu(x);
    expectSame(io.fetch(), want, "enqueueV3");
    CUDA_OK(cudaMemset(io.y, 0, x.size() * sizeof(float)));
    void* bindings[] = {io.x, io.y, io.z};
    ASSERT_TRUE(ctx->executeV2(bindings)) << g.logger.allErrors();
    expectSame(io.fetch(), want, "executeV2");
}

TEST_F(CudaEngineTest, RunsInUserManagedDeviceMemory) {
    GpuEngine g;
    ASSERT_TRUE(g.load()) << g.logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(
        g.engine->createExecutionContext(ExecutionContextAllocationStrategy::kUSER_MANAGED));
    const std::vector<float> x = randomInput(11);
    DeviceIo io;
    CUDA_OK(cudaMemcpy(io.x, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice));
    io.bind(*ctx);
    EXPECT_FALSE(ctx->enqueueV3(nullptr)) << "no memory given yet";
    EXPECT_TRUE(g.logger.hasError("setDeviceMemoryV2")) << g.logger.allErrors();
    const int64_t bytes = g.engine->getDeviceMemorySizeV2();
    void* memory = nullptr;
    CUDA_OK(cudaMalloc(&memory, static_cast<size_t>(bytes)));
    ctx->setDeviceMemoryV2(memory, bytes);
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << g.logger.allErrors();
    CUDA_OK(cudaDeviceSynchronize());
    expectSame(io.fetch(), runOnCpu(x), "user-managed memory");
    cudaFree(memory);
}

TEST_F(CudaEngineTest, FourContextsOnFourStreamsFromTwoThreadsMatchTheSerialRun) {
    GpuEngine g;
    ASSERT_TRUE(g.load()) << g.logger.allErrors();
    constexpr int kContexts = 4, kStreams = 4, kThreads = 2, kRuns = 8;
    std::vector<std::unique_ptr<IExecutionContext>> contexts;
    for (int c = 0; c < kContexts; ++c) contexts.emplace_back(g.engine->createExecutionContext());
    std::vector<cudaStream_t> streams(kStreams);
    for (auto& s : streams) CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    // Each context gets its own input; the serial CPU run is the reference.
    std::vector<std::vector<float>> inputs;
    std::vector<Outputs> want;
    std::vector<std::unique_ptr<DeviceIo>> io;
    for (int c = 0; c < kContexts; ++c) {
        inputs.push_back(randomInput(100 + c));
        want.push_back(runOnCpu(inputs.back()));
        io.push_back(std::make_unique<DeviceIo>());
        CUDA_OK(cudaMemcpy(io[c]->x, inputs[c].data(), inputs[c].size() * sizeof(float), cudaMemcpyHostToDevice));
        io[c]->bind(*contexts[c]);
    }
    std::vector<int> failures(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            // Thread t drives contexts t and t + 2, each alternating between two streams of its own.
            for (int run = 0; run < kRuns; ++run)
                for (int c = t; c < kContexts; c += kThreads) {
                    cudaStream_t s = streams[(c + run) % kStreams];
                    if (!contexts[c]->enqueueV3(s)) ++failures[t];
                    if (cudaStreamSynchronize(s) != cudaSuccess) ++failures[t];
                }
        });
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t << ": " << g.logger.allErrors();
    for (int c = 0; c < kContexts; ++c) expectSame(io[c]->fetch(), want[c], "context " + std::to_string(c));
    for (auto& s : streams) cudaStreamDestroy(s);
}

TEST_F(CudaEngineTest, EnqueueCanBeCapturedIntoACudaGraph) {
    GpuEngine g;
    ASSERT_TRUE(g.load()) << g.logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(g.engine->createExecutionContext());
    const std::vector<float> x = randomInput(23);
    DeviceIo io;
    CUDA_OK(cudaMemcpy(io.x, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice));
    io.bind(*ctx);
    cudaStream_t stream{};
    CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    // One run outside capture: the first run after new shapes uploads host-resolved values.
    ASSERT_TRUE(ctx->enqueueV3(stream)) << g.logger.allErrors();
    CUDA_OK(cudaStreamSynchronize(stream));
    CUDA_OK(cudaMemset(io.y, 0, x.size() * sizeof(float)));
    CUDA_OK(cudaMemset(io.z, 0, x.size() * sizeof(float)));
    cudaGraph_t graph{};
    CUDA_OK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    const bool enqueued = ctx->enqueueV3(stream);
    CUDA_OK(cudaStreamEndCapture(stream, &graph));
    ASSERT_TRUE(enqueued) << g.logger.allErrors();
    cudaGraphExec_t exec{};
    CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
    CUDA_OK(cudaGraphLaunch(exec, stream));
    CUDA_OK(cudaStreamSynchronize(stream));
    expectSame(io.fetch(), runOnCpu(x), "graph launch");
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    cudaStreamDestroy(stream);
}

/// Counts what Kiln asks for; backs it with cudaMalloc, or refuses everything when `refuse`.
class CountingAllocator final : public IGpuAllocator {
public:
    explicit CountingAllocator(bool refuse = false) : mRefuse(refuse) {}
    void* allocateAsync(uint64_t size, uint64_t alignment, uint32_t, cudaStream_t) noexcept override {
        ++calls;
        lastAlignment = alignment;
        if (mRefuse) return nullptr;
        void* p = nullptr;
        if (cudaMalloc(&p, size) != cudaSuccess) return nullptr;
        ++live;
        bytes += static_cast<int64_t>(size);
        return p;
    }
    bool deallocateAsync(void* memory, cudaStream_t) noexcept override {
        if (!memory || cudaFree(memory) != cudaSuccess) return false;
        --live;
        return true;
    }
    int calls{0};
    int live{0};
    int64_t bytes{0};
    uint64_t lastAlignment{0};

private:
    bool mRefuse;
};

TEST_F(CudaEngineTest, EveryDeviceAllocationGoesThroughTheUsersAllocator) {
    testing::TestLogger logger;
    auto plan = buildPlan("cuda:0", logger);
    ASSERT_NE(plan, nullptr) << logger.allErrors();
    CountingAllocator allocator;
    const std::vector<float> x = randomInput(31);
    {
        std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
        runtime->setGpuAllocator(&allocator);
        std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
        ASSERT_NE(engine, nullptr) << logger.allErrors();
        EXPECT_GE(allocator.live, 1) << "the weights";
        std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
        DeviceIo io;
        ASSERT_EQ(cudaMemcpy(io.x, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
        io.bind(*ctx);
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        expectSame(io.fetch(), runOnCpu(x), "with the user's allocator");
        // Weights, arena, workspace and the mirror of host-resolved values.
        EXPECT_GE(allocator.calls, 3);
        EXPECT_GE(allocator.bytes, kWeightsBytes);
        EXPECT_GE(allocator.lastAlignment, 256u);
    }
    EXPECT_EQ(allocator.live, 0) << "everything allocated was given back when the engine and context went away";

    CountingAllocator refusing(true);
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    runtime->setGpuAllocator(&refusing);
    logger.clear();
    EXPECT_EQ(runtime->deserializeCudaEngine(plan->data(), plan->size()), nullptr);
    EXPECT_TRUE(logger.hasError("IGpuAllocator returned no memory")) << logger.allErrors();
}

TEST_F(CudaEngineTest, APlanForAnotherArchitectureIsRefusedNamingBothSides) {
    plan::PlanHeader h;
    h.target = "sm_10";
    h.deviceName = "Imaginary GPU";
    Status st = runtime::checkPlanDevice(h, 0);
    ASSERT_FALSE(st.isOk());
    backends::CudaDeviceInfo info;
    ASSERT_TRUE(backends::cudaDeviceInfo(0, &info));
    for (const std::string& piece : {std::string("sm_10"), std::string("Imaginary GPU"),
                                     "sm_" + std::to_string(info.smMajor) + std::to_string(info.smMinor),
                                     std::string("rebuild the plan")})
        EXPECT_NE(st.message().find(piece), std::string::npos) << piece << " in: " << st.message();
}

TEST_F(CudaEngineTest, TheBuildListsEveryNodeWithoutACudaKernel) {
    // Dequantize has no CUDA kernel yet (backends/cuda/kernels/pending.cc): a network with two of them
    // fails the build, and both are listed, not only the first.
    testing::TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kINT8, Dims2(2, 3));
    const float scale = 0.5f;
    ITensor* s = net->addConstant(Dims{0, {}}, Weights{DataType::kFLOAT, &scale, 1})->getOutput(0);
    ITensor* a = net->addDequantize(*x, *s, DataType::kFLOAT)->getOutput(0);
    ITensor* b = net->addDequantize(*x, *s, DataType::kFLOAT)->getOutput(0);
    net->markOutput(*a);
    net->markOutput(*b);
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    ASSERT_TRUE(config->setTargetDevice("cuda:0"));
    std::unique_ptr<IHostMemory> plan(builder->buildSerializedNetwork(*net, *config));
    ASSERT_EQ(plan, nullptr) << "if Dequantize has a CUDA kernel now, pick an op that has none for this test";
    const std::string errors = logger.allErrors();
    EXPECT_NE(errors.find("nodes have no CUDA kernel"), std::string::npos) << errors;
    size_t listed = 0;
    for (size_t at = errors.find("no kernel for Dequantize"); at != std::string::npos;
         at = errors.find("no kernel for Dequantize", at + 1))
        ++listed;
    EXPECT_GE(listed, 2u) << "both dequantizes are listed, not only the first:\n" << errors;
}

}  // namespace
}  // namespace kiln
