// Float, half and bool network inputs as shape tensors (TensorRT 10 allows float and bool shape tensors):
// a float scales input read on the host by Resize's scales input (its values change the output shape
// between runs), a 0-D half input whose value sizes a Fill, a 2-D float input that is not taken as a
// shape tensor (its rank rules it out, so the value-dependent shape is reported), and the Kiln extensions
// of IResizeLayer (region of interest, extrapolation value, antialias, scales input versus output dims).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "common/dims.h"
#include "common/float_types.h"
#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

using testing::TestLogger;

Dims dims1(int64_t n) {
    Dims d;
    d.nbDims = 1;
    d.d[0] = n;
    return d;
}

struct Built {
    std::unique_ptr<IRuntime> runtime;
    std::unique_ptr<ICudaEngine> engine;
};

Built buildAndLoad(TestLogger& logger, IBuilder& builder, INetworkDefinition& net) {
    Built b;
    std::unique_ptr<IBuilderConfig> config(builder.createBuilderConfig());
    std::unique_ptr<IHostMemory> plan(builder.buildSerializedNetwork(net, *config));
    if (!plan) return b;
    b.runtime.reset(createInferRuntime(logger));
    b.engine.reset(b.runtime->deserializeCudaEngine(plan->data(), plan->size()));
    return b;
}

TEST(FloatShapeTensor, FloatScalesInputDecidesResizeShapeAtRunTime) {
    // y = nearest resize of x[1,3] by the float input `scales` (asymmetric, floor): np.repeat per axis.
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(1, 3));
    ITensor* scales = net->addInput("scales", DataType::kFLOAT, dims1(2));
    IResizeLayer* r = net->addResize(*x);
    r->setInput(2, *scales);
    r->getOutput(0)->setName("y");
    net->markOutput(*r->getOutput(0));
    EXPECT_TRUE(scales->isShapeTensor());
    EXPECT_FALSE(x->isShapeTensor());
    Built b = buildAndLoad(logger, *builder, *net);
    ASSERT_NE(b.engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(b.engine->createExecutionContext());
    const std::vector<float> xv = {1.5f, -2.0f, 7.0f};
    ctx->setTensorAddress("x", const_cast<float*>(xv.data()));
    struct Case {
        std::vector<float> s;
        Dims want;
        std::vector<float> y;
    };
    const std::vector<Case> cases = {{{1.0f, 2.0f}, Dims2(1, 6), {1.5f, 1.5f, -2.0f, -2.0f, 7.0f, 7.0f}},
                                     {{2.5f, 1.0f}, Dims2(2, 3), {1.5f, -2.0f, 7.0f, 1.5f, -2.0f, 7.0f}},
                                     {{1.0f, 0.7f}, Dims2(1, 2), {1.5f, -2.0f}}};  // x = y / 0.7 -> 0, 1.43
    for (const Case& c : cases) {
        ctx->setTensorAddress("scales", const_cast<float*>(c.s.data()));
        Dims ys = ctx->getTensorShape("y");
        ASSERT_EQ(ys, Dims(c.want)) << "scales " << c.s[0] << "," << c.s[1] << ": " << logger.allErrors();
        std::vector<float> yv(c.y.size(), -100.0f);
        ctx->setTensorAddress("y", yv.data());
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
        EXPECT_EQ(yv, c.y) << "scales " << c.s[0] << "," << c.s[1];
    }
}

