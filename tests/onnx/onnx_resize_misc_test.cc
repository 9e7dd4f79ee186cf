// ONNX Resize/Upsample against a separable reference written here (coordinate transformations, nearest
// rounding modes, linear, cubic, scales vs sizes, axes), then Trilu, CumSum, ScatterND,
// ScatterElements (with reductions), QuantizeLinear/DequantizeLinear, run-time Range and ConstantOfShape
// (Fill layers), and the element-type conversions of initializers (double, int16, uint64) and their limits.
#include <cmath>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

struct Axis {
    int64_t in, out;
    double scale;
};

double sourceCoord(const std::string& mode, const Axis& a, int64_t y) {
    const double yd = static_cast<double>(y);
    if (mode == "asymmetric") return yd / a.scale;
    if (mode == "align_corners") return a.out == 1 ? 0.0 : yd * double(a.in - 1) / double(a.out - 1);
    if (mode == "pytorch_half_pixel") return a.out > 1 ? (yd + 0.5) / a.scale - 0.5 : 0.0;
    return (yd + 0.5) / a.scale - 0.5;  // half_pixel
}

/// Taps and weights along one axis for output index y.
std::vector<std::pair<int64_t, double>> taps(const std::string& interp, const std::string& coord,
                                             const std::string& nearest, const Axis& a, int64_t y) {
    double x = sourceCoord(coord, a, y);
    auto clampI = [&](int64_t i) { return std::clamp<int64_t>(i, 0, a.in - 1); };
    if (interp == "nearest") {
        double r = nearest == "floor"               ? std::floor(x)
                   : nearest == "ceil"              ? std::ceil(x)
                   : nearest == "round_prefer_ceil" ? std::floor(x + 0.5)
                                                    : std::ceil(x - 0.5);
        return {{clampI(static_cast<int64_t>(r)), 1.0}};
    }
    if (interp == "linear") {
        x = std::clamp(x, 0.0, double(a.in - 1));
        const int64_t x0 = static_cast<int64_t>(std::floor(x));
        const double w = x - double(x0);
        return {{x0, 1 - w}, {clampI(x0 + 1), w}};
    }
    // cubic, a = -0.75, edge taps clamped
    const double A = -0.75, x0 = std::floor(x), t = x - x0;
    auto k = [&](double d) {
        d = std::fabs(d);
        if (d <= 1) return (A + 2) * d * d * d - (A + 3) * d * d + 1;
        if (d < 2) return A * d * d * d - 5 * A * d * d + 8 * A * d - 4 * A;
        return 0.0;
    };
    std::vector<std::pair<int64_t, double>> r;
    for (int j = -1; j <= 2; ++j) r.push_back({clampI(static_cast<int64_t>(x0) + j), k(t - j)});
    return r;
}

/// Resizes x [1, 1, H, W] over its last two axes.
std::vector<double> refResize(const HostTensor& x, const std::string& interp, const std::string& coord,
                              const std::string& nearest, Axis h, Axis w) {
    std::vector<double> out;
    for (int64_t i = 0; i < h.out; ++i)
        for (int64_t j = 0; j < w.out; ++j) {
            double s = 0;
            for (auto [ti, wi] : taps(interp, coord, nearest, h, i))
                for (auto [tj, wj] : taps(interp, coord, nearest, w, j)) s += wi * wj * x.at(ti * w.in + tj);
            out.push_back(s);
        }
    return out;
}

struct ResizeCase {
    int64_t opset;
    const char* op;
    std::string interp, coord, nearest;
    std::vector<float> scales;   // 4 entries, or empty
    std::vector<int64_t> sizes;  // 4 entries (or 2 with axes), or empty
    bool axes{false};
};

