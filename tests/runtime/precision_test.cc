// Reduced-precision builds (BuilderFlag::kFP16 / kBF16) on the CPU target: the network's I/O keeps its
// float32 type, the computation inside runs in the reduced type (seen in the engine inspector's layer
// types), and the result stays close to the float32 build of the same network. The reference kernels
// round every stored value to the reduced type and accumulate in float32 or wider, so the expected error
// is a few units of the type's epsilon per layer: relative L2 below 1e-2 for float16 (eps 2^-11) and
// 5e-2 for bfloat16 (eps 2^-8) over this six-layer network.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln {
namespace {

std::vector<float> randomVector(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (float& f : v) f = u(rng);
    return v;
}

struct Net {
    static constexpr int C = 3, H = 9, W = 7, K = 5, F = 11;
    std::vector<float> convW = randomVector(K * C * 9, 1, -0.5f, 0.5f);
    std::vector<float> convB = randomVector(K, 2);
    std::vector<float> fcW = randomVector(K * F, 3, -0.5f, 0.5f);
    std::vector<float> fcB = randomVector(F, 4);

    // conv3x3 + bias -> relu -> 2x2 average pool -> global max over H, W -> matmul -> + bias -> softmax.
    void define(INetworkDefinition& net) const {
        ITensor* x = net.addInput("x", DataType::kFLOAT, Dims4(2, C, H, W));
        auto* conv = net.addConvolutionNd(*x, K, Dims2(3, 3), Weights{DataType::kFLOAT, convW.data(), (int64_t)convW.size()},
                                          Weights{DataType::kFLOAT, convB.data(), K});
        conv->setPaddingNd(Dims2(1, 1));
        ITensor* r = net.addActivation(*conv->getOutput(0), ActivationType::kRELU)->getOutput(0);
        auto* pool = net.addPoolingNd(*r, PoolingType::kAVERAGE, Dims2(2, 2));
        ITensor* m = net.addReduce(*pool->getOutput(0), ReduceOperation::kMAX, 0b1100, false)->getOutput(0);
        ITensor* w = net.addConstant(Dims2(K, F), Weights{DataType::kFLOAT, fcW.data(), (int64_t)fcW.size()})->getOutput(0);
        ITensor* fc = net.addMatrixMultiply(*m, MatrixOperation::kNONE, *w, MatrixOperation::kNONE)->getOutput(0);
        ITensor* b = net.addConstant(Dims2(1, F), Weights{DataType::kFLOAT, fcB.data(), F})->getOutput(0);
        ITensor* logits = net.addElementWise(*fc, *b, ElementWiseOperation::kSUM)->getOutput(0);
        logits->setName("logits");
        net.markOutput(*logits);
        auto* sm = net.addSoftMax(*logits);
        sm->setAxes(1u << 1);
        sm->getOutput(0)->setName("probs");
        net.markOutput(*sm->getOutput(0));
    }
};

struct Result {
    std::vector<float> logits, probs;
    DataType ioType{DataType::kINT32};
    std::string info;
};

Result buildAndRun(const std::vector<BuilderFlag>& flags, const std::vector<float>& x) {
    testing::TestLogger logger;
    Result res;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    Net().define(*net);
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    for (BuilderFlag f : flags) config->setFlag(f);
    std::unique_ptr<IHostMemory> plan(builder->buildSerializedNetwork(*net, *config));
    EXPECT_NE(plan, nullptr) << logger.allErrors();
    if (!plan) return res;
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    EXPECT_NE(engine, nullptr) << logger.allErrors();
    if (!engine) return res;
    res.ioType = engine->getTensorDataType("logits");
    EXPECT_EQ(engine->getTensorDataType("x"), DataType::kFLOAT);
    std::unique_ptr<IEngineInspector> inspector(engine->createEngineInspector());
    res.info = inspector->getEngineInformation();
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    res.logits.resize(2 * Net::F);
    res.probs.resize(2 * Net::F);
    ctx->setInputTensorAddress("x", x.data());
    ctx->setTensorAddress("logits", res.logits.data());
    ctx->setTensorAddress("probs", res.probs.data());
    EXPECT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    return res;
}

double relativeL2(const std::vector<float>& got, const std::vector<float>& want) {
    double num = 0, den = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        num += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
        den += double(want[i]) * want[i];
    }
    return std::sqrt(num / den);
}

