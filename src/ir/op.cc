// Static op facts generated from ops.def.
#include "ir/op.h"

#include <array>
#include <type_traits>

namespace kiln::ir {

namespace {
constexpr std::array<OpInfo, kNbOpKinds> kOpInfos = {{
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) {#Name, minIn, maxIn, minOut, maxOut, #family},
#include "ir/ops.def"
#undef KILN_OP
}};
}  // namespace

const OpInfo& opInfo(OpKind kind) { return kOpInfos[static_cast<size_t>(kind)]; }

bool opKindFromName(std::string_view name, OpKind* kind) {
    for (size_t i = 0; i < kOpInfos.size(); ++i) {
        if (kOpInfos[i].name == name) {
            *kind = static_cast<OpKind>(i);
            return true;
        }
    }
    return false;
}

OpKind opKindOf(const Attrs& attrs) {
    // The variant's alternatives are listed in ops.def order, so the index is the OpKind.
    return static_cast<OpKind>(attrs.index());
}

bool isShapeInputSlot(OpKind kind, size_t slot) {
    switch (kind) {
        case OpKind::kShuffle: return slot == 1;
        case OpKind::kResize: return slot == 1 || slot == 2;
        case OpKind::kSlice: return slot >= 1 && slot <= 3;
        case OpKind::kFill: return slot == 0;
        case OpKind::kReduce: return slot == 1;
        case OpKind::kTopK: return slot == 1;
        default: return false;
    }
}

}  // namespace kiln::ir
