// End-to-end tests of the kiln tool: build the zoo's mnist network, inspect the plan, run it on an input
// written here, and check the .npy outputs (shape, softmax rows, determinism, batch consistency).
#include <gtest/gtest.h>

#include <cstdlib>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace kiln::clitest {
namespace {

constexpr int64_t kBatch = 3;

/// Seeded, reproducible pixel-like values in [0, 1).
std::vector<float> pseudoImage(size_t count, uint32_t seed) {
    std::vector<float> v(count);
    uint32_t s = seed * 2654435761u + 1u;
    for (float& x : v) {
        s = s * 1664525u + 1013904223u;
        x = static_cast<float>(s >> 8) / 16777216.0f;
    }
    return v;
}

class KilnPipeline : public ::testing::Test {
protected:
    void SetUp() override {
        plan = dir.path("mnist.plan");
        const CommandResult r = runKiln("build --network mnist --batch " + std::to_string(kBatch) +
                                        " --seed 11 -o " + shellQuote(plan));
        ASSERT_EQ(r.exitCode, 0) << r.output;
    }

    /// Runs the plan on `input` ([kBatch,1,28,28]) and returns the prob output read from the .npy file.
    std::vector<float> runOn(const std::vector<float>& input, const std::string& tag,
                             std::vector<int64_t>* shape) {
        const std::string in = dir.path(tag + "_input.npy"), out = dir.path(tag + "_out");
        writeFloatNpy(in, {kBatch, 1, 28, 28}, input);
        const CommandResult r = runKiln("run " + shellQuote(plan) + " --input input=" + shellQuote(in) +
                                        " --output-dir " + shellQuote(out));
        EXPECT_EQ(r.exitCode, 0) << r.output;
        EXPECT_NE(r.output.find("output 'prob': float32 [3,10]"), std::string::npos) << r.output;
        std::vector<float> values;
        std::string error;
        EXPECT_TRUE(readFloatNpy(out + "/prob.npy", shape, &values, &error)) << error << "\n" << r.output;
        return values;
    }

