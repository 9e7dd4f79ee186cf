// ONNX element-wise and activation importers, run end to end on the CPU: numpy broadcasting, integer
// division and modulo semantics, comparisons and logic, Where, variadic ops, every unary function and
// activation against a double-precision formula written here, PRelu, Clip in both opset forms, and
// Softmax's opset-11 (flattened) and opset-13 (single axis) meanings.
#include <cmath>
#include <functional>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

// float32 results of float32 math compared with double formulas: a few ulps, plus the kernels' own
// float32 transcendental approximations.
constexpr double kTol = 2e-5;

/// Row-major index of `out` coordinates into a broadcast operand of shape `s` (aligned right).
int64_t broadcastIndex(const std::vector<int64_t>& coord, const Dims& s) {
    int64_t idx = 0;
    const int off = static_cast<int>(coord.size()) - s.nbDims;
    for (int i = 0; i < s.nbDims; ++i)
        idx = idx * s.d[i] + (s.d[i] == 1 ? 0 : coord[static_cast<size_t>(off + i)]);
    return idx;
}

std::vector<double> broadcastBinary(const HostTensor& a, const HostTensor& b, Dims out,
                                    const std::function<double(double, double)>& f) {
    std::vector<double> r;
    std::vector<int64_t> c(static_cast<size_t>(out.nbDims), 0);
    for (int64_t n = 0; n < volume(out); ++n) {
        int64_t rem = n;
        for (int i = out.nbDims - 1; i >= 0; --i) {
            c[static_cast<size_t>(i)] = rem % out.d[i];
            rem /= out.d[i];
        }
        r.push_back(f(a.at(broadcastIndex(c, a.shape)), b.at(broadcastIndex(c, b.shape))));
    }
    return r;
}

struct BinaryCase {
    const char* op;
    std::function<double(double, double)> f;
};

TEST(OnnxPointwise, ArithmeticBroadcastsLikeNumpy) {
    const std::vector<BinaryCase> cases = {
        {"Add", [](double a, double b) { return a + b; }},
        {"Sub", [](double a, double b) { return a - b; }},
        {"Mul", [](double a, double b) { return a * b; }},
        {"Div", [](double a, double b) { return a / b; }},
        {"Max", [](double a, double b) { return std::max(a, b); }},
        {"Min", [](double a, double b) { return std::min(a, b); }},
        {"Pow", [](double a, double b) { return std::pow(std::fabs(a) + 0.5, b); }},
    };
    const Dims sa = makeDims({2, 3, 5}), sb = makeDims({3, 1});
    for (const auto& c : cases) {
        HostTensor a = HostTensor::random(DataType::kFLOAT, sa, 11, -2, 2);
        HostTensor b = HostTensor::random(DataType::kFLOAT, sb, 12, 0.5, 2);
        const bool pow = std::string(c.op) == "Pow";
        if (pow)
            for (int64_t i = 0; i < a.numel(); ++i) a.set(i, std::fabs(a.at(i)) + 0.5);
        ModelBuilder m;
        m.input("a", DataType::kFLOAT, {2, 3, 5}).output("y");
        m.initializer("b", b);
        m.node(c.op, {"a", "b"}, {"y"});
        HostTensor y = runOne(m, {{"a", a}});
        auto f = pow ? [](double x, double e) { return std::pow(x, e); } : c.f;
        expectValues(y, sa, broadcastBinary(a, b, sa, f), kTol, c.op);
    }
}

