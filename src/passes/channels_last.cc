// channels-last and cancel-transposes: the layout passes of GPU plans.
//
// channels-last: in float16/bfloat16 GPU plans every 2-D Convolution whose kernel is a Constant becomes a
// channels-last one (ConvolutionAttrs::channelsLast: NHWC data, KRSC kernel). cuDNN's tensor-core
// convolutions work in NHWC; given NCHW they either transpose internally or fall back to slow kernels.
// Measured on the H100 with cuDNN 9.19 (float16, legacy API, best algorithm each): ResNet-50's 3x3 at
// batch 64 0.305 -> 0.108 ms, FCN's dilated 3x3 1.07 -> 0.53 ms, FCN's 2048 -> 512 3x3 head 163 -> 5.7 ms
// (no NCHW algorithm but the slowest fits a sane workspace). The pass permutes the kernel constant and
// wraps the convolution in two Shuffle transposes (NCHW -> NHWC before, back after, and one more for a
// fused addend), so the graph stays correct for every consumer; cancel-transposes then removes the pairs
// that meet between consecutive convolutions, leaving a conversion only where the layout really changes
// (the network's input and output, reshapes, pointwise ops). A 2-D Pooling without the indices output that
// reads a convolution's (or a converted pooling's) conversion back becomes channels-last too
// (PoolingAttrs::channelsLast), global pooling included: ResNet's stem conv -> MaxPool -> conv then runs
// without a transpose, where the NCHW MaxPool cost FCN at batch 64 a 0.71 ms transpose of [64,64,256,256]
// besides the pooling itself.
//
// cancel-transposes: a pure transpose (a Shuffle with only a first transpose) reading another pure
// transpose becomes one transpose of the first one's input, or disappears when the two permutations undo
// each other: its readers then read the original tensor. A graph output keeps its transpose.
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>

#include "passes/pass.h"
#include "passes/pattern.h"

namespace kiln::passes {
namespace {

constexpr int kRank = 4;  // 2-D convolutions: [N, C, H, W] <-> [N, H, W, C]
const Permutation kToLast{{0, 2, 3, 1, 4, 5, 6, 7}};
const Permutation kToFirst{{0, 3, 1, 2, 4, 5, 6, 7}};

bool isIdentity(const Permutation& p, int rank) {
    for (int i = 0; i < rank; ++i)
        if (p.order[i] != i) return false;
    return true;
}

/// The permutation of a Shuffle that only transposes (no reshape, no second transpose), else nullptr.
const Permutation* pureTranspose(const ir::Graph& g, const ir::Node& n) {
    if (n.kind() != ir::OpKind::kShuffle || n.outputs.size() != 1) return nullptr;
    if (n.inputs.size() > 1 && n.inputs[1] != ir::kNoTensor) return nullptr;
    const auto& a = std::get<ir::ShuffleAttrs>(n.attrs);
    const int rank = g.tensor(n.outputs[0]).shape.nbDims;
    if (a.hasReshape || rank < 1 || !isIdentity(a.secondTranspose, rank)) return nullptr;
    return &a.firstTranspose;
}

/// Appends a Shuffle transposing `input` by `perm`; its output tensor (named from `base`) is returned.
/// Inference fills the output's type and shape when the pipeline settles the graph.
ir::TensorId addTranspose(ir::Graph& g, const std::string& base, ir::TensorId input, const Permutation& perm) {
    ir::ShuffleAttrs a;
    a.firstTranspose = perm;
    const std::string name = pattern::freshName(g, base);
    const ir::NodeId id = g.addNode(name, a, {input}, 1);
    const ir::TensorId out = g.node(id).outputs[0];
    g.tensor(out).name = name;
    return out;
}

/// A KRSC copy of the KCRS Constant kernel `w`, or kNoTensor when it is not a byte-sized 4-D Constant.
ir::TensorId channelsLastKernel(ir::Graph& g, ir::TensorId w) {
    if (!pattern::isConstant(g, w)) return ir::kNoTensor;
    const ir::Tensor& t = g.tensor(w);
    const int64_t es = dataTypeSize(t.type);
    if (t.shape.nbDims != kRank || !isFullyKnown(t.shape) || es < 1) return ir::kNoTensor;
    const auto& data = std::get<ir::ConstantAttrs>(g.node(t.producer).attrs).data;
    const int64_t k = t.shape.d[0], c = t.shape.d[1], taps = t.shape.d[2] * t.shape.d[3];
    if (!data || static_cast<int64_t>(data->size()) < k * c * taps * es) return ir::kNoTensor;
    std::vector<uint8_t> bytes(static_cast<size_t>(k * c * taps * es));
    for (int64_t ko = 0; ko < k; ++ko)
        for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t p = 0; p < taps; ++p)
                std::memcpy(bytes.data() + ((ko * taps + p) * c + ci) * es,
                            data->data() + ((ko * c + ci) * taps + p) * es, static_cast<size_t>(es));
    const DataType type = t.type;
    const Dims shape = channelsLastDims(t.shape);
    const std::string name = pattern::freshName(g, t.name + "_krsc");
    return g.addConstant(name, type, shape, std::move(bytes));
}

/// Puts node `id` between layout conversions: each input slot of `slots` (with the name suffix of its
/// transpose) reads an NCHW -> NHWC transpose of its tensor, and output 0 becomes a new NHWC tensor that a
/// transpose back turns into the original one, whose name, readers and graph-output status stay.
void wrapInTransposes(ir::Graph& g, ir::NodeId id,
                      std::initializer_list<std::pair<size_t, const char*>> slots) {
    const std::string name = g.node(id).name;
    for (const auto& [slot, suffix] : slots) {
        if (slot >= g.node(id).inputs.size() || g.node(id).inputs[slot] == ir::kNoTensor) continue;
        const ir::TensorId last =
            addTranspose(g, name + suffix, g.node(id).inputs[slot], kToLast);  // adds a node
        g.node(id).inputs[slot] = last;
    }
    const ir::TensorId y = g.node(id).outputs[0];
    const ir::TensorId yLast =
        g.addTensor(pattern::freshName(g, g.tensor(y).name + "_nhwc"), g.tensor(y).type, Dims{});
    g.tensor(yLast).producer = id;
    const ir::TensorId back = addTranspose(g, name + "_out_nchw", yLast, kToFirst);
    const ir::NodeId backNode = g.tensor(back).producer;
    g.node(backNode).outputs[0] = y;
    g.tensor(y).producer = backNode;
    g.tensor(back).producer = -1;  // orphan: removed when the pipeline settles
    g.node(id).outputs[0] = yLast;
}

/// Rewrites Convolution `id` channels-last when it qualifies; returns whether it did.
bool convertConvolution(ir::Graph& g, ir::NodeId id) {
    {
        const ir::Node& conv = g.node(id);
        const auto& a = std::get<ir::ConvolutionAttrs>(conv.attrs);
        if (a.channelsLast) return false;
        const ir::Tensor& x = g.tensor(conv.inputs[0]);
        const ir::Tensor& y = g.tensor(conv.outputs[0]);
        if (x.shape.nbDims != kRank || y.shape.nbDims != kRank || !isFloatType(x.type)) return false;
    }
    const ir::TensorId kernel = channelsLastKernel(g, g.node(id).inputs[1]);  // may add a node
    if (kernel == ir::kNoTensor) return false;
    g.node(id).inputs[1] = kernel;
    wrapInTransposes(g, id, {{0, "_in_nhwc"}, {3, "_addend_nhwc"}});
    std::get<ir::ConvolutionAttrs>(g.node(id).attrs).channelsLast = true;
    return true;
}

/// Whether tensor t is written by a pure NHWC -> NCHW transpose: a channels-last op's conversion back.
bool convertedBack(const ir::Graph& g, ir::TensorId t) {
    const ir::NodeId p = g.tensor(t).producer;
    const Permutation* perm = p >= 0 ? pureTranspose(g, g.node(p)) : nullptr;
    if (!perm || g.tensor(t).shape.nbDims != kRank) return false;
    for (int i = 0; i < kRank; ++i)
        if (perm->order[i] != kToFirst.order[i]) return false;
    return true;
}

/// Rewrites Pooling `id` channels-last when it is 2-D, has no indices output (they number channels-first
/// positions) and reads a conversion back from NHWC; returns whether it did. Only then: its transpose in
/// cancels against that conversion and the one left after it works on the smaller pooled tensor, where a
/// pooling fed in NCHW would only gain a transpose of its (larger) input.
bool convertPooling(ir::Graph& g, ir::NodeId id) {
    const ir::Node& pool = g.node(id);
    if (std::get<ir::PoolingAttrs>(pool.attrs).channelsLast || pool.outputs.size() != 1) return false;
    const ir::Tensor& x = g.tensor(pool.inputs[0]);
    const ir::Tensor& y = g.tensor(pool.outputs[0]);
    if (x.shape.nbDims != kRank || y.shape.nbDims != kRank || !isFloatType(x.type)) return false;
    if (!convertedBack(g, pool.inputs[0])) return false;
    wrapInTransposes(g, id, {{0, "_in_nhwc"}});
    std::get<ir::PoolingAttrs>(g.node(id).attrs).channelsLast = true;
    return true;
}

}  // namespace

