// ZooBuilder (see zoo_builder.h).
#include "zoo_builder.h"

#include <cmath>
#include <filesystem>

#include "npy.h"

namespace kiln::tool {

namespace {

constexpr Weights kNoWeights{DataType::kFLOAT, nullptr, 0};

}  // namespace

Weights WeightStore::add(const std::string& name, std::vector<int64_t> dims, std::vector<float> values) {
    mEntries.push_back(Entry{name, std::move(dims), std::move(values)});
    const std::vector<float>& v = mEntries.back().values;
    return Weights{DataType::kFLOAT, v.data(), static_cast<int64_t>(v.size())};
}

int64_t WeightStore::parameterCount() const {
    int64_t n = 0;
    for (const Entry& e : mEntries) n += static_cast<int64_t>(e.values.size());
    return n;
}

bool WeightStore::save(const std::string& dir, std::string* error) const {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir)) {
        *error = "cannot create directory '" + dir + "': " + (ec ? ec.message() : "not a directory");
        return false;
    }
    for (const Entry& e : mEntries) {
        NpyArray a;
        a.dtype = NpyDType::kFLOAT32;
        a.shape = e.dims;
        const auto* bytes = reinterpret_cast<const uint8_t*>(e.values.data());
        a.data.assign(bytes, bytes + e.values.size() * sizeof(float));
        if (!writeNpy((std::filesystem::path(dir) / (e.name + ".npy")).string(), a, error)) return false;
    }
    return true;
}

std::vector<float> ZooBuilder::heNormal(int64_t count, int64_t fanIn) {
    // He et al. 2015: std = sqrt(2 / fan_in) keeps the activation scale through ReLU layers.
    const double std = std::sqrt(2.0 / static_cast<double>(fanIn));
    std::vector<float> v(static_cast<size_t>(count));
    for (float& x : v) x = static_cast<float>(std * mRandom.normal());
    return v;
}

std::vector<float> ZooBuilder::uniform(int64_t count, double lo, double hi) {
    std::vector<float> v(static_cast<size_t>(count));
    for (float& x : v) x = static_cast<float>(mRandom.uniform(lo, hi));
    return v;
}

ITensor* ZooBuilder::finish(ILayer* layer, const std::string& name, const char* api) {
    if (!layer) {
        if (mFailure.empty()) mFailure = "layer '" + name + "' (" + api + ") could not be added";
        return nullptr;
    }
    layer->setName(name.c_str());
    return layer->getOutput(0);
}

int64_t ZooBuilder::channelsOf(ITensor* x, const std::string& name) {
    const Dims d = x->getDimensions();
    if (d.nbDims != 4 || d.d[1] <= 0) {
        if (mFailure.empty()) mFailure = "layer '" + name + "': expected a [N, C, H, W] input with known C";
        return -1;
    }
    return d.d[1];
}

ITensor* ZooBuilder::input(const char* name, const Dims& dims) {
    ITensor* t = mNet.addInput(name, DataType::kFLOAT, dims);
    if (!t && mFailure.empty()) mFailure = std::string("input '") + name + "' could not be added";
    return t;
}

ITensor* ZooBuilder::conv(ITensor* x, int64_t outMaps, int32_t kernel, int32_t stride, int32_t pad, bool bias,
                          const std::string& name, int64_t groups) {
    if (!x) return nullptr;
    const int64_t c = channelsOf(x, name);
    if (c < 0) return nullptr;
    if (groups < 1 || c % groups != 0 || outMaps % groups != 0) {
        if (mFailure.empty())
            mFailure = "layer '" + name + "': " + std::to_string(groups) + " groups do not divide " +
                       std::to_string(c) + " input and " + std::to_string(outMaps) + " output channels";
        return nullptr;
    }
    const int64_t fanIn = c / groups * kernel * kernel;
    const Weights k = mWeights.add(name + ".weight", {outMaps, c / groups, kernel, kernel},
                                   heNormal(outMaps * fanIn, fanIn));
    const double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    const Weights b =
        bias ? mWeights.add(name + ".bias", {outMaps}, uniform(outMaps, -bound, bound)) : kNoWeights;
    // The weights' count (outMaps x c/groups x k x k) tells the layer its channels per group.
    IConvolutionLayer* layer = mNet.addConvolutionNd(*x, outMaps, DimsHW{kernel, kernel}, k, b);
    if (layer && groups > 1) layer->setNbGroups(groups);
    if (layer) {
        layer->setStrideNd(DimsHW{stride, stride});
        layer->setPaddingNd(DimsHW{pad, pad});
    }
    return finish(layer, name, "addConvolutionNd");
}