TEST(OnnxPointwise, IntegerDivisionModAndPowSemantics) {
    ModelBuilder m(13);
    m.input("a", DataType::kINT32, {4})
        .input("b", DataType::kINT32, {4})
        .output("div", DataType::kINT32)
        .output("mod", DataType::kINT32)
        .output("fmod", DataType::kINT32);
    m.node("Div", {"a", "b"}, {"div"});
    m.node("Mod", {"a", "b"}, {"mod"});
    m.node("Mod", {"a", "b"}, {"fmod"}).i("fmod", 1);
    HostTensor a = HostTensor::fromVector(DataType::kINT32, makeDims({4}), std::vector<int>{-7, 7, -7, 9});
    HostTensor b = HostTensor::fromVector(DataType::kINT32, makeDims({4}), std::vector<int>{2, -2, -2, 4});
    OnnxRun r = runOnnx(m.bytes(), {{"a", a}, {"b", b}}, {"div", "mod", "fmod"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({4}), {-3, -3, 3, 2}, 0, "Div truncates toward zero");
    expectValues(r.outputs[1], makeDims({4}), {1, -1, -1, 1}, 0, "Mod takes the divisor's sign");
    expectValues(r.outputs[2], makeDims({4}), {-1, 1, -1, 1}, 0, "Mod fmod=1 takes the dividend's sign");

    // Pow with an int64 exponent tensor on a float base (T1 != T2).
    ModelBuilder p;
    p.input("x", DataType::kFLOAT, {3}).output("y");
    p.ints("e", {2, 3, 0});
    p.node("Pow", {"x", "e"}, {"y"});
    expectValues(runOne(p, {{"x", floatTensor(makeDims({3}), {1.5f, -2.f, 7.f})}}), makeDims({3}),
                 {2.25, -8, 1}, 0, "Pow with int64 exponent");
}

TEST(OnnxPointwise, ComparisonsLogicAndWhere) {
    ModelBuilder m;
    m.input("a", DataType::kFLOAT, {2, 3}).input("b", DataType::kFLOAT, {3}).output("y");
    for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"})
        m.node(op, {"a", "b"}, {std::string("c_") + op});
    m.node("Or", {"c_Less", "c_Equal"}, {"le2"});
    m.node("Xor", {"le2", "c_LessOrEqual"}, {"zero"});  // always false
    m.node("Not", {"zero"}, {"one"});
    m.node("And", {"one", "c_Greater"}, {"gt"});
    m.node("Where", {"gt", "a", "b"}, {"y"});  // max(a, b) with broadcasting
    for (const char* op : {"Equal", "LessOrEqual", "GreaterOrEqual"})
        m.output(std::string("c_") + op, DataType::kBOOL);
    HostTensor a = floatTensor(makeDims({2, 3}), {1, 5, 3, -1, 2, 9});
    HostTensor b = floatTensor(makeDims({3}), {1, 2, 4});
    OnnxRun r =
        runOnnx(m.bytes(), {{"a", a}, {"b", b}}, {"y", "c_Equal", "c_LessOrEqual", "c_GreaterOrEqual"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({2, 3}), {1, 5, 4, 1, 2, 9}, 0, "Where(a > b, a, b)");
    expectValues(r.outputs[1], makeDims({2, 3}), {1, 0, 0, 0, 1, 0}, 0, "Equal");
    expectValues(r.outputs[2], makeDims({2, 3}), {1, 0, 1, 1, 1, 0}, 0, "LessOrEqual");
    expectValues(r.outputs[3], makeDims({2, 3}), {1, 1, 0, 0, 1, 1}, 0, "GreaterOrEqual");
    EXPECT_EQ(r.outputs[1].type, DataType::kBOOL);
}

TEST(OnnxPointwise, VariadicSumMeanMaxMin) {
    ModelBuilder m;
    m.input("a", DataType::kFLOAT, {3}).input("b", DataType::kFLOAT, {1}).input("c", DataType::kFLOAT, {3});
    for (const char* op : {"Sum", "Mean", "Max", "Min"}) {
        m.node(op, {"a", "b", "c"}, {std::string("y") + op});
        m.output(std::string("y") + op);
    }
    m.node("Max", {"a"}, {"single"});
    m.output("single");
    OnnxRun r = runOnnx(m.bytes(),
                        {{"a", floatTensor(makeDims({3}), {1, -4, 9})},
                         {"b", floatTensor(makeDims({1}), {2})},
                         {"c", floatTensor(makeDims({3}), {0, 5, -3})}},
                        {"ySum", "yMean", "yMax", "yMin", "single"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({3}), {3, 3, 8}, 1e-6, "Sum");
    expectValues(r.outputs[1], makeDims({3}), {1, 1, 8.0 / 3}, 1e-6, "Mean");
    expectValues(r.outputs[2], makeDims({3}), {2, 5, 9}, 0, "Max");
    expectValues(r.outputs[3], makeDims({3}), {0, -4, -3}, 0, "Min");
    expectValues(r.outputs[4], makeDims({3}), {1, -4, 9}, 0, "Max of one input");
}

struct UnaryCase {
    const char* op;
    std::function<double(double)> f;
    double lo, hi;
    int64_t opset{17};
    std::vector<std::pair<const char*, float>> attrs{};
    const char* stringAttr{nullptr};
    const char* stringValue{nullptr};
};

double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

TEST(OnnxPointwise, UnaryFunctionsAndActivationsMatchTheirFormulas) {
    const double kPi = 3.14159265358979323846;
    const std::vector<UnaryCase> cases = {
        {"Abs", [](double x) { return std::fabs(x); }, -3, 3},
        {"Neg", [](double x) { return -x; }, -3, 3},
        {"Sign", [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }, -3, 3},
        {"Reciprocal", [](double x) { return 1.0 / x; }, 0.5, 3},
        {"Floor", [](double x) { return std::floor(x); }, -3, 3},
        {"Ceil", [](double x) { return std::ceil(x); }, -3, 3},
        {"Exp", [](double x) { return std::exp(x); }, -3, 3},
        {"Log", [](double x) { return std::log(x); }, 0.1, 5},
        {"Sqrt", [](double x) { return std::sqrt(x); }, 0, 5},
        {"Erf", [](double x) { return std::erf(x); }, -2, 2},
        {"Sin", [](double x) { return std::sin(x); }, -3, 3},
        {"Cos", [](double x) { return std::cos(x); }, -3, 3},
        {"Atan", [](double x) { return std::atan(x); }, -3, 3},
        {"Tanh", [](double x) { return std::tanh(x); }, -3, 3},
        {"Sigmoid", sigmoid, -5, 5},
        {"Relu", [](double x) { return std::max(x, 0.0); }, -3, 3},
        {"LeakyRelu", [](double x) { return x >= 0 ? x : 0.1 * x; }, -3, 3, 17, {{"alpha", 0.1f}}},
        {"LeakyRelu", [](double x) { return x >= 0 ? x : 0.01 * x; }, -3, 3},
        {"Elu", [](double x) { return x >= 0 ? x : 0.7 * (std::exp(x) - 1); }, -3, 3, 17, {{"alpha", 0.7f}}},
        {"Selu",
         [](double x) { return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (std::exp(x) - 1)); },
         -3, 3},
        {"HardSigmoid",
         [](double x) { return std::clamp(0.3 * x + 0.4, 0.0, 1.0); },
         -4,
         4,
         17,
         {{"alpha", 0.3f}, {"beta", 0.4f}}},
        {"HardSwish", [](double x) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }, -5, 5},
        {"Softplus", [](double x) { return std::log(std::exp(x) + 1); }, -5, 5},
        {"Softsign", [](double x) { return x / (1 + std::fabs(x)); }, -5, 5},
        {"ThresholdedRelu", [](double x) { return x > 0.5 ? x : 0; }, -2, 2, 17, {{"alpha", 0.5f}}},
        {"Mish", [](double x) { return x * std::tanh(std::log1p(std::exp(x))); }, -4, 4, 18},
        {"Gelu", [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -3, 3, 20},
        {"Gelu",
         [kPi](double x) {
             return 0.5 * x * (1 + std::tanh(std::sqrt(2 / kPi) * (x + 0.044715 * x * x * x)));
         },
         -3,
         3,
         20,
         {},
         "approximate",
         "tanh"},
    };
    int seed = 100;
    for (const auto& c : cases) {
        ModelBuilder m(c.opset);
        m.input("x", DataType::kFLOAT, {3, 7}).output("y");
        NodeBuilder n = m.node(c.op, {"x"}, {"y"});
        for (const auto& [name, v] : c.attrs) n.f(name, v);
        if (c.stringAttr) n.s(c.stringAttr, c.stringValue);
        HostTensor x =
            HostTensor::random(DataType::kFLOAT, makeDims({3, 7}), static_cast<uint64_t>(++seed), c.lo, c.hi);
        std::vector<double> want;
        for (int64_t i = 0; i < x.numel(); ++i) want.push_back(c.f(x.at(i)));
        expectValues(runOne(m, {{"x", x}}), makeDims({3, 7}), want, kTol,
                     std::string(c.op) + " opset " + std::to_string(c.opset));
    }
}

TEST(OnnxPointwise, RoundIsHalfToEvenAndIsNanIsInf) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {6})
        .output("r")
        .output("nan", DataType::kBOOL)
        .output("inf", DataType::kBOOL)
        .output("posinf", DataType::kBOOL);
    m.node("Round", {"x"}, {"r"});
    m.node("IsNaN", {"x"}, {"nan"});
    m.node("IsInf", {"x"}, {"inf"});
    m.node("IsInf", {"x"}, {"posinf"}).i("detect_negative", 0);
    const float inf = std::numeric_limits<float>::infinity();
    HostTensor x = floatTensor(makeDims({6}), {2.5f, -0.5f, 1.5f, inf, -inf, std::nanf("")});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"r", "nan", "inf", "posinf"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({6}), {2, -0.0, 2, inf, -inf, std::nan("")}, 0, "Round");
    expectValues(r.outputs[1], makeDims({6}), {0, 0, 0, 0, 0, 1}, 0, "IsNaN");
    expectValues(r.outputs[2], makeDims({6}), {0, 0, 0, 1, 1, 0}, 0, "IsInf");
    expectValues(r.outputs[3], makeDims({6}), {0, 0, 0, 1, 0, 0}, 0, "IsInf positive only");
}

