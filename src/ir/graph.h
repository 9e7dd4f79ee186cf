// The IR: a Graph of typed Tensors produced and consumed by Nodes. Tensors and nodes are addressed by
// index; -1 means "absent" (an optional input not given). Node order is a valid topological order after
// topoSort(); builders append nodes in creation order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ir/op.h"
#include "kiln/types.h"

namespace kiln::ir {

using TensorId = int32_t;
using NodeId = int32_t;
constexpr TensorId kNoTensor = -1;

struct Tensor {
    std::string name;
    DataType type{DataType::kFLOAT};
    Dims shape{};              ///< -1 dims are unknown until run time
    NodeId producer{-1};       ///< -1 for graph inputs
    bool isInput{false};
    bool isOutput{false};
    /// For network inputs: optimization-profile bounds are later; for now the declared shape.
};

struct Node {
    std::string name;
    Attrs attrs;
    std::vector<TensorId> inputs;
    std::vector<TensorId> outputs;
    /// Output types the user asked for (TensorRT's setOutputType); kFLOAT default unless set.
    OpKind kind() const { return opKindOf(attrs); }
};

class Graph {
public:
    TensorId addTensor(std::string name, DataType type, Dims shape);
    TensorId addInput(std::string name, DataType type, Dims shape);
    /// Appends a node and creates its outputs (named `<node>_out<i>` unless names are given); output types
    /// and shapes are filled by inferShapes().
    NodeId addNode(std::string name, Attrs attrs, std::vector<TensorId> inputs, int32_t nbOutputs);
    /// A Constant node holding `data` (row-major, of `type` and `shape`); returns its output tensor.
    TensorId addConstant(std::string name, DataType type, Dims shape, std::vector<uint8_t> data);
    void markOutput(TensorId t);
    void unmarkOutput(TensorId t);

    std::vector<Tensor>& tensors() { return mTensors; }
    const std::vector<Tensor>& tensors() const { return mTensors; }
    std::vector<Node>& nodes() { return mNodes; }
    const std::vector<Node>& nodes() const { return mNodes; }
    const std::vector<TensorId>& inputs() const { return mInputs; }
    const std::vector<TensorId>& outputs() const { return mOutputs; }
    std::vector<TensorId>& inputs() { return mInputs; }
    std::vector<TensorId>& outputs() { return mOutputs; }

    Tensor& tensor(TensorId id) { return mTensors[static_cast<size_t>(id)]; }
    const Tensor& tensor(TensorId id) const { return mTensors[static_cast<size_t>(id)]; }
    Node& node(NodeId id) { return mNodes[static_cast<size_t>(id)]; }
    const Node& node(NodeId id) const { return mNodes[static_cast<size_t>(id)]; }

    /// Checks ids, arities, unique tensor names, single producers and the absence of cycles.
    Status validate() const;
    /// Reorders nodes topologically (stable); fails naming a node on a cycle.
    Status topoSort();
    /// Runs type/shape inference over all nodes in order (see ir/infer.h); errors name the node.
    Status inferShapes();
    /// Runs inference for one node whose inputs are already inferred; errors name the node.
    Status inferNodeShapes(NodeId id);
    /// Removes nodes whose outputs reach no graph output, and tensors no longer referenced.
    void removeDeadNodes();

    /// "Name (OpKind #i)" for error messages.
    std::string describeNode(NodeId id) const;

private:
    std::vector<Tensor> mTensors;
    std::vector<Node> mNodes;
    std::vector<TensorId> mInputs;
    std::vector<TensorId> mOutputs;
};

/// Per tensor id: whether its values decide shapes, i.e. it feeds a shape-input slot (isShapeInputSlot)
/// directly or through other nodes (a Shape node passes on only its input's shape, not its values). The
/// runtime reads such graph inputs on the host; reduced precision keeps such tensors float32.
std::vector<bool> shapeValueTensors(const Graph& graph);

/// Textual dump, one line per tensor declaration and per node, e.g.
///   %conv1_out0: float32[1,8,30,30] = Convolution(%x, %w, %b) {nb_output_maps=8, kernel_size=[3,3], ...}
std::string dumpGraph(const Graph& graph);

}  // namespace kiln::ir
