// Resize: 2x upsampling of [1,2;3,4] by nearest (each rounding) and linear (each coordinate
// transformation) against values worked out by hand, cubic taps computed by hand, scales-driven versus
// ratio-driven coordinate mapping, then random cases against naive references written here (nearest per
// element; linear and cubic by enumerating every corner/tap of the N-d neighbourhood rather than the
// kernel's separable passes), dynamic-shape inference and error messages.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/movement_test_util.h"

namespace kiln {
namespace {

using testing::allDataTypes;
using testing::failsWith;
using testing::nearValues;
using testing::randomOfType;
using testing::runSingleOp;
using testing::sameBytes;

using CT = ResizeCoordinateTransformation;

ir::ResizeAttrs resizeAttrs(InterpolationMode mode, CT ct, Dims outDims, std::vector<float> scales = {}) {
    ir::ResizeAttrs a;
    a.mode = mode;
    a.coordinateTransformation = ct;
    a.outputDims = outDims;
    a.scales = std::move(scales);
    return a;
}

const HostTensor& square() {
    static const HostTensor x =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 2, 2}), std::vector<float>{1, 2, 3, 4});
    return x;
}

TEST(ResizeOp, NearestUpsample2xEachRoundingAndTransform) {
    struct Case {
        CT ct;
        ResizeRoundMode round;
        std::vector<int> src;  // which input row/column each of the 4 output rows/columns reads
    };
    const std::vector<Case> cases = {
        {CT::kASYMMETRIC, ResizeRoundMode::kFLOOR, {0, 0, 1, 1}},      // x = 0, .5, 1, 1.5
        {CT::kASYMMETRIC, ResizeRoundMode::kCEIL, {0, 1, 1, 1}},       // ceil, then clamp 2 -> 1
        {CT::kASYMMETRIC, ResizeRoundMode::kHALF_UP, {0, 1, 1, 1}},    // .5 rounds up
        {CT::kASYMMETRIC, ResizeRoundMode::kHALF_DOWN, {0, 0, 1, 1}},  // .5 rounds down
        {CT::kHALF_PIXEL, ResizeRoundMode::kHALF_DOWN, {0, 0, 1, 1}},  // x = -.25, .25, .75, 1.25
        {CT::kHALF_PIXEL, ResizeRoundMode::kHALF_UP, {0, 0, 1, 1}},
        {CT::kHALF_PIXEL, ResizeRoundMode::kFLOOR, {0, 0, 0, 1}},       // floor(-.25) = -1 clamps to 0
        {CT::kALIGN_CORNERS, ResizeRoundMode::kHALF_UP, {0, 0, 1, 1}},  // x = 0, 1/3, 2/3, 1
        {CT::kALIGN_CORNERS, ResizeRoundMode::kFLOOR, {0, 0, 0, 1}},
        {CT::kPYTORCH_HALF_PIXEL, ResizeRoundMode::kFLOOR, {0, 0, 0, 1}},
    };
    for (const auto& c : cases) {
        ir::ResizeAttrs a = resizeAttrs(InterpolationMode::kNEAREST, c.ct, makeDims({1, 1, 4, 4}));
        a.nearestRounding = c.round;
        std::vector<double> want;
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j)
                want.push_back(1 + 2 * c.src[static_cast<size_t>(i)] + c.src[static_cast<size_t>(j)]);
        auto r = runSingleOp(a, {square()});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        EXPECT_TRUE(nearValues(r.value()[0], makeDims({1, 1, 4, 4}), want, 0.0))
            << "transform " << static_cast<int>(c.ct) << " rounding " << static_cast<int>(c.round);
    }
}

