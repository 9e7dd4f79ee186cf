// ONNX movement ops whose parameters are graph inputs, so only known when the shapes are resolved,
// against element-by-element references written here: Slice (run-time starts/ends/axes/steps with
// negative steps, out-of-range and INT64 bounds, negative and unsorted axes, int32 parameters, dynamic
// dims), Split (run-time sizes, zero-size parts), Squeeze/Unsqueeze (run-time axes, negative and
// unsorted) and Pad (run-time pads, value and axes in the four modes, crops). The same models with
// constant parameters still import to one layer, and bad run-time values fail with a message.
#include <algorithm>
#include <limits>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

HostTensor iotaTensor(Dims d) {
    HostTensor h(DataType::kFLOAT, d);
    for (int64_t i = 0; i < h.numel(); ++i) h.set(i, static_cast<double>(i));
    return h;
}

HostTensor ints(const std::vector<int64_t>& v, DataType type = DataType::kINT64) {
    return HostTensor::fromVector(type, makeDims({static_cast<int64_t>(v.size())}), v);
}

std::vector<int64_t> dimsVector(const Dims& d) {
    return std::vector<int64_t>(d.d, d.d + d.nbDims);
}

/// Python's x[start:end:step] on an extent of n: the indices read, computed by walking.
std::vector<int64_t> pythonSlice(int64_t n, int64_t start, int64_t end, int64_t step) {
    auto norm = [&](int64_t v, bool isEnd) -> int64_t {
        if (v < 0) v += n;
        if (step > 0) return std::clamp<int64_t>(v, 0, n);
        return std::clamp<int64_t>(v, isEnd ? -1 : 0, n - 1);
    };
    std::vector<int64_t> idx;
    for (int64_t i = norm(start, false), e = norm(end, true); step > 0 ? i < e : i > e; i += step)
        idx.push_back(i);
    return idx;
}

struct SliceCase {
    std::vector<int64_t> starts, ends, axes, steps;
};

/// The slice of a row-major rank-3 `x` picking `picked[d]` along each dim.
std::vector<double> gather3(const HostTensor& x, const std::vector<std::vector<int64_t>>& picked) {
    std::vector<double> v;
    for (int64_t i : picked[0])
        for (int64_t j : picked[1])
            for (int64_t k : picked[2]) v.push_back(x.at((i * x.shape.d[1] + j) * x.shape.d[2] + k));
    return v;
}

