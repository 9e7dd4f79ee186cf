// Model summaries for `kiln inspect` (see model_summary.h).
#include "onnx/model_summary.h"

#include <fstream>
#include <iomanip>
#include <sstream>

#include "api/network_impl.h"
#include "common/reporter.h"
#include "onnx/model_importer.h"
#include "onnx/tensor_proto.h"

namespace kiln::onnx {

namespace {

TensorSummary summarizeValueInfo(const ValueInfoProto& vi) {
    TensorSummary t;
    t.name = vi.name();
    if (!vi.type().has_tensor_type()) {
        t.dtype = "non-tensor";
        t.hasShape = false;
        return t;
    }
    const auto& tt = vi.type().tensor_type();
    t.dtype = onnxTypeName(tt.elem_type());
    t.hasShape = tt.has_shape();
    for (const auto& d : tt.shape().dim()) {
        if (d.has_dim_value())
            t.dims.push_back(std::to_string(d.dim_value()));
        else if (d.has_dim_param() && !d.dim_param().empty())
            t.dims.push_back(d.dim_param());
        else
            t.dims.push_back("?");
    }
    return t;
}

std::string shapeText(const TensorSummary& t) {
    if (!t.hasShape) return "(no shape)";
    std::string s = "[";
    for (size_t i = 0; i < t.dims.size(); ++i) s += (i ? ", " : "") + t.dims[i];
    return s + "]";
}

}  // namespace

StatusOr<ModelSummary> summarizeOnnxModel(const void* data, size_t size, const std::string& modelPath) {
    ModelImporter importer(nullptr, 0);
    Reporter reporter(nullptr);
    api::NetworkImpl scratch(&reporter, 0);
    importer.run(data, size, modelPath, &scratch);
    if (!importer.decoded()) {
        std::string why = importer.errors().empty() ? "unknown error" : importer.errors().front().desc;
        return invalidArgument(why);
    }
    const ModelProto& m = importer.model();
    ModelSummary s;
    s.irVersion = m.ir_version();
    s.producer = m.producer_name() + (m.producer_version().empty() ? "" : " " + m.producer_version());
    for (const auto& o : m.opset_import()) s.opsets.emplace_back(o.domain(), o.version());
    std::set<std::string> initializers;
    for (const auto& t : m.graph().initializer()) initializers.insert(t.name());
    for (const auto& vi : m.graph().input())
        if (!initializers.count(vi.name())) s.inputs.push_back(summarizeValueInfo(vi));
    for (const auto& vi : m.graph().output()) s.outputs.push_back(summarizeValueInfo(vi));
    s.nbInitializers = importer.nbInitializers();
    s.initializerBytes = importer.initializerBytes();
    s.nbFunctions = m.functions_size();
    const auto& nodes = importer.nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
        const NodeProto& n = *nodes[i].proto;
        NodeSummary ns;
        ns.index = static_cast<int64_t>(i);
        ns.name = n.name();
        ns.op = n.op_type();
        ns.domain = n.domain();
        s.nodes.push_back(ns);
        const std::string key =
            (n.domain().empty() || n.domain() == "ai.onnx") ? n.op_type() : n.domain() + "." + n.op_type();
        ++s.opHistogram[key];
    }
    for (const auto& e : importer.errors()) {
        if (e.node >= 0 && e.node < static_cast<int64_t>(s.nodes.size()) &&
            s.nodes[static_cast<size_t>(e.node)].op == e.nodeOp) {
            NodeSummary& ns = s.nodes[static_cast<size_t>(e.node)];
            ns.supported = false;
            ns.reason += (ns.reason.empty() ? "" : "; ") + e.desc;
        } else {
            s.graphErrors.push_back(
                (e.nodeName.empty() ? std::string() : e.nodeOp + " '" + e.nodeName + "': ") + e.desc);
        }
    }
    return s;
}

StatusOr<ModelSummary> summarizeOnnxFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return invalidArgument("cannot open ONNX model file '" + path + "'");
    const std::streamoff size = in.tellg();
    if (size < 0) return invalidArgument("cannot read the size of '" + path + "'");
    std::vector<char> bytes(static_cast<size_t>(size));
    in.seekg(0);
    if (size > 0) in.read(bytes.data(), size);
    if (!in) return invalidArgument("short read from '" + path + "'");
    return summarizeOnnxModel(bytes.data(), bytes.size(), path);
}

std::string formatModelSummary(const ModelSummary& s, bool allNodes) {
    std::ostringstream os;
    os << "ONNX model: IR version " << s.irVersion;
    if (!s.producer.empty()) os << ", produced by " << s.producer;
    os << "\nopsets:";
    for (const auto& [domain, version] : s.opsets)
        os << " " << (domain.empty() ? "ai.onnx" : domain) << "=" << version;
    os << "\n"
       << s.nodes.size() << " nodes, " << s.nbInitializers << " initializers (" << s.initializerBytes
       << " bytes)";
    if (s.nbFunctions > 0) os << ", " << s.nbFunctions << " model-local functions (inlined)";
    os << "\n\ninputs:\n";
    for (const auto& t : s.inputs) os << "  " << t.name << ": " << t.dtype << " " << shapeText(t) << "\n";
    os << "outputs:\n";
    for (const auto& t : s.outputs) os << "  " << t.name << ": " << t.dtype << " " << shapeText(t) << "\n";
    os << "\noperators:\n";
    for (const auto& [op, count] : s.opHistogram)
        os << "  " << std::left << std::setw(28) << op << count << "\n";
    const int64_t bad = s.nbUnsupported();
    os << "\nsupport: " << (static_cast<int64_t>(s.nodes.size()) - bad) << " of " << s.nodes.size()
       << " nodes supported\n";
    for (const auto& n : s.nodes) {
        if (n.supported && !allNodes) continue;
        os << "  #" << n.index << " " << n.op << " '" << n.name << "': ";
        if (n.supported)
            os << "supported\n";
        else
            os << (allNodes ? "NOT SUPPORTED: " : "") << n.reason << "\n";
    }
    for (const auto& e : s.graphErrors) os << "  graph: " << e << "\n";
    return os.str();
}

}  // namespace kiln::onnx
