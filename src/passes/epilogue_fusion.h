// What fuse-matmul-epilogue and fuse-conv-epilogue share: moving the single consumer of an op's output
// into the op's epilogue (ir::EpilogueAttrs). The op node `id` and its consumer are merged by turning the
// consumer into the op (its output tensor, and so every later reader, stays); the old op node is left
// for dead-node removal. The residual (addend) is the other operand of an ElementWise kSUM whose shape and
// type are the output's; the activation is any Activation node. Steps keep the epilogue's order
// y = act(result + bias + addend): nothing is added after an activation, and one addend at most.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "passes/pattern.h"

namespace kiln::passes::epilogue {

/// The other operand of the kSUM node `sum` that reads `out`.
inline ir::TensorId otherOperand(const ir::Node& sum, ir::TensorId out) {
    return sum.inputs[0] == out ? sum.inputs[1] : sum.inputs[0];
}

/// Whether t can be the addend of an op whose output is `out`: the same float type and the same fully
/// known shape. (It cannot depend on `out`: out's only consumer is the node reading t, and a path from
/// out to t would close a cycle through that node.)
inline bool isAddend(const ir::Graph& g, ir::TensorId t, ir::TensorId out) {
    if (t == ir::kNoTensor || t == out) return false;
    const ir::Tensor& a = g.tensor(t);
    const ir::Tensor& o = g.tensor(out);
    return a.type == o.type && isFloatType(o.type) && isFullyKnown(o.shape) && a.shape == o.shape;
}

/// Replaces node `consumer` by op node `id` with attrs `attrs` and inputs `inputs` (the old op node
/// becomes dead). The fused node keeps the op's name, so profiles still show the op.
template <class Attrs>
void mergeInto(ir::Graph& g, ir::NodeId id, ir::NodeId consumer, const Attrs& attrs, std::vector<ir::TensorId> inputs) {
    const std::string name = g.node(id).name;
    ir::Node& fused = g.node(consumer);
    fused.name = name;
    fused.attrs = attrs;
    fused.inputs = std::move(inputs);
}

/// Absorbs the sole consumer of op `id`'s output when it is an addend sum (slot `addendSlot`, while no
/// addend and no activation are fused yet) or an Activation (while none is fused). Returns whether it did.
template <class Attrs>
bool absorbAddendOrActivation(ir::Graph& g, const pattern::Uses& uses, ir::NodeId id, size_t addendSlot) {
    const ir::Node& op = g.node(id);
    const ir::TensorId out = op.outputs[0];
    if (!isFloatType(g.tensor(out).type)) return false;
    const ir::NodeId c = uses.soleConsumer(g, out);
    if (c < 0) return false;
    Attrs attrs = std::get<Attrs>(op.attrs);
    if (attrs.epilogue.hasActivation) return false;
    std::vector<ir::TensorId> inputs = op.inputs;
    const ir::Node& next = g.node(c);
    if (next.kind() == ir::OpKind::kActivation) {
        const ir::ActivationAttrs& act = std::get<ir::ActivationAttrs>(next.attrs);
        attrs.epilogue.hasActivation = true;
        attrs.epilogue.activation = act.type;
        attrs.epilogue.alpha = act.alpha;
        attrs.epilogue.beta = act.beta;
        mergeInto(g, id, c, attrs, std::move(inputs));
        return true;
    }
    if (next.kind() != ir::OpKind::kElementWise ||
        std::get<ir::ElementWiseAttrs>(next.attrs).op != ElementWiseOperation::kSUM)
        return false;
    if (inputs.size() > addendSlot && inputs[addendSlot] != ir::kNoTensor) return false;
    const ir::TensorId addend = otherOperand(next, out);
    if (!isAddend(g, addend, out)) return false;
    inputs.resize(std::max(inputs.size(), addendSlot + 1), ir::kNoTensor);
    inputs[addendSlot] = addend;
    mergeInto(g, id, c, attrs, std::move(inputs));
    return true;
}

}  // namespace kiln::passes::epilogue
