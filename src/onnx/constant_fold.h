// Import-time constant folding: a node whose inputs are all constants is imported into a scratch
// network with the same importer that would build it for real, and that small network is run with the
// reference kernels. The outputs become constants, so weight preprocessing exported into the graph
// (Transpose/Reshape/Cast of initializers, Shape arithmetic on static shapes) leaves no layers behind.
#pragma once

#include <optional>
#include <vector>

#include "common/status.h"
#include "onnx/import_context.h"
#include "onnx/op_registry.h"

namespace kiln::onnx {

/// Folded outputs (one per node output; unproduced optional outputs stay absent), or nullopt when the
/// node cannot be folded (an output too large, a kernel that cannot run on the host yet, or an error
/// the normal import will report with the node's name); then the caller imports it normally.
std::optional<std::vector<Value>> foldNode(const OpImporter& importer, const OnnxNode& node,
                                           const std::vector<Value>& inputs, const ModelState& model);

}  // namespace kiln::onnx
