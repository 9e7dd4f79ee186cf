// fuse-matmul-epilogue: MatrixMultiply -> [+ bias] -> [+ residual] -> [activation] becomes one
// MatrixMultiply with inputs [2] bias, [3] addend and the activation in its EpilogueAttrs, which cuBLASLt
// runs inside the GEMM (matmul_epilogue.cc). ONNX Gemm imports as MatrixMultiply + ElementWise add, and
// MatMul + Add + Gelu/Relu is how transformers' MLPs export, so both reach this pass. Each step may find
// its node behind private reshape-only Shuffles (GPT-2's Conv1D: Gemm [B*S, N] -> Reshape [B, S, N] ->
// Add residual / GELU); the reshape then moves after the fused product (epilogue_fusion.h).
//   bias:   an ElementWise kSUM with a Constant whose shape broadcasts to the tensor it is added to and is
//           1 in every dim but the last, which is N or 1 (stored as a 1-D [N] Constant); behind a reshape,
//           that tensor's last dim must be the product's N, so the bias still runs along the columns;
//   addend: an ElementWise kSUM with a tensor of exactly the shape and type of the tensor it is added to
//           (reshaped to the product's shape behind a reshape);
//   activation: any Activation.
// Each step needs the intermediate tensors to have one consumer and not be graph outputs; the steps are
// taken in this order, each at most once (epilogue_fusion.h).
#include <cstring>

#include "passes/epilogue_fusion.h"
#include "passes/pass.h"

namespace kiln::passes {
namespace {

/// The bias as a 1-D [N] constant when t, added to `seen` (the product `out` or a reshape of it),
/// qualifies (see the file comment), else kNoTensor. May add a Constant node (a reshaped or expanded
/// copy), which invalidates node references.
ir::TensorId biasOf(ir::Graph& g, ir::TensorId t, ir::TensorId seen, ir::TensorId out) {
    if (t == ir::kNoTensor || !pattern::isConstant(g, t)) return ir::kNoTensor;
    const ir::Tensor& b = g.tensor(t);
    const ir::Tensor& s = g.tensor(seen);
    const ir::Tensor& o = g.tensor(out);
    if (b.type != o.type || !isFloatType(b.type) || !isFullyKnown(b.shape) || !isFullyKnown(s.shape) ||
        !isFullyKnown(o.shape) || o.shape.nbDims < 1 || s.shape.nbDims < 1 || b.shape.nbDims < 1 ||
        b.shape.nbDims > s.shape.nbDims)
        return ir::kNoTensor;
    const int64_t n = o.shape.d[o.shape.nbDims - 1];
    const int64_t last = b.shape.d[b.shape.nbDims - 1];
    // A reshape that changes the last dim would move a per-column value onto other elements.
    if (n <= 0 || (last != 1 && (last != n || s.shape.d[s.shape.nbDims - 1] != n))) return ir::kNoTensor;
    for (int i = 0; i + 1 < b.shape.nbDims; ++i)
        if (b.shape.d[i] != 1) return ir::kNoTensor;
    if (b.shape.nbDims == 1 && last == n) return t;
    // Copy (and expand a single value to N): the original Constant may have other readers.
    const auto& data = std::get<ir::ConstantAttrs>(g.node(b.producer).attrs).data;
    const size_t es = static_cast<size_t>(dataTypeSize(b.type));
    if (!data || data->size() < static_cast<size_t>(last) * es) return ir::kNoTensor;
    std::vector<uint8_t> bytes(static_cast<size_t>(n) * es);
    for (int64_t j = 0; j < n; ++j)
        std::memcpy(bytes.data() + static_cast<size_t>(j) * es,
                    data->data() + (last == 1 ? 0 : static_cast<size_t>(j) * es), es);
    Dims shape{};
    shape.nbDims = 1;
    shape.d[0] = n;
    const DataType type = b.type;
    const std::string name = pattern::freshName(g, b.name + "_bias");
    return g.addConstant(name, type, shape, std::move(bytes));
}

/// Absorbs a bias sum into a MatrixMultiply that has no epilogue yet.
bool absorbBias(ir::Graph& g, const pattern::Uses& uses, ir::NodeId id) {
    const ir::TensorId out = g.node(id).outputs[0];
    ir::MatrixMultiplyAttrs attrs = std::get<ir::MatrixMultiplyAttrs>(g.node(id).attrs);
    if (attrs.epilogue.hasActivation || g.node(id).inputs.size() > 2) return false;  // bias comes first
    const epilogue::Consumer c = epilogue::consumerOf(g, uses, out);
    if (c.node < 0) return false;
    const ir::Node& next = g.node(c.node);
    if (next.kind() != ir::OpKind::kElementWise ||
        std::get<ir::ElementWiseAttrs>(next.attrs).op != ElementWiseOperation::kSUM)
        return false;
    std::vector<ir::TensorId> inputs = g.node(id).inputs;
    const ir::TensorId bias = biasOf(g, epilogue::otherOperand(next, c.seen), c.seen, out);  // may add a node
    if (bias == ir::kNoTensor) return false;
    inputs.push_back(bias);
    epilogue::absorb(g, id, c, attrs, std::move(inputs));
    return true;
}

}  // namespace

StatusOr<bool> fuseMatmulEpilogue(ir::Graph& graph, const PassContext& /*ctx*/) {
    bool changed = false;
    // A step without a reshape moves the fused node to its consumer's place further on, which this walk
    // reaches later; a step through a reshape keeps it at `id`. So each MatrixMultiply is tried again until
    // nothing more folds (a merged-away node has no reader left and stops at once). Nodes appended on the
    // way (bias Constants, addend reshapes) are visited too and skipped.
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(graph.nodes().size()); ++id) {
        if (graph.node(id).kind() != ir::OpKind::kMatrixMultiply) continue;
        for (;;) {
            const pattern::Uses uses(graph);
            if (!absorbBias(graph, uses, id) &&
                !epilogue::absorbAddendOrActivation<ir::MatrixMultiplyAttrs>(graph, uses, id, 3))
                break;
            changed = true;
        }
    }
    return changed;
}

}  // namespace kiln::passes