TEST(OnnxPointwise, PReluBroadcastsItsSlope) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2, 3, 2, 2}).output("y");
    m.floats("slope", makeDims({3, 1, 1}), {0.1f, 0.5f, -2.f});
    m.node("PRelu", {"x", "slope"}, {"y"});
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({2, 3, 2, 2}), 5, -2, 2);
    const double slope[3] = {0.1, 0.5, -2.0};
    std::vector<double> want;
    for (int64_t i = 0; i < x.numel(); ++i) {
        const double v = x.at(i);
        want.push_back(v < 0 ? slope[(i / 4) % 3] * v : v);
    }
    expectValues(runOne(m, {{"x", x}}), x.shape, want, kTol, "PRelu");
}

TEST(OnnxPointwise, ClipInBothOpsetFormsAndOnIntegers) {
    HostTensor x = floatTensor(makeDims({5}), {-3, -0.5f, 0.25f, 2, 9});
    ModelBuilder old(9);
    old.input("x", DataType::kFLOAT, {5}).output("y");
    old.node("Clip", {"x"}, {"y"}).f("min", -1.f).f("max", 1.5f);
    expectValues(runOne(old, {{"x", x}}), makeDims({5}), {-1, -0.5, 0.25, 1.5, 1.5}, 0, "Clip opset 9");

    ModelBuilder minOnly(13);
    minOnly.input("x", DataType::kFLOAT, {5}).output("y");
    minOnly.floats("lo", Dims{}, {0.f});
    minOnly.node("Clip", {"x", "lo"}, {"y"});
    expectValues(runOne(minOnly, {{"x", x}}), makeDims({5}), {0, 0, 0.25, 2, 9}, 0,
                 "Clip opset 13, min only");

    ModelBuilder dyn(13);
    dyn.input("x", DataType::kFLOAT, {5}).input("hi", DataType::kFLOAT, {}).output("y");
    dyn.node("Clip", {"x", "", "hi"}, {"y"});
    expectValues(runOne(dyn, {{"x", x}, {"hi", floatTensor(Dims{}, {1.f})}}), makeDims({5}),
                 {-3, -0.5, 0.25, 1, 1}, 0, "Clip with a run-time max");

    ModelBuilder ints(13);
    ints.input("x", DataType::kINT32, {4}).output("y", DataType::kINT32).output("r", DataType::kINT32);
    ints.initializer("lo", HostTensor::fromVector(DataType::kINT32, Dims{}, std::vector<int>{-2}));
    ints.initializer("hi", HostTensor::fromVector(DataType::kINT32, Dims{}, std::vector<int>{3}));
    ints.node("Clip", {"x", "lo", "hi"}, {"y"});
    ints.node("Relu", {"x"}, {"r"});
    OnnxRun r = runOnnx(
        ints.bytes(),
        {{"x", HostTensor::fromVector(DataType::kINT32, makeDims({4}), std::vector<int>{-9, -1, 2, 8})}},
        {"y", "r"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({4}), {-2, -1, 2, 3}, 0, "int32 Clip");
    expectValues(r.outputs[1], makeDims({4}), {0, 0, 2, 8}, 0, "int32 Relu");
}

/// Softmax of `x` [2,3,4] over the flattened block of dims [from, rank) for each leading index.
std::vector<double> softmaxBlocks(const HostTensor& x, int64_t block, bool log) {
    std::vector<double> out(static_cast<size_t>(x.numel()));
    for (int64_t b = 0; b < x.numel() / block; ++b) {
        double mx = -1e300, sum = 0;
        for (int64_t i = 0; i < block; ++i) mx = std::max(mx, x.at(b * block + i));
        for (int64_t i = 0; i < block; ++i) sum += std::exp(x.at(b * block + i) - mx);
        for (int64_t i = 0; i < block; ++i) {
            const double v = x.at(b * block + i) - mx;
            out[static_cast<size_t>(b * block + i)] = log ? v - std::log(sum) : std::exp(v) / sum;
        }
    }
    return out;
}

TEST(OnnxPointwise, SoftmaxOpset11FlattensAndOpset13UsesOneAxis) {
    const Dims s = makeDims({2, 3, 4});
    HostTensor x = HostTensor::random(DataType::kFLOAT, s, 9, -3, 3);
    ModelBuilder v11(11);
    v11.input("x", DataType::kFLOAT, {2, 3, 4}).output("y");
    v11.node("Softmax", {"x"}, {"y"}).i("axis", 1);
    expectValues(runOne(v11, {{"x", x}}), s, softmaxBlocks(x, 12, false), kTol,
                 "Softmax-11 axis 1 (over 12 values)");

    ModelBuilder v13(13);
    v13.input("x", DataType::kFLOAT, {2, 3, 4}).output("y");
    v13.node("Softmax", {"x"}, {"y"}).i("axis", 1);
    // Over axis 1 only: transpose the reference's view by computing it directly.
    std::vector<double> want(static_cast<size_t>(x.numel()));
    for (int a = 0; a < 2; ++a)
        for (int c = 0; c < 4; ++c) {
            double sum = 0;
            for (int b = 0; b < 3; ++b) sum += std::exp(x.at((a * 3 + b) * 4 + c));
            for (int b = 0; b < 3; ++b)
                want[static_cast<size_t>((a * 3 + b) * 4 + c)] = std::exp(x.at((a * 3 + b) * 4 + c)) / sum;
        }
    expectValues(runOne(v13, {{"x", x}}), s, want, kTol, "Softmax-13 axis 1");

    ModelBuilder ls(13);
    ls.input("x", DataType::kFLOAT, {2, 3, 4}).output("y");
    ls.node("LogSoftmax", {"x"}, {"y"});
    expectValues(runOne(ls, {{"x", x}}), s, softmaxBlocks(x, 4, true), kTol, "LogSoftmax-13 last axis");

    // Opset 11 with a dynamic leading dim still flattens correctly.
    ModelBuilder dyn(11);
    dyn.input("x", DataType::kFLOAT, {-1, 3, 4}).output("y");
    dyn.node("Softmax", {"x"}, {"y"}).i("axis", 1);
    expectValues(runOne(dyn, {{"x", x}}), s, softmaxBlocks(x, 12, false), kTol, "Softmax-11 dynamic batch");
}

}  // namespace
}  // namespace kiln::testing
