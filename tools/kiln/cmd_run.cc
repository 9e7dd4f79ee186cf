// `kiln run`: loads a plan, binds inputs (from .npy files or seeded random data), runs it a number of
// times, prints a summary of every output and the timing, and optionally writes the outputs as .npy.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>

#include "commands.h"
#include "gpu_run.h"
#include "kiln/kiln.h"
#include "layer_profile.h"
#include "logger.h"
#include "npy.h"
#include "plan_file.h"
#include "random.h"
#include "tensor_util.h"

namespace kiln::tool {

namespace {

constexpr const char* kCommand = "run";

/// One I/O tensor of the engine and its host buffer (8-byte aligned, so every element type is aligned).
struct Binding {
    std::string name;
    bool isInput{false};
    DataType type{DataType::kFLOAT};
    Dims shape;
    std::vector<uint64_t> storage;
    std::string source;  // where an input's values come from
    void* data() { return storage.data(); }
    int64_t bytes() const { return storageBytes(type, volumeOf(shape)); }
    void allocate() { storage.assign(static_cast<size_t>((std::max<int64_t>(bytes(), 1) + 7) / 8), 0); }
};

/// Splits "NAME=VALUE" at the first '='.
bool splitAssignment(const std::string& text, const char* option, std::string* name, std::string* value,
                     std::string* error) {
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
        *error = std::string(option) + " '" + text +
                 "': expected NAME=" + (std::strcmp(option, "--shape") == 0 ? "1x3x224x224" : "FILE.npy");
        return false;
    }
    *name = text.substr(0, eq);
    *value = text.substr(eq + 1);
    return true;
}

std::string inputNames(const std::vector<Binding>& bindings) {
    std::string s;
    for (const Binding& b : bindings)
        if (b.isInput) s += (s.empty() ? "'" : ", '") + b.name + "'";
    return s.empty() ? "(none)" : s;
}

/// The input binding named `name`, or null with *error set.
Binding* findInput(std::vector<Binding>& bindings, const std::string& name, const char* option,
                   std::string* error) {
    for (Binding& b : bindings)
        if (b.name == name) {
            if (b.isInput) return &b;
            *error = std::string(option) + ": '" + name +
                     "' is an output of the plan, not an input; inputs: " + inputNames(bindings);
            return nullptr;
        }
    *error =
        std::string(option) + ": the plan has no input named '" + name + "'; inputs: " + inputNames(bindings);
    return nullptr;
}

/// True when `actual` fits `declared` (same rank, equal wherever declared is not -1).
bool shapeFits(const Dims& declared, const Dims& actual) {
    if (declared.nbDims != actual.nbDims) return false;
    for (int i = 0; i < declared.nbDims; ++i)
        if (declared.d[i] >= 0 && declared.d[i] != actual.d[i]) return false;
    return true;
}

bool sameShape(const Dims& a, const Dims& b) {
    return shapeFits(a, b) && volumeOf(a) >= 0 && volumeOf(b) >= 0;
}

/// A file name for a tensor name: characters other than [A-Za-z0-9._-] become '_'.
std::string fileNameFor(const std::string& tensor) {
    std::string s = tensor;
    for (char& c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
    if (s.empty() || s[0] == '.') s = "_" + s;
    return s + ".npy";
}

void printSummary(Binding& b, int32_t printValues) {
    const int64_t n = volumeOf(b.shape);
    std::printf("output '%s': %s %s\n", b.name.c_str(), dataTypeName(b.type), dimsText(b.shape).c_str());
    if (n <= 0) {
        std::printf("  (no elements)\n");
        return;
    }
    const bool isFloat =
        b.type == DataType::kFLOAT || b.type == DataType::kHALF || b.type == DataType::kBF16 ||
        b.type == DataType::kFP8 || b.type == DataType::kFP8_E5M2 || b.type == DataType::kFP8_E4M3FNUZ ||
        b.type == DataType::kFP8_E5M2FNUZ || b.type == DataType::kE8M0 || b.type == DataType::kFP4;
    std::string values;
    const int64_t shown = std::min<int64_t>(n, std::max(printValues, 0));
    for (int64_t i = 0; i < shown; ++i) {
        char buf[32];
        const double v = loadElement(b.type, b.data(), i);
        if (isFloat)
            std::snprintf(buf, sizeof buf, "%.6g", v);
        else
            std::snprintf(buf, sizeof buf, "%.0f", v);
        values += (i ? " " : "") + std::string(buf);
    }
    if (shown > 0) std::printf("  values: %s%s\n", values.c_str(), shown < n ? " ..." : "");
    double lo = INFINITY, hi = -INFINITY, sum = 0.0;
    int64_t nonFinite = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double v = loadElement(b.type, b.data(), i);
        if (!std::isfinite(v)) {
            ++nonFinite;
            continue;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        sum += v;
    }
    const int64_t finite = n - nonFinite;
    if (finite > 0) std::printf("  min %.6g  max %.6g  mean %.6g", lo, hi, sum / static_cast<double>(finite));
    if (nonFinite > 0)
        std::printf("%s%lld non-finite values (NaN/Inf)", finite > 0 ? "  " : "  ",
                    static_cast<long long>(nonFinite));
    std::printf("\n");
}

void printTiming(std::vector<double> ms, int32_t warmup) {
    std::sort(ms.begin(), ms.end());
    const size_t n = ms.size();
    const double median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
    double mean = 0.0;
    for (double t : ms) mean += t;
    mean /= static_cast<double>(n);
    std::printf(
        "timing: %zu iteration%s after %d warmup: min %.3f ms, median %.3f ms, mean %.3f ms, max %.3f ms; "
        "throughput %.2f inferences/s\n",
        n, n == 1 ? "" : "s", warmup, ms.front(), median, mean, ms.back(), mean > 0.0 ? 1000.0 / mean : 0.0);
}

}  // namespace

CLI::App* addRunCommand(CLI::App& app, RunArgs& a) {
    CLI::App* cmd = app.add_subcommand(
        "run", "Run a plan on given or random inputs, print and save its outputs, time it");
    cmd->add_option("plan", a.plan, "Plan file written by kiln build")->type_name("PLAN")->required();
    cmd->add_option("-i,--input", a.inputs,
                    "Input values from an .npy file, repeated for several inputs (NAME= may be left out "
                    "when the plan has one input). The dtype must be the input's, the shape must fit it")
        ->type_name("NAME=FILE.npy")
        ->allow_extra_args(false);
    cmd->add_option("-s,--shape", a.shapes,
                    "Shape of an input with dynamic (-1) dimensions, e.g. input=4x3x224x224")
        ->type_name("NAME=SHAPE")
        ->allow_extra_args(false);
    cmd->add_option("-O,--output-dir", a.outputDir,
                    "Write every output as DIR/<tensor name>.npy (created if missing)")
        ->type_name("DIR");
    cmd->add_option("-n,--iterations", a.iterations, "Timed runs")
        ->type_name("N")
        ->check(CLI::Range(1, 1000000).description(""))
        ->capture_default_str();
    cmd->add_option("-w,--warmup", a.warmup, "Untimed runs before the timed ones")
        ->type_name("N")
        ->check(CLI::Range(0, 1000000).description(""))
        ->capture_default_str();
    cmd->add_option("--seed", a.seed,
                    "Seed of the random inputs (floats uniform in [-1,1), integers in [0,10))")
        ->type_name("S")
        ->capture_default_str();
    cmd->add_option("--print-values", a.printValues, "How many leading values of each output to print")
        ->type_name("N")
        ->check(CLI::Range(0, 1000000).description(""))
        ->capture_default_str();
    cmd->add_flag("--cuda-graph", a.cudaGraph,
                  "GPU plans: capture one enqueueV3 into a CUDA graph and time its replays");
    cmd->add_option("--profile", a.profileRuns,
                    "After the timed runs, run N more with per-layer timing and print the time by op kind "
                    "and the slowest layers")
        ->type_name("N")
        ->check(CLI::Range(1, 10000).description(""));
    cmd->add_flag("-v,--verbose", a.verbose, "Print the library's info and verbose messages");
    cmd->footer(
        "Examples:\n"
        "  kiln run mnist.plan\n"
        "  kiln run mnist.plan --input input=digits.npy --output-dir out/\n"
        "  kiln run mnist.plan -i digits.npy -O out/      (one input: the name may be left out)\n"
        "  kiln run resnet50.plan --iterations 20 --warmup 3\n"
        "  kiln run mnist_dyn.plan --shape input=16x1x28x28\n"
        "\n"
        "Inputs not given with --input get seeded random values. bfloat16 / FP8 tensors are read\n"
        "and written as their raw bits (.npy uint16 / uint8), as numpy has no such dtypes.");
    return cmd;
}

int runRun(const RunArgs& a) {
    ConsoleLogger logger(a.verbose ? ILogger::Severity::kVERBOSE : ILogger::Severity::kWARNING);
    LoadedPlan plan;
    std::string error;
    if (!loadPlan(a.plan, logger, &plan, &error)) return reportFailure(logger, kCommand, error);
    ICudaEngine& engine = *plan.engine;

    std::vector<Binding> bindings(static_cast<size_t>(engine.getNbIOTensors()));
    for (int32_t i = 0; i < engine.getNbIOTensors(); ++i) {
        Binding& b = bindings[static_cast<size_t>(i)];
        b.name = engine.getIOTensorName(i);
        b.isInput = engine.getTensorIOMode(b.name.c_str()) == TensorIOMode::kINPUT;
        b.type = engine.getTensorDataType(b.name.c_str());
        b.shape = engine.getTensorShape(b.name.c_str());
    }

    std::map<std::string, Dims> shapes;
    for (const std::string& s : a.shapes) {
        std::string name, text;
        Dims d;
        if (!splitAssignment(s, "--shape", &name, &text, &error) ||
            !findInput(bindings, name, "--shape", &error))
            return reportFailure(logger, kCommand, error);
        if (!parseShape(text, &d, &error)) return reportFailure(logger, kCommand, "--shape " + error);
        shapes[name] = d;
    }
    std::map<std::string, std::string> files;
    const auto nbInputs =
        std::count_if(bindings.begin(), bindings.end(), [](const Binding& b) { return b.isInput; });
    for (const std::string& s : a.inputs) {
        std::string name, path;
        if (s.find('=') == std::string::npos && nbInputs == 1) {
            // A bare file feeds the only input.
            name = std::find_if(bindings.begin(), bindings.end(), [](const Binding& b) {
                       return b.isInput;
                   })->name;
            path = s;
        } else if (!splitAssignment(s, "--input", &name, &path, &error) ||
                   !findInput(bindings, name, "--input", &error)) {
            return reportFailure(logger, kCommand, error);
        }
        if (files.count(name))
            return reportFailure(logger, kCommand, "--input: input '" + name + "' is given twice");
        files[name] = path;
    }

    std::unique_ptr<IExecutionContext> context(engine.createExecutionContext());
    if (!context) return reportFailure(logger, kCommand, "cannot create an execution context");
    Random random(a.seed);
    for (Binding& b : bindings) {
        if (!b.isInput) continue;
        const Dims declared = b.shape;
        NpyArray array;
        const bool fromFile = files.count(b.name) > 0;
        if (fromFile) {
            const std::string& path = files[b.name];
            if (!readNpy(path, &array, &error)) return reportFailure(logger, kCommand, error);
            std::string note;
            const NpyDType wanted = npyTypeFor(b.type, &note);
            if (array.dtype != wanted)
                return reportFailure(logger, kCommand,
                                     "input '" + b.name + "' is " + dataTypeName(b.type) + " (.npy " +
                                         npyDescr(wanted) + ") but '" + path + "' holds " +
                                         npyTypeName(array.dtype) + " (" + npyDescr(array.dtype) + ")");
            Dims fileShape;
            fileShape.nbDims = static_cast<int32_t>(array.shape.size());
            for (size_t k = 0; k < array.shape.size(); ++k) fileShape.d[k] = array.shape[k];
            if (!shapeFits(declared, fileShape))
                return reportFailure(logger, kCommand,
                                     "input '" + b.name + "' expects shape " + dimsText(declared) + " but '" +
                                         path + "' has shape " + dimsText(fileShape));
            if (shapes.count(b.name) && !sameShape(shapes[b.name], fileShape))
                return reportFailure(logger, kCommand,
                                     "input '" + b.name + "': --shape " + dimsText(shapes[b.name]) +
                                         " disagrees with '" + path + "', which has shape " +
                                         dimsText(fileShape));
            b.shape = fileShape;
            b.source = "from " + path;
        } else if (shapes.count(b.name)) {
            if (!shapeFits(declared, shapes[b.name]))
                return reportFailure(logger, kCommand,
                                     "input '" + b.name + "' was built with shape " + dimsText(declared) +
                                         "; --shape " + dimsText(shapes[b.name]) +
                                         " does not fit it (only -1 dimensions may be chosen)");
            b.shape = shapes[b.name];
        }
        if (volumeOf(b.shape) < 0)
            return reportFailure(logger, kCommand,
                                 "input '" + b.name + "' has dynamic shape " + dimsText(b.shape) +
                                     "; give it with --shape " + b.name +
                                     "=<dims, e.g. 1x...> or an --input file");
        if (!context->setInputShape(b.name.c_str(), b.shape))
            return reportFailure(logger, kCommand,
                                 "cannot set the shape of input '" + b.name + "' to " + dimsText(b.shape));
        b.allocate();
        if (fromFile && packedBits(b.type) != 0) {
            if (!packElements(b.type, array.data, b.data(), &error))
                return reportFailure(logger, kCommand,
                                     "input '" + b.name + "' from '" + files[b.name] + "': " + error);
        } else if (fromFile) {
            std::memcpy(b.data(), array.data.data(), array.data.size());
        } else {
            fillRandom(b.type, b.data(), volumeOf(b.shape), random);
            b.source = "random (seed " + std::to_string(a.seed) + ")";
        }
        // Values read on the host when shapes are resolved (all inputs of a CPU plan, shape-tensor inputs
        // of a GPU plan) are bound now, before output shapes are asked for.
        if ((std::string(engine.getTarget()) == "cpu" ||
             engine.getTensorLocation(b.name.c_str()) == TensorLocation::kHOST) &&
            !context->setTensorAddress(b.name.c_str(), b.data()))
            return reportFailure(logger, kCommand, "cannot bind tensor '" + b.name + "'");
    }
    for (Binding& b : bindings) {
        if (b.isInput) continue;
        b.shape = context->getTensorShape(b.name.c_str());
        if (volumeOf(b.shape) < 0)
            return reportFailure(
                logger, kCommand,
                "cannot determine the shape of output '" + b.name + "' (got " + dimsText(b.shape) + ")");
        b.allocate();
    }
    if (std::string(engine.getTarget()) == "cpu")
        for (Binding& b : bindings)
            if (!context->setTensorAddress(b.name.c_str(), b.data()))
                return reportFailure(logger, kCommand, "cannot bind tensor '" + b.name + "'");

    // Before running, so that a bad directory fails fast.
    if (!a.outputDir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(a.outputDir, ec);
        if (ec || !std::filesystem::is_directory(a.outputDir))
            return reportFailure(logger, kCommand,
                                 "cannot create output directory '" + a.outputDir +
                                     "': " + (ec ? ec.message() : "not a directory"));
    }
    std::printf("plan %s: target %s, %zu I/O tensors\n", a.plan.c_str(), engine.getTarget(), bindings.size());
    for (Binding& b : bindings)
        if (b.isInput)
            std::printf("input  '%s': %s %s, %s\n", b.name.c_str(), dataTypeName(b.type),
                        dimsText(b.shape).c_str(), b.source.c_str());

    std::vector<double> ms;
    std::unique_ptr<LayerProfile> profile;
    if (a.profileRuns > 0) profile = std::make_unique<LayerProfile>(engine);
    if (std::string(engine.getTarget()) != "cpu") {
        // A GPU plan: device copies of the I/O, runs on a stream timed with CUDA events.
        std::vector<HostTensor> tensors;
        for (Binding& b : bindings)
            tensors.push_back({b.name, b.data(), b.bytes(), b.isInput,
                               engine.getTensorLocation(b.name.c_str()) == TensorLocation::kHOST});
        GpuRunOptions options{a.warmup, a.iterations, a.cudaGraph, profile.get(), a.profileRuns};
        if (!runOnGpu(*context, tensors, options, &ms, &error)) return reportFailure(logger, kCommand, error);
    } else {
        if (a.cudaGraph) return reportFailure(logger, kCommand, "--cuda-graph applies to GPU plans; this plan is for the CPU");
        for (int32_t i = 0; i < a.warmup + a.iterations; ++i) {
            const auto start = std::chrono::steady_clock::now();
            if (!context->enqueueV3(nullptr))
                return reportFailure(logger, kCommand, "inference failed (run " + std::to_string(i + 1) + ")");
            const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
            if (i >= a.warmup) ms.push_back(elapsed.count());
        }
        if (profile) {
            context->setProfiler(profile.get());
            for (int32_t i = 0; i < a.profileRuns; ++i)
                if (!context->enqueueV3(nullptr)) return reportFailure(logger, kCommand, "inference failed (profiled run)");
            context->setProfiler(nullptr);
        }
    }

    for (Binding& b : bindings) {
        if (b.isInput) continue;
        printSummary(b, a.printValues);
        if (a.outputDir.empty()) continue;
        NpyArray out;
        std::string note;
        out.dtype = npyTypeFor(b.type, &note);
        for (int k = 0; k < b.shape.nbDims; ++k) out.shape.push_back(b.shape.d[k]);
        const auto* bytes = reinterpret_cast<const uint8_t*>(b.storage.data());
        if (packedBits(b.type) != 0)
            out.data = unpackElements(b.type, bytes, volumeOf(b.shape));
        else
            out.data.assign(bytes, bytes + b.bytes());
        const std::string path = (std::filesystem::path(a.outputDir) / fileNameFor(b.name)).string();
        if (!writeNpy(path, out, &error)) return reportFailure(logger, kCommand, error);
        std::printf("  wrote %s%s%s\n", path.c_str(), note.empty() ? "" : "; note: ", note.c_str());
    }
    printTiming(ms, a.warmup);
    if (profile) profile->print(25);
    flushErrors(logger, kCommand);
    return 0;
}

}  // namespace kiln::tool
