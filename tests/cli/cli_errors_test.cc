// Bad input to the kiln tool: every case must exit with code 1 (never crash) and print one line saying
// what is wrong.
#include <gtest/gtest.h>

#include <cstdint>

#include "cli_test_util.h"

namespace kiln::clitest {
namespace {

/// Runs kiln with `args`, expects exit code 1 and a single output line containing `expected`.
void expectError(const std::string& args, const std::string& expected) {
    const CommandResult r = runKiln(args);
    EXPECT_EQ(r.exitCode, 1) << "kiln " << args << "\n" << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos)
        << "kiln " << args << "\nexpected '" << expected << "' in:\n"
        << r.output;
    EXPECT_EQ(countLines(r.output), 1) << "kiln " << args << "\n" << r.output;
}

class KilnErrors : public ::testing::Test {
protected:
    void SetUp() override {
        plan = dir.path("mnist.plan");
        const CommandResult r = runKiln("build --network mnist --batch 2 -o " + shellQuote(plan));
        ASSERT_EQ(r.exitCode, 0) << r.output;
    }
    std::string run(const std::string& extra) const { return "run " + shellQuote(plan) + " " + extra; }

    ScratchDir dir;
    std::string plan;
};

TEST_F(KilnErrors, MissingPlanFile) {
    const std::string missing = shellQuote(dir.path("nope.plan"));
    expectError("run " + missing, "No such file or directory");
    expectError("inspect " + missing, "cannot read");
}

TEST_F(KilnErrors, CorruptedPlanIsRejectedByTheChecksum) {
    std::vector<uint8_t> bytes = readBytes(plan);
    ASSERT_GT(bytes.size(), 1000u);
    bytes[bytes.size() / 2] ^= 0x5a;  // inside the weights: only the checksum can tell
    const std::string corrupt = dir.path("corrupt.plan");
    writeBytes(corrupt, bytes);
    expectError("run " + shellQuote(corrupt), "cannot load plan");
    expectError("inspect " + shellQuote(corrupt), "corrupt");
}

TEST_F(KilnErrors, TruncatedAndEmptyAndForeignPlans) {
    std::vector<uint8_t> bytes = readBytes(plan);
    bytes.resize(bytes.size() / 3);
    const std::string truncated = dir.path("truncated.plan");
    writeBytes(truncated, bytes);
    expectError("run " + shellQuote(truncated), "truncated");
    const std::string empty = dir.path("empty.plan");
    writeBytes(empty, {});
    expectError("inspect " + shellQuote(empty), "is empty");
    const std::string text = dir.path("text.plan");
    writeBytes(text, std::vector<uint8_t>(4096, 'x'));
    expectError("inspect " + shellQuote(text), "cannot load plan");
    expectError("inspect " + shellQuote(dir.path("")), "is a directory");
}

TEST_F(KilnErrors, WrongInputShape) {
    const std::string npy = dir.path("wrong_shape.npy");
    writeFloatNpy(npy, {3, 1, 28, 28}, std::vector<float>(3 * 28 * 28, 0.5f));
    expectError(run("--input input=" + shellQuote(npy)), "input 'input' expects shape [2,1,28,28] but");
    const std::string rank = dir.path("wrong_rank.npy");
    writeFloatNpy(rank, {2, 28, 28}, std::vector<float>(2 * 28 * 28, 0.5f));
    expectError(run("--input input=" + shellQuote(rank)), "has shape [2,28,28]");
    expectError(run("--shape input=2x1x28x27"), "does not fit it");
}

TEST_F(KilnErrors, WrongInputDtypeAndLayout) {
    const std::vector<int32_t> ints(2 * 28 * 28, 1);
    const std::string i32 = dir.path("int32.npy");
    writeRawNpy(i32, "<i4", {2, 1, 28, 28}, ints.data(), ints.size() * 4);
    expectError(run("--input input=" + shellQuote(i32)), "input 'input' is float32 (.npy <f4) but");
    const std::vector<double> doubles(2 * 28 * 28, 1.0);
    const std::string f64 = dir.path("float64.npy");
    writeRawNpy(f64, "<f8", {2, 1, 28, 28}, doubles.data(), doubles.size() * 8);
    expectError(run("--input input=" + shellQuote(f64)), "dtype '<f8' is not supported");
    const std::vector<float> floats(2 * 28 * 28, 1.0f);
    const std::string fortran = dir.path("fortran.npy");
    writeRawNpy(fortran, "<f4", {2, 1, 28, 28}, floats.data(), floats.size() * 4, /*fortranOrder=*/true);
    expectError(run("--input input=" + shellQuote(fortran)), "fortran.npy: the array is stored in Fortran");
    const std::string bigEndian = dir.path("big.npy");
    writeRawNpy(bigEndian, ">f4", {2, 1, 28, 28}, floats.data(), floats.size() * 4);
    expectError(run("--input input=" + shellQuote(bigEndian)), "big-endian");
    const std::string shortFile = dir.path("short.npy");
    writeRawNpy(shortFile, "<f4", {2, 1, 28, 28}, floats.data(), 100);
    expectError(run("--input input=" + shellQuote(shortFile)), "truncated");
    expectError(run("--input input=" + shellQuote(dir.path("absent.npy"))), "cannot open");
}

TEST_F(KilnErrors, BadRunArguments) {
    expectError(run("--input nosuch=x.npy"), "the plan has no input named 'nosuch'; inputs: 'input'");
    expectError(run("--input prob=x.npy"), "'prob' is an output of the plan, not an input");
    expectError(run("--shape input"), "expected NAME=1x3x224x224");
    expectError(run("--shape input=2x1xtwentyx28"), "is not a non-negative integer");
    expectError(run("--iterations 0"), "--iterations");
    expectError(run("--frobnicate"), "--frobnicate");
    expectError("run", "plan is required");
    const std::string out = dir.path("file_not_dir");
    writeBytes(out, {1});
    expectError(run("--output-dir " + shellQuote(out)), "cannot create output directory");
}

TEST(KilnBuildErrors, BadBuildArguments) {
    ScratchDir dir;
    const std::string out = " -o " + shellQuote(dir.path("x.plan"));
    expectError("build --network lenet" + out, "unknown network 'lenet'; available: mnist, resnet18");
    expectError("build model.onnx" + out, "cannot open ONNX model file 'model.onnx'");
    expectError("build" + out, "nothing to build: give MODEL.onnx or --network NAME");
    expectError("build --network mnist", "no output file");
    expectError("build --network mnist --batch 0" + out, "batch size must be positive");
    expectError("build --network mnist --image-size 8" + out, "image size 8 does not fit mnist");
    expectError("build --network mnist --device tpu" + out, "unknown target device 'tpu'");
    expectError("build --network mnist --int8" + out, "BuilderFlag::kINT8");
    expectError("build --network mnist --opt-level 7" + out, "--opt-level");
    expectError("build --network mnist -o " + shellQuote(dir.path("no/such/dir/x.plan")), "cannot write");
    expectError("frobnicate", "unknown command 'frobnicate'");
}

}  // namespace
}  // namespace kiln::clitest
