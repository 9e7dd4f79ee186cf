// The own depthwise Convolution kernel (conv_depthwise_direct.cu) as its host code sees it: the 32-bit
// geometry, the tiling plan and the thread -> output mapping the kernel uses. A block computes a tile of
// `tileW` output columns by `threadRows * kRowsPerThread` output rows for `planesPerBlock` consecutive
// (n, c) planes: it stages the input rows and columns the tile reads (halo included, zeros outside the
// input) and the planes' filters in shared memory as float, and each thread then computes
// kRowsPerThread vertically adjacent outputs from it. The tiling and the index mapping are plain C++
// (KILN_HD), so tests/unit/cuda_depthwise_plan_test.cc replays them on the CPU. C++17, like every
// header a .cu includes.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "backends/cuda/kernels/common/portable.cuh"
#include "backends/cuda/kernels/common/value_type.h"
#include "kiln/layer_types.h"

namespace kiln::cuda::dw {

constexpr int32_t kRowsPerThread = 4;
constexpr int32_t kMaxThreads = 256;
constexpr int32_t kMaxKernel = 7;
/// Dynamic shared memory a block may take without opting in (cudaFuncAttributeMaxDynamicSharedMemorySize).
constexpr int64_t kMaxSharedBytes = int64_t{48} << 10;
/// Every index the kernel forms stays below this (32-bit arithmetic with a margin for the tile overhang).
constexpr int64_t kIndexLimit = int64_t{1} << 30;

/// One depthwise convolution in 32 bits: planes = N * C, plane p uses filter p % channels.
struct DepthwiseGeometry {
    int32_t planes, channels, inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, preH, preW;
};

struct DepthwiseTiling {
    int32_t tileW{0};                ///< output columns of a tile, one thread each
    int32_t threadRows{0};           ///< threads down a tile; the tile has threadRows * kRowsPerThread rows
    int32_t planesPerBlock{0};       ///< planes a block computes side by side
    int32_t inTileH{0}, inTileW{0};  ///< input rows and columns a tile reads, halo included
    int32_t threads{0};              ///< tileW * threadRows * planesPerBlock
    int32_t sharedBytes{0};          ///< planesPerBlock * (inTileH * inTileW + kH * kW) floats
    int32_t tilesW{0}, tilesH{0};    ///< tiles across and down one plane
    int64_t blocks{0};               ///< tilesW * tilesH * ceil(planes / planesPerBlock)
};

/// The fused epilogue: y = act(conv + bias[c] + addend), rounded once into y's type.
struct DepthwiseEpilogue {
    const void* bias{nullptr};  ///< [channels] or null
    rk::ValueType biasType{rk::ValueType::kF32};
    const void* addend{nullptr};  ///< y's shape and type, or null
    bool hasActivation{false};
    ActivationType activation{ActivationType::kRELU};
    float alpha{0.0f}, beta{0.0f};
};

inline int64_t nextPow2(int64_t v) {
    int64_t p = 1;
    while (p < v && p < kIndexLimit) p <<= 1;
    return p;
}

/// Input extent a tile of `outputs` outputs reads along one dim.
inline int64_t tileInputExtent(int64_t outputs, int64_t stride, int64_t kernel, int64_t dilation) {
    return (outputs - 1) * stride + (kernel - 1) * dilation + 1;
}

/// Chooses the tiling for `g`: tiles as wide as the output (4 to 32 columns, a power of two) and as tall
/// as it (up to the block), several planes per block when one plane's tile leaves threads idle, shrunk
/// (planes, then rows, then columns) until the staged tile fits kMaxSharedBytes. False when even a
/// one-column, one-thread-row tile does not fit (large dilations) or the grid is too large.
inline bool planDepthwiseTiling(const DepthwiseGeometry& g, DepthwiseTiling* out) {
    if (g.planes <= 0 || g.outH <= 0 || g.outW <= 0 || g.kH <= 0 || g.kW <= 0) return false;
    int64_t tileW = std::clamp<int64_t>(nextPow2(g.outW), 4, 32);
    int64_t rows =
        std::min<int64_t>(kMaxThreads / tileW, nextPow2((g.outH + kRowsPerThread - 1) / kRowsPerThread));
    int64_t planes = std::min<int64_t>(kMaxThreads / (tileW * rows), nextPow2(g.planes));
    const int64_t kVol = int64_t{g.kH} * g.kW;
    const auto inH = [&] { return tileInputExtent(rows * kRowsPerThread, g.sH, g.kH, g.dH); };
    const auto inW = [&] { return tileInputExtent(tileW, g.sW, g.kW, g.dW); };
    const auto bytes = [&] { return planes * (inH() * inW() + kVol) * int64_t{4}; };
    while (bytes() > kMaxSharedBytes) {
        if (planes > 1)
            planes /= 2;
        else if (rows > 1)
            rows /= 2;
        else if (tileW > 1)
            tileW /= 2;
        else
            return false;
    }
    const int64_t tilesW = (g.outW + tileW - 1) / tileW;
    const int64_t tilesH = (g.outH + rows * kRowsPerThread - 1) / (rows * kRowsPerThread);
    const int64_t blocks = tilesW * tilesH * ((g.planes + planes - 1) / planes);
    if (blocks >= kIndexLimit) return false;
    out->tileW = static_cast<int32_t>(tileW);
    out->threadRows = static_cast<int32_t>(rows);
    out->planesPerBlock = static_cast<int32_t>(planes);
    out->inTileH = static_cast<int32_t>(inH());
    out->inTileW = static_cast<int32_t>(inW());
    out->threads = static_cast<int32_t>(tileW * rows * planes);
    out->sharedBytes = static_cast<int32_t>(bytes());
    out->tilesW = static_cast<int32_t>(tilesW);
    out->tilesH = static_cast<int32_t>(tilesH);
    out->blocks = blocks;
    return true;
}

/// Where block `block` works: its first plane and the first output row and column of its tile.
struct TileOrigin {
    int32_t plane0, oy0, ox0;
};
KILN_HD inline TileOrigin tileOrigin(const DepthwiseTiling& t, int32_t block) {
    const int32_t tilesPerPlane = t.tilesW * t.tilesH;
    const int32_t group = block / tilesPerPlane;
    const int32_t tile = block - group * tilesPerPlane;
    const int32_t tileRow = tile / t.tilesW;
    const int32_t tileCol = tile - tileRow * t.tilesW;
    return {group * t.planesPerBlock, tileRow * t.threadRows * kRowsPerThread, tileCol * t.tileW};
}

/// What thread `thread` of a block computes: outputs (plane0 + p, oy0 + ty * kRowsPerThread + j, ox0 + tx)
/// for j < kRowsPerThread, from tile rows (ty * kRowsPerThread + j) * sH + ky * dH and columns
/// tx * sW + kx * dW of plane p's staged tile.
struct ThreadSlot {
    int32_t p, ty, tx;
};
KILN_HD inline ThreadSlot threadSlot(const DepthwiseTiling& t, int32_t thread) {
    const int32_t perPlane = t.tileW * t.threadRows;
    const int32_t p = thread / perPlane;
    const int32_t rest = thread - p * perPlane;
    const int32_t ty = rest / t.tileW;
    return {p, ty, rest - ty * t.tileW};
}

/// Staged element i = (p * inTileH + r) * inTileW + col of a block, as thread `first` walks i = first,
/// first + stride, ... (stride = the block's threads): the coordinates advance by additions instead of
/// two divisions per element, which would cost more than the convolution itself.
struct TileWalk {
    int32_t p, r, col;
    int32_t stepR, stepC;  ///< stride = stepR * inTileW + stepC

