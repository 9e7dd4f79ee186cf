// IEngineInspector: JSON descriptions of an engine and its layers, built from the plan.
#include <sstream>
#include <type_traits>

#include "api/host_memory.h"
#include "runtime/engine.h"

namespace kiln::runtime {

namespace {

std::string jsonEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string dimsJson(const Dims& d) {
    std::ostringstream os;
    os << '[';
    for (int i = 0; i < d.nbDims; ++i) os << (i ? "," : "") << d.d[i];
    os << ']';
    return os.str();
}

class AttrJson {
public:
    explicit AttrJson(std::ostringstream& os) : mOs(os) {}
    /// Written at its default too: the JSON a layer gives has the same keys whichever the plan's age.
    template <class T>
    void operator()(const char* name, const T& v, ir::OptionalField) {
        (*this)(name, v);
    }
    template <class T>
    void operator()(const char* name, const T& v) {
        mOs << (mFirst ? "" : ",") << '"' << name << "\":";
        mFirst = false;
        if constexpr (std::is_same_v<T, Dims>) {
            mOs << dimsJson(v);
        } else if constexpr (std::is_same_v<T, Permutation>) {
            mOs << '[';
            for (int i = 0; i < 8; ++i) mOs << (i ? "," : "") << v.order[i];
            mOs << ']';
        } else if constexpr (std::is_same_v<T, DataType>) {
            mOs << '"' << dataTypeName(v) << '"';
        } else if constexpr (std::is_enum_v<T>) {
            mOs << static_cast<int32_t>(v);
        } else if constexpr (std::is_same_v<T, bool>) {
            mOs << (v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::vector<float>> || std::is_same_v<T, std::vector<int64_t>>) {
            mOs << '[';
            for (size_t i = 0; i < v.size(); ++i) mOs << (i ? "," : "") << v[i];
            mOs << ']';
        } else if constexpr (std::is_same_v<T, ir::Bytes>) {
            mOs << (v ? v->size() : 0);
        } else {
            mOs << v;
        }
    }

private:
    std::ostringstream& mOs;
    bool mFirst{true};
};

std::string tensorJson(const ir::Graph& g, ir::TensorId t, const char* mode = nullptr) {
    if (t == ir::kNoTensor) return "null";
    const ir::Tensor& x = g.tensor(t);
    std::ostringstream os;
    os << "{\"name\":\"" << jsonEscape(x.name) << "\",\"type\":\"" << dataTypeName(x.type) << "\",\"shape\":" << dimsJson(x.shape);
    if (mode) os << ",\"mode\":\"" << mode << '"';
    os << '}';
    return os.str();
}

std::string layerJson(const plan::Plan& p, int32_t i) {
    const ir::Graph& g = p.graph;
    const ir::Node& n = g.node(i);
    std::ostringstream os;
    os << "{\"name\":\"" << jsonEscape(n.name) << "\",\"op\":\"" << ir::opName(n.kind()) << "\",\"inputs\":[";
    for (size_t k = 0; k < n.inputs.size(); ++k) os << (k ? "," : "") << tensorJson(g, n.inputs[k]);
    os << "],\"outputs\":[";
    for (size_t k = 0; k < n.outputs.size(); ++k) os << (k ? "," : "") << tensorJson(g, n.outputs[k]);
    os << "],\"tactic\":\"" << jsonEscape(p.tactics[static_cast<size_t>(i)].name) << "\",\"tactic_id\":" << p.tactics[static_cast<size_t>(i)].id
       << ",\"attributes\":{";
    std::visit(
        [&](const auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (!std::is_same_v<A, std::monostate>) {
                AttrJson j(os);
                const_cast<A&>(a).visit(j);
            }
        },
        n.attrs);
    os << "}}";
    return os.str();
}

class InspectorImpl final : public IEngineInspector {
public:
    explicit InspectorImpl(const EngineImpl& e) : mEngine(e) {}
    const char* getLayerInformation(int32_t layerIndex) const noexcept override {
        if (layerIndex < 0 || layerIndex >= mEngine.getNbLayers()) return nullptr;
        mBuffer = layerJson(mEngine.plan(), layerIndex);
        return mBuffer.c_str();
    }
    const char* getEngineInformation() const noexcept override {
        const plan::Plan& p = mEngine.plan();
        std::ostringstream os;
        int32_t v = p.header.kilnVersion;
        os << "{\"target\":\"" << jsonEscape(p.header.target) << "\",\"device\":\"" << jsonEscape(p.header.deviceName)
           << "\",\"kiln_version\":\"" << v / 10000 << '.' << (v / 100) % 100 << '.' << v % 100 << "\",\"plan_format\":"
           << p.header.formatVersion << ",\"cuda_version\":" << p.header.cudaVersion << ",\"cudnn_version\":"
           << p.header.cudnnVersion << ",\"cublas_version\":" << p.header.cublasVersion << ",\"tf32\":"
           << (p.header.tf32 ? "true" : "false") << ",\"workspace_bytes\":" << p.header.workspaceBytes
           << ",\"weights_bytes\":" << mEngine.getWeightsSize()
           << ",\"activation_bytes\":" << mEngine.getDeviceMemorySizeV2() << ",\"io\":[";
        for (int32_t i = 0; i < mEngine.getNbIOTensors(); ++i) {
            ir::TensorId t = mEngine.ioTensor(i);
            os << (i ? "," : "") << tensorJson(p.graph, t, p.graph.tensor(t).isInput ? "input" : "output");
        }
        os << "],\"layers\":[";
        for (int32_t i = 0; i < mEngine.getNbLayers(); ++i) os << (i ? "," : "") << layerJson(p, i);
        os << "]}";
        mBuffer = os.str();
        return mBuffer.c_str();
    }

private:
    const EngineImpl& mEngine;
    mutable std::string mBuffer;
};

}  // namespace

IEngineInspector* EngineImpl::createEngineInspector() const noexcept { return new (std::nothrow) InspectorImpl(*this); }

IHostMemory* EngineImpl::serialize() const noexcept { return new (std::nothrow) api::HostMemoryImpl(mBytes); }

}  // namespace kiln::runtime
