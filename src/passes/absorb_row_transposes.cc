// absorb-row-transposes: transposes that only reorder the rows of a projection GEMM around an Attention
// node (torch MultiheadAttention's sequence-first exports, ViT) disappear into the Attention node's views
// and output layout. A MatrixMultiply with a constant 2-D weight (bias and activation allowed: both act per
// output row; no residual addend, which would have its own row order) computes each output row from the
// same input row alone, so permuting its input rows permutes its output rows and nothing else:
//   input side:  X -Shuffle(permute non-last dims)-> Xt -> MatMul -> P, P read only by Attention nodes as
//                STRIDED views. The MatMul reads X instead (P comes out in X's row order) and each view is
//                re-expressed over the new P (strided_axes' moveAxes: the offset's coordinates and the axes
//                move with the dims); the transpose dies.
//   output side: Attention (out SBHD or BSHD) -reshape-> MatMul -reshape-> [L0, L1, N] -Shuffle swapping
//                L0, L1-> Y. The Attention node writes the other layout (rows in Y's order), the first
//                reshape follows, and the swapping Shuffle becomes a reshape of the MatMul's output; the
//                reshape before it dies.
// Numbers are unchanged: the same rows are computed, only in another order. Anything else (another reader
// of an intermediate, a graph output, unknown dims, a non-constant or non-2-D weight, an addend, a view
// that would not survive the move) leaves the graph unchanged. Runs after fuse-attention, which makes the
// Attention nodes and their views.
#include <optional>
#include <utility>
#include <vector>

#include "ir/attention_layout.h"
#include "passes/pass.h"
#include "passes/pattern.h"
#include "passes/strided_axes.h"

