// Test support for the ONNX suite: ModelBuilder writes ONNX models as protobuf messages in C++ (no
// Python needed), and runOnnx parses one, builds it for the CPU, runs it and returns the outputs, so
// tests compare against values computed independently in the test.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/host_tensor.h"
#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"
#include "onnx/onnx_subset.pb.h"
#include "onnx/tensor_proto.h"
#include "support/test_logger.h"

namespace kiln::testing {

namespace pb = kiln::onnx;

/// A node under construction; attribute setters return *this.
class NodeBuilder {
public:
    explicit NodeBuilder(pb::NodeProto* n) : mNode(n) {}
    NodeBuilder& i(const std::string& name, int64_t v) {
        auto* a = add(name, pb::AttributeProto::INT);
        a->set_i(v);
        return *this;
    }
    NodeBuilder& f(const std::string& name, float v) {
        auto* a = add(name, pb::AttributeProto::FLOAT);
        a->set_f(v);
        return *this;
    }
    NodeBuilder& s(const std::string& name, const std::string& v) {
        auto* a = add(name, pb::AttributeProto::STRING);
        a->set_s(v);
        return *this;
    }
    NodeBuilder& ints(const std::string& name, const std::vector<int64_t>& v) {
        auto* a = add(name, pb::AttributeProto::INTS);
        for (int64_t x : v) a->add_ints(x);
        return *this;
    }
    NodeBuilder& floats(const std::string& name, const std::vector<float>& v) {
        auto* a = add(name, pb::AttributeProto::FLOATS);
        for (float x : v) a->add_floats(x);
        return *this;
    }
    NodeBuilder& t(const std::string& name, const pb::TensorProto& v) {
        auto* a = add(name, pb::AttributeProto::TENSOR);
        *a->mutable_t() = v;
        return *this;
    }
    NodeBuilder& domain(const std::string& d) {
        mNode->set_domain(d);
        return *this;
    }
    pb::NodeProto* proto() { return mNode; }

private:
    pb::AttributeProto* add(const std::string& name, pb::AttributeProto::AttributeType type) {
        auto* a = mNode->add_attribute();
        a->set_name(name);
        a->set_type(type);
        return a;
    }
    pb::NodeProto* mNode;
};

/// A TensorProto with raw_data from a HostTensor.
inline pb::TensorProto tensorProto(const std::string& name, const HostTensor& h) {
    pb::TensorProto t;
    t.set_name(name);
    t.set_data_type(pb::onnxTypeOf(h.type));
    for (int i = 0; i < h.shape.nbDims; ++i) t.add_dims(h.shape.d[i]);
    t.set_raw_data(std::string(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size()));
    return t;
}

class ModelBuilder {
public:
    explicit ModelBuilder(int64_t opset = 17) {
        model.set_ir_version(8);
        model.set_producer_name("kiln-tests");
        auto* o = model.add_opset_import();
        o->set_domain("");
        o->set_version(opset);
        model.mutable_graph()->set_name("test");
    }
    /// A graph input; -1 dims become symbolic dims named `names[i]` (or "d<i>").
    ModelBuilder& input(const std::string& name, DataType type, const std::vector<int64_t>& dims,
                        const std::vector<std::string>& names = {}) {
        auto* vi = model.mutable_graph()->add_input();
        vi->set_name(name);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(pb::onnxTypeOf(type));
        auto* shape = tt->mutable_shape();
        for (size_t i = 0; i < dims.size(); ++i) {
            auto* d = shape->add_dim();
            if (dims[i] >= 0)
                d->set_dim_value(dims[i]);
            else
                d->set_dim_param(i < names.size() ? names[i] : "d" + std::to_string(i));
        }
        return *this;
    }
    ModelBuilder& output(const std::string& name, DataType type = DataType::kFLOAT) {
        auto* vi = model.mutable_graph()->add_output();
        vi->set_name(name);
        vi->mutable_type()->mutable_tensor_type()->set_elem_type(pb::onnxTypeOf(type));
        return *this;
    }
    ModelBuilder& initializer(const std::string& name, const HostTensor& h) {
        *model.mutable_graph()->add_initializer() = tensorProto(name, h);
        return *this;
    }
    ModelBuilder& ints(const std::string& name, const std::vector<int64_t>& v) {
        return initializer(
            name, HostTensor::fromVector(DataType::kINT64, makeDims({static_cast<int64_t>(v.size())}), v));
    }
    ModelBuilder& floats(const std::string& name, Dims shape, const std::vector<float>& v) {
        return initializer(name, HostTensor::fromVector(DataType::kFLOAT, shape, v));
    }
    NodeBuilder node(const std::string& op, const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs, const std::string& name = "") {
        auto* n = model.mutable_graph()->add_node();
        n->set_op_type(op);
        n->set_name(name.empty() ? op + "_" + std::to_string(model.graph().node_size()) : name);
        for (const auto& s : inputs) n->add_input(s);
        for (const auto& s : outputs) n->add_output(s);
        return NodeBuilder(n);
    }
    std::string bytes() const { return model.SerializeAsString(); }

