// `kiln build`: defines a network (an ONNX file through the ONNX parser, or a network of the built-in
// zoo), applies the builder flags and writes the serialized plan, and with --timing-cache reads and
// rewrites the builder's timing cache.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "commands.h"
#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"
#include "logger.h"
#include "model_zoo.h"
#include "plan_file.h"

namespace kiln::tool {

namespace {

constexpr const char* kCommand = "build";

void listNetworks() {
    std::printf("Built-in networks (kiln build --network NAME):\n");
    for (const ZooNetwork& n : zooNetworks())
        std::printf("  %-13s input '%s' [N,%lld,%lld,%lld], output '%s'\n  %-13s %s\n", n.name, n.inputName,
                    static_cast<long long>(n.channels), static_cast<long long>(n.defaultImageSize),
                    static_cast<long long>(n.defaultImageSize), n.outputName, "", n.summary);
}

void warn(const std::string& message) { std::fprintf(stderr, "kiln %s: warning: %s\n", kCommand, message.c_str()); }

/// The timing cache in `path`, or an empty one when there is no such file; a file that cannot be read or
/// is no intact timing cache is reported and replaced by an empty cache (the build then rewrites it).
std::unique_ptr<ITimingCache> loadTimingCache(const std::string& path, IBuilderConfig& config, ConsoleLogger& logger) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        std::vector<uint8_t> bytes;
        std::string error;
        if (!readFileBytes(path, &bytes, &error)) {
            warn(error + "; the timing cache is ignored and will be rewritten");
        } else {
            std::unique_ptr<ITimingCache> cache(config.createTimingCache(bytes.data(), bytes.size()));
            if (cache) return cache;
            std::string why;
            for (const std::string& e : logger.takeErrors()) why += (why.empty() ? "" : "; ") + e;
            warn("timing cache '" + path + "' cannot be used (" + why + "); it is ignored and will be rewritten");
        }
    }
    return std::unique_ptr<ITimingCache>(config.createTimingCache(nullptr, 0));
}

}  // namespace

CLI::App* addBuildCommand(CLI::App& app, BuildArgs& a) {
    CLI::App* cmd =
        app.add_subcommand("build", "Build an optimized plan from a network and write it to a file");
    cmd->add_option("model", a.modelFile, "ONNX model file to import (opset 9-24; external data next to it)")
        ->type_name("MODEL");
    cmd->add_option("-n,--network", a.network, "Build this network of the built-in zoo (see --list-networks)")
        ->type_name("NAME");
    cmd->add_option("-o,--output", a.output, "Where to write the plan")->type_name("PLAN");
    cmd->add_flag("--list-networks", a.listNetworks, "List the built-in networks and exit");
    auto* zoo = cmd->add_option_group("Network", "Options of the built-in networks");
    zoo->add_option("-b,--batch", a.batch,
                    "Batch size of the input; -1 makes it dynamic (chosen with kiln run --shape)")
        ->type_name("N")
        ->capture_default_str();
    zoo->add_option("--image-size", a.imageSize,
                    "Input height and width (default: the network's own, e.g. 224)")
        ->type_name("N");
    zoo->add_option("--seed", a.seed, "Seed of the deterministic He-initialised random weights")
        ->type_name("S")
        ->capture_default_str();
    zoo->add_option("--save-weights", a.saveWeights,
                    "Also write every weight tensor as DIR/<layer>.weight.npy etc. (float32; batch norms as "
                    ".scale/.shift; "
                    "fc weights as [in, out])")
        ->type_name("DIR");
    auto* build = cmd->add_option_group("Builder", "Options of the builder (IBuilderConfig)");
    build
        ->add_option("-d,--device", a.device,
                     "Target device: cpu or cuda:N (default: the library's default, cpu)")
        ->type_name("DEVICE");
    build->add_flag("--fp16", a.fp16, "Allow FP16 kernels (BuilderFlag::kFP16)");
    build->add_flag("--bf16", a.bf16, "Allow BF16 kernels (BuilderFlag::kBF16)");
    build->add_flag("--int8", a.int8, "Allow INT8 kernels (BuilderFlag::kINT8)");
    build->add_flag("--fp8", a.fp8, "Allow FP8 kernels (BuilderFlag::kFP8)");
    build->add_flag("--tf32,!--no-tf32", a.tf32,
                    "Allow (default) or forbid TF32 math for FP32 layers (BuilderFlag::kTF32)");
    build->add_flag("--deterministic", a.deterministic,
                    "Choose tactics without timing noise (BuilderFlag::kDETERMINISTIC)");
    build
        ->add_option("--workspace", a.workspaceMiB,
                     "Scratch memory limit for kernels, in MiB (MemoryPoolType::kWORKSPACE)")
        ->type_name("MiB")
        ->check(CLI::Range(0.0, 1048576.0).description(""));
    build
        ->add_option("--opt-level", a.optLevel, "Builder optimization level, 0 (fast build) to 5 (default 3)")
        ->type_name("0-5")
        ->check(CLI::Range(0, 5).description(""));
    build
        ->add_option("--timing-cache", a.timingCache,
                     "Reuse the tactic timings in FILE (if it exists) and write them back, with the new ones, "
                     "after the build (ITimingCache; trtexec --timingCacheFile)")
        ->type_name("FILE");
    cmd->add_flag("-v,--verbose", a.verbose, "Print the library's info and verbose messages");
    cmd->footer(
        "Examples:\n"
        "  kiln build --network mnist -o mnist.plan\n"
        "  kiln build --network resnet50 --batch 8 --seed 7 -o resnet50_b8.plan\n"
        "  kiln build --network mnist --batch -1 -o mnist_dyn.plan\n"
        "      (a dynamic batch: kiln run mnist_dyn.plan --shape input=4x1x28x28)\n"
        "  kiln build --network resnet18 --image-size 96 --save-weights r18_weights/ -o r18.plan\n"
        "  kiln build model.onnx --device cuda:0 --fp16 --timing-cache model.cache -o model.plan\n"
        "  kiln build --list-networks\n"
        "\n"
        "Weights are random (He initialisation) and depend only on --seed, so plans are reproducible.\n"
        "Errors from the library (unsupported flags, bad targets) are printed and the exit code is 1.");
    return cmd;
}

