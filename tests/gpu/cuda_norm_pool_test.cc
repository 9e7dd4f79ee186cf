// GPU tests of the Normalization and Pooling CUDA kernels against the reference kernels on the host:
// layer / instance / group norm (per-channel and per-group affine, 1-D to 3-D spatial, mixed float types,
// warp- and block-sized groups, constant groups), and max / average / blend pooling in 1-D, 2-D and 3-D
// with stride, dilation, explicit and SAME padding, ceil mode, count-includes-padding, global windows
// and int8 / uint8 / fp8 max pooling. Max pooling is exact; averages and normalization are compared with
// a tolerance from float32's rounding over the reduction length plus one ulp of the output type.
// Skipped, never passed, without a CUDA device.
#include <gtest/gtest.h>

#if defined(KILN_HAS_CUDA)

#include <cmath>
#include <string>
#include <vector>

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

void checkPool(cudaStream_t stream, const PoolCase& c, PoolingType type, DataType t, bool excludePadding,
               uint64_t seed) {
    const float blend = type == PoolingType::kMAX_AVERAGE_BLEND ? 0.3f : 0.0f;
    const ir::PoolingAttrs a = poolAttrs(c, type, excludePadding, blend);
    const Dims xs = dimsOf(c.x);
    const bool integer = t == DataType::kINT8 || t == DataType::kUINT8;
    const HostTensor x = HostTensor::random(t, xs, seed, integer ? 0.0 : -3.0, integer ? 120.0 : 3.0);
    std::string what = "Pooling type " + std::to_string(static_cast<int>(type)) + " of " + describe(xs, t) +
                       " window " + toString(a.windowSize) + " stride " + toString(a.stride) + " pre " +
                       toString(a.prePadding) + " post " + toString(a.postPadding) + " dilation " +
                       toString(a.dilation) + " mode " + std::to_string(static_cast<int>(c.mode)) +
                       (c.global ? " global" : "") + (excludePadding ? "" : " count-includes-padding");
    auto want = runSingleOp(a, {x});
    ASSERT_TRUE(want.isOk()) << what << ": " << want.status().message();
    const HostTensor& w = want.value()[0];
    auto got = runCuda(cuda::runPooling, a, {x}, {w}, stream);
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
