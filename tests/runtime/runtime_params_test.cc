// Run-time parameters through the public API: IReduceLayer and ITopKLayer with setInput(1, tensor) fed by
// network inputs (shape tensors). Built, serialized, deserialized and run; one context is re-run with
// new axes / k values, which must re-resolve the output shapes. Expected values are computed here.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "common/dims.h"
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

Dims dims(std::initializer_list<int64_t> v) {
    Dims d;
    d.nbDims = 0;
    for (int64_t x : v) d.d[d.nbDims++] = x;
    return d;
}

struct Built {
    Ptr<IRuntime> runtime;
    Ptr<ICudaEngine> engine;
};

Built buildAndLoad(INetworkDefinition& net, IBuilder& builder, TestLogger& logger) {
    Ptr<IBuilderConfig> config(builder.createBuilderConfig());
    config->setTargetDevice("cpu");
    Ptr<IHostMemory> plan(builder.buildSerializedNetwork(net, *config));
    EXPECT_NE(plan, nullptr) << logger.allErrors();
    Built b;
    if (!plan) return b;
    b.runtime.reset(createInferRuntime(logger));
    b.engine.reset(b.runtime->deserializeCudaEngine(plan->data(), plan->size()));
    EXPECT_NE(b.engine, nullptr) << logger.allErrors();
    return b;
}

TEST(RuntimeParams, ReduceAxesFromANetworkInput) {
    TestLogger logger;
    Ptr<IBuilder> builder(createInferBuilder(logger));
    Ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, dims({2, 3, 5}));
    ITensor* axes = net->addInput("axes", DataType::kINT64, dims({1}));
    IReduceLayer* r = net->addReduce(*x, ReduceOperation::kSUM, 0, false);
    ASSERT_NE(r, nullptr) << logger.allErrors();
    r->setInput(1, *axes);
    EXPECT_TRUE(axes->isShapeTensor());
    EXPECT_FALSE(x->isShapeTensor());
    // One axis of three, values unknown: rank 2, extents unknown until run time.
    Dims built = r->getOutput(0)->getDimensions();
    EXPECT_EQ(built.nbDims, 2);
    EXPECT_EQ(built.d[0], -1);
    r->getOutput(0)->setName("y");
    net->markOutput(*r->getOutput(0));
    Built b = buildAndLoad(*net, *builder, logger);
    ASSERT_NE(b.engine, nullptr);
    Ptr<IExecutionContext> ctx(b.engine->createExecutionContext());
    std::vector<float> xv(30);
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>(i);
    ctx->setTensorAddress("x", xv.data());
    // x[i][j][k] = 15i + 5j + k. Summing axis 1: 3 * (15i + k) + 15; summing axis -1: 5 * (15i + 5j) + 10.
    struct Run {
        int64_t axis;
        Dims shape;
        std::vector<float> want;
    } runs[] = {
        {1, dims({2, 5}), {15, 18, 21, 24, 27, 60, 63, 66, 69, 72}},
        {-1, dims({2, 3}), {10, 35, 60, 85, 110, 135}},
        {0, dims({3, 5}), {15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43}},
    };
    for (const Run& run : runs) {
        SCOPED_TRACE("axis " + std::to_string(run.axis));
        int64_t a = run.axis;
        ctx->setTensorAddress("axes", &a);
        Dims ys = ctx->getTensorShape("y");
        ASSERT_EQ(toString(ys), toString(run.shape)) << logger.allErrors();
        std::vector<float> y(run.want.size(), -1.f);
        ctx->setTensorAddress("y", y.data());
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
        EXPECT_EQ(y, run.want);
    }
    // A bad axis fails the shape query with a message naming it.
    int64_t bad = 3;
    ctx->setTensorAddress("axes", &bad);
    EXPECT_EQ(ctx->getTensorShape("y").nbDims, -1);
    EXPECT_TRUE(logger.hasError("axis 3")) << logger.allErrors();
}

TEST(RuntimeParams, TopKFromANetworkInput) {
    TestLogger logger;
    Ptr<IBuilder> builder(createInferBuilder(logger));
    Ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, dims({2, 5}));
    ITensor* k = net->addInput("k", DataType::kINT32, dims({}));
    ITopKLayer* t = net->addTopK(*x, TopKOperation::kMIN, 1, 0x2);
    ASSERT_NE(t, nullptr) << logger.allErrors();
    t->setInput(1, *k);
    ASSERT_TRUE(t->setIndicesType(DataType::kINT64));
    EXPECT_TRUE(k->isShapeTensor());
    EXPECT_EQ(toString(t->getOutput(0)->getDimensions()), "[2,-1]");
    t->getOutput(0)->setName("v");
    t->getOutput(1)->setName("i");
    net->markOutput(*t->getOutput(0));
    net->markOutput(*t->getOutput(1));
    Built b = buildAndLoad(*net, *builder, logger);
    ASSERT_NE(b.engine, nullptr);
    Ptr<IExecutionContext> ctx(b.engine->createExecutionContext());
    std::vector<float> xv{4, 2, 9, 2, 7, 0, -1, 3, -1, 8};
    ctx->setTensorAddress("x", xv.data());
    for (int32_t kv : {1, 3, 5}) {
        SCOPED_TRACE("k " + std::to_string(kv));
        ctx->setTensorAddress("k", &kv);
        ASSERT_EQ(toString(ctx->getTensorShape("v")), toString(dims({2, kv}))) << logger.allErrors();
        std::vector<float> v(static_cast<size_t>(2 * kv));
        std::vector<int64_t> idx(v.size());
        ctx->setTensorAddress("v", v.data());
        ctx->setTensorAddress("i", idx.data());
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
        // Smallest first; ties by the lower index.
        const std::vector<float> rows[] = {{2, 2, 4, 7, 9}, {-1, -1, 0, 3, 8}};
        const std::vector<int64_t> rowIdx[] = {{1, 3, 0, 4, 2}, {1, 3, 0, 2, 4}};
        for (int r = 0; r < 2; ++r)
            for (int j = 0; j < kv; ++j) {
                EXPECT_EQ(v[static_cast<size_t>(r * kv + j)], rows[r][static_cast<size_t>(j)])
                    << r << "," << j;
                EXPECT_EQ(idx[static_cast<size_t>(r * kv + j)], rowIdx[r][static_cast<size_t>(j)])
                    << r << "," << j;
            }
    }
    int32_t tooBig = 6;
    ctx->setTensorAddress("k", &tooBig);
    EXPECT_EQ(ctx->getTensorShape("v").nbDims, -1);
    EXPECT_TRUE(logger.hasError("exceeds the extent 5")) << logger.allErrors();
}

}  // namespace
}  // namespace kiln
