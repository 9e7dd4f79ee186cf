// ONNX Resize and Range with parameters known only at run time, against values worked out by hand:
// scales as a graph input (with and without `axes`, and align_corners downsampling, where ONNX maps with
// the resized length in * scale), tf_crop_and_resize with roi as a graph input or an initializer and an
// extrapolation value, keep_aspect_ratio_policy with run-time and constant sizes (extents rounded, the
// mapping by the common scale), antialias, and Range over float and float16 graph inputs.
#include <cmath>

#include "common/float_types.h"
#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

HostTensor vecF(const std::vector<float>& v) {
    return floatTensor(makeDims({static_cast<int64_t>(v.size())}), v);
}

HostTensor vecI(const std::vector<int64_t>& v) {
    return HostTensor::fromVector(DataType::kINT64, makeDims({static_cast<int64_t>(v.size())}), v);
}

/// x[1,1,h,w] with x(r, c) = 10 r + c, so bilinear output is 10 X(row) + X(col).
HostTensor plane(int64_t h, int64_t w) {
    std::vector<float> v;
    for (int64_t r = 0; r < h; ++r)
        for (int64_t c = 0; c < w; ++c) v.push_back(static_cast<float>(10 * r + c));
    return floatTensor(makeDims({1, 1, h, w}), v);
}

/// 10 * rows[i] + cols[j] for every pair.
std::vector<double> planeAt(const std::vector<double>& rows, const std::vector<double>& cols) {
    std::vector<double> out;
    for (double r : rows)
        for (double c : cols) out.push_back(10 * r + c);
    return out;
}

TEST(OnnxResizeRunTime, ScalesGraphInput) {
    // Nearest, half_pixel, round_prefer_floor; scales [2, 1.5] for axes [3, 2] -> H x1.5, W x2.
    // Rows: x = (y + .5) / 1.5 - .5 = -1/6, .5, 7/6 -> 0, 0, 1. Columns: x = (y + .5) / 2 - .5 ->
    // 0,0,1,1,2,2.
    ModelBuilder m(19);
    m.input("x", DataType::kFLOAT, {1, 1, 2, 3}).input("scales", DataType::kFLOAT, {2}).output("y");
    m.node("Resize", {"x", "", "scales"}, {"y"}).s("mode", "nearest").ints("axes", {3, 2});
    expectValues(runOne(m, {{"x", plane(2, 3)}, {"scales", vecF({2.0f, 1.5f})}}), makeDims({1, 1, 3, 6}),
                 planeAt({0, 0, 1}, {0, 0, 1, 1, 2, 2}), 0, "nearest, run-time scales, axes [3, 2]");

    // Linear align_corners, downsampling by 0.6: rows 2 -> 1 (x = 0), columns 4 -> 2 with resized length
    // 2.4, so x(1) = 3 / 1.4. Tolerance: 0.6f is not exactly 0.6.
    ModelBuilder a(19);
    a.input("x", DataType::kFLOAT, {1, 1, 2, 4}).input("scales", DataType::kFLOAT, {4}).output("y");
    a.node("Resize", {"x", "", "scales"}, {"y"})
        .s("mode", "linear")
        .s("coordinate_transformation_mode", "align_corners");
    expectValues(runOne(a, {{"x", plane(2, 4)}, {"scales", vecF({1, 1, 0.6f, 0.6f})}}),
                 makeDims({1, 1, 1, 2}), planeAt({0}, {0, 3 / 1.4}), 1e-6,
                 "linear align_corners, run-time scales");

    // Upsample-9 with run-time scales, and the same graph run twice with other values.
    ModelBuilder u(9);
    u.input("x", DataType::kFLOAT, {1, 1, 2, 3}).input("scales", DataType::kFLOAT, {4}).output("y");
    u.node("Upsample", {"x", "scales"}, {"y"}).s("mode", "nearest");
    expectValues(runOne(u, {{"x", plane(2, 3)}, {"scales", vecF({1, 1, 2, 1})}}), makeDims({1, 1, 4, 3}),
                 planeAt({0, 0, 1, 1}, {0, 1, 2}), 0, "Upsample rows x2");
    expectValues(runOne(u, {{"x", plane(2, 3)}, {"scales", vecF({1, 1, 1, 3})}}), makeDims({1, 1, 2, 9}),
                 planeAt({0, 1}, {0, 0, 0, 1, 1, 1, 2, 2, 2}), 0, "Upsample columns x3");
}

