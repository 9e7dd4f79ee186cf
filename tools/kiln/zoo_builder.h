// ZooBuilder: the layer vocabulary the model zoo is written in (conv, batch norm as a per-channel scale,
// pooling, fully connected as matmul + bias, ...). Each helper takes and returns ITensor pointers and
// passes null through, so a network is written as straight-line code and checked once at the end; the
// first layer that failed is remembered for the error message.
#pragma once

#include <string>

#include "kiln/network.h"
#include "model_zoo.h"
#include "random.h"

namespace kiln::tool {

class ZooBuilder {
public:
    ZooBuilder(INetworkDefinition& network, WeightStore& weights, uint64_t seed)
        : mNet(network), mWeights(weights), mRandom(seed) {}

    ITensor* input(const char* name, const Dims& dims);
    /// Square kernel, symmetric padding; He-normal weights (fan-in = C/groups * k * k); bias uniform in
    /// +-1/sqrt(fan-in) when `bias` (PyTorch's default), else no bias.
    ITensor* conv(ITensor* x, int64_t outMaps, int32_t kernel, int32_t stride, int32_t pad, bool bias,
                  const std::string& name, int64_t groups = 1);
    /// Inference-mode batch normalization as a kCHANNEL scale layer: scale = gamma / sqrt(var + eps),
    /// shift = beta - mean * scale, with random gamma (times `gammaScale`), beta, mean and var.
    ITensor* batchNorm(ITensor* x, const std::string& name, double gammaScale = 1.0);
    ITensor* relu(ITensor* x, const std::string& name);
    /// min(max(x, 0), 6) as a kCLIP activation.
    ITensor* relu6(ITensor* x, const std::string& name);
    ITensor* maxPool(ITensor* x, int32_t window, int32_t stride, int32_t pad, const std::string& name);
    ITensor* globalAvgPool(ITensor* x, const std::string& name);
    /// [N, C, H, W] -> [N, C*H*W] with a shuffle (the batch dim copied with a 0 placeholder, so it may be
    /// -1).
    ITensor* flatten(ITensor* x, const std::string& name);
    /// [N, K] x W[K, M] + b[1, M] with a matrix multiply and a broadcast element-wise sum.
    ITensor* fullyConnected(ITensor* x, int64_t outFeatures, const std::string& name);
    ITensor* add(ITensor* a, ITensor* b, const std::string& name);
    ITensor* softmax(ITensor* x, int32_t axis, const std::string& name);

    bool failed() const { return !mFailure.empty(); }
    /// "layer 'conv1' (addConvolutionNd) could not be added" for the first failure, or "".
    const std::string& failure() const { return mFailure; }

private:
    /// Names the layer and returns its output, or records the failure and returns null.
    ITensor* finish(ILayer* layer, const std::string& name, const char* api);
    std::vector<float> heNormal(int64_t count, int64_t fanIn);
    std::vector<float> uniform(int64_t count, double lo, double hi);
    int64_t channelsOf(ITensor* x, const std::string& name);

    INetworkDefinition& mNet;
    WeightStore& mWeights;
    Random mRandom;
    std::string mFailure;
};

}  // namespace kiln::tool
