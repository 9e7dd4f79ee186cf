// Attributes as text, through each Attrs struct's visit(): the textual IR dump prints them readably, and
// the builder's timing cache keys layers by them exactly (builder/timing_cache.h), so two spellings of one
// attribute set never share a key and one set never gets two.
#pragma once

#include <ostream>

#include "ir/op.h"

namespace kiln::ir {

enum class AttrTextMode : int32_t {
    kREADABLE = 0,  ///< floats to 6 significant digits, Bytes as "<N bytes>": the IR dump
    kEXACT = 1,     ///< floats as hexadecimal (every bit), Bytes in full as hex: a key
};

/// Writes "name=value, name=value" for every field of `attrs` in visit order (nothing for ops without
/// attributes or a monostate).
void writeAttrText(std::ostream& os, const Attrs& attrs, AttrTextMode mode);

}  // namespace kiln::ir
