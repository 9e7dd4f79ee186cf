// Runtime tests through the public API: build -> serialize -> deserialize -> run, compared with a naive
// double-precision computation written here; dynamic shapes; shape tensors; user-managed memory;
// profiler; and the errors the API must report.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

using testing::TestLogger;

template <class T>
struct Deleter {
    void operator()(T* p) const { delete p; }
};
template <class T>
using Ptr = std::unique_ptr<T, Deleter<T>>;

Dims dims1(int64_t n) {
    Dims d;
    d.nbDims = 1;
    d.d[0] = n;
    return d;
}

std::vector<float> randomVector(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// The network: x[N,3,7,5] -> conv 3x3 (3->4, pad 1, bias) -> relu -> reshape [N, 140] -> matmul W[140,6]
// -> + b[1,6].
struct SmallNet {
    static constexpr int C = 3, H = 7, W = 5, K = 4, F = 6;
    std::vector<float> convW = randomVector(K * C * 9, 1);
    std::vector<float> convB = randomVector(K, 2);
    std::vector<float> fcW = randomVector(K * H * W * F, 3, -0.2f, 0.2f);
    std::vector<float> fcB = randomVector(F, 4);

    void define(INetworkDefinition& net, int64_t batch) const {
        ITensor* x = net.addInput("x", DataType::kFLOAT, Dims4(batch, C, H, W));
        auto* conv = net.addConvolutionNd(*x, K, Dims2(3, 3), Weights{DataType::kFLOAT, convW.data(), (int64_t)convW.size()},
                                          Weights{DataType::kFLOAT, convB.data(), K});
        conv->setPaddingNd(Dims2(1, 1));
        auto* relu = net.addActivation(*conv->getOutput(0), ActivationType::kRELU);
        auto* flat = net.addShuffle(*relu->getOutput(0));
        flat->setReshapeDimensions(Dims2(0, -1));
        auto* w = net.addConstant(Dims2(K * H * W, F), Weights{DataType::kFLOAT, fcW.data(), (int64_t)fcW.size()});
        auto* mm = net.addMatrixMultiply(*flat->getOutput(0), MatrixOperation::kNONE, *w->getOutput(0), MatrixOperation::kNONE);
        auto* b = net.addConstant(Dims2(1, F), Weights{DataType::kFLOAT, fcB.data(), F});
        auto* add = net.addElementWise(*mm->getOutput(0), *b->getOutput(0), ElementWiseOperation::kSUM);
        add->getOutput(0)->setName("y");
        net.markOutput(*add->getOutput(0));
    }

    std::vector<double> reference(const std::vector<float>& x, int n) const {
        std::vector<double> act(static_cast<size_t>(n * K * H * W));
        for (int b = 0; b < n; ++b)
            for (int k = 0; k < K; ++k)
                for (int i = 0; i < H; ++i)
                    for (int j = 0; j < W; ++j) {
                        double s = convB[k];
                        for (int c = 0; c < C; ++c)
                            for (int di = 0; di < 3; ++di)
                                for (int dj = 0; dj < 3; ++dj) {
                                    int ii = i + di - 1, jj = j + dj - 1;
                                    if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue;
                                    s += double(x[((b * C + c) * H + ii) * W + jj]) * convW[((k * C + c) * 3 + di) * 3 + dj];
                                }
                        act[((b * K + k) * H + i) * W + j] = std::max(0.0, s);
                    }
        std::vector<double> y(static_cast<size_t>(n * F));
        for (int b = 0; b < n; ++b)
            for (int f = 0; f < F; ++f) {
                double s = fcB[f];
                for (int q = 0; q < K * H * W; ++q) s += act[b * K * H * W + q] * fcW[q * F + f];
                y[b * F + f] = s;
            }
        return y;
    }
};

class RuntimeTest : public ::testing::Test {
protected:
    TestLogger logger;

    std::vector<uint8_t> buildPlan(const SmallNet& model, int64_t batch) {
        Ptr<IBuilder> builder(createInferBuilder(logger));
        Ptr<INetworkDefinition> net(builder->createNetworkV2(0));
        model.define(*net, batch);
        Ptr<IBuilderConfig> config(builder->createBuilderConfig());
        EXPECT_TRUE(config->setTargetDevice("cpu"));
        Ptr<IHostMemory> plan(builder->buildSerializedNetwork(*net, *config));
        EXPECT_NE(plan, nullptr) << logger.allErrors();
        if (!plan) return {};
        auto* p = static_cast<uint8_t*>(plan->data());
        return std::vector<uint8_t>(p, p + plan->size());
    }
};

void expectClose(const std::vector<float>& got, const std::vector<double>& want, double tol, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], tol * (1.0 + std::fabs(want[i]))) << what << " at element " << i;
}

