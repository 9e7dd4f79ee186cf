// patchify-convolution: in GPU plans, a 2-D Convolution whose kernel equals its stride, without padding,
// dilation or groups (a patch embedding: ViT's 16x16 / 16, Swin's and ConvNeXt's 4x4 / 4 stems) becomes a
// transpose into patch rows and one GEMM. The patches do not overlap, so the convolution is exactly
//   x [N, C, H, W] -> [N, C, h, kh, w, kw] -> [N, h, w, C, kh, kw] -> rows [N*h*w, C*kh*kw]
//   y = rows x kernel[O, C*kh*kw]^T (+ bias, activation: the convolution's epilogue)   [N*h*w, O]
// whose rows are the output in NHWC order; a Shuffle turns them back into [N, O, h, w] for the
// convolution's readers, or, when the readers only flatten and transpose it to tokens (ViT's
// x.flatten(2).transpose(1, 2)), the rows are those tokens and a reshape (a view) replaces both.
// Why: with 3 input channels cuDNN has no tensor-core form that pays; measured on the H100 (float16,
// ViT-B/16 at batch 64, channels-last, best algorithm) the patch convolution took 0.507 ms for 14.8 GFLOP,
// while cuBLASLt runs [12608, 768] x [768, 768] in about 0.03 ms and the transpose moves 19 MB.
// Before channels-last (which would otherwise wrap the convolution in layout conversions) and after
// fuse-conv-epilogue, whose bias and activation the GEMM takes over; a convolution with a residual addend
// stays as it is. CPU plans keep their convolutions (the reference kernel is the oracle the ONNX
// conformance suite checks).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/dims.h"
#include "passes/pass.h"
#include "passes/pattern.h"
#include "passes/strided_axes.h"

