// Helpers the pattern passes share: who consumes each tensor, whether an intermediate tensor is private to
// one consumer (so a fusion may drop it), scalar constants read in any float format, and fresh names.
// Passes rewrite by turning the last node of a matched chain into the fused node (its output tensor, name
// and consumers stay) and leave the rest as orphans for the pipeline's dead-node removal.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common/tensor_ref.h"
#include "ir/graph.h"

namespace kiln::passes::pattern {

/// Per tensor: the number of node input slots reading it, and the last such node.
struct Uses {
    std::vector<int32_t> count;
    std::vector<ir::NodeId> consumer;

    explicit Uses(const ir::Graph& g) : count(g.tensors().size(), 0), consumer(g.tensors().size(), -1) {
        for (ir::NodeId n = 0; n < static_cast<ir::NodeId>(g.nodes().size()); ++n)
            for (ir::TensorId t : g.node(n).inputs) {
                if (t == ir::kNoTensor) continue;
                ++count[static_cast<size_t>(t)];
                consumer[static_cast<size_t>(t)] = n;
            }
    }
    /// The only consumer of t when t feeds exactly one input slot and is not a graph output, else -1:
    /// only then may a fusion make t disappear.
    ir::NodeId soleConsumer(const ir::Graph& g, ir::TensorId t) const {
        if (t == ir::kNoTensor || g.tensor(t).isOutput || count[static_cast<size_t>(t)] != 1) return -1;
        return consumer[static_cast<size_t>(t)];
    }
    bool isPrivate(const ir::Graph& g, ir::TensorId t) const { return soleConsumer(g, t) >= 0; }
};

/// The node producing t when it is of kind `kind`, else null.
inline const ir::Node* producerOf(const ir::Graph& g, ir::TensorId t, ir::OpKind kind) {
    if (t == ir::kNoTensor) return nullptr;
    const ir::NodeId p = g.tensor(t).producer;
    if (p < 0 || g.node(p).kind() != kind) return nullptr;
    return &g.node(p);
}

/// Whether t is the output of a Constant node.
inline bool isConstant(const ir::Graph& g, ir::TensorId t) {
    return producerOf(g, t, ir::OpKind::kConstant) != nullptr;
}

/// The value of a one-element float Constant (any float format, e.g. float16 in an fp16 export).
inline std::optional<double> scalarConstant(const ir::Graph& g, ir::TensorId t) {
    const ir::Node* n = producerOf(g, t, ir::OpKind::kConstant);
    if (!n) return std::nullopt;
    const ir::Tensor& tensor = g.tensor(t);
    const auto& data = std::get<ir::ConstantAttrs>(n->attrs).data;
    if (!isFloatType(tensor.type) || !isFullyKnown(tensor.shape) || volume(tensor.shape) != 1 || !data ||
        static_cast<int64_t>(data->size()) < storageBytes(tensor.type, 1))
        return std::nullopt;
    return loadAsDouble(tensor.type, data->data(), 0);
}

/// Whether v is `expected` within a relative tolerance (constants may be stored in float16).
inline bool near(double v, double expected, double relTol = 1e-3) {
    return std::fabs(v - expected) <= relTol * std::fabs(expected);
}

/// Whether t is a one-element float Constant near `expected`.
inline bool isScalar(const ir::Graph& g, ir::TensorId t, double expected) {
    const std::optional<double> v = scalarConstant(g, t);
    return v && near(*v, expected);
}

/// A tensor name not used in g, derived from `base`.
inline std::string freshName(const ir::Graph& g, const std::string& base) {
    for (int k = 0;; ++k) {
        const std::string name = base + (k ? "_" + std::to_string(k) : "");
        bool taken = false;
        for (const ir::Tensor& t : g.tensors()) taken = taken || t.name == name;
        if (!taken) return name;
    }
}

}  // namespace kiln::passes::pattern
