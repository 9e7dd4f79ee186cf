// Helpers the pattern passes share: who consumes each tensor, whether an intermediate tensor is private to
// one consumer (so a fusion may drop it), scalar constants read in any float format, fresh names, and
// reshapes. Passes rewrite by turning the last node of a matched chain into the fused node (its output
// tensor, name and consumers stay) and leave the rest as orphans for the pipeline's dead-node removal.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common/tensor_ref.h"
#include "ir/graph.h"

namespace kiln::passes::pattern {

/// Per tensor: the number of input slots of live nodes reading it, and the last such node. A node is live
/// when a graph output depends on it: the nodes a fusion left for dead-node removal (which runs only after
/// the pass) still read their old inputs, and must not make those look shared to the pass's next match.
struct Uses {
    std::vector<int32_t> count;
    std::vector<ir::NodeId> consumer;

    explicit Uses(const ir::Graph& g) : count(g.tensors().size(), 0), consumer(g.tensors().size(), -1) {
        std::vector<bool> live(g.nodes().size(), false);
        std::vector<ir::TensorId> stack(g.outputs().begin(), g.outputs().end());
        while (!stack.empty()) {
            const ir::TensorId t = stack.back();
            stack.pop_back();
            const ir::NodeId p = t == ir::kNoTensor ? -1 : g.tensor(t).producer;
            if (p < 0 || live[static_cast<size_t>(p)]) continue;
            live[static_cast<size_t>(p)] = true;
            stack.insert(stack.end(), g.node(p).inputs.begin(), g.node(p).inputs.end());
        }
        for (ir::NodeId n = 0; n < static_cast<ir::NodeId>(g.nodes().size()); ++n) {
            if (!live[static_cast<size_t>(n)]) continue;
            for (ir::TensorId t : g.node(n).inputs) {
                if (t == ir::kNoTensor) continue;
                ++count[static_cast<size_t>(t)];
                consumer[static_cast<size_t>(t)] = n;
            }
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

/// Shuffle attributes that only reshape, to `shape` (fully known: a 0 is an extent, not a placeholder).
inline ir::ShuffleAttrs reshapeTo(const Dims& shape) {
    ir::ShuffleAttrs a;
    a.hasReshape = true;
    a.reshapeDims = shape;
    a.zeroIsPlaceholder = false;
    return a;
}

/// Appends a one-output node computing `attrs` over `inputs` and returns its output, named from `base` and
/// typed and shaped at once (`type`, `shape`), so later matching in the same pass can read it before
/// inference runs again. Adding a node invalidates node references.
inline ir::TensorId addOp(ir::Graph& g, const std::string& base, ir::Attrs attrs,
                          std::vector<ir::TensorId> inputs, DataType type, const Dims& shape) {
    const std::string name = freshName(g, base);
    const ir::NodeId id = g.addNode(name, std::move(attrs), std::move(inputs), 1);
    const ir::TensorId out = g.node(id).outputs[0];
    ir::Tensor& t = g.tensor(out);
    t.name = name;
    t.type = type;
    t.shape = shape;
    return out;
}

/// Appends a Shuffle reshaping `input` to `shape` (fully known, of input's volume) and returns its output
/// (addOp).
inline ir::TensorId addReshape(ir::Graph& g, const std::string& base, ir::TensorId input, const Dims& shape) {
    return addOp(g, base, reshapeTo(shape), {input}, g.tensor(input).type, shape);
}

}  // namespace kiln::passes::pattern
