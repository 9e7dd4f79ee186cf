// Shape resolution for one set of input shapes: runs inference over the plan in order and evaluates on
// the host the small tensors that shapes depend on (Shape -> Gather -> Concat -> Reshape chains and
// anything computable from constants and shapes alone), turns nodes that only re-read their input
// (view_analysis.h) into views of it, then plans the activation arena. The result is what a context
// executes against until its input shapes change.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/host_tensor.h"
#include "common/thread_pool.h"
#include "ir/infer.h"
#include "plan/plan.h"

namespace kiln::runtime {

/// Where a tensor's bytes live during execution.
enum class Storage : uint8_t {
    kARENA,     ///< an offset in the context's activation arena
    kIO,        ///< a user address (network input or output)
    kHOST,      ///< evaluated during resolution (values in ResolvedShapes::hostValues)
    kWEIGHTS,   ///< a Constant's bytes in the engine
    kABSENT,    ///< zero-sized or unused
    kVIEW,      ///< the bytes of another tensor (viewOf) from a byte offset (viewOffset): never written
};

struct ResolvedShapes {
    std::vector<ir::TensorDesc> tensors;              ///< per tensor id: type, concrete shape, values if known
    std::vector<Storage> storage;                     ///< per tensor id
    std::vector<int64_t> arenaOffset;                 ///< per tensor id, for kARENA
    std::vector<std::unique_ptr<HostTensor>> hostValues;  ///< per tensor id, for kHOST
    std::vector<bool> nodeDone;                       ///< node evaluated during resolution or a view: skip at run time
    /// Per tensor id, for kVIEW: the tensor whose storage it reads (never itself a view: views of views
    /// point at the root) and the byte offset into it; -1 and 0 otherwise.
    std::vector<ir::TensorId> viewOf;
    std::vector<int64_t> viewOffset;
    int32_t nbViewNodes{0};  ///< nodes skipped because their output is a view
    int64_t arenaSize{0};
};

/// Where tensor `t` lives in one run: `storageAddress(u)` answers for tensors that own storage (I/O, arena,
/// host values, weights; null when absent); a view is its root's address plus its byte offset (roots are
/// never views themselves). Shared by the CPU and GPU launch loops, which differ only in the storage map.
template <class StorageAddress>
void* resolvedAddress(const ResolvedShapes& r, ir::TensorId t, StorageAddress&& storageAddress) {
    const auto i = static_cast<size_t>(t);
    if (r.storage[i] != Storage::kVIEW) return storageAddress(t);
    auto* root = static_cast<uint8_t*>(storageAddress(r.viewOf[i]));
    return root ? root + r.viewOffset[i] : nullptr;
}

/// The TensorRefs of node `n`'s inputs and outputs in one run: absent inputs get nbDims -1 and no data;
/// `inputAddress(slot, t)` and `outputAddress(t)` give the addresses.
template <class InputAddress, class OutputAddress>
void bindNodeTensors(const ir::Node& n, const ResolvedShapes& r, InputAddress&& inputAddress,
                     OutputAddress&& outputAddress, std::vector<TensorRef>& ins, std::vector<TensorRef>& outs) {
    ins.clear();
    outs.clear();
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const ir::TensorId t = n.inputs[k];
        if (t == ir::kNoTensor) {
            TensorRef absent;
            absent.shape.nbDims = -1;
            ins.push_back(absent);
            continue;
        }
        const auto& d = r.tensors[static_cast<size_t>(t)];
        ins.push_back({d.type, d.shape, inputAddress(k, t)});
    }
    for (ir::TensorId t : n.outputs) {
        const auto& d = r.tensors[static_cast<size_t>(t)];
        outs.push_back({d.type, d.shape, outputAddress(t)});
    }
}

/// Options of resolveShapes; the defaults are what contexts use.
struct ResolveOptions {
    /// Alias the outputs of nodes that only re-read their input (see view_analysis.h). Off only to
    /// compare against the copying plan (tests, debugging).
    bool views{true};
};

/// `inputShapes[k]` is the shape of graph input k (graph.inputs() order). `inputValues[k]`, when not null,
/// holds the values of a shape-tensor input (host memory), which shapes downstream may depend on. Fails
/// naming the node whose inference fails or the input whose shape is not concrete.
StatusOr<std::unique_ptr<ResolvedShapes>> resolveShapes(const plan::Plan& plan, const std::vector<Dims>& inputShapes,
                                                        const std::vector<const void*>& inputValues, ThreadPool& pool,
                                                        const ResolveOptions& options = {});

/// Per graph input: true when its values decide shapes (it reaches, through any nodes, an input slot that
/// is read as a shape: reshape dims, resize sizes, slice start/size/stride, fill dims). Such inputs are
/// TensorRT's "shape tensor" inputs: int32/int64 (any rank), or float/half/bf16/bool when 0-D or 1-D, given
/// in host memory, read when shapes are resolved.
std::vector<bool> findShapeInputs(const plan::Plan& plan);

}  // namespace kiln::runtime
