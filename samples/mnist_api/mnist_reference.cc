// Double-precision reference of the sample network (see mnist_reference.h).
#include "mnist_reference.h"

#include <algorithm>
#include <cmath>

namespace sample {

namespace {

/// A [channels, size, size] feature map.
struct Map {
    int channels{0}, size{0};
    std::vector<double> v;
    double& at(int c, int y, int x) { return v[(static_cast<size_t>(c) * size + y) * size + x]; }
    double at(int c, int y, int x) const { return v[(static_cast<size_t>(c) * size + y) * size + x]; }
};

Map makeMap(int channels, int size) {
    return Map{channels, size, std::vector<double>(static_cast<size_t>(channels) * size * size)};
}

/// Valid (unpadded) stride-1 convolution with bias; kernel [out, in, k, k].
Map convolve(const Map& in, const WeightTensor& kernel, const WeightTensor& bias) {
    const int outC = static_cast<int>(kernel.dims[0]), k = static_cast<int>(kernel.dims[2]);
    Map out = makeMap(outC, in.size - k + 1);
    for (int o = 0; o < outC; ++o)
        for (int y = 0; y < out.size; ++y)
            for (int x = 0; x < out.size; ++x) {
                double acc = bias.values[static_cast<size_t>(o)];
                for (int c = 0; c < in.channels; ++c)
                    for (int ky = 0; ky < k; ++ky)
                        for (int kx = 0; kx < k; ++kx)
                            acc +=
                                kernel
                                    .values[((static_cast<size_t>(o) * in.channels + c) * k + ky) * k + kx] *
                                in.at(c, y + ky, x + kx);
                out.at(o, y, x) = acc;
            }
    return out;
}

/// 2x2 max pooling, stride 2.
Map maxPool2(const Map& in) {
    Map out = makeMap(in.channels, in.size / 2);
    for (int c = 0; c < in.channels; ++c)
        for (int y = 0; y < out.size; ++y)
            for (int x = 0; x < out.size; ++x)
                out.at(c, y, x) =
                    std::max(std::max(in.at(c, 2 * y, 2 * x), in.at(c, 2 * y, 2 * x + 1)),
                             std::max(in.at(c, 2 * y + 1, 2 * x), in.at(c, 2 * y + 1, 2 * x + 1)));
    return out;
}

/// y = W x + b with W stored [out, in] (PyTorch's Linear layout).
std::vector<double> linear(const std::vector<double>& x, const WeightTensor& w, const WeightTensor& b) {
    const size_t outF = static_cast<size_t>(w.dims[0]), inF = static_cast<size_t>(w.dims[1]);
    std::vector<double> y(outF);
    for (size_t j = 0; j < outF; ++j) {
        double acc = b.values[j];
        for (size_t i = 0; i < inF; ++i) acc += w.values[j * inF + i] * x[i];
        y[j] = acc;
    }
    return y;
}

}  // namespace

ReferenceOutput referenceForward(const WeightMap& w, const float* image) {
    Map x = makeMap(1, kImageSize);
    for (int y = 0; y < kImageSize; ++y)
        for (int c = 0; c < kImageSize; ++c) x.at(0, y, c) = image[y * kImageSize + c] * kScale + kShift;
    Map a = maxPool2(convolve(x, w.at("conv1.weight"), w.at("conv1.bias")));
    Map b = maxPool2(convolve(a, w.at("conv2.weight"), w.at("conv2.bias")));
    // Flatten in [C, H, W] order, as the network's shuffle does on an NCHW tensor.
    std::vector<double> h = linear(b.v, w.at("ip1.weight"), w.at("ip1.bias"));
    for (double& v : h) v = std::max(v, 0.0);
    ReferenceOutput out;
    out.logits = linear(h, w.at("ip2.weight"), w.at("ip2.bias"));
    const double m = *std::max_element(out.logits.begin(), out.logits.end());
    double sum = 0.0;
    for (double l : out.logits) sum += std::exp(l - m);
    for (double l : out.logits) out.prob.push_back(std::exp(l - m) / sum);
    return out;
}

}  // namespace sample
