// Import-time evaluation of shape arithmetic (issue item 3). Exported models compute reshape targets
// from Shape -> Gather -> Unsqueeze -> Concat chains, plus Cast, Slice, Add/Mul/Div, Equal/Where,
// ReduceProd on those small vectors. When a node of that kind has inputs that are constants or
// partially known shape vectors, its output elements are computed here: if all are known the node
// becomes a constant (no layers at all), otherwise the elements that are known travel with the layer's
// output so later nodes can still fold (Shape(x)[1] of an x with a dynamic batch is a constant).
#pragma once

#include <optional>
#include <vector>

#include "onnx/import_context.h"
#include "onnx/values.h"

namespace kiln::onnx {

/// Largest vector tracked element by element.
constexpr int64_t kMaxPartialElements = 64;

struct PartialResult {
    DataType type{DataType::kINT64};
    bool scalar{false};  ///< a 0-D result (else 1-D of elems.size())
    std::vector<PartialElement> elems;
    bool allKnown() const {
        for (const auto& e : elems)
            if (!e) return false;
        return true;
    }
    /// The constant; only when allKnown().
    ConstValue toConstant() const;
};

/// Output 0 of `node` evaluated element by element, or nullopt when the node is not shape arithmetic
/// (or its inputs are not small known/partial vectors).
std::optional<PartialResult> evalPartial(const OnnxNode& node, const std::vector<Value>& inputs);

}  // namespace kiln::onnx