    KILN_HD TileWalk(const DepthwiseTiling& t, int32_t first, int32_t stride)
        : p(0),
          r(first / t.inTileW),
          col(first - (first / t.inTileW) * t.inTileW),
          stepR(stride / t.inTileW),
          stepC(stride - (stride / t.inTileW) * t.inTileW) {
        normalize(t);
    }
    KILN_HD void advance(const DepthwiseTiling& t) {
        col += stepC;
        r += stepR;
        if (col >= t.inTileW) {  // stepC < inTileW: one wrap at most
            col -= t.inTileW;
            ++r;
        }
        normalize(t);
    }

private:
    KILN_HD void normalize(const DepthwiseTiling& t) {
        while (r >= t.inTileH) {  // a stride may span several planes' tiles
            r -= t.inTileH;
            ++p;
        }
    }
};

/// Enqueues y = act(depthwise(x, w) + bias + addend) for x, w, y of `type` (kF32, kF16 or kBF16) with
/// the plan `t` (planDepthwiseTiling of `g`); cudaErrorInvalidValue for another type.
cudaError_t launchDepthwise(rk::ValueType type, const void* x, const void* w, void* y,
                            const DepthwiseGeometry& g, const DepthwiseTiling& t, const DepthwiseEpilogue& e,
                            cudaStream_t stream);

}  // namespace kiln::cuda::dw
