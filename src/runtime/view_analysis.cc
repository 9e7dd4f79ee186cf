// View analysis (see view_analysis.h). Every check mirrors the reference kernel's reading of the op, so a
// node is a view exactly when running it would copy one contiguous block; anything unusual (invalid
// permutations, ranks that do not match, out-of-range indices) answers "not a view" and leaves the node
// to run and report its own error.
#include "runtime/view_analysis.h"

#include <vector>

#include "common/tensor_ref.h"

namespace kiln::runtime {

namespace {

bool isPermutationOf(const Permutation& p, int rank) {
    bool seen[kMAX_DIMS] = {};
    for (int i = 0; i < rank; ++i) {
        const int32_t v = p.order[i];
        if (v < 0 || v >= rank || seen[v]) return false;
        seen[v] = true;
    }
    return true;
}

/// A transpose leaves the row-major bytes unchanged when the dimensions larger than 1 keep their order:
/// unit dimensions can move anywhere without changing any element's linear index. `extentOf(i)` is the
/// extent of the source dimension that destination dimension i reads, perm.order[i].
template <class ExtentOf>
bool keepsOrder(const Permutation& perm, int rank, ExtentOf extentOf) {
    int32_t last = -1;
    for (int i = 0; i < rank; ++i) {
        if (extentOf(i) == 1) continue;
        if (perm.order[i] < last) return false;
        last = perm.order[i];
    }
    return true;
}

std::optional<int64_t> shuffleView(const ir::ShuffleAttrs& a, const ir::TensorDesc& in,
                                   const ir::TensorDesc& out) {
    const int inRank = in.shape.nbDims, outRank = out.shape.nbDims;
    if (volume(in.shape) != volume(out.shape)) return std::nullopt;
    if (!isPermutationOf(a.firstTranspose, inRank) || !isPermutationOf(a.secondTranspose, outRank))
        return std::nullopt;
    // First transpose: output dim i of it is input dim order[i].
    if (!keepsOrder(a.firstTranspose, inRank, [&](int i) { return in.shape.d[a.firstTranspose.order[i]]; }))
        return std::nullopt;
    // Second transpose: output dim i is dim order[i] of the reshaped tensor, whose extent is out dim i.
    if (!keepsOrder(a.secondTranspose, outRank, [&](int i) { return out.shape.d[i]; })) return std::nullopt;
    return 0;
}

std::optional<int64_t> gatherView(const ir::GatherAttrs& a, const ir::TensorDesc& data,
                                  const ir::TensorDesc& indices) {
    if (a.mode != GatherMode::kDEFAULT || a.nbElementWiseDims != 0) return std::nullopt;
    if (!indices.present() || !indices.values || volume(indices.shape) != 1) return std::nullopt;
    if (indices.type != DataType::kINT32 && indices.type != DataType::kINT64) return std::nullopt;
    const int r = data.shape.nbDims;
    const int axis = a.axis < 0 ? a.axis + r : a.axis;
    if (axis < 0 || axis >= r) return std::nullopt;
    const int64_t n = data.shape.d[axis];
    int64_t index = loadAsInt64(indices.type, indices.values, 0);
    if (index < -n || index >= n) return std::nullopt;
    if (index < 0) index += n;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= data.shape.d[d];
    for (int d = axis + 1; d < r; ++d) inner *= data.shape.d[d];
    // With outer dims of extent 1 the output is the one slab [index, index + 1) along the axis.
    if (outer != 1) return std::nullopt;
    return index * inner;
}

/// Slice start or stride per dimension: input `slot` when present (its values must be known), else the
/// attribute, else `fallback` everywhere; nullopt when unknown or of the wrong rank.
std::optional<std::vector<int64_t>> sliceParam(std::span<const ir::TensorDesc> inputs, size_t slot,
                                               const Dims& attr, int64_t fallback, int rank) {
    std::vector<int64_t> v;
    if (slot < inputs.size() && inputs[slot].present()) {
        const ir::TensorDesc& t = inputs[slot];
        if (!t.values || (t.type != DataType::kINT32 && t.type != DataType::kINT64)) return std::nullopt;
        for (int64_t i = 0; i < volume(t.shape); ++i) v.push_back(loadAsInt64(t.type, t.values, i));
    } else if (attr.nbDims == 0) {
        v.assign(static_cast<size_t>(rank), fallback);
    } else {
        for (int i = 0; i < attr.nbDims; ++i) v.push_back(attr.d[i]);
    }
    if (static_cast<int>(v.size()) != rank) return std::nullopt;
    return v;
}

std::optional<int64_t> sliceView(const ir::SliceAttrs& a, std::span<const ir::TensorDesc> inputs,
                                 const ir::TensorDesc& out) {
    const ir::TensorDesc& in = inputs[0];
    const int rank = in.shape.nbDims;
    if (out.shape.nbDims != rank) return std::nullopt;
    const auto start = sliceParam(inputs, 1, a.start, 0, rank);
    const auto stride = sliceParam(inputs, 3, a.stride, 1, rank);
    if (!start || !stride) return std::nullopt;
    // Every coordinate read must lie inside the input: then every SampleMode reads the same elements
    // (no wrap, clamp, reflection or fill happens), so the mode does not matter.
    for (int d = 0; d < rank; ++d) {
        const int64_t n = in.shape.d[d], size = out.shape.d[d], b = (*start)[static_cast<size_t>(d)];
        if (size > 1 && (*stride)[static_cast<size_t>(d)] != 1) return std::nullopt;
        if (size < 1 || b < 0 || b + size > n) return std::nullopt;
    }
    // Contiguous when, below the innermost restricted dim, every dim is taken whole, and above it every
    // dim has extent 1 in the output: the selection is then one run of the row-major order.
    int innermostRestricted = -1;
    for (int d = 0; d < rank; ++d)
        if (out.shape.d[d] != in.shape.d[d]) innermostRestricted = d;
    for (int d = 0; d < innermostRestricted; ++d)
        if (out.shape.d[d] != 1) return std::nullopt;
    const std::vector<int64_t> strides = stridesOf(in.shape);
    int64_t offset = 0;
    for (int d = 0; d < rank; ++d)
        offset += (*start)[static_cast<size_t>(d)] * strides[static_cast<size_t>(d)];
    return offset;
}

}  // namespace

std::optional<int64_t> viewElementOffset(const ir::Attrs& attrs, std::span<const ir::TensorDesc> inputs,
                                         const ir::TensorDesc& output) {
    if (inputs.empty() || !inputs[0].present() || inputs[0].type != output.type) return std::nullopt;
    const ir::TensorDesc& in = inputs[0];
    if (const auto* a = std::get_if<ir::ShuffleAttrs>(&attrs)) return shuffleView(*a, in, output);
    if (std::get_if<ir::IdentityAttrs>(&attrs))
        return volume(in.shape) == volume(output.shape) ? std::optional<int64_t>(0) : std::nullopt;
    if (const auto* a = std::get_if<ir::CastAttrs>(&attrs))
        return a->toType == in.type && volume(in.shape) == volume(output.shape) ? std::optional<int64_t>(0)
                                                                                : std::nullopt;
    if (const auto* a = std::get_if<ir::GatherAttrs>(&attrs))
        return inputs.size() > 1 ? gatherView(*a, in, inputs[1]) : std::nullopt;
    if (const auto* a = std::get_if<ir::SliceAttrs>(&attrs)) return sliceView(*a, inputs, output);
    return std::nullopt;
}

}  // namespace kiln::runtime