TEST(OnnxRuntimeParams, SliceWithRunTimeStartsEndsAxesSteps) {
    const int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
    const Dims s = makeDims({5, 7, 3});
    const HostTensor x = iotaTensor(s);
    const std::vector<SliceCase> cases = {
        {{0, 0}, {3, 10}, {0, 1}, {1, 1}},
        {{20, 10, 4}, {0, 0, 1}, {0, 1, 2}, {-1, -3, -2}},  // negative steps, starts past the end
        {{1}, {1000}, {1}, {1}},                            // end out of bounds
        {{1000}, {1000}, {1}, {1}},                         // start out of bounds: empty
        {{0, 0, 2}, {20, 10, 3}, {0, -2, -1}, {1, 1, 1}},   // negative axes
        {{-1}, {kMin}, {-3}, {-1}},                         // reversed, INT64_MIN end
        {{2, -100}, {kMax, 100}, {2, 0}, {2, 3}},           // unsorted axes
        {{-2, 6}, {-1, -9}, {1, -3}, {1, -4}},              // negative bounds, end before the start
    };
    // Which parameters are graph inputs: all, axes only, steps only, starts and ends only (as int32).
    const std::vector<std::vector<bool>> variants = {{true, true, true, true},
                                                     {false, false, true, false},
                                                     {false, false, false, true},
                                                     {true, true, false, false}};
    const char* names[] = {"starts", "ends", "axes", "steps"};
    for (const SliceCase& c : cases) {
        for (size_t v = 0; v < variants.size(); ++v) {
            for (bool dynamic : {false, true}) {
                const bool asInt32 = v == 3;
                std::vector<std::vector<int64_t>> params = {c.starts, c.ends, c.axes, c.steps};
                if (asInt32)
                    for (int p = 0; p < 2; ++p)
                        for (int64_t& e : params[static_cast<size_t>(p)])
                            e = std::clamp<int64_t>(e, std::numeric_limits<int32_t>::min(),
                                                    std::numeric_limits<int32_t>::max());
                ModelBuilder m(13);
                m.input("x", DataType::kFLOAT, dynamic ? std::vector<int64_t>{-1, 7, -1} : dimsVector(s))
                    .output("y");
                std::vector<std::pair<std::string, HostTensor>> feeds = {{"x", x}};
                for (int p = 0; p < 4; ++p) {
                    const auto& vals = params[static_cast<size_t>(p)];
                    const DataType t = asInt32 && p < 2 ? DataType::kINT32 : DataType::kINT64;
                    if (variants[v][static_cast<size_t>(p)]) {
                        m.input(names[p], t, {static_cast<int64_t>(vals.size())});
                        feeds.emplace_back(names[p], ints(vals, t));
                    } else {
                        m.ints(names[p], vals);
                    }
                }
                m.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
                std::vector<std::vector<int64_t>> picked(3);
                for (int d = 0; d < 3; ++d)
                    for (int64_t i = 0; i < s.d[d]; ++i) picked[static_cast<size_t>(d)].push_back(i);
                for (size_t j = 0; j < c.axes.size(); ++j) {
                    const int64_t a = c.axes[j] < 0 ? c.axes[j] + 3 : c.axes[j];
                    picked[static_cast<size_t>(a)] =
                        pythonSlice(s.d[a], params[0][j], params[1][j], c.steps[j]);
                }
                const Dims outShape =
                    makeDims({static_cast<int64_t>(picked[0].size()), static_cast<int64_t>(picked[1].size()),
                              static_cast<int64_t>(picked[2].size())});
                const std::string what = "Slice starts " + toString(makeDims(c.starts)) + " ends " +
                                         toString(makeDims(c.ends)) + " axes " + toString(makeDims(c.axes)) +
                                         " steps " + toString(makeDims(c.steps)) + " variant " +
                                         std::to_string(v) + (dynamic ? " dynamic dims" : "");
                expectValues(runOne(m, feeds), outShape, gather3(x, picked), 0, what);
            }
        }
    }
}

TEST(OnnxRuntimeParams, ConstantParametersStillImportToOneLayer) {
    ModelBuilder slice(13);
    slice.input("x", DataType::kFLOAT, {5, 7, 3}).output("y");
    slice.ints("st", {-1, 1}).ints("en", {0, 1000}).ints("ax", {-1, 0}).ints("sp", {-1, 2});
    slice.node("Slice", {"x", "st", "en", "ax", "sp"}, {"y"});
    ModelBuilder pad(19);
    pad.input("x", DataType::kFLOAT, {3, 5}).output("y");
    pad.ints("pads", {2, -1}).ints("axes", {-1}).floats("v", Dims{}, {4.f});
    pad.node("Pad", {"x", "pads", "v", "axes"}, {"y"});
    ModelBuilder squeeze(13);
    squeeze.input("x", DataType::kFLOAT, {1, 3, 1, 5}).output("y");
    squeeze.ints("axes", {-2, 0});
    squeeze.node("Squeeze", {"x", "axes"}, {"y"});
    ModelBuilder unsqueeze(13);
    unsqueeze.input("x", DataType::kFLOAT, {3, 5}).output("y");
    unsqueeze.ints("axes", {3, 0});
    unsqueeze.node("Unsqueeze", {"x", "axes"}, {"y"});
    const std::pair<const ModelBuilder*, LayerType> models[] = {{&slice, LayerType::kSLICE},
                                                                {&pad, LayerType::kPADDING},
                                                                {&squeeze, LayerType::kSHUFFLE},
                                                                {&unsqueeze, LayerType::kSHUFFLE}};
    for (const auto& [m, type] : models) {
        TestLogger logger;
        OnnxRun r = parseOnly(m->bytes(), logger);
        const std::string what = m->model.graph().node(0).op_type();
        ASSERT_TRUE(r.parsed) << what << "\n" << r.errors;
        ASSERT_EQ(r.nbLayers, 1) << what << ": constant parameters must fold to the one layer";
        EXPECT_EQ(r.layerTypes[0], type) << what;
    }
}

