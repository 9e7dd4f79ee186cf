// Which nodes only re-read their input: a Shuffle whose transposes keep the order of every dimension
// larger than 1 (reshape, squeeze, unsqueeze, flatten), an Identity or Cast to the same type, a Gather of
// one index where every outer dimension is 1, and a Slice with stride 1 whose elements form one
// contiguous run. For such a node the output's row-major bytes are a contiguous block of input 0's
// bytes, so the runtime can alias the output to the input at an offset instead of copying
// (shape_resolver.cc decides whether it may: storage, alignment, network outputs). Decided from the
// resolved shapes and the host values of index/start inputs, so it is redone whenever shapes change.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "ir/attrs.h"
#include "ir/infer.h"

namespace kiln::runtime {

/// The offset, in elements of input 0, at which the node's output starts inside input 0 when the output
/// is exactly the next volume(output) elements of input 0 in row-major order; nullopt when the node
/// has to run (it transposes, gathers or strides, its types differ, an index or start is not known on
/// the host, or an index is out of range, which the kernel reports).
std::optional<int64_t> viewElementOffset(const ir::Attrs& attrs, std::span<const ir::TensorDesc> inputs,
                                         const ir::TensorDesc& output);

}  // namespace kiln::runtime