    ScratchDir dir;
    std::string plan;
};

TEST_F(KilnPipeline, InspectNamesTensorsShapesAndTarget) {
    const CommandResult r = runKiln("inspect " + shellQuote(plan));
    ASSERT_EQ(r.exitCode, 0) << r.output;
    for (const char* expected :
         {"Target:       cpu", "input  float32  [3,1,28,28]", "prob  float32  [3,10]", "Convolution",
          "Pooling", "MatrixMultiply", "SoftMax", "reference", "Kiln version: 0.1.0", "weights "})
        EXPECT_NE(r.output.find(expected), std::string::npos) << "missing '" << expected << "' in:\n"
                                                              << r.output;
}

TEST_F(KilnPipeline, InspectJsonIsTheEngineDescription) {
    const CommandResult r = runKiln("inspect --json " + shellQuote(plan) + " 2>/dev/null");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    const nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.output;
    EXPECT_EQ(j.value("target", ""), "cpu");
    ASSERT_TRUE(j["io"].is_array());
    ASSERT_EQ(j["io"].size(), 2u) << r.output;
    EXPECT_EQ(j["io"][0].value("name", ""), "input");
    EXPECT_EQ(j["io"][0]["shape"], nlohmann::json({3, 1, 28, 28}));
    EXPECT_EQ(j["io"][1].value("name", ""), "prob");
    EXPECT_EQ(j["io"][1]["shape"], nlohmann::json({3, 10}));
    EXPECT_GT(j["layers"].size(), 10u);
    EXPECT_GT(j.value("weights_bytes", 0), 20000 * 4);  // 20522 float32 weights
}

TEST_F(KilnPipeline, RunWritesSoftmaxRowsAndIsDeterministic) {
    const std::vector<float> input = pseudoImage(kBatch * 28 * 28, 1);
    std::vector<int64_t> shape, shape2;
    const std::vector<float> prob = runOn(input, "first", &shape);
    ASSERT_EQ(shape, (std::vector<int64_t>{kBatch, 10}));
    ASSERT_EQ(prob.size(), static_cast<size_t>(kBatch * 10));
    for (int64_t n = 0; n < kBatch; ++n) {
        double sum = 0.0;
        for (int c = 0; c < 10; ++c) {
            const float p = prob[static_cast<size_t>(n * 10 + c)];
            EXPECT_GE(p, 0.0f) << "row " << n << " class " << c;
            EXPECT_LE(p, 1.0f) << "row " << n << " class " << c;
            sum += p;
        }
        // float32 softmax: ten terms each rounded to 2^-24 relative, far inside 1e-5.
        EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << n;
    }
    const std::vector<float> again = runOn(input, "second", &shape2);
    EXPECT_EQ(shape2, shape);
    EXPECT_EQ(again, prob) << "a second run of the same plan on the same input must give identical bytes";
}

TEST_F(KilnPipeline, EqualImagesInABatchGiveEqualRows) {
    std::vector<float> one = pseudoImage(28 * 28, 7), input;
    for (int n = 0; n < kBatch; ++n) input.insert(input.end(), one.begin(), one.end());
    std::vector<int64_t> shape;
    const std::vector<float> prob = runOn(input, "same", &shape);
    ASSERT_EQ(prob.size(), static_cast<size_t>(kBatch * 10));
    for (int n = 1; n < kBatch; ++n)
        for (int c = 0; c < 10; ++c)
            EXPECT_EQ(prob[static_cast<size_t>(n * 10 + c)], prob[static_cast<size_t>(c)])
                << "row " << n << " class " << c;
}

TEST_F(KilnPipeline, DifferentInputsGiveDifferentOutputs) {
    std::vector<int64_t> shape;
    const std::vector<float> a = runOn(pseudoImage(kBatch * 28 * 28, 1), "a", &shape);
    const std::vector<float> b = runOn(pseudoImage(kBatch * 28 * 28, 2), "b", &shape);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_NE(a, b);
}

TEST_F(KilnPipeline, SameSeedRebuildGivesSameResultsAndOtherSeedDiffers) {
    const std::vector<float> input = pseudoImage(kBatch * 28 * 28, 3);
    std::vector<int64_t> shape;
    const std::vector<float> original = runOn(input, "orig", &shape);
    const std::string plan11 = plan;
    plan = dir.path("rebuilt.plan");
    ASSERT_EQ(runKiln("build --network mnist --batch 3 --seed 11 -o " + shellQuote(plan)).exitCode, 0);
    EXPECT_EQ(runOn(input, "rebuilt", &shape), original) << "the same seed must give the same weights";
    plan = dir.path("seed12.plan");
    ASSERT_EQ(runKiln("build --network mnist --batch 3 --seed 12 -o " + shellQuote(plan)).exitCode, 0);
    EXPECT_NE(runOn(input, "seed12", &shape), original) << "another seed must give other weights";
}

TEST_F(KilnPipeline, RandomInputsFollowTheSeed) {
    auto runSeed = [&](int seed, const std::string& tag) {
        const std::string out = dir.path(tag);
        const CommandResult r =
            runKiln("run " + shellQuote(plan) + " --seed " + std::to_string(seed) + " -O " + shellQuote(out));
        EXPECT_EQ(r.exitCode, 0) << r.output;
        EXPECT_NE(r.output.find("random (seed " + std::to_string(seed) + ")"), std::string::npos) << r.output;
        std::vector<int64_t> shape;
        std::vector<float> v;
        std::string error;
        EXPECT_TRUE(readFloatNpy(out + "/prob.npy", &shape, &v, &error)) << error;
        return v;
    };
    const std::vector<float> a = runSeed(5, "s5"), b = runSeed(5, "s5b"), c = runSeed(6, "s6");
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
}

TEST_F(KilnPipeline, RunPrintsSummaryAndTiming) {
    const CommandResult r = runKiln("run " + shellQuote(plan) + " --iterations 3 --warmup 1");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    for (const char* expected : {"values: ", "min ", "max ", "mean ", "timing: 3 iterations after 1 warmup",
                                 "median", "inferences/s"})
        EXPECT_NE(r.output.find(expected), std::string::npos) << "missing '" << expected << "' in:\n"
                                                              << r.output;
}

TEST_F(KilnPipeline, ProfilePrintsTimeByOpKindAndTheSlowestLayers) {
    const CommandResult r = runKiln("run " + shellQuote(plan) + " --profile 2");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    const size_t at = r.output.find("profile: ");
    ASSERT_NE(at, std::string::npos) << r.output;
    const int layers = std::atoi(r.output.c_str() + at + 9);
    EXPECT_GT(layers, 0) << r.output;
    // The op-kind rows account for every profiled layer once.
    int counted = 0;
    for (const char* op : {"Convolution", "MatrixMultiply", "Activation", "Pooling", "ElementWise", "SoftMax",
                           "Shuffle", "Scale", "Pointwise"}) {
        const size_t row = r.output.find("\n  " + std::string(op) + " ", at);
        if (row == std::string::npos) continue;
        counted += std::atoi(r.output.c_str() + r.output.find_first_not_of(' ', row + 3 + std::string(op).size()));
    }
    EXPECT_EQ(counted, layers) << r.output;
    EXPECT_NE(r.output.find("Convolution"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("slowest layers:"), std::string::npos) << r.output;
    EXPECT_NE(runKiln("run " + shellQuote(plan) + " --profile 0").exitCode, 0);
}

TEST_F(KilnPipeline, DynamicBatchNeedsAShapeAndMatchesTheStaticPlan) {
    const std::string dynamic = dir.path("dynamic.plan");
    ASSERT_EQ(runKiln("build --network mnist --batch -1 --seed 11 -o " + shellQuote(dynamic)).exitCode, 0);
    const CommandResult inspect = runKiln("inspect " + shellQuote(dynamic));
    EXPECT_NE(inspect.output.find("[-1,1,28,28]"), std::string::npos) << inspect.output;

    const CommandResult noShape = runKiln("run " + shellQuote(dynamic));
    EXPECT_EQ(noShape.exitCode, 1) << noShape.output;
    EXPECT_NE(noShape.output.find("has dynamic shape [-1,1,28,28]; give it with --shape"), std::string::npos)
        << noShape.output;

    const std::vector<float> input = pseudoImage(kBatch * 28 * 28, 9);
    std::vector<int64_t> shape;
    const std::vector<float> fromStatic = runOn(input, "static", &shape);
    plan = dynamic;
    EXPECT_EQ(runOn(input, "dynamic", &shape), fromStatic) << "same weights, batch chosen at run time";

    const CommandResult withShape = runKiln("run " + shellQuote(dynamic) + " --shape input=2x1x28x28");
    EXPECT_EQ(withShape.exitCode, 0) << withShape.output;
    EXPECT_NE(withShape.output.find("output 'prob': float32 [2,10]"), std::string::npos) << withShape.output;
}

TEST(KilnHelp, EverySubcommandHasHelpWithExamples) {
    for (const char* cmd : {"", "build ", "run ", "inspect "}) {
        const CommandResult r = runKiln(std::string(cmd) + "--help");
        EXPECT_EQ(r.exitCode, 0) << cmd << r.output;
        EXPECT_NE(r.output.find("Usage: kiln"), std::string::npos) << cmd << r.output;
        EXPECT_NE(r.output.find("Examples:"), std::string::npos) << cmd << r.output;
    }
    EXPECT_NE(runKiln("build --help").output.find("--fp16"), std::string::npos);
    EXPECT_NE(runKiln("run --help").output.find("--output-dir"), std::string::npos);
    EXPECT_NE(runKiln("inspect --help").output.find("--json"), std::string::npos);
}

TEST(KilnHelp, NoArgumentsPrintsUsageAndFails) {
    const CommandResult r = runKiln("");
    EXPECT_EQ(r.exitCode, 1) << r.output;
    EXPECT_NE(r.output.find("Usage: kiln"), std::string::npos) << r.output;
}

TEST(KilnHelp, VersionAndNetworkList) {
    const CommandResult v = runKiln("--version");
    EXPECT_EQ(v.exitCode, 0) << v.output;
    EXPECT_NE(v.output.find("kiln 0.1.0"), std::string::npos) << v.output;
    const CommandResult list = runKiln("build --list-networks");
    EXPECT_EQ(list.exitCode, 0) << list.output;
    for (const char* name : {"mnist", "resnet18", "resnet50", "mobilenet_v2"})
        EXPECT_NE(list.output.find(name), std::string::npos) << list.output;
}

}  // namespace
}  // namespace kiln::clitest
