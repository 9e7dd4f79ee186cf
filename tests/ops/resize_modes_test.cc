// Resize's ONNX-only modes: scales given at run time (input 2, alone or with explicit extents), the
// resized length in * scale in align_corners, half_pixel_symmetric, tf_crop_and_resize (region of
// interest as attribute or input 3, extrapolation value), and antialiased linear/cubic downsampling.
// Hand-computed 1-D cases first, then random N-d cases against a naive reference written here: per
// output element, every tap of every axis is found by scanning the input indices whose filter weight
// K((j - x) * s) is non-zero (not the kernel's window arithmetic), and the products are summed in double.
// Then inference with known and unknown scales, and error messages.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/movement_test_util.h"

namespace kiln {
namespace {

using testing::failsWith;
using testing::nearValues;
using testing::randomOfType;
using testing::runSingleOp;
using testing::sameBytes;

using CT = ResizeCoordinateTransformation;
using IM = InterpolationMode;

ir::ResizeAttrs attrsOf(IM mode, CT ct) {
    ir::ResizeAttrs a;
    a.mode = mode;
    a.coordinateTransformation = ct;
    return a;
}

HostTensor floats(Dims shape, const std::vector<float>& v) {
    return HostTensor::fromVector(DataType::kFLOAT, shape, v);
}

HostTensor vec(const std::vector<float>& v) {
    return floats(makeDims({static_cast<int64_t>(v.size())}), v);
}

TEST(ResizeModes, AlignCornersWithScalesUsesInTimesScale) {
    // [1,2,3,4] at scale 0.6: 2 outputs, resized length 2.4, so x(1) = 1 * 3 / 1.4 (ONNX), not 3 / 1.
    const std::vector<double> want = {1, 3 + (3.0 / 1.4 - 2)};
    ir::ResizeAttrs a = attrsOf(IM::kLINEAR, CT::kALIGN_CORNERS);
    a.scales = {0.6f};
    auto r = runSingleOp(a, {vec({1, 2, 3, 4})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({2}), want, 1e-6)) << "scales attribute";
    // The same through the run-time scales input. Tolerance: 0.6f is 0.6 + 2.4e-8.
    auto t = runSingleOp(attrsOf(IM::kLINEAR, CT::kALIGN_CORNERS),
                         {vec({1, 2, 3, 4}), HostTensor::absent(), vec({0.6f})});
    ASSERT_TRUE(t.isOk()) << t.status().message();
    EXPECT_TRUE(nearValues(t.value()[0], makeDims({2}), want, 1e-6)) << "scales input 2";
    // With explicit extents the resized length is the extent: x(1) = 3.
    ir::ResizeAttrs d = attrsOf(IM::kLINEAR, CT::kALIGN_CORNERS);
    d.outputDims = makeDims({2});
    auto e = runSingleOp(d, {vec({1, 2, 3, 4})});
    ASSERT_TRUE(e.isOk()) << e.status().message();
    EXPECT_TRUE(nearValues(e.value()[0], makeDims({2}), {1, 4}, 0.0));
}

TEST(ResizeModes, HalfPixelSymmetric) {
    // in 4, scale 0.6: out 2, length 2.4; offset = 2 * (1 - 2 / 2.4) = 1/3; x = 1/3 + (y + .5) / .6 - .5
    // = 2/3, 7/3 -> 1 + x = 5/3, 10/3 on [1,2,3,4].
    auto r = runSingleOp(attrsOf(IM::kLINEAR, CT::kHALF_PIXEL_SYMMETRIC),
                         {vec({1, 2, 3, 4}), HostTensor::absent(), vec({0.6f})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({2}), {5.0 / 3, 10.0 / 3}, 1e-6));
    // When in * scale is whole it is plain half pixel: 2x of [1,2] -> x = -.25, .25, .75, 1.25.
    auto u = runSingleOp(attrsOf(IM::kLINEAR, CT::kHALF_PIXEL_SYMMETRIC),
                         {vec({1, 2}), HostTensor::absent(), vec({2.0f})});
    ASSERT_TRUE(u.isOk()) << u.status().message();
    EXPECT_TRUE(nearValues(u.value()[0], makeDims({4}), {1, 1.25, 1.75, 2}, 1e-6));
}

TEST(ResizeModes, TfCropAndResizeRoiAndExtrapolation) {
    // in 5 ([0,10,20,30,40]), roi [0.25, 1.25], 3 outputs: x = 0.25 * 4 + y * 1.0 * 4 / 2 = 1, 3, 5; 5 is
    // past the last index 4 and takes the extrapolation value.
    const HostTensor x = vec({0, 10, 20, 30, 40});
    ir::ResizeAttrs a = attrsOf(IM::kLINEAR, CT::kTF_CROP_AND_RESIZE);
    a.outputDims = makeDims({3});
    a.roi = {0.25f, 1.25f};
    a.extrapolationValue = -7.0f;
    auto r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({3}), {10, 30, -7}, 1e-6)) << "roi attribute";
    // The region at run time (input 3) gives the same.
    ir::ResizeAttrs b = a;
    b.roi.clear();
    auto t = runSingleOp(b, {x, HostTensor::absent(), HostTensor::absent(), vec({0.25f, 1.25f})});
    ASSERT_TRUE(t.isOk()) << t.status().message();
    EXPECT_TRUE(nearValues(t.value()[0], makeDims({3}), {10, 30, -7}, 1e-6)) << "roi input 3";
    // Nearest on int32 copies and fills with the extrapolation value in the tensor's type.
    ir::ResizeAttrs n = a;
    n.mode = IM::kNEAREST;
    auto xi = HostTensor::fromVector(DataType::kINT32, makeDims({5}), std::vector<int>{0, 10, 20, 30, 40});
    auto ri = runSingleOp(n, {xi});
    ASSERT_TRUE(ri.isOk()) << ri.status().message();
    EXPECT_TRUE(nearValues(ri.value()[0], makeDims({3}), {10, 30, -7}, 0.0)) << "nearest int32";
    // One output samples the middle of the region: 0.5 * (0.25 + 1.25) * 4 = 3.
    ir::ResizeAttrs one = a;
    one.outputDims = makeDims({1});
    auto o = runSingleOp(one, {x});
    ASSERT_TRUE(o.isOk()) << o.status().message();
    EXPECT_TRUE(nearValues(o.value()[0], makeDims({1}), {30}, 1e-6)) << "single output";
    // Without a region the whole input is sampled corner to corner (align_corners).
    ir::ResizeAttrs whole = a;
    whole.roi.clear();
    auto w = runSingleOp(whole, {x});
    ASSERT_TRUE(w.isOk()) << w.status().message();
    EXPECT_TRUE(nearValues(w.value()[0], makeDims({3}), {0, 20, 40}, 1e-6)) << "no region";
}

