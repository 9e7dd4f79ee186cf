// CPU tests of the channels-last CUDA Pooling kernels' host side (kernels/conv/pooling_channels_last.h):
// the plan (16-byte channel vectors only for C a multiple of the vector and 16-byte aligned pointers,
// 32-bit indices only while every index fits, the global block shape) for the CNNs' pooling layers, and,
// replaying the kernels' grid loops on the host with their own per-thread code (windowed: every thread
// index; global: every block's lanes x rows partials combined as the kernel combines them), that every
// vector width and index width computes what the reference computes: max exactly, averages within float32
// accumulation, every output written once. tests/gpu/cuda_norm_pool_test.cc runs the kernels themselves.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "backends/cuda/kernels/conv/pooling_channels_last.h"
#include "backends/reference/conv_common.h"
#include "support/single_op.h"

namespace kiln {
namespace {

namespace rk = cuda::rk;
using Shape = std::vector<int64_t>;

Dims dimsOf(const Shape& v) {
    return makeDims(std::span<const int64_t>(v));
}

/// What pooling_ops.cc hands the launcher: the channels-first geometry of an [N, H, W, C] pooling.
rk::PoolGeometry geometryOf(const ir::PoolingAttrs& a, const Dims& xLast, const Dims& yLast) {
    auto g = reference::conv_detail::poolingGeometry(a, channelsFirstDims(xLast), channelsFirstDims(yLast));
    EXPECT_TRUE(g.isOk()) << g.status().message();
    rk::PoolGeometry pg;
    if (!g.isOk()) return pg;
    pg.planes = xLast.d[0] * xLast.d[3];
    for (int i = 0; i < 3; ++i) {
        pg.in[i] = g.value().in[i];
        pg.out[i] = g.value().out[i];
        pg.kernel[i] = g.value().kernel[i];
        pg.stride[i] = g.value().stride[i];
        pg.dilation[i] = g.value().dilation[i];
        pg.pre[i] = g.value().pre[i];
        pg.post[i] = g.value().post[i];
    }
    return pg;
}

ir::PoolingAttrs pool3x3s2() {
    ir::PoolingAttrs a;
    a.windowSize = makeDims({3, 3});
    a.stride = makeDims({2, 2});
    a.prePadding = makeDims({1, 1});
    a.postPadding = makeDims({1, 1});
    a.channelsLast = true;
    return a;
}

const void* at(uintptr_t address) {
    return reinterpret_cast<const void*>(address);
}

TEST(CudaPoolingPlan, VectorsNeedAMultipleOfTheWidthAndAlignedPointers) {
    const ir::PoolingAttrs a = pool3x3s2();
    const rk::PoolGeometry g64 = geometryOf(a, makeDims({64, 112, 112, 64}), makeDims({64, 56, 56, 64}));
    rk::PoolNhwcPlan p = rk::planPoolingChannelsLast(g64, 64, 2, at(0x1000), at(0x2000), false);
    EXPECT_EQ(p.vector, 8);
    EXPECT_TRUE(p.index32);
    EXPECT_FALSE(p.global);
    EXPECT_EQ(p.work, int64_t{64} * 56 * 56 * 8);
    EXPECT_EQ(rk::planPoolingChannelsLast(g64, 64, 4, at(0x1000), at(0x2000), false).vector, 4);   // float
    EXPECT_EQ(rk::planPoolingChannelsLast(g64, 64, 1, at(0x1000), at(0x2000), false).vector, 16);  // int8
    EXPECT_EQ(rk::planPoolingChannelsLast(g64, 64, 2, at(0x1002), at(0x2000), false).vector,
              1);  // x off by 2
    EXPECT_EQ(rk::planPoolingChannelsLast(g64, 64, 2, at(0x1000), at(0x2008), false).vector,
              1);  // y off by 8
    const rk::PoolGeometry g12 = geometryOf(a, makeDims({64, 112, 112, 12}), makeDims({64, 56, 56, 12}));
    p = rk::planPoolingChannelsLast(g12, 12, 2, at(0x1000), at(0x2000), false);
    EXPECT_EQ(p.vector, 1);  // 12 halves: not a whole number of 16-byte vectors per pixel
    EXPECT_EQ(p.work, int64_t{64} * 56 * 56 * 12);
    EXPECT_EQ(rk::planPoolingChannelsLast(g12, 12, 4, at(0x1000), at(0x2000), false).vector, 4);
}

TEST(CudaPoolingPlan, IndexWidthFollowsTheTensorSizes) {
    const ir::PoolingAttrs a = pool3x3s2();
    // FCN's stem pool at batch 64: 2^28 input elements, 32-bit.
    EXPECT_TRUE(
        rk::planPoolingChannelsLast(geometryOf(a, makeDims({64, 256, 256, 64}), makeDims({64, 128, 128, 64})),
                                    64, 2, at(0x1000), at(0x2000), false)
            .index32);
    // 2^32 input elements: 64-bit.
    const rk::PoolGeometry big = geometryOf(a, makeDims({64, 1024, 1024, 64}), makeDims({64, 512, 512, 64}));
    EXPECT_FALSE(rk::poolFitsIndex32(big));
    EXPECT_FALSE(rk::planPoolingChannelsLast(big, 64, 2, at(0x1000), at(0x2000), false).index32);
}

TEST(CudaPoolingPlan, GlobalBlocksCoverChannelVectorsAndPositions) {
    ir::PoolingAttrs a;
    a.type = PoolingType::kAVERAGE;
    a.global = true;
    a.channelsLast = true;
    // ResNet-50's head at batch 64: 256 vectors of 8 halves, 32 lanes x 8 rows, 8 blocks per image.
    rk::PoolNhwcPlan p =
        rk::planPoolingChannelsLast(geometryOf(a, makeDims({64, 7, 7, 2048}), makeDims({64, 1, 1, 2048})),
                                    2048, 2, at(0x1000), at(0x2000), true);
    EXPECT_EQ(p.vector, 8);
    EXPECT_EQ(p.lanes, 32);
    EXPECT_EQ(p.rows, 8);
    EXPECT_EQ(p.work, 64 * 8);
    // Three float channels: one channel per lane, 4 lanes (the power of two >= 3), 64 rows.
    p = rk::planPoolingChannelsLast(geometryOf(a, makeDims({5, 67, 71, 3}), makeDims({5, 1, 1, 3})), 3, 4,
                                    at(0x1000), at(0x2000), true);
    EXPECT_EQ(p.vector, 1);
    EXPECT_EQ(p.lanes, 4);
    EXPECT_EQ(p.rows, 64);
    EXPECT_EQ(p.work, 5);
    EXPECT_EQ(p.lanes * p.rows, rk::kPoolThreads);
}

// ---- replay of the kernels ---------------------------------------------------------------------------

/// Runs the kernel's grid loop for plan `p` on the host with vector width V and index type I.
template <class S, int V, class I>
void replay(const rk::PoolNhwcPlan& p, const rk::PoolGeometry& pg, int64_t channels, const rk::PoolWeights& w,
            const void* x, void* y) {
    const rk::PoolNhwcGeometry<I> g = rk::poolNhwcGeometry<I>(pg, channels);
    const S* xs = static_cast<const S*>(x);
    S* ys = static_cast<S*>(y);
    if (!p.global) {
        for (int64_t i = 0; i < p.work; ++i) rk::poolNhwcWindow<S, V, I>(xs, ys, g, static_cast<I>(i), w);
        return;
    }
    const I lanes = static_cast<I>(p.lanes), rows = static_cast<I>(p.rows);
    const I vectors = g.c / V, chunks = (vectors + lanes - 1) / lanes;
    ASSERT_EQ(static_cast<int64_t>(g.n) * chunks, p.work);
    std::vector<float> mx(static_cast<size_t>(rk::kPoolThreads * V)), sum(mx.size());
    for (I b = 0; b < g.n * chunks; ++b) {
        const I n = b / chunks;
        for (I t = 0; t < rk::kPoolThreads; ++t) {
            const I cv = (b - n * chunks) * lanes + t % lanes;
            if (cv < vectors)
                rk::poolNhwcGlobalPartial<S, V, I>(xs, g, n, cv, t / lanes, rows,
                                                   &mx[static_cast<size_t>(t * V)],
                                                   &sum[static_cast<size_t>(t * V)]);
        }
        for (I lane = 0; lane < lanes; ++lane) {  // the row-0 threads
            const I cv = (b - n * chunks) * lanes + lane;
            if (cv < vectors)
                rk::poolNhwcGlobalFinish<S, V, I>(&mx[static_cast<size_t>(lane * V)],
                                                  &sum[static_cast<size_t>(lane * V)], lanes * V, rows, g, n,
                                                  cv, ys, w);
        }
    }
}

struct ReplayCase {
    Shape x;  ///< [N, H, W, C]
    PoolingType type;
    Shape window, stride, pre, post, dilation;
    PaddingMode mode{PaddingMode::kEXPLICIT_ROUND_DOWN};
    bool excludePadding{true};
    bool global{false};