TEST_F(RuntimeTest, BuildSerializeDeserializeRunMatchesNaiveComputation) {
    SmallNet model;
    auto bytes = buildPlan(model, 2);
    ASSERT_FALSE(bytes.empty());
    Ptr<IRuntime> runtime(createInferRuntime(logger));
    Ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    ASSERT_EQ(engine->getNbIOTensors(), 2);
    EXPECT_STREQ(engine->getIOTensorName(0), "x");
    EXPECT_STREQ(engine->getIOTensorName(1), "y");
    EXPECT_EQ(engine->getTensorIOMode("y"), TensorIOMode::kOUTPUT);
    Dims ys = engine->getTensorShape("y");
    ASSERT_EQ(ys.nbDims, 2);
    EXPECT_EQ(ys.d[0], 2);
    EXPECT_EQ(ys.d[1], SmallNet::F);
    EXPECT_STREQ(engine->getTarget(), "cpu");
    EXPECT_GT(engine->getDeviceMemorySizeV2(), 0);

    Ptr<IExecutionContext> ctx(engine->createExecutionContext());
    auto x = randomVector(2 * 3 * 7 * 5, 11);
    std::vector<float> y(2 * SmallNet::F, NAN);
    ASSERT_TRUE(ctx->setTensorAddress("x", x.data()));
    ASSERT_TRUE(ctx->setTensorAddress("y", y.data()));
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    // float32 accumulation over 27 and 140 terms vs double: 1e-5 relative is ample.
    expectClose(y, model.reference(x, 2), 1e-5, "enqueueV3");

    std::vector<float> y2(y.size(), NAN);
    void* bindings[] = {x.data(), y2.data()};
    ASSERT_TRUE(ctx->executeV2(bindings)) << logger.allErrors();
    EXPECT_EQ(y, y2);  // same context, same inputs: bit-identical

    Ptr<IHostMemory> again(engine->serialize());
    ASSERT_EQ(again->size(), bytes.size());
    EXPECT_EQ(0, std::memcmp(again->data(), bytes.data(), bytes.size()));
}

TEST_F(RuntimeTest, BuildsAreDeterministic) {
    SmallNet model;
    EXPECT_EQ(buildPlan(model, 3), buildPlan(model, 3));
}

TEST_F(RuntimeTest, DynamicBatchResolvedAtRunTime) {
    SmallNet model;
    auto bytes = buildPlan(model, -1);
    Ptr<IRuntime> runtime(createInferRuntime(logger));
    Ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    EXPECT_EQ(engine->getTensorShape("x").d[0], -1);
    Ptr<IExecutionContext> ctx(engine->createExecutionContext());
    EXPECT_FALSE(ctx->allInputDimensionsSpecified());
    std::vector<float> y(1);
    ASSERT_TRUE(ctx->setTensorAddress("y", y.data()));
    EXPECT_FALSE(ctx->enqueueV3(nullptr));
    EXPECT_TRUE(logger.hasError("setInputShape")) << logger.allErrors();
    for (int n : {1, 5, 2}) {
        auto x = randomVector(static_cast<size_t>(n) * 105, 100 + n);
        std::vector<float> out(static_cast<size_t>(n * SmallNet::F));
        ASSERT_TRUE(ctx->setInputShape("x", Dims4(n, 3, 7, 5)));
        EXPECT_EQ(ctx->getTensorShape("y").d[0], n);
        ctx->setTensorAddress("x", x.data());
        ctx->setTensorAddress("y", out.data());
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
        expectClose(out, model.reference(x, n), 1e-5, "batch " + std::to_string(n));
    }
    logger.clear();
    EXPECT_FALSE(ctx->setInputShape("x", Dims4(2, 4, 7, 5)));
    EXPECT_TRUE(logger.hasError("[-1,3,7,5]")) << logger.allErrors();
}

