// CPU tests of the host side of the channels-last depthwise Convolution kernel (kernels/conv/
// conv_depthwise.h, conv_depthwise_nhwc_launch.h): when planDepthwiseNhwc takes a convolution (2-D,
// channels-last, depthwise, float types, a float bias, an addend of the output's type, windows up to
// kNhwcMaxTaps taps, 32-bit indices) and why it refuses the rest; the channel vector it picks from the
// channel count and the pointers' alignment; the launches it plans for MobileNetV2's layers; and,
// replaying the kernel's block/thread -> output mapping on the host, that every plan computes every
// output channel exactly once, from aligned channel vectors whose shared rows are the ones its block
// stages, within the block, grid and shared-memory limits. tests/gpu/cuda_depthwise_test.cc runs the
// kernel itself.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <string>
#include <vector>

#include "backends/cuda/kernels/conv/conv_depthwise.h"

namespace kiln {
namespace {

using cuda::DepthwiseNhwcPlan;
using cuda::dw::kNhwcCols;
using cuda::dw::NhwcGeometry;
using cuda::dw::NhwcTiling;

/// A convolution as the channels-last kernel gets it: x [N, H, W, C], w [C, kh, kw, 1], y [N, OH, OW, K].
struct Conv {
    std::vector<int64_t> x, w, y;
    int32_t groups;
    std::vector<int64_t> stride{}, dilation{}, pre{};
    DataType type{DataType::kHALF};
    bool channelsLast{true};
};

constexpr uintptr_t kAligned = 0x10000;  ///< fake addresses, never dereferenced

/// planDepthwiseNhwc with x, w, y at the given addresses: "" when it applies.
std::string refusal(const Conv& c, DepthwiseNhwcPlan* plan, const TensorRef* bias = nullptr,
                    const TensorRef* addend = nullptr, uintptr_t xAt = kAligned, uintptr_t yAt = kAligned) {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = static_cast<int32_t>(c.y.back());
    a.kernelSize = makeDims(std::span<const int64_t>(c.w.data() + 1, c.w.size() - 2));
    a.stride = makeDims(std::span<const int64_t>(c.stride));
    a.dilation = makeDims(std::span<const int64_t>(c.dilation));
    a.prePadding = makeDims(std::span<const int64_t>(c.pre));
    a.postPadding = makeDims(std::span<const int64_t>(c.pre));
    a.nbGroups = c.groups;
    a.channelsLast = c.channelsLast;
    const TensorRef x{c.type, makeDims(std::span<const int64_t>(c.x)), reinterpret_cast<void*>(xAt)};
    const TensorRef w{c.type, makeDims(std::span<const int64_t>(c.w)), reinterpret_cast<void*>(kAligned)};
    const TensorRef y{c.type, makeDims(std::span<const int64_t>(c.y)), reinterpret_cast<void*>(yAt)};
    return cuda::planDepthwiseNhwc(a, x, w, y, bias, addend, plan);
}

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

const Conv kMobileNet3x3{{64, 112, 112, 32}, {32, 3, 3, 1}, {64, 112, 112, 32}, 32, {}, {}, {1, 1}};

TEST(CudaDepthwiseNhwcPlan, AppliesToChannelsLastDepthwiseConvolutionsOnly) {
    DepthwiseNhwcPlan p;
    EXPECT_EQ(refusal(kMobileNet3x3, &p), "");
    EXPECT_EQ(p.geometry.n, 64);
    EXPECT_EQ(p.geometry.channels, 32);
    EXPECT_EQ(p.geometry.inH, 112);
    EXPECT_EQ(p.geometry.outW, 112);
    EXPECT_EQ(p.geometry.kH, 3);
    EXPECT_EQ(p.geometry.preW, 1);
    // Stride 2, rectangular window, dilation: the geometry is the reference's.
    EXPECT_EQ(refusal({{2, 13, 11, 8}, {8, 5, 3, 1}, {2, 5, 5, 8}, 8, {2, 2}, {1, 2}, {0, 1}}, &p), "");
    EXPECT_EQ(p.geometry.kH, 5);
    EXPECT_EQ(p.geometry.kW, 3);
    EXPECT_EQ(p.geometry.sH, 2);
    EXPECT_EQ(p.geometry.dW, 2);
    EXPECT_EQ(p.geometry.outH, 5);
    EXPECT_EQ(p.geometry.outW, 5);

    Conv first = kMobileNet3x3;
    first.channelsLast = false;
    EXPECT_TRUE(has(refusal(first, &p), "channels-last only"));
    EXPECT_TRUE(
        has(refusal({{1, 9, 9, 8}, {8, 3, 3, 4}, {1, 9, 9, 8}, 2, {}, {}, {1, 1}}, &p), "not depthwise"));
    // Channel multiplier 2.
    EXPECT_TRUE(
        has(refusal({{1, 9, 9, 4}, {8, 3, 3, 1}, {1, 9, 9, 8}, 4, {}, {}, {1, 1}}, &p), "not depthwise"));
    EXPECT_TRUE(
        has(refusal({{1, 5, 9, 9, 4}, {4, 3, 3, 3, 1}, {1, 5, 9, 9, 4}, 4, {}, {}, {1, 1, 1}}, &p), "2-D"));
    Conv int8 = kMobileNet3x3;
    int8.type = DataType::kINT8;
    EXPECT_TRUE(has(refusal(int8, &p), "types"));
    // Windows past kNhwcMaxTaps taps (40 x 40 = 1600): their rows do not fit shared memory.
    EXPECT_TRUE(has(refusal({{1, 40, 40, 4}, {4, 40, 40, 1}, {1, 1, 1, 4}, 4}, &p), "taps"));
    EXPECT_EQ(refusal({{1, 40, 40, 4}, {4, 39, 39, 1}, {1, 2, 2, 4}, 4}, &p), "");  // 1521 taps
    EXPECT_TRUE(has(refusal({{1, 1, 1, 65536}, {65536, 1, 1, 1}, {1, 1, 1, 65536}, 65536}, &p), "channels"));
    // 2^30 input elements: past the 32-bit indices.
    EXPECT_TRUE(
        has(refusal({{1024, 128, 128, 64}, {64, 3, 3, 1}, {1024, 128, 128, 64}, 64, {}, {}, {1, 1}}, &p),
            "32-bit"));
}

TEST(CudaDepthwiseNhwcPlan, BiasAndAddendMustMatch) {
    DepthwiseNhwcPlan p;
    const TensorRef floatBias{DataType::kFLOAT, makeDims({32}), reinterpret_cast<void*>(kAligned)};
    EXPECT_EQ(refusal(kMobileNet3x3, &p, &floatBias), "");
    const TensorRef intBias{DataType::kINT32, makeDims({32}), reinterpret_cast<void*>(kAligned)};
    EXPECT_TRUE(has(refusal(kMobileNet3x3, &p, &intBias), "bias"));
    const TensorRef shortBias{DataType::kHALF, makeDims({31}), reinterpret_cast<void*>(kAligned)};
    EXPECT_TRUE(has(refusal(kMobileNet3x3, &p, &shortBias), "bias"));
    const TensorRef addend{DataType::kHALF, makeDims({64, 112, 112, 32}), reinterpret_cast<void*>(kAligned)};
    EXPECT_EQ(refusal(kMobileNet3x3, &p, nullptr, &addend), "");
    const TensorRef floatAddend{DataType::kFLOAT, makeDims({64, 112, 112, 32}),
                                reinterpret_cast<void*>(kAligned)};
    EXPECT_TRUE(has(refusal(kMobileNet3x3, &p, nullptr, &floatAddend), "addend"));
}

TEST(CudaDepthwiseNhwcPlan, ChannelVectorFollowsChannelsAndAlignment) {
    using cuda::dw::nhwcVectorWidth;
    EXPECT_EQ(nhwcVectorWidth(32, 2, {kAligned, kAligned, 0}), 8);             // float16: 16 bytes
    EXPECT_EQ(nhwcVectorWidth(32, 4, {kAligned, kAligned, 0}), 4);             // float32: 16 bytes
    EXPECT_EQ(nhwcVectorWidth(36, 2, {kAligned, kAligned, 0}), 2);             // 36 % 8 != 0
    EXPECT_EQ(nhwcVectorWidth(7, 2, {kAligned, kAligned, 0}), 1);              // odd
    EXPECT_EQ(nhwcVectorWidth(32, 2, {kAligned + 4, kAligned, 0}), 2);         // x 4-byte aligned
    EXPECT_EQ(nhwcVectorWidth(32, 2, {kAligned, kAligned + 2, 0}), 1);         // y 2-byte aligned
    EXPECT_EQ(nhwcVectorWidth(32, 2, {kAligned, kAligned, kAligned + 8}), 2);  // the addend counts
    EXPECT_EQ(nhwcVectorWidth(32, 4, {kAligned + 8, kAligned, 0}), 2);
    EXPECT_EQ(nhwcVectorWidth(32, 4, {kAligned + 4, kAligned, 0}), 1);

    // planDepthwiseNhwc reads the pointers it is given.
    DepthwiseNhwcPlan p;
    ASSERT_EQ(refusal(kMobileNet3x3, &p), "");
    EXPECT_EQ(p.tiling.vec, 8);
    ASSERT_EQ(refusal(kMobileNet3x3, &p, nullptr, nullptr, kAligned + 2), "");
    EXPECT_EQ(p.tiling.vec, 1);
    const TensorRef addend{DataType::kHALF, makeDims({64, 112, 112, 32}),
                           reinterpret_cast<void*>(kAligned + 4)};
    ASSERT_EQ(refusal(kMobileNet3x3, &p, nullptr, &addend), "");
    EXPECT_EQ(p.tiling.vec, 2);
}

NhwcGeometry geometry(int32_t n, int32_t c, int32_t in, int32_t out, int32_t k, int32_t s, int32_t d = 1,
                      int32_t pre = 1) {
    return {n, c, in, in, out, out, k, k, s, s, d, d, pre, pre};
}

std::string describe(const NhwcTiling& t) {
    return "vec " + std::to_string(t.vec) + " vecs " + std::to_string(t.vecsPerBlock) + " groups " +
           std::to_string(t.groupsPerBlock) + " chunks " + std::to_string(t.chunks) + " blocksX " +
           std::to_string(t.blocksX) + " pixelGroups " + std::to_string(t.pixelGroups) + " shared " +
           std::to_string(t.sharedBytes);
}

TEST(CudaDepthwiseNhwcPlan, LaunchesFollowTheLayer) {
    struct Want {
        NhwcGeometry g;
        int32_t vec, vecs, groups, chunks, blocksX, sharedBytes;
    };
    const Want wants[] = {
        // MobileNetV2's first depthwise layer at batch 64: one chunk of 4 vectors, 64 pixel groups.
        {geometry(64, 32, 112, 112, 3, 1), 8, 4, 64, 1, 64 * 112 * 28 / 64, 4 * 10 * 8 * 4},
        // Its last at batch 1: 120 vectors in 4 chunks of 30; 14 pixel groups, blocks shrunk to 120 threads.
        {geometry(1, 960, 7, 7, 3, 1), 8, 30, 4, 4, 4, 30 * 10 * 8 * 4},
        // The first at batch 1: 3136 pixel groups, blocks shrunk to 64 threads so that 196 of them run.
        {geometry(1, 32, 112, 112, 3, 1), 8, 4, 16, 1, 196, 4 * 10 * 8 * 4},
        // 7x7 over 512 channels: 30 vectors' rows fit 48 KiB, so 3 balanced chunks of 22; 11 pixel groups
        // a block would make 123 blocks, 5 make 270.
        {geometry(8, 512, 14, 14, 7, 1, 1, 3), 8, 22, 5, 3, 90, 22 * 50 * 8 * 4},
        // float32 (4 channels a vector), 144 channels: 36 vectors in 2 chunks of 18.
        {geometry(64, 144, 56, 56, 3, 1), 4, 18, 14, 2, 64 * 56 * 14 / 14, 18 * 10 * 4 * 4},
    };
    for (const Want& w : wants) {
        NhwcTiling t;
        ASSERT_TRUE(cuda::dw::planNhwcTiling(w.g, w.vec, &t));
        EXPECT_EQ(t.vec, w.vec) << describe(t);
        EXPECT_EQ(t.vecsPerBlock, w.vecs) << describe(t);
        EXPECT_EQ(t.groupsPerBlock, w.groups) << describe(t);
        EXPECT_EQ(t.chunks, w.chunks) << describe(t);
        EXPECT_EQ(t.blocksX, w.blocksX) << describe(t);
        EXPECT_EQ(t.sharedBytes, w.sharedBytes) << describe(t);
    }
    NhwcTiling t;
    EXPECT_FALSE(cuda::dw::planNhwcTiling(geometry(1, 12, 9, 9, 3, 1), 8, &t));  // 8 does not divide 12
    EXPECT_FALSE(cuda::dw::planNhwcTiling(geometry(1, 8, 50, 1, 40, 1, 1, 0), 1, &t));  // 1600 taps
}

/// Replays the kernel's mapping for every block and thread of the plan of `g` with `vec` channels.
void expectCovers(const NhwcGeometry& g, int32_t vec) {
    NhwcTiling t;
    const std::string what = "n " + std::to_string(g.n) + " c " + std::to_string(g.channels) + " out " +
                             std::to_string(g.outH) + "x" + std::to_string(g.outW) + " k " +
                             std::to_string(g.kH) + "x" + std::to_string(g.kW) + " vec " +
                             std::to_string(vec);
    ASSERT_TRUE(cuda::dw::planNhwcTiling(g, vec, &t)) << what;
    SCOPED_TRACE(what + ": " + describe(t));
    const int32_t threads = t.vecsPerBlock * t.groupsPerBlock;
    EXPECT_GE(threads, 1);
    EXPECT_LE(threads, cuda::dw::kMaxThreads);
    EXPECT_LE(t.sharedBytes, cuda::dw::kMaxSharedBytes);
    const int32_t rowFloats = t.vecsPerBlock * t.vec;
    EXPECT_EQ(t.sharedBytes, (g.kH * g.kW + 1) * rowFloats * 4);
    EXPECT_LE(t.chunks, cuda::dw::kNhwcMaxChunks);
    std::vector<int32_t> hits(static_cast<size_t>(g.n) * g.outH * g.outW * g.channels, 0);
    int32_t badLanes = 0, misaligned = 0;
    for (int32_t by = 0; by < t.chunks; ++by)
        for (int32_t bx = 0; bx < t.blocksX; ++bx)
            for (int32_t ty = 0; ty < t.groupsPerBlock; ++ty)
                for (int32_t tx = 0; tx < t.vecsPerBlock; ++tx) {
                    const cuda::dw::NhwcSlot s = cuda::dw::nhwcSlot(g, t, bx, by, tx, ty);
                    if (!s.active) continue;
                    // The thread's channels sit at `lane` of the rows its block staged (channel by *
                    // rowFloats
                    // + i at i), whole inside them and inside the tensor, on a vector boundary.
                    if (s.lane + t.vec > rowFloats || s.c - by * rowFloats != s.lane ||
                        s.c + t.vec > g.channels)
                        ++badLanes;
                    if (s.c % t.vec != 0 || s.ox0 % kNhwcCols != 0) ++misaligned;
                    ASSERT_LT(s.n, g.n);
                    ASSERT_LT(s.oy, g.outH);
                    for (int32_t j = 0; j < kNhwcCols && s.ox0 + j < g.outW; ++j)
                        for (int32_t i = 0; i < t.vec; ++i)
                            ++hits[((static_cast<size_t>(s.n) * g.outH + s.oy) * g.outW + s.ox0 + j) *
                                       g.channels +
                                   s.c + i];
                }
    EXPECT_EQ(badLanes, 0);
    EXPECT_EQ(misaligned, 0);
    int32_t missed = 0, twice = 0;
    for (int32_t h : hits) {
        missed += h == 0;
        twice += h > 1;
    }
    EXPECT_EQ(missed, 0);
    EXPECT_EQ(twice, 0);
}

TEST(CudaDepthwiseNhwcPlan, EveryOutputComputedOnceByOneThread) {
    expectCovers(geometry(2, 16, 13, 13, 3, 1), 8);
    expectCovers(geometry(3, 24, 13, 7, 3, 2), 8);   // output width not a multiple of 4
    expectCovers(geometry(1, 960, 7, 7, 3, 1), 8);   // 4 chunks
    expectCovers(geometry(2, 520, 9, 9, 3, 1), 8);   // 65 vectors: 3 chunks of 22, the last one short
    expectCovers(geometry(2, 36, 11, 11, 5, 1), 2);  // 2-channel vectors
    expectCovers(geometry(2, 7, 11, 6, 5, 2), 1);    // single channels
    expectCovers(geometry(1, 1, 9, 9, 3, 1), 1);     // one channel
    expectCovers(geometry(5, 12, 6, 3, 3, 2), 4);    // float32 vectors, few pixel groups
    expectCovers(geometry(4, 256, 5, 5, 7, 1, 1, 3), 8);
    expectCovers({2, 16, 13, 11, 7, 11, 3, 2, 2, 1, 1, 1, 1, 0}, 8);  // rectangular, mixed stride
    expectCovers(geometry(1, 64, 40, 1, 39, 1, 1, 0), 8);             // 1521 taps: 1 vector a chunk
}

}  // namespace
}  // namespace kiln

#else  // !KILN_HAS_CUDA

TEST(CudaDepthwiseNhwcPlan, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
