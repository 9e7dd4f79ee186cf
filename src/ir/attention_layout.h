// Attention's operand layouts (ir::AttentionLayout): which physical dim of a 4-D q, k, v or output tensor
// holds each logical axis B (batch), H (heads), S (sequence), D (head dim), the logical extents of a
// tensor, the physical shape of given extents, and the element strides of each logical axis in a
// contiguous row-major tensor; and the operands' views (AttentionView: offset, extents, strides), which is
// what a kSTRIDED operand states explicitly and a contiguous layout implies. One definition serves
// inference, the reference kernel, the CUDA kernels and the fuse-attention pass, so they cannot disagree
// on what a layout or a view means.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/dims.h"
#include "common/status.h"
#include "ir/attrs.h"

namespace kiln::ir {

/// Logical axes, in the order the arrays below use.
enum AttentionAxis : int32_t { kAxisB = 0, kAxisH = 1, kAxisS = 2, kAxisD = 3 };

using AttentionExtents = std::array<int64_t, 4>;  ///< indexed by AttentionAxis

/// For each logical axis (B, H, S, D), the physical dim holding it in `layout`. kSTRIDED has no such dims
/// (its view says where the axes are); it maps like kBHSD here, so callers must handle it first.
inline std::array<int32_t, 4> attentionDimOf(AttentionLayout layout) {
    switch (layout) {
        case AttentionLayout::kSTRIDED:
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
        case AttentionLayout::kSTRIDED:
            return true;
    }
    return false;
}

/// Whether `layout` is one of the contiguous 4-D layouts (every declared one but kSTRIDED).
inline bool isContiguousAttentionLayout(AttentionLayout layout) {
    return isAttentionLayout(layout) && layout != AttentionLayout::kSTRIDED;
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
        case AttentionLayout::kSTRIDED:
            return "STRIDED";
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

/// Where the elements of a q, k or v operand lie in its input tensor's row-major buffer: element
/// (b, h, s, d) is at offset + b * stride[B] + h * stride[H] + s * stride[S] + d * stride[D]. A kSTRIDED
/// operand states it (AttentionAttrs' q_view, k_view, v_view); a contiguous layout implies offset 0 and
/// attentionStrides.
struct AttentionView {
    int64_t offset{0};
    AttentionExtents extent{};
    AttentionExtents stride{};
    bool operator==(const AttentionView&) const = default;
};

/// Whether a view keeps what the tensor-core kernel needs wherever a contiguous layout would: a contiguous
/// head dim, and, when the head dim is a multiple of 8 (so contiguous layouts start every row on 16 bytes
/// in float16 / bfloat16), an offset and row strides that are multiples of 8 elements too. The passes
/// that make STRIDED views ask this, so reading further back never costs the kernel.
inline bool keepsAlignedRows(const AttentionView& v) {
    if (v.stride[kAxisD] != 1 && v.extent[kAxisD] != 1) return false;
    if (v.extent[kAxisD] % 8 != 0) return true;
    bool aligned = v.offset % 8 == 0;
    for (int axis : {kAxisB, kAxisH, kAxisS}) {
        const auto a = static_cast<size_t>(axis);
        aligned = aligned && (v.extent[a] == 1 || v.stride[a] % 8 == 0);
    }
    return aligned;
}

/// Values of a q_view / k_view / v_view attribute: offset, 4 extents, 4 strides.
constexpr size_t kAttentionViewFields = 9;

/// The attribute values of `v` (the inverse of the decoding attentionView does).
inline std::vector<int64_t> attentionViewValues(const AttentionView& v) {
    std::vector<int64_t> out = {v.offset};
    out.insert(out.end(), v.extent.begin(), v.extent.end());
    out.insert(out.end(), v.stride.begin(), v.stride.end());
    return out;
}

/// Operand i (0 q, 1 k, 2 v) of `attrs`: its layout and its view values.
inline AttentionLayout attentionOperandLayout(const AttentionAttrs& attrs, int i) {
    return i == 0 ? attrs.qLayout : i == 1 ? attrs.kLayout : attrs.vLayout;
}
inline const std::vector<int64_t>& attentionViewOf(const AttentionAttrs& attrs, int i) {
    return i == 0 ? attrs.qView : i == 1 ? attrs.kView : attrs.vView;
}

/// The view of operand `i` (0 q, 1 k, 2 v) of `attrs` over an input of `shape`, checked. A contiguous
/// layout needs a 4-D input and no view values; its extents come from the shape (-1 where unknown) and its
/// strides are meaningful once the shape is fully known. kSTRIDED needs kAttentionViewFields values with
/// extents >= 1 and offset and strides >= 0; once the shape is fully known every element the view reaches
/// must lie inside the tensor. Errors name the operand, the values and the shape, and say what to do.
StatusOr<AttentionView> attentionView(const AttentionAttrs& attrs, int i, const Dims& shape);

/// What a kernel needs of one Attention node's operands at run time: the views of q, k, v, the output's
/// strides and the problem's extents.
struct AttentionGeometry {
    AttentionView q, k, v;
    AttentionExtents outStride{};
    int64_t batch{0}, heads{0}, sq{0}, skv{0}, d{0}, dv{0};
};

/// The geometry of an Attention node over inputs of `q`, `k`, `v` and an output of `y` (fully known
/// shapes): the views decoded and checked (attentionView), then the extents checked to agree and the
/// output layout to be one an output may have. Disagreement is an internal error: inference refuses such
/// nodes first. The reference kernel and the CUDA host code both start here.
StatusOr<AttentionGeometry> attentionGeometry(const AttentionAttrs& attrs, const Dims& q, const Dims& k,
                                              const Dims& v, const Dims& y);

}  // namespace kiln::ir
