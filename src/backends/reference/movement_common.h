// Helpers shared by the data-movement reference kernels (Shuffle, Concatenation, Slice, Gather, Padding,
// Resize): a pool-or-inline parallel loop, coordinate arithmetic, the out-of-bounds coordinate rules of
// TensorRT's SampleMode, and a byte-copying "per-axis index map" gather that Slice, Padding and nearest
// Resize all reduce to. Copies move whole elements as bytes so that every DataType is supported exactly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "backends/reference/kernels.h"

namespace kiln::reference {

/// Runs fn(begin, end) over [0, n) on the context's pool, or inline when there is none.
inline void parallelRange(const KernelContext& ctx, int64_t n, int64_t grain,
                          const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (ctx.pool)
        ctx.pool->parallelFor(n, grain, fn);
    else
        fn(0, n);
}

/// Row-major coordinates of flat index `i` in `shape` (coords has room for shape.nbDims entries).
inline void unravelIndex(int64_t i, const Dims& shape, int64_t* coords) {
    for (int d = shape.nbDims - 1; d >= 0; --d) {
        int64_t n = shape.d[d];
        coords[d] = n > 0 ? i % n : 0;
        i = n > 0 ? i / n : 0;
    }
}

/// Where output coordinate `x` (already start + i * stride) reads along an axis of extent n under `mode`.
/// Returns the input coordinate, kFillCoordinate for kFILL out of bounds, or kOutOfBounds for
/// kSTRICT_BOUNDS out of bounds (and for any mode when n == 0, where there is nothing to read).
constexpr int64_t kFillCoordinate = -1;
constexpr int64_t kOutOfBounds = -2;
constexpr int64_t kBadMode = -3;
inline int64_t sampleCoordinate(SampleMode mode, int64_t x, int64_t n) {
    bool inside = x >= 0 && x < n;
    switch (mode) {
        case SampleMode::kSTRICT_BOUNDS:
            return inside ? x : kOutOfBounds;
        case SampleMode::kFILL:
            return inside ? x : kFillCoordinate;
        case SampleMode::kWRAP:
            if (n <= 0) return kOutOfBounds;
            return ((x % n) + n) % n;
        case SampleMode::kCLAMP:
            if (n <= 0) return kOutOfBounds;
            return x < 0 ? 0 : (x >= n ? n - 1 : x);
        case SampleMode::kREFLECT: {
            if (n <= 0) return kOutOfBounds;
            if (n == 1) return 0;  // a single pixel reflects onto itself
            // Mirror about the centres of the end pixels: period 2n - 2, folded back onto [0, n).
            int64_t period = 2 * n - 2;
            int64_t c = ((x % period) + period) % period;
            return c >= n ? period - c : c;
        }
    }
    return kBadMode;
}

/// One map per output axis: maps[d][i] is the input coordinate that output coordinate i reads along
/// axis d, or kFillCoordinate when that output element takes the fill value.
using AxisMaps = std::vector<std::vector<int64_t>>;

/// out[i0..ik] = in[maps[0][i0], ..., maps[k][ik]] (or *fill when any map entry is kFillCoordinate),
/// copying elements as bytes. `in` and `out` have the same type and rank; `fill` points at one element
/// of that type (may be null when no map holds kFillCoordinate).
inline void gatherByAxisMaps(const KernelContext& ctx, const TensorRef& in, const TensorRef& out,
                             const AxisMaps& maps, const void* fill) {
    const int rank = out.shape.nbDims;
    const int64_t elem = dataTypeSize(out.type);
    const int64_t total = out.numel();
    if (total <= 0) return;
    const std::vector<int64_t> inStrides = stridesOf(in.shape);
    const auto* src = static_cast<const uint8_t*>(in.data);
    auto* dst = static_cast<uint8_t*>(out.data);
    if (rank == 0) {
        std::memcpy(dst, src, static_cast<size_t>(elem));
        return;
    }
    // Work by output rows (all but the last axis) so that the inner loop is one table lookup per element.
    const int64_t rowLen = out.shape.d[rank - 1];
    const int64_t nbRows = rowLen > 0 ? total / rowLen : 0;
    const std::vector<int64_t>& lastMap = maps[static_cast<size_t>(rank - 1)];
    const int64_t lastStride = inStrides[static_cast<size_t>(rank - 1)];
    parallelRange(ctx, nbRows, std::max<int64_t>(1, 16384 / std::max<int64_t>(rowLen, 1)),
                  [&](int64_t begin, int64_t end) {
                      std::vector<int64_t> coords(static_cast<size_t>(rank), 0);
                      Dims rows = out.shape;
                      rows.nbDims = rank - 1;
                      for (int64_t r = begin; r < end; ++r) {
                          unravelIndex(r, rows, coords.data());
                          int64_t base = 0;
                          bool rowFill = false;
                          for (int d = 0; d < rank - 1; ++d) {
                              int64_t c = maps[static_cast<size_t>(d)][static_cast<size_t>(coords[d])];
                              if (c == kFillCoordinate) rowFill = true;
                              base += c * inStrides[static_cast<size_t>(d)];
                          }
                          uint8_t* row = dst + r * rowLen * elem;
                          for (int64_t j = 0; j < rowLen; ++j) {
                              int64_t c = lastMap[static_cast<size_t>(j)];
                              const void* from = (rowFill || c == kFillCoordinate)
                                                     ? fill
                                                     : src + (base + c * lastStride) * elem;
                              std::memcpy(row + j * elem, from, static_cast<size_t>(elem));
                          }
                      }
                  });
}

}  // namespace kiln::reference
