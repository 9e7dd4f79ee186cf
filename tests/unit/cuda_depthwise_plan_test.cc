// CPU tests of the host side of the own depthwise Convolution kernel (kernels/conv/conv_depthwise.h,
// conv_depthwise_launch.h): when planDepthwise takes a convolution (depthwise 1-D/2-D, windows up to
// 7, float types, a float bias, an addend of the output's type) and why it refuses the rest; the tiles
// it picks for MobileNetV2's layers; and, replaying the kernel's block -> tile and thread -> output
// mapping on the host, that every plan computes every output exactly once, reads its staged tile only
// inside the tile, stages exactly the input positions each output's window needs, and keeps to the
// block and shared-memory limits. tests/gpu/cuda_depthwise_test.cc runs the kernel itself.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <string>
#include <vector>

#include "backends/cuda/kernels/conv/conv_depthwise.h"

namespace kiln {
namespace {

using cuda::DepthwisePlan;
using cuda::dw::DepthwiseGeometry;
using cuda::dw::DepthwiseTiling;
using cuda::dw::kRowsPerThread;

struct Conv {
    std::vector<int64_t> x, w, y;
    int32_t groups;
    std::vector<int64_t> stride{}, dilation{}, pre{};
    DataType type{DataType::kHALF};
};

/// planDepthwise on tensors at fake addresses (never dereferenced): "" when it applies.
std::string refusal(const Conv& c, DepthwisePlan* plan, const TensorRef* bias = nullptr,
                    const TensorRef* addend = nullptr, DataType wType = DataType::kHALF) {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = static_cast<int32_t>(c.y[1]);
    a.kernelSize = makeDims(std::span<const int64_t>(c.w.data() + 2, c.w.size() - 2));
    a.stride = makeDims(std::span<const int64_t>(c.stride));
    a.dilation = makeDims(std::span<const int64_t>(c.dilation));
    a.prePadding = makeDims(std::span<const int64_t>(c.pre));
    a.postPadding = makeDims(std::span<const int64_t>(c.pre));
    a.nbGroups = c.groups;
    const TensorRef x{c.type, makeDims(std::span<const int64_t>(c.x)), reinterpret_cast<void*>(0x1000)};
    const TensorRef w{c.type == DataType::kHALF ? wType : c.type, makeDims(std::span<const int64_t>(c.w)),
                      reinterpret_cast<void*>(0x2000)};
    const TensorRef y{c.type, makeDims(std::span<const int64_t>(c.y)), reinterpret_cast<void*>(0x3000)};
    return cuda::planDepthwise(a, x, w, y, bias, addend, plan);
}

const Conv kMobileNet3x3{{64, 32, 112, 112}, {32, 1, 3, 3}, {64, 32, 112, 112}, 32, {}, {}, {1, 1}};

TEST(CudaDepthwisePlan, AppliesToDepthwiseConvolutionsOnly) {
    DepthwisePlan p;
    EXPECT_EQ(refusal(kMobileNet3x3, &p), "");
    EXPECT_EQ(p.geometry.planes, 64 * 32);
    EXPECT_EQ(p.geometry.channels, 32);
    EXPECT_EQ(p.geometry.preH, 1);
    EXPECT_EQ(refusal({{2, 8, 17}, {8, 1, 7}, {2, 8, 11}, 8}, &p), "");  // 1-D: lifted to H = 1
    EXPECT_EQ(p.geometry.inH, 1);
    EXPECT_EQ(p.geometry.kH, 1);
    EXPECT_EQ(p.geometry.kW, 7);

    EXPECT_NE(
        refusal({{1, 8, 9, 9}, {8, 4, 3, 3}, {1, 8, 9, 9}, 2, {}, {}, {1, 1}}, &p).find("not depthwise"),
        std::string::npos);  // groups != C
    EXPECT_NE(
        refusal({{1, 4, 9, 9}, {8, 1, 3, 3}, {1, 8, 9, 9}, 4, {}, {}, {1, 1}}, &p).find("not depthwise"),
        std::string::npos);  // channel multiplier 2
    EXPECT_NE(
        refusal({{1, 4, 5, 9, 9}, {4, 1, 3, 3, 3}, {1, 4, 5, 9, 9}, 4, {}, {}, {1, 1, 1}}, &p).find("3-D"),
        std::string::npos);
    EXPECT_NE(refusal({{1, 4, 9, 9}, {4, 1, 9, 9}, {1, 4, 9, 9}, 4, {}, {}, {4, 4}}, &p).find("at most 7"),
              std::string::npos);
    Conv int8 = kMobileNet3x3;
    int8.type = DataType::kINT8;
    EXPECT_NE(refusal(int8, &p).find("types"), std::string::npos);
    EXPECT_NE(refusal(kMobileNet3x3, &p, nullptr, nullptr, DataType::kFLOAT).find("types"),
              std::string::npos);
    // A dilation whose window no tile of shared memory holds.
    EXPECT_NE(refusal({{1, 4, 9, 9}, {4, 1, 7, 7}, {1, 4, 1, 1}, 4, {}, {5000, 5000}, {15000, 15000}}, &p)
                  .find("shared memory"),
              std::string::npos);
    // Past the kernel's 32-bit indices: 2^30 output elements.
    EXPECT_NE(refusal({{1024, 64, 128, 128}, {64, 1, 3, 3}, {1024, 64, 128, 128}, 64, {}, {}, {1, 1}}, &p)
                  .find("32-bit"),
              std::string::npos);
}

TEST(CudaDepthwisePlan, BiasAndAddendMustMatch) {
    DepthwisePlan p;
    const TensorRef floatBias{DataType::kFLOAT, makeDims({32}), reinterpret_cast<void*>(0x4000)};
    EXPECT_EQ(refusal(kMobileNet3x3, &p, &floatBias), "");  // any float bias type
    const TensorRef intBias{DataType::kINT32, makeDims({32}), reinterpret_cast<void*>(0x4000)};
    EXPECT_NE(refusal(kMobileNet3x3, &p, &intBias).find("bias"), std::string::npos);
    const TensorRef shortBias{DataType::kHALF, makeDims({31}), reinterpret_cast<void*>(0x4000)};
    EXPECT_NE(refusal(kMobileNet3x3, &p, &shortBias).find("bias"), std::string::npos);
    const TensorRef addend{DataType::kHALF, makeDims({64, 32, 112, 112}), reinterpret_cast<void*>(0x5000)};
    EXPECT_EQ(refusal(kMobileNet3x3, &p, nullptr, &addend), "");
    const TensorRef floatAddend{DataType::kFLOAT, makeDims({64, 32, 112, 112}),
                                reinterpret_cast<void*>(0x5000)};
    EXPECT_NE(refusal(kMobileNet3x3, &p, nullptr, &floatAddend).find("addend"), std::string::npos);
}

DepthwiseGeometry geometry(int32_t planes, int32_t in, int32_t out, int32_t k, int32_t s, int32_t d = 1,
                           int32_t pre = 1) {
    return {planes, planes, in, in, out, out, k, k, s, s, d, d, pre, pre};
}

std::string describe(const DepthwiseTiling& t) {
    return "tileW " + std::to_string(t.tileW) + " rows " + std::to_string(t.threadRows) + " planes " +
           std::to_string(t.planesPerBlock) + " in " + std::to_string(t.inTileH) + "x" +
           std::to_string(t.inTileW) + " threads " + std::to_string(t.threads) + " shared " +
           std::to_string(t.sharedBytes) + " blocks " + std::to_string(t.blocks);
}

TEST(CudaDepthwisePlan, TilesFollowTheOutputPlane) {
    struct Want {
        DepthwiseGeometry g;
        int32_t tileW, rows, planes, inH, inW;
    };
    const Want wants[] = {
        {geometry(2048, 112, 112, 3, 1), 32, 8, 1, 34, 34},  // full 32 x 32 tiles
        {geometry(6144, 112, 56, 3, 2), 32, 8, 1, 65, 65},   // stride 2: twice the input
        {geometry(9216, 28, 28, 3, 1), 32, 8, 1, 34, 34},
        {geometry(24576, 14, 14, 3, 1), 16, 4, 4, 18, 18},  // 4 planes a block
        {geometry(61440, 7, 7, 3, 1), 8, 2, 16, 10, 10},    // 16 planes a block
        {geometry(3, 7, 7, 3, 1), 8, 2, 4, 10, 10},         // no more planes a block than the layer has
    };
    for (const Want& w : wants) {
        DepthwiseTiling t;
        ASSERT_TRUE(cuda::dw::planDepthwiseTiling(w.g, &t));
        EXPECT_EQ(t.tileW, w.tileW) << describe(t);
        EXPECT_EQ(t.threadRows, w.rows) << describe(t);
        EXPECT_EQ(t.planesPerBlock, w.planes) << describe(t);
        EXPECT_EQ(t.inTileH, w.inH) << describe(t);
        EXPECT_EQ(t.inTileW, w.inW) << describe(t);
        EXPECT_EQ(t.threads, t.tileW * t.threadRows * t.planesPerBlock) << describe(t);
    }
}

/// Replays the kernel's mapping for every block and thread of the plan of `g`.
void expectCovers(const DepthwiseGeometry& g) {
    DepthwiseTiling t;
    const std::string what = "planes " + std::to_string(g.planes) + " in " + std::to_string(g.inH) + "x" +
                             std::to_string(g.inW) + " out " + std::to_string(g.outH) + "x" +
                             std::to_string(g.outW) + " k " + std::to_string(g.kH) + "x" +
                             std::to_string(g.kW) + " s " + std::to_string(g.sH) + "," +
                             std::to_string(g.sW) + " d " + std::to_string(g.dH) + "," + std::to_string(g.dW);
    ASSERT_TRUE(cuda::dw::planDepthwiseTiling(g, &t)) << what;
    SCOPED_TRACE(what + ": " + describe(t));
    EXPECT_GE(t.threads, 1);
    EXPECT_LE(t.threads, cuda::dw::kMaxThreads);
    EXPECT_LE(t.sharedBytes, cuda::dw::kMaxSharedBytes);
    EXPECT_EQ(t.sharedBytes, t.planesPerBlock * (t.inTileH * t.inTileW + g.kH * g.kW) * 4);
    // stage(): each thread's additive walk over the staged elements matches their index.
    const int32_t tileElems = t.inTileH * t.inTileW;
    int32_t badWalks = 0;
    for (int32_t th = 0; th < t.threads; ++th) {
        cuda::dw::TileWalk at(t, th, t.threads);
        for (int32_t i = th; i < t.planesPerBlock * tileElems; i += t.threads, at.advance(t))
            if (at.p != i / tileElems || at.r != (i % tileElems) / t.inTileW || at.col != i % t.inTileW)
                ++badWalks;
    }
    EXPECT_EQ(badWalks, 0);
    std::vector<int32_t> hits(static_cast<size_t>(g.planes) * g.outH * g.outW, 0);
    int32_t badReads = 0, badTaps = 0;
    for (int32_t b = 0; b < t.blocks; ++b) {
        const cuda::dw::TileOrigin o = cuda::dw::tileOrigin(t, b);
        // What stage() puts at tile (r, col): input (iy0 + r, ix0 + col).
        const int32_t iy0 = o.oy0 * g.sH - g.preH, ix0 = o.ox0 * g.sW - g.preW;
        for (int32_t th = 0; th < t.threads; ++th) {
            const cuda::dw::ThreadSlot s = cuda::dw::threadSlot(t, th);
            ASSERT_LT(s.p, t.planesPerBlock);
            const int32_t plane = o.plane0 + s.p, ox = o.ox0 + s.tx, oy = o.oy0 + s.ty * kRowsPerThread;
            if (plane >= g.planes || ox >= g.outW || oy >= g.outH) continue;
            for (int32_t j = 0; j < kRowsPerThread && oy + j < g.outH; ++j) {
                ++hits[(static_cast<size_t>(plane) * g.outH + oy + j) * g.outW + ox];
                for (int32_t ky = 0; ky < g.kH; ++ky)
                    for (int32_t kx = 0; kx < g.kW; ++kx) {
                        const int32_t r = (s.ty * kRowsPerThread + j) * g.sH + ky * g.dH;
                        const int32_t col = s.tx * g.sW + kx * g.dW;
                        if (r < 0 || r >= t.inTileH || col < 0 || col >= t.inTileW) ++badReads;
                        // The reference's tap of output (oy + j, ox).
                        if (iy0 + r != (oy + j) * g.sH - g.preH + ky * g.dH ||
                            ix0 + col != ox * g.sW - g.preW + kx * g.dW)
                            ++badTaps;
                    }
            }
        }
    }
    EXPECT_EQ(badReads, 0);
    EXPECT_EQ(badTaps, 0);
    int32_t missed = 0, twice = 0;
    for (int32_t h : hits) {
        missed += h == 0;
        twice += h > 1;
    }
    EXPECT_EQ(missed, 0);
    EXPECT_EQ(twice, 0);
}

TEST(CudaDepthwisePlan, EveryOutputComputedOnceFromInsideItsTile) {
    expectCovers(geometry(3, 13, 13, 3, 1));
    expectCovers(geometry(5, 13, 7, 3, 2));
    expectCovers(geometry(37, 7, 7, 3, 1));  // planes not a multiple of the block's
    expectCovers(geometry(2, 61, 61, 5, 1, 1, 2));
    expectCovers(geometry(2, 70, 35, 5, 2, 1, 2));
    expectCovers(geometry(3, 13, 13, 7, 1, 2, 6));                // dilated
    expectCovers(geometry(1, 17, 6, 3, 3));                       // stride 3
    expectCovers({2, 2, 13, 11, 7, 11, 3, 2, 2, 1, 1, 1, 1, 0});  // rectangular, mixed stride
    expectCovers({4, 4, 1, 17, 1, 9, 1, 3, 1, 2, 1, 1, 0, 1});    // 1-D
    expectCovers({1, 1, 3, 2, 3, 2, 3, 3, 1, 1, 1, 1, 0, 0});     // output past the input's reach
    // A dilation that forces the shrinking: few planes, rows and columns per block.
    expectCovers(geometry(6, 200, 110, 7, 1, 15, 0));
}

}  // namespace
}  // namespace kiln

#else  // !KILN_HAS_CUDA

TEST(CudaDepthwisePlan, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