int runBuild(const BuildArgs& a) {
    ConsoleLogger logger(a.verbose ? ILogger::Severity::kVERBOSE : ILogger::Severity::kWARNING);
    if (a.listNetworks) {
        listNetworks();
        return 0;
    }
    const bool fromOnnx = !a.modelFile.empty();
    if (fromOnnx && !a.network.empty())
        return reportFailure(logger, kCommand, "give either a model file or --network, not both");
    if (!fromOnnx && a.network.empty())
        return reportFailure(logger, kCommand, "nothing to build: give MODEL.onnx or --network NAME (one of: " +
                                                   zooNetworkNames() + ")");
    if (a.output.empty()) return reportFailure(logger, kCommand, "no output file: give -o PLAN");
    if (!fromOnnx && !findZooNetwork(a.network))
        return reportFailure(logger, kCommand,
                             "unknown network '" + a.network + "'; available: " + zooNetworkNames());

    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    if (!builder) return reportFailure(logger, kCommand, "cannot create a builder");
    std::unique_ptr<INetworkDefinition> network(builder->createNetworkV2(0));
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    if (!network || !config)
        return reportFailure(logger, kCommand, "cannot create a network or builder config");

    // The weights must outlive buildSerializedNetwork.
    WeightStore weights;
    ZooOptions zoo;
    zoo.batch = a.batch;
    zoo.imageSize = a.imageSize;
    zoo.seed = a.seed;
    std::string error;
    std::unique_ptr<IParser> parser;
    if (fromOnnx) {
        parser.reset(createParser(*network, logger));
        if (!parser) return reportFailure(logger, kCommand, "cannot create the ONNX parser");
        // The parser keeps the weights it imported alive until it is destroyed, after the build.
        if (!parser->parseFromFile(a.modelFile.c_str(), static_cast<int32_t>(a.verbose ? ILogger::Severity::kINFO
                                                                                          : ILogger::Severity::kWARNING))) {
            // One line, like every failure of the tool: each problem names its node and operator.
            std::string problems;
            for (int32_t i = 0; i < parser->getNbErrors(); ++i) {
                const IParserError* e = parser->getError(i);
                problems += (i ? "; " : "");
                if (e->node() >= 0)
                    problems += "node " + std::to_string(e->node()) + " '" + e->nodeName() + "' (" + e->nodeOperator() + "): ";
                problems += e->desc();
            }
            (void)logger.takeErrors();  // the same problems, as the parser logged them
            return reportFailure(logger, kCommand, "cannot import '" + a.modelFile + "': " + problems);
        }
    } else if (!defineZooNetwork(a.network, zoo, *network, weights, &error)) {
        return reportFailure(logger, kCommand, error);
    }
    if (!a.saveWeights.empty() && !weights.save(a.saveWeights, &error))
        return reportFailure(logger, kCommand, error);

    if (!a.device.empty() && !config->setTargetDevice(a.device.c_str()))
        return reportFailure(logger, kCommand, "--device '" + a.device + "'");
    const struct {
        bool on;
        BuilderFlag flag;
    } flags[] = {{a.fp16, BuilderFlag::kFP16},
                 {a.bf16, BuilderFlag::kBF16},
                 {a.int8, BuilderFlag::kINT8},
                 {a.fp8, BuilderFlag::kFP8},
                 {a.deterministic, BuilderFlag::kDETERMINISTIC}};
    for (const auto& f : flags)
        if (f.on) config->setFlag(f.flag);
    if (a.tf32)
        config->setFlag(BuilderFlag::kTF32);
    else
        config->clearFlag(BuilderFlag::kTF32);
    if (a.workspaceMiB >= 0)
        config->setMemoryPoolLimit(MemoryPoolType::kWORKSPACE,
                                   static_cast<std::size_t>(a.workspaceMiB * 1024.0 * 1024.0));
    if (a.optLevel >= 0) config->setBuilderOptimizationLevel(a.optLevel);
    // After the target: attaching checks the cache against the target's GPU and libraries.
    std::unique_ptr<ITimingCache> timingCache;
    int64_t cachedEntries = 0;
    if (!a.timingCache.empty()) {
        timingCache = loadTimingCache(a.timingCache, *config, logger);
        if (!timingCache) return reportFailure(logger, kCommand, "cannot create a timing cache");
        if (!config->setTimingCache(*timingCache, /*ignoreMismatch=*/false)) {
            std::string why;
            for (const std::string& e : logger.takeErrors()) why += (why.empty() ? "" : "; ") + e;
            warn("timing cache '" + a.timingCache + "' does not fit this build (" + why +
                 "); it is ignored and will be rewritten");
            timingCache.reset(config->createTimingCache(nullptr, 0));
            if (!timingCache || !config->setTimingCache(*timingCache, false))
                return reportFailure(logger, kCommand, "cannot attach an empty timing cache");
        }
        cachedEntries = timingCache->getNbEntries();
    }
    // Setters report bad values through the logger without failing; stop before building with them.
    if (logger.hasErrors())
        return reportFailure(logger, kCommand, "the network or the builder settings were rejected");

    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    const std::string target = config->getTargetDevice();
    const std::string what = fromOnnx ? a.modelFile : a.network;
    if (!plan) return reportFailure(logger, kCommand, "building " + what + " for " + target + " failed");
    if (!writeFileBytes(a.output, plan->data(), plan->size(), &error))
        return reportFailure(logger, kCommand, error);
    std::string cacheSummary;
    if (timingCache) {
        std::unique_ptr<IHostMemory> bytes(timingCache->serialize());
        if (!bytes) return reportFailure(logger, kCommand, "serializing the timing cache failed");
        // writeFileBytes renames a finished temporary file into place: a failed write keeps the old cache.
        if (!writeFileBytes(a.timingCache, bytes->data(), bytes->size(), &error))
            return reportFailure(logger, kCommand, error);
        const int64_t entries = timingCache->getNbEntries();
        cacheSummary = "Wrote timing cache " + a.timingCache + ": " + std::to_string(entries) + " entries (" +
                       std::to_string(entries - cachedEntries) + " new)\n";
    }

    if (fromOnnx) {
        std::printf("Built %s (opset %lld) for %s in %.2f s: %d layers\n", a.modelFile.c_str(),
                    static_cast<long long>(parser->getUsedOpsetVersion("")), target.c_str(), seconds.count(),
                    network->getNbLayers());
        std::printf("Wrote %s (%s)\n%s", a.output.c_str(), byteSize(static_cast<int64_t>(plan->size())).c_str(),
                    cacheSummary.c_str());
        flushErrors(logger, kCommand);
        return 0;
    }
    const std::string batch = a.batch < 0 ? "dynamic" : std::to_string(a.batch);
    std::printf("Built %s (batch %s, seed %llu, %lld parameters) for %s in %.2f s: %d layers defined\n",
                a.network.c_str(), batch.c_str(), static_cast<unsigned long long>(a.seed),
                static_cast<long long>(weights.parameterCount()), target.c_str(), seconds.count(),
                network->getNbLayers());
    std::printf("Wrote %s (%s)\n%s", a.output.c_str(), byteSize(static_cast<int64_t>(plan->size())).c_str(),
                cacheSummary.c_str());
    flushErrors(logger, kCommand);
    return 0;
}

}  // namespace kiln::tool
