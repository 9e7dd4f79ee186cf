// Importer edge cases found on real exporter output and ONNX's node tests: ArgMax/ArgMin with
// select_last_index, ConvTranspose whose output_shape exceeds the full result, opset 7/8 models
// (Upsample's scales attribute), Clip with min > max, ReduceMax/Min on bools and empty sets, Dropout's
// mask, LayerNormalization's Mean/InvStdDev, SpaceToDepth CRD, per-axis Q/DQ on axis 0 and a [1] zero
// point, convolution with computed weights, per-group GroupNormalization parameters computed at run time,
// a float16 network, and a shape value that is only partly known used as a graph output.
#include <cmath>
#include <functional>
#include <limits>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

HostTensor iotaTensor(Dims d) {
    HostTensor h(DataType::kFLOAT, d);
    for (int64_t i = 0; i < h.numel(); ++i) h.set(i, static_cast<double>(i));
    return h;
}

TEST(OnnxEdge, ArgMaxArgMinSelectLastIndex) {
    HostTensor x = floatTensor(makeDims({2, 5}), {1, 7, 7, 2, 7, -3, -3, 0, -3, 4});
    for (bool dynamic : {false, true}) {
        ModelBuilder m(12);
        m.input("x", DataType::kFLOAT, {dynamic ? -1 : 2, dynamic ? -1 : 5})
            .output("amax", DataType::kINT64)
            .output("amin", DataType::kINT64);
        m.node("ArgMax", {"x"}, {"amax"}).i("axis", 1).i("keepdims", 0).i("select_last_index", 1);
        m.node("ArgMin", {"x"}, {"amin"}).i("axis", -1).i("select_last_index", 1);
        OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"amax", "amin"});
        ASSERT_TRUE(r.parsed) << r.errors;
        const std::string what = dynamic ? " (dynamic dims)" : "";
        expectValues(r.outputs[0], makeDims({2}), {4, 9 - 5}, 0, "ArgMax last of ties" + what);
        expectValues(r.outputs[1], makeDims({2, 1}), {0, 3}, 0, "ArgMin last of ties" + what);
    }
}

TEST(OnnxEdge, ConvTransposeOutputShapeBeyondTheFullResult) {
    // in 3x3, kernel 3x3, stride 3: the full result is 9x9. output_shape [10, 8]: H gets a zero row at
    // the end, W is cropped by one at the start (NOTSET puts the larger half first).
    HostTensor x = iotaTensor(makeDims({1, 1, 3, 3}));
    HostTensor w = HostTensor::random(DataType::kFLOAT, makeDims({1, 1, 3, 3}), 3);
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {1, 1, 3, 3}).output("y");
    m.initializer("w", w);
    m.node("ConvTranspose", {"x", "w"}, {"y"}).ints("strides", {3, 3}).ints("output_shape", {10, 8});
    std::vector<double> full(81, 0.0);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            for (int a = 0; a < 3; ++a)
                for (int b = 0; b < 3; ++b)
                    full[static_cast<size_t>((i * 3 + a) * 9 + j * 3 + b)] +=
                        x.at(i * 3 + j) * w.at(a * 3 + b);
    std::vector<double> want;
    for (int r = 0; r < 10; ++r)
        for (int c = 1; c < 9; ++c) want.push_back(r < 9 ? full[static_cast<size_t>(r * 9 + c)] : 0.0);
    expectValues(runOne(m, {{"x", x}}), makeDims({1, 1, 10, 8}), want, 1e-5,
                 "ConvTranspose output_shape [10, 8]");
}

TEST(OnnxEdge, Opset7And8Models) {
    ModelBuilder up(7);
    up.input("x", DataType::kFLOAT, {1, 1, 2, 2}).output("y");
    up.node("Upsample", {"x"}, {"y"}).floats("scales", {1, 1, 2, 3});
    std::vector<double> want;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 6; ++j) want.push_back((i / 2) * 2 + j / 3);
    expectValues(runOne(up, {{"x", iotaTensor(makeDims({1, 1, 2, 2}))}}), makeDims({1, 1, 4, 6}), want, 0,
                 "Upsample-7 with scales attribute");

    ModelBuilder mx(8);
    mx.input("a", DataType::kFLOAT, {2, 3}).input("b", DataType::kFLOAT, {3}).output("y");
    mx.node("Max", {"a", "b"}, {"y"});
    expectValues(
        runOne(mx, {{"a", iotaTensor(makeDims({2, 3}))}, {"b", floatTensor(makeDims({3}), {2, 0, 9})}}),
        makeDims({2, 3}), {2, 1, 9, 3, 4, 9}, 0, "Max-8 broadcasting");
}

