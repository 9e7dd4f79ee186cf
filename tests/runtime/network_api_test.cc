// INetworkDefinition behaviours that TensorRT users rely on: layers that only become valid after their
// setters run, grouped convolutions given as flat Weights, getDimensions() following edits, a build
// that names the layer which is still invalid, and Kiln's pooling extensions (dilation, indices output).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

using testing::TestLogger;

std::vector<uint8_t> build(IBuilder& builder, INetworkDefinition& net) {
    std::unique_ptr<IBuilderConfig> config(builder.createBuilderConfig());
    std::unique_ptr<IHostMemory> plan(builder.buildSerializedNetwork(net, *config));
    if (!plan) return {};
    auto* p = static_cast<uint8_t*>(plan->data());
    return {p, p + plan->size()};
}

TEST(NetworkApi, DepthwiseConvolutionWithPaddingSetAfterAdd) {
    // x[1,4,2,2] -> 3x3 depthwise conv: invalid until padding 1 is set, kernel count 4*1*9 fits only with
    // 4 groups. Both are set after addConvolutionNd, as a TensorRT program would.
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(1, 4, 2, 2));
    std::vector<float> w(36);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.1f * float(i % 7) - 0.3f;
    auto* conv = net->addConvolutionNd(*x, 4, Dims2(3, 3), Weights{DataType::kFLOAT, w.data(), 36}, Weights{});
    ASSERT_NE(conv, nullptr) << logger.allErrors();
    EXPECT_EQ(conv->getOutput(0)->getDimensions().nbDims, -1);  // not valid yet: unknown
    conv->setNbGroups(4);
    conv->setPaddingNd(Dims2(1, 1));
    Dims out = conv->getOutput(0)->getDimensions();
    ASSERT_EQ(out.nbDims, 4);
    EXPECT_EQ(out.d[1], 4);
    EXPECT_EQ(out.d[2], 2);
    EXPECT_EQ(out.d[3], 2);
    conv->getOutput(0)->setName("y");
    net->markOutput(*conv->getOutput(0));
    auto bytes = build(*builder, *net);
    ASSERT_FALSE(bytes.empty()) << logger.allErrors();

    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    std::vector<float> xv(16), yv(16);
    for (int i = 0; i < 16; ++i) xv[i] = float(i) - 7.5f;
    ctx->setTensorAddress("x", xv.data());
    ctx->setTensorAddress("y", yv.data());
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    for (int c = 0; c < 4; ++c)
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j) {
                double s = 0;
                for (int di = 0; di < 3; ++di)
                    for (int dj = 0; dj < 3; ++dj) {
                        int ii = i + di - 1, jj = j + dj - 1;
                        if (ii < 0 || ii > 1 || jj < 0 || jj > 1) continue;
                        s += double(xv[c * 4 + ii * 2 + jj]) * w[c * 9 + di * 3 + dj];
                    }
                EXPECT_NEAR(yv[c * 4 + i * 2 + j], s, 1e-5) << "c=" << c << " i=" << i << " j=" << j;
            }
}

TEST(NetworkApi, BuildNamesTheLayerThatIsStillInvalid) {
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* a = net->addInput("a", DataType::kFLOAT, Dims2(2, 3));
    ITensor* b = net->addInput("b", DataType::kFLOAT, Dims2(4, 3));
    auto* add = net->addElementWise(*a, *b, ElementWiseOperation::kSUM);
    ASSERT_NE(add, nullptr);
    add->setName("bad_add");
    net->markOutput(*add->getOutput(0));
    EXPECT_TRUE(build(*builder, *net).empty());
    EXPECT_TRUE(logger.hasError("bad_add")) << logger.allErrors();
    EXPECT_TRUE(logger.hasError("[2,3]")) << logger.allErrors();
    EXPECT_EQ(logger.errors().size(), 1u) << "reported once: " << logger.allErrors();
}

