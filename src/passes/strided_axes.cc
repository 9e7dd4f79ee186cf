// StridedAxes through Shuffle nodes (see strided_axes.h).
#include "passes/strided_axes.h"

#include <vector>

#include "common/dims.h"

namespace kiln::passes {
namespace {

using DimMap = std::array<int32_t, kMAX_DIMS>;

bool known(const Dims& d) {
    return d.nbDims >= 0 && isFullyKnown(d);
}

/// The strides of `axes` (over a buffer of shape `from`) over a buffer of shape `to` where dim k of `from`
/// is dim map[k] of `to` (one transpose). Each axis must lie in one dim of `from`, and the axes sharing a
/// dim must together stay below its extent, so that no index carries into the next dim.
std::optional<std::array<int64_t, 4>> moveAxes(const StridedAxes& axes, const Dims& from, const Dims& to,
                                               const DimMap& map) {
    const std::vector<int64_t> sf = stridesOf(from), st = stridesOf(to);
    std::array<int64_t, kMAX_DIMS> reach{};
    std::array<int64_t, 4> out{};
    for (size_t a = 0; a < 4; ++a) {
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
        out[a] = m * st[static_cast<size_t>(map[static_cast<size_t>(k)])];
    }
    return out;
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

}  // namespace

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
    StridedAxes r = out;
    // y -> r: dim k of y is dim p2[k] of r; r and a share the buffer; a -> x: dim k of a is dim p1[k] of x.
    const std::optional<std::array<int64_t, 4>> overR = moveAxes(r, s->y, s->r, s->p2);
    if (!overR) return std::nullopt;
    r.stride = *overR;
    const std::optional<std::array<int64_t, 4>> overX = moveAxes(r, s->a, s->x, s->p1);
    if (!overX) return std::nullopt;
    r.stride = *overX;
    r.tensor = n.inputs[0];
    return r;
}

std::optional<StridedAxes> throughShuffleForward(const ir::Graph& g, const ir::Node& n,
                                                 const StridedAxes& in) {
    const std::optional<Steps> s = stepsOf(g, n);
    if (!s || in.tensor != n.inputs[0]) return std::nullopt;
    StridedAxes r = in;
    const std::optional<std::array<int64_t, 4>> overA = moveAxes(r, s->x, s->a, s->inv1);
    if (!overA) return std::nullopt;
    r.stride = *overA;
    const std::optional<std::array<int64_t, 4>> overY = moveAxes(r, s->r, s->y, s->inv2);
    if (!overY) return std::nullopt;
    r.stride = *overY;
    r.tensor = n.outputs[0];
    return r;
}

bool isReshapeOnly(const ir::Graph& g, const ir::Node& n) {
    const std::optional<Steps> s = stepsOf(g, n);
    return s && keepsBuffer(s->p1, s->x) && keepsBuffer(s->p2, s->r);
}

bool hasStrides(const ir::Graph& g, const StridedAxes& axes, const std::array<int32_t, 4>& dimOf) {
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
