// merge-qkv-projections: an Attention node whose q, k and v come (through reshapes only) from three
// MatrixMultiply nodes reading the same input with constant 2-D weights (BERT's query, key and value
// Linear layers) gets one GEMM with the weights side by side, and reads its three operands out of that
// GEMM's output as STRIDED views (ir::AttentionView), as it reads GPT-2's and ViT's packed projections:
//   Q = X Wq + bq, K = X Wk + bk, V = X Wv + bv   ->   P = X [Wq Wk Wv] + [bq bk bv]   [rows, Nq + Nk + Nv]
// with q at column offset 0, k at Nq and v at Nq + Nk of every row of P. Each output element is the same
// dot product as before (its own column of the weights), so the numbers do not change; one launch of a
// wider GEMM replaces three narrow ones (BERT-base: [tokens, 768] x [768, 2304] instead of three
// [tokens, 768] x [768, 768]), which matters most at small batch, where each of the three is launch- and
// tail-bound. Only when everything matches: the three products distinct, private to the chain, same input,
// same transpose of the weight, same epilogue (bias on all three or none; no residual addend), fully known
// shapes, and views that keep the tensor-core kernel's aligned rows (ir::keepsAlignedRows). Runs after
// fuse-attention, which makes the Attention nodes.
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/dims.h"
#include "ir/attention_layout.h"
#include "passes/pass.h"
#include "passes/pattern.h"
#include "passes/strided_axes.h"

