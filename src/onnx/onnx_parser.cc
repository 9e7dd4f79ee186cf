// The public IParser (include/kiln/onnx_parser.h) over ModelImporter: every method is noexcept, keeps
// the error list of the last call, and never lets an exception out.
#include "kiln/onnx_parser.h"

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/network_impl.h"
#include "common/reporter.h"
#include "onnx/model_importer.h"
#include "onnx/model_summary.h"
#include "onnx/op_registry.h"

namespace kiln {

const char* parserErrorCodeName(ParserErrorCode code) noexcept {
    switch (code) {
        case ParserErrorCode::kSUCCESS:
            return "kSUCCESS";
        case ParserErrorCode::kINTERNAL_ERROR:
            return "kINTERNAL_ERROR";
        case ParserErrorCode::kMEM_ALLOC_FAILED:
            return "kMEM_ALLOC_FAILED";
        case ParserErrorCode::kMODEL_DESERIALIZE_FAILED:
            return "kMODEL_DESERIALIZE_FAILED";
        case ParserErrorCode::kINVALID_VALUE:
            return "kINVALID_VALUE";
        case ParserErrorCode::kINVALID_GRAPH:
            return "kINVALID_GRAPH";
        case ParserErrorCode::kINVALID_NODE:
            return "kINVALID_NODE";
        case ParserErrorCode::kUNSUPPORTED_GRAPH:
            return "kUNSUPPORTED_GRAPH";
        case ParserErrorCode::kUNSUPPORTED_NODE:
            return "kUNSUPPORTED_NODE";
        case ParserErrorCode::kUNSUPPORTED_NODE_ATTR:
            return "kUNSUPPORTED_NODE_ATTR";
        case ParserErrorCode::kUNSUPPORTED_NODE_INPUT:
            return "kUNSUPPORTED_NODE_INPUT";
        case ParserErrorCode::kUNSUPPORTED_NODE_DATATYPE:
            return "kUNSUPPORTED_NODE_DATATYPE";
        case ParserErrorCode::kUNSUPPORTED_NODE_DYNAMIC:
            return "kUNSUPPORTED_NODE_DYNAMIC";
        case ParserErrorCode::kUNSUPPORTED_NODE_SHAPE:
            return "kUNSUPPORTED_NODE_SHAPE";
        case ParserErrorCode::kREFIT_FAILED:
            return "kREFIT_FAILED";
    }
    return "unknown parser error code";
}

namespace {

class ParserError final : public IParserError {
public:
    explicit ParserError(onnx::ImportError e) : mError(std::move(e)) {}
    ParserErrorCode code() const noexcept override { return mError.code; }
    const char* desc() const noexcept override { return mError.desc.c_str(); }
    int64_t node() const noexcept override { return mError.node; }
    const char* nodeName() const noexcept override { return mError.nodeName.c_str(); }
    const char* nodeOperator() const noexcept override { return mError.nodeOp.c_str(); }

private:
    onnx::ImportError mError;
};

class ParserImpl final : public IParser {
public:
    ParserImpl(INetworkDefinition& network, ILogger& logger) : mNetwork(&network), mLogger(&logger) {}

    bool parse(const void* data, size_t size, const char* modelPath) noexcept override {
        return run(data, size, modelPath ? modelPath : "", mNetwork,
                   static_cast<int32_t>(ILogger::Severity::kWARNING));
    }

    bool parseFromFile(const char* file, int32_t verbosity) noexcept override {
        try {
            std::vector<char> bytes;
            if (!readFile(file, bytes)) return false;
            return run(bytes.data(), bytes.size(), file, mNetwork, verbosity);
        } catch (...) {
            return fail(ParserErrorCode::kMEM_ALLOC_FAILED, "out of memory while reading the model file");
        }
    }

    bool supportsModel(const void* data, size_t size, const char* modelPath) noexcept override {
        // A full import into a scratch network, so nodes rejected for their shapes or types are listed
        // too; the user's network is not touched.
        try {
            Reporter quiet(nullptr);
            api::NetworkImpl scratch(&quiet, 0);
            return run(data, size, modelPath ? modelPath : "", &scratch,
                       static_cast<int32_t>(ILogger::Severity::kWARNING), true);
        } catch (...) {
            return false;
        }
    }