TEST(ResizeOp, LinearUpsample2xEachTransformEveryFloatType) {
    // The input is the plane v(r, c) = 1 + 2r + c, so bilinear output is 1 + 2 X(i) + X(j), where X is the
    // source coordinate clamped into [0, 1].
    struct Case {
        CT ct;
        std::vector<double> x;
    };
    const std::vector<Case> cases = {{CT::kASYMMETRIC, {0, 0.5, 1, 1}},
                                     {CT::kHALF_PIXEL, {0, 0.25, 0.75, 1}},  // torch align_corners=False
                                     {CT::kPYTORCH_HALF_PIXEL, {0, 0.25, 0.75, 1}},
                                     {CT::kALIGN_CORNERS, {0, 1.0 / 3, 2.0 / 3, 1}}};
    // Tolerance: the exact result rounded to the output type once; half an ulp at |v| <= 4.
    const std::vector<std::pair<DataType, double>> types = {
        {DataType::kFLOAT, 1e-6}, {DataType::kHALF, 2e-3}, {DataType::kBF16, 2e-2}, {DataType::kFP8, 0.25}};
    for (const auto& [t, tol] : types) {
        HostTensor x(t, square().shape);
        for (int i = 0; i < 4; ++i) x.set(i, square().at(i));
        for (const auto& c : cases) {
            std::vector<double> want;
            for (double xi : c.x)
                for (double xj : c.x) want.push_back(1 + 2 * xi + xj);
            auto r = runSingleOp(resizeAttrs(InterpolationMode::kLINEAR, c.ct, makeDims({1, 1, 4, 4})), {x});
            ASSERT_TRUE(r.isOk()) << r.status().message();
            EXPECT_TRUE(nearValues(r.value()[0], makeDims({1, 1, 4, 4}), want, tol))
                << dataTypeName(t) << " transform " << static_cast<int>(c.ct);
        }
    }
}

TEST(ResizeOp, SinglePixelOutputPerTransformAndSelector) {
    struct Case {
        CT ct;
        ResizeSelector sel;
        double want;
    };
    // half pixel: x = 0.5 / 0.5 - 0.5 = 0.5 in both dims -> centre 2.5; pytorch and align corners use 0.
    const std::vector<Case> cases = {{CT::kHALF_PIXEL, ResizeSelector::kFORMULA, 2.5},
                                     {CT::kHALF_PIXEL, ResizeSelector::kUPPER, 1.0},
                                     {CT::kPYTORCH_HALF_PIXEL, ResizeSelector::kFORMULA, 1.0},
                                     {CT::kALIGN_CORNERS, ResizeSelector::kFORMULA, 1.0},
                                     {CT::kASYMMETRIC, ResizeSelector::kFORMULA, 1.0}};
    for (const auto& c : cases) {
        ir::ResizeAttrs a = resizeAttrs(InterpolationMode::kLINEAR, c.ct, makeDims({1, 1, 1, 1}));
        a.selectorForSinglePixel = c.sel;
        auto r = runSingleOp(a, {square()});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        EXPECT_TRUE(nearValues(r.value()[0], makeDims({1, 1, 1, 1}), {c.want}, 1e-6))
            << "transform " << static_cast<int>(c.ct) << " selector " << static_cast<int>(c.sel);
    }
}

TEST(ResizeOp, ScalesDriveTheCoordinateMapping) {
    auto x = HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 4}), std::vector<float>{0, 1, 2, 3});
    // Same output extent 2 either way; with scale 0.6 ONNX maps by 1/0.6, with sizes by in/out = 2.
    // Tolerance: float32 scale 0.6f is not exactly 0.6.
    auto bs = runSingleOp(resizeAttrs(InterpolationMode::kLINEAR, CT::kASYMMETRIC, {}, {1.0f, 0.6f}), {x});
    ASSERT_TRUE(bs.isOk()) << bs.status().message();
    EXPECT_TRUE(nearValues(bs.value()[0], makeDims({1, 2}), {0, 1 / 0.6}, 1e-6));
    auto hs = runSingleOp(resizeAttrs(InterpolationMode::kLINEAR, CT::kHALF_PIXEL, {}, {1.0f, 0.6f}), {x});
    ASSERT_TRUE(hs.isOk()) << hs.status().message();
    EXPECT_TRUE(nearValues(hs.value()[0], makeDims({1, 2}), {0.5 / 0.6 - 0.5, 1.5 / 0.6 - 0.5}, 1e-6));
    auto bd = runSingleOp(resizeAttrs(InterpolationMode::kLINEAR, CT::kASYMMETRIC, makeDims({1, 2})), {x});
    ASSERT_TRUE(bd.isOk()) << bd.status().message();
    EXPECT_TRUE(nearValues(bd.value()[0], makeDims({1, 2}), {0, 2}, 0.0));
    auto hd = runSingleOp(resizeAttrs(InterpolationMode::kLINEAR, CT::kHALF_PIXEL, makeDims({1, 2})), {x});
    ASSERT_TRUE(hd.isOk()) << hd.status().message();
    EXPECT_TRUE(nearValues(hd.value()[0], makeDims({1, 2}), {0.5, 2.5}, 0.0));
    // Nearest 3x by scale on int64: np.repeat.
    auto v = HostTensor::fromVector(DataType::kINT64, makeDims({2}), std::vector<int64_t>{7, -9});
    auto n3 = runSingleOp(resizeAttrs(InterpolationMode::kNEAREST, CT::kASYMMETRIC, {}, {3.0f}), {v});
    ASSERT_TRUE(n3.isOk()) << n3.status().message();
    EXPECT_TRUE(nearValues(n3.value()[0], makeDims({6}), {7, 7, 7, -9, -9, -9}, 0.0));
}

