// Attention's operand layouts (ir::AttentionLayout): which physical dim of a 4-D q, k, v or output tensor
// holds each logical axis B (batch), H (heads), S (sequence), D (head dim), the logical extents of a
// tensor, the physical shape of given extents, and the element strides of each logical axis in a
// contiguous row-major tensor. One definition serves inference, the reference kernel, the CUDA kernels and
// the fuse-attention pass, so they cannot disagree on what a layout means.
#pragma once

#include <array>
#include <cstdint>

#include "common/dims.h"
#include "ir/attrs.h"

namespace kiln::ir {

/// Logical axes, in the order the arrays below use.
enum AttentionAxis : int32_t { kAxisB = 0, kAxisH = 1, kAxisS = 2, kAxisD = 3 };

using AttentionExtents = std::array<int64_t, 4>;  ///< indexed by AttentionAxis

/// For each logical axis (B, H, S, D), the physical dim holding it in `layout`.
inline std::array<int32_t, 4> attentionDimOf(AttentionLayout layout) {
    switch (layout) {
        case AttentionLayout::kBHSD:
            return {0, 1, 2, 3};
        case AttentionLayout::kBSHD:
            return {0, 2, 1, 3};
        case AttentionLayout::kSBHD:
            return {1, 2, 0, 3};
        case AttentionLayout::kBHDS:
            return {0, 1, 3, 2};
    }
    return {0, 1, 2, 3};
}

inline bool isAttentionLayout(AttentionLayout layout) {
    switch (layout) {
        case AttentionLayout::kBHSD:
        case AttentionLayout::kBSHD:
        case AttentionLayout::kSBHD:
        case AttentionLayout::kBHDS:
            return true;
    }
    return false;
}

inline const char* attentionLayoutName(AttentionLayout layout) {
    switch (layout) {
        case AttentionLayout::kBHSD:
            return "BHSD";
        case AttentionLayout::kBSHD:
            return "BSHD";
        case AttentionLayout::kSBHD:
            return "SBHD";
        case AttentionLayout::kBHDS:
            return "BHDS";
    }
    return "invalid";
}

/// The logical extents (B, H, S, D) of a 4-D tensor of `shape` stored in `layout`.
inline AttentionExtents attentionExtents(AttentionLayout layout, const Dims& shape) {
    const std::array<int32_t, 4> dim = attentionDimOf(layout);
    AttentionExtents e{};
    for (int a = 0; a < 4; ++a) e[static_cast<size_t>(a)] = shape.d[dim[static_cast<size_t>(a)]];
    return e;
}

/// The 4-D shape that stores logical extents `e` in `layout`.
inline Dims attentionShape(AttentionLayout layout, const AttentionExtents& e) {
    const std::array<int32_t, 4> dim = attentionDimOf(layout);
    Dims d{};
    d.nbDims = 4;
    for (int a = 0; a < 4; ++a) d.d[dim[static_cast<size_t>(a)]] = e[static_cast<size_t>(a)];
    return d;
}

/// Element strides of each logical axis in a contiguous row-major tensor storing extents `e` in `layout`.
inline AttentionExtents attentionStrides(AttentionLayout layout, const AttentionExtents& e) {
    const Dims shape = attentionShape(layout, e);
    std::array<int64_t, 4> physical{};
    int64_t s = 1;
    for (int i = 3; i >= 0; --i) {
        physical[static_cast<size_t>(i)] = s;
        s *= shape.d[i];
    }
    const std::array<int32_t, 4> dim = attentionDimOf(layout);
    AttentionExtents strides{};
    for (int a = 0; a < 4; ++a)
        strides[static_cast<size_t>(a)] = physical[static_cast<size_t>(dim[static_cast<size_t>(a)])];
    return strides;
}

/// Element strides of a mask of `shape` (rank <= 4) broadcast to [B, H, Sq, Skv]: 0 along the dims it
/// broadcasts (absent or of extent 1), its row-major stride elsewhere.
inline std::array<int64_t, 4> attentionMaskStrides(const Dims& shape) {
    std::array<int64_t, 4> strides{0, 0, 0, 0};
    int64_t s = 1;
    for (int i = shape.nbDims - 1, a = 3; i >= 0 && a >= 0; --i, --a) {
        strides[static_cast<size_t>(a)] = shape.d[i] == 1 ? 0 : s;
        s *= shape.d[i];
    }
    return strides;
}

}  // namespace kiln::ir
