// The facts `kiln inspect model.onnx` prints: inputs and outputs (names, element types, shapes with
// symbolic dims by name), opsets, an operator histogram, and for every node whether Kiln imports it and
// if not, why. Support is decided by a full import into a scratch network, so a node rejected for its
// shapes or data types is reported as well as one whose operator is unknown.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kiln::onnx {

struct TensorSummary {
    std::string name;
    std::string dtype;              ///< ONNX's name, e.g. "FLOAT", "INT64"
    std::vector<std::string> dims;  ///< "3", a symbolic name like "batch", or "?" for an anonymous dim
    bool hasShape{true};
};

struct NodeSummary {
    int64_t index{0};  ///< after model-local functions are inlined
    std::string name;
    std::string op;
    std::string domain;
    bool supported{true};
    std::string reason;  ///< why not, when !supported
};

struct ModelSummary {
    int64_t irVersion{0};
    std::string producer;                                 ///< "pytorch 2.3"
    std::vector<std::pair<std::string, int64_t>> opsets;  ///< (domain, version); "" is the default domain
    std::vector<TensorSummary> inputs;                    ///< graph inputs that are not initializers
    std::vector<TensorSummary> outputs;
    std::map<std::string, int64_t> opHistogram;  ///< op type (domain-qualified outside the default) -> count
    std::vector<NodeSummary> nodes;
    int64_t nbInitializers{0};
    int64_t initializerBytes{0};
    int64_t nbFunctions{0};
    std::vector<std::string> graphErrors;  ///< problems not about one node (inputs, initializers, outputs)

    int64_t nbUnsupported() const {
        int64_t n = 0;
        for (const auto& node : nodes) n += node.supported ? 0 : 1;
        return n;
    }
};

/// Summarizes a serialized model. `modelPath` locates external data ("" when there is none). Fails only
/// when the bytes are not an ONNX model at all.
StatusOr<ModelSummary> summarizeOnnxModel(const void* data, size_t size, const std::string& modelPath);
/// Reads and summarizes a .onnx file.
StatusOr<ModelSummary> summarizeOnnxFile(const std::string& path);
/// Human-readable text: header, inputs, outputs, histogram, then the unsupported nodes with reasons (every
/// node, supported or not, when `allNodes`).
std::string formatModelSummary(const ModelSummary& summary, bool allNodes = false);

}  // namespace kiln::onnx
