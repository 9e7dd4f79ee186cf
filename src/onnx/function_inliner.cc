// FunctionInliner (see function_inliner.h).
#include "onnx/function_inliner.h"

namespace kiln::onnx {

namespace {

constexpr int kMaxInlineDepth = 16;
/// Nodes a model may inline in total: functions calling functions can multiply a small file into an
/// enormous graph, which is refused rather than built.
constexpr int64_t kMaxInlinedNodes = int64_t{1} << 22;

std::string functionKey(const std::string& domain, const std::string& name) {
    return canonicalDomain(domain) + ":" + name;
}

int64_t versionIn(const std::map<std::string, int64_t>& opsets, const std::string& domain) {
    auto it = opsets.find(canonicalDomain(domain));
    return it == opsets.end() ? 0 : it->second;
}

}  // namespace

FunctionInliner::FunctionInliner(const ModelProto& model) : mModel(&model) {
    for (const FunctionProto& f : model.functions()) mFunctions[functionKey(f.domain(), f.name())] = &f;
}

bool FunctionInliner::isFunction(const std::string& domain, const std::string& op) const {
    return mFunctions.count(functionKey(domain, op)) > 0;
}

std::vector<FlatNode> FunctionInliner::flatten(const std::map<std::string, int64_t>& defaultOpsets,
                                               std::vector<InlineError>& errors) {
    std::vector<FlatNode> out;
    const GraphProto& g = mModel->graph();
    for (int i = 0; i < g.node_size(); ++i) {
        const NodeProto& n = g.node(i);
        if (!isFunction(n.domain(), n.op_type())) {
            out.push_back({&n, versionIn(defaultOpsets, n.domain()), ""});
            continue;
        }
        std::vector<FlatNode> body;
        Status st = inlineCall(n, defaultOpsets, 0, body);
        if (!st.isOk()) {
            errors.push_back({i, st});
            continue;
        }
        out.insert(out.end(), body.begin(), body.end());
    }
    return out;
}

Status FunctionInliner::inlineCall(const NodeProto& call, const std::map<std::string, int64_t>& scopeOpsets,
                                   int depth, std::vector<FlatNode>& out) {
    const std::string key = functionKey(call.domain(), call.op_type());
    const FunctionProto& f = *mFunctions.at(key);
    if (depth >= kMaxInlineDepth)
        return invalidArgument("model-local function '" + key + "' is nested more than " +
                               std::to_string(kMaxInlineDepth) + " calls deep (does it call itself?)");
    if (call.input_size() > f.input_size() || call.output_size() > f.output_size())
        return invalidArgument("the call of function '" + key + "' has " + std::to_string(call.input_size()) +
                               " inputs and " + std::to_string(call.output_size()) +
                               " outputs; the function takes " + std::to_string(f.input_size()) +
                               " and gives " + std::to_string(f.output_size()));
    const std::string prefix =
        (call.name().empty() ? f.name() : call.name()) + "/" + std::to_string(mCallCounter++) + "/";
    std::map<std::string, std::string> rename;
    for (int i = 0; i < f.input_size(); ++i) rename[f.input(i)] = i < call.input_size() ? call.input(i) : "";
    for (int i = 0; i < f.output_size(); ++i)
        rename[f.output(i)] =
            i < call.output_size() && !call.output(i).empty() ? call.output(i) : prefix + f.output(i);
    auto mapped = [&](const std::string& name) -> std::string {
        if (name.empty()) return name;
        auto it = rename.find(name);
        return it != rename.end() ? it->second : prefix + name;
    };
    // The function's opsets override the caller's for the domains it lists.
    std::map<std::string, int64_t> opsets = scopeOpsets;
    for (const auto& o : f.opset_import()) opsets[canonicalDomain(o.domain())] = o.version();
    // Attribute values: the function's defaults, overridden by the call.
    std::map<std::string, const AttributeProto*> attrs;
    for (const auto& a : f.attribute_proto()) attrs[a.name()] = &a;
    for (const auto& a : call.attribute()) attrs[a.name()] = &a;

    for (const NodeProto& n : f.node()) {
        NodeProto copy = n;
        for (int i = 0; i < copy.input_size(); ++i) copy.set_input(i, mapped(n.input(i)));
        for (int i = 0; i < copy.output_size(); ++i) copy.set_output(i, mapped(n.output(i)));
        copy.set_name(prefix + (n.name().empty() ? n.op_type() : n.name()));
        copy.clear_attribute();
        for (const AttributeProto& a : n.attribute()) {
            if (a.ref_attr_name().empty()) {
                *copy.add_attribute() = a;
                continue;
            }
            auto it = attrs.find(a.ref_attr_name());
            if (it == attrs.end()) continue;  // not given by the call and no default: the attribute is absent
            AttributeProto* r = copy.add_attribute();
            *r = *it->second;
            r->set_name(a.name());
            r->clear_ref_attr_name();
        }
        if (isFunction(copy.domain(), copy.op_type())) {
            mOwned.push_back(std::move(copy));
            KILN_RETURN_IF_ERROR(inlineCall(mOwned.back(), opsets, depth + 1, out)
                                     .withContext("inside function '" + key + "'"));
            continue;
        }
        if (static_cast<int64_t>(mOwned.size()) >= kMaxInlinedNodes)
            return invalidArgument("inlining model-local functions produces more than " +
                                   std::to_string(kMaxInlinedNodes) +
                                   " nodes; the model is too large or malformed");
        mOwned.push_back(std::move(copy));
        out.push_back({&mOwned.back(), versionIn(opsets, mOwned.back().domain()), key});
    }
    return Status::ok();
}

}  // namespace kiln::onnx