TEST(OnnxEdge, ClipMinAboveMaxAndBoolOrEmptyReductions) {
    ModelBuilder c(13);
    c.input("x", DataType::kFLOAT, {3}).output("y");
    c.floats("lo", Dims{}, {2.f}).floats("hi", Dims{}, {1.f});
    c.node("Clip", {"x", "lo", "hi"}, {"y"});
    expectValues(runOne(c, {{"x", floatTensor(makeDims({3}), {-5, 1.5f, 7})}}), makeDims({3}), {1, 1, 1}, 0,
                 "Clip with min > max gives max");

    ModelBuilder r(18);
    r.input("b", DataType::kBOOL, {2, 3})
        .input("e", DataType::kFLOAT, {2, 0, 4})
        .output("any", DataType::kBOOL)
        .output("all", DataType::kBOOL)
        .output("emax");
    r.ints("ax", {1});
    r.node("ReduceMax", {"b", "ax"}, {"any"}).i("keepdims", 0);
    r.node("ReduceMin", {"b", "ax"}, {"all"}).i("keepdims", 0);
    r.node("ReduceMax", {"e", "ax"}, {"emax"});
    HostTensor b =
        HostTensor::fromVector(DataType::kBOOL, makeDims({2, 3}), std::vector<int>{0, 1, 0, 1, 1, 1});
    OnnxRun o = runOnnx(r.bytes(), {{"b", b}, {"e", HostTensor(DataType::kFLOAT, makeDims({2, 0, 4}))}},
                        {"any", "all", "emax"});
    ASSERT_TRUE(o.parsed) << o.errors;
    expectValues(o.outputs[0], makeDims({2}), {1, 1}, 0, "ReduceMax of bools");
    expectValues(o.outputs[1], makeDims({2}), {0, 1}, 0, "ReduceMin of bools");
    const double ninf = -std::numeric_limits<double>::infinity();
    expectValues(o.outputs[2], makeDims({2, 1, 4}), std::vector<double>(8, ninf), 0,
                 "ReduceMax over an empty axis");
}

TEST(OnnxEdge, DropoutMaskAndLayerNormStatistics) {
    ModelBuilder m(17);
    m.input("x", DataType::kFLOAT, {-1, 4})
        .output("mask", DataType::kBOOL)
        .output("y")
        .output("mean")
        .output("inv");
    m.node("Dropout", {"x"}, {"d", "mask"});
    m.floats("s", makeDims({4}), {1, 1, 1, 1});
    m.node("LayerNormalization", {"d", "s"}, {"y", "mean", "inv"}).f("epsilon", 0.5f);
    HostTensor x = floatTensor(makeDims({2, 4}), {1, 2, 3, 4, -1, -1, 3, 3});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"mask", "y", "mean", "inv"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({2, 4}), std::vector<double>(8, 1), 0, "Dropout mask at inference");
    // Row 0: mean 2.5, variance 1.25; row 1: mean 1, variance 4.
    const double inv0 = 1 / std::sqrt(1.25 + 0.5), inv1 = 1 / std::sqrt(4 + 0.5);
    expectValues(r.outputs[2], makeDims({2, 1}), {2.5, 1.0}, 1e-6, "LayerNormalization Mean");
    expectValues(r.outputs[3], makeDims({2, 1}), {inv0, inv1}, 1e-6, "LayerNormalization InvStdDev");
    expectValues(r.outputs[1], makeDims({2, 4}),
                 {-1.5 * inv0, -0.5 * inv0, 0.5 * inv0, 1.5 * inv0, -2 * inv1, -2 * inv1, 2 * inv1, 2 * inv1},
                 1e-5, "LayerNormalization Y");
}