TEST(OnnxResize, ModesAndSizeSources) {
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 1, 3, 4}), 111, -2, 2);
    const std::vector<ResizeCase> cases = {
        {10, "Resize", "nearest", "asymmetric", "floor", {1, 1, 2, 3}, {}},
        {9, "Upsample", "nearest", "asymmetric", "floor", {1, 1, 2, 2}, {}},
        {9, "Upsample", "linear", "asymmetric", "floor", {1, 1, 2, 2}, {}},
        {13, "Resize", "linear", "half_pixel", "", {}, {1, 1, 5, 7}},
        {13, "Resize", "linear", "align_corners", "", {1, 1, 2, 2}, {}},
        {13, "Resize", "nearest", "asymmetric", "round_prefer_ceil", {1, 1, 1.5f, 1.5f}, {}},
        {13, "Resize", "nearest", "half_pixel", "round_prefer_floor", {}, {1, 1, 7, 3}},
        {13, "Resize", "linear", "pytorch_half_pixel", "", {}, {1, 1, 1, 9}},
        {13, "Resize", "cubic", "half_pixel", "", {}, {1, 1, 6, 5}},
        {18, "Resize", "linear", "half_pixel", "", {}, {4, 6}, true},
    };
    for (const ResizeCase& c : cases) {
        ModelBuilder m(c.opset);
        m.input("x", DataType::kFLOAT, {1, 1, 3, 4}).output("y");
        std::vector<std::string> ins{"x"};
        if (c.opset >= 11) ins.push_back("");  // roi
        if (!c.scales.empty()) {
            m.floats("scales", makeDims({4}), c.scales);
            ins.push_back("scales");
        } else {
            ins.push_back("");
            m.ints("sizes", c.sizes);
            ins.push_back("sizes");
        }
        NodeBuilder n = m.node(c.op, ins, {"y"}).s("mode", c.interp);
        if (c.opset >= 11) {
            n.s("coordinate_transformation_mode", c.coord);
            if (!c.nearest.empty()) n.s("nearest_mode", c.nearest);
        }
        if (c.axes) n.ints("axes", {2, 3});
        const std::vector<int64_t> sz = c.axes ? std::vector<int64_t>{1, 1, c.sizes[0], c.sizes[1]} : c.sizes;
        Axis h{3, 0, 0}, w{4, 0, 0};
        if (!c.scales.empty()) {
            h.scale = c.scales[2];
            w.scale = c.scales[3];
            h.out = static_cast<int64_t>(std::floor(3 * h.scale));
            w.out = static_cast<int64_t>(std::floor(4 * w.scale));
        } else {
            h.out = sz[2];
            w.out = sz[3];
            h.scale = double(h.out) / 3;
            w.scale = double(w.out) / 4;
        }
        const std::string what = std::string(c.op) + "-" + std::to_string(c.opset) + " " + c.interp + " " +
                                 c.coord + " " + c.nearest + (c.scales.empty() ? " sizes" : " scales");
        // Interpolation weights are computed in double by both sides; float32 storage rounds.
        expectValues(runOne(m, {{"x", x}}), makeDims({1, 1, h.out, w.out}),
                     refResize(x, c.interp, c.coord, c.nearest, h, w), 1e-5, what);
    }
}

