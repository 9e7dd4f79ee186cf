// Graph construction, validation, topological sort, whole-graph inference and dead-node removal.
#include "ir/graph.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "common/dims.h"
#include "ir/infer.h"

namespace kiln::ir {

TensorId Graph::addTensor(std::string name, DataType type, Dims shape) {
    Tensor t;
    t.name = std::move(name);
    t.type = type;
    t.shape = shape;
    mTensors.push_back(std::move(t));
    return static_cast<TensorId>(mTensors.size() - 1);
}

TensorId Graph::addInput(std::string name, DataType type, Dims shape) {
    TensorId id = addTensor(std::move(name), type, shape);
    mTensors.back().isInput = true;
    mInputs.push_back(id);
    return id;
}

NodeId Graph::addNode(std::string name, Attrs attrs, std::vector<TensorId> inputs, int32_t nbOutputs) {
    NodeId id = static_cast<NodeId>(mNodes.size());
    Node n;
    n.name = std::move(name);
    n.attrs = std::move(attrs);
    n.inputs = std::move(inputs);
    for (int32_t i = 0; i < nbOutputs; ++i) {
        TensorId t = addTensor(n.name + (nbOutputs == 1 ? "_out" : "_out" + std::to_string(i)), DataType::kFLOAT, Dims{});
        mTensors[static_cast<size_t>(t)].producer = id;
        n.outputs.push_back(t);
    }
    mNodes.push_back(std::move(n));
    return id;
}

TensorId Graph::addConstant(std::string name, DataType type, Dims shape, std::vector<uint8_t> data) {
    ConstantAttrs a;
    a.data = std::make_shared<const std::vector<uint8_t>>(std::move(data));
    NodeId n = addNode(std::move(name), a, {}, 1);
    TensorId out = mNodes[static_cast<size_t>(n)].outputs[0];
    mTensors[static_cast<size_t>(out)].type = type;
    mTensors[static_cast<size_t>(out)].shape = shape;
    return out;
}

void Graph::markOutput(TensorId t) {
    if (std::find(mOutputs.begin(), mOutputs.end(), t) != mOutputs.end()) return;
    mOutputs.push_back(t);
    tensor(t).isOutput = true;
}

void Graph::unmarkOutput(TensorId t) {
    mOutputs.erase(std::remove(mOutputs.begin(), mOutputs.end(), t), mOutputs.end());
    tensor(t).isOutput = false;
}

std::string Graph::describeNode(NodeId id) const {
    if (id < 0 || static_cast<size_t>(id) >= mNodes.size()) return "node #" + std::to_string(id);
    const Node& n = node(id);
    return "node '" + n.name + "' (" + std::string(opName(n.kind())) + " #" + std::to_string(id) + ")";
}

Status Graph::validate() const {
    const auto nT = static_cast<TensorId>(mTensors.size());
    std::set<std::string> names;
    for (const Tensor& t : mTensors) {
        if (!names.insert(t.name).second) return invalidArgument("tensor name '" + t.name + "' is used twice");
    }
    std::vector<int> producers(mTensors.size(), 0);
    for (NodeId i = 0; i < static_cast<NodeId>(mNodes.size()); ++i) {
        const Node& n = node(i);
        const OpInfo& info = opInfo(n.kind());
        auto nIn = static_cast<int>(n.inputs.size());
        if (nIn < info.minInputs || nIn > info.maxInputs)
            return invalidArgument(describeNode(i) + ": expected " + std::to_string(info.minInputs) + ".." +
                                   std::to_string(info.maxInputs) + " inputs, found " + std::to_string(nIn));
        for (int k = 0; k < nIn; ++k) {
            TensorId t = n.inputs[static_cast<size_t>(k)];
            if (t == kNoTensor && k >= info.minInputs) continue;
            if (t < 0 || t >= nT)
                return invalidArgument(describeNode(i) + ": input " + std::to_string(k) + " refers to tensor " +
                                       std::to_string(t) + ", which does not exist");
        }
        for (TensorId t : n.outputs) {
            if (t < 0 || t >= nT) return invalidArgument(describeNode(i) + ": output tensor id out of range");
            if (++producers[static_cast<size_t>(t)] > 1)
                return invalidArgument("tensor '" + tensor(t).name + "' has more than one producer");
            if (tensor(t).isInput)
                return invalidArgument(describeNode(i) + " writes network input '" + tensor(t).name + "'");
        }
    }
    for (TensorId t : mInputs)
        if (t < 0 || t >= nT) return invalidArgument("network input id out of range");
    for (TensorId t : mOutputs) {
        if (t < 0 || t >= nT) return invalidArgument("network output id out of range");
        if (!tensor(t).isInput && producers[static_cast<size_t>(t)] == 0)
            return invalidArgument("network output '" + tensor(t).name + "' is produced by no layer");
    }
    // Every consumed tensor must be an input or produced.
    for (NodeId i = 0; i < static_cast<NodeId>(mNodes.size()); ++i) {
        for (TensorId t : node(i).inputs) {
            if (t == kNoTensor) continue;
            if (!tensor(t).isInput && producers[static_cast<size_t>(t)] == 0)
                return invalidArgument(describeNode(i) + " reads tensor '" + tensor(t).name +
                                       "', which is neither a network input nor produced by a layer");
        }
    }
    return Status::ok();
}

Status Graph::topoSort() {
    const size_t nN = mNodes.size();
    std::vector<NodeId> producerOf(mTensors.size(), -1);
    for (NodeId i = 0; i < static_cast<NodeId>(nN); ++i)
        for (TensorId t : mNodes[static_cast<size_t>(i)].outputs) producerOf[static_cast<size_t>(t)] = i;
    // Kahn's algorithm, taking the lowest-index ready node first so the order is stable.
    std::vector<int> pending(nN, 0);
    std::vector<std::vector<NodeId>> users(nN);
    for (NodeId i = 0; i < static_cast<NodeId>(nN); ++i) {
        std::set<NodeId> deps;
        for (TensorId t : mNodes[static_cast<size_t>(i)].inputs)
            if (t != kNoTensor && producerOf[static_cast<size_t>(t)] >= 0) deps.insert(producerOf[static_cast<size_t>(t)]);
        pending[static_cast<size_t>(i)] = static_cast<int>(deps.size());
        for (NodeId d : deps) users[static_cast<size_t>(d)].push_back(i);
    }
    std::set<NodeId> ready;
    for (NodeId i = 0; i < static_cast<NodeId>(nN); ++i)
        if (pending[static_cast<size_t>(i)] == 0) ready.insert(i);
    std::vector<NodeId> order;
    while (!ready.empty()) {
        NodeId n = *ready.begin();
        ready.erase(ready.begin());
        order.push_back(n);
        for (NodeId u : users[static_cast<size_t>(n)])
            if (--pending[static_cast<size_t>(u)] == 0) ready.insert(u);
    }
    if (order.size() != nN) {
        for (NodeId i = 0; i < static_cast<NodeId>(nN); ++i)
            if (pending[static_cast<size_t>(i)] > 0)
                return invalidArgument("the graph has a cycle through " + describeNode(i));
    }
    std::vector<Node> sorted;
    sorted.reserve(nN);
    std::vector<NodeId> newIndex(nN);
    for (size_t k = 0; k < order.size(); ++k) newIndex[static_cast<size_t>(order[k])] = static_cast<NodeId>(k);
    for (NodeId n : order) sorted.push_back(std::move(mNodes[static_cast<size_t>(n)]));
    mNodes = std::move(sorted);
    for (Tensor& t : mTensors)
        if (t.producer >= 0) t.producer = newIndex[static_cast<size_t>(t.producer)];
    return Status::ok();
}

Status Graph::inferShapes() {
    for (NodeId i = 0; i < static_cast<NodeId>(mNodes.size()); ++i) KILN_RETURN_IF_ERROR(inferNodeShapes(i));
    return Status::ok();
}

Status Graph::inferNodeShapes(NodeId i) {
    Node& n = mNodes[static_cast<size_t>(i)];
    std::vector<TensorDesc> in(n.inputs.size());
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        TensorId t = n.inputs[k];
        if (t == kNoTensor) {
            in[k].shape.nbDims = -1;
            continue;
        }
        const Tensor& tt = tensor(t);
        in[k].type = tt.type;
        in[k].shape = tt.shape;
        if (tt.producer >= 0) {
            const Node& p = node(tt.producer);
            if (const auto* c = std::get_if<ConstantAttrs>(&p.attrs); c && c->data) in[k].values = c->data->data();
        }
    }
    std::vector<TensorDesc> out(n.outputs.size());
    for (size_t k = 0; k < n.outputs.size(); ++k) {
        out[k].type = tensor(n.outputs[k]).type;
        out[k].shape = tensor(n.outputs[k]).shape;
    }
    InferContext ctx{in, out};
    KILN_RETURN_IF_ERROR(inferNode(n.attrs, ctx).withContext(describeNode(i)));
    for (size_t k = 0; k < n.outputs.size(); ++k) {
        tensor(n.outputs[k]).type = out[k].type;
        tensor(n.outputs[k]).shape = out[k].shape;
    }
    return Status::ok();
}