TEST(OnnxResizeRunTime, TfCropAndResize) {
    // x 3 x 5, axes [2, 3], roi starts (0.25, 0.5), ends (1.25, 1.0), sizes 3 x 3, linear.
    // Rows: x = 0.25 * 2 + y * 1.0 * 2 / 2 = .5, 1.5, 2.5 (past the last row 2: extrapolated).
    // Columns: x = 0.5 * 4 + y * 0.5 * 4 / 2 = 2, 3, 4.
    const std::vector<float> roi = {0.25f, 0.5f, 1.25f, 1.0f};
    std::vector<double> want = planeAt({0.5, 1.5}, {2, 3, 4});
    for (int k = 0; k < 3; ++k) want.push_back(-1.5);
    for (bool runTimeRoi : {true, false}) {
        ModelBuilder m(19);
        m.input("x", DataType::kFLOAT, {1, 1, 3, 5}).output("y");
        if (runTimeRoi)
            m.input("roi", DataType::kFLOAT, {4});
        else
            m.floats("roi", makeDims({4}), roi);
        m.ints("sizes", {3, 3});
        m.node("Resize", {"x", "roi", "", "sizes"}, {"y"})
            .s("mode", "linear")
            .s("coordinate_transformation_mode", "tf_crop_and_resize")
            .f("extrapolation_value", -1.5f)
            .ints("axes", {2, 3});
        std::vector<std::pair<std::string, HostTensor>> feeds = {{"x", plane(3, 5)}};
        if (runTimeRoi) feeds.push_back({"roi", vecF(roi)});
        expectValues(runOne(m, feeds), makeDims({1, 1, 3, 3}), want, 1e-6,
                     runTimeRoi ? "roi graph input" : "roi initializer");
    }
}

TEST(OnnxResizeRunTime, KeepAspectRatioPolicy) {
    // x 3 x 4, sizes [2, 5] for axes [2, 3]. not_larger: scale = min(2/3, 5/4) = 2/3, extents
    // round(2) = 2 and round(8/3) = 3; linear half_pixel maps by 1/scale = 1.5 on both axes:
    // x = (y + .5) * 1.5 - .5 = .25, 1.75, 3.25 (clamped to 3). With out/in the columns would map by 4/3.
    // not_smaller: scale = 5/4, extents round(3.75) = 4 and 5; x = (y + .5) * .8 - .5.
    struct Case {
        const char* policy;
        Dims out;
        std::vector<double> rows, cols;
    };
    auto mapped = [](int64_t n, double inv, int64_t last) {
        std::vector<double> v;
        for (int64_t y = 0; y < n; ++y)
            v.push_back(
                std::clamp((static_cast<double>(y) + 0.5) * inv - 0.5, 0.0, static_cast<double>(last)));
        return v;
    };
    const std::vector<Case> cases = {
        {"not_larger", makeDims({1, 1, 2, 3}), mapped(2, 1.5, 2), mapped(3, 1.5, 3)},
        {"not_smaller", makeDims({1, 1, 4, 5}), mapped(4, 0.8, 2), mapped(5, 0.8, 3)}};
    for (const Case& c : cases) {
        for (bool runTimeSizes : {true, false}) {
            ModelBuilder m(19);
            m.input("x", DataType::kFLOAT, {1, 1, 3, 4}).output("y");
            if (runTimeSizes)
                m.input("sizes", DataType::kINT64, {2});
            else
                m.ints("sizes", {2, 5});
            m.node("Resize", {"x", "", "", "sizes"}, {"y"})
                .s("mode", "linear")
                .s("keep_aspect_ratio_policy", c.policy)
                .ints("axes", {2, 3});
            std::vector<std::pair<std::string, HostTensor>> feeds = {{"x", plane(3, 4)}};
            if (runTimeSizes) feeds.push_back({"sizes", vecI({2, 5})});
            // Tolerance: the run-time scale is float32 (2/3 rounded).
            expectValues(runOne(m, feeds), c.out, planeAt(c.rows, c.cols), 1e-6,
                         std::string(c.policy) + (runTimeSizes ? " run-time sizes" : " constant sizes"));
        }
    }
}

