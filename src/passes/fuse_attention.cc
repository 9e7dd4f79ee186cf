// fuse-attention: scaled dot-product attention written as separate ops becomes one Attention node
// (ir::AttentionAttrs), for GPU plans, where one flash-style kernel replaces two batched matmuls, the
// scale/mask pointwise pass over the scores, the softmax and the head transposes. Matched, from the
// SoftMax outwards (every intermediate private to the chain, shapes fully known, 4-D float tensors):
//   S  = MatrixMultiply(Q', K')            op0 kNONE; op1 kNONE (K' = K^T, [B,H,D,Skv]) or kTRANSPOSE
//                                          (K' = K, [B,H,Skv,D]); Q' and K' each optionally x or / a
//                                          one-element float Constant (the exports' 1/sqrt(sqrt(D)) twice)
//   S1 = S [x or / scalar]                 at most one scale after the product
//   S2 = S1 [+ mask]                       mask: broadcasts to S without growing it; also taken from a
//                                          bias (input 2) or addend (input 3) that fuse-matmul-epilogue
//                                          already folded into S's MatrixMultiply
//   P  = SoftMax(S2) over the last axis
//   P2 = P, or Select(Unary kISNAN (P), 0, P)  (the exports' NaN guard: zeroFullyMaskedRows)
//   O  = MatrixMultiply(P2, V)             no epilogue
// Q, K and V are then read through the Shuffles, one-index Gathers and unit-step Slices that produce
// them, as far back as their axes stay whole (strided_axes.h). Those need not be private: reading the
// same values further back is always correct, and privacy only decides whether the skipped node dies.
// When the farthest tensor reached stores the operand in a layout Attention knows (BSHD for BERT/GPT-2's
// [B,S,H,D] projections; a 4-D view is added by a reshape when that tensor is not 4-D), the operand takes
// that layout; when it is a part of a larger tensor (ViT's and GPT-2's packed QKV projections, which the
// exports split with Gather / Slice after a head transpose), the operand is a STRIDED view of it (offset,
// extents, strides), as long as the view keeps what the tensor-core kernel needs where a contiguous
// layout would have it (a contiguous head dim; rows on 16 bytes); otherwise a nearer tensor that is in a
// known layout or holds such a view serves. O is written through the Shuffles that consume it, up to the
// last 4-D tensor in a known layout, which becomes the Attention node's output (its name and consumers
// stay). The skipped transposes, gathers and slices die with the rest of the chain.
//
// CPU plans keep the unfused ops: the reference kernel is not faster than the separate reference kernels,
// and the ONNX conformance suite exercises the unfused ops the CPU backend runs. float32 GPU plans keep
// them too: there only the general row kernel applies, and measured on the H100 it made whole models
// slower than cuBLASLt's float32 batched matmuls plus the softmax (bert-base b32 19.0 -> 22.7 ms, vit_b_16
// b64 58.6 -> 80.3 ms); the tensor-core kernel takes float16/bfloat16 plans.
#include <algorithm>
#include <optional>
#include <vector>

#include "ir/attention_layout.h"
#include "ir/infer.h"
#include "passes/pass.h"
#include "passes/pattern.h"
#include "passes/strided_axes.h"

