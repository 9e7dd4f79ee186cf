// fuse-matmul-epilogue: MatrixMultiply -> [+ bias] -> [+ residual] -> [activation] becomes one
// MatrixMultiply with inputs [2] bias, [3] addend and the activation in its EpilogueAttrs, which cuBLASLt
// runs inside the GEMM (matmul_epilogue.cc). ONNX Gemm imports as MatrixMultiply + ElementWise add, and
// MatMul + Add + Gelu/Relu is how transformers' MLPs export, so both reach this pass.
//   bias:   an ElementWise kSUM with a Constant whose shape broadcasts to the output and is 1 in every
//           dim but the last, which is N or 1 (stored as a 1-D [N] Constant);
//   addend: an ElementWise kSUM with a tensor of exactly the output's shape and type;
//   activation: any Activation.
// Each step needs the intermediate tensor to have one consumer and not be a graph output; the steps are
// taken in this order, each at most once (epilogue_fusion.h).
#include <cstring>

#include "passes/epilogue_fusion.h"
#include "passes/pass.h"

namespace kiln::passes {
namespace {

/// The bias as a 1-D [N] constant when t qualifies (see the file comment), else kNoTensor. May add a
/// Constant node (a reshaped or expanded copy), which invalidates node references.
ir::TensorId biasOf(ir::Graph& g, ir::TensorId t, ir::TensorId out) {
    if (t == ir::kNoTensor || !pattern::isConstant(g, t)) return ir::kNoTensor;
    const ir::Tensor& b = g.tensor(t);
    const ir::Tensor& o = g.tensor(out);
    if (b.type != o.type || !isFloatType(b.type) || !isFullyKnown(b.shape) || !isFullyKnown(o.shape) ||
        o.shape.nbDims < 1 || b.shape.nbDims < 1 || b.shape.nbDims > o.shape.nbDims)
        return ir::kNoTensor;
    const int64_t n = o.shape.d[o.shape.nbDims - 1];
    const int64_t last = b.shape.d[b.shape.nbDims - 1];
    if (n <= 0 || (last != n && last != 1)) return ir::kNoTensor;
    for (int i = 0; i + 1 < b.shape.nbDims; ++i)
        if (b.shape.d[i] != 1) return ir::kNoTensor;
    if (b.shape.nbDims == 1 && last == n) return t;
    // Copy (and expand a single value to N): the original Constant may have other readers.
    const auto& data = std::get<ir::ConstantAttrs>(g.node(b.producer).attrs).data;
    const size_t es = static_cast<size_t>(dataTypeSize(b.type));
    if (!data || data->size() < static_cast<size_t>(last) * es) return ir::kNoTensor;
    std::vector<uint8_t> bytes(static_cast<size_t>(n) * es);
    for (int64_t j = 0; j < n; ++j)
        std::memcpy(bytes.data() + static_cast<size_t>(j) * es, data->data() + (last == 1 ? 0 : static_cast<size_t>(j) * es), es);
    Dims shape{};
    shape.nbDims = 1;
    shape.d[0] = n;
    const DataType type = b.type;
    const std::string name = pattern::freshName(g, b.name + "_bias");
    return g.addConstant(name, type, shape, std::move(bytes));
}

/// Absorbs a bias sum into a MatrixMultiply that has no epilogue yet.
bool absorbBias(ir::Graph& g, const pattern::Uses& uses, ir::NodeId id) {
    const ir::Node& op = g.node(id);
    const ir::TensorId out = op.outputs[0];
    ir::MatrixMultiplyAttrs attrs = std::get<ir::MatrixMultiplyAttrs>(op.attrs);
    if (attrs.epilogue.hasActivation || op.inputs.size() > 2) return false;  // bias comes first
    const ir::NodeId c = uses.soleConsumer(g, out);
    if (c < 0) return false;
    const ir::Node& next = g.node(c);
    if (next.kind() != ir::OpKind::kElementWise ||
        std::get<ir::ElementWiseAttrs>(next.attrs).op != ElementWiseOperation::kSUM)
        return false;
    std::vector<ir::TensorId> inputs = op.inputs;
    const ir::TensorId bias = biasOf(g, epilogue::otherOperand(next, out), out);  // may add a node
    if (bias == ir::kNoTensor) return false;
    inputs.push_back(bias);
    epilogue::mergeInto(g, id, c, attrs, std::move(inputs));
    return true;
}

}  // namespace

StatusOr<bool> fuseMatmulEpilogue(ir::Graph& graph, const PassContext& /*ctx*/) {
    bool changed = false;
    // A fused node takes its consumer's place further on, so this walk reaches it again and tries the
    // next step from there. Nodes appended by biasOf (Constants) are visited too and skipped.
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(graph.nodes().size()); ++id) {
        if (graph.node(id).kind() != ir::OpKind::kMatrixMultiply) continue;
        const pattern::Uses uses(graph);
        if (absorbBias(graph, uses, id) ||
            epilogue::absorbAddendOrActivation<ir::MatrixMultiplyAttrs>(graph, uses, id, 3))
            changed = true;
    }
    return changed;
}

}  // namespace kiln::passes