TEST_F(RuntimeTest, ConcurrentContextsFromSeveralThreadsMatchSerialRun) {
    SmallNet model;
    auto bytes = buildPlan(model, 2);
    Ptr<IRuntime> runtime(createInferRuntime(logger));
    Ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    ASSERT_NE(engine, nullptr);
    constexpr int kThreads = 4, kIters = 8;
    std::vector<std::vector<float>> inputs, expected;
    {
        Ptr<IExecutionContext> serial(engine->createExecutionContext());
        for (int i = 0; i < kThreads * kIters; ++i) {
            inputs.push_back(randomVector(210, 1000 + i));
            std::vector<float> out(12);
            serial->setTensorAddress("x", inputs.back().data());
            serial->setTensorAddress("y", out.data());
            ASSERT_TRUE(serial->enqueueV3(nullptr));
            expected.push_back(out);
        }
    }
    std::vector<std::vector<float>> results(inputs.size(), std::vector<float>(12));
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            Ptr<IExecutionContext> ctx(engine->createExecutionContext());
            for (int i = 0; i < kIters; ++i) {
                int k = t * kIters + i;
                ctx->setTensorAddress("x", inputs[k].data());
                ctx->setTensorAddress("y", results[k].data());
                if (!ctx->enqueueV3(nullptr)) ++failures;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0) << logger.allErrors();
    for (size_t k = 0; k < inputs.size(); ++k) EXPECT_EQ(results[k], expected[k]) << "run " << k;
}

TEST_F(RuntimeTest, UserManagedMemory) {
    SmallNet model;
    auto bytes = buildPlan(model, 2);
    Ptr<IRuntime> runtime(createInferRuntime(logger));
    Ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    Ptr<IExecutionContext> ctx(engine->createExecutionContext(ExecutionContextAllocationStrategy::kUSER_MANAGED));
    auto x = randomVector(210, 5);
    std::vector<float> y(12);
    ctx->setTensorAddress("x", x.data());
    ctx->setTensorAddress("y", y.data());
    EXPECT_FALSE(ctx->enqueueV3(nullptr));
    EXPECT_TRUE(logger.hasError("setDeviceMemoryV2")) << logger.allErrors();
    int64_t need = ctx->getDeviceMemorySizeForCurrentShapes();
    EXPECT_EQ(need, engine->getDeviceMemorySizeV2());
    std::vector<uint8_t> arena(static_cast<size_t>(need));
    ctx->setDeviceMemoryV2(arena.data(), need);
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    expectClose(y, model.reference(x, 2), 1e-5, "user memory");
}

TEST_F(RuntimeTest, ShapeTensorsDriveAReshape) {
    // y = reshape(x, concat(shape(x)[0:1], [6])): the reshape dims are computed from x's shape at run time.
    Ptr<IBuilder> builder(createInferBuilder(logger));
    Ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims3(-1, 2, 3));
    auto* shape = net->addShape(*x);
    int32_t zero = 0;
    auto* idx = net->addConstant(dims1(1), Weights{DataType::kINT32, &zero, 1});
    auto* batch = net->addGather(*shape->getOutput(0), *idx->getOutput(0), 0);
    int64_t six = 6;
    auto* tail = net->addConstant(dims1(1), Weights{DataType::kINT64, &six, 1});
    ITensor* parts[] = {batch->getOutput(0), tail->getOutput(0)};
    auto* cat = net->addConcatenation(parts, 2);
    auto* shuffle = net->addShuffle(*x);
    shuffle->setInput(1, *cat->getOutput(0));
    shuffle->getOutput(0)->setName("y");
    net->markOutput(*shuffle->getOutput(0));
    Ptr<IBuilderConfig> config(builder->createBuilderConfig());
    Ptr<IHostMemory> plan(builder->buildSerializedNetwork(*net, *config));
    ASSERT_NE(plan, nullptr) << logger.allErrors();
    Ptr<IRuntime> runtime(createInferRuntime(logger));
    Ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    Ptr<IExecutionContext> ctx(engine->createExecutionContext());
    ASSERT_TRUE(ctx->setInputShape("x", Dims3(3, 2, 3)));
    Dims ys = ctx->getTensorShape("y");
    ASSERT_EQ(ys.nbDims, 2) << logger.allErrors();
    EXPECT_EQ(ys.d[0], 3);
    EXPECT_EQ(ys.d[1], 6);
    std::vector<float> xv(18), yv(18);
    for (int i = 0; i < 18; ++i) xv[i] = float(i) * 0.5f;
    ctx->setTensorAddress("x", xv.data());
    ctx->setTensorAddress("y", yv.data());
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    EXPECT_EQ(xv, yv);  // a reshape keeps row-major order
}

struct CountingProfiler : IProfiler {
    std::vector<std::string> names;
    void reportLayerTime(const char* layerName, float ms) noexcept override {
        names.emplace_back(layerName);
        EXPECT_GE(ms, 0.0f);
    }
};