namespace kiln::passes {
namespace {

using pattern::Uses;

/// The MatrixMultiply whose output `t` is (through private reshape-only Shuffles), or -1.
ir::NodeId projectionOf(const ir::Graph& g, const Uses& uses, ir::TensorId t) {
    while (true) {
        if (!uses.isPrivate(g, t)) return -1;
        const ir::NodeId p = g.tensor(t).producer;
        if (p < 0) return -1;
        const ir::Node& n = g.node(p);
        if (n.kind() == ir::OpKind::kMatrixMultiply) return p;
        if (n.kind() != ir::OpKind::kShuffle || !isReshapeOnly(g, n)) return -1;
        t = n.inputs[0];
    }
}

/// A projection's constant weight bytes and its N (output columns).
struct Weight {
    const std::vector<uint8_t>* bytes{nullptr};
    int64_t k{0}, n{0};
};

std::optional<Weight> weightOf(const ir::Graph& g, const ir::Node& mm) {
    const auto& a = std::get<ir::MatrixMultiplyAttrs>(mm.attrs);
    const ir::TensorId w = mm.inputs[1];
    if (a.op0 != MatrixOperation::kNONE || a.op1 == MatrixOperation::kVECTOR || !pattern::isConstant(g, w))
        return std::nullopt;
    const Dims& s = g.tensor(w).shape;
    if (s.nbDims != 2 || !isFullyKnown(s)) return std::nullopt;
    const auto& data = std::get<ir::ConstantAttrs>(g.node(g.tensor(w).producer).attrs).data;
    const bool transposed = a.op1 == MatrixOperation::kTRANSPOSE;
    Weight out{data.get(), transposed ? s.d[1] : s.d[0], transposed ? s.d[0] : s.d[1]};
    if (!data || static_cast<int64_t>(data->size()) != volume(s) * dataTypeSize(g.tensor(w).type))
        return std::nullopt;
    return out;
}

bool sameEpilogue(const ir::EpilogueAttrs& a, const ir::EpilogueAttrs& b) {
    return a.hasActivation == b.hasActivation &&
           (!a.hasActivation || (a.activation == b.activation && a.alpha == b.alpha && a.beta == b.beta));
}

/// `view` (over a projection output whose rows hold `n` columns) as a view over the packed output, whose
/// rows hold `total` columns, starting at column `column`; nullopt when an axis runs across rows.
std::optional<ir::AttentionView> intoPacked(const ir::AttentionView& view, int64_t n, int64_t total,
                                            int64_t column) {
    ir::AttentionView out = view;
    if (view.offset % n + column >= total) return std::nullopt;
    out.offset = view.offset / n * total + view.offset % n + column;
    int64_t within = view.offset % n;  // the farthest column the view reaches inside a row
    for (size_t a = 0; a < 4; ++a) {
        const int64_t e = view.extent[a], s = view.stride[a];
        if (e == 1) continue;
        if (s % n == 0) {
            out.stride[a] = s / n * total;  // steps whole rows
        } else if (s * (e - 1) < n) {
            within += s * (e - 1);  // stays inside a row
        } else {
            return std::nullopt;
        }
    }
    if (within >= n) return std::nullopt;
    return out;
}

bool mergeAt(ir::Graph& g, ir::NodeId id) {
    const Uses uses(g);
    const ir::Node& att = g.node(id);
    const auto& attrs = std::get<ir::AttentionAttrs>(att.attrs);
    if (att.inputs.size() < 3) return false;
    std::array<ir::NodeId, 3> proj{};
    std::array<ir::AttentionView, 3> views{};
    for (int i = 0; i < 3; ++i) {
        const ir::TensorId t = att.inputs[static_cast<size_t>(i)];
        if (ir::attentionOperandLayout(attrs, i) == ir::AttentionLayout::kSTRIDED ||
            !isFullyKnown(g.tensor(t).shape))
            return false;
        for (int j = 0; j < i; ++j)
            if (att.inputs[static_cast<size_t>(j)] == t) return false;
        proj[static_cast<size_t>(i)] = projectionOf(g, uses, t);
        if (proj[static_cast<size_t>(i)] < 0) return false;
        auto v = ir::attentionView(attrs, i, g.tensor(t).shape);
        if (!v.isOk()) return false;
        views[static_cast<size_t>(i)] = v.value();
    }
    if (proj[0] == proj[1] || proj[1] == proj[2] || proj[0] == proj[2]) return false;
    const ir::Node& first = g.node(proj[0]);
    const auto& firstAttrs = std::get<ir::MatrixMultiplyAttrs>(first.attrs);
    const bool biased = first.inputs.size() > 2 && first.inputs[2] != ir::kNoTensor;
    const DataType type = g.tensor(first.outputs[0]).type;
    const Dims rowsShape = g.tensor(first.outputs[0]).shape;
    std::array<Weight, 3> weights{};
    int64_t total = 0;
    for (size_t i = 0; i < 3; ++i) {
        const ir::Node& mm = g.node(proj[i]);
        const auto& a = std::get<ir::MatrixMultiplyAttrs>(mm.attrs);
        const std::optional<Weight> w = weightOf(g, mm);
        if (!w || mm.inputs[0] != first.inputs[0] || a.op1 != firstAttrs.op1 ||
            !sameEpilogue(a.epilogue, firstAttrs.epilogue) || g.tensor(mm.outputs[0]).type != type ||
            g.tensor(mm.inputs[1]).type != g.tensor(first.inputs[1]).type)
            return false;
        if (mm.inputs.size() > 3 && mm.inputs[3] != ir::kNoTensor) return false;  // a residual addend
        const bool hasBias = mm.inputs.size() > 2 && mm.inputs[2] != ir::kNoTensor;
        if (hasBias != biased) return false;
        if (hasBias && (!pattern::isConstant(g, mm.inputs[2]) || g.tensor(mm.inputs[2]).type != type ||
                        g.tensor(mm.inputs[2]).shape != makeDims({w->n})))
            return false;
        const Dims& out = g.tensor(mm.outputs[0]).shape;
        if (!isFullyKnown(out) || out.nbDims != rowsShape.nbDims || out.d[out.nbDims - 1] != w->n ||
            (i > 0 && w->k != weights[0].k))
            return false;
        for (int d = 0; d + 1 < out.nbDims; ++d)
            if (out.d[d] != rowsShape.d[d]) return false;
        weights[i] = *w;
        total += w->n;
    }
    std::array<std::vector<int64_t>, 3> packedViews;
    int64_t column = 0;
    for (size_t i = 0; i < 3; ++i) {
        const std::optional<ir::AttentionView> v = intoPacked(views[i], weights[i].n, total, column);
        if (!v || !ir::keepsAlignedRows(*v)) return false;
        packedViews[i] = ir::attentionViewValues(*v);
        column += weights[i].n;
    }

    // The packed weight: [K, total] (rows side by side) or, for a transposed weight, [total, K] (stacked).
    const DataType wType = g.tensor(first.inputs[1]).type;
    const int64_t es = dataTypeSize(wType), k = weights[0].k;
    const bool transposed = firstAttrs.op1 == MatrixOperation::kTRANSPOSE;
    std::vector<uint8_t> packed(static_cast<size_t>(k * total * es));
    int64_t at = 0;
    for (const Weight& w : weights) {
        if (transposed) {
            std::memcpy(packed.data() + at * k * es, w.bytes->data(), static_cast<size_t>(w.n * k * es));
        } else {
            for (int64_t r = 0; r < k; ++r)
                std::memcpy(packed.data() + (r * total + at) * es, w.bytes->data() + r * w.n * es,
                            static_cast<size_t>(w.n * es));
        }
        at += w.n;
    }
    std::vector<uint8_t> packedBias;
    if (biased)
        for (size_t i = 0; i < 3; ++i) {
            const ir::Node& mm = g.node(proj[i]);
            const auto& b = std::get<ir::ConstantAttrs>(g.node(g.tensor(mm.inputs[2]).producer).attrs).data;
            if (!b || static_cast<int64_t>(b->size()) != weights[i].n * dataTypeSize(type)) return false;
            packedBias.insert(packedBias.end(), b->begin(), b->end());
        }

    const ir::TensorId x = first.inputs[0];
    const std::string name = first.name + "_qkv";
    ir::MatrixMultiplyAttrs mm = firstAttrs;
    Dims outShape = rowsShape;
    outShape.d[outShape.nbDims - 1] = total;
    ir::AttentionAttrs newAttrs = attrs;
    newAttrs.qLayout = newAttrs.kLayout = newAttrs.vLayout = ir::AttentionLayout::kSTRIDED;
    newAttrs.qView = packedViews[0];
    newAttrs.kView = packedViews[1];
    newAttrs.vView = packedViews[2];
    // Node references die from here on.
    const ir::TensorId w =
        g.addConstant(pattern::freshName(g, name + "_weights"), wType,
                      transposed ? makeDims({total, k}) : makeDims({k, total}), std::move(packed));
    std::vector<ir::TensorId> inputs = {x, w};
    if (biased)
        inputs.push_back(g.addConstant(pattern::freshName(g, name + "_bias"), type, makeDims({total}),
                                       std::move(packedBias)));
    const ir::TensorId product = pattern::addOp(g, name, mm, std::move(inputs), type, outShape);
    ir::Node& fused = g.node(id);
    fused.attrs = newAttrs;
    for (size_t i = 0; i < 3; ++i) fused.inputs[i] = product;  // the old projections die with their reshapes
    return true;
}

}  // namespace

StatusOr<bool> mergeQkvProjections(ir::Graph& graph, const PassContext& ctx) {
    if (!ctx.cudaTarget) return false;  // Attention nodes exist only in GPU plans
    bool changed = false;
    const auto count = static_cast<ir::NodeId>(graph.nodes().size());  // not the nodes this pass appends
    for (ir::NodeId id = 0; id < count; ++id)
        if (graph.node(id).kind() == ir::OpKind::kAttention && mergeAt(graph, id)) changed = true;
    return changed;
}

}  // namespace kiln::passes
