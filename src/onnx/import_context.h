// ImportContext: what an importer sees while it turns one ONNX node into layers. It owns the link to the
// network being built (the user's, or a scratch network used to fold constants), turns constant values
// into constant layers on first use, names the layers after the node, and captures the reason a network
// call failed so it can be reported against the node.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "kiln/logger.h"
#include "kiln/network.h"
#include "onnx/node_attrs.h"
#include "onnx/onnx_subset.pb.h"
#include "onnx/tensor_proto.h"
#include "onnx/values.h"

namespace kiln::onnx {

/// One node of the (inlined, sorted) graph, as importers see it.
struct OnnxNode {
    const NodeProto* proto{nullptr};
    int64_t index{-1};  ///< position in the graph after functions are inlined
    int64_t opset{0};   ///< the opset version of the node's domain
    const std::string& op() const { return proto->op_type(); }
    const std::string& name() const { return proto->name(); }
    int nbInputs() const { return proto->input_size(); }
    int nbOutputs() const { return proto->output_size(); }
    NodeAttrs attrs() const { return NodeAttrs(*proto); }
    /// "Conv node 'conv1' (#3)" for messages.
    std::string describe() const;
};

/// Model-wide facts shared by every context of one parse.
struct ModelState {
    ExternalDataContext external;
    int64_t defaultOpset{0};
    ILogger* logger{nullptr};
    int32_t verbosity{static_cast<int32_t>(ILogger::Severity::kWARNING)};
    void log(ILogger::Severity s, const std::string& msg) const {
        if (logger && static_cast<int32_t>(s) <= verbosity) logger->log(s, msg.c_str());
    }
};

class ErrorCapture;

class ImportContext {
public:
    ImportContext(INetworkDefinition& network, const ModelState& model);
    ~ImportContext();
    ImportContext(const ImportContext&) = delete;
    ImportContext& operator=(const ImportContext&) = delete;

    INetworkDefinition& net() { return *mNet; }
    const ModelState& model() const { return *mModel; }
    /// Starts a node: later layers are named after it and network errors are attributed to it.
    void beginNode(const OnnxNode& node);
    /// Runs `fn` as if importing `node` (layer names), then returns to the current node; errors are still
    /// attributed to the current node. Used to add the layers of a deferred value on first use.
    template <class F>
    Status nested(const OnnxNode& node, F&& fn) {
        const OnnxNode* saved = mNode;
        const int savedCounter = mLayerCounter;
        mNode = &node;
        mLayerCounter = 0;
        Status st = fn();
        mNode = saved;
        mLayerCounter = savedCounter;
        return st;
    }
    /// Ends the current node: later layers are named by the network's defaults.
    void endNode() { mNode = nullptr; }
    const OnnxNode& node() const { return *mNode; }
    int64_t opset() const { return mNode ? mNode->opset : mModel->defaultOpset; }

    /// The value as a network tensor; a constant becomes a constant layer (once per value).
    StatusOr<ITensor*> tensor(const Value& v);
    /// A constant layer holding `c`.
    StatusOr<ITensor*> constant(const ConstValue& c);
    /// A rank-`rank` constant (all dims 1) holding `value` converted to `type`: broadcasts against any
    /// tensor of rank >= `rank`.
    StatusOr<ITensor*> scalar(DataType type, double value, int rank = 0);

    /// Checks the result of an INetworkDefinition::add* call: on null, fails with the reason the network
    /// reported; otherwise names the layer after the node and returns it.
    template <class L>
    StatusOr<L*> check(L* layer, const char* api) {
        if (!layer) return failedCall(api);
        nameLayer(layer);
        return layer;
    }
    /// Output 0 of a checked layer.
    template <class L>
    StatusOr<ITensor*> out(L* layer, const char* api) {
        KILN_ASSIGN_OR_RETURN(L * l, check(layer, api));
        return l->getOutput(0);
    }
    /// Fails when the network reported an error since the node began, or when shape inference fails
    /// for the node's `outputs` (the network defers such errors to the build; the parser reports them
    /// against the node that caused them).
    Status networkErrors(const char* when, const std::vector<Value>& outputs = {});

    /// The error for a failed network call `api`, quoting the reason the network reported.
    Status failedCall(const char* api);

    void warning(const std::string& msg) const;
    void verbose(const std::string& msg) const;

private:
    void nameLayer(ILayer* layer);

    INetworkDefinition* mNet;
    const ModelState* mModel;
    const OnnxNode* mNode{nullptr};
    int mLayerCounter{0};
    std::unordered_map<const ConstValue*, ITensor*> mConstTensors;
    std::vector<std::shared_ptr<const ConstValue>> mKeepAlive;  // keys of mConstTensors stay valid
    std::unique_ptr<ErrorCapture> mCapture;
};

}  // namespace kiln::onnx