TEST(FloatShapeTensor, HalfScalarSizesAFill) {
    // y = Fill(linspace, shape [int64(n)], start 0, step 1) with n a 0-D half input.
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* n = net->addInput("n", DataType::kHALF, Dims{});
    ITensor* ni = net->addCast(*n, DataType::kINT64)->getOutput(0);
    IShuffleLayer* asVector = net->addShuffle(*ni);
    asVector->setReshapeDimensions(dims1(1));
    IFillLayer* f = net->addFill(dims1(1), FillOperation::kLINSPACE, DataType::kFLOAT);
    f->setInput(0, *asVector->getOutput(0));
    f->setAlpha(0.0);
    f->setBeta(1.0);
    f->getOutput(0)->setName("y");
    net->markOutput(*f->getOutput(0));
    EXPECT_TRUE(asVector->getOutput(0)->isShapeTensor());
    Built b = buildAndLoad(logger, *builder, *net);
    ASSERT_NE(b.engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(b.engine->createExecutionContext());
    for (float v : {5.0f, 2.0f}) {
        const uint16_t h = floatToHalf(v);
        ctx->setTensorAddress("n", const_cast<uint16_t*>(&h));
        Dims ys = ctx->getTensorShape("y");
        ASSERT_EQ(ys, dims1(static_cast<int64_t>(v))) << logger.allErrors();
        std::vector<float> yv(static_cast<size_t>(v), -1.0f), want;
        for (int i = 0; i < static_cast<int>(v); ++i) want.push_back(static_cast<float>(i));
        ctx->setTensorAddress("y", yv.data());
        ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
        EXPECT_EQ(yv, want);
    }
}

TEST(FloatShapeTensor, TwoDimensionalFloatInputIsNotAShapeTensor) {
    // The same Fill sized by the max of a 2-D float input: not a shape tensor (rank 2), so the shape
    // depends on activation values and resolution says so, naming the layer.
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(2, 2));
    ITensor* m = net->addReduce(*x, ReduceOperation::kMAX, 3u, false)->getOutput(0);
    ITensor* mi = net->addCast(*m, DataType::kINT64)->getOutput(0);
    IShuffleLayer* asVector = net->addShuffle(*mi);
    asVector->setReshapeDimensions(dims1(1));
    IFillLayer* f = net->addFill(dims1(1), FillOperation::kLINSPACE, DataType::kFLOAT);
    f->setInput(0, *asVector->getOutput(0));
    f->setName("fill_by_max");
    f->getOutput(0)->setName("y");
    net->markOutput(*f->getOutput(0));
    Built b = buildAndLoad(logger, *builder, *net);
    ASSERT_NE(b.engine, nullptr) << logger.allErrors();
    std::unique_ptr<IExecutionContext> ctx(b.engine->createExecutionContext());
    const std::vector<float> xv = {1, 4, 2, 3};
    ctx->setTensorAddress("x", const_cast<float*>(xv.data()));
    Dims ys = ctx->getTensorShape("y");
    EXPECT_EQ(ys.nbDims, -1);
    EXPECT_TRUE(logger.hasError("depends on tensor values")) << logger.allErrors();
    EXPECT_TRUE(logger.hasError("fill_by_max")) << logger.allErrors();
}

TEST(FloatShapeTensor, ResizeLayerKilnExtensions) {
    TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(2, 5));
    ITensor* scales = net->addInput("scales", DataType::kFLOAT, dims1(2));
    IResizeLayer* r = net->addResize(*x);
    EXPECT_EQ(r->getRegionOfInterest(0, nullptr), 0);
    const float roi[4] = {0.0f, 0.25f, 1.0f, 0.75f};
    r->setRegionOfInterest(roi, 4);
    float back[4] = {};
    EXPECT_EQ(r->getRegionOfInterest(4, back), 4);
    EXPECT_EQ(std::vector<float>(back, back + 4), std::vector<float>(roi, roi + 4));
    r->setRegionOfInterest(nullptr, 0);
    EXPECT_TRUE(logger.hasError("setRegionOfInterest")) << logger.allErrors();
    r->setExtrapolationValue(-3.5f);
    EXPECT_EQ(r->getExtrapolationValue(), -3.5f);
    EXPECT_FALSE(r->getAntialias());
    r->setAntialias(true);
    EXPECT_TRUE(r->getAntialias());
    // Explicit output dims set before the scales input keep giving the extents.
    r->setOutputDimensions(Dims2(2, 3));
    r->setInput(2, *scales);
    EXPECT_EQ(r->getOutputDimensions(), Dims(Dims2(2, 3)));
    // A fresh layer's placeholder dims (the input's shape) give way to the scales input.
    IResizeLayer* s = net->addResize(*x);
    s->setInput(2, *scales);
    EXPECT_EQ(s->getOutputDimensions().nbDims, 0);
    EXPECT_EQ(s->getNbInputs(), 3);
    EXPECT_EQ(s->getInput(2), scales);
}

}  // namespace
}  // namespace kiln
