// An independent computation of the sample's network: plain nested loops in double over the same
// weights, written from the layer definitions (not from Kiln's kernels), to check the engine's outputs.
#pragma once

#include <vector>

#include "weights_file.h"

namespace sample {

/// Image side and the normalisation the network's first (scale) layer applies: y = x * kScale + kShift.
constexpr int kImageSize = 28;
constexpr double kPixelMean = 0.1307;  // MNIST's mean and standard deviation of pixels in [0, 1]
constexpr double kPixelStd = 0.3081;
constexpr double kScale = 1.0 / (255.0 * kPixelStd);
constexpr double kShift = -kPixelMean / kPixelStd;

struct ReferenceOutput {
    std::vector<double> logits;  // [10]
    std::vector<double> prob;    // [10]
};

/// Runs one 28x28 image (pixel values 0..255, row-major) through the network defined by `weights`.
ReferenceOutput referenceForward(const WeightMap& weights, const float* image);

}  // namespace sample