TEST_F(RuntimeTest, ProfilerSeesEveryExecutedLayer) {
    SmallNet model;
    auto bytes = buildPlan(model, 1);
    Ptr<IRuntime> runtime(createInferRuntime(logger));
    Ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    Ptr<IExecutionContext> ctx(engine->createExecutionContext());
    CountingProfiler prof;
    ctx->setProfiler(&prof);
    auto x = randomVector(105, 9);
    std::vector<float> y(6);
    ctx->setTensorAddress("x", x.data());
    ctx->setTensorAddress("y", y.data());
    ASSERT_TRUE(ctx->enqueueV3(nullptr));
    // conv (with the relu fused by fuse-conv-epilogue) and matmul (with the bias add fused by
    // fuse-matmul-epilogue) run as steps; constants are weights, and the shuffle (a reshape) is a view of
    // the conv's output: none of those are steps.
    EXPECT_EQ(prof.names.size(), 2u);
}

TEST_F(RuntimeTest, ApiErrorsAreReportedNotIgnored) {
    SmallNet model;
    Ptr<IBuilder> builder(createInferBuilder(logger));
    Ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    model.define(*net, 1);
    Ptr<IBuilderConfig> config(builder->createBuilderConfig());
    config->setFlag(BuilderFlag::kINT8);
    EXPECT_EQ(builder->buildSerializedNetwork(*net, *config), nullptr);
    EXPECT_TRUE(logger.hasError("kINT8")) << logger.allErrors();
    config->clearFlag(BuilderFlag::kINT8);

    logger.clear();
    EXPECT_FALSE(config->setTargetDevice("tpu:0"));
    EXPECT_TRUE(logger.hasError("'cpu' or 'cuda:N'")) << logger.allErrors();

    logger.clear();
    ASSERT_TRUE(config->setTargetDevice("cuda:0"));
    EXPECT_EQ(builder->buildSerializedNetwork(*net, *config), nullptr);
    EXPECT_TRUE(logger.hasError("cuda:0")) << logger.allErrors();
    ASSERT_TRUE(config->setTargetDevice("cpu"));

    logger.clear();
    net->getLayer(1)->setPrecision(DataType::kHALF);
    EXPECT_EQ(builder->buildSerializedNetwork(*net, *config), nullptr);
    EXPECT_TRUE(logger.hasError("setPrecision")) << logger.allErrors();
    net->getLayer(1)->resetPrecision();

    // A layer whose shapes do not fit is rejected when added, naming the problem.
    logger.clear();
    ITensor* x = net->getInput(0);
    std::vector<float> w(5 * 2 * 9, 0.f);
    EXPECT_EQ(net->addConvolutionNd(*x, 5, Dims2(3, 3), Weights{DataType::kFLOAT, w.data(), (int64_t)w.size()}, Weights{}), nullptr);
    EXPECT_TRUE(logger.hasError("expected 135")) << logger.allErrors();

    Ptr<INetworkDefinition> empty(builder->createNetworkV2(0));
    empty->addInput("a", DataType::kFLOAT, Dims2(2, 2));
    logger.clear();
    EXPECT_EQ(builder->buildSerializedNetwork(*empty, *config), nullptr);
    EXPECT_TRUE(logger.hasError("no outputs")) << logger.allErrors();
}

TEST_F(RuntimeTest, RunErrorsAreReported) {
    SmallNet model;
    auto bytes = buildPlan(model, 1);
    Ptr<IRuntime> runtime(createInferRuntime(logger));
    Ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    Ptr<IExecutionContext> ctx(engine->createExecutionContext());
    auto x = randomVector(105, 9);
    ctx->setTensorAddress("x", x.data());
    EXPECT_FALSE(ctx->enqueueV3(nullptr));
    EXPECT_TRUE(logger.hasError("no address for I/O tensor 'y'")) << logger.allErrors();
    logger.clear();
    EXPECT_FALSE(ctx->setTensorAddress("nope", x.data()));
    EXPECT_TRUE(logger.hasError("'nope'")) << logger.allErrors();
    logger.clear();
    std::vector<float> y(6);
    ctx->setTensorAddress("y", y.data());
    EXPECT_FALSE(ctx->enqueueV3(reinterpret_cast<cudaStream_t>(0x10)));
    EXPECT_TRUE(logger.hasError("null stream")) << logger.allErrors();
    logger.clear();
    EXPECT_EQ(runtime->deserializeCudaEngine(bytes.data(), 10), nullptr);
    EXPECT_FALSE(logger.errors().empty());
}

}  // namespace
}  // namespace kiln
