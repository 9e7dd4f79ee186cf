// eliminate-common-subexpressions: nodes that compute the same thing once. Two Constants of one type and
// shape with the same bytes (up to kMaxConstantBytes each: exporters repeat small scalars and masks per
// layer, rarely weights) become one; then, in topological order, a node with the same op, the same
// attributes (ir/attr_text.h, exact) and the same inputs as an earlier node is replaced by it: its readers
// read the earlier node's outputs. BERT's exports build the same attention mask (a Where over the same
// padding mask and the same two constants) in every layer, GPT-2's the same causal mask: twelve kernels
// become one. Random Fill operations are never merged (two draws are not one), nor a node whose output is
// a graph output (its name is the API's). Every op of ops.def is otherwise a pure function of its inputs
// and attributes, so the numbers do not change; CPU and GPU plans alike.
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "ir/attr_text.h"
#include "passes/pass.h"

namespace kiln::passes {
namespace {

constexpr int64_t kMaxConstantBytes = int64_t{64} << 10;

bool mergeable(const ir::Graph& g, const ir::Node& n) {
    if (n.outputs.empty()) return false;
    for (ir::TensorId t : n.outputs)
        if (g.tensor(t).isOutput) return false;
    if (const auto* f = std::get_if<ir::FillAttrs>(&n.attrs))
        return f->op != FillOperation::kRANDOM_UNIFORM && f->op != FillOperation::kRANDOM_NORMAL;
    return true;
}

/// The text that identifies what node n computes: op, exact attributes, inputs (after replacement) and the
/// number of outputs. Constants: type, shape and bytes (their attributes hold the bytes).
std::string keyOf(const ir::Graph& g, const ir::Node& n, const std::vector<ir::TensorId>& replaced) {
    std::ostringstream os;
    os << static_cast<int32_t>(n.kind()) << '|' << n.outputs.size() << '|';
    if (n.kind() == ir::OpKind::kConstant) {
        const ir::Tensor& t = g.tensor(n.outputs[0]);
        os << dataTypeName(t.type) << toString(t.shape) << '|';
    }
    ir::writeAttrText(os, n.attrs, ir::AttrTextMode::kEXACT);
    os << '|';
    for (ir::TensorId t : n.inputs) os << (t == ir::kNoTensor ? -1 : replaced[static_cast<size_t>(t)]) << ',';
    return os.str();
}

bool smallConstant(const ir::Node& n) {
    const auto& data = std::get<ir::ConstantAttrs>(n.attrs).data;
    return data && static_cast<int64_t>(data->size()) <= kMaxConstantBytes;
}

}  // namespace

StatusOr<bool> eliminateCommonSubexpressions(ir::Graph& graph, const PassContext& /*ctx*/) {
    // replaced[t]: the tensor t's readers read instead (t itself when it stays).
    std::vector<ir::TensorId> replaced(graph.tensors().size());
    for (size_t t = 0; t < replaced.size(); ++t) replaced[t] = static_cast<ir::TensorId>(t);
    std::map<std::string, ir::NodeId> seen;
    bool changed = false;
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(graph.nodes().size()); ++id) {
        const ir::Node& n = graph.node(id);
        if (!mergeable(graph, n) || (n.kind() == ir::OpKind::kConstant && !smallConstant(n))) continue;
        const auto [it, inserted] = seen.emplace(keyOf(graph, n, replaced), id);
        if (inserted) continue;
        const ir::Node& earlier = graph.node(it->second);
        bool sameOutputs = earlier.outputs.size() == n.outputs.size();
        for (size_t k = 0; sameOutputs && k < n.outputs.size(); ++k) {
            const ir::Tensor& a = graph.tensor(earlier.outputs[k]);
            const ir::Tensor& b = graph.tensor(n.outputs[k]);
            sameOutputs = a.type == b.type && a.shape == b.shape;
        }
        if (!sameOutputs) continue;
        for (size_t k = 0; k < n.outputs.size(); ++k)
            replaced[static_cast<size_t>(n.outputs[k])] = earlier.outputs[k];
        changed = true;
    }
    if (!changed) return false;
    for (ir::Node& n : graph.nodes())
        for (ir::TensorId& t : n.inputs)
            if (t != ir::kNoTensor) t = replaced[static_cast<size_t>(t)];
    return true;  // the replaced nodes have no readers left: dead-node removal takes them
}

}  // namespace kiln::passes
