// ModelImporter (see model_importer.h).
#include "onnx/model_importer.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <queue>
#include <set>
#include <unordered_set>

#include "api/network_impl.h"
#include "common/reporter.h"
#include "onnx/constant_fold.h"
#include "onnx/op_registry.h"
#include "onnx/shape_fold.h"
#include "onnx/tensor_proto.h"

namespace kiln::onnx {

namespace {

ParserErrorCode codeFor(const Status& st, ParserErrorCode unsupportedCode) {
    switch (st.code()) {
        case ErrorCode::kUNSUPPORTED_STATE:
            return unsupportedCode;
        case ErrorCode::kINVALID_ARGUMENT:
        case ErrorCode::kINVALID_CONFIG:
        case ErrorCode::kINVALID_STATE:
            return ParserErrorCode::kINVALID_NODE;
        case ErrorCode::kFAILED_ALLOCATION:
            return ParserErrorCode::kMEM_ALLOC_FAILED;
        case ErrorCode::kSUCCESS:
        case ErrorCode::kUNSPECIFIED_ERROR:
        case ErrorCode::kINTERNAL_ERROR:
        case ErrorCode::kFAILED_INITIALIZATION:
        case ErrorCode::kFAILED_EXECUTION:
        case ErrorCode::kFAILED_COMPUTATION:
            break;
    }
    return ParserErrorCode::kINTERNAL_ERROR;
}

/// Imports `node` into a scratch network whose inputs stand in for the real ones (same types, shapes,
/// constants and known elements). The network API cannot remove layers, so a node is only imported into
/// the real network once this trial succeeded: a failed node leaves no broken layer behind, and the
/// nodes after it still import and report their own problems.
Status trialImport(const OpImporter& entry, const OnnxNode& node, const std::vector<Value>& inputs,
                   const ModelState& model) {
    Reporter reporter(nullptr);
    api::NetworkImpl scratch(&reporter, 0);
    std::vector<Value> ins(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        const Value& v = inputs[i];
        if (!v.present()) continue;
        if (v.constant) {
            ins[i] = v;
            continue;
        }
        ITensor* t = scratch.addInput(("trial_input_" + std::to_string(i)).c_str(), v.dtype(), v.dims());
        if (!t)
            return internalError("could not stand in for input " + std::to_string(i) +
                                 " in the trial import");
        ins[i] = Value::fromTensor(t);
        ins[i].partial = v.partial;
    }
    std::vector<Value> outs(static_cast<size_t>(node.nbOutputs()));
    ModelState quiet = model;
    quiet.logger = nullptr;  // the real import logs its own warnings
    ImportContext ctx(scratch, quiet);
    ctx.beginNode(node);
    KILN_RETURN_IF_ERROR(entry.import(ctx, node, ins, outs));
    return ctx.networkErrors("while inferring the node's outputs", outs);
}

bool allConstant(const std::vector<Value>& inputs) {
    for (const Value& v : inputs)
        if (v.present() && !v.isConstant()) return false;
    return true;
}

}  // namespace

bool ModelImporter::run(const void* data, size_t size, const std::string& modelPath,
                        INetworkDefinition* network) {
    if (!network) mCheckOnly = true;
    try {
        if (!modelPath.empty()) {
            std::filesystem::path dir = std::filesystem::path(modelPath).parent_path();
            mState.external.modelDir = dir.empty() ? std::string(".") : dir.string();
            mState.external.modelDirKnown = true;
        }
        if (!decode(data, size)) return false;
        mState.log(ILogger::Severity::kINFO,
                   "ONNX parser: model with IR version " + std::to_string(mModel.ir_version()) +
                       ", produced by '" + mModel.producer_name() + " " + mModel.producer_version() + "', " +
                       std::to_string(mModel.graph().node_size()) + " nodes, " +
                       std::to_string(mModel.graph().initializer_size()) + " initializers, " +
                       std::to_string(mModel.functions_size()) + " model-local functions");
        readOpsets();
        if (!mErrors.empty()) return false;
        flattenFunctions();
        readInitializers();
        readInputs();
        checkGraph();
        checkSupport();
        if (!mErrors.empty() || !network) return mErrors.empty();
        importNodes(*network);
        return mErrors.empty();
    } catch (const std::bad_alloc&) {
        addError(ParserErrorCode::kMEM_ALLOC_FAILED, "out of memory while parsing the model");
    } catch (const std::exception& e) {
        addError(ParserErrorCode::kINTERNAL_ERROR,
                 std::string("unexpected exception while parsing: ") + e.what());
    }
    return false;
}

int64_t ModelImporter::opsetVersion(const std::string& domain) const {
    auto it = mOpsets.find(canonicalDomain(domain));
    return it == mOpsets.end() ? -1 : it->second;
}

void ModelImporter::addError(ParserErrorCode code, const std::string& desc, int64_t node) {
    ImportError e;
    e.code = code;
    e.desc = desc;
    e.node = node;
    if (node >= 0 && node < static_cast<int64_t>(mNodes.size())) {
        e.nodeName = mNodes[static_cast<size_t>(node)].proto->name();
        e.nodeOp = mNodes[static_cast<size_t>(node)].proto->op_type();
    }
    std::string where =
        node >= 0 ? e.nodeOp + " node '" + e.nodeName + "' (#" + std::to_string(node) + "): " : "";
    mState.log(mCheckOnly ? ILogger::Severity::kINFO : ILogger::Severity::kERROR,
               "ONNX parser: " + where + desc);
    mErrors.push_back(std::move(e));
}

void ModelImporter::addNodeError(const Status& st, int64_t node, ParserErrorCode unsupportedCode) {
    addError(codeFor(st, unsupportedCode), st.message(), node);
}

OnnxNode ModelImporter::onnxNode(int64_t index) const {
    const FlatNode& f = mNodes[static_cast<size_t>(index)];
    OnnxNode n;
    n.proto = f.proto;
    n.index = index;
    n.opset = canonicalDomain(f.proto->domain()).empty() ? importOpset(f.proto->op_type(), f.opset) : f.opset;
    return n;
}

bool ModelImporter::decode(const void* data, size_t size) {
    if (!data && size > 0) {
        addError(ParserErrorCode::kINVALID_VALUE,
                 "the model pointer is null but its size is " + std::to_string(size));
        return false;
    }
    if (size > static_cast<size_t>(INT_MAX)) {
        addError(ParserErrorCode::kMODEL_DESERIALIZE_FAILED,
                 "the model is " + std::to_string(size) +
                     " bytes; a protobuf holds at most 2 GB: save the weights as external data "
                     "(onnx.save_model(model, path, save_as_external_data=True))");
        return false;
    }
    google::protobuf::io::CodedInputStream in(static_cast<const uint8_t*>(data), static_cast<int>(size));
    in.SetTotalBytesLimit(INT_MAX);
    if (!mModel.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
        addError(
            ParserErrorCode::kMODEL_DESERIALIZE_FAILED,
            "the " + std::to_string(size) +
                " bytes are not a valid ONNX model: protobuf decoding failed (a truncated file, or not an "
                "ONNX file)");
        return false;
    }
    if (!mModel.has_graph()) {
        addError(
            ParserErrorCode::kMODEL_DESERIALIZE_FAILED,
            "the " + std::to_string(size) + " bytes decode as protobuf but hold no graph: not an ONNX model");
        return false;
    }
    mDecoded = true;
    return true;
}

void ModelImporter::readOpsets() {
    for (const auto& o : mModel.opset_import()) mOpsets[canonicalDomain(o.domain())] = o.version();
    auto it = mOpsets.find("");
    if (it == mOpsets.end()) {
        addError(ParserErrorCode::kUNSUPPORTED_GRAPH,
                 "the model imports no opset of the default ONNX domain (opset_import lists none)");
        return;
    }
    const int64_t v = it->second;
    if (v < 1) {
        addError(ParserErrorCode::kUNSUPPORTED_GRAPH, "the model uses opset " + std::to_string(v) +
                                                          " of the default domain; ONNX opsets start at 1");
        return;
    }
    if (v < kMinOpset)
        // Each node is checked in checkSupport: an operator unchanged up to kMinOpset is imported with
        // Kiln's kMinOpset importer, any other is reported with the version converter's advice.
        mState.log(ILogger::Severity::kINFO, "ONNX parser: the model uses opset " + std::to_string(v) +
                                                 ", below " + std::to_string(kMinOpset) +
                                                 "; operators whose definition is unchanged up to opset " +
                                                 std::to_string(kMinOpset) + " are imported");
    if (v > kMaxOpset)
        mState.log(ILogger::Severity::kWARNING, "ONNX parser: the model uses opset " + std::to_string(v) +
                                                    ", newer than Kiln knows (" + std::to_string(kMaxOpset) +
                                                    "); operators are imported with opset " +
                                                    std::to_string(kMaxOpset) + " semantics");
    mState.defaultOpset = std::clamp(v, kMinOpset, kMaxOpset);
}

void ModelImporter::flattenFunctions() {
    mInliner = std::make_unique<FunctionInliner>(mModel);
    std::vector<InlineError> inlineErrors;
    mNodes = mInliner->flatten(mOpsets, inlineErrors);
    for (const InlineError& e : inlineErrors) {
        const NodeProto& call = mModel.graph().node(static_cast<int>(e.callIndex));
        ImportError err;
        err.code = ParserErrorCode::kINVALID_NODE;
        err.desc = e.status.message();
        err.node = e.callIndex;
        err.nodeName = call.name();
        err.nodeOp = call.op_type();
        mState.log(ILogger::Severity::kERROR,
                   "ONNX parser: " + err.nodeOp + " node '" + err.nodeName + "': " + err.desc);
        mErrors.push_back(std::move(err));
        for (const auto& out : call.output()) mPoisoned[out] = "its producer failed to inline";
    }
}

void ModelImporter::readInitializers() {
    GraphProto* g = mModel.mutable_graph();
    std::vector<std::string> warnings;
    for (int i = 0; i < g->initializer_size(); ++i) {
        TensorProto* t = g->mutable_initializer(i);
        if (t->name().empty()) {
            addError(ParserErrorCode::kINVALID_GRAPH, "initializer #" + std::to_string(i) + " has no name");
            continue;
        }
        if (mInitializers.count(t->name()) || mPoisoned.count(t->name())) {
            addError(ParserErrorCode::kINVALID_GRAPH, "initializer '" + t->name() + "' is defined twice");
            continue;
        }
        StatusOr<ConstValue> c = readTensorProto(*t, mState.external, &warnings);
        if (!c.isOk()) {
            addError(c.status().code() == ErrorCode::kUNSUPPORTED_STATE
                         ? ParserErrorCode::kUNSUPPORTED_NODE_DATATYPE
                         : ParserErrorCode::kINVALID_VALUE,
                     c.status().message());
            mPoisoned[t->name()] = "initializer '" + t->name() + "' could not be read";
            continue;
        }
        mInitializerBytes += static_cast<int64_t>(c->bytes ? c->bytes->size() : 0);
        mInitializers[t->name()] = std::make_shared<const ConstValue>(std::move(*c));
        // The values now live in the ConstValue; drop the protobuf's copy so large models are held once.
        if (t->has_raw_data()) t->clear_raw_data();
    }
    for (const auto& s : g->sparse_initializer())
        addError(ParserErrorCode::kUNSUPPORTED_GRAPH,
                 "sparse initializer '" + s.values().name() +
                     "' is not supported; store it as a dense initializer");
    for (const auto& w : warnings) mState.log(ILogger::Severity::kWARNING, "ONNX parser: " + w);
}

void ModelImporter::readInputs() {
    std::set<std::string> seen;
    for (const ValueInfoProto& vi : mModel.graph().input()) {
        const std::string& name = vi.name();
        if (mInitializers.count(name) || mPoisoned.count(name))
            continue;  // IR < 4: initializers listed as inputs
        auto fail = [&](ParserErrorCode code, const std::string& why) {
            addError(code, "graph input '" + name + "' " + why);
            mPoisoned[name] = "graph input '" + name + "' could not be declared";
        };
        if (name.empty()) {
            addError(ParserErrorCode::kINVALID_GRAPH, "a graph input has no name");
            continue;
        }
        if (!seen.insert(name).second) {
            fail(ParserErrorCode::kINVALID_GRAPH, "is declared twice");
            continue;
        }
        if (!vi.type().has_tensor_type()) {
            fail(ParserErrorCode::kUNSUPPORTED_GRAPH,
                 "is not a tensor (sequence, map and optional inputs are not supported)");
            continue;
        }
        const auto& tt = vi.type().tensor_type();
        InputDecl d;
        d.name = name;
        d.onnxType = tt.elem_type();
        bool converted = false;
        StatusOr<DataType> type = kilnTypeOf(tt.elem_type(), &converted);
        if (!type.isOk()) {
            fail(ParserErrorCode::kUNSUPPORTED_NODE_DATATYPE,
                 "has element type " + onnxTypeName(tt.elem_type()) + ": " + type.status().message());
            continue;
        }
        d.type = *type;
        if (converted)
            mState.log(ILogger::Severity::kWARNING, "ONNX parser: graph input '" + name + "' is " +
                                                        onnxTypeName(tt.elem_type()) +
                                                        "; the network input is " + dataTypeName(d.type) +
                                                        ": feed " + dataTypeName(d.type) + " data");
        if (!tt.has_shape()) {
            fail(ParserErrorCode::kUNSUPPORTED_NODE_SHAPE,
                 "has no shape; Kiln needs at least its rank (use dim_param names for dynamic dimensions)");
            continue;
        }
        if (tt.shape().dim_size() > kMAX_DIMS) {
            fail(ParserErrorCode::kUNSUPPORTED_NODE_SHAPE,
                 "has rank " + std::to_string(tt.shape().dim_size()) + ", more than Kiln's maximum " +
                     std::to_string(kMAX_DIMS));
            continue;
        }
        d.dims.nbDims = tt.shape().dim_size();
        bool bad = false;
        for (int i = 0; i < tt.shape().dim_size(); ++i) {
            const auto& dim = tt.shape().dim(i);
            d.dimNames.push_back(dim.has_dim_param() ? dim.dim_param() : "");
            if (dim.has_dim_value()) {
                if (dim.dim_value() < 0) {
                    fail(ParserErrorCode::kINVALID_GRAPH, "has negative dimension " +
                                                              std::to_string(dim.dim_value()) + " at index " +
                                                              std::to_string(i));
                    bad = true;
                    break;
                }
                d.dims.d[i] = dim.dim_value();
            } else {
                d.dims.d[i] = -1;
            }
        }
        if (!bad) mInputs.push_back(std::move(d));
    }
}

void ModelImporter::checkGraph() {
    const GraphProto& g = mModel.graph();
    std::unordered_set<std::string> available;
    for (const auto& d : mInputs) available.insert(d.name);
    for (const auto& [name, c] : mInitializers) available.insert(name);
    for (const auto& [name, why] : mPoisoned) available.insert(name);
    std::unordered_map<std::string, int64_t> producer;
    const int64_t n = static_cast<int64_t>(mNodes.size());
    for (int64_t i = 0; i < n; ++i) {
        for (const auto& out : mNodes[static_cast<size_t>(i)].proto->output()) {
            if (out.empty()) continue;
            if (available.count(out)) {
                addError(ParserErrorCode::kINVALID_GRAPH,
                         "output '" + out +
                             "' has the name of a graph input or initializer; each tensor has one source",
                         i);
                continue;
            }
            auto [it, inserted] = producer.emplace(out, i);
            if (!inserted) {
                const auto& other = *mNodes[static_cast<size_t>(it->second)].proto;
                addError(ParserErrorCode::kINVALID_GRAPH,
                         "output '" + out + "' is also produced by " + other.op_type() + " node '" +
                             other.name() + "' (#" + std::to_string(it->second) +
                             "); each tensor has one producer",
                         i);
            }
        }
    }
    // Dangling inputs: one error per missing name and node.
    std::vector<std::vector<int64_t>> consumers(static_cast<size_t>(n));
    std::vector<int64_t> indegree(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) {
        for (const auto& in : mNodes[static_cast<size_t>(i)].proto->input()) {
            if (in.empty() || available.count(in)) continue;
            auto it = producer.find(in);
            if (it == producer.end()) {
                addError(ParserErrorCode::kINVALID_GRAPH,
                         "input '" + in + "' is not a graph input, an initializer or the output of any node",
                         i);
                mPoisoned[in] = "'" + in + "' is dangling";
                available.insert(in);
                continue;
            }
            consumers[static_cast<size_t>(it->second)].push_back(i);
            ++indegree[static_cast<size_t>(i)];
        }
    }
    // Topological order, stable: the lowest ready index first.
    std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> ready;
    for (int64_t i = 0; i < n; ++i)
        if (indegree[static_cast<size_t>(i)] == 0) ready.push(i);
    std::vector<bool> placed(static_cast<size_t>(n), false);
    while (!ready.empty()) {
        int64_t i = ready.top();
        ready.pop();
        placed[static_cast<size_t>(i)] = true;
        mOrder.push_back(i);
        for (int64_t c : consumers[static_cast<size_t>(i)])
            if (--indegree[static_cast<size_t>(c)] == 0) ready.push(c);
    }
    if (static_cast<int64_t>(mOrder.size()) < n) {
        // Report each cycle once: walk producer edges among the unplaced nodes until a node repeats.
        std::vector<int> state(static_cast<size_t>(n), 0);  // 0 unvisited, 1 on the walk, 2 done
        for (int64_t start = 0; start < n; ++start) {
            if (placed[static_cast<size_t>(start)] || state[static_cast<size_t>(start)] != 0) continue;
            std::vector<int64_t> path;
            int64_t cur = start;
            while (cur >= 0 && state[static_cast<size_t>(cur)] == 0) {
                state[static_cast<size_t>(cur)] = 1;
                path.push_back(cur);
                int64_t next = -1;
                for (const auto& in : mNodes[static_cast<size_t>(cur)].proto->input()) {
                    auto it = producer.find(in);
                    if (it != producer.end() && !placed[static_cast<size_t>(it->second)]) {
                        next = it->second;
                        break;
                    }
                }
                cur = next;
            }
            if (cur >= 0 && state[static_cast<size_t>(cur)] == 1) {
                std::string desc = "the graph has a cycle: ";
                auto pos = std::find(path.begin(), path.end(), cur);
                for (auto p = pos; p != path.end(); ++p) {
                    const auto& nd = *mNodes[static_cast<size_t>(*p)].proto;
                    desc += "'" + nd.name() + "' (" + nd.op_type() + ") <- ";
                }
                desc += "'" + mNodes[static_cast<size_t>(cur)].proto->name() + "'";
                addError(ParserErrorCode::kINVALID_GRAPH, desc, cur);
            }
            for (int64_t p : path) state[static_cast<size_t>(p)] = 2;
        }
        for (int64_t i = 0; i < n; ++i)
            if (!placed[static_cast<size_t>(i)])
                for (const auto& out : mNodes[static_cast<size_t>(i)].proto->output())
                    if (!out.empty()) mPoisoned[out] = "its producer is on or after a cycle";
    }
    if (g.output_size() == 0) addError(ParserErrorCode::kINVALID_GRAPH, "the graph has no outputs");
    for (const auto& out : g.output())
        if (!available.count(out.name()) && !producer.count(out.name()))
            addError(ParserErrorCode::kINVALID_GRAPH,
                     "graph output '" + out.name() + "' is not produced by any node, input or initializer");
}

void ModelImporter::checkSupport() {
    for (int64_t i : mOrder) {
        const OnnxNode node = onnxNode(i);
        const std::string domain = canonicalDomain(node.proto->domain());
        if (!domain.empty()) {
            addError(ParserErrorCode::kUNSUPPORTED_NODE,
                     "operator '" + node.op() + "' of domain '" + domain +
                         "' is not supported; Kiln imports the default ONNX domain and model-local functions",
                     i);
            continue;
        }
        const OpImporter* entry = findImporter(node.op(), node.opset);
        if (!entry) {
            addError(ParserErrorCode::kUNSUPPORTED_NODE, unsupportedReason(node.op(), node.opset), i);
            continue;
        }
        // Every operator Kiln imports has at least one output; importers rely on it.
        if (node.nbOutputs() == 0) {
            addError(ParserErrorCode::kINVALID_NODE,
                     "the node has no outputs; " + node.op() + " has at least one", i);
            continue;
        }
        if (entry->check) {
            Status st = entry->check(node);
            if (!st.isOk()) addNodeError(st, i, ParserErrorCode::kUNSUPPORTED_NODE_ATTR);
        }
    }
}

void ModelImporter::importNodes(INetworkDefinition& network) {
    ImportContext ctx(network, mState);
    for (const InputDecl& d : mInputs) {
        ITensor* t = network.addInput(d.name.c_str(), d.type, d.dims);
        if (!t) {
            addError(ParserErrorCode::kINVALID_GRAPH,
                     "graph input '" + d.name + "' " + toString(d.dims) +
                         " could not be added to the network: " + ctx.failedCall("addInput").message());
            mPoisoned[d.name] = "graph input '" + d.name + "' could not be declared";
            continue;
        }
        Value v = Value::fromTensor(t);
        v.name = d.name;
        mNamedTensors.insert(t);
        mValues[d.name] = v;
    }
    for (const auto& [name, c] : mInitializers) {
        Value v;
        v.name = name;
        v.constant = c;
        mValues[name] = v;
    }
    for (int64_t i : mOrder) {
        const OnnxNode node = onnxNode(i);
        Status st = importNode(ctx, node);
        if (!st.isOk()) {
            addNodeError(st, i);
            for (const auto& out : node.proto->output())
                if (!out.empty()) mPoisoned[out] = node.describe() + " failed";
        }
    }
    ctx.endNode();
    markOutputs(network, ctx);
    mValues.clear();  // deferred values refer to `ctx`, which ends here
}

Status ModelImporter::importNode(ImportContext& ctx, const OnnxNode& node) {
    std::vector<Value> inputs(static_cast<size_t>(node.nbInputs()));
    for (int i = 0; i < node.nbInputs(); ++i) {
        const std::string& name = node.proto->input(i);
        if (name.empty()) continue;
        auto p = mPoisoned.find(name);
        if (p != mPoisoned.end()) {
            // Already reported where it failed; the node and what depends on it are skipped.
            for (const auto& out : node.proto->output())
                if (!out.empty()) mPoisoned[out] = p->second;
            return Status::ok();
        }
        auto it = mValues.find(name);
        if (it == mValues.end())
            return internalError("input '" + name + "' has no value although the graph check passed");
        inputs[static_cast<size_t>(i)] = it->second;
    }
    const OpImporter* entry = findImporter(node.op(), node.opset);
    if (!entry) return unsupported(unsupportedReason(node.op(), node.opset));
    std::vector<Value> outputs(static_cast<size_t>(node.nbOutputs()));
    bool done = false;
    std::optional<PartialResult> partial = evalPartial(node, inputs);
    if (partial && partial->allKnown() && node.nbOutputs() >= 1) {
        outputs[0] = Value::fromConstant(partial->toConstant());
        done = true;
    }
    if (!done && partial && node.nbOutputs() == 1) {
        // Shape arithmetic with run-time elements: checked now, layers added only if a consumer needs
        // the tensor (often none does: a reshape takes the known elements and a -1).
        KILN_RETURN_IF_ERROR(trialImport(*entry, node, inputs, mState));
        auto d = std::make_shared<Deferred>();
        d->type = partial->type;
        d->dims = partial->scalar ? Dims{} : makeDims({static_cast<int64_t>(partial->elems.size())});
        const std::string outName = node.proto->output(0);
        d->make = [this, &ctx, node, inputs, entry, outName]() mutable -> StatusOr<ITensor*> {
            std::vector<Value> outs(1);
            KILN_RETURN_IF_ERROR(ctx.nested(node, [&] { return entry->import(ctx, node, inputs, outs); })
                                     .withContext("adding the layers of " + node.describe()));
            KILN_ASSIGN_OR_RETURN(ITensor * t, ctx.tensor(outs[0]));
            if (!mNamedTensors.count(t)) {
                t->setName(outName.c_str());
                mNamedTensors.insert(t);
            }
            return t;
        };
        outputs[0].deferred = d;
        outputs[0].partial = partial->elems;
        done = true;
    }
    if (!done && entry->foldable && allConstant(inputs)) {
        std::optional<std::vector<Value>> folded = foldNode(*entry, node, inputs, mState);
        if (folded) {
            outputs = std::move(*folded);
            done = true;
        }
    }
    if (!done) KILN_RETURN_IF_ERROR(trialImport(*entry, node, inputs, mState));
    ctx.beginNode(node);
    if (!done) {
        KILN_RETURN_IF_ERROR(entry->import(ctx, node, inputs, outputs));
        if (partial && !outputs.empty() && outputs[0].tensor && !outputs[0].constant)
            outputs[0].partial = partial->elems;
    }
    for (int k = 0; k < node.nbOutputs(); ++k) {
        const std::string& name = node.proto->output(k);
        if (name.empty()) continue;
        Value& v = outputs[static_cast<size_t>(k)];
        if (!v.present()) {
            mPoisoned[name] = "output " + std::to_string(k) + " ('" + name + "') of " + node.describe() +
                              " is not computed by Kiln (a training-only or unsupported optional output)";
            continue;
        }
        v.name = name;
        if (v.tensor && !v.constant) {
            (void)v.tensor->getDimensions();  // inference errors of this node surface now, attributed to it
            if (!mNamedTensors.count(v.tensor)) {
                v.tensor->setName(name.c_str());
                mNamedTensors.insert(v.tensor);
            }
        }
        mValues[name] = v;
    }
    KILN_RETURN_IF_ERROR(ctx.networkErrors("while inferring the node's outputs", outputs));
    mState.log(ILogger::Severity::kVERBOSE,
               "ONNX parser: imported " + node.describe() + (done ? " (folded)" : ""));
    return Status::ok();
}

void ModelImporter::markOutputs(INetworkDefinition& network, ImportContext& ctx) {
    std::unordered_set<ITensor*> marked;
    for (const ValueInfoProto& vi : mModel.graph().output()) {
        const std::string& name = vi.name();
        if (mPoisoned.count(name)) {
            bool reported = !mErrors.empty();
            if (!reported)
                addError(ParserErrorCode::kINVALID_GRAPH,
                         "graph output '" + name + "' is unavailable: " + mPoisoned[name]);
            continue;
        }
        auto it = mValues.find(name);
        if (it == mValues.end()) {
            addError(ParserErrorCode::kINVALID_GRAPH, "graph output '" + name + "' has no value");
            continue;
        }
        StatusOr<ITensor*> t = ctx.tensor(it->second);
        if (!t.isOk()) {
            addError(ParserErrorCode::kINVALID_GRAPH, "graph output '" + name + "': " + t.status().message());
            continue;
        }
        ITensor* tensor = *t;
        // A network input, a constant, or a tensor already marked (or named for another ONNX value) gets an
        // identity so the output has its own tensor with the ONNX name.
        const bool ownName = std::string(tensor->getName()) == name;
        if (tensor->isNetworkInput() || it->second.constant || marked.count(tensor) || !ownName) {
            if (ownName) tensor->setName((name + "_value").c_str());  // the output takes the name
            IIdentityLayer* id = network.addIdentity(*tensor);
            if (!id) {
                addError(ParserErrorCode::kINTERNAL_ERROR,
                         "graph output '" + name + "': " + ctx.failedCall("addIdentity").message());
                continue;
            }
            id->setName(("output_" + name).c_str());
            tensor = id->getOutput(0);
            tensor->setName(name.c_str());
        }
        network.markOutput(*tensor);
        marked.insert(tensor);
        if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() != 0) {
            StatusOr<DataType> declared = kilnTypeOf(vi.type().tensor_type().elem_type());
            if (declared.isOk() && *declared != tensor->getType())
                mState.log(ILogger::Severity::kWARNING,
                           "ONNX parser: graph output '" + name + "' is declared " +
                               onnxTypeName(vi.type().tensor_type().elem_type()) +
                               " but Kiln computes it as " + dataTypeName(tensor->getType()));
        }
    }
}

}  // namespace kiln::onnx
