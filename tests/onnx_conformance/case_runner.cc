// Runs one conformance case through the public API only: IParser::parse -> IBuilder (target cpu) ->
// IRuntime -> IExecutionContext, then compares outputs. A parse that fails only with "unsupported" error
// codes makes the case UNSUPPORTED (listing each node's op and reason); any other failure is a FAIL that
// says at which stage and why.
#include "case_runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"
#include "tensor_io.h"

namespace kiln::conformance {
namespace {

namespace fs = std::filesystem;

// Keeps error messages (for the FAIL reason) and, when verbose, echoes everything to stderr.
class CaseLogger : public ILogger {
public:
    explicit CaseLogger(bool verbose) : mVerbose(verbose) {}
    void log(Severity severity, const char* msg) noexcept override {
        std::lock_guard<std::mutex> lock(mMutex);
        if (mVerbose) std::fprintf(stderr, "[kiln %d] %s\n", static_cast<int>(severity), msg);
        if (severity <= Severity::kERROR) mErrors.emplace_back(msg);
    }
    std::string errors() {
        std::lock_guard<std::mutex> lock(mMutex);
        std::string s;
        for (const auto& e : mErrors) s += (s.empty() ? "" : " | ") + e;
        return s.empty() ? "(no error message logged)" : s;
    }

private:
    std::mutex mMutex;
    bool mVerbose;
    std::vector<std::string> mErrors;
};

template <typename T>
struct Deleter {
    void operator()(T* p) const { delete p; }
};
template <typename T>
using Ptr = std::unique_ptr<T, Deleter<T>>;

CaseResult fail(std::string reason) { return CaseResult{Outcome::kFail, std::move(reason), 0}; }

bool isUnsupportedCode(ParserErrorCode code) {
    switch (code) {
        case ParserErrorCode::kUNSUPPORTED_GRAPH:
        case ParserErrorCode::kUNSUPPORTED_NODE:
        case ParserErrorCode::kUNSUPPORTED_NODE_ATTR:
        case ParserErrorCode::kUNSUPPORTED_NODE_INPUT:
        case ParserErrorCode::kUNSUPPORTED_NODE_DATATYPE:
        case ParserErrorCode::kUNSUPPORTED_NODE_DYNAMIC:
        case ParserErrorCode::kUNSUPPORTED_NODE_SHAPE:
            return true;
        case ParserErrorCode::kSUCCESS:
        case ParserErrorCode::kINTERNAL_ERROR:
        case ParserErrorCode::kMEM_ALLOC_FAILED:
        case ParserErrorCode::kMODEL_DESERIALIZE_FAILED:
        case ParserErrorCode::kINVALID_VALUE:
        case ParserErrorCode::kINVALID_GRAPH:
        case ParserErrorCode::kINVALID_NODE:
        case ParserErrorCode::kREFIT_FAILED:
            return false;
    }
    return false;
}

// "Op 'node': CODE: reason" for every parser error; `unsupportedOnly` says whether all were "unsupported".
std::string parserErrors(const IParser& parser, bool* unsupportedOnly) {
    *unsupportedOnly = parser.getNbErrors() > 0;
    std::string s;
    for (int32_t k = 0; k < parser.getNbErrors(); ++k) {
        const IParserError* e = parser.getError(k);
        if (!e) continue;
        *unsupportedOnly = *unsupportedOnly && isUnsupportedCode(e->code());
        std::string where = e->nodeOperator();
        if (where.empty()) where = "(model)";
        s += (k ? "; " : "") + where + ": " + parserErrorCodeName(e->code()) + ": " + e->desc();
    }
    return s;
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Binding {
    std::string name;
    bool isInput{false};
    DataType type{DataType::kFLOAT};
    std::vector<uint8_t> bytes;
};

// Runs data set `n`; returns an empty string on success, else the reason. `note` collects per-output
// error measures for the PASS line in --rel-l2 mode.
std::string runDataSet(const CaseSpec& spec, const fs::path& dir, int32_t n, ICudaEngine& engine,
                       IExecutionContext& context, CaseLogger& logger, const RunOptions& options,
                       std::string* note) {
    const fs::path ds = dir / ("test_data_set_" + std::to_string(n));
    const std::string where = spec.dataSets > 1 ? "data set " + std::to_string(n) + ": " : "";
    std::string error;
    std::map<std::string, size_t> inputIndex;
    for (size_t k = 0; k < spec.inputs.size(); ++k) inputIndex[spec.inputs[k].name] = k;

    std::vector<Binding> bindings;
    for (int32_t k = 0; k < engine.getNbIOTensors(); ++k) {
        Binding b;
        b.name = engine.getIOTensorName(k);
        b.isInput = engine.getTensorIOMode(b.name.c_str()) == TensorIOMode::kINPUT;
        b.type = engine.getTensorDataType(b.name.c_str());
        bindings.push_back(std::move(b));
    }
    for (Binding& b : bindings) {
        if (!b.isInput) continue;
        auto it = inputIndex.find(b.name);
        if (it == inputIndex.end())
            return where + "engine input '" + b.name + "' is not an input of the ONNX graph";
        HostArray value;
        if (!readTensorFile((ds / ("input_" + std::to_string(it->second) + ".pb")).string(), &value, &error))
            return where + error;
        value.name = b.name;
        DataType expected;
        if (kilnTypeFor(value.onnxType, &expected) && expected != b.type)
            return where + "input '" + b.name + "' is ONNX " + onnxTypeName(value.onnxType) + " (Kiln " +
                   dataTypeName(expected) + ") but the engine input is " + dataTypeName(b.type);
        if (!encodeValues(value, b.type, &b.bytes, &error)) return where + error;
        Dims shape;
        shape.nbDims = static_cast<int32_t>(value.dims.size());
        for (size_t d = 0; d < value.dims.size(); ++d) shape.d[d] = value.dims[d];
        if (!context.setInputShape(b.name.c_str(), shape))
            return where + "setInputShape('" + b.name + "', " + dimsText(value.dims) + ") failed (engine shape " +
                   dimsText(engine.getTensorShape(b.name.c_str())) + "): " + logger.errors();
        if (b.bytes.empty()) b.bytes.resize(1);  // a zero-volume tensor still gets a valid address
        if (!context.setTensorAddress(b.name.c_str(), b.bytes.data()))
            return where + "setTensorAddress('" + b.name + "') failed: " + logger.errors();
    }

    std::vector<HostArray> expected(spec.outputs.size());
    for (size_t k = 0; k < spec.outputs.size(); ++k) {
        if (!readTensorFile((ds / ("output_" + std::to_string(k) + ".pb")).string(), &expected[k], &error))
            return where + error;
        expected[k].name = spec.outputs[k].name;
    }
    std::map<std::string, Dims> outShapes;
    for (Binding& b : bindings) {
        if (b.isInput) continue;
        const Dims shape = context.getTensorShape(b.name.c_str());
        int64_t volume = 1;
        for (int32_t d = 0; d < shape.nbDims; ++d) volume *= shape.d[d];
        if (shape.nbDims < 0 || volume < 0)
            return where + "cannot resolve the shape of output '" + b.name + "' (got " + dimsText(shape) +
                   "): " + logger.errors();
        outShapes[b.name] = shape;
        b.bytes.assign(static_cast<size_t>(std::max<int64_t>(storageBytes(b.type, volume), 1)), 0);
        if (!context.setTensorAddress(b.name.c_str(), b.bytes.data()))
            return where + "setTensorAddress('" + b.name + "') failed: " + logger.errors();
    }
    if (!context.enqueueV3(nullptr)) return where + "enqueueV3 failed: " + logger.errors();

    for (size_t k = 0; k < spec.outputs.size(); ++k) {
        const HostArray& want = expected[k];
        const std::string& name = spec.outputs[k].name;
        auto b = std::find_if(bindings.begin(), bindings.end(),
                              [&](const Binding& x) { return !x.isInput && x.name == name; });
        if (b == bindings.end()) return where + "output '" + name + "' is not an output of the engine";
        DataType kilnType;
        if (!kilnTypeFor(want.onnxType, &kilnType))
            return where + "output '" + name + "' is ONNX " + onnxTypeName(want.onnxType) +
                   ", which Kiln has no type for, yet the parser accepted the model";
        if (kilnType != b->type)
            return where + "output '" + name + "' is " + dataTypeName(b->type) + "; expected " +
                   dataTypeName(kilnType) + " (ONNX " + onnxTypeName(want.onnxType) + ")";
        const Dims& shape = outShapes[name];
        if (shape.nbDims != static_cast<int32_t>(want.dims.size()) ||
            !std::equal(want.dims.begin(), want.dims.end(), shape.d))
            return where + "output '" + name + "' has shape " + dimsText(shape) + "; expected " +
                   dimsText(want.dims);
        HostArray got;
        decodeValues(b->bytes.data(), b->type, want.volume(), &got);
        double rtol = options.rtol >= 0 ? options.rtol : spec.rtol;
        // As onnx's backend test runner: bfloat16 outputs get at least two bfloat16 ULPs of relative error.
        if (want.onnxType == kOnnxBfloat16) rtol = std::max(rtol, 1.0 / 64);
        const Comparison c = options.relL2 > 0
                                 ? compareRelL2(got, want, options.relL2)
                                 : compareAllClose(got, want, rtol, options.atol >= 0 ? options.atol : spec.atol);
        if (!c.ok) return where + "output '" + name + "' " + dataTypeName(b->type) + dimsText(want.dims) + ": " + c.detail;
        if (options.relL2 > 0 && want.isFloat) *note += (note->empty() ? "" : "; ") + name + ": " + c.detail;
    }
    return "";
}

CaseResult runCaseImpl(const std::string& dirText, const RunOptions& options) {
    const fs::path dir(dirText);
    CaseSpec spec;
    std::string error;
    if (!readCaseSpec(dirText, &spec, &error)) return fail(error);
    const fs::path modelPath = dir / "model.onnx";
    const std::string model = readFile(modelPath);
    if (model.empty()) return fail("cannot read " + modelPath.string());

    CaseLogger logger(options.verbose);
    Ptr<IBuilder> builder(createInferBuilder(logger));
    if (!builder) return fail("createInferBuilder failed: " + logger.errors());
    Ptr<INetworkDefinition> network(builder->createNetworkV2(0));
    if (!network) return fail("createNetworkV2 failed: " + logger.errors());
    Ptr<IParser> parser(createParser(*network, logger));
    if (!parser) return fail("createParser failed: " + logger.errors());
    const std::string modelPathText = modelPath.string();
    const bool parsed = parser->parse(model.data(), model.size(), modelPathText.c_str());
    bool unsupportedOnly = false;
    const std::string errors = parserErrors(*parser, &unsupportedOnly);
    if (!parsed) {
        if (unsupportedOnly) return CaseResult{Outcome::kUnsupported, errors, 0};
        return fail("parse: " + (errors.empty() ? "parse() returned false with no error listed" : errors));
    }
    if (parser->getNbErrors() > 0) return fail("parse() returned true but listed errors: " + errors);
    // Kiln has no sequences, optionals or maps: a parser that accepts such a graph has missed it.
    for (const auto* list : {&spec.inputs, &spec.outputs})
        for (const CaseSpec::Io& io : *list)
            if (io.kind != "tensor")
                return fail("the parser accepted the model, but graph " +
                            std::string(list == &spec.inputs ? "input" : "output") + " '" + io.name + "' is a " +
                            io.kind + ", which Kiln cannot represent");

    Ptr<IBuilderConfig> config(builder->createBuilderConfig());
    if (!config || !config->setTargetDevice("cpu")) return fail("cannot configure a cpu build: " + logger.errors());
    Ptr<IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
    if (!plan) return fail("build: " + logger.errors());
    Ptr<IRuntime> runtime(createInferRuntime(logger));
    Ptr<ICudaEngine> engine(runtime ? runtime->deserializeCudaEngine(plan->data(), plan->size()) : nullptr);
    if (!engine) return fail("deserialize: " + logger.errors());

    std::string note;
    for (int32_t n = 0; n < spec.dataSets; ++n) {
        // A fresh context per data set, as shapes may differ between data sets.
        Ptr<IExecutionContext> context(engine->createExecutionContext());
        if (!context) return fail("createExecutionContext: " + logger.errors());
        const std::string why = runDataSet(spec, dir, n, *engine, *context, logger, options, &note);
        if (!why.empty()) return fail(why);
    }
    if (spec.dataSets == 0) return fail("the case has no data sets to compare");
    return CaseResult{Outcome::kPass, note, 0};
}

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\r");
    const size_t e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

const char* outcomeName(Outcome outcome) {
    switch (outcome) {
        case Outcome::kPass: return "PASS";
        case Outcome::kFail: return "FAIL";
        case Outcome::kUnsupported: return "UNSUPPORTED";
    }
    return "?";
}

bool readCaseSpec(const std::string& dir, CaseSpec* spec, std::string* error) {
    const fs::path path = fs::path(dir) / "case.txt";
    std::ifstream in(path);
    if (!in) {
        *error = "cannot open " + path.string() + " (write cases with scripts/onnx/dump_node_tests.py)";
        return false;
    }
    *spec = CaseSpec{};
    spec->name = fs::path(dir).filename().string();
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        std::istringstream words(line);
        std::string key;
        words >> key;
        std::string rest;
        std::getline(words, rest);
        rest = trim(rest);
        try {
            if (key == "name") spec->name = rest;
            else if (key == "op") spec->op = rest;
            else if (key == "opset") spec->opset = std::stoll(rest);
            else if (key == "rtol") spec->rtol = std::stod(rest);
            else if (key == "atol") spec->atol = std::stod(rest);
            else if (key == "data_sets") spec->dataSets = std::stoi(rest);
            else if (key == "graph_ops") {
                std::istringstream ops(rest);
                for (std::string op; std::getline(ops, op, ',');)
                    if (!op.empty()) spec->graphOps.push_back(op);
            } else if (key == "input" || key == "output") {
                std::istringstream io(rest);
                size_t index = 0;
                CaseSpec::Io entry;
                io >> index >> entry.kind;
                std::getline(io, entry.name);
                entry.name = trim(entry.name);
                auto& list = key == "input" ? spec->inputs : spec->outputs;
                if (index != list.size() || entry.kind.empty()) throw std::invalid_argument("bad I/O line");
                list.push_back(entry);
            }  // other keys are for people and scripts
        } catch (const std::exception&) {
            *error = path.string() + ":" + std::to_string(lineNo) + ": cannot read '" + line + "'";
            return false;
        }
    }
    if (spec->op.empty()) spec->op = "(unknown)";
    return true;
}

CaseResult runCase(const std::string& dir, const RunOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    CaseResult r;
    try {
        r = runCaseImpl(dir, options);
    } catch (const std::exception& e) {
        r = fail(std::string("exception escaped: ") + e.what());
    }
    r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::replace(r.reason.begin(), r.reason.end(), '\n', ' ');
    std::replace(r.reason.begin(), r.reason.end(), '\t', ' ');
    return r;
}

}  // namespace kiln::conformance