TEST(OnnxMisc, TriluCumSumScatter) {
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({2, 3, 4}), 121);
    ModelBuilder m(16);
    m.input("x", DataType::kFLOAT, {2, 3, 4})
        .output("up")
        .output("low")
        .output("cs")
        .output("csr")
        .output("snd")
        .output("sel");
    m.initializer("k", HostTensor::fromVector(DataType::kINT64, Dims{}, std::vector<int64_t>{-1}));
    m.node("Trilu", {"x"}, {"up"});
    m.node("Trilu", {"x", "k"}, {"low"}).i("upper", 0);
    m.initializer("axis", HostTensor::fromVector(DataType::kINT32, Dims{}, std::vector<int>{2}));
    m.node("CumSum", {"x", "axis"}, {"cs"});
    m.node("CumSum", {"x", "axis"}, {"csr"}).i("exclusive", 1).i("reverse", 1);
    m.initializer(
        "ndi", HostTensor::fromVector(DataType::kINT64, makeDims({2, 2}), std::vector<int64_t>{1, 2, 0, 0}));
    m.initializer("ndu", HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 4}),
                                                std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
    m.node("ScatterND", {"x", "ndi", "ndu"}, {"snd"});
    m.initializer("ei",
                  HostTensor::fromVector(DataType::kINT64, makeDims({1, 1, 2}), std::vector<int64_t>{3, -4}));
    m.initializer("eu",
                  HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 2}), std::vector<float>{9, 10}));
    m.node("ScatterElements", {"x", "ei", "eu"}, {"sel"}).i("axis", 2);
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"up", "low", "cs", "csr", "snd", "sel"});
    ASSERT_TRUE(r.parsed) << r.errors;
    std::vector<double> up, low, cs, csr, snd = x.toDoubles(), sel = x.toDoubles();
    for (int b = 0; b < 2; ++b)
        for (int i = 0; i < 3; ++i) {
            double run = 0;
            for (int j = 0; j < 4; ++j) {
                const double v = x.at((b * 3 + i) * 4 + j);
                up.push_back(j >= i ? v : 0);
                low.push_back(j <= i - 1 ? v : 0);
                run += v;
                cs.push_back(run);
                double after = 0;
                for (int q = j + 1; q < 4; ++q) after += x.at((b * 3 + i) * 4 + q);
                csr.push_back(after);
            }
        }
    for (int j = 0; j < 4; ++j) {
        snd[static_cast<size_t>((1 * 3 + 2) * 4 + j)] = 1 + j;
        snd[static_cast<size_t>((0 * 3 + 0) * 4 + j)] = 5 + j;
    }
    sel[3] = 9;
    sel[0] = 10;
    expectValues(r.outputs[0], x.shape, up, 0, "Trilu upper");
    expectValues(r.outputs[1], x.shape, low, 0, "Trilu lower k=-1");
    expectValues(r.outputs[2], x.shape, cs, 1e-6, "CumSum");
    expectValues(r.outputs[3], x.shape, csr, 1e-6, "CumSum exclusive reverse");
    expectValues(r.outputs[4], x.shape, snd, 0, "ScatterND");
    expectValues(r.outputs[5], x.shape, sel, 0, "ScatterElements axis 2, negative index");
}

TEST(OnnxMisc, CumSumOfABoolMaskCountsAsInt64) {
    // torch exports cumsum over a bool mask (transformers' GPT-2 mask code); torch's result is int64 counts.
    ModelBuilder m(17);
    m.input("mask", DataType::kBOOL, {2, 4}).output("y");
    m.initializer("axis", HostTensor::fromVector(DataType::kINT64, Dims{}, std::vector<int64_t>{1}));
    m.node("CumSum", {"mask", "axis"}, {"y"});
    HostTensor mask = HostTensor::fromVector(DataType::kBOOL, makeDims({2, 4}),
                                             std::vector<uint8_t>{1, 0, 1, 1, 0, 0, 1, 0});
    HostTensor y = runOne(m, {{"mask", mask}});
    ASSERT_EQ(y.type, DataType::kINT64);
    expectValues(y, makeDims({2, 4}), {1, 1, 2, 3, 0, 0, 1, 1}, 0, "CumSum of bool");
}

