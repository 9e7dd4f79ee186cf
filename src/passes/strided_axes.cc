// StridedAxes through Shuffle, Gather and Slice nodes (see strided_axes.h).
#include "passes/strided_axes.h"

#include <vector>

#include "common/tensor_ref.h"

namespace kiln::passes {
namespace {

bool known(const Dims& d) {
    return d.nbDims >= 0 && isFullyKnown(d);
}

DimMap identityMap() {
    DimMap m{};
    for (int i = 0; i < kMAX_DIMS; ++i) m[static_cast<size_t>(i)] = i;
    return m;
}

/// A Shuffle as its three steps: x -first transpose-> a -reshape-> r -second transpose-> y.
struct Steps {
    Dims x, a, r, y;
    DimMap p1{}, p2{}, inv1{}, inv2{};
};

std::optional<Steps> stepsOf(const ir::Graph& g, const ir::Node& n) {
    if (n.kind() != ir::OpKind::kShuffle || n.inputs.empty() || n.outputs.size() != 1) return std::nullopt;
    Steps s;
    s.x = g.tensor(n.inputs[0]).shape;
    s.y = g.tensor(n.outputs[0]).shape;
    if (!known(s.x) || !known(s.y) || volume(s.x) != volume(s.y) || volume(s.x) <= 0) return std::nullopt;
    const auto& attrs = std::get<ir::ShuffleAttrs>(n.attrs);
    s.a.nbDims = s.x.nbDims;
    for (int k = 0; k < s.x.nbDims; ++k) {
        const int32_t p = attrs.firstTranspose.order[k];
        if (p < 0 || p >= s.x.nbDims) return std::nullopt;
        s.p1[static_cast<size_t>(k)] = p;
        s.inv1[static_cast<size_t>(p)] = k;
        s.a.d[k] = s.x.d[p];
    }
    s.r.nbDims = s.y.nbDims;
    for (int k = 0; k < s.y.nbDims; ++k) {
        const int32_t p = attrs.secondTranspose.order[k];
        if (p < 0 || p >= s.y.nbDims) return std::nullopt;
        s.p2[static_cast<size_t>(k)] = p;
        s.inv2[static_cast<size_t>(p)] = k;
        s.r.d[p] = s.y.d[k];
    }
    return s;
}

/// Whether the permutation (over a shape) keeps the order of the dims larger than 1: the buffer is unchanged.
bool keepsBuffer(const DimMap& p, const Dims& before) {
    int last = -1;
    for (int k = 0; k < before.nbDims; ++k) {
        const int32_t src = p[static_cast<size_t>(k)];
        if (before.d[src] <= 1) continue;
        if (src < last) return false;
        last = src;
    }
    return true;
}

/// The one-element constant index of a default-mode Gather, normalized into [0, extent); nullopt otherwise.
std::optional<int64_t> constantIndex(const ir::Graph& g, ir::TensorId t, int64_t extent) {
    const ir::NodeId p = g.tensor(t).producer;
    if (p < 0 || g.node(p).kind() != ir::OpKind::kConstant) return std::nullopt;
    const ir::Tensor& x = g.tensor(t);
    const auto& data = std::get<ir::ConstantAttrs>(g.node(p).attrs).data;
    if ((x.type != DataType::kINT32 && x.type != DataType::kINT64) || !known(x.shape) ||
        volume(x.shape) != 1 || !data || static_cast<int64_t>(data->size()) < dataTypeSize(x.type))
        return std::nullopt;
    int64_t i = loadAsInt64(x.type, data->data(), 0);
    if (i < 0) i += extent;  // ONNX's negative indices count from the end
    if (i < 0 || i >= extent) return std::nullopt;
    return i;
}

}  // namespace

std::optional<StridedAxes> moveAxes(const StridedAxes& axes, const Dims& from, const Dims& to,
                                    const DimMap& map, const std::array<int64_t, kMAX_DIMS>& origin) {
    if (!known(from) || !known(to) || axes.offset < 0 || axes.offset >= volume(from)) return std::nullopt;
    const std::vector<int64_t> sf = stridesOf(from), st = stridesOf(to);
    // The offset's coordinates in `from`; each axis then walks one dim from there, and the axes sharing a
    // dim must together stay below its extent, so that no index carries into the next dim.
    std::array<int64_t, kMAX_DIMS> coord{}, reach{};
    for (int k = 0; k < from.nbDims; ++k) {
        const auto i = static_cast<size_t>(k);
        coord[i] = reach[i] = axes.offset / sf[i] % from.d[k];
    }
    StridedAxes out = axes;
    for (size_t a = 0; a < 4; ++a) {
        out.stride[a] = 0;
        if (axes.extent[a] <= 1) continue;
        const int64_t s = axes.stride[a];
        int k = -1;
        for (int i = 0; i < from.nbDims && k < 0; ++i)
            if (from.d[i] > 1 && sf[static_cast<size_t>(i)] <= s &&
                s < sf[static_cast<size_t>(i)] * from.d[i])
                k = i;
        if (k < 0 || s % sf[static_cast<size_t>(k)] != 0) return std::nullopt;
        const int64_t m = s / sf[static_cast<size_t>(k)];
        reach[static_cast<size_t>(k)] += m * (axes.extent[a] - 1);
        if (reach[static_cast<size_t>(k)] >= from.d[k]) return std::nullopt;
        out.stride[a] = m * st[static_cast<size_t>(map[static_cast<size_t>(k)])];
    }
    // The coordinates in `to`: the origin plus each dim's coordinate at its new place; everything the axes
    // reach must stay inside `to`.
    std::array<int64_t, kMAX_DIMS> toCoord = origin, toReach = origin;
    for (int k = 0; k < from.nbDims; ++k) {
        const auto i = static_cast<size_t>(k);
        if (from.d[k] == 1) continue;
        const int32_t j = map[i];
        if (j < 0 || j >= to.nbDims) return std::nullopt;
        toCoord[static_cast<size_t>(j)] += coord[i];
        toReach[static_cast<size_t>(j)] += reach[i];
    }
    out.offset = 0;
    for (int j = 0; j < to.nbDims; ++j) {
        const auto i = static_cast<size_t>(j);
        if (toCoord[i] < 0 || toReach[i] >= to.d[j]) return std::nullopt;
        out.offset += toCoord[i] * st[i];
    }
    return out;
}

std::optional<StridedAxes> throughSelectionBackward(const ir::Graph& g, const ir::Node& n,
                                                    const StridedAxes& out) {
    if (n.inputs.empty() || n.outputs.size() != 1 || out.tensor != n.outputs[0]) return std::nullopt;
    const Dims& x = g.tensor(n.inputs[0]).shape;
    const Dims& y = g.tensor(n.outputs[0]).shape;
    if (!known(x) || !known(y)) return std::nullopt;
    DimMap map = identityMap();
    std::array<int64_t, kMAX_DIMS> origin{};
    if (const auto* gather = std::get_if<ir::GatherAttrs>(&n.attrs)) {
        if (gather->mode != GatherMode::kDEFAULT || gather->nbElementWiseDims != 0 || n.inputs.size() != 2)
            return std::nullopt;
        const int axis = gather->axis < 0 ? gather->axis + x.nbDims : gather->axis;
        const int r = g.tensor(n.inputs[1]).shape.nbDims;  // the index's rank: 1-dims in the output
        if (axis < 0 || axis >= x.nbDims || r < 0 || y.nbDims != x.nbDims - 1 + r) return std::nullopt;
        const std::optional<int64_t> index = constantIndex(g, n.inputs[1], x.d[axis]);
        if (!index) return std::nullopt;
        for (int k = 0; k < y.nbDims; ++k)
            map[static_cast<size_t>(k)] = k < axis ? k : k < axis + r ? axis : k - r + 1;
        origin[static_cast<size_t>(axis)] = *index;
    } else if (const auto* slice = std::get_if<ir::SliceAttrs>(&n.attrs)) {
        for (size_t i = 1; i < n.inputs.size(); ++i)
            if (n.inputs[i] != ir::kNoTensor) return std::nullopt;  // parameters known only at run time
        if (slice->mode != SampleMode::kSTRICT_BOUNDS || y.nbDims != x.nbDims) return std::nullopt;
        if ((slice->start.nbDims != 0 && slice->start.nbDims != x.nbDims) ||
            (slice->stride.nbDims != 0 && slice->stride.nbDims != x.nbDims))
            return std::nullopt;
        for (int k = 0; k < x.nbDims; ++k) {
            const int64_t start = slice->start.nbDims ? slice->start.d[k] : 0;
            const int64_t stride = slice->stride.nbDims ? slice->stride.d[k] : 1;
            if ((stride != 1 && y.d[k] > 1) || start < 0 || start + y.d[k] > x.d[k]) return std::nullopt;
            origin[static_cast<size_t>(k)] = start;
        }
    } else {
        return std::nullopt;
    }
    std::optional<StridedAxes> in = moveAxes(out, y, x, map, origin);
    if (in) in->tensor = n.inputs[0];
    return in;
}

std::optional<StridedAxes> axesOf(const ir::Graph& g, ir::TensorId t, const std::array<int32_t, 4>& dimOf) {
    const Dims& shape = g.tensor(t).shape;
    if (shape.nbDims != 4 || !known(shape)) return std::nullopt;
    const std::vector<int64_t> st = stridesOf(shape);
    StridedAxes axes;
    axes.tensor = t;
    for (size_t a = 0; a < 4; ++a) {
        axes.extent[a] = shape.d[dimOf[a]];
        axes.stride[a] = st[static_cast<size_t>(dimOf[a])];
    }
    return axes;
}

std::optional<StridedAxes> throughShuffleBackward(const ir::Graph& g, const ir::Node& n,
                                                  const StridedAxes& out) {
    const std::optional<Steps> s = stepsOf(g, n);
    if (!s || out.tensor != n.outputs[0]) return std::nullopt;
    // y -> r: dim k of y is dim p2[k] of r; r and a share the buffer; a -> x: dim k of a is dim p1[k] of x.
    // A transpose that keeps the buffer (it moves only dims of extent 1) keeps strides and offset.
    std::optional<StridedAxes> r = out;
    if (!keepsBuffer(s->p2, s->r)) r = moveAxes(*r, s->y, s->r, s->p2);
    if (r && !keepsBuffer(s->p1, s->x)) r = moveAxes(*r, s->a, s->x, s->p1);
    if (r) r->tensor = n.inputs[0];
    return r;
}

std::optional<StridedAxes> throughShuffleForward(const ir::Graph& g, const ir::Node& n,
                                                 const StridedAxes& in) {
    const std::optional<Steps> s = stepsOf(g, n);
    if (!s || in.tensor != n.inputs[0]) return std::nullopt;
    std::optional<StridedAxes> r = in;
    if (!keepsBuffer(s->p1, s->x)) r = moveAxes(*r, s->x, s->a, s->inv1);
    if (r && !keepsBuffer(s->p2, s->r)) r = moveAxes(*r, s->r, s->y, s->inv2);
    if (r) r->tensor = n.outputs[0];
    return r;
}

bool isReshapeOnly(const ir::Graph& g, const ir::Node& n) {
    const std::optional<Steps> s = stepsOf(g, n);
    return s && keepsBuffer(s->p1, s->x) && keepsBuffer(s->p2, s->r);
}

bool hasStrides(const ir::Graph& g, const StridedAxes& axes, const std::array<int32_t, 4>& dimOf) {
    if (axes.offset != 0) return false;
    const Dims& shape = g.tensor(axes.tensor).shape;
    Dims laid{};
    laid.nbDims = 4;
    for (size_t a = 0; a < 4; ++a) laid.d[dimOf[a]] = axes.extent[a];
    if (!known(shape) || volume(shape) != volume(laid)) return false;
    const std::vector<int64_t> st = stridesOf(laid);
    for (size_t a = 0; a < 4; ++a)
        if (axes.extent[a] > 1 && axes.stride[a] != st[static_cast<size_t>(dimOf[a])]) return false;
    return true;
}

}  // namespace kiln::passes
