// ModelImporter: one parse of one ONNX model. Stages, each collecting every problem it finds before the
// next runs: decode the protobuf -> read opsets -> inline model-local functions -> read initializers and
// inputs -> check the graph (dangling inputs, duplicate producers, cycles, missing outputs) and sort it ->
// check every node against the importer registry -> import node by node (a failed node poisons what
// depends on it, independent nodes still import) -> mark outputs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kiln/logger.h"
#include "kiln/network.h"
#include "kiln/onnx_parser.h"
#include "onnx/function_inliner.h"
#include "onnx/import_context.h"
#include "onnx/onnx_subset.pb.h"

namespace kiln::onnx {

struct ImportError {
    ParserErrorCode code{ParserErrorCode::kINTERNAL_ERROR};
    std::string desc;
    int64_t node{-1};
    std::string nodeName;
    std::string nodeOp;
};

/// A graph input as the network will declare it.
struct InputDecl {
    std::string name;
    int32_t onnxType{0};
    DataType type{DataType::kFLOAT};
    Dims dims{};
    std::vector<std::string> dimNames;  ///< per dim: the symbolic name, "" for fixed or anonymous dims
};

class ModelImporter {
public:
    ModelImporter(ILogger* logger, int32_t verbosity) {
        mState.logger = logger;
        mState.verbosity = verbosity;
    }

    /// Runs every stage; with `network` null, stops after the support check. Returns true when no error
    /// was found.
    bool run(const void* data, size_t size, const std::string& modelPath, INetworkDefinition* network);
    /// Logs problems at info level instead of error (a support check, not a failed parse).
    void setCheckOnly() { mCheckOnly = true; }

    const std::vector<ImportError>& errors() const { return mErrors; }
    int64_t opsetVersion(const std::string& domain) const;
    const ModelProto& model() const { return mModel; }
    bool decoded() const { return mDecoded; }
    /// The nodes after inlining, in their original order, and the sorted order.
    const std::vector<FlatNode>& nodes() const { return mNodes; }
    const std::vector<InputDecl>& inputs() const { return mInputs; }
    int64_t initializerBytes() const { return mInitializerBytes; }
    int64_t nbInitializers() const { return static_cast<int64_t>(mInitializers.size()); }

private:
    bool decode(const void* data, size_t size);
    void readOpsets();
    void flattenFunctions();
    void readInitializers();
    void readInputs();
    void checkGraph();
    void checkSupport();
    void importNodes(INetworkDefinition& network);
    void markOutputs(INetworkDefinition& network, ImportContext& ctx);
    /// Imports one node (skipping it when an input is unavailable); the Status is the node's error.
    Status importNode(ImportContext& ctx, const OnnxNode& node);

    void addError(ParserErrorCode code, const std::string& desc, int64_t node = -1);
    void addNodeError(const Status& st, int64_t node,
                      ParserErrorCode unsupportedCode = ParserErrorCode::kUNSUPPORTED_NODE);
    OnnxNode onnxNode(int64_t index) const;

    ModelState mState;
    bool mCheckOnly{false};
    ModelProto mModel;
    bool mDecoded{false};
    std::map<std::string, int64_t> mOpsets;  // canonical domain -> version
    std::unique_ptr<FunctionInliner> mInliner;
    std::vector<FlatNode> mNodes;
    std::vector<int64_t> mOrder;  // topological order of mNodes
    std::unordered_map<std::string, std::shared_ptr<const ConstValue>> mInitializers;
    std::vector<InputDecl> mInputs;
    int64_t mInitializerBytes{0};
    std::unordered_map<std::string, Value> mValues;
    std::unordered_set<ITensor*> mNamedTensors;              // tensors that already carry an ONNX name
    std::unordered_map<std::string, std::string> mPoisoned;  // tensor name -> why it is unavailable
    std::vector<ImportError> mErrors;
};

}  // namespace kiln::onnx