    ir::PoolingAttrs attrs() const {
        ir::PoolingAttrs a;
        a.type = type;
        if (!window.empty()) a.windowSize = dimsOf(window);
        if (!stride.empty()) a.stride = dimsOf(stride);
        if (!pre.empty()) a.prePadding = dimsOf(pre);
        if (!post.empty()) a.postPadding = dimsOf(post);
        if (!dilation.empty()) a.dilation = dimsOf(dilation);
        a.paddingMode = mode;
        a.averageCountExcludesPadding = excludePadding;
        a.blendFactor = type == PoolingType::kMAX_AVERAGE_BLEND ? 0.3f : 0.0f;
        a.global = global;
        a.channelsLast = true;
        return a;
    }
};

/// One ulp of the output type relative to the value (float32 for the types averages never see).
double relativeEpsilon(DataType t) {
    if (t == DataType::kHALF) return 0x1p-10;
    if (t == DataType::kBF16) return 0x1p-7;
    if (t == DataType::kFP8) return 0x1p-3;
    return 0x1p-23;
}

template <class S>
void checkReplays(const ReplayCase& c, DataType t, uint64_t seed, int* replays) {
    const ir::PoolingAttrs a = c.attrs();
    const bool integer = t == DataType::kINT8 || t == DataType::kUINT8;
    const HostTensor x =
        HostTensor::random(t, dimsOf(c.x), seed, integer ? 0.0 : -3.0, integer ? 100.0 : 3.0);
    auto want = testing::runSingleOp(a, {x});
    ASSERT_TRUE(want.isOk()) << want.status().message();
    const HostTensor& w = want.value()[0];
    const int64_t channels = c.x[3];
    const rk::PoolGeometry pg = geometryOf(a, x.shape, w.shape);
    rk::PoolWeights weights;
    weights.maxWeight = c.type == PoolingType::kAVERAGE ? 0.0f : c.type == PoolingType::kMAX ? 1.0f : 0.7f;
    weights.averageWeight = c.type == PoolingType::kMAX       ? 0.0f
                            : c.type == PoolingType::kAVERAGE ? 1.0f
                                                              : 0.3f;
    weights.countExcludesPadding = c.excludePadding;
    weights.emptyMax = t == DataType::kINT8 ? -128.0f : t == DataType::kUINT8 ? 0.0f : -INFINITY;
    const bool global = c.global && pg.out[1] * pg.out[2] == 1;
    int64_t taps = c.global ? c.x[1] * c.x[2] : 1;
    for (int64_t k : c.window) taps *= k;
    constexpr int kVector = static_cast<int>(rk::kPoolVectorBytes / sizeof(S));
    for (bool vectorized : {true, false}) {
        // Aligned fake addresses give the vector plan when C allows it; y one element off gives the scalar
        // one.
        const rk::PoolNhwcPlan p = rk::planPoolingChannelsLast(
            pg, channels, sizeof(S), at(0x1000), at(vectorized ? 0x2000 : 0x2000 + sizeof(S)), global);
        if (vectorized && p.vector != kVector) continue;  // C is not a multiple of the vector
        ASSERT_EQ(p.vector, vectorized ? kVector : 1);
        for (bool index32 : {true, false}) {
            HostTensor got(t, w.shape);
            std::fill(got.bytes.begin(), got.bytes.end(),
                      uint8_t{0xff});  // NaN, -1 or 255: never a result here
            if (p.vector == kVector)
                index32 ? replay<S, kVector, int32_t>(p, pg, channels, weights, x.data(), got.data())
                        : replay<S, kVector, int64_t>(p, pg, channels, weights, x.data(), got.data());
            else
                index32 ? replay<S, 1, int32_t>(p, pg, channels, weights, x.data(), got.data())
                        : replay<S, 1, int64_t>(p, pg, channels, weights, x.data(), got.data());
            ++*replays;
            const std::string what = "x " + toString(x.shape) + " " + dataTypeName(t) + " type " +
                                     std::to_string(static_cast<int>(c.type)) + " window " +
                                     toString(a.windowSize) + (c.global ? " global" : "") + " vector " +
                                     std::to_string(p.vector) + (index32 ? " int32" : " int64");
            int bad = 0;
            for (int64_t i = 0; i < w.numel() && bad < 5; ++i) {
                const double g = got.at(i), e = w.at(i);
                if (std::isnan(e) && std::isnan(g)) continue;
                // Max is a selection: exact. An average sums up to `taps` values in float32, then rounds
                // once.
                const double tol = c.type == PoolingType::kMAX ? 0.0
                                                               : relativeEpsilon(t) * std::fabs(e) + 0x1p-24 +
                                                                     (static_cast<double>(taps) + 8.0) *
                                                                         0x1p-23 * 2.0 * (1.0 + std::fabs(e));
                if (!(std::fabs(g - e) <= tol) && !(std::isinf(e) && g == e)) {
                    ++bad;
                    ADD_FAILURE() << what << ": element " << i << " got " << g << ", expected " << e;
                }
            }
        }
    }
}

const ReplayCase kReplayCases[] = {
    {{2, 11, 13, 3}, PoolingType::kMAX, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {}},   // ResNet's stem, scalar C
    {{2, 11, 13, 16}, PoolingType::kMAX, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {}},  // vectors for every type
    {{2, 11, 13, 16}, PoolingType::kAVERAGE, {2, 3}, {1, 2}, {0, 1}, {1, 0}, {}},
    {{2, 11, 13, 16},
     PoolingType::kAVERAGE,
     {2, 3},
     {1, 2},
     {0, 1},
     {1, 0},
     {},
     PaddingMode::kEXPLICIT_ROUND_DOWN,
     false},
    {{2, 11, 13, 8}, PoolingType::kMAX_AVERAGE_BLEND, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}},  // dilation
    {{2, 11, 13, 16}, PoolingType::kMAX, {3, 2}, {2, 3}, {1, 0}, {1, 1}, {}, PaddingMode::kEXPLICIT_ROUND_UP},
    // Ceil mode, padding counted: the last column of windows hangs past the input, beyond the padding.
    {{1, 6, 6, 8},
     PoolingType::kAVERAGE,
     {3, 3},
     {2, 2},
     {},
     {1, 0},
     {},
     PaddingMode::kEXPLICIT_ROUND_UP,
     false},
    {{2, 11, 13, 4}, PoolingType::kAVERAGE, {3, 4}, {2, 3}, {}, {}, {}, PaddingMode::kSAME_UPPER, false},
    {{2, 11, 13, 16}, PoolingType::kMAX, {3, 4}, {2, 3}, {}, {}, {}, PaddingMode::kSAME_LOWER},
    {{1, 3, 3, 16}, PoolingType::kMAX, {2, 2}, {1, 1}, {3, 3}, {3, 3}, {4, 4}},  // windows with no input tap
    {{3, 7, 9, 16}, PoolingType::kAVERAGE, {}, {}, {}, {}, {}, PaddingMode::kEXPLICIT_ROUND_DOWN, true, true},
    {{2, 9, 5, 48},
     PoolingType::kMAX_AVERAGE_BLEND,
     {},
     {},
     {},
     {},
     {},
     PaddingMode::kEXPLICIT_ROUND_DOWN,
     true,
     true},  // 48 floats = 12 vectors: 16 lanes, 4 of them idle
    {{2, 5, 3, 600},
     PoolingType::kMAX,
     {},
     {},
     {},
     {},
     {},
     PaddingMode::kEXPLICIT_ROUND_DOWN,
     true,
     true},  // >1 chunk
    {{1, 67, 71, 3},
     PoolingType::kAVERAGE,
     {},
     {},
     {},
     {},
     {},
     PaddingMode::kEXPLICIT_ROUND_DOWN,
     true,
     true},
};

TEST(CudaPoolingReplay, EveryPathMatchesTheReference) {
    uint64_t seed = 900;
    int replays = 0;
    for (const ReplayCase& c : kReplayCases) {
        SCOPED_TRACE(toString(dimsOf(c.x)));
        checkReplays<float>(c, DataType::kFLOAT, ++seed, &replays);
        checkReplays<cuda::Half>(c, DataType::kHALF, ++seed, &replays);
        checkReplays<cuda::Bf16>(c, DataType::kBF16, ++seed, &replays);
        if (c.type == PoolingType::kMAX) {
            checkReplays<cuda::Fp8>(c, DataType::kFP8, ++seed, &replays);
            checkReplays<int8_t>(c, DataType::kINT8, ++seed, &replays);
            checkReplays<uint8_t>(c, DataType::kUINT8, ++seed, &replays);
        }
    }
    EXPECT_GT(replays, 100);
}

TEST(CudaPoolingReplay, NaNPropagatesThroughMaxAndAverage) {
    for (bool global : {false, true}) {
        ReplayCase c{{1, 4, 4, 8}, PoolingType::kMAX, {2, 2}, {2, 2}, {}, {}, {}};
        if (global) {
            c.window.clear();
            c.stride.clear();
            c.global = true;
        }
        for (PoolingType type : {PoolingType::kMAX, PoolingType::kAVERAGE}) {
            c.type = type;
            const ir::PoolingAttrs a = c.attrs();
            HostTensor x = HostTensor::random(DataType::kHALF, dimsOf(c.x), 5);
            x.set(8 * 5 + 3, NAN);  // pixel (1, 1), channel 3
            auto want = testing::runSingleOp(a, {x});
            ASSERT_TRUE(want.isOk()) << want.status().message();
            const rk::PoolGeometry pg = geometryOf(a, x.shape, want.value()[0].shape);
            rk::PoolWeights w;
            w.maxWeight = type == PoolingType::kMAX ? 1.0f : 0.0f;
            w.averageWeight = 1.0f - w.maxWeight;
            const rk::PoolNhwcPlan p = rk::planPoolingChannelsLast(pg, 8, 2, at(0x1000), at(0x2000), global);
            ASSERT_EQ(p.vector, 8);
            HostTensor got(DataType::kHALF, want.value()[0].shape);
            replay<cuda::Half, 8, int32_t>(p, pg, 8, w, x.data(), got.data());
            for (int64_t i = 0; i < got.numel(); ++i) {
                const bool nan =
                    i % 8 == 3 && (global || i / 8 == 0);  // channel 3 of the window holding (1, 1)
                EXPECT_EQ(std::isnan(got.at(i)), nan) << "element " << i << (global ? " global" : "");
                if (!nan) {
                    EXPECT_NEAR(got.at(i), want.value()[0].at(i), 4e-3 * (1 + std::fabs(got.at(i))));
                }
            }
        }
    }
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaPoolingPlan, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
