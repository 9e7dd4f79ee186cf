// Logical axes traced through Shuffle nodes. A StridedAxes names a tensor and, for each of four logical
// axes, its extent and its element stride in that tensor's contiguous row-major buffer. Stepping through a
// Shuffle (first transpose, reshape, second transpose) re-expresses the axes in the Shuffle's input
// (backward) or output (forward): a reshape keeps the buffer, so the strides stay; a transpose moves each
// axis with the dim that holds it, which needs every axis to lie inside one dim without carrying into the
// next (a reshape that merged an axis with its neighbour, then a transpose that separates them, breaks the
// chain). Shapes must be fully known. The fuse-attention pass uses this to read q, k, v and write its
// output through the head transposes exporters put around attention (see AttentionLayout).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "ir/graph.h"

namespace kiln::passes {

struct StridedAxes {
    ir::TensorId tensor{ir::kNoTensor};
    std::array<int64_t, 4> extent{};
    std::array<int64_t, 4> stride{};  ///< elements; meaningless (0) for an axis of extent 1
};

/// The axes of a contiguous tensor whose dim `dimOf[a]` holds logical axis a (a permutation of 0..3 over a
/// 4-D tensor), e.g. {0, 1, 3, 2} for keys stored transposed. Nullopt unless the tensor is 4-D and fully
/// known.
std::optional<StridedAxes> axesOf(const ir::Graph& g, ir::TensorId t, const std::array<int32_t, 4>& dimOf);

/// `out` (axes of Shuffle node n's output) expressed in n's input; nullopt when an axis does not stay whole.
std::optional<StridedAxes> throughShuffleBackward(const ir::Graph& g, const ir::Node& n,
                                                  const StridedAxes& out);

/// `in` (axes of Shuffle node n's input) expressed in n's output; nullopt when an axis does not stay whole.
std::optional<StridedAxes> throughShuffleForward(const ir::Graph& g, const ir::Node& n,
                                                 const StridedAxes& in);

/// Whether Shuffle node n only reshapes (no transpose moves a dim), which the runtime makes a view.
bool isReshapeOnly(const ir::Graph& g, const ir::Node& n);

/// Whether `axes` are exactly the contiguous strides of a 4-D tensor storing its axes with dimOf (as
/// axesOf describes) and the tensor holds nothing else (its volume is the product of the extents).
bool hasStrides(const ir::Graph& g, const StridedAxes& axes, const std::array<int32_t, 4>& dimOf);

}  // namespace kiln::passes