TEST(OnnxRuntimeParams, SplitWithRunTimeSizes) {
    const HostTensor x = iotaTensor(makeDims({2, 7}));
    for (bool dynamic : {false, true}) {
        ModelBuilder m(13);
        m.input("x", DataType::kFLOAT, {2, dynamic ? -1 : 7}).input("split", DataType::kINT64, {3});
        m.output("a").output("b").output("c");
        m.node("Split", {"x", "split"}, {"a", "b", "c"}).i("axis", -1);
        OnnxRun r = runOnnx(m.bytes(), {{"x", x}, {"split", ints({2, 0, 5})}}, {"a", "b", "c"});
        const std::string what = std::string("Split [2, 0, 5]") + (dynamic ? " dynamic" : "");
        ASSERT_TRUE(r.parsed) << what << "\n" << r.errors;
        expectValues(r.outputs[0], makeDims({2, 2}), {0, 1, 7, 8}, 0, what + " part 0");
        expectValues(r.outputs[1], makeDims({2, 0}), {}, 0, what + " part 1 (empty)");
        expectValues(r.outputs[2], makeDims({2, 5}), {2, 3, 4, 5, 6, 9, 10, 11, 12, 13}, 0, what + " part 2");
    }
    // An empty input split into empty parts, opset 18 with the sizes as an input.
    ModelBuilder e(18);
    e.input("x", DataType::kFLOAT, {0})
        .input("split", DataType::kINT64, {3})
        .output("a")
        .output("b")
        .output("c");
    e.node("Split", {"x", "split"}, {"a", "b", "c"});
    OnnxRun r =
        runOnnx(e.bytes(), {{"x", HostTensor(DataType::kFLOAT, makeDims({0}))}, {"split", ints({0, 0, 0})}},
                {"a", "b", "c"});
    ASSERT_TRUE(r.parsed) << r.errors;
    for (size_t i = 0; i < 3; ++i)
        expectValues(r.outputs[i], makeDims({0}), {}, 0, "zero-size split " + std::to_string(i));

    // Sizes summing past the extent make the last part read out of bounds: an error, not garbage.
    ModelBuilder bad(13);
    bad.input("x", DataType::kFLOAT, {2, 7}).input("split", DataType::kINT64, {2}).output("a").output("b");
    bad.node("Split", {"x", "split"}, {"a", "b"}).i("axis", 1);
    OnnxRun rb = runOnnx(bad.bytes(), {{"x", x}, {"split", ints({3, 5})}}, {"a", "b"});
    EXPECT_FALSE(rb.parsed);
    EXPECT_NE(rb.errors.find("outside [0, 7)"), std::string::npos) << rb.errors;
}

