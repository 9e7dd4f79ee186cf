// ONNX data-movement importers against element-by-element references written here: Transpose, Concat,
// Split (attribute, input, num_outputs, equal parts, dynamic extent), Slice (negative and out-of-range
// bounds, INT64_MAX ends, negative steps, axes subsets, opset-9 attributes, run-time extents and
// starts), Gather with negative indices, GatherElements, GatherND, Pad (constant, reflect, edge, crop),
// DepthToSpace and SpaceToDepth.
#include <limits>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

HostTensor iotaTensor(Dims d) {
    HostTensor h(DataType::kFLOAT, d);
    for (int64_t i = 0; i < h.numel(); ++i) h.set(i, static_cast<double>(i));
    return h;
}

std::vector<int64_t> coordOf(int64_t flat, const Dims& d) {
    std::vector<int64_t> c(static_cast<size_t>(d.nbDims));
    for (int i = d.nbDims - 1; i >= 0; --i) {
        c[static_cast<size_t>(i)] = flat % d.d[i];
        flat /= d.d[i];
    }
    return c;
}

int64_t flatOf(const std::vector<int64_t>& c, const Dims& d) {
    int64_t f = 0;
    for (int i = 0; i < d.nbDims; ++i) f = f * d.d[i] + c[static_cast<size_t>(i)];
    return f;
}

TEST(OnnxMovement, TransposeAndConcat) {
    HostTensor x = iotaTensor(makeDims({2, 3, 4}));
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2, 3, 4}).output("rev").output("perm").output("cat");
    m.node("Transpose", {"x"}, {"rev"});
    m.node("Transpose", {"x"}, {"perm"}).ints("perm", {1, 2, 0});
    m.initializer("c", HostTensor(DataType::kFLOAT, makeDims({2, 3, 1})));
    m.node("Concat", {"x", "c", "x"}, {"cat"}).i("axis", -1);
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"rev", "perm", "cat"});
    ASSERT_TRUE(r.parsed) << r.errors;
    auto transposed = [&](const std::vector<int>& perm, Dims out) {
        std::vector<double> v(static_cast<size_t>(volume(out)));
        for (int64_t i = 0; i < x.numel(); ++i) {
            auto c = coordOf(i, x.shape);
            std::vector<int64_t> oc;
            for (int p : perm) oc.push_back(c[static_cast<size_t>(p)]);
            v[static_cast<size_t>(flatOf(oc, out))] = x.at(i);
        }
        return v;
    };
    expectValues(r.outputs[0], makeDims({4, 3, 2}), transposed({2, 1, 0}, makeDims({4, 3, 2})), 0,
                 "default perm");
    expectValues(r.outputs[1], makeDims({3, 4, 2}), transposed({1, 2, 0}, makeDims({3, 4, 2})), 0,
                 "perm 1,2,0");
    std::vector<double> cat;
    for (int64_t row = 0; row < 6; ++row) {
        for (int k = 0; k < 4; ++k) cat.push_back(static_cast<double>(row * 4 + k));
        cat.push_back(0);
        for (int k = 0; k < 4; ++k) cat.push_back(static_cast<double>(row * 4 + k));
    }
    expectValues(r.outputs[2], makeDims({2, 3, 9}), cat, 0, "Concat axis -1 with a constant");
}