TEST(OnnxMisc, ScatterReductions) {
    // ScatterElements along axis 1 with a duplicate index (1 twice), and ScatterND whose tuples hit row
    // 1 twice; each reduction combines updates in index order with the element they land on.
    const HostTensor row = floatTensor(makeDims({1, 5}), {1, 2, 3, 4, 5});
    const HostTensor grid = floatTensor(makeDims({2, 3}), {1, 2, 3, 4, 5, 6});
    struct Case {
        const char* reduction;
        std::vector<double> elements, nd;
    };
    const std::vector<Case> cases = {
        {"add", {1, 32, 3, 6, 5}, {3, 4, 5, -5, 16, 7}},
        {"mul", {1, 400, 3, 8, 5}, {2, 4, 6, -40, 50, 0}},
        {"max", {1, 20, 3, 4, 5}, {2, 2, 3, 4, 10, 6}},
        {"min", {1, 2, 3, 2, 5}, {1, 2, 2, -10, 1, 0}},
    };
    for (const Case& c : cases) {
        ModelBuilder m(18);
        m.input("row", DataType::kFLOAT, {1, 5})
            .input("grid", DataType::kFLOAT, {2, 3})
            .output("e")
            .output("n");
        m.initializer(
            "ei", HostTensor::fromVector(DataType::kINT64, makeDims({1, 3}), std::vector<int64_t>{1, 1, 3}));
        m.floats("eu", makeDims({1, 3}), {10, 20, 2});
        m.initializer(
            "ni", HostTensor::fromVector(DataType::kINT64, makeDims({3, 1}), std::vector<int64_t>{1, 0, 1}));
        m.floats("nu", makeDims({3, 3}), {1, 1, 1, 2, 2, 2, -10, 10, 0});
        m.node("ScatterElements", {"row", "ei", "eu"}, {"e"}).i("axis", 1).s("reduction", c.reduction);
        m.node("ScatterND", {"grid", "ni", "nu"}, {"n"}).s("reduction", c.reduction);
        OnnxRun r = runOnnx(m.bytes(), {{"row", row}, {"grid", grid}}, {"e", "n"});
        ASSERT_TRUE(r.parsed) << c.reduction << ": " << r.errors;
        expectValues(r.outputs[0], row.shape, c.elements, 0, std::string("ScatterElements ") + c.reduction);
        expectValues(r.outputs[1], grid.shape, c.nd, 0, std::string("ScatterND ") + c.reduction);
    }
    ModelBuilder bad(18);
    bad.input("row", DataType::kFLOAT, {1, 5}).output("e");
    bad.initializer("ei",
                    HostTensor::fromVector(DataType::kINT64, makeDims({1, 1}), std::vector<int64_t>{0}));
    bad.floats("eu", makeDims({1, 1}), {1});
    bad.node("ScatterElements", {"row", "ei", "eu"}, {"e"}).s("reduction", "mean");
    OnnxRun r = runOnnx(bad.bytes(), {}, {"e"});
    EXPECT_FALSE(r.parsed);
    EXPECT_NE(r.errors.find("reduction 'mean' is not supported; expected none, add, mul, max or min"),
              std::string::npos)
        << r.errors;
}

TEST(OnnxMisc, QuantizeDequantize) {
    HostTensor x = floatTensor(makeDims({2, 3}), {-1.0f, 0.26f, 0.74f, 3.0f, -40.f, 0.5f});
    ModelBuilder m(13);
    m.input("x", DataType::kFLOAT, {2, 3})
        .output("q", DataType::kINT8)
        .output("dq")
        .output("qa", DataType::kUINT8);
    m.floats("s", Dims{}, {0.5f});
    m.initializer("zp", HostTensor::fromVector(DataType::kINT8, Dims{}, std::vector<int>{1}));
    m.node("QuantizeLinear", {"x", "s", "zp"}, {"q"});
    m.node("DequantizeLinear", {"q", "s", "zp"}, {"dq"});
    m.floats("sa", makeDims({3}), {0.1f, 1.f, 0.25f});
    m.node("QuantizeLinear", {"x", "sa"}, {"qa"}).i("axis", 1);
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"q", "dq", "qa"});
    ASSERT_TRUE(r.parsed) << r.errors;
    // q = saturate(round_half_even(x / s) + zp)
    expectValues(r.outputs[0], x.shape, {-1, 2, 2, 7, -79, 2}, 0, "QuantizeLinear int8");
    expectValues(r.outputs[1], x.shape, {-1.0, 0.5, 0.5, 3.0, -40, 0.5}, 0, "DequantizeLinear");
    expectValues(r.outputs[2], x.shape, {0, 0, 3, 30, 0, 2}, 0, "QuantizeLinear uint8 per axis");
    EXPECT_EQ(r.outputs[2].type, DataType::kUINT8);
}

