// The conformance runner's results over many cases: per-op and overall counts, the metric (the
// pass rate over cases whose ops Kiln supports), the expected-pass list check (regressions and newly
// passing cases), and the JSON / CSV / list files written from them.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "case_runner.h"

namespace kiln::conformance {

struct Record {
    std::string name;
    std::string op;
    int64_t opset{-1};
    std::vector<std::string> graphOps;
    CaseResult result;
    bool opSupported{false};      ///< IParser::supportsOperator(op)
    bool graphSupported{false};   ///< every op of the graph is a default-domain op Kiln supports
};

struct OpCounts {
    bool supported{false};
    int64_t total{0}, pass{0}, fail{0}, unsupported{0};
};

struct Summary {
    std::map<std::string, OpCounts> ops;
    OpCounts overall;
    int64_t metricCases{0};    ///< cases whose graph ops are all supported
    int64_t metricPassed{0};
    int64_t mainOpCases{0};    ///< cases whose main op is supported
    int64_t mainOpPassed{0};
    double metricRate() const { return metricCases ? double(metricPassed) / double(metricCases) : 0.0; }
    double mainOpRate() const { return mainOpCases ? double(mainOpPassed) / double(mainOpCases) : 0.0; }
};

Summary summarize(const std::vector<Record>& records);

/// Names listed in an expected-pass file (one a line, '#' starts a comment). False if it cannot be read.
bool readNameList(const std::string& path, std::set<std::string>* names, std::string* error);

/// Listed cases that did not pass (a missing case counts), and passing cases not listed.
struct ExpectedCheck {
    std::vector<std::string> regressions;  ///< "name: OUTCOME reason"
    std::vector<std::string> newlyPassing;
};
ExpectedCheck checkExpected(const std::vector<Record>& records, const std::set<std::string>& expected);

bool writePassingList(const std::string& path, const std::vector<Record>& records, const std::string& header,
                      std::string* error);
bool writeJson(const std::string& path, const std::vector<Record>& records, const Summary& summary,
               const std::string& source, std::string* error);
bool writeCsv(const std::string& path, const std::vector<Record>& records, std::string* error);

}  // namespace kiln::conformance
