// OpKind and the attribute variant, both generated from ops.def, plus per-op static facts
// (name, input/output arity, family).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "ir/attrs.h"

namespace kiln::ir {

enum class OpKind : int32_t {
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) k##Name,
#include "ir/ops.def"
#undef KILN_OP
};

constexpr int32_t kNbOpKinds = 0
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) +1
#include "ir/ops.def"
#undef KILN_OP
    ;

using Attrs = std::variant<
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) Name##Attrs,
#include "ir/ops.def"
#undef KILN_OP
    std::monostate>;

struct OpInfo {
    std::string_view name;
    int32_t minInputs;
    int32_t maxInputs;
    int32_t minOutputs;
    int32_t maxOutputs;
    std::string_view family;
};

const OpInfo& opInfo(OpKind kind);
inline std::string_view opName(OpKind kind) { return opInfo(kind).name; }
/// Looks an op up by name ("Convolution"); false if unknown.
bool opKindFromName(std::string_view name, OpKind* kind);

/// The OpKind matching the alternative held by `attrs`.
OpKind opKindOf(const Attrs& attrs);

/// Whether input `slot` of an op of `kind` is read as shape values (TensorRT's shape-tensor inputs):
/// reshape dims, resize sizes and scales, slice start/size/stride, fill dims, reduce axes, top-k k.
bool isShapeInputSlot(OpKind kind, size_t slot);

}  // namespace kiln::ir