    pb::ModelProto model;
};

template <class T>
struct Destroy {
    void operator()(T* p) const { delete p; }
};
template <class T>
using Owned = std::unique_ptr<T, Destroy<T>>;

/// What parsing, building and running a model produced.
struct OnnxRun {
    bool parsed{false};
    std::string errors;               ///< parser errors, one per line, then logger errors
    std::vector<HostTensor> outputs;  ///< in the order asked for
    int32_t nbLayers{0};
    std::vector<LayerType> layerTypes;  ///< of the parsed network
};

/// Parses `bytes` into a network (only).
inline OnnxRun parseOnly(const std::string& bytes, TestLogger& logger, const char* path = nullptr) {
    OnnxRun r;
    Owned<IBuilder> builder(createInferBuilder(logger));
    Owned<INetworkDefinition> net(builder->createNetworkV2(0));
    Owned<IParser> parser(createParser(*net, logger));
    r.parsed = parser->parse(bytes.data(), bytes.size(), path);
    for (int i = 0; i < parser->getNbErrors(); ++i)
        r.errors += std::string(parser->getError(i)->desc()) + "\n";
    r.nbLayers = net->getNbLayers();
    for (int i = 0; i < net->getNbLayers(); ++i) r.layerTypes.push_back(net->getLayer(i)->getType());
    return r;
}

/// Parses, builds for the CPU and runs once with `inputs` (name -> value; dynamic dims take the value's
/// shape), returning the outputs named `outputs`.
inline OnnxRun runOnnx(const std::string& bytes,
                       const std::vector<std::pair<std::string, HostTensor>>& inputs,
                       const std::vector<std::string>& outputs) {
    OnnxRun r;
    TestLogger logger;
    Owned<IBuilder> builder(createInferBuilder(logger));
    Owned<INetworkDefinition> net(builder->createNetworkV2(0));
    Owned<IParser> parser(createParser(*net, logger));
    r.parsed = parser->parse(bytes.data(), bytes.size());
    for (int i = 0; i < parser->getNbErrors(); ++i)
        r.errors += std::string(parser->getError(i)->desc()) + "\n";
    r.nbLayers = net->getNbLayers();
    for (int i = 0; i < net->getNbLayers(); ++i) r.layerTypes.push_back(net->getLayer(i)->getType());
    if (!r.parsed) return r;
    Owned<IBuilderConfig> config(builder->createBuilderConfig());
    config->setTargetDevice("cpu");
    Owned<IHostMemory> plan(builder->buildSerializedNetwork(*net, *config));
    if (!plan) {
        r.errors += "build failed: " + logger.allErrors();
        r.parsed = false;
        return r;
    }
    Owned<IRuntime> runtime(createInferRuntime(logger));
    Owned<ICudaEngine> engine(runtime->deserializeCudaEngine(plan->data(), plan->size()));
    if (!engine) {
        r.errors += "deserialize failed: " + logger.allErrors();
        r.parsed = false;
        return r;
    }
    Owned<IExecutionContext> ctx(engine->createExecutionContext());
    for (const auto& [name, value] : inputs) {
        ctx->setInputShape(name.c_str(), value.shape);
        ctx->setTensorAddress(name.c_str(), const_cast<void*>(value.data()));
    }
    for (const auto& name : outputs) {
        HostTensor h(engine->getTensorDataType(name.c_str()), ctx->getTensorShape(name.c_str()));
        if (h.shape.nbDims < 0) {
            r.errors += "no output named '" + name + "'\n" + logger.allErrors();
            r.parsed = false;
            return r;
        }
        r.outputs.push_back(std::move(h));
    }
    for (size_t i = 0; i < outputs.size(); ++i)
        ctx->setTensorAddress(outputs[i].c_str(), r.outputs[i].data());
    if (!ctx->enqueueV3(nullptr)) {
        r.errors += "run failed: " + logger.allErrors();
        r.parsed = false;
    }
    return r;
}

/// Single-output convenience: the output, failing the test (with the parser's errors) when there is none.
inline HostTensor runOne(const ModelBuilder& m, const std::vector<std::pair<std::string, HostTensor>>& inputs,
                         const std::string& output = "y") {
    OnnxRun r = runOnnx(m.bytes(), inputs, {output});
    EXPECT_TRUE(r.parsed) << r.errors;
    if (!r.parsed || r.outputs.empty()) return HostTensor::absent();
    return r.outputs[0];
}

inline HostTensor floatTensor(Dims shape, const std::vector<float>& v) {
    return HostTensor::fromVector(DataType::kFLOAT, shape, v);
}

/// Expects `got` to have `shape` and values within `tol` (absolute + relative) of `want`.
inline void expectValues(const HostTensor& got, Dims shape, const std::vector<double>& want, double tol,
                         const std::string& what) {
    ASSERT_TRUE(got.present()) << what << ": no output";
    ASSERT_EQ(toString(got.shape), toString(shape)) << what;
    ASSERT_EQ(static_cast<size_t>(got.numel()), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
        const double g = got.at(static_cast<int64_t>(i));
        if (std::isnan(want[i])) {
            EXPECT_TRUE(std::isnan(g)) << what << " element " << i;
            continue;
        }
        if (std::isinf(want[i])) {
            EXPECT_EQ(g, want[i]) << what << " element " << i;
            continue;
        }
        ASSERT_NEAR(g, want[i], tol * (1.0 + std::fabs(want[i]))) << what << " element " << i;
    }
}

}  // namespace kiln::testing