TEST(ResizeModes, AntialiasHandComputed) {
    // [1,2,4,8] at scale 0.5, half pixel: x = 0.5, 2.5; the filter is stretched by 2.
    // Linear: taps k = -1..2 around the cell at distance (k - .5) * .5 -> weights .25,.75,.75,.25 over 2:
    // y0 = (.25*1 + .75*1 + .75*2 + .25*4) / 2 = 1.75, y1 = (.25*2 + .75*4 + .75*8 + .25*8) / 2 = 5.75.
    ir::ResizeAttrs a = attrsOf(IM::kLINEAR, CT::kHALF_PIXEL);
    a.scales = {0.5f};
    a.antialias = true;
    auto r = runSingleOp(a, {vec({1, 2, 4, 8})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({2}), {1.75, 5.75}, 1e-6)) << "linear";
    // Cubic (A = -0.75): eight taps at distances +-.125, +-.375, +-.625, +-.875 (Keys at twice those):
    // .87890625, .26171875, -.10546875, -.03515625 each side, sum 2. Edge taps clamp.
    const double w0 = 0.87890625, w1 = 0.26171875, w2 = -0.10546875, w3 = -0.03515625;
    const double y0 = ((w3 + w2 + w1 + w0) * 1 + w0 * 2 + w1 * 4 + (w2 + w3) * 8) / 2;
    const double y1 = (w3 * 1 + w2 * 1 + w1 * 2 + w0 * 4 + w0 * 8 + (w1 + w2 + w3) * 8) / 2;
    a.mode = IM::kCUBIC;
    auto c = runSingleOp(a, {vec({1, 2, 4, 8})});
    ASSERT_TRUE(c.isOk()) << c.status().message();
    EXPECT_TRUE(nearValues(c.value()[0], makeDims({2}), {y0, y1}, 1e-6)) << "cubic";
    // Upsampling is unaffected: the filter is never narrowed.
    ir::ResizeAttrs up = attrsOf(IM::kLINEAR, CT::kHALF_PIXEL);
    up.scales = {2.0f};
    ir::ResizeAttrs upAa = up;
    upAa.antialias = true;
    auto p = runSingleOp(up, {vec({1, 2, 4})});
    auto q = runSingleOp(upAa, {vec({1, 2, 4})});
    ASSERT_TRUE(p.isOk() && q.isOk());
    EXPECT_TRUE(sameBytes(q.value()[0], p.value()[0]));
}

