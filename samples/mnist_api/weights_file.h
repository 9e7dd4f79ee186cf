// The sample's weights file: a small text format in the spirit of TensorRT's .wts files, exact (values are
// float32 bit patterns in hex) and readable with a text editor.
//
//   kiln-weights 1                       magic and format version
//   <count>                              number of tensors that follow, one per line
//   <name> <rank> <d0> ... <dN-1> <v0> <v1> ...
//
// <name> has no spaces; 0 <= rank <= 8; every dim is positive; there are exactly d0 * ... * dN-1 values,
// each a float32 as 8 hex digits of its IEEE-754 bits (3f800000 is 1.0). Tensor names are unique.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sample {

struct WeightTensor {
    std::vector<int64_t> dims;
    std::vector<float> values;
};

/// Tensors by name (ordered, so a written file is deterministic).
using WeightMap = std::map<std::string, WeightTensor>;

/// Writes `weights` to `path`. Returns false and sets *error on failure.
bool writeWeights(const std::string& path, const WeightMap& weights, std::string* error);
/// Reads a file written by writeWeights. Returns false and sets *error ("<path>:<line>: <what>") for a
/// missing file or any deviation from the format.
bool readWeights(const std::string& path, WeightMap* weights, std::string* error);

}  // namespace sample
