// The channels-last depthwise Convolution kernel (conv_depthwise_nhwc.cu) as its host code sees it: the
// 32-bit geometry, the launch plan and the thread -> output mapping. A thread computes `vec` adjacent
// channels (one 16-byte load when the channel count and the pointers allow it, else 2 or 1 channels) of
// kNhwcCols adjacent output columns of one output row, so the input columns those outputs share are
// loaded once; consecutive threads (threadIdx.x) take consecutive channel vectors, so a warp's loads
// cover whole pixels. A block is a chunk of channel vectors (blockDim.x, gridDim.y chunks) times a run
// of pixel groups (blockDim.y, gridDim.x runs); it stages its chunk's filter taps, transposed to
// [tap][channel] so a thread reads its channels' tap as one vector, and its bias in shared memory as
// float. The plan and the mapping are plain C++ (KILN_HD), so tests/unit/cuda_depthwise_nhwc_plan_test.cc
// replays them on the CPU. C++17, like every header a .cu includes.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "backends/cuda/kernels/common/portable.cuh"
#include "backends/cuda/kernels/conv/conv_depthwise_launch.h"

namespace kiln::cuda::dw {

/// Output columns a thread computes: with stride 1 and a 3-wide window it loads 6 input columns for 4
/// outputs instead of 12.
constexpr int32_t kNhwcCols = 4;
/// Channel vectors a block's chunk holds at most: wide layers (960 channels) split into a few chunks
/// rather than blocks of one pixel group.
constexpr int32_t kNhwcMaxVecsPerBlock = 32;
/// Two blocks per SM of the H100 (132 SMs): a grid with fewer leaves SMs idle, so the plan makes the
/// blocks smaller (down to kNhwcMinThreads threads) and more numerous first (small layers at batch 1).
/// Not measured yet: the DISABLED_ timing in tests/gpu/cuda_depthwise_test.cc is where to tune it.
constexpr int64_t kNhwcFillBlocks = 264;
constexpr int32_t kNhwcMinThreads = 64;
/// Channels a thread computes at most (16 bytes of float16) and the window taps the shared rows hold:
/// (taps + 1) rows (the filter's taps and the bias) of one vector of floats fit kMaxSharedBytes.
constexpr int32_t kNhwcMaxVec = 8;
constexpr int64_t kNhwcMaxTaps = kMaxSharedBytes / (4 * kNhwcMaxVec) - 1;
/// gridDim.y's limit: the chunks of channel vectors.
constexpr int64_t kNhwcMaxChunks = 65535;

/// One channels-last depthwise convolution in 32 bits: x [n, inH, inW, channels], the filter
/// [channels, kH, kW], y and the addend [n, outH, outW, channels].
struct NhwcGeometry {
    int32_t n, channels, inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, preH, preW;
};

struct NhwcTiling {
    int32_t vec{0};             ///< channels a thread computes and loads at once: 16 bytes' worth, 2 or 1
    int32_t channelVecs{0};     ///< channels / vec
    int32_t vecsPerBlock{0};    ///< blockDim.x: the channel vectors of a chunk
    int32_t groupsPerBlock{0};  ///< blockDim.y: pixel groups (kNhwcCols outputs of a row) of a block
    int32_t colGroups{0};       ///< pixel groups across an output row: ceil(outW / kNhwcCols)
    int32_t pixelGroups{0};     ///< n * outH * colGroups
    int32_t blocksX{0};         ///< gridDim.x: ceil(pixelGroups / groupsPerBlock)
    int32_t chunks{0};          ///< gridDim.y: ceil(channelVecs / vecsPerBlock)
    int32_t sharedBytes{0};     ///< (kH * kW + 1) rows of vecsPerBlock * vec floats
};

/// The widest channel vector (16 / elemBytes channels, 2 or 1) that divides `channels` and whose size
/// in bytes divides every address in `addresses` (x, y and the addend; 0 for an absent one): then every
/// pixel's run of channels starts on that boundary and each vector is one aligned load or store.
inline int32_t nhwcVectorWidth(int64_t channels, int64_t elemBytes,
                               std::initializer_list<uintptr_t> addresses) {
    const int64_t widest = elemBytes > 0 && elemBytes <= 16 ? 16 / elemBytes : 1;
    for (const int64_t v : {widest, int64_t{2}}) {
        if (v < 2 || v > kNhwcMaxVec || channels % v != 0) continue;
        bool aligned = true;
        for (const uintptr_t a : addresses)
            aligned = aligned && a % static_cast<uintptr_t>(v * elemBytes) == 0;
        if (aligned) return static_cast<int32_t>(v);
    }
    return 1;
}

/// Plans the launch of `g` with `vec` channels a thread: chunks of at most kNhwcMaxVecsPerBlock channel
/// vectors (as many as the shared rows allow, balanced so the last chunk is not a sliver), pixel groups
/// filling the block to kMaxThreads, then halved while the grid has fewer than kNhwcFillBlocks blocks
/// and the block keeps kNhwcMinThreads threads. False when vec does not divide the channels, the window's
/// rows do not fit shared memory (more than kNhwcMaxTaps taps) or the grid exceeds its limits.
inline bool planNhwcTiling(const NhwcGeometry& g, int32_t vec, NhwcTiling* out) {
    if (g.n <= 0 || g.channels <= 0 || g.outH <= 0 || g.outW <= 0 || g.kH <= 0 || g.kW <= 0) return false;
    if (vec < 1 || vec > kNhwcMaxVec || g.channels % vec != 0) return false;
    const int64_t taps = int64_t{g.kH} * g.kW;
    if (taps > kNhwcMaxTaps) return false;
    const int64_t rowBytes = (taps + 1) * vec * 4;  // one channel vector's shared rows
    const int64_t channelVecs = g.channels / vec;
    const int64_t maxVecs = std::min<int64_t>(kNhwcMaxVecsPerBlock, kMaxSharedBytes / rowBytes);
    const int64_t chunks = (channelVecs + maxVecs - 1) / maxVecs;
    if (chunks > kNhwcMaxChunks) return false;
    const int64_t vecs = (channelVecs + chunks - 1) / chunks;
    const int64_t colGroups = (int64_t{g.outW} + kNhwcCols - 1) / kNhwcCols;
    const int64_t pixelGroups = int64_t{g.n} * g.outH * colGroups;
    if (pixelGroups >= kIndexLimit) return false;
    int64_t groups = std::clamp<int64_t>(kMaxThreads / vecs, 1, pixelGroups);
    const auto blocks = [&] { return (pixelGroups + groups - 1) / groups * chunks; };
    while (groups > 1 && groups / 2 * vecs >= kNhwcMinThreads && blocks() < kNhwcFillBlocks) groups /= 2;
    out->vec = vec;
    out->channelVecs = static_cast<int32_t>(channelVecs);
    out->vecsPerBlock = static_cast<int32_t>(vecs);
    out->groupsPerBlock = static_cast<int32_t>(groups);
    out->colGroups = static_cast<int32_t>(colGroups);
    out->pixelGroups = static_cast<int32_t>(pixelGroups);
    out->blocksX = static_cast<int32_t>((pixelGroups + groups - 1) / groups);
    out->chunks = static_cast<int32_t>(chunks);
    out->sharedBytes = static_cast<int32_t>(vecs * rowBytes);
    return true;
}

/// What thread (tx, ty) of block (bx, by) computes: channels [c, c + vec) of outputs (n, oy, ox0 + j)
/// for j < kNhwcCols and ox0 + j < outW, reading its channels' shared rows at offset `lane` of each row;
/// nothing when !active (the grid's overhang: a partial chunk or pixel run).
struct NhwcSlot {
    int32_t n, oy, ox0, c, lane;
    bool active;
};
KILN_HD inline NhwcSlot nhwcSlot(const NhwcGeometry& g, const NhwcTiling& t, int32_t bx, int32_t by,
                                 int32_t tx, int32_t ty) {
    const int32_t group = bx * t.groupsPerBlock + ty;
    const int32_t cv = by * t.vecsPerBlock + tx;
    const int32_t col = group % t.colGroups;
    const int32_t rest = group / t.colGroups;
    const int32_t oy = rest % g.outH;
    return {rest / g.outH, oy,         col * kNhwcCols,
            cv * t.vec,    tx * t.vec, group < t.pixelGroups && cv < t.channelVecs};
}

/// Enqueues y = act(depthwise(x, w) + bias + addend) on channels-last x, y (and addend) of `type`
/// (kF32, kF16 or kBF16) with the plan `t` (planNhwcTiling of `g`); x, y and the addend must be aligned
/// to t.vec elements. cudaErrorInvalidValue for another type or vector width.
cudaError_t launchDepthwiseNhwc(rk::ValueType type, const void* x, const void* w, void* y,
                                const NhwcGeometry& g, const NhwcTiling& t, const DepthwiseEpilogue& e,
                                cudaStream_t stream);

}  // namespace kiln::cuda::dw
