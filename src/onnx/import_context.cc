// ImportContext (see import_context.h). The network reports a failed add* or setter to its logger and
// error recorder; ErrorCapture slips a recorder in front of the user's one for the lifetime of the
// context (forwarding everything), so the parser can quote the network's own reason in its error list.
#include "onnx/import_context.h"

#include "api/network_impl.h"
#include "common/reporter.h"

namespace kiln::onnx {

std::string OnnxNode::describe() const {
    return op() + " node '" + name() + "' (#" + std::to_string(index) + ")";
}

/// A recorder that keeps the messages reported while it is installed and forwards them to the recorder
/// it replaced.
class ErrorCapture final : public IErrorRecorder {
public:
    explicit ErrorCapture(INetworkDefinition& net) {
        mNetwork = dynamic_cast<api::NetworkImpl*>(&net);
        if (mNetwork) mPrevious = mNetwork->exchangeErrorRecorder(this);
    }
    ~ErrorCapture() override {
        if (mNetwork) mNetwork->exchangeErrorRecorder(mPrevious);
    }
    ErrorCapture(const ErrorCapture&) = delete;
    ErrorCapture& operator=(const ErrorCapture&) = delete;

    int32_t getNbErrors() const noexcept override { return static_cast<int32_t>(mMessages.size()); }
    ErrorCode getErrorCode(int32_t i) const noexcept override {
        return i >= 0 && i < getNbErrors() ? mCodes[static_cast<size_t>(i)] : ErrorCode::kSUCCESS;
    }
    ErrorDesc getErrorDesc(int32_t i) const noexcept override {
        return i >= 0 && i < getNbErrors() ? mMessages[static_cast<size_t>(i)].c_str() : "";
    }
    bool hasOverflowed() const noexcept override { return false; }
    void clear() noexcept override {
        mMessages.clear();
        mCodes.clear();
    }
    bool reportError(ErrorCode code, ErrorDesc desc) noexcept override {
        try {
            mMessages.emplace_back(desc ? desc : "");
            mCodes.push_back(code);
        } catch (...) {
        }
        if (mPrevious) return mPrevious->reportError(code, desc);
        return false;
    }
    // Installed for the context's lifetime only: reference counting has nothing to free.
    RefCount incRefCount() noexcept override { return 1; }
    RefCount decRefCount() noexcept override { return 1; }

    /// The messages since `from`, joined.
    std::string since(size_t from) const {
        std::string s;
        for (size_t i = from; i < mMessages.size(); ++i) s += (s.empty() ? "" : "; ") + mMessages[i];
        return s;
    }
    size_t size() const { return mMessages.size(); }
    bool installed() const { return mNetwork != nullptr; }

private:
    api::NetworkImpl* mNetwork{nullptr};
    IErrorRecorder* mPrevious{nullptr};
    std::vector<std::string> mMessages;
    std::vector<ErrorCode> mCodes;
};

ImportContext::ImportContext(INetworkDefinition& network, const ModelState& model)
    : mNet(&network), mModel(&model), mCapture(std::make_unique<ErrorCapture>(network)) {}

ImportContext::~ImportContext() = default;

void ImportContext::beginNode(const OnnxNode& node) {
    mNode = &node;
    mLayerCounter = 0;
    mCapture->clear();
}

StatusOr<ITensor*> ImportContext::tensor(const Value& v) {
    if (v.tensor) return v.tensor;
    if (v.deferred) {
        if (!v.deferred->tensor) {
            if (!v.deferred->make) return internalError("a deferred value has no way to be made");
            auto make = std::move(v.deferred->make);
            v.deferred->make = nullptr;
            KILN_ASSIGN_OR_RETURN(v.deferred->tensor, make());
        }
        return v.deferred->tensor;
    }
    if (!v.constant) return internalError("an absent value was used as a tensor");
    auto it = mConstTensors.find(v.constant.get());
    if (it != mConstTensors.end()) return it->second;
    KILN_ASSIGN_OR_RETURN(ITensor * t, constant(*v.constant));
    if (!v.name.empty()) {
        // Name the constant after its ONNX tensor when the name is still free (it helps dumps and errors).
        bool taken = false;
        for (int32_t i = 0; i < mNet->getNbInputs() && !taken; ++i)
            taken = v.name == mNet->getInput(i)->getName();
        if (!taken) t->setName(v.name.c_str());
    }
    mConstTensors.emplace(v.constant.get(), t);
    mKeepAlive.push_back(v.constant);
    return t;
}

StatusOr<ITensor*> ImportContext::constant(const ConstValue& c) {
    return out(mNet->addConstant(c.shape, c.weights()), "addConstant");
}

StatusOr<ITensor*> ImportContext::scalar(DataType type, double value, int rank) {
    Dims d;
    d.nbDims = rank;
    for (int i = 0; i < rank; ++i) d.d[i] = 1;
    return constant(ConstValue::fromDoubles(type, d, {value}));
}

Status ImportContext::failedCall(const char* api) {
    std::string why = mCapture->since(0);
    if (why.empty())
        why =
            mCapture->installed() ? "the network gave no reason" : "see the logger for the network's reason";
    return invalidArgument(std::string("INetworkDefinition::") + api + " failed: " + why);
}

Status ImportContext::networkErrors(const char* when, const std::vector<Value>& outputs) {
    if (mCapture->size() > 0) {
        std::string why = mCapture->since(0);
        mCapture->clear();
        return invalidArgument(std::string("the network reported an error ") + when + ": " + why);
    }
    bool unknown = false;
    for (const Value& v : outputs)
        if (v.tensor && !v.constant && v.tensor->getDimensions().nbDims < 0) unknown = true;
    if (!unknown) return Status::ok();
    // The network keeps a layer whose shapes do not infer (it may become valid through later setters)
    // and reports why only at verbose level; ask it for the reason.
    if (auto* impl = dynamic_cast<api::NetworkImpl*>(mNet)) {
        Status st = impl->ensureInferred();
        if (!st.isOk()) return st;
    }
    return invalidArgument(std::string("the shapes of the node's outputs could not be inferred ") + when);
}

void ImportContext::nameLayer(ILayer* layer) {
    if (!mNode) return;
    std::string base =
        mNode->name().empty() ? mNode->op() + "_" + std::to_string(mNode->index) : mNode->name();
    if (mLayerCounter > 0) base += "_" + std::to_string(mLayerCounter);
    ++mLayerCounter;
    layer->setName(base.c_str());
}

void ImportContext::warning(const std::string& msg) const {
    mModel->log(ILogger::Severity::kWARNING, (mNode ? mNode->describe() + ": " : std::string()) + msg);
}

void ImportContext::verbose(const std::string& msg) const {
    mModel->log(ILogger::Severity::kVERBOSE, msg);
}

}  // namespace kiln::onnx
