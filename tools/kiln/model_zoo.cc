// The zoo's registry and its small networks: mnist (a LeNet-style CNN) and mobilenet_v2. The ResNets are
// in model_zoo_resnet.cc.
#include "model_zoo.h"

#include "zoo_builder.h"

namespace kiln::tool {

// Defined in model_zoo_resnet.cc.
ITensor* defineResNet(ZooBuilder& b, ITensor* x, int32_t depth);

namespace {

// Image networks add their convolutions with default (zero) padding before setting the real padding, and
// Kiln infers shapes at each add, so the last stage needs at least a 3x3 feature map: 32 x 3 pixels.
constexpr int64_t kMinImageNetSize = 96;

const std::vector<ZooNetwork> kZoo = {
    {"mnist",
     "LeNet-style digit classifier: conv5x5(1->8)+relu+maxpool, conv5x5(8->16)+relu+maxpool, fc 64+relu, fc "
     "10, softmax",
     1, 28, 16, "input", "prob"},
    {"resnet18",
     "ResNet-18 (torchvision topology, basic blocks [2,2,2,2], batch norm as per-channel scale), 1000 logits",
     3, 224, kMinImageNetSize, "input", "logits"},
    {"resnet50", "ResNet-50 (torchvision v1.5 topology, bottleneck blocks [3,4,6,3]), 1000 logits", 3, 224,
     kMinImageNetSize, "input", "logits"},
    {"mobilenet_v2",
     "MobileNetV2 (torchvision topology: inverted residuals, depthwise convs, ReLU6), 1000 logits", 3, 224,
     kMinImageNetSize, "input", "logits"},
};

ITensor* defineMnist(ZooBuilder& b, ITensor* x) {
    x = b.conv(x, 8, 5, 1, 0, true, "conv1");
    x = b.relu(x, "relu1");
    x = b.maxPool(x, 2, 2, 0, "pool1");
    x = b.conv(x, 16, 5, 1, 0, true, "conv2");
    x = b.relu(x, "relu2");
    x = b.maxPool(x, 2, 2, 0, "pool2");
    x = b.flatten(x, "flatten");
    x = b.fullyConnected(x, 64, "fc1");
    x = b.relu(x, "relu3");
    x = b.fullyConnected(x, 10, "fc2");
    return b.softmax(x, 1, "softmax");
}

/// conv + batch norm (+ ReLU6), named as torchvision's Conv2dNormActivation: <prefix>.0 / .1 / .2.
ITensor* convBnRelu6(ZooBuilder& b, ITensor* x, int64_t out, int32_t kernel, int32_t stride, int64_t groups,
                     const std::string& prefix) {
    x = b.conv(x, out, kernel, stride, kernel / 2, false, prefix + ".0", groups);
    x = b.batchNorm(x, prefix + ".1");
    return b.relu6(x, prefix + ".2");
}

/// MobileNetV2 as torchvision's mobilenet_v2 (width 1.0); layer names are its state-dict keys.
ITensor* defineMobileNetV2(ZooBuilder& b, ITensor* x) {
    struct Stage {
        int64_t expand, channels, repeats;
        int32_t stride;
    };
    constexpr Stage kStages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                 {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    x = convBnRelu6(b, x, 32, 3, 2, 1, "features.0");
    int64_t in = 32;
    int block = 1;
    for (const Stage& s : kStages) {
        for (int64_t r = 0; r < s.repeats; ++r, ++block) {
            const std::string p = "features." + std::to_string(block) + ".conv.";
            const int32_t stride = r == 0 ? s.stride : 1;
            const int64_t hidden = in * s.expand;
            ITensor* y = x;
            int part = 0;
            if (s.expand != 1) y = convBnRelu6(b, y, hidden, 1, 1, 1, p + std::to_string(part++));
            y = convBnRelu6(b, y, hidden, 3, stride, hidden, p + std::to_string(part++));
            const bool residual = stride == 1 && in == s.channels;
            y = b.conv(y, s.channels, 1, 1, 0, false, p + std::to_string(part++));
            // A small gamma on the last norm of a residual branch keeps the sum's scale in check with random
            // weights (torchvision's zero_init_residual idea, without making the branch vanish).
            y = b.batchNorm(y, p + std::to_string(part++), residual ? 0.2 : 1.0);
            x = residual ? b.add(x, y, "features." + std::to_string(block) + ".add") : y;
            in = s.channels;
        }
    }
    x = convBnRelu6(b, x, 1280, 1, 1, 1, "features." + std::to_string(block));
    x = b.globalAvgPool(x, "avgpool");
    x = b.flatten(x, "flatten");
    return b.fullyConnected(x, 1000, "classifier.1");
}

}  // namespace

const std::vector<ZooNetwork>& zooNetworks() {
    return kZoo;
}

const ZooNetwork* findZooNetwork(const std::string& name) {
    for (const ZooNetwork& n : kZoo)
        if (name == n.name) return &n;
    return nullptr;
}

std::string zooNetworkNames() {
    std::string s;
    for (const ZooNetwork& n : kZoo) s += (s.empty() ? "" : ", ") + std::string(n.name);
    return s;
}

bool defineZooNetwork(const std::string& name, const ZooOptions& options, INetworkDefinition& network,
                      WeightStore& weights, std::string* error) {
    const ZooNetwork* entry = findZooNetwork(name);
    if (!entry) {
        *error = "unknown network '" + name + "'; available: " + zooNetworkNames();
        return false;
    }
    if (options.batch == 0 || options.batch < -1) {
        *error = "batch size must be positive (or -1 for a batch chosen at run time), got " +
                 std::to_string(options.batch);
        return false;
    }
    const int64_t size = options.imageSize == 0 ? entry->defaultImageSize : options.imageSize;
    if (size < entry->minImageSize || size > 16384) {
        *error = "image size " + std::to_string(size) + " does not fit " + name + ": use " +
                 std::to_string(entry->minImageSize) + " to 16384 (default " +
                 std::to_string(entry->defaultImageSize) + ")";
        return false;
    }
    network.setName(entry->name);
    ZooBuilder b(network, weights, options.seed);
    ITensor* x = b.input(entry->inputName, Dims4{options.batch, entry->channels, size, size});
    const std::string n = entry->name;
    if (n == "mnist")
        x = defineMnist(b, x);
    else if (n == "resnet18")
        x = defineResNet(b, x, 18);
    else if (n == "resnet50")
        x = defineResNet(b, x, 50);
    else if (n == "mobilenet_v2")
        x = defineMobileNetV2(b, x);
    if (!x) {
        *error = "defining " + n + " failed: " + (b.failed() ? b.failure() : "no output");
        return false;
    }
    x->setName(entry->outputName);
    network.markOutput(*x);
    return true;
}

}  // namespace kiln::tool
