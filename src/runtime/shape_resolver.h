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