std::vector<bool> shapeValueTensors(const Graph& g) {
    std::vector<bool> needed(g.tensors().size(), false);
    for (const Node& n : g.nodes())
        for (size_t k = 0; k < n.inputs.size(); ++k)
            if (n.inputs[k] != kNoTensor && isShapeInputSlot(n.kind(), k)) needed[static_cast<size_t>(n.inputs[k])] = true;
    // Walk backwards: a node producing a needed tensor needs all of its inputs' values too, except a
    // Shape node, which needs only its input's shape.
    for (auto i = static_cast<NodeId>(g.nodes().size()) - 1; i >= 0; --i) {
        const Node& n = g.node(i);
        bool any = false;
        for (TensorId t : n.outputs) any = any || needed[static_cast<size_t>(t)];
        if (!any || n.kind() == OpKind::kShape) continue;
        for (TensorId t : n.inputs)
            if (t != kNoTensor) needed[static_cast<size_t>(t)] = true;
    }
    return needed;
}

void Graph::removeDeadNodes() {
    std::vector<bool> live(mNodes.size(), false);
    std::vector<TensorId> stack(mOutputs.begin(), mOutputs.end());
    std::vector<bool> seen(mTensors.size(), false);
    while (!stack.empty()) {
        TensorId t = stack.back();
        stack.pop_back();
        if (t == kNoTensor || seen[static_cast<size_t>(t)]) continue;
        seen[static_cast<size_t>(t)] = true;
        NodeId p = tensor(t).producer;
        if (p < 0 || live[static_cast<size_t>(p)]) continue;
        live[static_cast<size_t>(p)] = true;
        for (TensorId i : node(p).inputs) stack.push_back(i);
    }
    // Keep tensors that are inputs, or touched by a live node; compact ids.
    std::vector<Node> nodes;
    for (size_t i = 0; i < mNodes.size(); ++i)
        if (live[i]) nodes.push_back(std::move(mNodes[i]));
    std::vector<bool> keepT(mTensors.size(), false);
    for (TensorId t : mInputs) keepT[static_cast<size_t>(t)] = true;
    for (TensorId t : mOutputs) keepT[static_cast<size_t>(t)] = true;
    for (const Node& n : nodes) {
        for (TensorId t : n.inputs)
            if (t != kNoTensor) keepT[static_cast<size_t>(t)] = true;
        for (TensorId t : n.outputs) keepT[static_cast<size_t>(t)] = true;
    }
    std::vector<TensorId> remap(mTensors.size(), kNoTensor);
    std::vector<Tensor> tensors;
    for (size_t i = 0; i < mTensors.size(); ++i) {
        if (!keepT[i]) continue;
        remap[i] = static_cast<TensorId>(tensors.size());
        tensors.push_back(std::move(mTensors[i]));
    }
    auto fix = [&](TensorId& t) {
        if (t != kNoTensor) t = remap[static_cast<size_t>(t)];
    };
    for (Node& n : nodes) {
        for (TensorId& t : n.inputs) fix(t);
        for (TensorId& t : n.outputs) fix(t);
    }
    for (TensorId& t : mInputs) fix(t);
    for (TensorId& t : mOutputs) fix(t);
    mNodes = std::move(nodes);
    mTensors = std::move(tensors);
    for (Tensor& t : mTensors) t.producer = -1;
    for (NodeId i = 0; i < static_cast<NodeId>(mNodes.size()); ++i)
        for (TensorId t : mNodes[static_cast<size_t>(i)].outputs) mTensors[static_cast<size_t>(t)].producer = i;
}

}  // namespace kiln::ir
