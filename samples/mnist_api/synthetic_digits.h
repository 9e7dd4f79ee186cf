// Synthetic "handwritten" digits: strokes drawn with anti-aliased thick lines on a 28x28 canvas, so the
// sample needs no data set download.
#pragma once

#include <string>
#include <vector>

namespace sample {

struct Digit {
    int label;
    std::vector<float> pixels;  // 28 * 28, row-major, 0 (background) .. 255 (ink)
};

/// The digits the sample runs: 0, 1, 4, 5 and 7.
std::vector<Digit> makeSyntheticDigits();

/// The image as 28 lines of ASCII shading, as TensorRT's MNIST samples print their input.
std::string asciiArt(const Digit& digit);

}  // namespace sample