TEST(OnnxEdge, SpaceToDepthCrdAndPerAxisQdq) {
    HostTensor s = iotaTensor(makeDims({1, 2, 4, 2}));
    ModelBuilder m(24);
    m.input("x", DataType::kFLOAT, {1, 2, 4, 2}).output("y");
    m.node("SpaceToDepth", {"x"}, {"y"}).i("blocksize", 2).s("mode", "CRD");
    std::vector<double> want;
    for (int64_t co = 0; co < 8; ++co)
        for (int64_t y = 0; y < 2; ++y) {
            const int64_t ci = co / 4, by = (co / 2) % 2, bz = co % 2;
            want.push_back(s.at((ci * 4 + y * 2 + by) * 2 + bz));
        }
    expectValues(runOne(m, {{"x", s}}), makeDims({1, 8, 2, 1}), want, 0, "SpaceToDepth CRD");

    // Per-axis on axis 0, and a [1] zero point next to a scalar scale.
    HostTensor x = floatTensor(makeDims({2, 3}), {1, 2, 3, 4, 5, 6});
    ModelBuilder q(13);
    q.input("x", DataType::kFLOAT, {2, 3}).output("q", DataType::kINT8).output("dq");
    q.floats("s", makeDims({2}), {0.5f, 2.f});
    q.node("QuantizeLinear", {"x", "s"}, {"q0"}).i("axis", 0);
    q.initializer("zp", HostTensor::fromVector(DataType::kINT8, makeDims({1}), std::vector<int>{3}));
    q.floats("one", Dims{}, {1.f});
    q.node("QuantizeLinear", {"x", "one", "zp"}, {"q"});
    q.node("DequantizeLinear", {"q0", "s"}, {"dq"}).i("axis", 0);
    q.model.mutable_graph()->mutable_node(0)->add_input("zp8");
    q.initializer("zp8", HostTensor::fromVector(DataType::kINT8, makeDims({2}), std::vector<int>{0, 0}));
    OnnxRun r = runOnnx(q.bytes(), {{"x", x}}, {"q", "dq"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], x.shape, {4, 5, 6, 7, 8, 9}, 0, "QuantizeLinear with a [1] zero point");
    // Row 0 at scale 0.5 is exact; row 1 at scale 2: 4/2 = 2, 5/2 = 2.5 -> 2 (half to even), 6/2 = 3.
    expectValues(r.outputs[1], x.shape, {1, 2, 3, 4, 4, 6}, 0, "Q/DQ per axis 0");
}

TEST(OnnxEdge, ComputedWeightsAndRunTimeGroupParameters) {
    // Conv whose weights come from a graph input (as after a DequantizeLinear), with groups.
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 4, 5, 5}), 7);
    HostTensor w = HostTensor::random(DataType::kFLOAT, makeDims({2, 2, 3, 3}), 8);
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {1, 4, 5, 5}).input("w", DataType::kFLOAT, {2, 2, 3, 3}).output("y");
    m.node("Conv", {"x", "w"}, {"y"}).i("group", 2);
    std::vector<double> want;
    for (int o = 0; o < 2; ++o)
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) {
                double s = 0;
                for (int c = 0; c < 2; ++c)
                    for (int a = 0; a < 3; ++a)
                        for (int b = 0; b < 3; ++b)
                            s += x.at(((o * 2 + c) * 5 + i + a) * 5 + j + b) *
                                 w.at(((o * 2 + c) * 3 + a) * 3 + b);
                want.push_back(s);
            }
    expectValues(runOne(m, {{"x", x}, {"w", w}}), makeDims({1, 2, 3, 3}), want, 1e-4,
                 "Conv with run-time weights");

    // GroupNormalization-18 with per-group scale and bias fed at run time.
    HostTensor g = HostTensor::random(DataType::kFLOAT, makeDims({1, 4, 2, 3}), 9);
    ModelBuilder n(18);
    n.input("x", DataType::kFLOAT, {1, 4, 2, 3})
        .input("s", DataType::kFLOAT, {2})
        .input("b", DataType::kFLOAT, {2})
        .output("y");
    n.node("GroupNormalization", {"x", "s", "b"}, {"y"}).i("num_groups", 2).f("epsilon", 1e-3f);
    const double sc[2] = {2.0, -1.0}, bi[2] = {0.5, 0.25};
    std::vector<double> gw;
    for (int grp = 0; grp < 2; ++grp) {
        double mean = 0, var = 0;
        for (int i = 0; i < 12; ++i) mean += g.at(grp * 12 + i) / 12;
        for (int i = 0; i < 12; ++i) var += (g.at(grp * 12 + i) - mean) * (g.at(grp * 12 + i) - mean) / 12;
        for (int i = 0; i < 12; ++i)
            gw.push_back((g.at(grp * 12 + i) - mean) / std::sqrt(var + 1e-3) * sc[grp] + bi[grp]);
    }
    expectValues(runOne(n, {{"x", g},
                            {"s", floatTensor(makeDims({2}), {2.f, -1.f})},
                            {"b", floatTensor(makeDims({2}), {0.5f, 0.25f})}}),
                 g.shape, gw, 1e-4, "GroupNormalization-18 with run-time per-group parameters");
}

