// The kiln subcommands. Each one has an argument struct filled by CLI11, a function that declares its
// options and help text on the app, and a function that runs it and returns the exit code (0 or 1).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::tool {

struct BuildArgs {
    std::string modelFile;  // positional; reserved for the ONNX parser
    std::string network;
    std::string output;
    int64_t batch{1};
    int64_t imageSize{0};
    uint64_t seed{1};
    std::string device;
    bool fp16{false}, bf16{false}, int8{false}, fp8{false};
    bool tf32{true};
    bool deterministic{false};
    double workspaceMiB{-1.0};  // < 0: the library's default
    int32_t optLevel{-1};       // < 0: the library's default
    std::string timingCache;    // file of tactic timings: read when it exists, rewritten after the build
    std::string saveWeights;    // directory for the zoo network's weights as .npy
    bool listNetworks{false};
    bool verbose{false};
};

struct RunArgs {
    std::string plan;
    std::vector<std::string> inputs;  // NAME=FILE.npy
    std::vector<std::string> shapes;  // NAME=1x3x224x224
    std::string outputDir;
    int32_t iterations{1};
    int32_t warmup{0};
    uint64_t seed{1};
    int32_t printValues{8};
    bool verbose{false};
    bool cudaGraph{false};  ///< GPU plans: time replays of one enqueue captured into a CUDA graph
    int32_t profileRuns{0};  ///< > 0: that many extra runs timed layer by layer, printed as a table
};

struct InspectArgs {
    std::string plan;  ///< a plan, or an ONNX model when it ends in .onnx
    bool json{false};
    bool nodes{false};
    bool verbose{false};
};

CLI::App* addBuildCommand(CLI::App& app, BuildArgs& args);
CLI::App* addRunCommand(CLI::App& app, RunArgs& args);
CLI::App* addInspectCommand(CLI::App& app, InspectArgs& args);

int runBuild(const BuildArgs& args);
int runRun(const RunArgs& args);
int runInspect(const InspectArgs& args);

/// "kiln 0.1.0 (library 0.1.0)".
std::string versionText();

}  // namespace kiln::tool