namespace kiln::passes {
namespace {

using pattern::Uses;

/// Every node reading t (once per input slot).
std::vector<ir::NodeId> consumersOf(const ir::Graph& g, ir::TensorId t) {
    std::vector<ir::NodeId> out;
    for (ir::NodeId n = 0; n < static_cast<ir::NodeId>(g.nodes().size()); ++n)
        for (ir::TensorId in : g.node(n).inputs)
            if (in == t) out.push_back(n);
    return out;
}

bool isElementWise(const ir::Node* n, ElementWiseOperation op) {
    return n && n->kind() == ir::OpKind::kElementWise && std::get<ir::ElementWiseAttrs>(n->attrs).op == op;
}

/// t = x * c, c * x or x / c with c a one-element float Constant and t private: x, and scale *= c or /= c.
std::optional<ir::TensorId> peelScale(const ir::Graph& g, const Uses& uses, ir::TensorId t, double* scale) {
    if (!uses.isPrivate(g, t)) return std::nullopt;
    const ir::Node* n = pattern::producerOf(g, t, ir::OpKind::kElementWise);
    if (isElementWise(n, ElementWiseOperation::kPROD)) {
        for (size_t i = 0; i < 2; ++i)
            if (const std::optional<double> c = pattern::scalarConstant(g, n->inputs[1 - i])) {
                if (g.tensor(n->inputs[i]).shape != g.tensor(t).shape) return std::nullopt;
                *scale *= *c;
                return n->inputs[i];
            }
    } else if (isElementWise(n, ElementWiseOperation::kDIV)) {
        const std::optional<double> c = pattern::scalarConstant(g, n->inputs[1]);
        if (c && *c != 0.0 && g.tensor(n->inputs[0]).shape == g.tensor(t).shape) {
            *scale /= *c;
            return n->inputs[0];
        }
    }
    return std::nullopt;
}

/// x after removing at most one scale (x itself when there is none).
ir::TensorId skipScale(const ir::Graph& g, const Uses& uses, ir::TensorId t, double* scale) {
    return peelScale(g, uses, t, scale).value_or(t);
}

bool isAttentionFloat(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}

/// A 4-D float tensor of fully known shape.
bool usable(const ir::Graph& g, ir::TensorId t) {
    const ir::Tensor& x = g.tensor(t);
    return x.shape.nbDims == 4 && isFullyKnown(x.shape) && volume(x.shape) > 0 && isAttentionFloat(x.type);
}

constexpr ir::AttentionLayout kOperandLayouts[] = {ir::AttentionLayout::kBHSD, ir::AttentionLayout::kBSHD,
                                                   ir::AttentionLayout::kSBHD};
constexpr ir::AttentionLayout kKeyLayouts[] = {ir::AttentionLayout::kBHSD, ir::AttentionLayout::kBSHD,
                                               ir::AttentionLayout::kSBHD, ir::AttentionLayout::kBHDS};

/// The first of `layouts` storing `axes` contiguously in axes.tensor.
template <size_t N>
std::optional<ir::AttentionLayout> layoutOf(const ir::Graph& g, const StridedAxes& axes,
                                            const ir::AttentionLayout (&layouts)[N]) {
    for (ir::AttentionLayout l : layouts)
        if (hasStrides(g, axes, ir::attentionDimOf(l))) return l;
    return std::nullopt;
}

/// Where an operand is read from: a tensor in a contiguous `layout`, which needs a 4-D view first when
/// `reshape`, or (kSTRIDED) the view `axes` of a tensor of any shape.
struct Source {
    ir::TensorId tensor;
    ir::AttentionLayout layout;
    bool reshape;
    StridedAxes axes;
};

/// `axes` one node further back, through the Shuffle, Gather or Slice producing their tensor.
std::optional<StridedAxes> stepBack(const ir::Graph& g, const StridedAxes& axes) {
    const ir::NodeId p = g.tensor(axes.tensor).producer;
    if (p < 0) return std::nullopt;
    const ir::Node& n = g.node(p);
    if (n.kind() == ir::OpKind::kShuffle) return throughShuffleBackward(g, n, axes);
    if (n.kind() == ir::OpKind::kGather || n.kind() == ir::OpKind::kSlice)
        return throughSelectionBackward(g, n, axes);
    return std::nullopt;
}

/// Whether a STRIDED view `a` keeps the tensor-core kernel's rows (ir::keepsAlignedRows): otherwise reading
/// further back would save a copy but lose the kernel.
bool keepsKernelRows(const StridedAxes& a) {
    return ir::keepsAlignedRows({a.offset, a.extent, a.stride});
}

/// Reads operand `axes` (of a tensor t consumed by the chain) through the movement nodes producing it: the
/// farthest tensor that is in a known layout (or a 4-D one reached from it by reshapes only) or holds the
/// operand as a strided view that keeps the kernel's rows (keepsKernelRows).
template <size_t N>
std::optional<Source> readThrough(const ir::Graph& g, StridedAxes axes,
                                  const ir::AttentionLayout (&layouts)[N]) {
    std::vector<StridedAxes> chain = {axes};
    std::vector<ir::NodeId> producers;  // producers[i] makes chain[i] from chain[i + 1]
    while (const std::optional<StridedAxes> in = stepBack(g, chain.back())) {
        producers.push_back(g.tensor(chain.back().tensor).producer);
        chain.push_back(*in);
    }
    for (size_t far = chain.size(); far-- > 0;) {
        const StridedAxes& at = chain[far];
        if (const std::optional<ir::AttentionLayout> l = layoutOf(g, at, layouts)) {
            const Dims want = ir::attentionShape(*l, at.extent);
            for (size_t i = far;; --i) {
                if (g.tensor(chain[i].tensor).shape == want)
                    return Source{chain[i].tensor, *l, false, chain[i]};
                if (i == 0 || !isReshapeOnly(g, g.node(producers[i - 1]))) break;
            }
            return Source{at.tensor, *l, true, at};
        }
        if (far > 0 && keepsKernelRows(at))
            return Source{at.tensor, ir::AttentionLayout::kSTRIDED, false, at};
    }
    return std::nullopt;
}

/// Writes the output (axes of o) through the private Shuffles consuming it: the farthest 4-D tensor in a
/// known layout.
std::optional<Source> writeThrough(const ir::Graph& g, const Uses& uses, StridedAxes axes) {
    std::optional<Source> best;
    while (true) {
        if (const std::optional<ir::AttentionLayout> l = layoutOf(g, axes, kOperandLayouts))
            if (g.tensor(axes.tensor).shape == ir::attentionShape(*l, axes.extent))
                best = Source{axes.tensor, *l, false};
        const ir::NodeId c = uses.soleConsumer(g, axes.tensor);
        if (c < 0 || g.node(c).kind() != ir::OpKind::kShuffle || g.node(c).inputs[0] != axes.tensor) break;
        const std::optional<StridedAxes> next = throughShuffleForward(g, g.node(c), axes);
        if (!next) break;
        axes = *next;
    }
    return best;
}

/// A 4-D view of `s.tensor` in its layout (a reshape, which the runtime makes a view); returns the tensor
/// to read. Adds a node: node references die.
ir::TensorId viewOf(ir::Graph& g, const Source& s, const std::array<int64_t, 4>& extent) {
    if (!s.reshape || s.layout == ir::AttentionLayout::kSTRIDED) return s.tensor;
    return pattern::addReshape(g, g.tensor(s.tensor).name + "_heads", s.tensor,
                               ir::attentionShape(s.layout, extent));
}

/// S2 = S1 + mask with S1 private, of S2's shape and made (after at most one scale) by a MatrixMultiply:
/// the mask, with S1 in *scores; kNoTensor when `sum` is not such an Add.
ir::TensorId splitMaskAdd(const ir::Graph& g, const Uses& uses, const ir::Node& sum, ir::TensorId* scores) {
    for (size_t i = 0; i < 2; ++i) {
        const ir::TensorId s = sum.inputs[i], m = sum.inputs[1 - i];
        if (s == m || !uses.isPrivate(g, s) || g.tensor(s).shape != g.tensor(sum.outputs[0]).shape) continue;
        double ignored = 1.0;
        if (!pattern::producerOf(g, skipScale(g, uses, s, &ignored), ir::OpKind::kMatrixMultiply)) continue;
        *scores = s;
        return m;
    }
    return ir::kNoTensor;
}

/// Tries to fuse the attention around SoftMax node `sm`; returns whether it did.
bool fuseAt(ir::Graph& g, ir::NodeId sm) {
    const Uses uses(g);
    const ir::Node& softmax = g.node(sm);
    const ir::TensorId s2 = softmax.inputs[0], p = softmax.outputs[0];
    const auto& smAttrs = std::get<ir::SoftMaxAttrs>(softmax.attrs);
    if (!usable(g, s2) || smAttrs.log || smAttrs.axes != (1u << 3) || !uses.isPrivate(g, s2)) return false;

    // Downstream: P -> [IsNaN/Where] -> O = P2 x V.
    bool zeroRows = false;
    ir::TensorId p2 = p;
    const std::vector<ir::NodeId> pReaders = consumersOf(g, p);
    if (g.tensor(p).isOutput) return false;
    if (pReaders.size() == 2) {
        const ir::Node* isNan = nullptr;
        const ir::Node* select = nullptr;
        for (ir::NodeId r : pReaders) {
            const ir::Node& n = g.node(r);
            if (n.kind() == ir::OpKind::kUnary &&
                std::get<ir::UnaryAttrs>(n.attrs).op == UnaryOperation::kISNAN)
                isNan = &n;
            else if (n.kind() == ir::OpKind::kSelect)
                select = &n;
        }
        if (!isNan || !select || select->inputs[0] != isNan->outputs[0] || select->inputs[2] != p ||
            !pattern::isScalar(g, select->inputs[1], 0.0) || !uses.isPrivate(g, isNan->outputs[0]) ||
            g.tensor(select->outputs[0]).shape != g.tensor(p).shape)
            return false;
        zeroRows = true;
        p2 = select->outputs[0];
    } else if (pReaders.size() != 1) {
        return false;
    }
    const ir::NodeId pvId = uses.soleConsumer(g, p2);
    if (pvId < 0) return false;
    const ir::Node& pv = g.node(pvId);
    if (pv.kind() != ir::OpKind::kMatrixMultiply || pv.inputs.size() != 2 || pv.inputs[0] != p2) return false;
    const auto& pvAttrs = std::get<ir::MatrixMultiplyAttrs>(pv.attrs);
    if (pvAttrs.op0 != MatrixOperation::kNONE || pvAttrs.op1 != MatrixOperation::kNONE ||
        pvAttrs.epilogue.hasActivation)
        return false;
    const ir::TensorId v = pv.inputs[1], o = pv.outputs[0];

    // Upstream: S2 = [S1 + mask], S1 = S [x or / c], S = Q' x K'.
    ir::TensorId s1 = s2, mask = ir::kNoTensor;
    if (const ir::Node* add = pattern::producerOf(g, s2, ir::OpKind::kElementWise);
        isElementWise(add, ElementWiseOperation::kSUM))
        mask = splitMaskAdd(g, uses, *add, &s1);
    double scale = 1.0;
    const ir::TensorId s = skipScale(g, uses, s1, &scale);
    const ir::Node* qk = pattern::producerOf(g, s, ir::OpKind::kMatrixMultiply);
    if (!qk || !uses.isPrivate(g, s)) return false;
    const auto& qkAttrs = std::get<ir::MatrixMultiplyAttrs>(qk->attrs);
    if (qkAttrs.op0 != MatrixOperation::kNONE || qkAttrs.epilogue.hasActivation ||
        (qkAttrs.op1 != MatrixOperation::kNONE && qkAttrs.op1 != MatrixOperation::kTRANSPOSE))
        return false;
    for (size_t slot = 2; slot < qk->inputs.size(); ++slot) {  // a mask fuse-matmul-epilogue folded in
        if (qk->inputs[slot] == ir::kNoTensor) continue;
        // Inside the product, a scale after it would scale the mask too; and one mask at most.
        if (mask != ir::kNoTensor || s != s1) return false;
        mask = qk->inputs[slot];
    }
    const ir::TensorId q = skipScale(g, uses, qk->inputs[0], &scale);
    const ir::TensorId k = skipScale(g, uses, qk->inputs[1], &scale);
    const bool kTransposed = qkAttrs.op1 == MatrixOperation::kNONE;

    // Shapes: q [B,H,Sq,D], k [B,H,D,Skv] (or [B,H,Skv,D]), v [B,H,Skv,Dv], o [B,H,Sq,Dv]; one float type.
    for (ir::TensorId t : {q, k, v, s, o})
        if (!usable(g, t) || g.tensor(t).type != g.tensor(q).type) return false;
    const Dims& qd = g.tensor(q).shape;
    const Dims& kd = g.tensor(k).shape;
    const Dims& vd = g.tensor(v).shape;
    const int64_t skv = kTransposed ? kd.d[3] : kd.d[2], dk = kTransposed ? kd.d[2] : kd.d[3];
    for (int i = 0; i < 2; ++i)
        if (kd.d[i] != qd.d[i] || vd.d[i] != qd.d[i]) return false;  // no broadcast batch dims
    if (dk != qd.d[3] || vd.d[2] != skv) return false;
    if (mask != ir::kNoTensor) {
        const ir::Tensor& m = g.tensor(mask);
        if (!isAttentionFloat(m.type) || m.shape.nbDims > 4 || !isFullyKnown(m.shape)) return false;
        auto grown = ir::broadcastShapes(g.tensor(s).shape, m.shape);
        if (!grown.isOk() || grown.value() != g.tensor(s).shape) return false;
    }

    // Layouts: read through the producers' transposes, write through the consumers'.
    const std::optional<StridedAxes> qAxes = axesOf(g, q, ir::attentionDimOf(ir::AttentionLayout::kBHSD));
    const std::optional<StridedAxes> kAxes = axesOf(
        g, k, ir::attentionDimOf(kTransposed ? ir::AttentionLayout::kBHDS : ir::AttentionLayout::kBHSD));
    const std::optional<StridedAxes> vAxes = axesOf(g, v, ir::attentionDimOf(ir::AttentionLayout::kBHSD));
    const std::optional<StridedAxes> oAxes = axesOf(g, o, ir::attentionDimOf(ir::AttentionLayout::kBHSD));
    if (!qAxes || !kAxes || !vAxes || !oAxes) return false;
    const std::optional<Source> qSrc = readThrough(g, *qAxes, kOperandLayouts);
    const std::optional<Source> kSrc = readThrough(g, *kAxes, kKeyLayouts);
    const std::optional<Source> vSrc = readThrough(g, *vAxes, kOperandLayouts);
    const std::optional<Source> oDst = writeThrough(g, uses, *oAxes);
    if (!qSrc || !kSrc || !vSrc || !oDst) return false;

    ir::AttentionAttrs attrs;
    attrs.scale = static_cast<float>(scale);
    attrs.qLayout = qSrc->layout;
    attrs.kLayout = kSrc->layout;
    attrs.vLayout = vSrc->layout;
    std::vector<int64_t>* views[3] = {&attrs.qView, &attrs.kView, &attrs.vView};
    const Source* sources[3] = {&*qSrc, &*kSrc, &*vSrc};
    for (int i = 0; i < 3; ++i)
        if (sources[i]->layout == ir::AttentionLayout::kSTRIDED) {
            const StridedAxes& s = sources[i]->axes;
            *views[i] = ir::attentionViewValues({s.offset, s.extent, s.stride});
        }
    attrs.outLayout = oDst->layout;
    attrs.zeroFullyMaskedRows = zeroRows;
    const std::string name = softmax.name;
    const ir::NodeId fusedId = g.tensor(oDst->tensor).producer;
    // viewOf may add nodes: no node references past this point.
    std::vector<ir::TensorId> inputs = {viewOf(g, *qSrc, qAxes->extent), viewOf(g, *kSrc, kAxes->extent),
                                        viewOf(g, *vSrc, vAxes->extent)};
    if (mask != ir::kNoTensor) inputs.push_back(mask);
    ir::Node& fused = g.node(fusedId);
    fused.name = name;
    fused.attrs = attrs;
    fused.inputs = std::move(inputs);
    return true;
}

}  // namespace

StatusOr<bool> fuseAttention(ir::Graph& graph, const PassContext& ctx) {
    if (!ctx.cudaTarget || ctx.reducedPrecision == DataType::kFLOAT) return false;  // see the file comment
    bool changed = false;
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(graph.nodes().size()); ++id)
        if (graph.node(id).kind() == ir::OpKind::kSoftMax && fuseAt(graph, id)) changed = true;
    return changed;
}

}  // namespace kiln::passes