TEST(ResizeOp, CubicHandComputed) {
    // data [1, 2, 4, 8] -> 8 samples, asymmetric (x = y / 2), A = -0.75. At s = 0.5 the four weights are
    // [A/8, 1/2 - A/8, 1/2 - A/8, A/8] = [-0.09375, 0.59375, 0.59375, -0.09375]; edge taps clamp to the
    // border value; at s = 0 the output is the input sample.
    auto x = HostTensor::fromVector(DataType::kFLOAT, makeDims({4}), std::vector<float>{1, 2, 4, 8});
    ir::ResizeAttrs a = resizeAttrs(InterpolationMode::kCUBIC, CT::kASYMMETRIC, makeDims({8}));
    auto r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    // y=1: taps [1,1,2,4]; y=3: [1,2,4,8]; y=5: [2,4,8,8]; y=7: [4,8,8,8].
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({8}), {1, 1.3125, 2, 2.71875, 4, 6.1875, 8, 8.375}, 1e-6));
    // excludeOutside drops out-of-range taps and renormalizes: y=1 -> (0.59375 + 1.1875 - 0.375) / 1.09375.
    a.excludeOutside = true;
    auto e = runSingleOp(a, {x});
    ASSERT_TRUE(e.isOk()) << e.status().message();
    EXPECT_NEAR(e.value()[0].at(1), 9.0 / 7.0, 1e-6);
    EXPECT_NEAR(e.value()[0].at(3), 2.71875, 1e-6);  // all taps inside: unchanged
    EXPECT_NEAR(e.value()[0].at(7), (-0.375 + 4.75) / 0.5, 1e-6);
}

/// The ONNX Resize formula for the source coordinate of output index y (written from the spec). `length` is
/// the resized length: in * scale when scales gave the extent (align_corners then divides by in * scale - 1,
/// as ONNX does), else the output extent.
double sourceCoord(const ir::ResizeAttrs& a, int64_t y, int64_t in, int64_t out, double scale,
                   double length) {
    if (out == 1 && a.selectorForSinglePixel == ResizeSelector::kUPPER) return 0;
    switch (a.coordinateTransformation) {
        case CT::kHALF_PIXEL:
            return (y + 0.5) / scale - 0.5;
        case CT::kPYTORCH_HALF_PIXEL:
            return out > 1 ? (y + 0.5) / scale - 0.5 : 0.0;
        case CT::kALIGN_CORNERS:
            return length == 1 ? 0.0 : static_cast<double>(y) * static_cast<double>(in - 1) / (length - 1);
        case CT::kASYMMETRIC:
            return y / scale;
        case CT::kHALF_PIXEL_SYMMETRIC:
        case CT::kTF_CROP_AND_RESIZE:
            // They need the resized length in * scale or a region: resize_modes_test.cc covers them.
            ADD_FAILURE() << "transform " << static_cast<int>(a.coordinateTransformation)
                          << " is not modelled here";
            break;
    }
    return 0;
}

