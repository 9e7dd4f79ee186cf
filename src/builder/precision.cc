// reducePrecision (see precision.h).
#include "builder/precision.h"

#include <cstring>
#include <string>
#include <vector>

#include "common/float_types.h"

namespace kiln::builder {

namespace {

std::vector<uint8_t> convertFloats(const std::vector<uint8_t>& data, DataType type) {
    const size_t n = data.size() / sizeof(float);
    std::vector<uint8_t> out(n * sizeof(uint16_t));
    for (size_t i = 0; i < n; ++i) {
        float f;
        std::memcpy(&f, data.data() + i * sizeof(float), sizeof(float));
        const uint16_t h = type == DataType::kHALF ? floatToHalf(f) : floatToBf16(f);
        std::memcpy(out.data() + i * sizeof(uint16_t), &h, sizeof(uint16_t));
    }
    return out;
}

/// A unique tensor name derived from `base`.
std::string freshName(const ir::Graph& g, const std::string& base) {
    for (int k = 0;; ++k) {
        std::string name = base + (k ? "_" + std::to_string(k) : "");
        bool taken = false;
        for (const ir::Tensor& t : g.tensors()) taken = taken || t.name == name;
        if (!taken) return name;
    }
}

}  // namespace

Status reducePrecision(ir::Graph& g, DataType type) {
    if (type != DataType::kHALF && type != DataType::kBF16)
        return invalidArgument(std::string("reduced precision must be float16 or bfloat16, got ") + dataTypeName(type));
    const std::vector<bool> keep = ir::shapeValueTensors(g);
    const char* suffix = type == DataType::kHALF ? "_fp16" : "_bf16";
    std::vector<bool> isQuantScale(g.tensors().size(), false);
    for (const ir::Node& n : g.nodes())
        if (n.kind() == ir::OpKind::kQuantize || n.kind() == ir::OpKind::kDequantize)
            for (size_t k = 1; k < n.inputs.size(); ++k)
                if (n.inputs[k] != ir::kNoTensor) isQuantScale[static_cast<size_t>(n.inputs[k])] = true;
    auto lowers = [&](ir::TensorId t) {
        const auto i = static_cast<size_t>(t);
        // Tensors added here (the inner side of an output cast) are past the end: they are never kept.
        const bool kept = i < keep.size() && (keep[i] || isQuantScale[i]);
        // Network outputs keep their type: the boundary casts below write them.
        return g.tensor(t).type == DataType::kFLOAT && !kept && !g.tensor(t).isOutput;
    };

    // Outputs first: the producer writes an inner tensor (lowered below like any other) and a Cast back to
    // float32 writes the output under its own name.
    const std::vector<ir::TensorId> outputs = g.outputs();
    for (ir::TensorId out : outputs) {
        ir::Tensor& t = g.tensor(out);
        if (t.isInput || t.producer < 0 || t.type != DataType::kFLOAT || keep[static_cast<size_t>(out)]) continue;
        const ir::NodeId producer = t.producer;
        const ir::TensorId inner = g.addTensor(freshName(g, t.name + suffix), DataType::kFLOAT, t.shape);
        g.tensor(inner).producer = producer;
        for (ir::TensorId& o : g.node(producer).outputs)
            if (o == out) o = inner;
        // Every other consumer of the output reads the reduced tensor too.
        for (ir::Node& n : g.nodes())
            for (ir::TensorId& in : n.inputs)
                if (in == out) in = inner;
        ir::CastAttrs cast;
        cast.toType = DataType::kFLOAT;
        // addNode creates a fresh output; make it the original output tensor instead.
        const ir::NodeId castNode = g.addNode(g.tensor(out).name + "_to_fp32", cast, {inner}, 1);
        const ir::TensorId made = g.node(castNode).outputs[0];
        g.node(castNode).outputs[0] = out;
        g.tensor(out).producer = castNode;
        g.tensor(made).producer = -1;
    }
    // Producers: constants, casts, fills, identities and fused pointwise programs that make float32 produce
    // the reduced type.
    for (ir::Node& n : g.nodes()) {
        if (n.outputs.empty() || !lowers(n.outputs[0])) continue;
        if (auto* c = std::get_if<ir::ConstantAttrs>(&n.attrs)) {
            if (c->data) c->data = std::make_shared<const std::vector<uint8_t>>(convertFloats(*c->data, type));
            g.tensor(n.outputs[0]).type = type;
        } else if (auto* cast = std::get_if<ir::CastAttrs>(&n.attrs)) {
            if (cast->toType == DataType::kFLOAT) cast->toType = type;
        } else if (auto* fill = std::get_if<ir::FillAttrs>(&n.attrs)) {
            if (fill->outputType == DataType::kFLOAT) fill->outputType = type;
        } else if (auto* dq = std::get_if<ir::DequantizeAttrs>(&n.attrs)) {
            if (dq->toType == DataType::kFLOAT) dq->toType = type;
        } else if (auto* pw = std::get_if<ir::PointwiseAttrs>(&n.attrs)) {
            if (pw->outputType == DataType::kFLOAT) pw->outputType = type;
        } else if (std::holds_alternative<ir::IdentityAttrs>(n.attrs)) {
            g.tensor(n.outputs[0]).type = type;
        }
    }

    // Inputs: a Cast to the reduced type right after each float32 network input, used by every consumer.
    const std::vector<ir::TensorId> inputs = g.inputs();
    for (ir::TensorId in : inputs) {
        if (!lowers(in)) continue;
        const std::string name = freshName(g, g.tensor(in).name + suffix);
        const size_t nbNodes = g.nodes().size();
        ir::CastAttrs cast;
        cast.toType = type;
        const ir::NodeId castNode = g.addNode(name + "_cast", cast, {in}, 1);
        const ir::TensorId lowered = g.node(castNode).outputs[0];
        g.tensor(lowered).name = name;
        for (size_t i = 0; i < nbNodes; ++i)
            for (ir::TensorId& t : g.nodes()[i].inputs)
                if (t == in) t = lowered;
    }

    KILN_RETURN_IF_ERROR(g.topoSort());
    g.removeDeadNodes();  // drops the placeholder tensors addNode made for the output casts
    return g.inferShapes();
}

}  // namespace kiln::builder