TEST(OnnxRuntimeParams, SqueezeAndUnsqueezeWithRunTimeAxes) {
    struct Case {
        const char* op;
        std::vector<int64_t> in, axes, out;
    };
    const std::vector<Case> cases = {
        {"Squeeze", {1, 3, 1, 5}, {-2}, {1, 3, 5}},
        {"Squeeze", {1, 3, 1, 5}, {2, 0}, {3, 5}},
        {"Squeeze", {1, 3, 1, 5}, {0}, {3, 1, 5}},
        {"Squeeze", {1, 1}, {1, -2}, {}},
        {"Unsqueeze", {3, 4, 5}, {5, 4, 2}, {3, 4, 1, 5, 1, 1}},
        {"Unsqueeze", {3, 4, 5}, {0, -1}, {1, 3, 4, 5, 1}},
        {"Unsqueeze", {1, 3, 1, 5}, {-2}, {1, 3, 1, 1, 5}},
        {"Unsqueeze", {}, {1, 0}, {1, 1}},
    };
    for (const Case& c : cases) {
        for (bool dynamic : {false, true}) {
            if (dynamic && c.in.empty()) continue;  // a scalar has no dim to make dynamic
            std::vector<int64_t> inDims = c.in;
            if (dynamic) inDims[0] = -1;
            ModelBuilder m(13);
            m.input("x", DataType::kFLOAT, inDims)
                .input("axes", DataType::kINT64, {static_cast<int64_t>(c.axes.size())});
            m.output("y");
            m.node(c.op, {"x", "axes"}, {"y"});
            const HostTensor x = iotaTensor(makeDims(c.in));
            std::vector<double> want(static_cast<size_t>(x.numel()));
            for (size_t i = 0; i < want.size(); ++i)
                want[i] = static_cast<double>(i);  // a reshape keeps the order
            const std::string what = std::string(c.op) + " " + toString(makeDims(c.in)) + " axes " +
                                     toString(makeDims(c.axes)) + (dynamic ? " dynamic" : "");
            expectValues(runOne(m, {{"x", x}, {"axes", ints(c.axes)}}), makeDims(c.out), want, 0, what);
        }
    }
    // Squeezing a dim that is not 1, or repeating an axis, fails when the shapes are resolved.
    const struct {
        const char* op;
        std::vector<int64_t> in, axes;
        const char* message;
    } bad[] = {{"Squeeze", {1, 3, 1, 5}, {1}, "volume"},
               {"Unsqueeze", {3, 4}, {1, 1}, "out of range"},
               {"Unsqueeze", {3, 4}, {4, 0}, "out of range"}};
    for (const auto& b : bad) {
        ModelBuilder m(13);
        m.input("x", DataType::kFLOAT, b.in)
            .input("axes", DataType::kINT64, {static_cast<int64_t>(b.axes.size())});
        m.output("y");
        m.node(b.op, {"x", "axes"}, {"y"});
        OnnxRun r = runOnnx(m.bytes(), {{"x", iotaTensor(makeDims(b.in))}, {"axes", ints(b.axes)}}, {"y"});
        EXPECT_FALSE(r.parsed) << b.op << " axes " << toString(makeDims(b.axes));
        EXPECT_NE(r.errors.find(b.message), std::string::npos) << b.op << ":\n" << r.errors;
    }
}

/// ONNX Pad on a row-major rank-2 `x`, element by element: the source coordinate of each output one.
std::vector<double> padReference(const HostTensor& x, const std::string& mode,
                                 const std::vector<int64_t>& pre, const std::vector<int64_t>& post,
                                 double value, Dims* outShape) {
    const int64_t n0 = x.shape.d[0], n1 = x.shape.d[1];
    const int64_t o0 = n0 + pre[0] + post[0], o1 = n1 + pre[1] + post[1];
    *outShape = makeDims({o0, o1});
    auto source = [&](int64_t c, int64_t n) -> int64_t {  // -1: the constant value
        if (c >= 0 && c < n) return c;
        if (mode == "constant") return -1;
        if (mode == "edge") return c < 0 ? 0 : n - 1;
        if (mode == "wrap") return ((c % n) + n) % n;
        if (n == 1) return 0;  // reflect: a single element mirrors onto itself
        while (c < 0 || c >= n) c = c < 0 ? -c : 2 * (n - 1) - c;  // reflect, bouncing until inside
        return c;
    };
    std::vector<double> v;
    for (int64_t i = 0; i < o0; ++i) {
        for (int64_t j = 0; j < o1; ++j) {
            const int64_t a = source(i - pre[0], n0), b = source(j - pre[1], n1);
            v.push_back(a < 0 || b < 0 ? value : x.at(a * n1 + b));
        }
    }
    return v;
}