/// Naive N-d reference: per output element, enumerate every combination of per-dim taps.
HostTensor resizeReference(const HostTensor& in, const ir::ResizeAttrs& a, const Dims& outShape) {
    const int r = in.shape.nbDims;
    HostTensor out(in.type, outShape);
    std::vector<int64_t> c(static_cast<size_t>(r), 0);
    int64_t flat = 0;
    do {
        std::vector<std::vector<std::pair<int64_t, double>>> taps(static_cast<size_t>(r));
        for (int d = 0; d < r; ++d) {
            const int64_t n = in.shape.d[d], o = outShape.d[d];
            const double scale =
                a.scales.empty() ? static_cast<double>(o) / n : a.scales[static_cast<size_t>(d)];
            const double length = a.scales.empty() ? static_cast<double>(o) : static_cast<double>(n) * scale;
            double x = sourceCoord(a, c[static_cast<size_t>(d)], n, o, scale, length);
            auto& t = taps[static_cast<size_t>(d)];
            if (a.mode == InterpolationMode::kNEAREST) {
                double k =
                    a.nearestRounding == ResizeRoundMode::kFLOOR  ? std::floor(x)
                    : a.nearestRounding == ResizeRoundMode::kCEIL ? std::ceil(x)
                    : (x - std::floor(x) == 0.5)
                        ? (a.nearestRounding == ResizeRoundMode::kHALF_UP ? std::ceil(x) : std::floor(x))
                        : std::round(x);
                t.push_back({std::clamp<int64_t>(static_cast<int64_t>(k), 0, n - 1), 1.0});
            } else if (a.mode == InterpolationMode::kLINEAR) {
                x = std::clamp(x, 0.0, static_cast<double>(n - 1));
                const int64_t lo = static_cast<int64_t>(x);
                t.push_back({lo, 1 - (x - lo)});
                t.push_back({std::min(lo + 1, n - 1), x - lo});
            } else {
                const double A = a.cubicCoeff;
                auto kernel = [A](double s) {  // Keys' cubic kernel, |s| in [0, 2)
                    s = std::fabs(s);
                    return s <= 1 ? ((A + 2) * s - (A + 3)) * s * s + 1
                                  : ((A * s - 5 * A) * s + 8 * A) * s - 4 * A;
                };
                const int64_t f = static_cast<int64_t>(std::floor(x));
                double sum = 0;
                for (int64_t i = f - 1; i <= f + 2; ++i) {
                    if (a.excludeOutside && (i < 0 || i >= n)) continue;
                    t.push_back({std::clamp<int64_t>(i, 0, n - 1), kernel(x - static_cast<double>(i))});
                    sum += t.back().second;
                }
                if (a.excludeOutside)
                    for (auto& p : t) p.second /= sum;
            }
        }
        double acc = 0;
        std::vector<size_t> pick(static_cast<size_t>(r), 0);
        while (true) {
            double w = 1;
            std::vector<int64_t> src(static_cast<size_t>(r));
            for (int d = 0; d < r; ++d) {
                const auto& p = taps[static_cast<size_t>(d)][pick[static_cast<size_t>(d)]];
                src[static_cast<size_t>(d)] = p.first;
                w *= p.second;
            }
            if (a.mode == InterpolationMode::kNEAREST) {
                testing::copyElement(out, flat, in, testing::flatOf(src, in.shape));
            } else if (w != 0) {
                acc += w * in.at(testing::flatOf(src, in.shape));
            }
            int d = r - 1;
            while (d >= 0 && ++pick[static_cast<size_t>(d)] == taps[static_cast<size_t>(d)].size())
                pick[static_cast<size_t>(d--)] = 0;
            if (d < 0) break;
        }
        if (a.mode != InterpolationMode::kNEAREST) out.set(flat, acc);
        ++flat;
    } while (testing::nextCoords(c, outShape));
    return out;
}

struct RandomCase {
    Dims in;
    Dims outDims;               // empty when scales are used
    std::vector<float> scales;  // empty when outDims are used
    Dims expectedOut;
};

const std::vector<RandomCase>& randomCases() {
    static const std::vector<RandomCase> cases = {
        {makeDims({2, 3, 7, 5}), makeDims({2, 3, 11, 4}), {}, makeDims({2, 3, 11, 4})},
        {makeDims({1, 2, 5, 3}), makeDims({1, 2, 2, 13}), {}, makeDims({1, 2, 2, 13})},
        {makeDims({3, 7}), {}, {1.0f, 2.5f}, makeDims({3, 17})},
        {makeDims({1, 1, 9, 4}), {}, {1.0f, 1.0f, 0.7f, 1.5f}, makeDims({1, 1, 6, 6})},
        {makeDims({2, 3, 4}), makeDims({3, 1, 4}), {}, makeDims({3, 1, 4})},  // resizes a "batch" dim too
    };
    return cases;
}

