// GPU tests of the Normalization and Pooling CUDA kernels against the reference kernels on the host:
// layer / instance / group norm (per-channel and per-group affine, 1-D to 3-D spatial, mixed float types,
// warp- and block-sized groups, constant groups), and max / average / blend pooling in 1-D, 2-D and 3-D
// with stride, dilation, explicit and SAME padding, ceil mode, count-includes-padding, global windows
// and int8 / uint8 / fp8 max pooling; channels-last pooling ([N, H, W, C]) on every 2-D case against the
// channels-first reference permuted, on its vector and scalar paths (C a multiple of 16 bytes or not,
// aligned and misaligned pointers), and an opt-in NCHW vs NHWC MaxPool benchmark. Max pooling is exact;
// averages and normalization are compared with a tolerance from float32's rounding over the reduction
// length plus one ulp of the output type.
// Skipped, never passed, without a CUDA device.
#include <gtest/gtest.h>

#if defined(KILN_HAS_CUDA)

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gpu/cuda_kernel_test_util.h"
#include "gpu/reduce_family_util.h"

namespace kiln::testing {
namespace {

class CudaNormPoolTest : public CudaReduceFamilyTest {};

// ---- Normalization -----------------------------------------------------------------------------------

struct NormCase {
    std::vector<int64_t> x;
    uint32_t axes;
    int64_t groups;
    std::vector<int64_t> affine;  ///< scale and bias shape
};

Dims dimsOf(const std::vector<int64_t>& v) {
    Dims d;
    d.nbDims = static_cast<int32_t>(v.size());
    for (size_t i = 0; i < v.size(); ++i) d.d[i] = v[i];
    return d;
}

void checkNorm(cudaStream_t stream, const NormCase& c, DataType t, DataType affineType, uint64_t seed,
               bool constant = false) {
    ir::NormalizationAttrs a;
    a.axes = c.axes;
    a.nbGroups = c.groups;
    a.epsilon = 1e-5f;
    const Dims xs = dimsOf(c.x), ps = dimsOf(c.affine);
    HostTensor x = HostTensor::random(t, xs, seed, -2.0, 2.0);
    if (constant)
        for (int64_t i = 0; i < x.numel(); ++i) x.set(i, 0.75);
    const HostTensor scale = HostTensor::random(affineType, ps, seed + 1, -1.5, 1.5);
    const HostTensor bias = HostTensor::random(affineType, ps, seed + 2, -1.5, 1.5);
    const std::string what = "Normalization of " + describe(xs, t) + " axes " + std::to_string(c.axes) +
                             " groups " + std::to_string(c.groups) + " affine " + describe(ps, affineType) +
                             " seed " + std::to_string(seed);
    auto want = runSingleOp(a, {x, scale, bias});
    ASSERT_TRUE(want.isOk()) << what << ": " << want.status().message();
    const HostTensor& w = want.value()[0];
    auto got = runCuda(cuda::runNormalization, a, {x, scale, bias}, {w}, stream);
    ASSERT_TRUE(got.isOk()) << what << ": " << got.status().message();
    int64_t count = 1;
    for (int i = 0; i < xs.nbDims; ++i)
        if ((c.axes >> i) & 1u) count *= xs.d[i];
    if (c.groups > 1) count *= xs.d[1] / c.groups;
    expectNear(
        got.value()[0], w, [&](int64_t i) { return normTolerance(t, count, w.at(i)); }, what);
}

TEST_F(CudaNormPoolTest, LayerInstanceAndGroupNorm) {
    const NormCase cases[] = {
        {{3, 5, 7}, 0b100, 1, {7}},                      // layer norm, last dim
        {{3, 5, 7}, 0b110, 1, {5, 7}},                   // layer norm, last two dims
        {{3, 5, 7}, 0b001, 1, {1, 5, 7}},                // statistics over a leading axis (strided groups)
        {{2, 3, 5, 7}, 0b1100, 1, {1, 3, 1, 1}},         // instance norm
        {{2, 3, 5, 7}, 0b1100, 1, {3, 1, 1}},            // instance norm, affine of lower rank
        {{2, 6, 5, 7}, 0b1100, 3, {1, 6, 1, 1}},         // group norm, per-channel affine
        {{2, 6, 5, 7}, 0b1100, 3, {1, 3, 1, 1}},         // group norm, per-group affine (TensorRT 8.6 style)
        {{1, 4, 3, 5, 7}, 0b11100, 2, {1, 4, 1, 1, 1}},  // 3-D group norm
        {{2, 6, 11}, 0b100, 6, {1, 6, 1}},               // one channel per group
        {{2, 3, 2053}, 0b100, 1, {2053}},                // a group larger than a warp's share: block path
        {{4099, 33}, 0b10, 1, {33}},                     // many small groups
        {{1, 3, 67, 71}, 0b1100, 1, {1, 3, 1, 1}},       // large instance-norm planes
    };
    uint64_t seed = 100;
    for (const NormCase& c : cases)
        for (DataType t : kFloatTypes) checkNorm(stream, c, t, t, seed += 3);
    // Affine parameters of another float type than x.
    checkNorm(stream, cases[0], DataType::kHALF, DataType::kFLOAT, seed += 3);
    checkNorm(stream, cases[5], DataType::kBF16, DataType::kHALF, seed += 3);
    checkNorm(stream, cases[3], DataType::kFLOAT, DataType::kBF16, seed += 3);
}

TEST_F(CudaNormPoolTest, ConstantGroupsGiveTheBias) {
    // Variance 0: xhat = 0 / sqrt(eps) = 0, so y = bias exactly (up to the output rounding).
    checkNorm(stream, {{2, 3, 5, 7}, 0b1100, 1, {1, 3, 1, 1}}, DataType::kFLOAT, DataType::kFLOAT, 900, true);
    checkNorm(stream, {{3, 40}, 0b10, 1, {40}}, DataType::kHALF, DataType::kHALF, 903, true);
}

TEST(CudaNormPoolChecks, NormalizationRefusesGroupsThatDoNotSplitTheChannels) {  // runs without a device
    ir::NormalizationAttrs a;
    a.axes = 0b1100;
    a.nbGroups = 4;
    const HostTensor x(DataType::kFLOAT, makeDims({1, 6, 2, 2})), p(DataType::kFLOAT, makeDims({1, 6, 1, 1}));
    expectRefused(runWithoutMemory(cuda::runNormalization, a, {x, p, p}, {x}), ErrorCode::kINVALID_ARGUMENT,
                  {"nbGroups = 4", "[1,6,2,2]"});
    // scale of an integer type has no kernel.
    a.nbGroups = 1;
    const HostTensor ip(DataType::kINT32, makeDims({1, 6, 1, 1}));
    expectRefused(runWithoutMemory(cuda::runNormalization, a, {x, ip, p}, {x}), ErrorCode::kUNSUPPORTED_STATE,
                  {"int32", "float32, float16 or bfloat16"});
}

// ---- Pooling -----------------------------------------------------------------------------------------

struct PoolCase {
    std::vector<int64_t> x;
    std::vector<int64_t> window, stride, pre, post, dilation;
    PaddingMode mode{PaddingMode::kEXPLICIT_ROUND_DOWN};
    bool global{false};
};

ir::PoolingAttrs poolAttrs(const PoolCase& c, PoolingType type, bool excludePadding, float blend) {
    ir::PoolingAttrs a;
    a.type = type;
    if (!c.window.empty()) a.windowSize = dimsOf(c.window);
    if (!c.stride.empty()) a.stride = dimsOf(c.stride);
    if (!c.pre.empty()) a.prePadding = dimsOf(c.pre);
    if (!c.post.empty()) a.postPadding = dimsOf(c.post);
    if (!c.dilation.empty()) a.dilation = dimsOf(c.dilation);
    a.paddingMode = c.mode;
    a.global = c.global;
    a.averageCountExcludesPadding = excludePadding;
    a.blendFactor = blend;
    return a;
}

/// Max is a selection (exact). An average sums at most `taps` values in float32, one rounding each, then
/// divides; a blend adds two float products. The reference works in double; one ulp of the output type
/// covers the final rounding.
double poolTolerance(PoolingType type, DataType t, int64_t taps, double want) {
    if (type == PoolingType::kMAX) return 0.0;
    return ulpAt(t, want) + (static_cast<double>(taps) + 8.0) * kFloatEps * 2.0 * (1.0 + std::fabs(want));
}

/// How checkPool runs the CUDA kernel: channels-first, or channels-last on the input permuted to
/// [N, H, W, C] (compared with the channels-first reference's output permuted the same way), with every
/// device pointer shifted by `misalignBytes`.
struct PoolLayout {
    bool channelsLast{false};
    int64_t misalignBytes{0};
};

void checkPool(cudaStream_t stream, const PoolCase& c, PoolingType type, DataType t, bool excludePadding,
               uint64_t seed, PoolLayout layout = {}) {
    const float blend = type == PoolingType::kMAX_AVERAGE_BLEND ? 0.3f : 0.0f;
    ir::PoolingAttrs a = poolAttrs(c, type, excludePadding, blend);
    const Dims xs = dimsOf(c.x);
    const bool integer = t == DataType::kINT8 || t == DataType::kUINT8;
    const HostTensor x = HostTensor::random(t, xs, seed, integer ? 0.0 : -3.0, integer ? 120.0 : 3.0);
    std::string what = "Pooling type " + std::to_string(static_cast<int>(type)) + " of " + describe(xs, t) +
                       " window " + toString(a.windowSize) + " stride " + toString(a.stride) + " pre " +
                       toString(a.prePadding) + " post " + toString(a.postPadding) + " dilation " +
                       toString(a.dilation) + " mode " + std::to_string(static_cast<int>(c.mode)) +
                       (c.global ? " global" : "") + (excludePadding ? "" : " count-includes-padding") +
                       (layout.channelsLast ? " channels-last" : "") +
                       (layout.misalignBytes ? " misaligned by " + std::to_string(layout.misalignBytes) : "");
    auto want = runSingleOp(a, {x});
    ASSERT_TRUE(want.isOk()) << what << ": " << want.status().message();
    const HostTensor w = layout.channelsLast ? gputest::toChannelsLast(want.value()[0]) : want.value()[0];
    a.channelsLast = layout.channelsLast;
    CudaRunOptions options;
    options.misalignBytes = layout.misalignBytes;
    auto got = runCuda(cuda::runPooling, a, {layout.channelsLast ? gputest::toChannelsLast(x) : x}, {w},
                       stream, options);
    ASSERT_TRUE(got.isOk()) << what << ": " << got.status().message();
    int64_t taps = 1;
    if (c.global)
        for (size_t i = 2; i < c.x.size(); ++i) taps *= c.x[i];
    for (int64_t k : c.window) taps *= k;
    expectNear(
        got.value()[0], w, [&](int64_t i) { return poolTolerance(type, t, taps, w.at(i)); }, what);
}

const PoolCase kPoolCases[] = {
    {{2, 3, 11, 13}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {}},      // ResNet's stem pool
    {{2, 3, 11, 13}, {2, 3}, {1, 2}, {0, 1}, {1, 0}, {}},      // asymmetric padding
    {{2, 3, 11, 13}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}},  // dilation
    {{2, 3, 11, 13}, {3, 2}, {2, 3}, {1, 0}, {1, 1}, {}, PaddingMode::kEXPLICIT_ROUND_UP},  // ceil mode
    {{2, 3, 11, 13}, {3, 4}, {2, 3}, {}, {}, {}, PaddingMode::kSAME_UPPER},
    {{2, 3, 11, 13}, {3, 4}, {2, 3}, {}, {}, {}, PaddingMode::kSAME_LOWER},
    {{2, 3, 17}, {4}, {3}, {2}, {1}, {}},                                      // 1-D
    {{1, 2, 5, 7, 6}, {2, 3, 2}, {1, 2, 2}, {1, 0, 1}, {0, 1, 1}, {}},         // 3-D
    {{1, 2, 5, 7, 6}, {2, 2, 3}, {2, 1, 2}, {0, 0, 0}, {1, 1, 1}, {2, 1, 2}},  // 3-D dilated
    {{1, 1, 3, 3}, {2, 2}, {1, 1}, {3, 3}, {3, 3}, {4, 4}},  // windows with no input tap at all
    {{3, 5, 7, 9}, {}, {}, {}, {}, {}, PaddingMode::kEXPLICIT_ROUND_DOWN, true},    // global
    {{1, 2, 67, 71}, {}, {}, {}, {}, {}, PaddingMode::kEXPLICIT_ROUND_DOWN, true},  // global, large planes
};

TEST_F(CudaNormPoolTest, PoolingEveryTypeGeometryAndFloatType) {
    uint64_t seed = 2000;
    for (const PoolCase& c : kPoolCases)
        for (DataType t : kFloatTypes) {
            checkPool(stream, c, PoolingType::kMAX, t, true, ++seed);
            checkPool(stream, c, PoolingType::kAVERAGE, t, true, ++seed);
            checkPool(stream, c, PoolingType::kAVERAGE, t, false, ++seed);
            checkPool(stream, c, PoolingType::kMAX_AVERAGE_BLEND, t, true, ++seed);
        }
}

TEST_F(CudaNormPoolTest, MaxPoolingOfInt8Uint8AndFp8IsExact) {
    uint64_t seed = 3000;
    for (const PoolCase& c : {kPoolCases[0], kPoolCases[2], kPoolCases[7], kPoolCases[9], kPoolCases[10]})
        for (DataType t : {DataType::kINT8, DataType::kUINT8, DataType::kFP8})
            checkPool(stream, c, PoolingType::kMAX, t, true, ++seed);
    checkPool(stream, kPoolCases[0], PoolingType::kAVERAGE, DataType::kFP8, true, ++seed);
}

/// The 2-D cases with C as written (3: one channel per thread) and with C = 16 (whole 16-byte vectors in
/// every type).
std::vector<PoolCase> channelsLastCases() {
    std::vector<PoolCase> out;
    for (const PoolCase& c : kPoolCases) {
        if (c.x.size() != 4) continue;
        out.push_back(c);
        out.push_back(c);
        out.back().x[1] = 16;
    }
    return out;
}

// Channels-last (what the channels-last pass makes of 2-D pooling after a convolution): every 2-D case,
// pooling type and float type, on the scalar path (C = 3 or 1, and C = 16 with pointers one element off
// 16-byte alignment) and the vector path (C = 16, aligned).
TEST_F(CudaNormPoolTest, ChannelsLastPoolingEveryTypeGeometryAndFloatType) {
    uint64_t seed = 6000;
    for (const PoolCase& c : channelsLastCases())
        for (DataType t : kFloatTypes) {
            const int64_t es = dataTypeSize(t);
            for (PoolLayout layout : {PoolLayout{true, 0}, PoolLayout{true, es}}) {
                if (layout.misalignBytes != 0 && c.x[1] != 16) continue;  // already scalar
                checkPool(stream, c, PoolingType::kMAX, t, true, ++seed, layout);
                checkPool(stream, c, PoolingType::kAVERAGE, t, true, ++seed, layout);
                checkPool(stream, c, PoolingType::kAVERAGE, t, false, ++seed, layout);
                checkPool(stream, c, PoolingType::kMAX_AVERAGE_BLEND, t, true, ++seed, layout);
            }
        }
}

TEST_F(CudaNormPoolTest, ChannelsLastMaxPoolingOfInt8Uint8AndFp8IsExact) {
    uint64_t seed = 7000;
    for (const PoolCase& c : channelsLastCases())
        for (DataType t : {DataType::kINT8, DataType::kUINT8, DataType::kFP8}) {
            checkPool(stream, c, PoolingType::kMAX, t, true, ++seed, {true, 0});
            if (c.x[1] == 16) checkPool(stream, c, PoolingType::kMAX, t, true, ++seed, {true, 1});
        }
}

TEST_F(CudaNormPoolTest, ChannelsLastPoolingPropagatesNaN) {
    for (int64_t channels : {int64_t{3}, int64_t{8}})
        for (bool global : {false, true})
            for (PoolingType type : {PoolingType::kMAX, PoolingType::kAVERAGE}) {
                PoolCase c{{1, channels, 4, 4}, {2, 2}, {2, 2}, {}, {}, {}};
                if (global)
                    c = PoolCase{
                        {1, channels, 4, 4}, {}, {}, {}, {}, {}, PaddingMode::kEXPLICIT_ROUND_DOWN, true};
                ir::PoolingAttrs a = poolAttrs(c, type, true, 0.0f);
                HostTensor x = HostTensor::random(DataType::kHALF, dimsOf(c.x), 7);
                x.set(5, NAN);  // channel 0, pixel (1, 1)
                auto want = runSingleOp(a, {x});
                ASSERT_TRUE(want.isOk()) << want.status().message();
                a.channelsLast = true;
                auto got = runCuda(cuda::runPooling, a, {gputest::toChannelsLast(x)},
                                   {gputest::toChannelsLast(want.value()[0])}, stream);
                ASSERT_TRUE(got.isOk()) << got.status().message();
                const HostTensor w = gputest::toChannelsLast(want.value()[0]);
                expectNear(
                    got.value()[0], w,
                    [&](int64_t i) { return poolTolerance(type, DataType::kHALF, 16, w.at(i)); },
                    "channels-last NaN pooling, C " + std::to_string(channels) + (global ? " global" : ""));
            }
}

TEST(CudaNormPoolChecks, ChannelsLastPoolingRefusesOtherRanksAndIndices) {  // runs without a device
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2});
    a.channelsLast = true;
    const HostTensor x3(DataType::kHALF, makeDims({1, 8, 4})), y3(DataType::kHALF, makeDims({1, 4, 4}));
    expectRefused(runWithoutMemory(cuda::runPooling, a, {x3}, {y3}), ErrorCode::kINVALID_ARGUMENT,
                  {"2-D [N, H, W, C]", "[1,8,4]"});
    a.windowSize = makeDims({2, 2});
    const HostTensor x(DataType::kHALF, makeDims({1, 4, 4, 8})), y(DataType::kHALF, makeDims({1, 2, 2, 8}));
    const HostTensor idx(DataType::kINT64, makeDims({1, 2, 2, 8}));
    expectRefused(runWithoutMemory(cuda::runPooling, a, {x}, {y, idx}), ErrorCode::kINVALID_ARGUMENT,
                  {"no indices output", "2 outputs"});
}

