// readPlan: verifies a plan file in a fixed order, each failure naming the field, what was expected and
// what was found: prefix (size, magic, prefix version, declared size, checksum, format version, section
// bounds), FlatBuffers structure, header (format and Kiln versions), weights index, tensors, nodes (op,
// arity, ids, attributes, tactic), network I/O, then the plan-level graph checks (plan_checks.h). Every
// read is bounds-checked first, so no input can make it crash or read outside `data`.
#include <cstring>
#include <limits>

#include "common/dims.h"
#include "plan/attr_codec.h"
#include "plan/plan.h"
#include "plan/plan_checks.h"
#include "plan/plan_format.h"
#include "plan/plan_generated.h"

namespace kiln::plan {

namespace {

std::string hex(uint64_t v) {
    static const char* kHex = "0123456789abcdef";
    std::string s = "0x";
    for (int i = 60; i >= 0; i -= 4) s += kHex[(v >> i) & 15];
    return s;
}

std::string versionString(int32_t v) {
    if (v < 0) return "<invalid version number " + std::to_string(v) + ">";
    return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

bool isAligned8(const void* p) {
    return reinterpret_cast<uintptr_t>(p) % 8 == 0;
}

/// Whether the elements of a vector of 8-byte scalars or structs can be read in place. The Verifier checks
/// 4-byte alignment only; an empty vector (never read) may sit anywhere, as FlatBuffers writes it so.
template <class V>
bool elementsAligned8(const V* v) {
    return v->size() == 0 || isAligned8(v->Data());
}

// Fewest body bytes a tensor, node or tactic table takes in a plan Kiln writes (the table's offset to
// its vtable plus the offsets to the fields the reader requires). The decode budget charges them before
// allocating, so a body whose tables are shared many times cannot make the reader allocate far more
// than the file holds.
constexpr size_t kMinTensorBytes = 12;
constexpr size_t kMinNodeBytes = 28;
constexpr size_t kMinTacticBytes = 8;

/// Section sizes from a prefix that passed checkPrefix (the body always starts at kPrefixSize).
struct Sections {
    uint64_t bodySize{0};
    uint64_t weightsOffset{0};
    uint64_t weightsSize{0};
};

/// Checks the prefix in order: size, magic, prefix version, declared size, checksum, format version,
/// section bounds.
StatusOr<Sections> checkPrefix(const uint8_t* p, size_t size) {
    if (size < kPrefixSize)
        return invalidArgument("plan is too small: expected at least " + std::to_string(kPrefixSize) +
                               " bytes (the fixed prefix), found " + std::to_string(size));
    if (std::memcmp(p + kMagicAt, kPlanMagic, sizeof(kPlanMagic)) != 0)
        return invalidArgument(
            "this is not a Kiln plan: expected magic 'KILNPLAN', found " +
            quoted(std::string_view(reinterpret_cast<const char*>(p + kMagicAt), sizeof(kPlanMagic))));
    const uint32_t prefixVersion = loadLE32(p + kPrefixVersionAt);
    if (prefixVersion != kPrefixVersion)
        return invalidArgument("plan prefix version " + std::to_string(prefixVersion) + ", this Kiln reads " +
                               std::to_string(kPrefixVersion) + ": rebuild the plan with this Kiln");
    const uint64_t total = loadLE64(p + kTotalSizeAt);
    if (total > size)
        return invalidArgument("plan is truncated: the prefix declares " + std::to_string(total) +
                               " bytes (total_size), found " + std::to_string(size));
    if (total < size)
        return invalidArgument("plan has " + std::to_string(size - total) +
                               " trailing bytes: the prefix declares " + std::to_string(total) +
                               " bytes (total_size), found " + std::to_string(size));
    const uint64_t stored = loadLE64(p + kChecksumAt);
    const uint64_t computed = computePlanChecksum(p, size);
    if (stored != computed)
        return invalidArgument("plan is corrupted: checksum stored in the prefix is " + hex(stored) +
                               ", the bytes hash to " + hex(computed));
    const uint32_t format = loadLE32(p + kFormatVersionAt);
    if (format != kPlanFormatVersion)
        return invalidArgument("plan format version " + std::to_string(format) + ", this Kiln reads " +
                               std::to_string(kPlanFormatVersion) + ": rebuild the plan");

    Sections s;
    const uint64_t bodyOffset = loadLE64(p + kBodyOffsetAt);
    s.bodySize = loadLE64(p + kBodySizeAt);
    s.weightsOffset = loadLE64(p + kWeightsOffsetAt);
    s.weightsSize = loadLE64(p + kWeightsSizeAt);
    if (bodyOffset != kPrefixSize)
        return invalidArgument("body_offset: expected " + std::to_string(kPrefixSize) +
                               " (the body follows the prefix), found " + std::to_string(bodyOffset));
    if (s.bodySize > size - kPrefixSize)
        return invalidArgument("body_size: the body (" + std::to_string(s.bodySize) + " bytes at offset " +
                               std::to_string(kPrefixSize) + ") runs past the end of the " +
                               std::to_string(size) + "-byte plan");
    if (s.bodySize < 8 || s.bodySize % 8 != 0 || s.bodySize >= FLATBUFFERS_MAX_BUFFER_SIZE)
        return invalidArgument("body_size: expected a multiple of 8 in 8.." +
                               std::to_string(FLATBUFFERS_MAX_BUFFER_SIZE - 1) + ", found " +
                               std::to_string(s.bodySize));
    const uint64_t expectedWeights = alignUp(kPrefixSize + s.bodySize, kWeightsAlignment);
    if (s.weightsOffset != expectedWeights)
        return invalidArgument("weights_offset: expected " + std::to_string(expectedWeights) +
                               " (the first 64-byte boundary after the body), found " +
                               std::to_string(s.weightsOffset));
    if (s.weightsOffset > size)
        return invalidArgument("weights_offset " + std::to_string(s.weightsOffset) +
                               " lies past the end of the " + std::to_string(size) + "-byte plan");
    if (s.weightsSize != size - s.weightsOffset)
        return invalidArgument("weights_size: expected " + std::to_string(size - s.weightsOffset) +
                               " (the weights section runs to the end of the file), found " +
                               std::to_string(s.weightsSize));
    return s;
}

Status checkHeader(const fb::Header* h, PlanHeader& out, DecodeBudget& budget) {
    if (!h) return invalidArgument("header is missing");
    if (h->format_version() != kPlanFormatVersion)
        return invalidArgument("header.format_version: plan format version " +
                               std::to_string(h->format_version()) + ", this Kiln reads " +
                               std::to_string(kPlanFormatVersion) + ": rebuild the plan");
    const int32_t mine = getKilnVersion();
    const int32_t theirs = h->kiln_version();
    if (theirs < 0 || theirs / 100 != mine / 100)
        return invalidArgument(
            "plan built with Kiln " + versionString(theirs) + ", this is Kiln " + versionString(mine) +
            ": a plan is read only by the Kiln major.minor that built it; rebuild the plan");
    if (!h->target()) return invalidArgument("header.target is missing");
    if (!h->device_name()) return invalidArgument("header.device_name is missing");
    KILN_RETURN_IF_ERROR(budget.take(h->target()->size() + h->device_name()->size(), "header"));
    out.formatVersion = h->format_version();
    out.kilnVersion = theirs;
    out.target = h->target()->str();
    out.deviceName = h->device_name()->str();
    out.cudaVersion = h->cuda_version();
    out.cudnnVersion = h->cudnn_version();
    out.cublasVersion = h->cublas_version();
    // A tuned plan asks for its tactics' workspace; more than a GPU could hold is a corrupt header.
    if (h->workspace_bytes() < 0 || h->workspace_bytes() > (int64_t(1) << 40))
        return invalidArgument("header.workspace_bytes is " + std::to_string(h->workspace_bytes()) +
                               ", expected 0 to 2^40: the plan is corrupt; rebuild it");
    out.workspaceBytes = h->workspace_bytes();
    out.tf32 = h->tf32();
    return Status::ok();
}

/// Weights entries must be laid out back to back at 64-byte boundaries, exactly filling the section.
StatusOr<std::vector<ir::Bytes>> readWeights(const flatbuffers::Vector<const fb::WeightsEntry*>* entries,
                                             const uint8_t* file, size_t size, const Sections& s) {
    if (!entries) return invalidArgument("the weights index is missing");
    if (!elementsAligned8(entries)) return invalidArgument("the weights index is not 8-byte aligned");
    std::vector<ir::Bytes> blobs;
    blobs.reserve(entries->size());
    uint64_t end = s.weightsOffset;
    for (flatbuffers::uoffset_t i = 0; i < entries->size(); ++i) {
        const fb::WeightsEntry* e = entries->Get(i);
        const std::string what = "weights[" + std::to_string(i) + "]";
        const uint64_t expected = alignUp(end, kWeightsAlignment);
        if (e->offset() != expected)
            return invalidArgument(what + ".offset: expected " + std::to_string(expected) +
                                   " (the first 64-byte boundary after the previous blob), found " +
                                   std::to_string(e->offset()));
        if (e->offset() > size || e->size() > size - e->offset())
            return invalidArgument(what + ": " + std::to_string(e->size()) + " bytes at offset " +
                                   std::to_string(e->offset()) + " run past the end of the " +
                                   std::to_string(size) + "-byte plan");
        const uint8_t* at = file + e->offset();
        blobs.push_back(std::make_shared<const std::vector<uint8_t>>(at, at + e->size()));
        end = e->offset() + e->size();
    }
    if (end != size)
        return invalidArgument("weights section: the index ends at byte " + std::to_string(end) +
                               ", the section ends at byte " + std::to_string(size) + " (weights_size " +
                               std::to_string(s.weightsSize) + ")");
    return blobs;
}

StatusOr<ir::Tensor> readTensor(const fb::Tensor* t, flatbuffers::uoffset_t i, DecodeBudget& budget) {
    const std::string what = "tensors[" + std::to_string(i) + "]";
    if (!t->name()) return invalidArgument(what + ".name is missing");
    KILN_RETURN_IF_ERROR(budget.take(t->name()->size(), what + ".name"));
    if (t->dims())
        KILN_RETURN_IF_ERROR(budget.take(8 * static_cast<size_t>(t->dims()->size()), what + ".dims"));
    ir::Tensor out;
    out.name = t->name()->str();
    const std::string named = what + " (" + quoted(out.name) + ")";
    out.type = static_cast<DataType>(t->dtype());
    if (t->dtype() < 0 || t->dtype() >= kNB_DATA_TYPES)
        return invalidArgument(named + ".dtype: expected a DataType in 0.." +
                               std::to_string(kNB_DATA_TYPES - 1) + ", found " + std::to_string(t->dtype()));
    if (t->rank() < -1 || t->rank() > kMAX_DIMS)
        return invalidArgument(named + ".rank: expected -1.." + std::to_string(kMAX_DIMS) + ", found " +
                               std::to_string(t->rank()));
    const auto* dims = t->dims();
    const size_t want = static_cast<size_t>(t->rank() < 0 ? 0 : t->rank());
    if (!dims) return invalidArgument(named + ".dims is missing");
    if (dims->size() != want)
        return invalidArgument(named + ".dims: expected " + std::to_string(want) +
                               " extents (the rank), found " + std::to_string(dims->size()));
    if (!elementsAligned8(dims)) return invalidArgument(named + ".dims is not 8-byte aligned");
    out.shape.nbDims = t->rank();
    for (flatbuffers::uoffset_t k = 0; k < dims->size(); ++k) {
        out.shape.d[k] = dims->Get(k);
        if (out.shape.d[k] < -1)
            return invalidArgument(named + ".dims[" + std::to_string(k) +
                                   "]: expected >= 0 or -1 (unknown), found " +
                                   std::to_string(out.shape.d[k]));
    }
    out.isInput = t->is_input();
    out.isOutput = t->is_output();
    return out;
}

Status readIds(const flatbuffers::Vector<int32_t>* ids, int32_t lo, int32_t nT, const std::string& what,
               std::vector<ir::TensorId>& out) {
    if (!ids) return invalidArgument(what + " is missing");
    for (flatbuffers::uoffset_t k = 0; k < ids->size(); ++k) {
        int32_t t = ids->Get(k);
        if (t < lo || t >= nT)
            return invalidArgument(what + "[" + std::to_string(k) + "]: expected a tensor id in " +
                                   std::to_string(lo) + ".." + std::to_string(nT - 1) + ", found " +
                                   std::to_string(t));
        out.push_back(t);
    }
    return Status::ok();
}

Status readNode(const fb::Node* n, flatbuffers::uoffset_t i, int32_t nT, std::span<const ir::Bytes> weights,
                std::vector<bool>& used, DecodeBudget& budget, ir::Node& out, NodeTactic& tactic) {
    std::string what = "nodes[" + std::to_string(i) + "]";
    if (!n->name()) return invalidArgument(what + ".name is missing");
    KILN_RETURN_IF_ERROR(budget.take(n->name()->size(), what + ".name"));
    out.name = n->name()->str();
    what += " (" + quoted(out.name) + ")";
    if (!n->op_name()) return invalidArgument(what + ".op_name is missing");
    ir::OpKind kind;
    if (!ir::opKindFromName(n->op_name()->string_view(), &kind))
        return invalidArgument(what + ".op_name: " + quoted(n->op_name()->string_view()) +
                               " is not an op this Kiln knows (" + std::to_string(ir::kNbOpKinds) +
                               " ops, see ops.def): rebuild the plan");
    if (n->op_kind() != static_cast<int32_t>(kind)) {
        std::string found = std::to_string(n->op_kind());
        if (n->op_kind() >= 0 && n->op_kind() < ir::kNbOpKinds)
            found += " (" + std::string(ir::opName(static_cast<ir::OpKind>(n->op_kind()))) + ")";
        return invalidArgument(what + ".op_kind: op_name " + quoted(ir::opName(kind)) + " is kind " +
                               std::to_string(static_cast<int32_t>(kind)) + ", found " + found);
    }
    what += " " + std::string(ir::opName(kind));
    const ir::OpInfo& info = ir::opInfo(kind);
    if (!n->inputs()) return invalidArgument(what + ".inputs is missing");
    if (!n->outputs()) return invalidArgument(what + ".outputs is missing");
    KILN_RETURN_IF_ERROR(
        budget.take(4 * (static_cast<size_t>(n->inputs()->size()) + n->outputs()->size()), what + " ids"));
    const auto nIn = static_cast<int64_t>(n->inputs()->size());
    const auto nOut = static_cast<int64_t>(n->outputs()->size());
    if (nIn < info.minInputs || nIn > info.maxInputs)
        return invalidArgument(what + ": expected " + std::to_string(info.minInputs) + ".." +
                               std::to_string(info.maxInputs) + " inputs, found " + std::to_string(nIn));
    if (nOut < info.minOutputs || nOut > info.maxOutputs)
        return invalidArgument(what + ": expected " + std::to_string(info.minOutputs) + ".." +
                               std::to_string(info.maxOutputs) + " outputs, found " + std::to_string(nOut));
    KILN_RETURN_IF_ERROR(readIds(n->inputs(), -1, nT, what + ".inputs", out.inputs));
    KILN_RETURN_IF_ERROR(readIds(n->outputs(), 0, nT, what + ".outputs", out.outputs));
    auto attrs = decodeAttrs(kind, n->attrs(), weights, used, budget);
    if (!attrs.isOk()) return attrs.status().withContext(what);
    out.attrs = std::move(attrs).value();
    if (!n->tactic()) return invalidArgument(what + ".tactic is missing");
    if (!n->tactic()->name()) return invalidArgument(what + ".tactic.name is missing");
    KILN_RETURN_IF_ERROR(budget.take(kMinTacticBytes + n->tactic()->name()->size(), what + ".tactic.name"));
    tactic.name = n->tactic()->name()->str();
    tactic.id = n->tactic()->id();
    return Status::ok();
}

StatusOr<Plan> readBody(const fb::Plan* root, const uint8_t* file, size_t size, const Sections& s) {
    Plan plan;
    DecodeBudget budget(s.bodySize);
    KILN_RETURN_IF_ERROR(checkHeader(root->header(), plan.header, budget));
    KILN_ASSIGN_OR_RETURN(std::vector<ir::Bytes> weights, readWeights(root->weights(), file, size, s));

    ir::Graph& g = plan.graph;
    if (!root->tensors()) return invalidArgument("the tensor list is missing");
    const auto nT = static_cast<int32_t>(root->tensors()->size());
    KILN_RETURN_IF_ERROR(budget.take(kMinTensorBytes * root->tensors()->size(), "the tensor list"));
    g.tensors().reserve(root->tensors()->size());
    for (flatbuffers::uoffset_t i = 0; i < root->tensors()->size(); ++i) {
        KILN_ASSIGN_OR_RETURN(ir::Tensor t, readTensor(root->tensors()->Get(i), i, budget));
        g.tensors().push_back(std::move(t));
    }

    if (!root->nodes()) return invalidArgument("the node list is missing");
    KILN_RETURN_IF_ERROR(budget.take(kMinNodeBytes * root->nodes()->size(), "the node list"));
    std::vector<bool> used(weights.size(), false);
    g.nodes().resize(root->nodes()->size());
    plan.tactics.resize(root->nodes()->size());
    for (flatbuffers::uoffset_t i = 0; i < root->nodes()->size(); ++i)
        KILN_RETURN_IF_ERROR(
            readNode(root->nodes()->Get(i), i, nT, weights, used, budget, g.nodes()[i], plan.tactics[i]));
    for (size_t i = 0; i < used.size(); ++i)
        if (!used[i]) return invalidArgument("weights[" + std::to_string(i) + "] is referenced by no node");
    for (ir::NodeId i = 0; i < static_cast<ir::NodeId>(g.nodes().size()); ++i)
        for (ir::TensorId t : g.node(i).outputs) g.tensor(t).producer = i;

    KILN_RETURN_IF_ERROR(budget.take(4 * (root->inputs() ? root->inputs()->size() : 0), "network inputs"));
    KILN_RETURN_IF_ERROR(readIds(root->inputs(), 0, nT, "network inputs", g.inputs()));
    KILN_RETURN_IF_ERROR(budget.take(4 * (root->outputs() ? root->outputs()->size() : 0), "network outputs"));
    KILN_RETURN_IF_ERROR(readIds(root->outputs(), 0, nT, "network outputs", g.outputs()));
    KILN_RETURN_IF_ERROR(checkPlanGraph(g));
    return plan;
}

}  // namespace

StatusOr<Plan> readPlan(const void* data, size_t size) {
    if (!data && size != 0)
        return invalidArgument("plan data is null but its size is " + std::to_string(size));
    const auto* file = static_cast<const uint8_t*>(data);
    KILN_ASSIGN_OR_RETURN(Sections s, checkPrefix(file, size));

    // FlatBuffers reads scalars in place, so the body must sit at an 8-aligned address (the writer aligns
    // every scalar relative to the body start); copy it when the caller's buffer is not.
    const uint8_t* body = file + kPrefixSize;
    std::vector<uint64_t> alignedCopy;
    if (!isAligned8(body)) {
        alignedCopy.resize(s.bodySize / 8);
        std::memcpy(alignedCopy.data(), body, s.bodySize);
        body = reinterpret_cast<const uint8_t*>(alignedCopy.data());
    }
    flatbuffers::Verifier::Options options;
    // A table takes at least 4 bytes and Kiln never shares one, so more visits than this means a body
    // built to make verification (and decoding) take quadratic time.
    options.max_tables = static_cast<flatbuffers::uoffset_t>(s.bodySize / 4);
    flatbuffers::Verifier verifier(body, s.bodySize, options);
    if (!fb::VerifyPlanBuffer(verifier))
        return invalidArgument(
            "plan body (" + std::to_string(s.bodySize) +
            " bytes) fails FlatBuffers verification: an offset, length or alignment is out of bounds");
    return readBody(fb::GetPlan(body), file, size, s);
}

}  // namespace kiln::plan