TEST(ResizeOp, NearestEveryTypeMatchesReference) {
    uint64_t seed = 3;
    for (DataType t : allDataTypes()) {
        for (const auto& c : randomCases()) {
            for (CT ct : {CT::kASYMMETRIC, CT::kHALF_PIXEL, CT::kALIGN_CORNERS, CT::kPYTORCH_HALF_PIXEL}) {
                for (ResizeRoundMode rm : {ResizeRoundMode::kHALF_UP, ResizeRoundMode::kHALF_DOWN,
                                           ResizeRoundMode::kFLOOR, ResizeRoundMode::kCEIL}) {
                    ir::ResizeAttrs a = resizeAttrs(InterpolationMode::kNEAREST, ct, c.outDims, c.scales);
                    a.nearestRounding = rm;
                    HostTensor x = randomOfType(t, c.in, seed++);
                    auto r = runSingleOp(a, {x});
                    const std::string params = std::string(dataTypeName(t)) + " " + toString(c.in) + " -> " +
                                               toString(c.expectedOut) + " transform " +
                                               std::to_string(static_cast<int>(ct)) + " rounding " +
                                               std::to_string(static_cast<int>(rm));
                    ASSERT_TRUE(r.isOk()) << params << ": " << r.status().message();
                    EXPECT_TRUE(sameBytes(r.value()[0], resizeReference(x, a, c.expectedOut))) << params;
                }
            }
        }
    }
}

TEST(ResizeOp, LinearAndCubicMatchReference) {
    // Tolerance: kernel and reference both accumulate in double and round once to the output type; they
    // sum in different orders, so allow a few double ulps for float32 and one output ulp otherwise.
    const std::vector<std::pair<DataType, double>> types = {
        {DataType::kFLOAT, 1e-5}, {DataType::kHALF, 1e-3}, {DataType::kBF16, 8e-3}};
    uint64_t seed = 77;
    for (const auto& [t, relTol] : types) {
        for (const auto& c : randomCases()) {
            for (CT ct : {CT::kASYMMETRIC, CT::kHALF_PIXEL, CT::kALIGN_CORNERS, CT::kPYTORCH_HALF_PIXEL}) {
                for (InterpolationMode m : {InterpolationMode::kLINEAR, InterpolationMode::kCUBIC}) {
                    for (bool exclude : {false, true}) {
                        if (m == InterpolationMode::kLINEAR && exclude) continue;
                        ir::ResizeAttrs a = resizeAttrs(m, ct, c.outDims, c.scales);
                        a.excludeOutside = exclude;
                        a.cubicCoeff = -0.5f;  // also the non-default coefficient
                        HostTensor x = randomOfType(t, c.in, seed++);
                        auto r = runSingleOp(a, {x});
                        const std::string params = std::string(dataTypeName(t)) + " " + toString(c.in) +
                                                   " -> " + toString(c.expectedOut) + " mode " +
                                                   std::to_string(static_cast<int>(m)) + " transform " +
                                                   std::to_string(static_cast<int>(ct)) + " exclude " +
                                                   std::to_string(exclude);
                        ASSERT_TRUE(r.isOk()) << params << ": " << r.status().message();
                        HostTensor want = resizeReference(x, a, c.expectedOut);
                        ASSERT_EQ(r.value()[0].shape, want.shape) << params;
                        for (int64_t i = 0; i < want.numel(); ++i)
                            ASSERT_NEAR(r.value()[0].at(i), want.at(i),
                                        relTol * std::max(1.0, std::fabs(want.at(i))))
                                << params << " element " << i;
                    }
                }
            }
        }
    }
}

TEST(MovementLarge, ResizeSplitsAcrossThreads) {
    HostTensor x = randomOfType(DataType::kFLOAT, makeDims({1, 3, 64, 61}), 12);
    for (InterpolationMode m : {InterpolationMode::kNEAREST, InterpolationMode::kLINEAR}) {
        ir::ResizeAttrs a = resizeAttrs(m, CT::kHALF_PIXEL, makeDims({1, 3, 128, 122}));
        auto r = runSingleOp(a, {x});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        HostTensor want = resizeReference(x, a, a.outputDims);
        for (int64_t i = 0; i < want.numel(); ++i)  // Tolerance: float32 rounding of a double sum.
            ASSERT_NEAR(r.value()[0].at(i), want.at(i), 1e-5 * std::max(1.0, std::fabs(want.at(i))))
                << "mode " << static_cast<int>(m) << " element " << i;
    }
}

