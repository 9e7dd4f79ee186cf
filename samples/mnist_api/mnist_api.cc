// sample_mnist_api: Kiln's counterpart of TensorRT's sampleMNISTAPI. It defines a LeNet-style CNN layer by
// layer with the public API (scale, convolution, pooling, shuffle, matrix multiply, element-wise,
// activation, softmax), with weights that go through a file: generated (deterministic He
// initialisation), written to a weights file, read back, and only the read-back values define the network.
// It builds a plan in memory, deserializes it, runs a batch of synthetic digits and checks both outputs
// (logits and probabilities) against a double-precision computation written here with plain loops.
// Exit code 0 when the engine matches the reference within 1e-4, 1 otherwise.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "kiln/kiln.h"
#include "mnist_reference.h"
#include "synthetic_digits.h"
#include "weights_file.h"

namespace {

using namespace kiln;
using sample::WeightMap;
using sample::WeightTensor;

/// Float32 accumulation over at most 800 products of O(1) terms, against double: errors stay near 1e-5.
constexpr double kTolerance = 1e-4;
constexpr int kClasses = 10;

class SampleLogger final : public ILogger {
public:
    void log(Severity severity, const char* msg) noexcept override {
        if (severity <= Severity::kWARNING)
            std::fprintf(stderr, "[kiln %s] %s\n", severity <= Severity::kERROR ? "error" : "warning", msg);
    }
};

/// SplitMix64 + Box-Muller: the same weights on every platform (std::normal_distribution is not portable).
class Random {
public:
    explicit Random(uint64_t seed) : mState(seed) {}
    double uniform() {
        uint64_t z = (mState += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
    }
    double normal() {
        double u1 = 0.0;
        while (u1 <= 0.0) u1 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * uniform());
    }

private:
    uint64_t mState;
};

/// He-normal weights, PyTorch-default uniform biases, in PyTorch's layouts ([out, in, k, k], [out, in]).
WeightMap generateWeights(uint64_t seed) {
    Random r(seed);
    WeightMap w;
    auto layer = [&](const std::string& name, std::vector<int64_t> dims) {
        int64_t count = 1, fanIn = 1;
        for (size_t i = 0; i < dims.size(); ++i) {
            count *= dims[i];
            if (i > 0) fanIn *= dims[i];
        }
        WeightTensor k{dims, {}}, b{{dims[0]}, {}};
        const double std = std::sqrt(2.0 / static_cast<double>(fanIn)),
                     bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
        for (int64_t i = 0; i < count; ++i) k.values.push_back(static_cast<float>(std * r.normal()));
        for (int64_t i = 0; i < dims[0]; ++i)
            b.values.push_back(static_cast<float>(bound * (2.0 * r.uniform() - 1.0)));
        w[name + ".weight"] = std::move(k);
        w[name + ".bias"] = std::move(b);
    };
    layer("conv1", {20, 1, 5, 5});
    layer("conv2", {50, 20, 5, 5});
    layer("ip1", {500, 800});
    layer("ip2", {kClasses, 500});
    return w;
}

Weights weightsOf(const WeightTensor& t) {
    return Weights{DataType::kFLOAT, t.values.data(), static_cast<int64_t>(t.values.size())};
}

/// Fully connected layer: x [N, K] times W^T (W stored [M, K]) plus a [1, M] bias.
ITensor* fullyConnected(INetworkDefinition& net, ITensor& x, const WeightTensor& w, const WeightTensor& b,
                        const char* name) {
    IConstantLayer* wc = net.addConstant(Dims2{w.dims[0], w.dims[1]}, weightsOf(w));
    IConstantLayer* bc = net.addConstant(Dims2{1, b.dims[0]}, weightsOf(b));
    if (!wc || !bc) return nullptr;
    IMatrixMultiplyLayer* mm =
        net.addMatrixMultiply(x, MatrixOperation::kNONE, *wc->getOutput(0), MatrixOperation::kTRANSPOSE);
    if (!mm) return nullptr;
    mm->setName(name);
    IElementWiseLayer* add =
        net.addElementWise(*mm->getOutput(0), *bc->getOutput(0), ElementWiseOperation::kSUM);
    if (!add) return nullptr;
    add->setName((std::string(name) + ".bias").c_str());
    return add->getOutput(0);
}

ITensor* convPool(INetworkDefinition& net, ITensor& x, const WeightMap& w, const std::string& name) {
    const WeightTensor& k = w.at(name + ".weight");
    IConvolutionLayer* conv = net.addConvolutionNd(x, k.dims[0], DimsHW{k.dims[2], k.dims[3]}, weightsOf(k),
                                                   weightsOf(w.at(name + ".bias")));
    if (!conv) return nullptr;
    conv->setName(name.c_str());
    conv->setStrideNd(DimsHW{1, 1});
    IPoolingLayer* pool = net.addPoolingNd(*conv->getOutput(0), PoolingType::kMAX, DimsHW{2, 2});
    if (!pool) return nullptr;
    pool->setName((name + ".pool").c_str());
    pool->setStrideNd(DimsHW{2, 2});
    return pool->getOutput(0);
}

/// The network, from the weights read back from the file. Returns false after the library logged why.
bool defineNetwork(INetworkDefinition& net, const WeightMap& w, int64_t batch) {
    ITensor* data =
        net.addInput("data", DataType::kFLOAT, Dims4{batch, 1, sample::kImageSize, sample::kImageSize});
    if (!data) return false;
    // Pixel normalisation (x * scale + shift), as TensorRT's sample subtracts the mean with a scale layer.
    static const float kScale = static_cast<float>(sample::kScale),
                       kShift = static_cast<float>(sample::kShift);
    IScaleLayer* norm =
        net.addScale(*data, ScaleMode::kUNIFORM, Weights{DataType::kFLOAT, &kShift, 1},
                     Weights{DataType::kFLOAT, &kScale, 1}, Weights{DataType::kFLOAT, nullptr, 0});
    if (!norm) return false;
    norm->setName("normalize");
    ITensor* x = convPool(net, *norm->getOutput(0), w, "conv1");
    if (x) x = convPool(net, *x, w, "conv2");
    if (!x) return false;
    IShuffleLayer* flatten = net.addShuffle(*x);
    if (!flatten) return false;
    flatten->setName("flatten");
    flatten->setReshapeDimensions(Dims2{batch, 800});
    x = fullyConnected(net, *flatten->getOutput(0), w.at("ip1.weight"), w.at("ip1.bias"), "ip1");
    if (!x) return false;
    IActivationLayer* relu = net.addActivation(*x, ActivationType::kRELU);
    if (!relu) return false;
    relu->setName("relu1");
    ITensor* logits = fullyConnected(net, *relu->getOutput(0), w.at("ip2.weight"), w.at("ip2.bias"), "ip2");
    if (!logits) return false;
    ISoftMaxLayer* softmax = net.addSoftMax(*logits);
    if (!softmax) return false;
    softmax->setName("prob");
    softmax->setAxes(1u << 1);  // over the classes of each image
    logits->setName("logits");
    softmax->getOutput(0)->setName("prob");
    net.markOutput(*logits);
    net.markOutput(*softmax->getOutput(0));
    return true;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "sample_mnist_api: FAILED: %s\n", what.c_str());
    return 1;
}

