// Plan-level graph checks shared by the writer and the reader (see plan_checks.h).
#include "plan/plan_checks.h"

#include <string>
#include <vector>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "plan/attr_codec.h"
#include "plan/enum_values.h"

namespace kiln::plan {

namespace {

Status checkIoList(const ir::Graph& g, const std::vector<ir::TensorId>& list, bool inputs) {
    const char* what = inputs ? "network input" : "network output";
    const auto nT = static_cast<ir::TensorId>(g.tensors().size());
    std::vector<bool> listed(g.tensors().size(), false);
    for (size_t k = 0; k < list.size(); ++k) {
        ir::TensorId t = list[k];
        if (t < 0 || t >= nT)
            return invalidArgument(std::string(what) + " #" + std::to_string(k) +
                                   ": expected a tensor id in 0.." + std::to_string(nT - 1) + ", found " +
                                   std::to_string(t));
        if (listed[static_cast<size_t>(t)])
            return invalidArgument(std::string(what) + " list names tensor " + quoted(g.tensor(t).name) +
                                   " twice");
        listed[static_cast<size_t>(t)] = true;
    }
    for (ir::TensorId t = 0; t < nT; ++t) {
        bool flag = inputs ? g.tensor(t).isInput : g.tensor(t).isOutput;
        if (flag != listed[static_cast<size_t>(t)])
            return invalidArgument("tensor " + quoted(g.tensor(t).name) +
                                   (flag ? " is marked as " : " is not marked as ") + what + " but " +
                                   (flag ? "is missing from" : "appears in") + " the " + what + " list");
    }
    return Status::ok();
}

}  // namespace

int64_t byteSizeOf(DataType type, const Dims& shape) {
    if (!isFullyKnown(shape)) return -1;
    int64_t count = 1;
    for (int i = 0; i < shape.nbDims; ++i)
        if (__builtin_mul_overflow(count, shape.d[i], &count)) return -1;
    if (isPackedType(type)) return storageBytes(type, count);  // a division: cannot overflow
    int64_t bytes = 0;
    if (__builtin_mul_overflow(count, dataTypeSize(type), &bytes)) return -1;
    return bytes;
}

Status checkPlanGraph(const ir::Graph& g) {
    const auto nT = static_cast<ir::TensorId>(g.tensors().size());
    const auto nN = static_cast<ir::NodeId>(g.nodes().size());
    // validate() looks up op facts by kind, so an op-less node must be caught first.
    for (ir::NodeId i = 0; i < nN; ++i)
        if (g.node(i).attrs.index() >= static_cast<size_t>(ir::kNbOpKinds))
            return invalidArgument("node #" + std::to_string(i) + " " + quoted(g.node(i).name) +
                                   " holds no attributes (monostate), so it names no op");
    for (ir::TensorId t = 0; t < nT; ++t) {
        const ir::Tensor& tensor = g.tensor(t);
        if (!isDeclared(tensor.type))
            return invalidArgument("tensor " + quoted(tensor.name) + ": DataType value " +
                                   std::to_string(static_cast<int32_t>(tensor.type)) + " is not declared");
        if (tensor.shape.nbDims < -1 || tensor.shape.nbDims > kMAX_DIMS)
            return invalidArgument("tensor " + quoted(tensor.name) + ": expected a rank in -1.." +
                                   std::to_string(kMAX_DIMS) + ", found " +
                                   std::to_string(tensor.shape.nbDims));
        for (int k = 0; k < tensor.shape.nbDims; ++k)
            if (tensor.shape.d[k] < -1)
                return invalidArgument("tensor " + quoted(tensor.name) + ": dim " + std::to_string(k) +
                                       " is " + std::to_string(tensor.shape.d[k]) +
                                       ", expected >= 0 or -1 (unknown)");
    }
    for (ir::NodeId i = 0; i < nN; ++i) {
        // validate() checks input arity only; the runtime and the Constant check below index outputs.
        const ir::OpInfo& info = ir::opInfo(g.node(i).kind());
        const auto nOut = static_cast<int64_t>(g.node(i).outputs.size());
        if (nOut < info.minOutputs || nOut > info.maxOutputs)
            return invalidArgument(g.describeNode(i) + ": expected " + std::to_string(info.minOutputs) + ".." +
                                   std::to_string(info.maxOutputs) + " outputs, found " + std::to_string(nOut));
    }
    KILN_RETURN_IF_ERROR(g.validate());
    KILN_RETURN_IF_ERROR(checkIoList(g, g.inputs(), true));
    KILN_RETURN_IF_ERROR(checkIoList(g, g.outputs(), false));

    std::vector<ir::NodeId> producer(g.tensors().size(), -1);
    for (ir::NodeId i = 0; i < nN; ++i)
        for (ir::TensorId t : g.node(i).outputs) producer[static_cast<size_t>(t)] = i;
    for (ir::TensorId t = 0; t < nT; ++t)
        if (g.tensor(t).producer != producer[static_cast<size_t>(t)])
            return invalidArgument("tensor " + quoted(g.tensor(t).name) + " records producer node " +
                                   std::to_string(g.tensor(t).producer) + ", but node " +
                                   std::to_string(producer[static_cast<size_t>(t)]) + " writes it");
    // The runtime executes nodes as listed, so every input must exist before its reader runs.
    for (ir::NodeId i = 0; i < nN; ++i) {
        for (ir::TensorId t : g.node(i).inputs) {
            if (t == ir::kNoTensor || g.tensor(t).isInput) continue;
            ir::NodeId p = producer[static_cast<size_t>(t)];
            if (p >= i)
                return invalidArgument(g.describeNode(i) + " reads tensor " + quoted(g.tensor(t).name) +
                                       ", written by the later " + g.describeNode(p) +
                                       ": nodes are not in topological order (run Graph::topoSort)");
        }
    }
    for (ir::NodeId i = 0; i < nN; ++i) {
        const auto* c = std::get_if<ir::ConstantAttrs>(&g.node(i).attrs);
        if (!c) continue;
        const ir::Tensor& out = g.tensor(g.node(i).outputs[0]);
        int64_t expected = byteSizeOf(out.type, out.shape);
        if (expected < 0)
            return invalidArgument(g.describeNode(i) +
                                   ": expected a fully known shape of addressable size, found " +
                                   dataTypeName(out.type) + toString(out.shape));
        int64_t found = c->data ? static_cast<int64_t>(c->data->size()) : -1;
        if (found != expected)
            return invalidArgument(g.describeNode(i) + ": " + dataTypeName(out.type) + toString(out.shape) +
                                   " needs " + std::to_string(expected) + " bytes of data, found " +
                                   (c->data ? std::to_string(found) + " bytes" : std::string("no data")));
    }
    return Status::ok();
}

}  // namespace kiln::plan