// The kernels write pooled values only, so a requested indices output is refused before anything runs
// (the pointers below are never dereferenced).
TEST(CudaNormPoolChecks, MaxPoolingIndicesOutputIsRefusedNotLeftUnwritten) {  // runs without a device
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2, 2});
    float fake[1];
    const TensorRef x{DataType::kFLOAT, makeDims({1, 2, 4, 4}), fake};
    const TensorRef outs[2] = {{DataType::kFLOAT, makeDims({1, 2, 2, 2}), fake},
                               {DataType::kINT64, makeDims({1, 2, 2, 2}), fake}};
    cuda::KernelContext ctx{std::span<const TensorRef>(&x, 1), std::span<const TensorRef>(outs, 2)};
    const Status st = cuda::runPooling(a, ctx);
    EXPECT_EQ(st.code(), ErrorCode::kUNSUPPORTED_STATE) << st.message();
    EXPECT_NE(st.message().find("indices output"), std::string::npos) << st.message();
}

/// Mean time of one runPooling over `runs` launches after 5 warm-ups, in microseconds.
double timePooling(const ir::PoolingAttrs& a, const cuda::KernelContext& ctx, int runs) {
    for (int k = 0; k < 5; ++k) EXPECT_TRUE(cuda::runPooling(a, ctx).isOk());
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    cudaEventRecord(start, ctx.stream);
    for (int k = 0; k < runs; ++k) EXPECT_TRUE(cuda::runPooling(a, ctx).isOk());
    cudaEventRecord(stop, ctx.stream);
    EXPECT_EQ(cudaEventSynchronize(stop), cudaSuccess);
    float ms = 0.0f;
    cudaEventElapsedTime(&ms, start, stop);
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return 1000.0 * static_cast<double>(ms) / runs;
}