TEST(ResizeOp, OutputDimsFromShapeTensorAndDynamicInference) {
    HostTensor x = randomOfType(DataType::kINT8, makeDims({1, 2, 3, 3}), 5);
    auto dims = HostTensor::fromVector(DataType::kINT32, makeDims({4}), std::vector<int>{1, 2, 6, 5});
    ir::ResizeAttrs a = resizeAttrs(InterpolationMode::kNEAREST, CT::kASYMMETRIC, {});
    auto r = runSingleOp(a, {x, dims});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(sameBytes(r.value()[0], resizeReference(x, a, makeDims({1, 2, 6, 5}))));

    std::vector<ir::TensorDesc> in(2), out(1);
    in[0].type = DataType::kFLOAT;
    in[0].shape = makeDims({-1, 3, 8, 8});
    in[1].type = DataType::kINT64;
    in[1].shape = makeDims({4});  // values unknown
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(a, ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, -1, -1, -1}));
    std::vector<ir::TensorDesc> one(in.begin(), in.begin() + 1);
    ir::InferContext ctx1{one, out};
    ASSERT_TRUE(
        ir::inferNode(resizeAttrs(InterpolationMode::kLINEAR, CT::kHALF_PIXEL, {}, {1, 1, 2, 0.5f}), ctx1)
            .isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, 3, 16, 4}));
}

TEST(ResizeOp, Errors) {
    HostTensor x = randomOfType(DataType::kFLOAT, makeDims({1, 2, 3}), 1);
    const auto lin = InterpolationMode::kLINEAR;
    EXPECT_TRUE(failsWith(resizeAttrs(lin, CT::kASYMMETRIC, makeDims({1, 2, 6})),
                          {randomOfType(DataType::kINT32, makeDims({1, 2, 3}), 1)},
                          {"need a float input", "int32"}));
    EXPECT_TRUE(failsWith(resizeAttrs(lin, CT::kASYMMETRIC, {}), {x}, {"needs output dims, scales"}));
    EXPECT_TRUE(
        failsWith(resizeAttrs(lin, CT::kASYMMETRIC, makeDims({1, 2, 6}), {1, 1, 2}), {x}, {"not both"}));
    EXPECT_TRUE(failsWith(resizeAttrs(lin, CT::kASYMMETRIC, {}, {1, 2}), {x}, {"2 scales", "[1,2,3]"}));
    EXPECT_TRUE(failsWith(resizeAttrs(lin, CT::kASYMMETRIC, {}, {1, 0, 2}), {x}, {"scale 1", "> 0"}));
    EXPECT_TRUE(
        failsWith(resizeAttrs(lin, CT::kASYMMETRIC, makeDims({2, 6})), {x}, {"[2,6]", "rank 2", "rank 3"}));
    EXPECT_TRUE(failsWith(resizeAttrs(lin, CT::kASYMMETRIC, makeDims({1, -2, 6})), {x},
                          {"negative extent", "dimension 1"}));
    EXPECT_TRUE(failsWith(resizeAttrs(lin, CT::kASYMMETRIC, makeDims({1, 2, 4})),
                          {HostTensor(DataType::kFLOAT, makeDims({1, 2, 0}))},
                          {"empty dimension 2", "[1,2,0]"}));
    auto dims = HostTensor::fromVector(DataType::kINT64, makeDims({2}), std::vector<int64_t>{2, 2});
    EXPECT_TRUE(
        failsWith(resizeAttrs(lin, CT::kASYMMETRIC, {}), {x, dims}, {"input 1", "2 entries", "rank 3"}));
    ir::ResizeAttrs bad = resizeAttrs(lin, static_cast<CT>(7), makeDims({1, 2, 6}));
    EXPECT_TRUE(failsWith(bad, {x}, {"unknown coordinate transformation 7"}));
    EXPECT_TRUE(failsWith(resizeAttrs(InterpolationMode::kNEAREST, CT::kASYMMETRIC, makeDims({1})),
                          {HostTensor(DataType::kFLOAT, Dims{})}, {"rank >= 1"}));
}

}  // namespace
}  // namespace kiln