namespace kiln::passes {
namespace {

using pattern::Uses;

bool knownShape(const ir::Graph& g, ir::TensorId t) {
    return t != ir::kNoTensor && isFullyKnown(g.tensor(t).shape);
}

/// A Shuffle without reshape or shape input whose transposes together only reorder the dims before the
/// last (and really move data): out dim k is in dim perm[k]. Nullopt otherwise.
std::optional<DimMap> rowPermutation(const ir::Graph& g, const ir::Node& n) {
    if (n.kind() != ir::OpKind::kShuffle || n.outputs.size() != 1 || n.inputs.empty()) return std::nullopt;
    if (n.inputs.size() > 1 && n.inputs[1] != ir::kNoTensor) return std::nullopt;
    const auto& attrs = std::get<ir::ShuffleAttrs>(n.attrs);
    const Dims& x = g.tensor(n.inputs[0]).shape;
    const Dims& y = g.tensor(n.outputs[0]).shape;
    if (attrs.hasReshape || !isFullyKnown(x) || !isFullyKnown(y) || x.nbDims != y.nbDims || x.nbDims < 2 ||
        isReshapeOnly(g, n))
        return std::nullopt;
    const int r = x.nbDims;
    DimMap perm{};
    std::vector<bool> seen(static_cast<size_t>(r), false);
    for (int k = 0; k < r; ++k) {
        const int32_t second = attrs.secondTranspose.order[k];
        if (second < 0 || second >= r) return std::nullopt;
        const int32_t p = attrs.firstTranspose.order[second];
        if (p < 0 || p >= r || seen[static_cast<size_t>(p)] || y.d[k] != x.d[p]) return std::nullopt;
        seen[static_cast<size_t>(p)] = true;
        perm[static_cast<size_t>(k)] = p;
    }
    if (perm[static_cast<size_t>(r - 1)] != r - 1) return std::nullopt;
    return perm;
}

/// Whether node n is MatrixMultiply(a, W) with W a 2-D constant and no addend: each output row (all dims
/// but the last) is computed from the same row of a alone.
bool isRowProjection(const ir::Graph& g, const ir::Node& n, ir::TensorId a) {
    if (n.kind() != ir::OpKind::kMatrixMultiply || n.inputs.size() < 2 || n.inputs[0] != a) return false;
    const auto& attrs = std::get<ir::MatrixMultiplyAttrs>(n.attrs);
    if (attrs.op0 != MatrixOperation::kNONE ||
        (attrs.op1 != MatrixOperation::kNONE && attrs.op1 != MatrixOperation::kTRANSPOSE))
        return false;
    if (n.inputs.size() > 3 && n.inputs[3] != ir::kNoTensor) return false;  // a residual addend
    const ir::TensorId w = n.inputs[1];
    return pattern::isConstant(g, w) && g.tensor(w).shape.nbDims == 2 && knownShape(g, w) &&
           g.tensor(a).shape.nbDims >= 2;
}

/// Every (Attention node, operand slot) reading p, when p is read by Attention nodes only, as STRIDED q,
/// k or v operands; empty otherwise.
std::vector<std::pair<ir::NodeId, int>> stridedReaders(const ir::Graph& g, ir::TensorId p) {
    std::vector<std::pair<ir::NodeId, int>> out;
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(g.nodes().size()); ++id) {
        const ir::Node& n = g.node(id);
        for (size_t slot = 0; slot < n.inputs.size(); ++slot) {
            if (n.inputs[slot] != p) continue;
            const auto* a = std::get_if<ir::AttentionAttrs>(&n.attrs);
            if (!a || slot > 2 ||
                ir::attentionOperandLayout(*a, static_cast<int>(slot)) != ir::AttentionLayout::kSTRIDED)
                return {};
            out.emplace_back(id, static_cast<int>(slot));
        }
    }
    return out;
}

/// Input side at MatrixMultiply node mmId; returns whether it rewrote.
bool absorbBefore(ir::Graph& g, ir::NodeId mmId) {
    const Uses uses(g);
    const ir::Node& mm = g.node(mmId);
    if (mm.kind() != ir::OpKind::kMatrixMultiply || mm.outputs.size() != 1) return false;
    const ir::TensorId xt = mm.inputs[0], p = mm.outputs[0];
    const ir::Node* transpose = pattern::producerOf(g, xt, ir::OpKind::kShuffle);
    if (!transpose || uses.soleConsumer(g, xt) != mmId || !isRowProjection(g, mm, xt)) return false;
    const std::optional<DimMap> perm = rowPermutation(g, *transpose);
    const ir::TensorId x = transpose->inputs[0];
    if (!perm || g.tensor(p).isOutput || !knownShape(g, p) ||
        g.tensor(p).shape.nbDims != g.tensor(xt).shape.nbDims)
        return false;
    const std::vector<std::pair<ir::NodeId, int>> readers = stridedReaders(g, p);
    if (readers.empty()) return false;
    // P's rows follow Xt's: dim k of the old P is dim perm[k] of the new one.
    const Dims oldP = g.tensor(p).shape;
    Dims newP = oldP;
    for (int k = 0; k < oldP.nbDims; ++k) newP.d[(*perm)[static_cast<size_t>(k)]] = oldP.d[k];
    std::vector<std::vector<int64_t>> views;
    for (const auto& [id, slot] : readers) {
        const auto& attrs = std::get<ir::AttentionAttrs>(g.node(id).attrs);
        const StatusOr<ir::AttentionView> view = ir::attentionView(attrs, slot, oldP);
        if (!view.isOk()) return false;
        const StridedAxes old{p, view.value().extent, view.value().stride, view.value().offset};
        const std::optional<StridedAxes> moved = moveAxes(old, oldP, newP, *perm);
        if (!moved) return false;
        views.push_back(ir::attentionViewValues({moved->offset, moved->extent, moved->stride}));
    }
    g.node(mmId).inputs[0] = x;
    g.tensor(p).shape = newP;
    for (size_t i = 0; i < readers.size(); ++i) {
        auto& attrs = std::get<ir::AttentionAttrs>(g.node(readers[i].first).attrs);
        const int slot = readers[i].second;
        (slot == 0 ? attrs.qView : slot == 1 ? attrs.kView : attrs.vView) = views[i];
    }
    return true;
}

/// A Shuffle that only reshapes (a view at run time) and takes no shape input.
bool isPlainReshape(const ir::Graph& g, const ir::Node& n) {
    return n.kind() == ir::OpKind::kShuffle && (n.inputs.size() == 1 || n.inputs[1] == ir::kNoTensor) &&
           n.outputs.size() == 1 && isReshapeOnly(g, n);
}

ir::ShuffleAttrs reshapeTo(const Dims& shape) {
    ir::ShuffleAttrs s;
    s.hasReshape = true;
    s.reshapeDims = shape;
    s.zeroIsPlaceholder = false;
    return s;
}

/// Output side at Attention node attnId; returns whether it rewrote.
bool absorbAfter(ir::Graph& g, ir::NodeId attnId) {
    const Uses uses(g);
    const ir::Node& attn = g.node(attnId);
    const auto& attrs = std::get<ir::AttentionAttrs>(attn.attrs);
    if (attrs.outLayout != ir::AttentionLayout::kSBHD && attrs.outLayout != ir::AttentionLayout::kBSHD)
        return false;
    // O [L0, L1, H, Dv] -> O2 [L0 * L1, H * Dv] or [L0, L1, H * Dv] -> M [.., N] -> M2 [L0, L1, N] -> Y [L1,
    // L0, N].
    const ir::TensorId o = attn.outputs[0];
    if (!knownShape(g, o)) return false;
    const Dims od = g.tensor(o).shape;
    const ir::NodeId r1 = uses.soleConsumer(g, o);
    if (r1 < 0 || !isPlainReshape(g, g.node(r1))) return false;
    const ir::TensorId o2 = g.node(r1).outputs[0];
    const Dims o2d = g.tensor(o2).shape;
    const bool flat = o2d.nbDims == 2 && o2d.d[0] == od.d[0] * od.d[1];
    const bool split = o2d.nbDims == 3 && o2d.d[0] == od.d[0] && o2d.d[1] == od.d[1];
    if (!knownShape(g, o2) || (!flat && !split) || o2d.d[o2d.nbDims - 1] != od.d[2] * od.d[3]) return false;
    const ir::NodeId mmId = uses.soleConsumer(g, o2);
    if (mmId < 0 || !isRowProjection(g, g.node(mmId), o2)) return false;
    const ir::TensorId m = g.node(mmId).outputs[0];
    const ir::NodeId r2 = uses.soleConsumer(g, m);
    if (r2 < 0 || !knownShape(g, m) || !isPlainReshape(g, g.node(r2))) return false;
    const ir::TensorId m2 = g.node(r2).outputs[0];
    const Dims m2d = g.tensor(m2).shape;
    const int64_t n = g.tensor(m).shape.d[g.tensor(m).shape.nbDims - 1];
    if (m2d.nbDims != 3 || m2d.d[0] != od.d[0] || m2d.d[1] != od.d[1] || m2d.d[2] != n) return false;
    const ir::NodeId t2 = uses.soleConsumer(g, m2);
    if (t2 < 0) return false;
    const std::optional<DimMap> perm = rowPermutation(g, g.node(t2));
    if (!perm || (*perm)[0] != 1 || (*perm)[1] != 0) return false;
    const ir::TensorId y = g.node(t2).outputs[0];

    const ir::AttentionLayout swapped = attrs.outLayout == ir::AttentionLayout::kSBHD
                                            ? ir::AttentionLayout::kBSHD
                                            : ir::AttentionLayout::kSBHD;
    std::get<ir::AttentionAttrs>(g.node(attnId).attrs).outLayout = swapped;
    Dims newO2 = o2d;
    if (split) std::swap(newO2.d[0], newO2.d[1]);
    g.node(r1).attrs = reshapeTo(newO2);
    ir::Node& swap = g.node(t2);
    swap.attrs = reshapeTo(g.tensor(y).shape);
    swap.inputs = {m};
    return true;
}

}  // namespace

StatusOr<bool> absorbRowTransposes(ir::Graph& graph, const PassContext&) {
    bool changed = false;
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(graph.nodes().size()); ++id) {
        const ir::OpKind kind = graph.node(id).kind();
        if (kind == ir::OpKind::kMatrixMultiply && absorbBefore(graph, id)) changed = true;
        if (kind == ir::OpKind::kAttention && absorbAfter(graph, id)) changed = true;
    }
    return changed;
}

}  // namespace kiln::passes