TEST(OnnxEdge, Float16NetworkAndPartlyKnownShapeOutput) {
    HostTensor x32 = HostTensor::random(DataType::kFLOAT, makeDims({1, 2, 4, 4}), 10);
    HostTensor x = HostTensor(DataType::kHALF, x32.shape);
    for (int64_t i = 0; i < x.numel(); ++i) x.set(i, x32.at(i));
    HostTensor w = HostTensor::random(DataType::kFLOAT, makeDims({3, 2, 1, 1}), 11);
    ModelBuilder m;
    m.input("x", DataType::kHALF, {-1, 2, 4, 4})
        .output("y", DataType::kHALF)
        .output("shape", DataType::kINT64);
    m.initializer("w", w);
    m.node("Conv", {"x", "w"}, {"c"});
    m.node("Relu", {"c"}, {"y"});
    m.node("Shape", {"c"}, {"shape"});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"y", "shape"});
    ASSERT_TRUE(r.parsed) << r.errors;
    EXPECT_EQ(r.outputs[0].type, DataType::kHALF);
    std::vector<double> want;
    for (int o = 0; o < 3; ++o)
        for (int p = 0; p < 16; ++p) {
            double s = 0;
            for (int c = 0; c < 2; ++c)
                s += x.at(c * 16 + p) * static_cast<double>(static_cast<float>(w.at(o * 2 + c)));
            want.push_back(std::max(s, 0.0));
        }
    // float16 storage: about 3 significant digits.
    expectValues(r.outputs[0], makeDims({1, 3, 4, 4}), want, 2e-3, "float16 Conv + Relu");
    expectValues(r.outputs[1], makeDims({4}), {1, 3, 4, 4}, 0,
                 "Shape with a dynamic batch as a graph output");
}