TEST(OnnxMovement, SplitForms) {
    HostTensor x = iotaTensor(makeDims({2, 7}));
    auto part = [&](int64_t begin, int64_t len) {
        std::vector<double> v;
        for (int r = 0; r < 2; ++r)
            for (int64_t c = begin; c < begin + len; ++c) v.push_back(static_cast<double>(r * 7 + c));
        return v;
    };
    struct Case {
        int64_t opset;
        std::vector<int64_t> split;  // empty: equal parts
        bool asInput, dynamic;
        int outputs;
        std::vector<int64_t> expect;
    };
    for (const Case& c : {Case{11, {2, 4, 1}, false, false, 3, {2, 4, 1}},
                          Case{13, {3, 4}, true, false, 2, {3, 4}}, Case{18, {}, false, false, 3, {3, 3, 1}},
                          Case{18, {}, false, true, 3, {3, 3, 1}}, Case{13, {5, 2}, true, true, 2, {5, 2}}}) {
        ModelBuilder m(c.opset);
        m.input("x", DataType::kFLOAT, {2, c.dynamic ? -1 : 7});
        std::vector<std::string> outs, ins{"x"};
        for (int i = 0; i < c.outputs; ++i) {
            outs.push_back("y" + std::to_string(i));
            m.output(outs.back());
        }
        if (c.asInput) {
            m.ints("split", c.split);
            ins.push_back("split");
        }
        NodeBuilder n = m.node("Split", ins, outs).i("axis", 1);
        if (!c.asInput && !c.split.empty()) n.ints("split", c.split);
        if (c.split.empty() && c.opset >= 18) n.i("num_outputs", c.outputs);
        OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, outs);
        const std::string what = "Split opset " + std::to_string(c.opset) + (c.dynamic ? " dynamic" : "");
        ASSERT_TRUE(r.parsed) << what << "\n" << r.errors;
        int64_t begin = 0;
        for (int i = 0; i < c.outputs; ++i) {
            const int64_t len = c.expect[static_cast<size_t>(i)];
            expectValues(r.outputs[static_cast<size_t>(i)], makeDims({2, len}), part(begin, len), 0,
                         what + " part " + std::to_string(i));
            begin += len;
        }
    }
}

/// Python slicing of one axis: the indices picked by [start:end:step] on an extent of n.
std::vector<int64_t> pythonSlice(int64_t n, int64_t start, int64_t end, int64_t step) {
    auto norm = [&](int64_t v, bool isEnd) -> int64_t {
        if (v < 0) v += n;
        if (step > 0) return std::clamp<int64_t>(v, 0, n);
        return std::clamp<int64_t>(v, isEnd ? -1 : 0, n - 1);
    };
    std::vector<int64_t> idx;
    const int64_t s = norm(start, false), e = norm(end, true);
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step) idx.push_back(i);
    return idx;
}

struct SliceCase {
    std::vector<int64_t> starts, ends, axes, steps;
};

