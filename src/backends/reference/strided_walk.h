// Helpers for kernels that split a tensor's dims into "kept" dims (one output or one statistics group per
// position) and "reduced" dims (walked for each kept position): Reduce and Normalization. Several operands
// can be walked together, each with its own strides (0 where it broadcasts), so that e.g. x, scale and bias
// offsets advance in one loop. Nothing is materialized per reduced position, so reducing a whole large
// tensor costs no extra memory.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace kiln::reference {

/// A set of dims and, for each of N operands, the element stride of each dim.
template <int N>
struct StridedDims {
    std::vector<int64_t> extents;
    std::array<std::vector<int64_t>, N> strides;

    void add(int64_t extent, const std::array<int64_t, N>& s) {
        extents.push_back(extent);
        for (int j = 0; j < N; ++j) strides[static_cast<size_t>(j)].push_back(s[static_cast<size_t>(j)]);
    }
    int64_t volume() const {
        int64_t v = 1;
        for (int64_t e : extents) v *= e;
        return v;
    }
    /// Offsets of row-major position `pos` (over `extents`) for every operand, added to `base`.
    std::array<int64_t, N> offsetsAt(int64_t pos, std::array<int64_t, N> base = {}) const {
        for (size_t i = extents.size(); i-- > 0;) {
            int64_t idx = pos % extents[i];
            pos /= extents[i];
            for (size_t j = 0; j < static_cast<size_t>(N); ++j) base[j] += idx * strides[j][i];
        }
        return base;
    }
    /// Calls f(offsets) for every position, row-major, starting from `base`. Nothing when a dim is 0;
    /// once when there are no dims.
    template <class F>
    void walk(const std::array<int64_t, N>& base, F&& f) const {
        const size_t r = extents.size();
        for (int64_t e : extents)
            if (e == 0) return;
        std::vector<int64_t> idx(r, 0);
        std::array<int64_t, N> off = base;
        while (true) {
            f(off);
            size_t d = r;
            while (d > 0) {
                --d;
                for (size_t j = 0; j < static_cast<size_t>(N); ++j) off[j] += strides[j][d];
                if (++idx[d] < extents[d]) break;
                for (size_t j = 0; j < static_cast<size_t>(N); ++j) off[j] -= strides[j][d] * extents[d];
                idx[d] = 0;
                if (d == 0) return;
            }
            if (r == 0) return;
        }
    }
};

}  // namespace kiln::reference
