// Helpers for the pass tests: building small graphs (inputs, constants of given values, ops), running a
// whole graph on the reference backend node by node (the single-op harness of tests/support), and
// checking that a pass left the numbers alone: the same seeded random inputs through the graph before and
// after the pass must give the same outputs within a tolerance.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/pass.h"
#include "support/single_op.h"

namespace kiln::passtest {

inline Dims dims(std::initializer_list<int64_t> v) {
    Dims d{};
    d.nbDims = static_cast<int32_t>(v.size());
    int i = 0;
    for (int64_t x : v) d.d[i++] = x;
    return d;
}

/// The pass context of a GPU plan (cuda:N) that may lower float32 to `reduced`.
inline passes::PassContext gpuContext(DataType reduced = DataType::kHALF) {
    passes::PassContext ctx;
    ctx.cudaTarget = true;
    ctx.reducedPrecision = reduced;
    return ctx;
}

/// A Constant of `type` and `shape` holding `values` (converted to the type).
inline ir::TensorId constant(ir::Graph& g, const std::string& name, DataType type, Dims shape,
                             const std::vector<double>& values) {
    HostTensor h = HostTensor::fromVector(type, shape, values);
    return g.addConstant(name, type, shape, h.bytes);
}

/// A one-element Constant of shape [] (0-D), as exporters write scalars.
inline ir::TensorId scalar(ir::Graph& g, const std::string& name, DataType type, double value) {
    Dims d{};
    d.nbDims = 0;
    return constant(g, name, type, d, {value});
}

/// Adds a single-output node and returns its output.
inline ir::TensorId op(ir::Graph& g, const std::string& name, ir::Attrs attrs, std::vector<ir::TensorId> inputs) {
    const ir::NodeId n = g.addNode(name, std::move(attrs), std::move(inputs), 1);
    return g.node(n).outputs[0];
}

inline ir::TensorId binary(ir::Graph& g, const std::string& name, ElementWiseOperation o, ir::TensorId a,
                           ir::TensorId b) {
    ir::ElementWiseAttrs e;
    e.op = o;
    return op(g, name, e, {a, b});
}

inline ir::TensorId activation(ir::Graph& g, const std::string& name, ActivationType t, ir::TensorId x,
                               float alpha = 0.0f, float beta = 0.0f) {
    ir::ActivationAttrs a;
    a.type = t;
    a.alpha = alpha;
    a.beta = beta;
    return op(g, name, a, {x});
}

/// A Shuffle that only reshapes x to `to`.
inline ir::TensorId reshape(ir::Graph& g, const std::string& name, ir::TensorId x, Dims to) {
    ir::ShuffleAttrs s;
    s.hasReshape = true;
    s.reshapeDims = to;
    return op(g, name, s, {x});
}

/// A Shuffle that only transposes x: output dim i is input dim perm[i].
inline ir::TensorId transpose(ir::Graph& g, const std::string& name, ir::TensorId x,
                              std::initializer_list<int32_t> perm) {
    ir::ShuffleAttrs s;
    int i = 0;
    for (int32_t p : perm) s.firstTranspose.order[i++] = p;
    return op(g, name, s, {x});
}

/// Runs the graph on the reference backend, node by node in order; returns the graph outputs.
inline StatusOr<std::vector<HostTensor>> runReference(const ir::Graph& g, const std::vector<HostTensor>& inputs) {
    std::vector<HostTensor> values(g.tensors().size());
    for (size_t i = 0; i < g.inputs().size(); ++i) values[static_cast<size_t>(g.inputs()[i])] = inputs.at(i);
    for (const ir::Node& n : g.nodes()) {
        if (n.kind() == ir::OpKind::kConstant) {  // its shape lives on the tensor, not in the attributes
            const ir::Tensor& t = g.tensor(n.outputs[0]);
            HostTensor h(t.type, t.shape);
            const auto& data = std::get<ir::ConstantAttrs>(n.attrs).data;
            if (data) h.bytes = *data;
            values[static_cast<size_t>(n.outputs[0])] = std::move(h);
            continue;
        }
        std::vector<HostTensor> ins;
        for (ir::TensorId t : n.inputs) ins.push_back(t == ir::kNoTensor ? HostTensor::absent() : values[static_cast<size_t>(t)]);
        std::vector<DataType> outTypes;
        for (ir::TensorId t : n.outputs) outTypes.push_back(g.tensor(t).type);
        KILN_ASSIGN_OR_RETURN(std::vector<HostTensor> outs,
                              testing::runSingleOp(n.attrs, ins, static_cast<int>(n.outputs.size()), outTypes));
        for (size_t k = 0; k < outs.size(); ++k) values[static_cast<size_t>(n.outputs[k])] = std::move(outs[k]);
    }
    std::vector<HostTensor> out;
    for (ir::TensorId t : g.outputs()) out.push_back(values[static_cast<size_t>(t)]);
    return out;
}

/// Seeded random values in [lo, hi] for every graph input.
inline std::vector<HostTensor> randomInputs(const ir::Graph& g, uint64_t seed, double lo = -3.0, double hi = 3.0) {
    std::vector<HostTensor> in;
    for (ir::TensorId t : g.inputs()) in.push_back(HostTensor::random(g.tensor(t).type, g.tensor(t).shape, seed++, lo, hi));
    return in;
}

/// Runs `before` and `after` on the same random inputs; every output element must agree within
/// atol + rtol * |expected|.
inline void expectSameNumbers(const ir::Graph& before, const ir::Graph& after, double atol, double rtol,
                              uint64_t seed = 7) {
    const std::vector<HostTensor> in = randomInputs(before, seed);
    auto want = runReference(before, in);
    auto got = runReference(after, in);
    ASSERT_TRUE(want.isOk()) << want.status().message();
    ASSERT_TRUE(got.isOk()) << got.status().message();
    ASSERT_EQ(want.value().size(), got.value().size());
    for (size_t o = 0; o < want.value().size(); ++o) {
        const HostTensor& w = want.value()[o];
        const HostTensor& h = got.value()[o];
        ASSERT_EQ(w.type, h.type);
        ASSERT_TRUE(w.shape == h.shape) << toString(w.shape) << " vs " << toString(h.shape);
        int bad = 0;
        for (int64_t i = 0; i < w.numel() && bad < 5; ++i) {
            const double e = w.at(i), v = h.at(i);
            if (std::fabs(v - e) > atol + rtol * std::fabs(e)) {
                ADD_FAILURE() << "output " << o << " element " << i << ": after the pass " << v << ", before " << e;
                ++bad;
            }
        }
    }
}

inline int countKind(const ir::Graph& g, ir::OpKind kind) {
    int c = 0;
    for (const ir::Node& n : g.nodes()) c += n.kind() == kind;
    return c;
}

/// The only node of `kind` (fails the test when there is not exactly one).
inline const ir::Node& onlyNode(const ir::Graph& g, ir::OpKind kind) {
    const ir::Node* found = nullptr;
    for (const ir::Node& n : g.nodes())
        if (n.kind() == kind) {
            EXPECT_EQ(found, nullptr) << "more than one " << ir::opName(kind);
            found = &n;
        }
    EXPECT_NE(found, nullptr) << "no " << ir::opName(kind);
    return found ? *found : g.nodes().front();
}

/// Runs pass `name` alone; the graph must stay valid. Returns whether it changed the graph.
inline bool runOnly(const std::string& name, ir::Graph& g, const passes::PassContext& ctx = {}) {
    auto r = passes::runPass(name, g, ctx);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() && r.value();
}

/// Runs pass `name` on g and expects no change at all (same textual IR).
inline void expectUnchanged(const std::string& name, ir::Graph& g, const passes::PassContext& ctx = {}) {
    const std::string before = ir::dumpGraph(g);
    EXPECT_FALSE(runOnly(name, g, ctx));
    EXPECT_EQ(ir::dumpGraph(g), before);
}

}  // namespace kiln::passtest