// Opt-in (run with --gtest_also_run_disabled_tests): ResNet's and FCN's stem MaxPool (3x3, stride 2,
// padding 1) at batch 64 in float16, NCHW kernel vs NHWC kernel, with the bandwidth bound (input read once,
// output written once, at 3.35 TB/s, an H100 SXM). Prints a table; asserts that both run.
TEST_F(CudaNormPoolTest, DISABLED_BenchmarkChannelsLastMaxPool) {
    const PoolCase stem{{64, 64, 112, 112}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {}};
    std::printf("%-22s %10s %10s %10s\n", "input [N,C,H,W] fp16", "NCHW us", "NHWC us", "bound us");
    for (int64_t h : {int64_t{112}, int64_t{256}}) {
        PoolCase c = stem;
        c.x = {64, 64, h, h};
        const Dims xs = dimsOf(c.x), ys = makeDims({64, 64, h / 2, h / 2});
        DeviceBuffer x(static_cast<size_t>(volume(xs) * 2)), y(static_cast<size_t>(volume(ys) * 2));
        ASSERT_TRUE(x.ptr && y.ptr);
        cudaMemset(x.ptr, 0, static_cast<size_t>(volume(xs) * 2));
        cudaDeviceSynchronize();
        double us[2] = {0.0, 0.0};
        for (int last = 0; last < 2; ++last) {
            ir::PoolingAttrs a = poolAttrs(c, PoolingType::kMAX, true, 0.0f);
            a.channelsLast = last == 1;
            const std::vector<TensorRef> in{
                TensorRef{DataType::kHALF, last ? channelsLastDims(xs) : xs, x.ptr}};
            const std::vector<TensorRef> out{
                TensorRef{DataType::kHALF, last ? channelsLastDims(ys) : ys, y.ptr}};
            cuda::KernelContext ctx;
            ctx.inputs = in;
            ctx.outputs = out;
            ctx.stream = stream;
            us[last] = timePooling(a, ctx, 50);
        }
        const double bound = static_cast<double>((volume(xs) + volume(ys)) * 2) / 3.35e12 * 1e6;
        std::printf("%-22s %10.1f %10.1f %10.1f\n", toString(xs).c_str(), us[0], us[1], bound);
        EXPECT_GT(us[0], 0.0);
        EXPECT_GT(us[1], 0.0);
    }
}

