// The storage-only data types through the public API, end to end (build, serialize, deserialize, run):
// packed int4 weights of an odd element count dequantized with a blocked scale, int4 and float8 E5M2
// network inputs and outputs (packed I/O buffers), ICastLayer's saturate setting, IQuantizeLayer /
// IDequantizeLayer::setBlockShape refusing a bad shape, and a build that names the layer given a type it
// cannot compute with. Expected values are computed here from the inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

using testing::TestLogger;

struct Built {
    std::unique_ptr<IRuntime> runtime;
    std::unique_ptr<ICudaEngine> engine;
};

Built buildAndLoad(IBuilder& builder, INetworkDefinition& net, ILogger& logger) {
    std::unique_ptr<IBuilderConfig> config(builder.createBuilderConfig());
    std::unique_ptr<IHostMemory> plan(builder.buildSerializedNetwork(net, *config));
    Built b;
    if (!plan) return b;
    b.runtime.reset(createInferRuntime(logger));
    b.engine.reset(b.runtime->deserializeCudaEngine(plan->data(), plan->size()));
    return b;
}

TEST(StorageTypesApi, Int4WeightsOfOddCountDequantizedByBlocks) {
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    // w: int4 [3, 5] = (k % 16) - 8 for k = 0..14, packed two per byte (15 nibbles in 8 bytes).
    std::vector<int> w(15);
    std::vector<uint8_t> packed(8, 0);
    for (int k = 0; k < 15; ++k) {
        w[static_cast<size_t>(k)] = k % 16 - 8;
        packed[static_cast<size_t>(k / 2)] |=
            static_cast<uint8_t>((w[static_cast<size_t>(k)] & 0xf) << (4 * (k % 2)));
    }
    // Blocks of 2 along dim 1: scale [3, 3] (ceil(5 / 2), the last block holds one column).
    std::vector<float> s(9);
    for (int i = 0; i < 9; ++i) s[static_cast<size_t>(i)] = 0.25f * float(i + 1);
    auto* wc = net->addConstant(Dims2(3, 5), Weights{DataType::kINT4, packed.data(), 15});
    auto* sc = net->addConstant(Dims2(3, 3), Weights{DataType::kFLOAT, s.data(), 9});
    ASSERT_TRUE(wc && sc) << logger.allErrors();
    EXPECT_EQ(wc->getOutput(0)->getType(), DataType::kINT4);
    auto* dq = net->addDequantize(*wc->getOutput(0), *sc->getOutput(0), DataType::kFLOAT);
    ASSERT_NE(dq, nullptr) << logger.allErrors();
    ASSERT_TRUE(dq->setBlockShape(Dims2(1, 2))) << logger.allErrors();
    EXPECT_EQ(dq->getBlockShape().nbDims, 2);
    EXPECT_EQ(dq->getBlockShape().d[1], 2);
    dq->getOutput(0)->setName("y");
    net->markOutput(*dq->getOutput(0));
    Built b = buildAndLoad(*builder, *net, logger);
    ASSERT_TRUE(b.engine) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(b.engine->createExecutionContext());
    std::vector<float> y(15, -1.0f);
    ASSERT_TRUE(ctx->setTensorAddress("y", y.data()));
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 5; ++j)
            EXPECT_EQ(y[static_cast<size_t>(i * 5 + j)],
                      float(w[static_cast<size_t>(i * 5 + j)]) * s[static_cast<size_t>(i * 3 + j / 2)])
                << i << "," << j;
}

TEST(StorageTypesApi, PackedAndFloat8NetworkInputsAndOutputs) {
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* q = net->addInput("q", DataType::kINT4, Dims{1, {7}});
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims{1, {5}});
    auto* toFloat = net->addCast(*q, DataType::kFLOAT);
    auto* toE5m2 = net->addCast(*x, DataType::kFP8_E5M2);
    ASSERT_TRUE(toFloat && toE5m2) << logger.allErrors();
    EXPECT_TRUE(toE5m2->getSaturate());
    toE5m2->setSaturate(false);
    EXPECT_FALSE(toE5m2->getSaturate());
    toFloat->getOutput(0)->setName("f");
    toE5m2->getOutput(0)->setName("e");
    net->markOutput(*toFloat->getOutput(0));
    net->markOutput(*toE5m2->getOutput(0));
    Built b = buildAndLoad(*builder, *net, logger);
    ASSERT_TRUE(b.engine) << logger.allErrors();
    EXPECT_EQ(b.engine->getTensorDataType("q"), DataType::kINT4);
    EXPECT_EQ(b.engine->getTensorDataType("e"), DataType::kFP8_E5M2);
    std::unique_ptr<IExecutionContext> ctx(b.engine->createExecutionContext());
    // q = [1, -2, 7, -8, 0, 3, -1]: nibbles 1 e | 7 8 | 0 3 | f -> 0xe1, 0x87, 0x30, 0x0f.
    std::vector<uint8_t> qb{0xe1, 0x87, 0x30, 0x0f};
    std::vector<float> xv{1.0f, 1e6f, -INFINITY, 0.3f, -0.0f};
    std::vector<float> f(7, 0.0f);
    std::vector<uint8_t> e(5, 0xaa);
    ASSERT_TRUE(ctx->setTensorAddress("q", qb.data()));
    ASSERT_TRUE(ctx->setTensorAddress("x", xv.data()));
    ASSERT_TRUE(ctx->setTensorAddress("f", f.data()));
    ASSERT_TRUE(ctx->setTensorAddress("e", e.data()));
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    EXPECT_EQ(f, (std::vector<float>{1, -2, 7, -8, 0, 3, -1}));
    // Without saturation 1e6 overflows E5M2 to infinity (0x7c), -inf stays -inf (0xfc); 0.3 -> 0.3125 (0x35).
    EXPECT_EQ(e, (std::vector<uint8_t>{0x3c, 0x7c, 0xfc, 0x35, 0x80}));
}

TEST(StorageTypesApi, SetBlockShapeRefusesABadShape) {
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(4, 6));
    std::vector<float> one{1.0f};
    auto* s = net->addConstant(Dims{0, {}}, Weights{DataType::kFLOAT, one.data(), 1});
    auto* quant = net->addQuantize(*x, *s->getOutput(0), DataType::kINT4);
    ASSERT_NE(quant, nullptr) << logger.allErrors();
    EXPECT_FALSE(quant->setBlockShape(Dims2(1, 0)));
    EXPECT_TRUE(logger.hasError("setBlockShape([1,0])")) << logger.allErrors();
    EXPECT_TRUE(logger.hasError("extents >= 1 or -1")) << logger.allErrors();
    EXPECT_EQ(quant->getBlockShape().nbDims, 0);
}

TEST(StorageTypesApi, BuildNamesTheLayerGivenAStorageOnlyType) {
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* a = net->addInput("a", DataType::kINT4, Dims{1, {6}});
    auto* add = net->addElementWise(*a, *a, ElementWiseOperation::kSUM);
    ASSERT_NE(add, nullptr);
    add->setName("int4_add");
    net->markOutput(*add->getOutput(0));
    Built b = buildAndLoad(*builder, *net, logger);
    EXPECT_FALSE(b.engine);
    EXPECT_TRUE(logger.hasError("int4_add")) << logger.allErrors();
    EXPECT_TRUE(logger.hasError("input 0 is int4")) << logger.allErrors();
    EXPECT_TRUE(logger.hasError("only Cast, Identity, Constant, Quantize")) << logger.allErrors();
}

}  // namespace
}  // namespace kiln
