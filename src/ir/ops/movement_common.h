// Helpers shared by the movement and resize inference files: axis normalization and reading an optional
// shape-tensor input whose values may or may not be known yet (build time vs run time).
#pragma once

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"

namespace kiln::ir {

/// Maps axis in [-rank, rank) to [0, rank); error names the op, the axis and the rank.
inline StatusOr<int> normalizeAxis(int64_t axis, int rank, const char* op) {
    if (axis < -rank || axis >= rank) {
        std::ostringstream os;
        os << op << ": axis " << axis << " is out of range for rank " << rank << " (expected " << -rank
           << ".." << rank - 1 << ")";
        return invalidArgument(os.str());
    }
    return static_cast<int>(axis < 0 ? axis + rank : axis);
}

/// An optional 1-D int32/int64 shape-tensor input: absent, present with unknown values (build time), or
/// present with values.
struct ShapeInput {
    bool present{false};
    int64_t length{0};                           ///< number of entries (the input's extent)
    std::optional<std::vector<int64_t>> values;  ///< set when the values are known
};

/// Reads input `index` of ctx as a shape tensor; `what` names it in errors ("Slice start (input 1)").
inline StatusOr<ShapeInput> readShapeInput(const InferContext& ctx, size_t index, const std::string& what) {
    ShapeInput s;
    if (index >= ctx.inputs.size() || !ctx.inputs[index].present()) return s;
    const TensorDesc& t = ctx.inputs[index];
    s.present = true;
    if (t.type != DataType::kINT32 && t.type != DataType::kINT64)
        return invalidArgument(what + " must be int32 or int64, got " + dataTypeName(t.type));
    if (t.shape.nbDims != 1)
        return invalidArgument(what + " must be a 1-D shape tensor, got shape " + toString(t.shape));
    if (t.shape.d[0] < 0)
        return unsupported(what + " has an unknown length " + toString(t.shape) +
                           "; the output rank cannot be determined");
    s.length = t.shape.d[0];
    if (t.values) {
        std::vector<int64_t> v(static_cast<size_t>(s.length));
        for (int64_t i = 0; i < s.length; ++i) v[static_cast<size_t>(i)] = loadAsInt64(t.type, t.values, i);
        s.values = std::move(v);
    }
    return s;
}

/// "[1,2,3]" for a vector of values, for error messages.
inline std::string vectorToString(const std::vector<int64_t>& v) {
    std::ostringstream os;
    os << '[';
    for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
    os << ']';
    return os.str();
}

}  // namespace kiln::ir