TEST_F(CudaNormPoolTest, PoolingPropagatesNaNThroughMax) {
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 1, 4, 4}), 7);
    x.set(5, NAN);
    const PoolCase c{{1, 1, 4, 4}, {2, 2}, {2, 2}, {}, {}, {}};
    for (PoolingType type : {PoolingType::kMAX, PoolingType::kAVERAGE}) {
        const ir::PoolingAttrs a = poolAttrs(c, type, true, 0.0f);
        auto want = runSingleOp(a, {x});
        ASSERT_TRUE(want.isOk()) << want.status().message();
        auto got = runCuda(cuda::runPooling, a, {x}, want.value(), stream);
        ASSERT_TRUE(got.isOk()) << got.status().message();
        expectNear(
            got.value()[0], want.value()[0], [&](int64_t) { return 4.0 * kFloatEps * 4.0; }, "NaN pooling");
    }
}

TEST(CudaNormPoolChecks, PoolingRefusesAverageOfIntegersAndWrongWindows) {  // runs without a device
    const PoolCase c{{1, 1, 4, 4}, {2, 2}, {2, 2}, {}, {}, {}};
    const HostTensor x(DataType::kINT8, makeDims({1, 1, 4, 4})), y(DataType::kINT8, makeDims({1, 1, 2, 2}));
    expectRefused(
        runWithoutMemory(cuda::runPooling, poolAttrs(c, PoolingType::kAVERAGE, true, 0.0f), {x}, {y}),
        ErrorCode::kINVALID_ARGUMENT, {"int8/uint8 for max pooling only"});
    const PoolCase bad{{1, 1, 4, 4}, {2, 2, 2}, {}, {}, {}, {}};
    const HostTensor xf(DataType::kFLOAT, makeDims({1, 1, 4, 4})),
        yf(DataType::kFLOAT, makeDims({1, 1, 2, 2}));
    expectRefused(
        runWithoutMemory(cuda::runPooling, poolAttrs(bad, PoolingType::kMAX, true, 0.0f), {xf}, {yf}),
        ErrorCode::kINVALID_ARGUMENT, {"windowSize [2,2,2]", "one entry per spatial dim"});
}

}  // namespace
}  // namespace kiln::testing

#else

TEST(CudaNormPoolTest, NotCompiled) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
