// writePlan: checks the plan (plan_checks.h), builds the FlatBuffers body (plan.fbs), lays out the
// weights section and fills the 64-byte prefix (plan_format.h). The output depends only on the plan's
// contents, so the same plan always gives the same bytes and a read-back plan writes identically.
#include <cstring>

#include "common/dims.h"
#include "plan/attr_codec.h"
#include "plan/plan.h"
#include "plan/plan_checks.h"
#include "plan/plan_format.h"
#include "plan/plan_generated.h"

namespace kiln::plan {

namespace {

flatbuffers::Offset<fb::Header> writeHeader(flatbuffers::FlatBufferBuilder& fbb, const PlanHeader& h) {
    auto target = fbb.CreateString(h.target);
    auto device = fbb.CreateString(h.deviceName);
    return fb::CreateHeader(fbb, h.formatVersion, h.kilnVersion, target, device, h.cudaVersion,
                            h.cudnnVersion, h.cublasVersion, h.workspaceBytes, h.tf32);
}

flatbuffers::Offset<fb::Tensor> writeTensor(flatbuffers::FlatBufferBuilder& fbb, const ir::Tensor& t) {
    auto name = fbb.CreateString(t.name);
    auto dims = fbb.CreateVector(toVector(t.shape));
    return fb::CreateTensor(fbb, name, static_cast<int32_t>(t.type), t.shape.nbDims, dims, t.isInput,
                            t.isOutput);
}

StatusOr<flatbuffers::Offset<fb::Node>> writeNode(flatbuffers::FlatBufferBuilder& fbb, const ir::Graph& g,
                                                  ir::NodeId id, const NodeTactic& tactic,
                                                  WeightsTable& weights) {
    const ir::Node& n = g.node(id);
    auto name = fbb.CreateString(n.name);
    auto opName = fbb.CreateString(ir::opName(n.kind()));
    auto inputs = fbb.CreateVector(n.inputs);
    auto outputs = fbb.CreateVector(n.outputs);
    auto encoded = encodeAttrs(fbb, n.attrs, weights);
    if (!encoded.isOk()) return encoded.status().withContext(g.describeNode(id));
    auto tacticName = fbb.CreateString(tactic.name);
    auto tacticOff = fb::CreateTactic(fbb, tacticName, tactic.id);
    return fb::CreateNode(fbb, name, opName, static_cast<int32_t>(n.kind()), inputs, outputs, encoded.value(),
                          tacticOff);
}

}  // namespace

StatusOr<std::vector<uint8_t>> writePlan(const Plan& plan) {
    const ir::Graph& g = plan.graph;
    if (plan.header.formatVersion != kPlanFormatVersion)
        return invalidArgument("header.formatVersion: this Kiln writes plan format version " +
                               std::to_string(kPlanFormatVersion) + ", found " +
                               std::to_string(plan.header.formatVersion));
    if (plan.tactics.size() != g.nodes().size())
        return invalidArgument("expected one tactic per node (" + std::to_string(g.nodes().size()) +
                               "), found " + std::to_string(plan.tactics.size()));
    KILN_RETURN_IF_ERROR(checkPlanGraph(g).withContext("cannot write plan"));

    flatbuffers::FlatBufferBuilder fbb(4096);
    // Scalars are stored even when equal to their defaults: every field is then present, so a reader
    // or a tool can inspect or patch any of them in place.
    fbb.ForceDefaults(true);
    auto header = writeHeader(fbb, plan.header);
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    tensors.reserve(g.tensors().size());
    for (const ir::Tensor& t : g.tensors()) tensors.push_back(writeTensor(fbb, t));
    auto tensorsOff = fbb.CreateVector(tensors);
    WeightsTable weights;
    std::vector<flatbuffers::Offset<fb::Node>> nodes;
    nodes.reserve(g.nodes().size());
    for (ir::NodeId i = 0; i < static_cast<ir::NodeId>(g.nodes().size()); ++i) {
        KILN_ASSIGN_OR_RETURN(auto node, writeNode(fbb, g, i, plan.tactics[static_cast<size_t>(i)], weights));
        nodes.push_back(node);
    }
    auto nodesOff = fbb.CreateVector(nodes);
    auto inputsOff = fbb.CreateVector(g.inputs());
    auto outputsOff = fbb.CreateVector(g.outputs());
    // Blob offsets depend on the body size, which does not depend on their values (fixed-size structs):
    // write zeros now and patch the finished body below.
    std::vector<fb::WeightsEntry> entries(weights.blobs().size(), fb::WeightsEntry(0, 0));
    auto weightsOff = fbb.CreateVectorOfStructs(entries);
    fbb.Finish(fb::CreatePlan(fbb, header, tensorsOff, nodesOff, inputsOff, outputsOff, weightsOff));

    const uint64_t bodySize = fbb.GetSize();
    const uint64_t weightsOffset = alignUp(kPrefixSize + bodySize, kWeightsAlignment);
    std::vector<uint64_t> blobOffsets;
    uint64_t end = weightsOffset;
    for (const ir::Bytes& b : weights.blobs()) {
        uint64_t at = alignUp(end, kWeightsAlignment);
        blobOffsets.push_back(at);
        end = at + b->size();
    }
    const uint64_t totalSize = end;

    std::vector<uint8_t> file(totalSize, 0);
    uint8_t* body = file.data() + kPrefixSize;
    std::memcpy(body, fbb.GetBufferPointer(), bodySize);
    const fb::Plan* root = fb::GetPlan(body);
    // The weights vector's element storage lies inside `body`; patch it there, little-endian.
    auto* entryBytes = const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(root->weights()->Data()));
    for (size_t i = 0; i < blobOffsets.size(); ++i) {
        storeLE64(entryBytes + 16 * i, blobOffsets[i]);
        storeLE64(entryBytes + 16 * i + 8, weights.blobs()[i]->size());
        if (!weights.blobs()[i]->empty())
            std::memcpy(file.data() + blobOffsets[i], weights.blobs()[i]->data(), weights.blobs()[i]->size());
    }

    std::memcpy(file.data() + kMagicAt, kPlanMagic, sizeof(kPlanMagic));
    storeLE32(file.data() + kPrefixVersionAt, kPrefixVersion);
    storeLE32(file.data() + kFormatVersionAt, kPlanFormatVersion);
    storeLE64(file.data() + kTotalSizeAt, totalSize);
    storeLE64(file.data() + kBodyOffsetAt, kPrefixSize);
    storeLE64(file.data() + kBodySizeAt, bodySize);
    storeLE64(file.data() + kWeightsOffsetAt, weightsOffset);
    storeLE64(file.data() + kWeightsSizeAt, totalSize - weightsOffset);
    sealPlanChecksum(file.data(), file.size());
    return file;
}

}  // namespace kiln::plan
