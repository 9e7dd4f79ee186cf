// One conformance case: a directory with model.onnx, test_data_set_N/{input,output}_K.pb and case.txt (as
// written by scripts/onnx/dump_node_tests.py and make_models.py). runCase parses the model with Kiln's
// ONNX parser, builds a CPU plan through the public builder, runs every data set and compares the outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::conformance {

/// What case.txt says about a case.
struct CaseSpec {
    struct Io {
        std::string kind;  ///< tensor, sequence, optional, map
        std::string name;
    };
    std::string name;
    std::string op;  ///< the test's main op
    int64_t opset{-1};
    double rtol{1e-3};
    double atol{1e-7};
    std::vector<std::string> graphOps;  ///< every op type of the graph ("domain:Op" outside the default)
    int32_t dataSets{0};
    std::vector<Io> inputs;
    std::vector<Io> outputs;
};

/// Reads `dir`/case.txt.
bool readCaseSpec(const std::string& dir, CaseSpec* spec, std::string* error);

enum class Outcome { kPass, kFail, kUnsupported };
const char* outcomeName(Outcome outcome);

struct CaseResult {
    Outcome outcome{Outcome::kFail};
    std::string reason;  ///< one line: why it failed / what is unsupported; for a pass, e.g. the L2 error
    double ms{0};
};

struct RunOptions {
    double relL2{-1};      ///< > 0: compare float outputs by relative L2 error instead of allclose
    double rtol{-1};       ///< >= 0: overrides the case's rtol
    double atol{-1};       ///< >= 0: overrides the case's atol
    bool verbose{false};   ///< print the logger's messages to stderr
};

/// Runs the case in `dir`. Never throws; every problem becomes a kFail with its reason.
CaseResult runCase(const std::string& dir, const RunOptions& options);

}  // namespace kiln::conformance
