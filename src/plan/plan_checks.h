// Whole-graph checks a plan promises beyond ir::Graph::validate(): nodes in execution (topological)
// order, output arity, producer links and network I/O lists consistent with the tensors' flags, tensor
// types and ranks valid, and every Constant holding exactly the bytes its output type and shape need.
// writePlan runs them before writing, so it never writes a plan readPlan would reject; readPlan runs them
// after decoding.
#pragma once

#include "common/status.h"
#include "ir/graph.h"

namespace kiln::plan {

Status checkPlanGraph(const ir::Graph& graph);

/// storageBytes(type, volume(shape)), or -1 if a dim is unknown or the byte count overflows.
int64_t byteSizeOf(DataType type, const Dims& shape);

}  // namespace kiln::plan
