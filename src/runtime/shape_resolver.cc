// Shape resolution (see shape_resolver.h).
#include "runtime/shape_resolver.h"

#include <algorithm>

#include "backends/reference/kernels.h"
#include "runtime/arena_planner.h"
#include "runtime/view_analysis.h"

namespace kiln::runtime {

namespace {

/// Tensors up to this many elements whose inputs are all known are computed during resolution: they are
/// shape arithmetic, and computing them once per shape set keeps them out of the per-run work.
constexpr int64_t kHostEvalMaxElements = 4096;

/// Which graph inputs may be read on the host as shape tensors. int32/int64 of any rank, as before.
/// TensorRT 10 also takes float and bool shape tensors; those (and half/bf16 scalars such as Range's
/// start/limit/delta) qualify when 0-D or 1-D, so a large float activation that happens to reach a shape
/// slot is still reported as a value-dependent shape rather than copied to the host on every run.
bool canBeShapeInput(const ir::Tensor& t) {
    switch (t.type) {
        case DataType::kINT32:
        case DataType::kINT64:
            return true;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kBOOL:
            return t.shape.nbDims <= 1;
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kFP8:
        case DataType::kINT4:
        case DataType::kFP4:
        case DataType::kE8M0:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
            return false;
    }
    return false;
}

/// Makes node `n`'s output a view of its input 0 when the node only re-reads it (view_analysis.h) and
/// aliasing is safe: the output is not a network output (the user's buffer must be written), the input's
/// root storage holds bytes at run time, and the offset is whole bytes. On a GPU plan the offset must
/// also keep the arena's alignment (kArenaAlignment), so a kernel never sees an address less aligned
/// than without views and keeps its vectorized path. Returns whether the output became a view.
bool makeView(const plan::Plan& plan, ResolvedShapes& r, const ir::Node& n, std::span<const ir::TensorDesc> in,
              const ir::TensorDesc& out) {
    const ir::Graph& g = plan.graph;
    if (n.outputs.size() != 1 || n.inputs.empty() || n.inputs[0] == ir::kNoTensor) return false;
    const auto dst = static_cast<size_t>(n.outputs[0]);
    const auto src = static_cast<size_t>(n.inputs[0]);
    if (g.tensor(n.outputs[0]).isOutput || volume(out.shape) <= 0) return false;
    const bool srcIsView = r.storage[src] == Storage::kVIEW;
    const auto root = static_cast<size_t>(srcIsView ? r.viewOf[src] : n.inputs[0]);
    switch (r.storage[root]) {
        case Storage::kIO:
        case Storage::kARENA:
            break;
        case Storage::kHOST:
            if (!r.hostValues[root]) return false;
            break;
        case Storage::kWEIGHTS:
            if (!r.tensors[root].values) return false;
            break;
        case Storage::kABSENT:
        case Storage::kVIEW:
            return false;
    }
    const std::optional<int64_t> elements = viewElementOffset(n.attrs, in, out);
    if (!elements) return false;
    const int64_t bits = *elements * dataTypeBits(out.type);
    if (bits % 8 != 0) return false;  // a packed type's view must start on a byte
    const int64_t offset = (srcIsView ? r.viewOffset[src] : 0) + bits / 8;
    const ir::TensorDesc& rootDesc = r.tensors[root];
    if (offset + storageBytes(out.type, volume(out.shape)) > storageBytes(rootDesc.type, volume(rootDesc.shape)))
        return false;
    if (plan.header.target != "cpu" && offset % kArenaAlignment != 0) return false;
    r.storage[dst] = Storage::kVIEW;
    r.viewOf[dst] = static_cast<ir::TensorId>(root);
    r.viewOffset[dst] = offset;
    // Values known on the host (a view of weights or of host-computed values) stay known: consumers that
    // read shapes or are evaluated during resolution see them as they would see the copy's.
    if (in[0].values) r.tensors[dst].values = static_cast<const uint8_t*>(in[0].values) + bits / 8;
    return true;
}

}  // namespace

std::vector<bool> findShapeInputs(const plan::Plan& plan) {
    const ir::Graph& g = plan.graph;
    const std::vector<bool> needed = ir::shapeValueTensors(g);
    std::vector<bool> result;
    for (ir::TensorId t : g.inputs())
        result.push_back(needed[static_cast<size_t>(t)] && canBeShapeInput(g.tensor(t)));
    return result;
}

StatusOr<std::unique_ptr<ResolvedShapes>> resolveShapes(const plan::Plan& plan, const std::vector<Dims>& inputShapes,
                                                        const std::vector<const void*>& inputValues, ThreadPool& pool,
                                                        const ResolveOptions& options) {
    const ir::Graph& g = plan.graph;
    auto r = std::make_unique<ResolvedShapes>();
    const size_t nT = g.tensors().size();
    r->tensors.resize(nT);
    r->storage.assign(nT, Storage::kABSENT);
    r->arenaOffset.assign(nT, -1);
    r->hostValues.resize(nT);
    r->nodeDone.assign(g.nodes().size(), false);
    r->viewOf.assign(nT, ir::kNoTensor);
    r->viewOffset.assign(nT, 0);
    for (size_t k = 0; k < g.inputs().size(); ++k) {
        ir::TensorId t = g.inputs()[k];
        const Dims& s = inputShapes[k];
        if (!isFullyKnown(s))
            return invalidArgument("input '" + g.tensor(t).name + "' has shape " + toString(s) +
                                   ": set every dynamic dimension with setInputShape before running");
        r->tensors[static_cast<size_t>(t)] = {g.tensor(t).type, s, k < inputValues.size() ? inputValues[k] : nullptr};
        r->storage[static_cast<size_t>(t)] = Storage::kIO;
    }
    std::vector<int32_t> firstUse(nT, -1), lastUse(nT, -1);
    for (ir::NodeId i = 0; i < static_cast<ir::NodeId>(g.nodes().size()); ++i) {
        const ir::Node& n = g.node(i);
        std::vector<ir::TensorDesc> in(n.inputs.size());
        bool allValues = true;
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            ir::TensorId t = n.inputs[k];
            if (t == ir::kNoTensor) {
                in[k].shape.nbDims = -1;
                continue;
            }
            in[k] = r->tensors[static_cast<size_t>(t)];
            allValues = allValues && in[k].values != nullptr;
            lastUse[static_cast<size_t>(t)] = i;
        }
        std::vector<ir::TensorDesc> out(n.outputs.size());
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            out[k].type = g.tensor(n.outputs[k]).type;
            out[k].shape = g.tensor(n.outputs[k]).shape;
        }
        ir::InferContext ctx{in, out};
        KILN_RETURN_IF_ERROR(ir::inferNode(n.attrs, ctx).withContext(g.describeNode(i)));
        int64_t outElements = 0;
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            if (!isFullyKnown(out[k].shape))
                return unsupported(g.describeNode(i) + ": the shape of output '" + g.tensor(n.outputs[k]).name +
                                   "' (" + toString(out[k].shape) + ") depends on tensor values, which is not supported");
            outElements += volume(out[k].shape);
            r->tensors[static_cast<size_t>(n.outputs[k])] = {out[k].type, out[k].shape, nullptr};
            firstUse[static_cast<size_t>(n.outputs[k])] = i;
            lastUse[static_cast<size_t>(n.outputs[k])] = i;
        }
        if (const auto* c = std::get_if<ir::ConstantAttrs>(&n.attrs)) {
            ir::TensorId t = n.outputs[0];
            r->tensors[static_cast<size_t>(t)].values = c->data ? c->data->data() : nullptr;
            r->storage[static_cast<size_t>(t)] = Storage::kWEIGHTS;
            r->nodeDone[static_cast<size_t>(i)] = true;
            continue;
        }
        bool shapeOnly = n.kind() == ir::OpKind::kShape;
        if ((shapeOnly || allValues) && outElements <= kHostEvalMaxElements) {
            std::vector<TensorRef> inRefs(in.size());
            for (size_t k = 0; k < in.size(); ++k)
                inRefs[k] = TensorRef{in[k].type, in[k].shape, const_cast<void*>(in[k].values)};
            std::vector<TensorRef> outRefs;
            for (size_t k = 0; k < n.outputs.size(); ++k) {
                ir::TensorId t = n.outputs[k];
                r->hostValues[static_cast<size_t>(t)] = std::make_unique<HostTensor>(out[k].type, out[k].shape);
                outRefs.push_back(r->hostValues[static_cast<size_t>(t)]->ref());
            }
            reference::KernelContext kctx{inRefs, outRefs, &pool};
            KILN_RETURN_IF_ERROR(reference::runNode(n.attrs, kctx).withContext(g.describeNode(i)));
            for (size_t k = 0; k < n.outputs.size(); ++k) {
                ir::TensorId t = n.outputs[k];
                r->tensors[static_cast<size_t>(t)].values = r->hostValues[static_cast<size_t>(t)]->data();
                r->storage[static_cast<size_t>(t)] = Storage::kHOST;
            }
            r->nodeDone[static_cast<size_t>(i)] = true;
            continue;
        }
        if (options.views && makeView(plan, *r, n, in, r->tensors[static_cast<size_t>(n.outputs[0])])) {
            r->nodeDone[static_cast<size_t>(i)] = true;
            ++r->nbViewNodes;
            continue;
        }
        for (ir::TensorId t : n.outputs)
            r->storage[static_cast<size_t>(t)] = g.tensor(t).isOutput ? Storage::kIO : Storage::kARENA;
    }
    // A view's reads are reads of its root: the root stays alive until the last consumer of any view of it.
    for (size_t t = 0; t < nT; ++t)
        if (r->storage[t] == Storage::kVIEW) {
            const auto root = static_cast<size_t>(r->viewOf[t]);
            lastUse[root] = std::max(lastUse[root], lastUse[t]);
        }
    // Arena: every kARENA tensor, alive from its producer to its last consumer.
    std::vector<BufferRequest> requests;
    std::vector<ir::TensorId> owners;
    for (size_t t = 0; t < nT; ++t) {
        if (r->storage[t] != Storage::kARENA) continue;
        const auto& d = r->tensors[t];
        requests.push_back({storageBytes(d.type, volume(d.shape)), firstUse[t], lastUse[t]});
        owners.push_back(static_cast<ir::TensorId>(t));
    }
    ArenaPlan arena = planArena(requests);
    for (size_t k = 0; k < owners.size(); ++k) r->arenaOffset[static_cast<size_t>(owners[k])] = arena.offsets[k];
    r->arenaSize = arena.totalSize;
    return r;
}

}  // namespace kiln::runtime