TEST(OnnxMovement, SliceMatchesPythonSlicing) {
    const int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
    const Dims s = makeDims({5, 6, 4});
    HostTensor x = iotaTensor(s);
    const std::vector<SliceCase> cases = {
        {{1, 0}, {4, 3}, {0, 2}, {1, 1}},
        {{-2}, {kMax}, {1}, {1}},
        {{-1}, {kMin}, {1}, {-1}},  // reverse
        {{10, -100}, {-10, 100}, {0, 2}, {-2, 3}},
        {{1}, {1}, {0}, {1}},  // empty
        {{0, 5}, {kMax, 0}, {-1, 1}, {2, -2}},
        {{-3}, {-1}, {-2}, {1}},
    };
    for (bool dynamic : {false, true}) {
        for (const SliceCase& c : cases) {
            ModelBuilder m(13);
            m.input("x", DataType::kFLOAT,
                    dynamic ? std::vector<int64_t>{-1, -1, 4} : std::vector<int64_t>{5, 6, 4})
                .output("y");
            m.ints("st", c.starts).ints("en", c.ends).ints("ax", c.axes).ints("sp", c.steps);
            m.node("Slice", {"x", "st", "en", "ax", "sp"}, {"y"});
            std::vector<std::vector<int64_t>> picked;
            for (int d = 0; d < 3; ++d) {
                std::vector<int64_t> all;
                for (int64_t i = 0; i < s.d[d]; ++i) all.push_back(i);
                picked.push_back(all);
            }
            for (size_t j = 0; j < c.axes.size(); ++j) {
                const int64_t a = c.axes[j] < 0 ? c.axes[j] + 3 : c.axes[j];
                picked[static_cast<size_t>(a)] = pythonSlice(s.d[a], c.starts[j], c.ends[j], c.steps[j]);
            }
            std::vector<double> want;
            for (int64_t i : picked[0])
                for (int64_t j : picked[1])
                    for (int64_t k : picked[2]) want.push_back(x.at((i * 6 + j) * 4 + k));
            Dims outShape =
                makeDims({static_cast<int64_t>(picked[0].size()), static_cast<int64_t>(picked[1].size()),
                          static_cast<int64_t>(picked[2].size())});
            std::string what = "Slice starts " + toString(makeDims(c.starts)) + " axes " +
                               toString(makeDims(c.axes)) + " steps " + toString(makeDims(c.steps)) +
                               (dynamic ? " dynamic dims" : "");
            expectValues(runOne(m, {{"x", x}}), outShape, want, 0, what);
        }
    }
    // Opset 9: attributes; run-time starts (a graph input) exercise the negative-index select.
    ModelBuilder a(9);
    a.input("x", DataType::kFLOAT, {5, 6, 4}).output("y");
    a.node("Slice", {"x"}, {"y"}).ints("starts", {1, -3}).ints("ends", {3, 1000}).ints("axes", {0, 1});
    std::vector<double> want;
    for (int i = 1; i < 3; ++i)
        for (int j = 3; j < 6; ++j)
            for (int k = 0; k < 4; ++k) want.push_back((i * 6 + j) * 4 + k);
    expectValues(runOne(a, {{"x", x}}), makeDims({2, 3, 4}), want, 0, "Slice opset 9 attributes");

    // Starts computed at run time from a dynamic dim: -(d1 / 3), which is negative, so the importer's
    // negative-index select runs at run time.
    ModelBuilder d(13);
    d.input("x", DataType::kFLOAT, {5, -1, 4}).output("y");
    d.ints("en", {kMax}).ints("ax", {1}).ints("i1", {1}).ints("three", {3});
    d.node("Shape", {"x"}, {"shape"});
    d.node("Gather", {"shape", "i1"}, {"d1"}).i("axis", 0);
    d.node("Div", {"d1", "three"}, {"third"});
    d.node("Neg", {"third"}, {"st"});
    d.node("Slice", {"x", "st", "en", "ax"}, {"y"});
    want.clear();
    for (int i = 0; i < 5; ++i)
        for (int j = 4; j < 6; ++j)
            for (int k = 0; k < 4; ++k) want.push_back((i * 6 + j) * 4 + k);
    expectValues(runOne(d, {{"x", x}}), makeDims({5, 2, 4}), want, 0, "Slice with run-time negative starts");
}

TEST(OnnxMovement, GatherFamily) {
    HostTensor x = iotaTensor(makeDims({3, 4}));
    ModelBuilder m(13);
    m.input("x", DataType::kFLOAT, {3, 4}).output("g").output("s").output("e").output("nd");
    m.initializer(
        "idx", HostTensor::fromVector(DataType::kINT64, makeDims({2, 2}), std::vector<int64_t>{-1, 0, 2, 1}));
    m.initializer("one", HostTensor::fromVector(DataType::kINT64, Dims{}, std::vector<int64_t>{-2}));
    m.initializer("eidx", HostTensor::fromVector(DataType::kINT32, makeDims({2, 4}),
                                                 std::vector<int>{2, 0, 1, -1, 0, 0, 2, 1}));
    m.initializer(
        "nidx", HostTensor::fromVector(DataType::kINT64, makeDims({2, 2}), std::vector<int64_t>{2, 3, 0, 1}));
    m.node("Gather", {"x", "idx"}, {"g"}).i("axis", 1);
    m.node("Gather", {"x", "one"}, {"s"}).i("axis", 0);
    m.node("GatherElements", {"x", "eidx"}, {"e"}).i("axis", 0);
    m.node("GatherND", {"x", "nidx"}, {"nd"});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"g", "s", "e", "nd"});
    ASSERT_TRUE(r.parsed) << r.errors;
    std::vector<double> g;
    for (int i = 0; i < 3; ++i)
        for (int c : {3, 0, 2, 1}) g.push_back(i * 4 + c);
    expectValues(r.outputs[0], makeDims({3, 2, 2}), g, 0, "Gather axis 1, negative index");
    expectValues(r.outputs[1], makeDims({4}), {4, 5, 6, 7}, 0, "Gather scalar index -2");
    // GatherElements axis 0: out[i][j] = x[idx[i][j]][j], idx -1 -> 2.
    expectValues(r.outputs[2], makeDims({2, 4}), {8, 1, 6, 11, 0, 1, 10, 7}, 0, "GatherElements");
    expectValues(r.outputs[3], makeDims({2}), {11, 1}, 0, "GatherND");
}

