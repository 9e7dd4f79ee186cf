// Model-local functions (ModelProto.functions, emitted by exporters such as torch.onnx's dynamo path):
// a node calling one is replaced by the function's body, with the body's tensor names made unique per
// call, formal inputs/outputs bound to the call's actual names, and attribute references
// (ref_attr_name) resolved against the call's attributes or the function's defaults. Nested calls are
// inlined recursively; recursion is an error.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "onnx/onnx_subset.pb.h"

namespace kiln::onnx {

/// A node of the flattened graph and the opset version of its domain.
struct FlatNode {
    const NodeProto* proto{nullptr};
    int64_t opset{0};          ///< version of the node's domain in the scope it came from
    std::string fromFunction;  ///< "domain:name" of the function it was inlined from; "" for graph nodes
};

/// A problem found while inlining, attributed to a graph node.
struct InlineError {
    int64_t callIndex;  ///< index of the call in the graph's node list
    Status status;
};

class FunctionInliner {
public:
    explicit FunctionInliner(const ModelProto& model);
    /// Flattens `graph.node()` of the model: nodes calling a model-local function are replaced by its
    /// body. `defaultOpsets` maps a domain to its version in the model. Errors are appended to `errors`;
    /// a failed call contributes no nodes.
    std::vector<FlatNode> flatten(const std::map<std::string, int64_t>& defaultOpsets,
                                  std::vector<InlineError>& errors);
    /// Whether (domain, op type) names a model-local function.
    bool isFunction(const std::string& domain, const std::string& op) const;

private:
    Status inlineCall(const NodeProto& call, const std::map<std::string, int64_t>& opsets, int depth,
                      std::vector<FlatNode>& out);

    std::map<std::string, const FunctionProto*> mFunctions;  // "domain:name"
    std::deque<NodeProto> mOwned;                            // inlined nodes (stable addresses)
    int64_t mCallCounter{0};
    const ModelProto* mModel;
};

/// "" and "ai.onnx" both name the default domain.
inline std::string canonicalDomain(const std::string& d) {
    return d == "ai.onnx" ? std::string() : d;
}

}  // namespace kiln::onnx
