// Import-time constant folding (see constant_fold.h). Any failure in the scratch network means "do not
// fold": the node is then imported into the real network, where a genuine problem is reported with the
// node's name.
#include "onnx/constant_fold.h"

#include <memory>

#include "api/network_impl.h"
#include "backends/reference/kernels.h"
#include "common/host_tensor.h"
#include "common/reporter.h"
#include "ir/infer.h"

namespace kiln::onnx {

namespace {

/// Outputs above this many elements stay layers: folding them would only move work into the plan's
/// weights (an Expand to a large shape, a ConstantOfShape of a big tensor).
constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;

ThreadPool& foldPool() {
    static ThreadPool pool(0);
    return pool;
}

/// Runs every node of `g` on the host; returns the values per tensor id, or nullopt.
std::optional<std::vector<std::shared_ptr<HostTensor>>> evaluate(const ir::Graph& graph) {
    ir::Graph g = graph;
    if (!g.topoSort().isOk()) return std::nullopt;
    std::vector<std::shared_ptr<HostTensor>> vals(g.tensors().size());
    for (ir::NodeId id = 0; id < static_cast<ir::NodeId>(g.nodes().size()); ++id) {
        const ir::Node& n = g.node(id);
        if (const auto* c = std::get_if<ir::ConstantAttrs>(&n.attrs)) {
            const ir::Tensor& t = g.tensor(n.outputs[0]);
            auto h = std::make_shared<HostTensor>(t.type, t.shape);
            if (!c->data || c->data->size() != h->bytes.size()) return std::nullopt;
            h->bytes = *c->data;
            vals[static_cast<size_t>(n.outputs[0])] = h;
            continue;
        }
        std::vector<ir::TensorDesc> in(n.inputs.size());
        std::vector<TensorRef> inRefs(n.inputs.size());
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            const ir::TensorId t = n.inputs[k];
            if (t == ir::kNoTensor) {
                in[k].shape.nbDims = -1;
                inRefs[k].shape.nbDims = -1;
                continue;
            }
            const auto& h = vals[static_cast<size_t>(t)];
            if (!h) return std::nullopt;  // a network input: nothing to fold
            in[k] = ir::TensorDesc{h->type, h->shape, h->data()};
            inRefs[k] = h->ref();
        }
        std::vector<ir::TensorDesc> out(n.outputs.size());
        for (size_t k = 0; k < n.outputs.size(); ++k) out[k].type = g.tensor(n.outputs[k]).type;
        ir::InferContext ictx{in, out};
        if (!ir::inferNode(n.attrs, ictx).isOk()) return std::nullopt;
        std::vector<TensorRef> outRefs;
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            if (!isFullyKnown(out[k].shape) || volume(out[k].shape) > kMaxFoldedElements) return std::nullopt;
            auto h = std::make_shared<HostTensor>(out[k].type, out[k].shape);
            vals[static_cast<size_t>(n.outputs[k])] = h;
            outRefs.push_back(h->ref());
        }
        reference::KernelContext kctx{inRefs, outRefs, &foldPool()};
        if (!reference::runNode(n.attrs, kctx).isOk()) return std::nullopt;
    }
    return vals;
}

}  // namespace

std::optional<std::vector<Value>> foldNode(const OpImporter& importer, const OnnxNode& node,
                                           const std::vector<Value>& inputs, const ModelState& model) {
    Reporter reporter(nullptr);
    api::NetworkImpl scratch(&reporter, 0);
    std::vector<Value> ins = inputs;
    std::vector<Value> outs(static_cast<size_t>(node.nbOutputs()));
    {
        ModelState quiet = model;
        quiet.logger = nullptr;  // the real import logs whatever matters
        ImportContext ctx(scratch, quiet);
        ctx.beginNode(node);
        if (!importer.import(ctx, node, ins, outs).isOk()) return std::nullopt;
        if (!ctx.networkErrors("while folding", outs).isOk()) return std::nullopt;
    }
    bool anyTensor = false;
    for (const Value& v : outs) anyTensor = anyTensor || (v.tensor && !v.constant);
    std::vector<Value> result(outs.size());
    if (anyTensor) {
        auto vals = evaluate(scratch.graph());
        if (!vals) return std::nullopt;
        for (size_t k = 0; k < outs.size(); ++k) {
            if (!outs[k].tensor || outs[k].constant) continue;
            auto* impl = dynamic_cast<api::TensorImpl*>(outs[k].tensor);
            if (!impl) return std::nullopt;
            const auto& h = (*vals)[static_cast<size_t>(impl->id())];
            if (!h) return std::nullopt;
            result[k] = Value::fromConstant(ConstValue::make(h->type, h->shape, h->bytes));
        }
    }
    for (size_t k = 0; k < outs.size(); ++k)
        if (outs[k].constant) result[k] = Value::fromConstant(*outs[k].constant);
    return result;
}

}  // namespace kiln::onnx
