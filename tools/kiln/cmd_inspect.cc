// `kiln inspect`: describes a plan from IEngineInspector's JSON (target, versions, I/O tensors, memory and
// the layer table, or the JSON itself with --json), or an ONNX model through IParser::describeModel
// (inputs and outputs with symbolic dims, opsets, operator histogram, per-node support and why not).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"
#include "logger.h"
#include "plan_file.h"

namespace kiln::tool {

namespace {

constexpr const char* kCommand = "inspect";
using nlohmann::json;

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return "?";
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

std::string shapeOf(const json& tensor) {
    auto it = tensor.find("shape");
    if (it == tensor.end() || !it->is_array()) return "?";
    std::string s = "[";
    for (size_t i = 0; i < it->size(); ++i) s += (i ? "," : "") + (*it)[i].dump();
    return s + "]";
}

int64_t integer(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

/// Prints rows as left-aligned columns separated by two spaces, with an indent.
void printTable(const std::vector<std::vector<std::string>>& rows, const char* indent) {
    std::vector<size_t> width;
    for (const auto& r : rows)
        for (size_t c = 0; c < r.size(); ++c) {
            if (width.size() <= c) width.push_back(0);
            width[c] = std::max(width[c], r[c].size());
        }
    for (const auto& r : rows) {
        std::string line = indent;
        for (size_t c = 0; c < r.size(); ++c) {
            line += r[c];
            if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
}

void printHuman(const json& info, const std::string& path, int64_t fileBytes) {
    std::printf("Plan:         %s (%s)\n", path.c_str(), byteSize(fileBytes).c_str());
    std::printf("Target:       %s\n", str(info, "target").c_str());
    std::printf("Device:       %s\n", str(info, "device").c_str());
    std::printf("Kiln version: %s (plan format %s)\n", str(info, "kiln_version").c_str(),
                str(info, "plan_format").c_str());
    const int64_t weights = integer(info, "weights_bytes"), activations = integer(info, "activation_bytes");
    std::printf("Memory:       weights %s, activations %s per execution context\n",
                weights < 0 ? "?" : byteSize(weights).c_str(),
                activations < 0    ? "?"
                : activations == 0 ? "set at run time (dynamic shapes)"
                                   : byteSize(activations).c_str());
    for (const char* mode : {"input", "output"}) {
        std::vector<std::vector<std::string>> rows;
        for (const json& t : info.value("io", json::array()))
            if (t.value("mode", "") == mode)
                rows.push_back({t.value("name", "?"), t.value("type", "?"), shapeOf(t)});
        std::printf("%s (%zu):\n", mode[0] == 'i' ? "Inputs" : "Outputs", rows.size());
        printTable(rows, "  ");
    }
    const json layers = info.value("layers", json::array());
    std::vector<std::vector<std::string>> rows{{"#", "name", "op", "output", "tactic"}};
    for (size_t i = 0; i < layers.size(); ++i) {
        const json& l = layers[i];
        std::string outputs;
        for (const json& o : l.value("outputs", json::array()))
            outputs += (outputs.empty() ? "" : ", ") + o.value("type", "?") + " " + shapeOf(o);
        rows.push_back(
            {std::to_string(i), l.value("name", "?"), l.value("op", "?"), outputs, l.value("tactic", "?")});
    }
    std::printf("Layers (%zu):\n", layers.size());
    printTable(rows, "  ");
}

bool isOnnxFile(const std::string& path) {
    return path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

int inspectOnnx(const InspectArgs& a, ConsoleLogger& logger) {
    if (a.json)
        return reportFailure(logger, kCommand,
                             "--json describes plans; for an ONNX model drop --json (the text lists every fact)");
    std::vector<uint8_t> bytes;
    std::string error;
    if (!readFileBytes(a.plan, &bytes, &error)) return reportFailure(logger, kCommand, error);
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    std::unique_ptr<INetworkDefinition> scratch;
    if (builder) scratch.reset(builder->createNetworkV2(0));
    if (!scratch) return reportFailure(logger, kCommand, "cannot create a network for the ONNX parser");
    std::unique_ptr<IParser> parser(createParser(*scratch, logger));
    if (!parser) return reportFailure(logger, kCommand, "cannot create the ONNX parser");
    const char* text = parser->describeModel(bytes.data(), bytes.size(), a.plan.c_str(), a.nodes);
    if (!text) return reportFailure(logger, kCommand, "'" + a.plan + "' is not a readable ONNX model");
    std::printf("Model:        %s (%s)\n%s", a.plan.c_str(), byteSize(static_cast<int64_t>(bytes.size())).c_str(),
                text);
    flushErrors(logger, kCommand);
    return 0;
}

}  // namespace

CLI::App* addInspectCommand(CLI::App& app, InspectArgs& a) {
    CLI::App* cmd =
        app.add_subcommand("inspect", "Describe a plan (target, versions, I/O tensors, memory, layers) or an "
                                      "ONNX model (I/O, opsets, operators, which nodes Kiln supports)");
    cmd->add_option("file", a.plan, "Plan file written by kiln build, or an ONNX model (*.onnx)")
        ->type_name("PLAN|MODEL.onnx")
        ->required();
    cmd->add_flag("-n,--nodes", a.nodes, "ONNX model: list every node with its support, not only the unsupported");
    cmd->add_flag("-j,--json", a.json,
                  "Print the engine description as JSON (IEngineInspector::getEngineInformation)");
    cmd->add_flag("-v,--verbose", a.verbose, "Print the library's info and verbose messages");
    cmd->footer(
        "Examples:\n"
        "  kiln inspect mnist.plan\n"
        "  kiln inspect resnet50.plan --json > resnet50.json\n"
        "  kiln inspect model.onnx --nodes\n"
        "\n"
        "The layer table shows each step of the plan with its output type and shape and the chosen tactic.\n"
        "For a .onnx file: inputs and outputs (symbolic dims by name), opsets, the operator histogram and every\n"
        "node Kiln cannot import with the reason; the model is checked, never built.");
    return cmd;
}

int runInspect(const InspectArgs& a) {
    ConsoleLogger logger(a.verbose ? ILogger::Severity::kVERBOSE : ILogger::Severity::kWARNING);
    if (isOnnxFile(a.plan)) return inspectOnnx(a, logger);
    if (a.nodes) return reportFailure(logger, kCommand, "--nodes applies to ONNX models (*.onnx), not to plans");
    LoadedPlan plan;
    std::string error;
    if (!loadPlan(a.plan, logger, &plan, &error)) return reportFailure(logger, kCommand, error);
    std::unique_ptr<IEngineInspector> inspector(plan.engine->createEngineInspector());
    if (!inspector) return reportFailure(logger, kCommand, "cannot create an engine inspector");
    const char* text = inspector->getEngineInformation();
    if (!text) return reportFailure(logger, kCommand, "the engine gave no description");
    json info = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (info.is_discarded() || !info.is_object())
        return reportFailure(
            logger, kCommand,
            "the engine description is not a JSON object (library bug): " + std::string(text).substr(0, 200));
    if (a.json) {
        info["plan_file"] = a.plan;
        info["plan_bytes"] = plan.fileBytes;
        std::printf("%s\n", info.dump(2).c_str());
    } else {
        printHuman(info, a.plan, plan.fileBytes);
    }
    flushErrors(logger, kCommand);
    return 0;
}

}  // namespace kiln::tool