TEST(OnnxMovement, PadModes) {
    HostTensor x = iotaTensor(makeDims({2, 3}));  // [[0,1,2],[3,4,5]]
    struct Case {
        const char* mode;
        std::vector<double> want;
    };
    // pads: axis0 (1, 0), axis1 (2, 1) -> out [3, 6].
    for (const Case& c : {Case{"constant", {9, 9, 9, 9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 9, 3, 4, 5, 9}},
                          Case{"reflect", {5, 4, 3, 4, 5, 4, 2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4}},
                          Case{"edge", {0, 0, 0, 1, 2, 2, 0, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 5}}}) {
        ModelBuilder m(13);
        m.input("x", DataType::kFLOAT, {2, 3}).output("y");
        m.ints("pads", {1, 2, 0, 1});
        m.floats("v", Dims{}, {9.f});
        m.node("Pad", {"x", "pads", "v"}, {"y"}).s("mode", c.mode);
        expectValues(runOne(m, {{"x", x}}), makeDims({3, 6}), c.want, 0, std::string("Pad ") + c.mode);
    }
    ModelBuilder old(9);
    old.input("x", DataType::kFLOAT, {2, 3}).output("y");
    old.node("Pad", {"x"}, {"y"}).ints("pads", {0, -1, 1, 0}).f("value", -1.f);  // crop one column, add a row
    expectValues(runOne(old, {{"x", x}}), makeDims({3, 2}), {1, 2, 4, 5, -1, -1}, 0,
                 "Pad opset 9 with a crop");
}

TEST(OnnxMovement, DepthToSpaceAndSpaceToDepth) {
    const int64_t b = 2, c = 8, h = 2, w = 3;
    HostTensor x = iotaTensor(makeDims({1, c, h, w}));
    for (const char* mode : {"DCR", "CRD"}) {
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {-1, c, h, w}).output("y");
        m.node("DepthToSpace", {"x"}, {"y"}).i("blocksize", b).s("mode", mode);
        const int64_t oc = c / (b * b);
        std::vector<double> want;
        for (int64_t co = 0; co < oc; ++co)
            for (int64_t y = 0; y < h * b; ++y)
                for (int64_t z = 0; z < w * b; ++z) {
                    const int64_t by = y % b, bz = z % b;
                    const int64_t ci =
                        std::string(mode) == "DCR" ? (by * b + bz) * oc + co : co * b * b + by * b + bz;
                    want.push_back(x.at((ci * h + y / b) * w + z / b));
                }
        expectValues(runOne(m, {{"x", x}}), makeDims({1, oc, h * b, w * b}), want, 0,
                     std::string("DepthToSpace ") + mode);
    }
    HostTensor s = iotaTensor(makeDims({1, 2, 4, 6}));
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {1, 2, 4, 6}).output("y");
    m.node("SpaceToDepth", {"x"}, {"y"}).i("blocksize", b);
    std::vector<double> want;
    for (int64_t co = 0; co < 8; ++co)
        for (int64_t y = 0; y < 2; ++y)
            for (int64_t z = 0; z < 3; ++z) {
                const int64_t ci = co % 2, by = (co / 2) / b, bz = (co / 2) % b;
                want.push_back(s.at((ci * 4 + y * b + by) * 6 + z * b + bz));
            }
    expectValues(runOne(m, {{"x", s}}), makeDims({1, 8, 2, 3}), want, 0, "SpaceToDepth");
}

}  // namespace
}  // namespace kiln::testing