ITensor* ZooBuilder::batchNorm(ITensor* x, const std::string& name, double gammaScale) {
    if (!x) return nullptr;
    const int64_t c = channelsOf(x, name);
    if (c < 0) return nullptr;
    constexpr double kEps = 1e-5;  // torch.nn.BatchNorm2d's default
    std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
    for (size_t i = 0; i < scale.size(); ++i) {
        const double gamma = gammaScale * mRandom.uniform(0.8, 1.2);
        const double beta = mRandom.uniform(-0.1, 0.1);
        const double mean = mRandom.uniform(-0.1, 0.1);
        const double var = mRandom.uniform(0.8, 1.2);
        const double s = gamma / std::sqrt(var + kEps);
        scale[i] = static_cast<float>(s);
        shift[i] = static_cast<float>(beta - mean * s);
    }
    const Weights sh = mWeights.add(name + ".shift", {c}, std::move(shift));
    const Weights sc = mWeights.add(name + ".scale", {c}, std::move(scale));
    return finish(mNet.addScale(*x, ScaleMode::kCHANNEL, sh, sc, kNoWeights), name, "addScale");
}

ITensor* ZooBuilder::relu(ITensor* x, const std::string& name) {
    if (!x) return nullptr;
    return finish(mNet.addActivation(*x, ActivationType::kRELU), name, "addActivation");
}

ITensor* ZooBuilder::relu6(ITensor* x, const std::string& name) {
    if (!x) return nullptr;
    IActivationLayer* layer = mNet.addActivation(*x, ActivationType::kCLIP);
    if (layer) {
        layer->setAlpha(0.0f);
        layer->setBeta(6.0f);
    }
    return finish(layer, name, "addActivation");
}

ITensor* ZooBuilder::maxPool(ITensor* x, int32_t window, int32_t stride, int32_t pad,
                             const std::string& name) {
    if (!x) return nullptr;
    IPoolingLayer* layer = mNet.addPoolingNd(*x, PoolingType::kMAX, DimsHW{window, window});
    if (layer) {
        layer->setStrideNd(DimsHW{stride, stride});
        layer->setPaddingNd(DimsHW{pad, pad});
    }
    return finish(layer, name, "addPoolingNd");
}

ITensor* ZooBuilder::globalAvgPool(ITensor* x, const std::string& name) {
    if (!x) return nullptr;
    const Dims d = x->getDimensions();
    IPoolingLayer* layer = mNet.addPoolingNd(*x, PoolingType::kAVERAGE, DimsHW{d.d[2], d.d[3]});
    if (layer) layer->setGlobal(true);
    return finish(layer, name, "addPoolingNd");
}

ITensor* ZooBuilder::flatten(ITensor* x, const std::string& name) {
    if (!x) return nullptr;
    const Dims d = x->getDimensions();
    int64_t features = 1;
    for (int i = 1; i < d.nbDims; ++i) features *= d.d[i];
    if (d.nbDims < 2 || features <= 0) {
        if (mFailure.empty())
            mFailure = "layer '" + name + "': cannot flatten a tensor of unknown feature size";
        return nullptr;
    }
    IShuffleLayer* layer = mNet.addShuffle(*x);
    if (layer) layer->setReshapeDimensions(Dims2{0, features});  // 0: copy the (maybe dynamic) batch dim
    return finish(layer, name, "addShuffle");
}

ITensor* ZooBuilder::fullyConnected(ITensor* x, int64_t outFeatures, const std::string& name) {
    if (!x) return nullptr;
    const Dims d = x->getDimensions();
    if (d.nbDims != 2 || d.d[1] <= 0) {
        if (mFailure.empty()) mFailure = "layer '" + name + "': expected a [N, K] input with known K";
        return nullptr;
    }
    const int64_t in = d.d[1];
    IConstantLayer* w =
        mNet.addConstant(Dims2{in, outFeatures},
                         mWeights.add(name + ".weight", {in, outFeatures}, heNormal(in * outFeatures, in)));
    if (!w) return finish(nullptr, name + "_weights", "addConstant");
    w->setName((name + "_weights").c_str());
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    IConstantLayer* b =
        mNet.addConstant(Dims2{1, outFeatures},
                         mWeights.add(name + ".bias", {1, outFeatures}, uniform(outFeatures, -bound, bound)));
    if (!b) return finish(nullptr, name + "_bias", "addConstant");
    b->setName((name + "_bias").c_str());
    ITensor* y =
        finish(mNet.addMatrixMultiply(*x, MatrixOperation::kNONE, *w->getOutput(0), MatrixOperation::kNONE),
               name, "addMatrixMultiply");
    if (!y) return nullptr;
    return finish(mNet.addElementWise(*y, *b->getOutput(0), ElementWiseOperation::kSUM), name + "_bias_add",
                  "addElementWise");
}

ITensor* ZooBuilder::add(ITensor* a, ITensor* b, const std::string& name) {
    if (!a || !b) return nullptr;
    return finish(mNet.addElementWise(*a, *b, ElementWiseOperation::kSUM), name, "addElementWise");
}

ITensor* ZooBuilder::softmax(ITensor* x, int32_t axis, const std::string& name) {
    if (!x) return nullptr;
    ISoftMaxLayer* layer = mNet.addSoftMax(*x);
    if (layer) layer->setAxes(1u << axis);
    return finish(layer, name, "addSoftMax");
}

}  // namespace kiln::tool