    bool supportsOperator(const char* opType) const noexcept override {
        if (!opType) return false;
        try {
            for (int64_t v = onnx::kMinOpset; v <= onnx::kMaxOpset; ++v)
                if (onnx::findImporter(opType, v)) return true;
        } catch (...) {
        }
        return false;
    }

    int32_t getNbErrors() const noexcept override { return static_cast<int32_t>(mErrors.size()); }
    const IParserError* getError(int32_t index) const noexcept override {
        if (index < 0 || index >= getNbErrors()) return nullptr;
        return mErrors[static_cast<size_t>(index)].get();
    }
    void clearErrors() noexcept override { mErrors.clear(); }
    int64_t getUsedOpsetVersion(const char* domain) const noexcept override {
        try {
            auto it = mOpsets.find(onnx::canonicalDomain(domain ? domain : ""));
            return it == mOpsets.end() ? -1 : it->second;
        } catch (...) {
            return -1;
        }
    }

    const char* describeModel(const void* data, size_t size, const char* modelPath, bool allNodes) noexcept override {
        try {
            mErrors.clear();
            StatusOr<onnx::ModelSummary> summary =
                onnx::summarizeOnnxModel(data, size, modelPath ? modelPath : "");
            if (!summary.isOk()) {
                fail(ParserErrorCode::kMODEL_DESERIALIZE_FAILED, summary.status().message());
                return nullptr;
            }
            mDescription = onnx::formatModelSummary(*summary, allNodes);
            return mDescription.c_str();
        } catch (...) {
            try {
                fail(ParserErrorCode::kINTERNAL_ERROR, "unexpected exception while describing the model");
            } catch (...) {
            }
            return nullptr;
        }
    }

private:
    bool readFile(const char* file, std::vector<char>& bytes) {
        if (!file || !*file)
            return fail(ParserErrorCode::kINVALID_VALUE, "parseFromFile: no file name given");
        std::ifstream in(file, std::ios::binary | std::ios::ate);
        if (!in)
            return fail(ParserErrorCode::kINVALID_VALUE,
                        std::string("cannot open ONNX model file '") + file + "'");
        const std::streamoff size = in.tellg();
        if (size < 0)
            return fail(ParserErrorCode::kINVALID_VALUE,
                        std::string("cannot read the size of '") + file + "'");
        bytes.resize(static_cast<size_t>(size));
        in.seekg(0);
        if (size > 0) in.read(bytes.data(), size);
        if (!in)
            return fail(ParserErrorCode::kINVALID_VALUE,
                        std::string("short read from ONNX model file '") + file + "'");
        return true;
    }

    bool fail(ParserErrorCode code, const std::string& desc) {
        onnx::ImportError e;
        e.code = code;
        e.desc = desc;
        mLogger->log(ILogger::Severity::kERROR, ("ONNX parser: " + desc).c_str());
        mErrors.push_back(std::make_unique<ParserError>(std::move(e)));
        return false;
    }

    bool run(const void* data, size_t size, const std::string& path, INetworkDefinition* network,
             int32_t verbosity, bool checkOnly = false) noexcept {
        try {
            mErrors.clear();
            mOpsets.clear();
            onnx::ModelImporter importer(mLogger, verbosity);
            if (checkOnly) importer.setCheckOnly();
            const bool ok = importer.run(data, size, path, network);
            for (const auto& e : importer.errors()) mErrors.push_back(std::make_unique<ParserError>(e));
            for (const auto& o : importer.model().opset_import())
                mOpsets[onnx::canonicalDomain(o.domain())] = o.version();
            return ok && mErrors.empty();
        } catch (...) {
            try {
                return fail(ParserErrorCode::kINTERNAL_ERROR, "unexpected exception while parsing");
            } catch (...) {
                return false;
            }
        }
    }

    INetworkDefinition* mNetwork;
    ILogger* mLogger;
    std::vector<std::unique_ptr<ParserError>> mErrors;
    std::map<std::string, int64_t> mOpsets;
    std::string mDescription;  ///< the last describeModel() text
};

}  // namespace

IParser* createParser(INetworkDefinition& network, ILogger& logger) noexcept {
    try {
        return new ParserImpl(network, logger);
    } catch (...) {
        return nullptr;
    }
}

}  // namespace kiln