TEST(Precision, Fp16AndBf16BuildsKeepFloat32IoAndStayCloseToFloat32) {
    const std::vector<float> x = randomVector(2 * Net::C * Net::H * Net::W, 9, -2.f, 2.f);
    const Result fp32 = buildAndRun({}, x);
    ASSERT_EQ(fp32.logits.size(), size_t(2 * Net::F));
    EXPECT_EQ(fp32.info.find("float16"), std::string::npos) << "a float32 build has no float16 tensors";
    struct Case {
        BuilderFlag flag;
        const char* typeName;
        double tolerance;
    };
    for (const Case& c : {Case{BuilderFlag::kFP16, "float16", 1e-2}, Case{BuilderFlag::kBF16, "bfloat16", 5e-2}}) {
        SCOPED_TRACE(c.typeName);
        const Result low = buildAndRun({c.flag}, x);
        ASSERT_EQ(low.logits.size(), fp32.logits.size());
        EXPECT_EQ(low.ioType, DataType::kFLOAT) << "network outputs keep their declared type";
        EXPECT_NE(low.info.find(c.typeName), std::string::npos) << "inside, layers compute in " << c.typeName << "\n"
                                                                 << low.info.substr(0, 2000);
        const double logitsErr = relativeL2(low.logits, fp32.logits);
        const double probsErr = relativeL2(low.probs, fp32.probs);
        EXPECT_LT(logitsErr, c.tolerance);
        EXPECT_LT(probsErr, c.tolerance);
        EXPECT_GT(logitsErr, 0.0) << "identical results would mean nothing was computed in the reduced type";
        std::printf("%s: relative L2 logits %.3g, probs %.3g\n", c.typeName, logitsErr, probsErr);
    }
}

TEST(Precision, BothFlagsChooseFloat16) {
    const std::vector<float> x = randomVector(2 * Net::C * Net::H * Net::W, 5);
    const Result both = buildAndRun({BuilderFlag::kFP16, BuilderFlag::kBF16}, x);
    EXPECT_NE(both.info.find("float16"), std::string::npos);
    EXPECT_EQ(both.info.find("bfloat16"), std::string::npos);
}

TEST(Precision, OutputsMadeByIdentityOrConstantKeepFloat32) {
    // x -> Identity -> "copy" and a Constant -> "konst", both network outputs; an fp16 build keeps their
    // type, and the values are x and the constant rounded to float16 (exactly representable here).
    testing::TestLogger logger;
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> net(builder->createNetworkV2(0));
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims2(1, 4));
    ITensor* copy = net->addIdentity(*x)->getOutput(0);
    copy->setName("copy");
    net->markOutput(*copy);
    const std::vector<float> k = {0.5f, -2.f, 1024.f, 0.25f};
    ITensor* konst = net->addConstant(Dims2(1, 4), Weights{DataType::kFLOAT, k.data(), 4})->getOutput(0);
    konst->setName("konst");
    net->markOutput(*konst);
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    config->setFlag(BuilderFlag::kFP16);
    std::unique_ptr<IHostMemory> plan(builder->buildSerializedNetwork(*net, *config));
    ASSERT_NE(plan, nullptr) << logger.allErrors();
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    ASSERT_NE(engine, nullptr) << logger.allErrors();
    EXPECT_EQ(engine->getTensorDataType("copy"), DataType::kFLOAT);
    EXPECT_EQ(engine->getTensorDataType("konst"), DataType::kFLOAT);
    std::unique_ptr<IExecutionContext> ctx(engine->createExecutionContext());
    const std::vector<float> in = {1.f, -3.5f, 8.f, 0.125f};
    std::vector<float> outCopy(4), outKonst(4);
    ctx->setInputTensorAddress("x", in.data());
    ctx->setTensorAddress("copy", outCopy.data());
    ctx->setTensorAddress("konst", outKonst.data());
    ASSERT_TRUE(ctx->enqueueV3(nullptr)) << logger.allErrors();
    EXPECT_EQ(outCopy, in);
    EXPECT_EQ(outKonst, k);
}

}  // namespace
}  // namespace kiln
