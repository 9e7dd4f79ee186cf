// What fuse-matmul-epilogue and fuse-conv-epilogue share: moving the single consumer of an op's output
// into the op's epilogue (ir::EpilogueAttrs). The consumer is found directly or behind a chain of private
// reshape-only Shuffles (exporters put one between a Gemm's [B*S, N] product and the [B, S, N] residual
// add or activation; the runtime makes such reshapes views). Without a chain, the op node `id` and its
// consumer are merged by turning the consumer into the op (its output tensor, and so every later reader,
// stays); the old op node is left for dead-node removal. With a chain, the op keeps its place and its
// output shape and takes the epilogue, and the consumer becomes one reshape of that output to the shape
// the consumer read: the epilogue is elementwise over the same row-major element order, so only the
// addend needs reshaping (a new reshape of it, also a view). The residual (addend) is the other operand
// of an ElementWise kSUM whose shape and type are those of the tensor the sum reads; the activation is any
// Activation node. Steps keep the epilogue's order y = act(result + bias + addend): nothing is added after
// an activation, and one addend at most.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "passes/pattern.h"
#include "passes/strided_axes.h"

namespace kiln::passes::epilogue {

/// The node that would be absorbed into an op whose output is `out`, and how it is reached.
struct Consumer {
    ir::NodeId node{-1};               ///< the candidate; -1 when out has no single consumer
    ir::TensorId seen{ir::kNoTensor};  ///< the tensor `node` reads: out, or the last reshape's output
    ir::NodeId lastReshape{-1};        ///< the chain's last Shuffle, -1 when node reads out directly
    bool reshaped() const { return lastReshape >= 0; }
};

/// The sole consumer of `out`, looking through private reshape-only Shuffles (isReshapeOnly: fully known
/// shapes, no transpose moving a dim), each reading the previous tensor as its data input.
inline Consumer consumerOf(const ir::Graph& g, const pattern::Uses& uses, ir::TensorId out) {
    Consumer c{uses.soleConsumer(g, out), out, -1};
    while (c.node >= 0) {
        const ir::Node& n = g.node(c.node);
        if (n.kind() != ir::OpKind::kShuffle || n.inputs[0] != c.seen || !isReshapeOnly(g, n)) break;
        c.lastReshape = c.node;
        c.seen = n.outputs[0];
        c.node = uses.soleConsumer(g, c.seen);
    }
    return c;
}

/// The other operand of the kSUM node `sum` that reads `out`.
inline ir::TensorId otherOperand(const ir::Node& sum, ir::TensorId out) {
    return sum.inputs[0] == out ? sum.inputs[1] : sum.inputs[0];
}

/// Whether t can be the addend of an op whose output is read as `seen` (the output itself or a reshape of
/// it): the same float type and the same fully known shape. (It cannot depend on the op's output: each
/// tensor from the output to `seen` has one consumer, ending at the node reading t, and a path from the
/// output to t would close a cycle through that node.)
inline bool isAddend(const ir::Graph& g, ir::TensorId t, ir::TensorId seen) {
    if (t == ir::kNoTensor || t == seen) return false;
    const ir::Tensor& a = g.tensor(t);
    const ir::Tensor& o = g.tensor(seen);
    return a.type == o.type && isFloatType(o.type) && isFullyKnown(o.shape) && a.shape == o.shape;
}

/// Replaces node `consumer` by op node `id` with attrs `attrs` and inputs `inputs` (the old op node
/// becomes dead). The fused node keeps the op's name, so profiles still show the op.
template <class Attrs>
void mergeInto(ir::Graph& g, ir::NodeId id, ir::NodeId consumer, const Attrs& attrs,
               std::vector<ir::TensorId> inputs) {
    const std::string name = g.node(id).name;
    ir::Node& fused = g.node(consumer);
    fused.name = name;
    fused.attrs = attrs;
    fused.inputs = std::move(inputs);
}

/// Absorbs c.node into op `id` (see the file comment): merged in its place, or, behind a reshape chain,
/// the op takes `attrs` and `inputs` where it stands and c.node becomes the reshape of the op's output to
/// c.seen's shape, named after the chain's last Shuffle (the chain is left dead).
template <class Attrs>
void absorb(ir::Graph& g, ir::NodeId id, const Consumer& c, const Attrs& attrs,
            std::vector<ir::TensorId> inputs) {
    if (!c.reshaped()) {
        mergeInto(g, id, c.node, attrs, std::move(inputs));
        return;
    }
    ir::Node& op = g.node(id);
    op.attrs = attrs;
    op.inputs = std::move(inputs);
    const ir::TensorId out = op.outputs[0];
    ir::Node& reshape = g.node(c.node);
    reshape.name = g.node(c.lastReshape).name;
    reshape.attrs = pattern::reshapeTo(g.tensor(c.seen).shape);
    reshape.inputs = {out};
}

/// Absorbs the sole consumer of op `id`'s output (consumerOf) when it is an addend sum (slot
/// `addendSlot`, while no addend and no activation are fused yet) or an Activation (while none is fused).
/// Returns whether it did.
template <class Attrs>
bool absorbAddendOrActivation(ir::Graph& g, const pattern::Uses& uses, ir::NodeId id, size_t addendSlot) {
    const ir::TensorId out = g.node(id).outputs[0];
    if (!isFloatType(g.tensor(out).type)) return false;
    const Consumer c = consumerOf(g, uses, out);
    if (c.node < 0) return false;
    Attrs attrs = std::get<Attrs>(g.node(id).attrs);
    if (attrs.epilogue.hasActivation) return false;
    std::vector<ir::TensorId> inputs = g.node(id).inputs;
    const ir::Node& next = g.node(c.node);
    if (next.kind() == ir::OpKind::kActivation) {
        const ir::ActivationAttrs& act = std::get<ir::ActivationAttrs>(next.attrs);
        attrs.epilogue.hasActivation = true;
        attrs.epilogue.activation = act.type;
        attrs.epilogue.alpha = act.alpha;
        attrs.epilogue.beta = act.beta;
        absorb(g, id, c, attrs, std::move(inputs));
        return true;
    }
    if (next.kind() != ir::OpKind::kElementWise ||
        std::get<ir::ElementWiseAttrs>(next.attrs).op != ElementWiseOperation::kSUM)
        return false;
    if (inputs.size() > addendSlot && inputs[addendSlot] != ir::kNoTensor) return false;
    ir::TensorId addend = otherOperand(next, c.seen);
    if (!isAddend(g, addend, c.seen)) return false;
    // In the op's output shape; the reshape adds a node, so `next` is not used past here.
    if (c.reshaped())
        addend = pattern::addReshape(g, g.tensor(out).name + "_addend", addend, g.tensor(out).shape);
    inputs.resize(std::max(inputs.size(), addendSlot + 1), ir::kNoTensor);
    inputs[addendSlot] = addend;
    absorb(g, id, c, attrs, std::move(inputs));
    return true;
}

}  // namespace kiln::passes::epilogue
