// Counting results per op and overall, checking them against the expected-pass list, and writing the
// summary files (JSON for scripts/onnx/conformance_report.py, CSV for a spreadsheet, the passing list).
#include "summary.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace kiln::conformance {
namespace {

void count(OpCounts& c, Outcome outcome) {
    ++c.total;
    switch (outcome) {
        case Outcome::kPass: ++c.pass; break;
        case Outcome::kFail: ++c.fail; break;
        case Outcome::kUnsupported: ++c.unsupported; break;
    }
}

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    for (unsigned char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (ch < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", ch);
                    out += buf;
                } else {
                    out += static_cast<char>(ch);
                }
        }
    }
    return out + "\"";
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

std::string countsJson(const OpCounts& c) {
    std::ostringstream s;
    s << "{\"supported\": " << (c.supported ? "true" : "false") << ", \"total\": " << c.total
      << ", \"pass\": " << c.pass << ", \"fail\": " << c.fail << ", \"unsupported\": " << c.unsupported << "}";
    return s.str();
}

bool openFor(const std::string& path, std::ofstream& out, std::string* error) {
    out.open(path);
    if (!out) *error = "cannot write " + path;
    return static_cast<bool>(out);
}

}  // namespace

Summary summarize(const std::vector<Record>& records) {
    Summary s;
    for (const Record& r : records) {
        OpCounts& c = s.ops[r.op];
        c.supported = r.opSupported;
        count(c, r.result.outcome);
        count(s.overall, r.result.outcome);
        const bool passed = r.result.outcome == Outcome::kPass;
        if (r.graphSupported) {
            ++s.metricCases;
            s.metricPassed += passed;
        }
        if (r.opSupported) {
            ++s.mainOpCases;
            s.mainOpPassed += passed;
        }
    }
    return s;
}

bool readNameList(const std::string& path, std::set<std::string>* names, std::string* error) {
    std::ifstream in(path);
    if (!in) {
        *error = "cannot read the expected-pass list " + path;
        return false;
    }
    for (std::string line; std::getline(in, line);) {
        const size_t hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        std::istringstream words(line);
        std::string name;
        if (words >> name) names->insert(name);
    }
    return true;
}

ExpectedCheck checkExpected(const std::vector<Record>& records, const std::set<std::string>& expected) {
    ExpectedCheck check;
    std::set<std::string> seen;
    for (const Record& r : records) {
        seen.insert(r.name);
        const bool listed = expected.count(r.name) > 0;
        const bool passed = r.result.outcome == Outcome::kPass;
        if (listed && !passed)
            check.regressions.push_back(r.name + ": " + outcomeName(r.result.outcome) + " " + r.result.reason);
        if (!listed && passed) check.newlyPassing.push_back(r.name);
    }
    for (const std::string& name : expected)
        if (!seen.count(name))
            check.regressions.push_back(name + ": MISSING (no such case was run: a different onnx version, or "
                                               "the dump failed?)");
    return check;
}

bool writePassingList(const std::string& path, const std::vector<Record>& records, const std::string& header,
                      std::string* error) {
    std::ofstream out;
    if (!openFor(path, out, error)) return false;
    out << header;
    for (const Record& r : records)
        if (r.result.outcome == Outcome::kPass) out << r.name << "\n";
    return static_cast<bool>(out);
}

bool writeJson(const std::string& path, const std::vector<Record>& records, const Summary& summary,
               const std::string& source, std::string* error) {
    std::ofstream out;
    if (!openFor(path, out, error)) return false;
    out << "{\n  \"source\": " << jsonString(source) << ",\n";
    out << "  \"overall\": " << countsJson(summary.overall) << ",\n";
    out << "  \"metric\": {\"definition\": "
        << jsonString("pass rate over cases whose graph ops are all default-domain ops Kiln supports")
        << ", \"cases\": " << summary.metricCases << ", \"passed\": " << summary.metricPassed
        << ", \"rate\": " << summary.metricRate() << "},\n";
    out << "  \"main_op_metric\": {\"definition\": "
        << jsonString("pass rate over cases whose main op Kiln supports") << ", \"cases\": " << summary.mainOpCases
        << ", \"passed\": " << summary.mainOpPassed << ", \"rate\": " << summary.mainOpRate() << "},\n";
    out << "  \"ops\": {";
    bool first = true;
    for (const auto& [op, c] : summary.ops) {
        out << (first ? "\n" : ",\n") << "    " << jsonString(op) << ": " << countsJson(c);
        first = false;
    }
    out << "\n  },\n  \"cases\": [";
    first = true;
    for (const Record& r : records) {
        std::string ops;
        for (const std::string& op : r.graphOps) ops += (ops.empty() ? "" : ",") + op;
        out << (first ? "\n" : ",\n") << "    {\"name\": " << jsonString(r.name) << ", \"op\": " << jsonString(r.op)
            << ", \"opset\": " << r.opset << ", \"graph_ops\": " << jsonString(ops)
            << ", \"status\": " << jsonString(outcomeName(r.result.outcome))
            << ", \"op_supported\": " << (r.opSupported ? "true" : "false")
            << ", \"graph_supported\": " << (r.graphSupported ? "true" : "false") << ", \"ms\": " << r.result.ms
            << ", \"reason\": " << jsonString(r.result.reason) << "}";
        first = false;
    }
    out << "\n  ]\n}\n";
    return static_cast<bool>(out);
}

bool writeCsv(const std::string& path, const std::vector<Record>& records, std::string* error) {
    std::ofstream out;
    if (!openFor(path, out, error)) return false;
    out << "name,op,opset,status,op_supported,graph_supported,ms,reason\n";
    for (const Record& r : records)
        out << csvField(r.name) << "," << csvField(r.op) << "," << r.opset << "," << outcomeName(r.result.outcome)
            << "," << r.opSupported << "," << r.graphSupported << "," << r.result.ms << ","
            << csvField(r.result.reason) << "\n";
    return static_cast<bool>(out);
}

}  // namespace kiln::conformance
