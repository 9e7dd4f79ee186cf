// ResNet-18 and ResNet-50 for the model zoo, following torchvision's resnet.py (v1.5: the stride of a
// bottleneck is on its 3x3 convolution). Batch norm is a per-channel scale layer; names follow
// torchvision's state-dict keys (layer1.0.conv1, ...) so layers can be matched to a PyTorch model.
#include <string>

#include "zoo_builder.h"

namespace kiln::tool {

namespace {

// A small gamma on the last norm of every residual branch keeps the residual sums from growing block
// after block with random weights (torchvision's zero_init_residual idea, without zeroing the branch).
constexpr double kResidualGamma = 0.2;

ITensor* downsample(ZooBuilder& b, ITensor* x, int64_t inPlanes, int64_t outPlanes, int32_t stride,
                    const std::string& p) {
    if (stride == 1 && inPlanes == outPlanes) return x;
    x = b.conv(x, outPlanes, 1, stride, 0, false, p + ".downsample.0");
    return b.batchNorm(x, p + ".downsample.1");
}

ITensor* basicBlock(ZooBuilder& b, ITensor* x, int64_t inPlanes, int64_t planes, int32_t stride,
                    const std::string& p) {
    ITensor* identity = downsample(b, x, inPlanes, planes, stride, p);
    ITensor* y = b.conv(x, planes, 3, stride, 1, false, p + ".conv1");
    y = b.batchNorm(y, p + ".bn1");
    y = b.relu(y, p + ".relu1");
    y = b.conv(y, planes, 3, 1, 1, false, p + ".conv2");
    y = b.batchNorm(y, p + ".bn2", kResidualGamma);
    y = b.add(y, identity, p + ".add");
    return b.relu(y, p + ".relu2");
}

ITensor* bottleneck(ZooBuilder& b, ITensor* x, int64_t inPlanes, int64_t planes, int32_t stride,
                    const std::string& p) {
    constexpr int64_t kExpansion = 4;
    ITensor* identity = downsample(b, x, inPlanes, planes * kExpansion, stride, p);
    ITensor* y = b.conv(x, planes, 1, 1, 0, false, p + ".conv1");
    y = b.batchNorm(y, p + ".bn1");
    y = b.relu(y, p + ".relu1");
    y = b.conv(y, planes, 3, stride, 1, false, p + ".conv2");
    y = b.batchNorm(y, p + ".bn2");
    y = b.relu(y, p + ".relu2");
    y = b.conv(y, planes * kExpansion, 1, 1, 0, false, p + ".conv3");
    y = b.batchNorm(y, p + ".bn3", kResidualGamma);
    y = b.add(y, identity, p + ".add");
    return b.relu(y, p + ".relu3");
}

}  // namespace

/// Appends ResNet-`depth` (18 or 50) to image tensor `x` and returns the logits.
ITensor* defineResNet(ZooBuilder& b, ITensor* x, int32_t depth) {
    const bool basic = depth == 18;
    const int64_t blocks[4] = {basic ? 2 : 3, basic ? 2 : 4, basic ? 2 : 6, basic ? 2 : 3};
    const int64_t expansion = basic ? 1 : 4;
    x = b.conv(x, 64, 7, 2, 3, false, "conv1");
    x = b.batchNorm(x, "bn1");
    x = b.relu(x, "relu");
    x = b.maxPool(x, 3, 2, 1, "maxpool");
    int64_t inPlanes = 64;
    for (int stage = 0; stage < 4; ++stage) {
        const int64_t planes = int64_t{64} << stage;
        for (int64_t i = 0; i < blocks[stage]; ++i) {
            const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(i);
            const int32_t stride = (stage > 0 && i == 0) ? 2 : 1;
            x = basic ? basicBlock(b, x, inPlanes, planes, stride, p)
                      : bottleneck(b, x, inPlanes, planes, stride, p);
            inPlanes = planes * expansion;
        }
    }
    x = b.globalAvgPool(x, "avgpool");
    x = b.flatten(x, "flatten");
    return b.fullyConnected(x, 1000, "fc");
}

}  // namespace kiln::tool