TEST(NetworkApi, MaxPoolingDilationAndIndicesOutput) {
    // Kiln's IPoolingLayer extensions: a dilated 2x2 window (rows 2 apart) and the indices output, asked for
    // after the add as a setter would be; column-major indices number (h, w) as h + w * 3.
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(1, 1, 3, 4));
    auto* pool = net->addPoolingNd(*x, PoolingType::kMAX, Dims2(2, 2));
    ASSERT_NE(pool, nullptr) << logger.allErrors();
    pool->setDilationNd(Dims2(2, 1));
    EXPECT_EQ(pool->getDilationNd().d[0], 2);
    ITensor* indices = pool->addIndicesOutput();
    ASSERT_NE(indices, nullptr) << logger.allErrors();
    EXPECT_EQ(pool->addIndicesOutput(), indices);  // asked twice: the same output
    EXPECT_EQ(pool->getNbOutputs(), 2);
    pool->setIndicesColumnMajor(true);
    EXPECT_TRUE(pool->getIndicesColumnMajor());
    EXPECT_EQ(indices->getType(), DataType::kINT64);
    Dims id = indices->getDimensions();
    ASSERT_EQ(id.nbDims, 4);
    EXPECT_EQ(id.d[2], 1);
    EXPECT_EQ(id.d[3], 2);
    pool->getOutput(0)->setName("y");
    indices->setName("i");
    net->markOutput(*pool->getOutput(0));
    net->markOutput(*indices);

    // Average pooling has no indices: refused with a message naming the layer's type.
    auto* avg = net->addPoolingNd(*x, PoolingType::kAVERAGE, Dims2(2, 2));
    ASSERT_NE(avg, nullptr);
    EXPECT_EQ(avg->addIndicesOutput(), nullptr);
    EXPECT_TRUE(logger.hasError("indices exist for max pooling only")) << logger.allErrors();
    EXPECT_EQ(avg->getNbOutputs(), 1);
    logger.clear();

    auto bytes = build(*builder, *net);
    ASSERT_FALSE(bytes.empty()) << logger.allErrors();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    std::vector<float> xv{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8}, yv(2);
    std::vector<int64_t> iv(2, -7);
    ctx->setTensorAddress("x", xv.data());
    ctx->setTensorAddress("y", yv.data());
    ctx->setTensorAddress("i", iv.data());
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    // Windows: rows {0, 2} x cols {0, 1} -> 5 at (2, 0); rows {0, 2} x cols {2, 3} -> 8 at (2, 3).
    EXPECT_EQ(yv, (std::vector<float>{5, 8}));
    EXPECT_EQ(iv, (std::vector<int64_t>{2, 11}));
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

TEST(NetworkApi, ShapeTensorInputDecidesOutputShapeAtRunTime) {
    // y = reshape(x, dims): `dims` is an int64 network input read on the host (TensorRT's shape-tensor
    // input). Changing its values between runs changes y's shape.
    testing::TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(2, 6));
    Dims one;
    one.nbDims = 1;
    one.d[0] = 3;
    ITensor* dims = net->addInput("dims", DataType::kINT64, one);
    auto* shuffle = net->addShuffle(*x);
    shuffle->setInput(1, *dims);
    shuffle->getOutput(0)->setName("y");
    net->markOutput(*shuffle->getOutput(0));
    auto bytes = build(*builder, *net);
    ASSERT_FALSE(bytes.empty()) << logger.allErrors();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(bytes.data(), bytes.size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    std::vector<float> xv(12), yv(12, -1.f);
    for (int i = 0; i < 12; ++i) xv[i] = float(i);
    ctx->setTensorAddress("x", xv.data());
    ctx->setTensorAddress("y", yv.data());
    EXPECT_FALSE(ctx->enqueueV3(nullptr));  // no values for the shape input yet
    EXPECT_TRUE(logger.hasError("shape tensor")) << logger.allErrors();
    for (auto v : {std::vector<int64_t>{3, 2, 2}, std::vector<int64_t>{1, -1, 4}}) {
        ctx->setTensorAddress("dims", v.data());
        Dims ys = ctx->getTensorShape("y");
        ASSERT_EQ(ys.nbDims, 3) << logger.allErrors();
        EXPECT_EQ(ys.d[0], v[0]);
        EXPECT_EQ(ys.d[2], v[2]);
        std::fill(yv.begin(), yv.end(), -1.f);
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
        EXPECT_EQ(yv, xv);
    }
}

}  // namespace
}  // namespace kiln