TEST(OnnxRuntimeParams, PadWithRunTimePadsValueAndAxes) {
    const HostTensor x = iotaTensor(makeDims({3, 5}));
    struct Case {
        std::vector<int64_t> pads, axes;  // axes empty: all
        std::vector<int64_t> pre, post;   // per dim, for the reference
    };
    const std::vector<Case> cases = {
        {{1, 2, 2, 1}, {}, {1, 2}, {2, 1}},
        {{0, -1, 2, 4}, {}, {0, -1}, {2, 4}},    // crop the first column, pad the rest
        {{4, -2}, {-1}, {0, 4}, {0, -2}},        // negative axis, pad more than the extent (reflect bounces)
        {{2, 1, 0, 1}, {1, 0}, {1, 2}, {1, 0}},  // unsorted axes
    };
    for (const char* mode : {"constant", "reflect", "edge", "wrap"}) {
        for (const Case& c : cases) {
            // Which of pads / value / axes are graph inputs; the rest are initializers.
            for (int variant = 0; variant < 3; ++variant) {
                const bool padsIn = variant != 1, valueIn = variant != 0,
                           axesIn = variant == 2 && !c.axes.empty();
                ModelBuilder m(19);
                m.input("x", DataType::kFLOAT, {3, variant == 2 ? -1 : 5}).output("y");
                std::vector<std::pair<std::string, HostTensor>> feeds = {{"x", x}};
                if (padsIn) {
                    m.input("pads", DataType::kINT64, {static_cast<int64_t>(c.pads.size())});
                    feeds.emplace_back("pads", ints(c.pads));
                } else {
                    m.ints("pads", c.pads);
                }
                if (valueIn) {
                    m.input("v", DataType::kFLOAT, {});
                    feeds.emplace_back("v", floatTensor(Dims{}, {-7.5f}));
                } else {
                    m.floats("v", Dims{}, {-7.5f});
                }
                std::vector<std::string> ins = {"x", "pads", "v"};
                if (!c.axes.empty()) {
                    if (axesIn) {
                        m.input("axes", DataType::kINT64, {static_cast<int64_t>(c.axes.size())});
                        feeds.emplace_back("axes", ints(c.axes));
                    } else {
                        m.ints("axes", c.axes);
                    }
                    ins.push_back("axes");
                }
                m.node("Pad", ins, {"y"}).s("mode", mode);
                Dims outShape;
                const std::vector<double> want = padReference(x, mode, c.pre, c.post, -7.5, &outShape);
                const std::string what = std::string("Pad ") + mode + " pads " + toString(makeDims(c.pads)) +
                                         " axes " + toString(makeDims(c.axes)) + " variant " +
                                         std::to_string(variant);
                expectValues(runOne(m, feeds), outShape, want, 0, what);
            }
        }
    }
    // Cropping more than the extent leaves a negative size: an error naming it when shapes are resolved.
    ModelBuilder m(19);
    m.input("x", DataType::kFLOAT, {3, 5}).input("pads", DataType::kINT64, {4}).output("y");
    m.node("Pad", {"x", "pads"}, {"y"});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}, {"pads", ints({0, -4, 0, -3})}}, {"y"});
    EXPECT_FALSE(r.parsed);
    EXPECT_NE(r.errors.find("negative extent -2"), std::string::npos) << r.errors;
}

TEST(OnnxRuntimeParams, BadRunTimeSliceParametersFail) {
    const HostTensor x = iotaTensor(makeDims({5, 7, 3}));
    const struct {
        std::vector<int64_t> axes, steps;
        const char* message;
    } cases[] = {{{1}, {0}, "negative extent -1"},  // a zero step
                 {{3}, {1}, "out of range"},        // an axis past the rank
                 {{-4}, {1}, "out of range"}};
    for (const auto& c : cases) {
        ModelBuilder m(13);
        m.input("x", DataType::kFLOAT, {5, 7, 3}).input("axes", DataType::kINT64, {1});
        m.input("steps", DataType::kINT64, {1}).output("y");
        m.ints("st", {0}).ints("en", {3});
        m.node("Slice", {"x", "st", "en", "axes", "steps"}, {"y"});
        OnnxRun r = runOnnx(m.bytes(), {{"x", x}, {"axes", ints(c.axes)}, {"steps", ints(c.steps)}}, {"y"});
        const std::string what =
            "axes " + toString(makeDims(c.axes)) + " steps " + toString(makeDims(c.steps));
        EXPECT_FALSE(r.parsed) << what;
        EXPECT_NE(r.errors.find(c.message), std::string::npos) << what << ":\n" << r.errors;
    }
}

}  // namespace
}  // namespace kiln::testing