TEST(ResizeModes, ScalesInputWithExplicitExtents) {
    // Extents from input 1 (3), mapping from the scale of input 2 (0.5, asymmetric): x = 0, 2, 4 -> the
    // last clamps to 3. With out/in = 3/4 it would be x = 0, 4/3, 8/3.
    auto r = runSingleOp(attrsOf(IM::kLINEAR, CT::kASYMMETRIC),
                         {vec({0, 10, 20, 30}), testing::int64Vector({3}), vec({0.5f})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(nearValues(r.value()[0], makeDims({3}), {0, 20, 30}, 1e-6));
    ir::ResizeAttrs d = attrsOf(IM::kLINEAR, CT::kASYMMETRIC);
    d.outputDims = makeDims({3});
    auto s = runSingleOp(d, {vec({0, 10, 20, 30}), HostTensor::absent(), vec({0.5f})});
    ASSERT_TRUE(s.isOk()) << s.status().message();
    EXPECT_TRUE(nearValues(s.value()[0], makeDims({3}), {0, 20, 30}, 1e-6)) << "output dims attribute";
}

// ---- random N-d cases against a naive reference ----

struct RefAxis {
    int64_t in{0}, out{0};
    double scale{1}, length{0}, roiStart{0}, roiEnd{1};
};

/// The source coordinate, from the formulas of the ONNX operator spec.
double refSource(const ir::ResizeAttrs& a, const RefAxis& x, int64_t y, bool* extrapolated) {
    *extrapolated = false;
    const double yd = static_cast<double>(y), last = static_cast<double>(x.in - 1);
    switch (a.coordinateTransformation) {
        case CT::kALIGN_CORNERS:
            return x.length == 1 ? 0.0 : yd * last / (x.length - 1);
        case CT::kASYMMETRIC:
            return yd / x.scale;
        case CT::kHALF_PIXEL:
            return (yd + 0.5) / x.scale - 0.5;
        case CT::kPYTORCH_HALF_PIXEL:
            return x.out > 1 ? (yd + 0.5) / x.scale - 0.5 : 0.0;
        case CT::kHALF_PIXEL_SYMMETRIC:
            return static_cast<double>(x.in) / 2 * (1 - static_cast<double>(x.out) / x.length) +
                   (yd + 0.5) / x.scale - 0.5;
        case CT::kTF_CROP_AND_RESIZE: {
            const double v = x.length > 1
                                 ? x.roiStart * last + yd * (x.roiEnd - x.roiStart) * last / (x.length - 1)
                                 : 0.5 * (x.roiStart + x.roiEnd) * last;
            *extrapolated = v < 0 || v > last;
            return v;
        }
    }
    return 0;
}

/// Every input index with a non-zero filter weight, found by scanning a generous range.
std::vector<std::pair<int64_t, double>> refTaps(const ir::ResizeAttrs& a, double x, int64_t n, double scale) {
    const double s = a.antialias ? std::min(scale, 1.0) : 1.0;
    const double radius = a.mode == IM::kLINEAR ? 1.0 : 2.0;
    const double A = a.cubicCoeff;
    auto filter = [&](double t) {
        t = std::fabs(t);
        if (a.mode == IM::kLINEAR) return t < 1 ? 1 - t : 0.0;
        if (t <= 1) return (A + 2) * t * t * t - (A + 3) * t * t + 1;
        if (t < 2) return A * t * t * t - 5 * A * t * t + 8 * A * t - 4 * A;
        return 0.0;
    };
    std::vector<std::pair<int64_t, double>> taps;
    double sum = 0;
    const int64_t reach = static_cast<int64_t>(std::ceil(radius / s)) + 2;
    for (int64_t j = static_cast<int64_t>(std::floor(x)) - reach;
         j <= static_cast<int64_t>(std::floor(x)) + reach; ++j) {
        const double w = filter((static_cast<double>(j) - x) * s);
        if (w == 0 || (a.excludeOutside && (j < 0 || j >= n))) continue;
        taps.push_back({std::clamp<int64_t>(j, 0, n - 1), w});
        sum += w;
    }
    if (a.excludeOutside || s < 1)
        for (auto& t : taps) t.second /= sum;
    return taps;
}

/// Naive N-d resize of a float tensor; `axes` carries the per-dimension parameters.
std::vector<double> refResize(const HostTensor& in, const ir::ResizeAttrs& a,
                              const std::vector<RefAxis>& axes) {
    const int r = in.shape.nbDims;
    Dims outShape = in.shape;
    for (int d = 0; d < r; ++d) outShape.d[d] = axes[static_cast<size_t>(d)].out;
    std::vector<double> out;
    std::vector<int64_t> c(static_cast<size_t>(r), 0);
    do {
        std::vector<std::vector<std::pair<int64_t, double>>> taps(static_cast<size_t>(r));
        bool extrapolated = false;
        for (int d = 0; d < r; ++d) {
            const RefAxis& ax = axes[static_cast<size_t>(d)];
            bool e = false;
            const double x = refSource(a, ax, c[static_cast<size_t>(d)], &e);
            extrapolated = extrapolated || e;
            taps[static_cast<size_t>(d)] = refTaps(a, x, ax.in, ax.scale);
        }
        if (extrapolated) {
            out.push_back(a.extrapolationValue);
            continue;
        }
        // excludeOutside with every tap outside (x far past the input): no weight at all, as in the ONNX
        // reference, which then yields 0.
        bool none = false;
        for (const auto& t : taps) none = none || t.empty();
        if (none) {
            out.push_back(0.0);
            continue;
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
            acc += w * in.at(testing::flatOf(src, in.shape));
            int d = r - 1;
            while (d >= 0 && ++pick[static_cast<size_t>(d)] == taps[static_cast<size_t>(d)].size())
                pick[static_cast<size_t>(d--)] = 0;
            if (d < 0) break;
        }
        out.push_back(acc);
    } while (testing::nextCoords(c, outShape));
    return out;
}

TEST(ResizeModes, RandomCasesMatchNaiveReference) {
    struct Case {
        Dims in;
        std::vector<float> scales;  // run-time scales (input 2)
        Dims dims;                  // explicit extents (input 1) or empty
        std::vector<float> roi;     // for tf_crop_and_resize
    };
    const std::vector<Case> cases = {
        {makeDims({2, 7, 5}), {1.0f, 0.43f, 0.6f}, {}, {0, 0.1f, -0.2f, 1, 0.8f, 1.3f}},
        {makeDims({3, 11}), {1.0f, 0.3f}, {}, {0, 0.25f, 1, 0.75f}},
        {makeDims({1, 5, 13}), {1.0f, 1.7f, 0.23f}, {}, {0, -0.1f, 0.05f, 1, 1.1f, 0.95f}},
        {makeDims({3, 9}), {1.0f, 0.45f}, makeDims({3, 5}), {0, 0.2f, 1, 0.9f}},  // extents given too
    };
    const std::vector<CT> transforms = {CT::kHALF_PIXEL, CT::kALIGN_CORNERS, CT::kASYMMETRIC,
                                        CT::kHALF_PIXEL_SYMMETRIC, CT::kTF_CROP_AND_RESIZE};
    uint64_t seed = 101;
    for (const Case& c : cases) {
        for (CT ct : transforms) {
            for (IM m : {IM::kLINEAR, IM::kCUBIC}) {
                for (int flags = 0; flags < 4; ++flags) {
                    ir::ResizeAttrs a = attrsOf(m, ct);
                    a.antialias = flags & 1;
                    a.excludeOutside = flags & 2;
                    a.cubicCoeff = -0.5f;
                    a.extrapolationValue = 3.25f;
                    const bool roiAsInput = (seed % 2) == 0;
                    if (ct == CT::kTF_CROP_AND_RESIZE && !roiAsInput) a.roi = c.roi;
                    HostTensor x = randomOfType(DataType::kFLOAT, c.in, seed++);
                    std::vector<HostTensor> inputs = {x, HostTensor::absent(), vec(c.scales)};
                    if (c.dims.nbDims > 0) {
                        inputs[1] =
                            testing::int64Vector(std::vector<int64_t>(c.dims.d, c.dims.d + c.dims.nbDims));
                    }
                    if (ct == CT::kTF_CROP_AND_RESIZE && roiAsInput) inputs.push_back(vec(c.roi));
                    std::vector<RefAxis> axes;
                    for (int d = 0; d < c.in.nbDims; ++d) {
                        RefAxis ax;
                        ax.in = c.in.d[d];
                        ax.scale = c.scales[static_cast<size_t>(d)];
                        ax.length = static_cast<double>(ax.in) * ax.scale;
                        ax.out =
                            c.dims.nbDims > 0 ? c.dims.d[d] : static_cast<int64_t>(std::floor(ax.length));
                        if (ct == CT::kTF_CROP_AND_RESIZE) {
                            ax.roiStart = c.roi[static_cast<size_t>(d)];
                            ax.roiEnd = c.roi[static_cast<size_t>(d + c.in.nbDims)];
                        }
                        axes.push_back(ax);
                    }
                    const std::string params =
                        toString(c.in) + " transform " + std::to_string(static_cast<int>(ct)) + " mode " +
                        std::to_string(static_cast<int>(m)) + " antialias " + std::to_string(a.antialias) +
                        " exclude " + std::to_string(a.excludeOutside) + " roi input " +
                        std::to_string(roiAsInput);
                    auto r = runSingleOp(a, inputs);
                    ASSERT_TRUE(r.isOk()) << params << ": " << r.status().message();
                    const std::vector<double> want = refResize(x, a, axes);
                    ASSERT_EQ(r.value()[0].numel(), static_cast<int64_t>(want.size())) << params;
                    // Tolerance: both sides sum in double; float32 output rounding (relative 6e-8) plus
                    // the different summation order, on values up to ~100 times filter gains up to ~1.5.
                    for (size_t i = 0; i < want.size(); ++i)
                        ASSERT_NEAR(r.value()[0].at(static_cast<int64_t>(i)), want[i],
                                    1e-5 * std::max(1.0, std::fabs(want[i])))
                            << params << " element " << i;
                }
            }
        }
    }
}

TEST(ResizeModes, NearestTfCropEveryTypeIsByteExact) {
    // Nearest with a region partly outside the input: copies bytes, fills with the extrapolation value.
    const HostTensor roi = vec({0, -0.3f, 1, 0.9f});
    for (DataType t : testing::allDataTypes()) {
        HostTensor x = randomOfType(t, makeDims({3, 7}), 9);
        ir::ResizeAttrs a = attrsOf(IM::kNEAREST, CT::kTF_CROP_AND_RESIZE);
        a.outputDims = makeDims({3, 11});
        a.extrapolationValue = 1.0f;
        a.nearestRounding = ResizeRoundMode::kHALF_UP;
        auto r = runSingleOp(a, {x, HostTensor::absent(), HostTensor::absent(), roi});
        ASSERT_TRUE(r.isOk()) << dataTypeName(t) << ": " << r.status().message();
        HostTensor want(t, makeDims({3, 11}));
        HostTensor one(t, makeDims({1}));
        one.set(0, 1.0);
        for (int64_t i = 0; i < 3; ++i)
            for (int64_t j = 0; j < 11; ++j) {
                // Rows: roi [0, 1] over 3 -> x = i. Columns: x = -0.3 * 6 + j * 1.2 * 6 / 10.
                const double xc = -0.3 * 6 + static_cast<double>(j) * 1.2 * 6 / 10;
                if (xc < 0 || xc > 6) {
                    testing::copyElement(want, i * 11 + j, one, 0);
                    continue;
                }
                testing::copyElement(want, i * 11 + j, x, i * 7 + static_cast<int64_t>(std::floor(xc + 0.5)));
            }
        EXPECT_TRUE(sameBytes(r.value()[0], want)) << dataTypeName(t);
    }
}

TEST(ResizeModes, InferenceWithRunTimeScales) {
    std::vector<ir::TensorDesc> in(3), out(1);
    in[0].type = DataType::kFLOAT;
    in[0].shape = makeDims({-1, 3, 7});
    in[1].shape.nbDims = -1;  // absent
    in[2].type = DataType::kFLOAT;
    in[2].shape = makeDims({3});  // values unknown (build time)
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(attrsOf(IM::kLINEAR, CT::kHALF_PIXEL), ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, -1, -1}));
    // Values known (resolution time): floor(in * scale), -1 where the input extent is unknown.
    const std::vector<float> s = {2.0f, 1.5f, 0.3f};
    in[2].values = s.data();
    ASSERT_TRUE(ir::inferNode(attrsOf(IM::kLINEAR, CT::kHALF_PIXEL), ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, 4, 2}));
    // Explicit extents win over the scales for the shape.
    ir::ResizeAttrs d = attrsOf(IM::kLINEAR, CT::kHALF_PIXEL);
    d.outputDims = makeDims({5, 6, 7});
    ASSERT_TRUE(ir::inferNode(d, ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({5, 6, 7}));
}