int runSample(const std::string& weightsPath, uint64_t seed) {
    SampleLogger logger;
    std::string error;
    // 1. Weights: generate, write, read back. Only the read-back copy is used from here on.
    if (!sample::writeWeights(weightsPath, generateWeights(seed), &error)) return fail(error);
    WeightMap weights;
    if (!sample::readWeights(weightsPath, &weights, &error)) return fail(error);
    std::printf("weights: wrote and read back %zu tensors from %s\n", weights.size(), weightsPath.c_str());

    const std::vector<sample::Digit> digits = sample::makeSyntheticDigits();
    const auto batch = static_cast<int64_t>(digits.size());

    // 2. Define and build.
    std::unique_ptr<IBuilder> builder(createInferBuilder(logger));
    if (!builder) return fail("createInferBuilder");
    std::unique_ptr<INetworkDefinition> network(builder->createNetworkV2(0));
    std::unique_ptr<IBuilderConfig> config(builder->createBuilderConfig());
    if (!network || !config) return fail("createNetworkV2 / createBuilderConfig");
    if (!defineNetwork(*network, weights, batch))
        return fail("defining the network (see the library's message above)");
    if (!config->setTargetDevice("cpu")) return fail("setTargetDevice(\"cpu\")");
    std::unique_ptr<IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
    if (!plan) return fail("buildSerializedNetwork (see the library's message above)");
    std::printf("built a plan of %zu bytes with %d layers\n", plan->size(), network->getNbLayers());

    // 3. Deserialize (from the in-memory plan) and run.
    std::unique_ptr<IRuntime> runtime(createInferRuntime(logger));
    if (!runtime) return fail("createInferRuntime");
    std::unique_ptr<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    if (!engine) return fail("deserializeCudaEngine (see the library's message above)");
    std::unique_ptr<IExecutionContext> context(engine->createExecutionContext());
    if (!context) return fail("createExecutionContext");
    for (const char* name : {"logits", "prob"}) {
        const Dims d = engine->getTensorShape(name);
        if (engine->getTensorIOMode(name) != TensorIOMode::kOUTPUT || d.nbDims != 2 || d.d[0] != batch ||
            d.d[1] != kClasses)
            return fail(std::string("output '") + name + "' is missing or not [" + std::to_string(batch) +
                        ", 10]");
    }
    std::vector<float> input, logits(static_cast<size_t>(batch * kClasses)), prob(logits.size());
    for (const auto& d : digits) input.insert(input.end(), d.pixels.begin(), d.pixels.end());
    if (!context->setTensorAddress("data", input.data()) ||
        !context->setTensorAddress("logits", logits.data()) ||
        !context->setTensorAddress("prob", prob.data()))
        return fail("setTensorAddress");
    if (!context->enqueueV3(nullptr)) return fail("enqueueV3 (see the library's message above)");

    // 4. Check against the double-precision reference.
    std::printf("\ninput digit %d:\n%s\n", digits[0].label, sample::asciiArt(digits[0]).c_str());
    double maxDiff = 0.0;
    for (size_t n = 0; n < digits.size(); ++n) {
        const sample::ReferenceOutput ref = sample::referenceForward(weights, digits[n].pixels.data());
        int best = 0;
        double rowSum = 0.0;
        for (int c = 0; c < kClasses; ++c) {
            const size_t i = n * kClasses + static_cast<size_t>(c);
            const double logitDiff = std::fabs(logits[i] - ref.logits[static_cast<size_t>(c)]);
            const double probDiff = std::fabs(prob[i] - ref.prob[static_cast<size_t>(c)]);
            maxDiff = std::max({maxDiff, logitDiff, probDiff});
            if (prob[i] > prob[n * kClasses + static_cast<size_t>(best)]) best = c;
            rowSum += prob[i];
        }
        std::printf("digit %d: engine argmax %d (p = %.4f), probabilities sum to %.6f\n", digits[n].label,
                    best, prob[n * kClasses + static_cast<size_t>(best)], rowSum);
    }
    std::printf(
        "(the weights are random, so the predicted classes are arbitrary; the check is engine vs "
        "reference)\n");
    std::printf("max |engine - reference| over logits and probabilities: %.3g (tolerance %.0e)\n", maxDiff,
                kTolerance);
    if (!(maxDiff < kTolerance))
        return fail("the engine's outputs differ from the reference by " + std::to_string(maxDiff));
    std::printf("PASSED sample_mnist_api\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string weightsPath = "mnist_api.kwts";
    uint64_t seed = 2024;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if ((arg == "--weights" || arg == "--seed") && i + 1 < argc) {
            const std::string value = argv[++i];
            if (arg == "--weights") {
                weightsPath = value;
            } else {
                char* end = nullptr;
                seed = std::strtoull(value.c_str(), &end, 10);
                if (value.empty() || *end != '\0')
                    return fail("--seed expects a non-negative integer, got '" + value + "'");
            }
        } else if (arg == "-h" || arg == "--help") {
            std::printf(
                "Usage: sample_mnist_api [--weights FILE] [--seed N]\n"
                "Defines a LeNet-style CNN with Kiln's layer API from weights written to and read\n"
                "back from FILE (default mnist_api.kwts), builds and runs it on synthetic digits, and\n"
                "checks the outputs against a double-precision reference. Exit code 0 on a match.\n");
            return 0;
        } else {
            return fail("unknown argument '" + arg + "' (see --help)");
        }
    }
    return runSample(weightsPath, seed);
}
