// Shape and type inference. Each op implements infer##Name in src/ir/ops/<family>.cc. Inference sees the
// inputs' types and shapes and, when known, their values (constants at build time; every tensor at run
// time on the CPU), so shape tensors (Shape -> Gather -> Concat -> Reshape) resolve as soon as values do.
#pragma once

#include <span>
#include <vector>

#include "common/status.h"
#include "ir/attrs.h"
#include "ir/op.h"

namespace kiln::ir {

struct TensorDesc {
    DataType type{DataType::kFLOAT};
    Dims shape{};
    /// Row-major host values when known, else null. Absent optional inputs have shape.nbDims == -1.
    const void* values{nullptr};
    bool present() const { return shape.nbDims >= 0; }
};

struct InferContext {
    std::span<const TensorDesc> inputs;
    /// Sized to the node's output count by the caller. Each output's `type` comes in as the type the user
    /// requested (or kFLOAT if none); inference sets type and shape.
    std::span<TensorDesc> outputs;
};

#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) \
    Status infer##Name(const Name##Attrs& attrs, InferContext& ctx);
#include "ir/ops.def"
#undef KILN_OP

/// Dispatches to infer##Name after checking arity; the Status names no node (the caller adds it).
Status inferNode(const Attrs& attrs, InferContext& ctx);

/// Checks an op's fused epilogue against its inferred output `out`: `addend` (null when absent) must have
/// out's type and shape, and the activation must be one Activation accepts for out's type. `op` prefixes
/// the messages.
Status checkEpilogue(const char* op, const EpilogueAttrs& e, const TensorDesc* addend, const TensorDesc& out);

/// Numpy broadcast of two shapes; error names both shapes.
StatusOr<Dims> broadcastShapes(const Dims& a, const Dims& b);

/// Reads a 1-D int32/int64 tensor's values into a vector (for shape-tensor inputs); error if unknown.
StatusOr<std::vector<int64_t>> readShapeValues(const TensorDesc& t, const char* what);

}  // namespace kiln::ir