TEST(ResizeModes, Errors) {
    const HostTensor x = randomOfType(DataType::kFLOAT, makeDims({2, 3}), 4);
    const HostTensor none = HostTensor::absent();
    const auto lin = attrsOf(IM::kLINEAR, CT::kHALF_PIXEL);
    EXPECT_TRUE(failsWith(lin, {x, none, vec({1, 2, 3})}, {"scales (input 2)", "[2,3]", "[3]"}));
    EXPECT_TRUE(
        failsWith(lin, {x, none, testing::int64Vector({1, 2})}, {"scales (input 2)", "float", "int64"}));
    EXPECT_TRUE(failsWith(lin, {x, none, vec({1, -2})}, {"scale 1 (input 2)", "> 0"}));
    ir::ResizeAttrs both = lin;
    both.scales = {1, 2};
    EXPECT_TRUE(failsWith(both, {x, none, vec({1, 2})}, {"attribute", "input 2", "give one"}));
    ir::ResizeAttrs roi = attrsOf(IM::kLINEAR, CT::kTF_CROP_AND_RESIZE);
    roi.outputDims = makeDims({2, 3});
    roi.roi = {0, 0, 1};
    EXPECT_TRUE(failsWith(roi, {x}, {"3 values", "2 * rank = 4"}));
    roi.roi = {0, 0, 1, 1};
    EXPECT_TRUE(failsWith(roi, {x, none, none, vec({0, 0, 1, 1})}, {"attribute", "input 3", "not both"}));
    roi.roi.clear();
    EXPECT_TRUE(failsWith(roi, {x, none, none, vec({0, 1})}, {"input 3", "2 * rank = 4", "[2]"}));
    ir::ResizeAttrs aa = attrsOf(IM::kNEAREST, CT::kHALF_PIXEL);
    aa.outputDims = makeDims({2, 3});
    aa.antialias = true;
    EXPECT_TRUE(failsWith(aa, {x}, {"antialias", "not nearest"}));
    ir::ResizeAttrs bad = lin;
    bad.outputDims = makeDims({2, 3});
    bad.coordinateTransformation = static_cast<CT>(103);
    EXPECT_TRUE(failsWith(bad, {x}, {"unknown coordinate transformation 103", "101 or 102"}));
}

}  // namespace
}  // namespace kiln