TEST(OnnxEdge, EmptyVectorBroadcastsAgainstOneElement) {
    // Found by the fuzzer: numpy broadcasting of [0] with [1] gives [0]; the import-time folding once
    // read past the empty side.
    ModelBuilder m;
    m.input("x", DataType::kINT64, {-1}).output("y", DataType::kINT64).output("z", DataType::kINT64);
    m.ints("empty", {});
    m.node("Shape", {"x"}, {"n"});
    m.node("Add", {"empty", "n"}, {"y"});
    m.node("Mul", {"n", "empty"}, {"z"});
    OnnxRun r = runOnnx(m.bytes(), {{"x", HostTensor(DataType::kINT64, makeDims({3}))}}, {"y", "z"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({0}), {}, 0, "[0] + [1]");
    expectValues(r.outputs[1], makeDims({0}), {}, 0, "[1] * [0]");
}

TEST(OnnxEdge, RmsNormSwishLpNormReduceLogSum) {
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({2, 3, 4}), 12, 0.1, 2);
    ModelBuilder m(24);
    m.input("x", DataType::kFLOAT, {2, 3, 4}).output("rms").output("sw").output("lp").output("ls");
    m.floats("s", makeDims({4}), {1.f, 2.f, 0.5f, -1.f});
    m.node("RMSNormalization", {"x", "s"}, {"rms"}).f("epsilon", 1e-3f);
    m.node("Swish", {"x"}, {"sw"}).f("alpha", 0.5f);
    m.node("LpNormalization", {"x"}, {"lp"}).i("axis", 1).i("p", 1);
    m.ints("ax", {2});
    m.node("ReduceLogSum", {"x", "ax"}, {"ls"}).i("keepdims", 0);
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"rms", "sw", "lp", "ls"});
    ASSERT_TRUE(r.parsed) << r.errors;
    std::vector<double> rms, sw, lp(static_cast<size_t>(x.numel())), ls;
    const double s[4] = {1, 2, 0.5, -1};
    for (int row = 0; row < 6; ++row) {
        double ms = 0, sum = 0;
        for (int k = 0; k < 4; ++k) {
            ms += x.at(row * 4 + k) * x.at(row * 4 + k) / 4;
            sum += x.at(row * 4 + k);
        }
        for (int k = 0; k < 4; ++k) rms.push_back(x.at(row * 4 + k) / std::sqrt(ms + 1e-3) * s[k]);
        ls.push_back(std::log(sum));
    }
    for (int64_t i = 0; i < x.numel(); ++i) sw.push_back(x.at(i) / (1 + std::exp(-0.5 * x.at(i))));
    for (int a = 0; a < 2; ++a)
        for (int k = 0; k < 4; ++k) {
            double n = 0;
            for (int c = 0; c < 3; ++c) n += std::fabs(x.at((a * 3 + c) * 4 + k));
            for (int c = 0; c < 3; ++c)
                lp[static_cast<size_t>((a * 3 + c) * 4 + k)] = x.at((a * 3 + c) * 4 + k) / n;
        }
    expectValues(r.outputs[0], x.shape, rms, 1e-5, "RMSNormalization");
    expectValues(r.outputs[1], x.shape, sw, 1e-5, "Swish alpha 0.5");
    expectValues(r.outputs[2], x.shape, lp, 1e-5, "LpNormalization p=1 axis 1");
    expectValues(r.outputs[3], makeDims({2, 3}), ls, 1e-5, "ReduceLogSum");
}

TEST(OnnxEdge, MalformedParametersAreErrorsNotCrashes) {
    // Found by the fuzzer: shapes with more entries than Kiln's maximum rank, and an output_shape of the
    // wrong length, were indexed past their ends.
    struct Case {
        const char* what;
        std::function<void(ModelBuilder&)> build;
        const char* expect;
    };
    const std::vector<Case> cases = {
        {"ConstantOfShape of rank 9",
         [](ModelBuilder& m) {
             m.ints("shape", {1, 1, 1, 1, 1, 1, 1, 1, 1});
             m.node("ConstantOfShape", {"shape"}, {"y"});
         },
         "9 entries; Kiln's maximum rank is 8"},
        {"Reshape to rank 9",
         [](ModelBuilder& m) {
             m.ints("shape", {1, 1, 1, 1, 1, 1, 1, 1, 2});
             m.node("Reshape", {"x", "shape"}, {"y"});
         },
         "9 entries; Kiln's maximum rank is 8"},
        {"ConvTranspose output_shape of one value for 2-D",
         [](ModelBuilder& m) {
             m.initializer("w", HostTensor(DataType::kFLOAT, makeDims({1, 1, 2, 2})));
             m.node("ConvTranspose", {"x4", "w"}, {"y"}).ints("output_shape", {5});
         },
         "'output_shape' has 1 values, expected 2"},
    };
    {
        // A node without outputs (found by the fuzzer: importers wrote output 0 unchecked).
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {2}).output("y");
        m.node("Constant", {}, {}, "mute").f("value_float", 1.f);
        m.node("Relu", {"x"}, {"y"});
        TestLogger logger;
        OnnxRun r = parseOnly(m.bytes(), logger);
        EXPECT_FALSE(r.parsed);
        EXPECT_NE(r.errors.find("the node has no outputs"), std::string::npos) << r.errors;
    }
    for (const Case& c : cases) {
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {2}).input("x4", DataType::kFLOAT, {1, 1, 2, 2}).output("y");
        c.build(m);
        TestLogger logger;
        OnnxRun r = parseOnly(m.bytes(), logger);
        EXPECT_FALSE(r.parsed) << c.what;
        EXPECT_NE(r.errors.find(c.expect), std::string::npos) << c.what << ": " << r.errors;
    }
}

}  // namespace
}  // namespace kiln::testing