TEST(OnnxMisc, RunTimeRangeAndConstantOfShape) {
    // n = dim 0 of x (dynamic); y = Range(0, n, 1) as float, z = ConstantOfShape([n, 2], 3.5)
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {-1}).output("y", DataType::kINT64).output("z");
    m.ints("i0", {0}).ints("two", {2});
    m.initializer("zero", HostTensor::fromVector(DataType::kINT64, Dims{}, std::vector<int64_t>{0}));
    m.initializer("step", HostTensor::fromVector(DataType::kINT64, Dims{}, std::vector<int64_t>{2}));
    m.node("Shape", {"x"}, {"s"});
    m.node("Gather", {"s", "zero"}, {"n"}).i("axis", 0);
    m.node("Range", {"zero", "n", "step"}, {"y"});
    m.node("Gather", {"s", "i0"}, {"n1"}).i("axis", 0);
    m.node("Concat", {"n1", "two"}, {"shape"}).i("axis", 0);
    m.node("ConstantOfShape", {"shape"}, {"z"})
        .t("value", tensorProto("v", floatTensor(makeDims({1}), {3.5f})));
    OnnxRun r = runOnnx(m.bytes(), {{"x", HostTensor(DataType::kFLOAT, makeDims({5}))}}, {"y", "z"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({3}), {0, 2, 4}, 0, "Range(0, n=5, 2)");
    expectValues(r.outputs[1], makeDims({5, 2}), std::vector<double>(10, 3.5), 0, "ConstantOfShape([n, 2])");
}

TEST(OnnxMisc, InitializerTypeConversions) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {3})
        .input("i", DataType::kINT32, {3})
        .input("l", DataType::kINT64, {2})
        .output("y")
        .output("j", DataType::kINT32)
        .output("k", DataType::kINT64);
    auto* d = m.model.mutable_graph()->add_initializer();
    d->set_name("d");
    d->set_data_type(pb::TensorProto::DOUBLE);
    d->add_dims(3);
    for (double v : {0.5, -1.25, 1e-3}) d->add_double_data(v);
    auto* s = m.model.mutable_graph()->add_initializer();
    s->set_name("s");
    s->set_data_type(pb::TensorProto::INT16);
    s->add_dims(3);
    const int16_t raw[3] = {-300, 7, 32000};
    s->set_raw_data(std::string(reinterpret_cast<const char*>(raw), sizeof(raw)));
    auto* u = m.model.mutable_graph()->add_initializer();
    u->set_name("u");
    u->set_data_type(pb::TensorProto::UINT64);
    u->add_dims(2);
    u->add_uint64_data(5);
    u->add_uint64_data(uint64_t{1} << 40);
    m.node("Add", {"x", "d"}, {"y"});
    m.node("Add", {"i", "s"}, {"j"});
    m.node("Add", {"l", "u"}, {"k"});
    OnnxRun r =
        runOnnx(m.bytes(),
                {{"x", floatTensor(makeDims({3}), {1, 2, 3})},
                 {"i", HostTensor::fromVector(DataType::kINT32, makeDims({3}), std::vector<int>{1, 1, 1})},
                 {"l", HostTensor::fromVector(DataType::kINT64, makeDims({2}), std::vector<int64_t>{1, 1})}},
                {"y", "j", "k"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({3}), {1.5, 0.75, 3.001}, 1e-6, "float + double initializer");
    expectValues(r.outputs[1], makeDims({3}), {-299, 8, 32001}, 0, "int32 + int16 initializer");
    expectValues(r.outputs[2], makeDims({2}), {6, double((int64_t{1} << 40) + 1)}, 0,
                 "int64 + uint64 initializer");

    // A uint64 beyond int64 and a string tensor are clear errors naming the tensor.
    ModelBuilder bad;
    bad.input("x", DataType::kINT64, {1}).output("y").output("z");
    auto* big = bad.model.mutable_graph()->add_initializer();
    big->set_name("big");
    big->set_data_type(pb::TensorProto::UINT64);
    big->add_dims(1);
    big->add_uint64_data(~uint64_t{0});
    auto* str = bad.model.mutable_graph()->add_initializer();
    str->set_name("words");
    str->set_data_type(pb::TensorProto::STRING);
    str->add_dims(1);
    str->add_string_data("hello");
    bad.node("Add", {"x", "big"}, {"y"});
    bad.node("Identity", {"words"}, {"z"});
    TestLogger logger;
    OnnxRun e = parseOnly(bad.bytes(), logger);
    EXPECT_FALSE(e.parsed);
    EXPECT_NE(e.errors.find("tensor 'big' holds the uint64 value 18446744073709551615"), std::string::npos)
        << e.errors;
    EXPECT_NE(e.errors.find("tensor 'words': ONNX element type STRING has no Kiln equivalent"),
              std::string::npos)
        << e.errors;
}

}  // namespace
}  // namespace kiln::testing
