// The zoo's image networks through the kiln tool at a small image size: they build with torchvision's
// parameter counts, inspect with the right I/O, run to finite logits, and save their weights with
// torchvision's names and shapes. (Numerical equality with torchvision itself is checked by
// check_zoo_torchvision.py, which needs torch.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <ostream>

#include "cli_test_util.h"

namespace kiln::clitest {
namespace {

struct ZooCase {
    const char* network;
    const char* parameters;  // torchvision's parameter count (BN gamma/beta as scale/shift)
    const char* someWeight;  // one saved tensor and its shape
    std::vector<int64_t> someWeightShape;
};

/// gtest prints the parameter of a failing case: the network name says it all.
void PrintTo(const ZooCase& c, std::ostream* os) {
    *os << c.network;
}

class ZooNetworks : public ::testing::TestWithParam<ZooCase> {};

TEST_P(ZooNetworks, BuildInspectRunAndSaveWeights) {
    const ZooCase& c = GetParam();
    ScratchDir dir;
    const std::string plan = dir.path("net.plan"), weights = dir.path("weights");
    const CommandResult build =
        runKiln(std::string("build --network ") + c.network + " --image-size 96 --save-weights " +
                shellQuote(weights) + " -o " + shellQuote(plan));
    ASSERT_EQ(build.exitCode, 0) << build.output;
    EXPECT_NE(build.output.find(std::string(c.parameters) + " parameters"), std::string::npos)
        << build.output;

    const CommandResult inspect = runKiln("inspect " + shellQuote(plan));
    ASSERT_EQ(inspect.exitCode, 0) << inspect.output;
    for (const char* expected :
         {"input  float32  [1,3,96,96]", "logits  float32  [1,1000]", "Convolution", "Pooling"})
        EXPECT_NE(inspect.output.find(expected), std::string::npos)
            << c.network << ": missing '" << expected << "' in:\n"
            << inspect.output;
    // BatchNorm imports as Scale; fuse-pointwise folds it with a following ReLU or residual add into one
    // Pointwise layer, so a network shows at least one of the two.
    EXPECT_TRUE(inspect.output.find("Scale") != std::string::npos ||
                inspect.output.find("Pointwise") != std::string::npos)
        << c.network << ": neither Scale nor Pointwise in:\n"
        << inspect.output;

    const std::string out = dir.path("out");
    const CommandResult run = runKiln("run " + shellQuote(plan) + " -O " + shellQuote(out));
    ASSERT_EQ(run.exitCode, 0) << run.output;
    std::vector<int64_t> shape;
    std::vector<float> logits;
    std::string error;
    ASSERT_TRUE(readFloatNpy(out + "/logits.npy", &shape, &logits, &error)) << error;
    EXPECT_EQ(shape, (std::vector<int64_t>{1, 1000}));
    float maxAbs = 0.0f;
    for (float v : logits) {
        ASSERT_TRUE(std::isfinite(v)) << c.network;
        maxAbs = std::max(maxAbs, std::fabs(v));
    }
    // He initialisation with batch norm keeps logits O(1..10); saturation or collapse would mean a broken
    // topology (e.g. a residual added twice or a missing activation).
    EXPECT_GT(maxAbs, 0.1f) << c.network;
    EXPECT_LT(maxAbs, 1000.0f) << c.network;

    std::vector<float> w;
    ASSERT_TRUE(readFloatNpy(weights + "/" + c.someWeight + ".npy", &shape, &w, &error)) << error;
    EXPECT_EQ(shape, c.someWeightShape) << c.someWeight;
}

INSTANTIATE_TEST_SUITE_P(
    Cli, ZooNetworks,
    ::testing::Values(ZooCase{"resnet18", "11689512", "layer2.0.downsample.0.weight", {128, 64, 1, 1}},
                      ZooCase{"resnet50", "25557032", "layer4.2.conv3.weight", {2048, 512, 1, 1}},
                      ZooCase{"mobilenet_v2", "3504872", "features.2.conv.1.0.weight", {96, 1, 3, 3}}),
    [](const ::testing::TestParamInfo<ZooCase>& info) { return std::string(info.param.network); });

TEST(ZooNetworksMnist, SavedWeightsAndVerboseLogging) {
    ScratchDir dir;
    const std::string weights = dir.path("w");
    const CommandResult r = runKiln("build --network mnist --verbose --save-weights " + shellQuote(weights) +
                                    " -o " + shellQuote(dir.path("m.plan")));
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("20522 parameters"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("[kiln info] built a plan of"), std::string::npos)
        << "--verbose shows the library's info messages:\n"
        << r.output;
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(weights))
        files += entry.path().extension() == ".npy";
    EXPECT_EQ(files, 8u);  // conv1, conv2, fc1, fc2: weight + bias each
    std::vector<int64_t> shape;
    std::vector<float> w;
    std::string error;
    ASSERT_TRUE(readFloatNpy(weights + "/fc1.weight.npy", &shape, &w, &error)) << error;
    EXPECT_EQ(shape, (std::vector<int64_t>{256, 64}));
}

}  // namespace
}  // namespace kiln::clitest
