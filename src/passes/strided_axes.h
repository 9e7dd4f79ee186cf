// Logical axes traced through movement nodes. A StridedAxes names a tensor and, for each of four logical
// axes, its extent and its element stride in that tensor's contiguous row-major buffer, plus the element
// offset of the axes' origin (0, 0, 0, 0) in that buffer. Stepping through a Shuffle (first transpose,
// reshape, second transpose) re-expresses the axes in the Shuffle's input (backward) or output (forward):
// a reshape keeps the buffer, so strides and offset stay; a transpose moves each axis with the dim that
// holds it, which needs every axis to lie inside one dim without carrying into the next (a reshape that
// merged an axis with its neighbour, then a transpose that separates them, breaks the chain), and moves
// the offset by decomposing it into coordinates of one shape, permuting them, and recomposing them in the
// other. Stepping back through a Gather of one constant index or a unit-step Slice is the same move with
// the index / the starts added to the coordinates. Shapes must be fully known. The fuse-attention pass
// uses this to read q, k, v (through head transposes, and straight out of packed QKV projections) and
// write its output through the head transposes exporters put around attention (see AttentionLayout).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/dims.h"
#include "ir/graph.h"

namespace kiln::passes {

struct StridedAxes {
    ir::TensorId tensor{ir::kNoTensor};
    std::array<int64_t, 4> extent{};
    std::array<int64_t, 4> stride{};  ///< elements; meaningless (0) for an axis of extent 1
    int64_t offset{0};                ///< elements from the buffer's start to the axes' origin
};

/// For each dim of a shape, the dim of another shape that holds it (one transpose, or a Gather / Slice
/// where the ranks may differ).
using DimMap = std::array<int32_t, kMAX_DIMS>;

/// `axes` over a buffer of shape `from` re-expressed over a buffer of shape `to` where coordinate c of
/// `from` is coordinate origin + c of `to` with dim k of `from` at dim map[k] of `to` (dims of extent 1
/// may map anywhere: their coordinate is 0). Nullopt when an axis does not lie inside one dim of `from`
/// from the offset's coordinates on (it would carry into the next dim), or the result leaves `to`.
std::optional<StridedAxes> moveAxes(const StridedAxes& axes, const Dims& from, const Dims& to,
                                    const DimMap& map, const std::array<int64_t, kMAX_DIMS>& origin = {});

/// `out` (axes of a Gather or Slice node n's output) expressed in n's data input, when n reads one
/// constant index (a 0-D or one-element index, default mode) or a strict-bounds unit-step slice whose
/// parameters are attributes; nullopt otherwise.
std::optional<StridedAxes> throughSelectionBackward(const ir::Graph& g, const ir::Node& n,
                                                    const StridedAxes& out);

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