StatusOr<bool> convertChannelsLast(ir::Graph& graph, const PassContext& ctx) {
    if (!ctx.cudaTarget || ctx.reducedPrecision == DataType::kFLOAT) return false;
    bool changed = false;
    const auto count = static_cast<ir::NodeId>(graph.nodes().size());  // not the nodes this pass appends
    for (ir::NodeId id = 0; id < count; ++id)
        if (graph.node(id).kind() == ir::OpKind::kConvolution && convertConvolution(graph, id)) changed = true;
    // After every convolution, in graph order: a pooling reads the conversion back of the convolution (or
    // pooling) before it.
    for (ir::NodeId id = 0; id < count; ++id)
        if (graph.node(id).kind() == ir::OpKind::kPooling && convertPooling(graph, id)) changed = true;
    return changed;
}

StatusOr<bool> cancelTransposes(ir::Graph& graph, const PassContext& /*ctx*/) {
    bool changed = false;
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(graph.nodes().size()); ++id) {
        const Permutation* outer = pureTranspose(graph, graph.node(id));
        if (!outer) continue;
        const ir::TensorId mid = graph.node(id).inputs[0];
        const ir::NodeId p = graph.tensor(mid).producer;
        const Permutation* inner = p >= 0 ? pureTranspose(graph, graph.node(p)) : nullptr;
        if (!inner) continue;
        const ir::TensorId source = graph.node(p).inputs[0];
        const int rank = graph.tensor(mid).shape.nbDims;
        // out[i] = mid[outer[i]] = source[inner[outer[i]]]
        Permutation composed;
        for (int i = 0; i < rank; ++i) composed.order[i] = inner->order[outer->order[i]];
        const ir::TensorId out = graph.node(id).outputs[0];
        if (isIdentity(composed, rank)) {
            if (graph.tensor(out).isOutput) continue;
            for (ir::Node& n : graph.nodes())
                for (ir::TensorId& t : n.inputs)
                    if (t == out) t = source;
        } else {
            std::get<ir::ShuffleAttrs>(graph.node(id).attrs).firstTranspose = composed;
            graph.node(id).inputs[0] = source;
        }
        changed = true;
    }
    return changed;
}

}  // namespace kiln::passes
