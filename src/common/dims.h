// Helpers on Dims: volume, equality, printing, building from vectors, row-major strides, axis masks.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "kiln/types.h"

namespace kiln {

inline Dims makeDims(std::initializer_list<int64_t> values) {
    Dims d;
    d.nbDims = static_cast<int32_t>(values.size());
    int i = 0;
    for (int64_t v : values) d.d[i++] = v;
    return d;
}

inline Dims makeDims(std::span<const int64_t> values) {
    Dims d;
    d.nbDims = static_cast<int32_t>(values.size());
    for (size_t i = 0; i < values.size() && i < static_cast<size_t>(kMAX_DIMS); ++i) d.d[i] = values[i];
    return d;
}

inline std::vector<int64_t> toVector(const Dims& d) {
    std::vector<int64_t> v;
    for (int i = 0; i < d.nbDims; ++i) v.push_back(d.d[i]);
    return v;
}

/// Number of elements; 1 for a scalar (rank 0). -1 if any dim is unknown.
inline int64_t volume(const Dims& d) {
    int64_t v = 1;
    for (int i = 0; i < d.nbDims; ++i) {
        if (d.d[i] < 0) return -1;
        v *= d.d[i];
    }
    return v;
}

inline bool operator==(const Dims& a, const Dims& b) {
    if (a.nbDims != b.nbDims) return false;
    for (int i = 0; i < a.nbDims; ++i)
        if (a.d[i] != b.d[i]) return false;
    return true;
}
inline bool operator!=(const Dims& a, const Dims& b) { return !(a == b); }

inline bool isFullyKnown(const Dims& d) {
    if (d.nbDims < 0) return false;
    for (int i = 0; i < d.nbDims; ++i)
        if (d.d[i] < 0) return false;
    return true;
}

/// "[2,3,-1]" style.
inline std::string toString(const Dims& d) {
    if (d.nbDims < 0) return "[?]";
    std::ostringstream os;
    os << '[';
    for (int i = 0; i < d.nbDims; ++i) os << (i ? "," : "") << d.d[i];
    os << ']';
    return os.str();
}

/// Row-major strides in elements.
/// [N, spatial..., C] (channels-last) -> [N, C, spatial...]: the last dim moves to position 1. Shapes of
/// rank < 3 come back unchanged.
inline Dims channelsFirstDims(const Dims& d) {
    if (d.nbDims < 3) return d;
    Dims out = d;
    out.d[1] = d.d[d.nbDims - 1];
    for (int i = 2; i < d.nbDims; ++i) out.d[i] = d.d[i - 1];
    return out;
}

/// [N, C, spatial...] -> [N, spatial..., C] (channels-last): the inverse of channelsFirstDims.
inline Dims channelsLastDims(const Dims& d) {
    if (d.nbDims < 3) return d;
    Dims out = d;
    for (int i = 1; i + 1 < d.nbDims; ++i) out.d[i] = d.d[i + 1];
    out.d[d.nbDims - 1] = d.d[1];
    return out;
}

inline std::vector<int64_t> stridesOf(const Dims& d) {
    std::vector<int64_t> s(static_cast<size_t>(d.nbDims > 0 ? d.nbDims : 0), 1);
    for (int i = d.nbDims - 2; i >= 0; --i) s[i] = s[i + 1] * d.d[i + 1];
    return s;
}

/// Axes set in a TensorRT-style bitmask, ascending.
inline std::vector<int> axesFromMask(uint32_t mask, int rank) {
    std::vector<int> axes;
    for (int i = 0; i < rank; ++i)
        if (mask & (1u << i)) axes.push_back(i);
    return axes;
}

}  // namespace kiln