TEST(OnnxResizeRunTime, Antialias) {
    // x 1 x 4 = [1, 2, 4, 8] halved with antialias (half_pixel, x = .5, 2.5): the triangle stretched to
    // radius 2 weighs four taps .125, .375, .375, .125 -> 1.75 and 5.75 (edge taps clamp).
    ModelBuilder m(19);
    m.input("x", DataType::kFLOAT, {1, 1, 1, 4}).output("y");
    m.floats("scales", makeDims({4}), {1, 1, 1, 0.5f});
    m.node("Resize", {"x", "", "scales"}, {"y"}).s("mode", "linear").i("antialias", 1);
    expectValues(runOne(m, {{"x", floatTensor(makeDims({1, 1, 1, 4}), {1, 2, 4, 8})}}),
                 makeDims({1, 1, 1, 2}), {1.75, 5.75}, 1e-6, "linear antialias");
    // antialias with nearest is refused at import.
    ModelBuilder n(19);
    n.input("x", DataType::kFLOAT, {1, 1, 1, 4}).output("y");
    n.floats("scales", makeDims({4}), {1, 1, 1, 0.5f});
    n.node("Resize", {"x", "", "scales"}, {"y"}).s("mode", "nearest").i("antialias", 1);
    TestLogger logger;
    OnnxRun r = parseOnly(n.bytes(), logger);
    EXPECT_FALSE(r.parsed);
    EXPECT_NE(r.errors.find("antialias=1 needs mode linear or cubic"), std::string::npos) << r.errors;
}

TEST(OnnxRangeRunTime, FloatAndHalfGraphInputs) {
    // float: start 1.5, limit 7, delta 1.25 -> ceil(5.5 / 1.25) = 5 elements.
    ModelBuilder f(11);
    f.input("s", DataType::kFLOAT, {}).input("l", DataType::kFLOAT, {}).input("d", DataType::kFLOAT, {});
    f.output("y");
    f.node("Range", {"s", "l", "d"}, {"y"});
    auto scalar = [](float v) { return floatTensor(Dims{}, {v}); };
    expectValues(runOne(f, {{"s", scalar(1.5f)}, {"l", scalar(7.0f)}, {"d", scalar(1.25f)}}), makeDims({5}),
                 {1.5, 2.75, 4, 5.25, 6.5}, 0, "float Range");
    expectValues(runOne(f, {{"s", scalar(3.0f)}, {"l", scalar(1.0f)}, {"d", scalar(0.5f)}}), makeDims({0}),
                 {}, 0, "float Range, empty");
    // float16: start 0, limit 1, delta half(0.1) = 0.0999755859375. The count is 1 / 0.09997... = 10.0024
    // -> 11 elements (numpy's count); in float16 arithmetic the quotient would round to 10.0 and lose one.
    ModelBuilder h(11);
    h.input("s", DataType::kHALF, {}).input("l", DataType::kHALF, {}).input("d", DataType::kHALF, {});
    h.output("y", DataType::kHALF);
    h.node("Range", {"s", "l", "d"}, {"y"});
    auto half = [](float v) {
        HostTensor t(DataType::kHALF, Dims{});
        t.set(0, v);
        return t;
    };
    std::vector<double> want;
    for (int i = 0; i < 11; ++i) want.push_back(i * 0.0999755859375);
    // Tolerance: each element rounded to float16 (half an ulp below 1 is 2.5e-4).
    expectValues(runOne(h, {{"s", half(0)}, {"l", half(1)}, {"d", half(0.1f)}}), makeDims({11}), want, 3e-4,
                 "float16 Range");
}

}  // namespace
}  // namespace kiln::testing