namespace kiln::passes {
namespace {

bool allEqual(const Dims& d, int64_t v) {
    for (int i = 0; i < d.nbDims; ++i)
        if (d.d[i] != v) return false;
    return true;
}

/// Whether `t`'s readers only flatten its spatial dims and move the channels last: t [N, O, h, w] read
/// only by a reshape to [N, O, h*w] read only by a transpose (0, 2, 1), neither a graph output. Returns
/// that transpose's output, else kNoTensor.
ir::TensorId flattenedTokens(const ir::Graph& g, const pattern::Uses& uses, ir::TensorId t) {
    const Dims& y = g.tensor(t).shape;
    const ir::NodeId r = uses.soleConsumer(g, t);
    if (r < 0 || g.node(r).kind() != ir::OpKind::kShuffle || !isReshapeOnly(g, g.node(r)))
        return ir::kNoTensor;
    const ir::TensorId flat = g.node(r).outputs[0];
    if (g.tensor(flat).shape != makeDims({y.d[0], y.d[1], y.d[2] * y.d[3]})) return ir::kNoTensor;
    const ir::NodeId tr = uses.soleConsumer(g, flat);
    if (tr < 0 || g.node(tr).kind() != ir::OpKind::kShuffle || g.node(tr).inputs[0] != flat)
        return ir::kNoTensor;
    const ir::Node& n = g.node(tr);
    if (n.inputs.size() > 1 && n.inputs[1] != ir::kNoTensor) return ir::kNoTensor;
    const auto& a = std::get<ir::ShuffleAttrs>(n.attrs);
    const Permutation& p = a.firstTranspose;
    if (a.hasReshape || p.order[0] != 0 || p.order[1] != 2 || p.order[2] != 1) return ir::kNoTensor;
    for (int i = 0; i < 3; ++i)
        if (a.secondTranspose.order[i] != i) return ir::kNoTensor;
    const ir::TensorId tokens = n.outputs[0];
    return g.tensor(tokens).shape == makeDims({y.d[0], y.d[2] * y.d[3], y.d[1]}) ? tokens : ir::kNoTensor;
}

/// Rewrites Convolution `id` as patches x GEMM when it qualifies; returns whether it did.
bool patchify(ir::Graph& g, ir::NodeId id) {
    const pattern::Uses uses(g);
    const ir::Node& conv = g.node(id);
    const auto& a = std::get<ir::ConvolutionAttrs>(conv.attrs);
    if (a.channelsLast || a.nbGroups != 1 || a.kernelSize.nbDims != 2 || a.stride != a.kernelSize)
        return false;
    if (!allEqual(a.prePadding, 0) || !allEqual(a.postPadding, 0) || !allEqual(a.dilation, 1)) return false;
    if (a.paddingMode != PaddingMode::kEXPLICIT_ROUND_DOWN &&
        a.paddingMode != PaddingMode::kEXPLICIT_ROUND_UP)
        return false;
    const int64_t kh = a.kernelSize.d[0], kw = a.kernelSize.d[1];
    if (kh * kw < 2) return false;  // a 1x1 convolution is a GEMM in cuDNN already
    if (conv.inputs.size() > 3 && conv.inputs[3] != ir::kNoTensor) return false;  // a residual addend
    const ir::TensorId x = conv.inputs[0], kernel = conv.inputs[1], y = conv.outputs[0];
    const ir::TensorId bias = conv.inputs.size() > 2 ? conv.inputs[2] : ir::kNoTensor;
    const Dims xs = g.tensor(x).shape, ys = g.tensor(y).shape, ks = g.tensor(kernel).shape;
    if (xs.nbDims != 4 || !isFullyKnown(xs) || !isFullyKnown(ys) || !isFloatType(g.tensor(x).type))
        return false;
    const int64_t n = xs.d[0], c = xs.d[1], h = xs.d[2] / kh, w = xs.d[3] / kw, o = a.nbOutputMaps;
    if (xs.d[2] % kh != 0 || xs.d[3] % kw != 0 || ys != makeDims({n, o, h, w})) return false;
    if (!pattern::isConstant(g, kernel) || ks != makeDims({o, c, kh, kw})) return false;
    const auto& data = std::get<ir::ConstantAttrs>(g.node(g.tensor(kernel).producer).attrs).data;
    const DataType kernelType = g.tensor(kernel).type;
    if (kernelType != g.tensor(x).type) return false;
    if (!data || static_cast<int64_t>(data->size()) < o * c * kh * kw * dataTypeSize(kernelType))
        return false;
    if (bias != ir::kNoTensor && g.tensor(bias).shape != makeDims({o})) return false;

    const std::string name = conv.name;
    const DataType type = g.tensor(y).type;
    ir::MatrixMultiplyAttrs mm;
    mm.op1 = MatrixOperation::kTRANSPOSE;
    mm.epilogue = a.epilogue;
    const ir::TensorId tokens = flattenedTokens(g, uses, y);
    std::vector<uint8_t> weights = *data;
    // Node references die from here on (nodes and tensors are added).
    const ir::TensorId w2 = g.addConstant(pattern::freshName(g, name + "_patch_weights"), kernelType,
                                          makeDims({o, c * kh * kw}), std::move(weights));
    ir::ShuffleAttrs split;  // [N, C, H, W] -> [N, C, h, kh, w, kw] -> [N, h, w, C, kh, kw]
    split.hasReshape = true;
    split.reshapeDims = makeDims({n, c, h, kh, w, kw});
    split.zeroIsPlaceholder = false;
    split.secondTranspose = Permutation{{0, 2, 4, 1, 3, 5, 6, 7}};
    const ir::TensorId patches =
        pattern::addOp(g, name + "_patches", split, {x}, g.tensor(x).type, makeDims({n, h, w, c, kh, kw}));
    const ir::TensorId rows =
        pattern::addReshape(g, name + "_patch_rows", patches, makeDims({n * h * w, c * kh * kw}));
    std::vector<ir::TensorId> gemmInputs = {rows, w2};
    if (bias != ir::kNoTensor) gemmInputs.push_back(bias);
    const ir::TensorId product =
        pattern::addOp(g, name + "_gemm", mm, std::move(gemmInputs), type, makeDims({n * h * w, o}));

    // The result takes over the tensor its readers read: the tokens, or the convolution's output.
    ir::ShuffleAttrs back;
    back.hasReshape = true;
    back.zeroIsPlaceholder = false;
    ir::TensorId target = tokens;
    if (tokens != ir::kNoTensor) {
        back.reshapeDims = makeDims({n, h * w, o});
    } else {
        back.reshapeDims = makeDims({n, h, w, o});
        back.secondTranspose = Permutation{{0, 3, 1, 2, 4, 5, 6, 7}};
        target = y;
    }
    const ir::NodeId backId = g.addNode(pattern::freshName(g, name + "_out"), back, {product}, 1);
    const ir::TensorId orphan = g.node(backId).outputs[0];
    const ir::NodeId oldProducer = g.tensor(target).producer;
    g.node(backId).outputs[0] = target;
    g.tensor(target).producer = backId;
    g.node(oldProducer).outputs[0] = orphan;  // the convolution (or the transpose): dead, removed on settling
    g.tensor(orphan).producer = oldProducer;
    return true;
}

}  // namespace

StatusOr<bool> patchifyConvolution(ir::Graph& graph, const PassContext& ctx) {
    if (!ctx.cudaTarget) return false;  // see the file comment
    bool changed = false;
    const auto count = static_cast<ir::NodeId>(graph.nodes().size());  // not the nodes this pass appends
    for (ir::NodeId id = 0; id < count; ++id)
        if (graph.node(id).kind() == ir::OpKind::kConvolution && patchify(graph, id)) changed = true;
    return changed;
}

}  // namespace kiln::passes
