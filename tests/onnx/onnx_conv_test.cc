// ONNX Conv, ConvTranspose, pooling and normalization importers against naive double-precision loops
// written here: pads given per side, auto_pad SAME_UPPER/SAME_LOWER/VALID, strides, dilations, groups
// (incl. depthwise), bias, 1-D and 2-D, dynamic batch; ConvTranspose with output_padding and
// output_shape; MaxPool ceil_mode, dilations and Indices output (both storage orders), AveragePool
// count_include_pad and dilations, global pools; BatchNormalization folded to a Scale layer, Instance-,
// Group- (opsets 18 and 21) and LayerNormalization.
#include <cmath>
#include <functional>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

// float32 accumulations of at most a few hundred products, compared with double loops.
constexpr double kTol = 1e-4;

struct ConvParams {
    std::vector<int64_t> x;  // [N, C, spatial...]
    int64_t m{1}, group{1};
    std::vector<int64_t> k, stride, pre, post, dil;
};

/// Direct convolution, spatial rank 1 or 2 (a 1-D problem is a 2-D one with height 1).
std::pair<Dims, std::vector<double>> refConv(const ConvParams& p, const HostTensor& x, const HostTensor& w,
                                             const HostTensor* b) {
    const bool oneD = p.k.size() == 1;
    auto sp = [&](const std::vector<int64_t>& v, int i, int64_t one) {
        return oneD ? (i == 0 ? one : v[0]) : v[static_cast<size_t>(i)];
    };
    const int64_t n = p.x[0], c = p.x[1], h = oneD ? 1 : p.x[2], wd = oneD ? p.x[2] : p.x[3];
    const int64_t kh = sp(p.k, 0, 1), kw = sp(p.k, 1, 1), sh = sp(p.stride, 0, 1), sw = sp(p.stride, 1, 1);
    const int64_t dh = sp(p.dil, 0, 1), dw = sp(p.dil, 1, 1), ph = sp(p.pre, 0, 0), pw = sp(p.pre, 1, 0);
    const int64_t eh = sp(p.post, 0, 0), ew = sp(p.post, 1, 0);
    const int64_t oh = (h + ph + eh - (kh - 1) * dh - 1) / sh + 1,
                  ow = (wd + pw + ew - (kw - 1) * dw - 1) / sw + 1;
    const int64_t cg = c / p.group, mg = p.m / p.group;
    std::vector<double> out;
    for (int64_t ni = 0; ni < n; ++ni)
        for (int64_t mi = 0; mi < p.m; ++mi)
            for (int64_t y = 0; y < oh; ++y)
                for (int64_t xo = 0; xo < ow; ++xo) {
                    double s = b ? b->at(mi) : 0.0;
                    const int64_t g = mi / mg;
                    for (int64_t ci = 0; ci < cg; ++ci)
                        for (int64_t a = 0; a < kh; ++a)
                            for (int64_t e = 0; e < kw; ++e) {
                                const int64_t iy = y * sh - ph + a * dh, ix = xo * sw - pw + e * dw;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                s += x.at(((ni * c + g * cg + ci) * h + iy) * wd + ix) *
                                     w.at(((mi * cg + ci) * kh + a) * kw + e);
                            }
                    out.push_back(s);
                }
    Dims d = oneD ? makeDims({n, p.m, ow}) : makeDims({n, p.m, oh, ow});
    return {d, out};
}

ModelBuilder convModel(const ConvParams& p, const HostTensor& w, const HostTensor* b, bool dynamicBatch) {
    ModelBuilder m;
    std::vector<int64_t> xd = p.x;
    if (dynamicBatch) xd[0] = -1;
    m.input("x", DataType::kFLOAT, xd, {"N"}).output("y");
    m.initializer("w", w);
    std::vector<std::string> ins{"x", "w"};
    if (b) {
        m.initializer("b", *b);
        ins.push_back("b");
    }
    std::vector<int64_t> pads = p.pre;
    pads.insert(pads.end(), p.post.begin(), p.post.end());
    m.node("Conv", ins, {"y"})
        .ints("strides", p.stride)
        .ints("pads", pads)
        .ints("dilations", p.dil)
        .i("group", p.group)
        .ints("kernel_shape", p.k);
    return m;
}

TEST(OnnxConv, ConvMatchesDirectConvolution) {
    const std::vector<ConvParams> cases = {
        {{1, 4, 7, 5}, 6, 2, {3, 2}, {2, 1}, {1, 0}, {2, 1}, {1, 2}},  // groups, asymmetric pads, dilation
        {{2, 3, 9}, 2, 1, {3}, {2}, {1}, {0}, {1}},                    // 1-D
        {{1, 5, 6, 6}, 5, 5, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}},  // depthwise
        {{3, 2, 4, 3}, 3, 1, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {1, 1}},  // 1x1
    };
    int seed = 1;
    for (const ConvParams& p : cases) {
        std::vector<int64_t> wd{p.m, p.x[1] / p.group};
        wd.insert(wd.end(), p.k.begin(), p.k.end());
        HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims(p.x), static_cast<uint64_t>(seed++));
        HostTensor w = HostTensor::random(DataType::kFLOAT, makeDims(wd), static_cast<uint64_t>(seed++));
        HostTensor b = HostTensor::random(DataType::kFLOAT, makeDims({p.m}), static_cast<uint64_t>(seed++));
        auto [shape, want] = refConv(p, x, w, &b);
        for (bool dyn : {false, true}) {
            const std::string what = "Conv x" + toString(makeDims(p.x)) + " group " +
                                     std::to_string(p.group) + (dyn ? " dynamic batch" : "");
            expectValues(runOne(convModel(p, w, &b, dyn), {{"x", x}}), shape, want, kTol, what);
        }
    }
}

TEST(OnnxConv, AutoPadSameAndValid) {
    // in 7x5, kernel 3x2, stride 2: SAME gives out 4x3; total pads H = 3*2+3-7 = 2, W = 2*2+2-5 = 1.
    ConvParams p{{1, 2, 7, 5}, 3, 1, {3, 2}, {2, 2}, {1, 0}, {1, 1}, {1, 1}};
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims(p.x), 3);
    HostTensor w = HostTensor::random(DataType::kFLOAT, makeDims({3, 2, 3, 2}), 4);
    struct Case {
        const char* autoPad;
        std::vector<int64_t> pre, post;
    };
    for (const Case& c : {Case{"SAME_UPPER", {1, 0}, {1, 1}}, Case{"SAME_LOWER", {1, 1}, {1, 0}},
                          Case{"VALID", {0, 0}, {0, 0}}}) {
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, p.x).output("y");
        m.initializer("w", w);
        m.node("Conv", {"x", "w"}, {"y"}).ints("strides", p.stride).s("auto_pad", c.autoPad);
        ConvParams q = p;
        q.pre = c.pre;
        q.post = c.post;
        auto [shape, want] = refConv(q, x, w, nullptr);
        expectValues(runOne(m, {{"x", x}}), shape, want, kTol, c.autoPad);
    }
}

/// Transposed convolution, 2-D: scatter each input pixel through the kernel.
std::pair<Dims, std::vector<double>> refDeconv(const HostTensor& x, const HostTensor& w, int64_t group,
                                               std::vector<int64_t> stride, std::vector<int64_t> pre,
                                               std::vector<int64_t> post, std::vector<int64_t> outPad) {
    const int64_t n = x.shape.d[0], c = x.shape.d[1], h = x.shape.d[2], wd = x.shape.d[3];
    const int64_t mg = w.shape.d[1], kh = w.shape.d[2], kw = w.shape.d[3], m = mg * group, cg = c / group;
    const int64_t fullH = stride[0] * (h - 1) + kh + outPad[0], fullW = stride[1] * (wd - 1) + kw + outPad[1];
    const int64_t oh = fullH - pre[0] - post[0], ow = fullW - pre[1] - post[1];
    std::vector<double> out(static_cast<size_t>(n * m * oh * ow), 0.0);
    for (int64_t ni = 0; ni < n; ++ni)
        for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t iy = 0; iy < h; ++iy)
                for (int64_t ix = 0; ix < wd; ++ix)
                    for (int64_t mo = 0; mo < mg; ++mo)
                        for (int64_t a = 0; a < kh; ++a)
                            for (int64_t e = 0; e < kw; ++e) {
                                const int64_t y = iy * stride[0] + a - pre[0],
                                              xo = ix * stride[1] + e - pre[1];
                                if (y < 0 || y >= oh || xo < 0 || xo >= ow) continue;
                                const int64_t mi = (ci / cg) * mg + mo;
                                out[static_cast<size_t>(((ni * m + mi) * oh + y) * ow + xo)] +=
                                    x.at(((ni * c + ci) * h + iy) * wd + ix) *
                                    w.at(((ci * mg + mo) * kh + a) * kw + e);
                            }
    return {makeDims({n, m, oh, ow}), out};
}

TEST(OnnxConv, ConvTransposeWithGroupsOutputPaddingAndOutputShape) {
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 4, 3, 4}), 21);
    HostTensor w =
        HostTensor::random(DataType::kFLOAT, makeDims({4, 3, 3, 3}), 22);  // C=4, M/g=3, g=2 -> M=6
    {
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {1, 4, 3, 4}).output("y");
        m.initializer("w", w);
        m.node("ConvTranspose", {"x", "w"}, {"y"})
            .i("group", 2)
            .ints("strides", {2, 2})
            .ints("pads", {1, 1, 0, 1})
            .ints("output_padding", {1, 0});
        auto [shape, want] = refDeconv(x, w, 2, {2, 2}, {1, 1}, {0, 1}, {1, 0});
        expectValues(runOne(m, {{"x", x}}), shape, want, kTol, "ConvTranspose groups/pads/output_padding");
    }
    {
        // output_shape [8, 9]: total pads H = 2*2+3-8 = -1 ... use [7, 8]: H = 4+3-7 = 0, W = 6+3-8 = 1.
        HostTensor w1 = HostTensor::random(DataType::kFLOAT, makeDims({4, 2, 3, 3}), 23);
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {1, 4, 3, 4}).output("y");
        m.initializer("w", w1);
        m.node("ConvTranspose", {"x", "w"}, {"y"}).ints("strides", {2, 2}).ints("output_shape", {7, 8});
        // NOTSET splits the total with the larger half first: W total 1 -> pre 1, post 0.
        auto [shape, want] = refDeconv(x, w1, 1, {2, 2}, {0, 1}, {0, 0}, {0, 0});
        expectValues(runOne(m, {{"x", x}}), shape, want, kTol, "ConvTranspose output_shape");
    }
}

TEST(OnnxConv, PoolingModes) {
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({1, 2, 7, 6}), 31, -3, 3);
    auto pool = [&](bool isMax, int64_t k, int64_t s, int64_t pad, bool ceil, bool includePad, int64_t d) {
        const int64_t h = 7, w = 6;
        auto outExtent = [&](int64_t n) {
            int64_t num = n + 2 * pad - (d * (k - 1) + 1);
            int64_t o = (ceil ? (num + s - 1) / s : num / s) + 1;
            if (ceil && (o - 1) * s >= n + pad) --o;  // the last window must start inside input or left pad
            return o;
        };
        const int64_t oh = outExtent(h), ow = outExtent(w);
        std::vector<double> out;
        for (int64_t c = 0; c < 2; ++c)
            for (int64_t y = 0; y < oh; ++y)
                for (int64_t z = 0; z < ow; ++z) {
                    double acc = isMax ? -1e300 : 0.0;
                    int64_t count = 0, padded = 0;
                    for (int64_t a = 0; a < k; ++a)
                        for (int64_t b = 0; b < k; ++b) {
                            const int64_t iy = y * s - pad + a * d, ix = z * s - pad + b * d;
                            if (iy >= h + pad || ix >= w + pad)
                                continue;  // beyond the padded extent (ceil mode)
                            ++padded;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            const double v = x.at((c * h + iy) * w + ix);
                            acc = isMax ? std::max(acc, v) : acc + v;
                            ++count;
                        }
                    out.push_back(isMax ? acc : acc / static_cast<double>(includePad ? padded : count));
                }
        return std::make_pair(makeDims({1, 2, oh, ow}), out);
    };
    struct Case {
        const char* op;
        bool ceil, includePad;
        int64_t dilation{1};
    };
    // Dilated windows (AveragePool takes dilations from opset 19): padding, ceil mode and the divisor
    // apply to the dilated window, and with dilation 2 a ceil-mode window reaches past the padded input.
    for (const Case& c :
         {Case{"MaxPool", false, false}, Case{"MaxPool", true, false}, Case{"AveragePool", false, false},
          Case{"AveragePool", false, true}, Case{"AveragePool", true, false}, Case{"MaxPool", true, false, 2},
          Case{"AveragePool", false, true, 2}, Case{"AveragePool", true, true, 2},
          Case{"AveragePool", true, false, 2}}) {
        ModelBuilder m(19);
        m.input("x", DataType::kFLOAT, {1, 2, 7, 6}).output("y");
        NodeBuilder n = m.node(c.op, {"x"}, {"y"})
                            .ints("kernel_shape", {3, 3})
                            .ints("strides", {2, 2})
                            .ints("pads", {1, 1, 1, 1})
                            .i("ceil_mode", c.ceil);
        if (c.dilation != 1) n.ints("dilations", {c.dilation, c.dilation});
        if (std::string(c.op) == "AveragePool") n.i("count_include_pad", c.includePad);
        auto [shape, want] = pool(std::string(c.op) == "MaxPool", 3, 2, 1, c.ceil, c.includePad, c.dilation);
        expectValues(runOne(m, {{"x", x}}), shape, want, kTol,
                     std::string(c.op) + " ceil " + std::to_string(c.ceil) + " include_pad " +
                         std::to_string(c.includePad) + " dilation " + std::to_string(c.dilation));
    }
    for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"}) {
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {1, 2, 7, 6}).output("y");
        m.node(op, {"x"}, {"y"});
        std::vector<double> want;
        for (int c = 0; c < 2; ++c) {
            double s = 0, mx = -1e300;
            for (int i = 0; i < 42; ++i) {
                s += x.at(c * 42 + i);
                mx = std::max(mx, x.at(c * 42 + i));
            }
            want.push_back(std::string(op) == "GlobalMaxPool" ? mx : s / 42);
        }
        expectValues(runOne(m, {{"x", x}}), makeDims({1, 2, 1, 1}), want, kTol, op);
    }
}

TEST(OnnxConv, MaxPoolIndicesOutput) {
    // The ONNX specification's examples on x = 1..25 in a 5x5 plane (maxpool_with_argmax_2d_*).
    std::vector<float> v(25);
    for (int i = 0; i < 25; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i + 1);
    const HostTensor x = floatTensor(makeDims({1, 1, 5, 5}), v);
    {
        // 5x5 window, pads 2: row-major indices of the maxima, ties to the first.
        ModelBuilder m(12);
        m.input("x", DataType::kFLOAT, {1, 1, 5, 5}).output("y").output("i", DataType::kINT64);
        m.node("MaxPool", {"x"}, {"y", "i"}).ints("kernel_shape", {5, 5}).ints("pads", {2, 2, 2, 2});
        OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"y", "i"});
        ASSERT_TRUE(r.parsed) << r.errors;
        std::vector<double> y, idx;
        for (int row : {2, 3, 4, 4, 4})
            for (int col : {2, 3, 4, 4, 4}) {
                y.push_back(row * 5 + col + 1);
                idx.push_back(row * 5 + col);
            }
        expectValues(r.outputs[0], makeDims({1, 1, 5, 5}), y, 0.0, "MaxPool values");
        ASSERT_EQ(r.outputs[1].type, DataType::kINT64);
        expectValues(r.outputs[1], makeDims({1, 1, 5, 5}), idx, 0.0, "MaxPool indices");
    }
    {
        // 2x2 window, strides 2, storage_order 1: column-major indices (h + w * 5).
        ModelBuilder m(12);
        m.input("x", DataType::kFLOAT, {1, 1, 5, 5}).output("y").output("i", DataType::kINT64);
        m.node("MaxPool", {"x"}, {"y", "i"})
            .ints("kernel_shape", {2, 2})
            .ints("strides", {2, 2})
            .i("storage_order", 1);
        OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"y", "i"});
        ASSERT_TRUE(r.parsed) << r.errors;
        expectValues(r.outputs[0], makeDims({1, 1, 2, 2}), {7, 9, 17, 19}, 0.0, "column-major values");
        expectValues(r.outputs[1], makeDims({1, 1, 2, 2}), {6, 16, 8, 18}, 0.0, "column-major indices");
    }
    {
        // Batch and channel offsets: the index counts every element before the plane (n * C + c) * H * W;
        // dilation 2 with padding, 3x3 window over [2, 3, 7, 6].
        HostTensor xs = HostTensor::random(DataType::kFLOAT, makeDims({2, 3, 7, 6}), 57, -5, 5);
        ModelBuilder m(12);
        m.input("x", DataType::kFLOAT, {2, 3, 7, 6}).output("y").output("i", DataType::kINT64);
        m.node("MaxPool", {"x"}, {"y", "i"})
            .ints("kernel_shape", {3, 2})
            .ints("dilations", {2, 3})
            .ints("pads", {1, 1, 2, 1});
        OnnxRun r = runOnnx(m.bytes(), {{"x", xs}}, {"y", "i"});
        ASSERT_TRUE(r.parsed) << r.errors;
        // Out extents: (7 + 3 - 5) + 1 = 6 and (6 + 2 - 4) + 1 = 5.
        std::vector<double> y, idx;
        for (int64_t plane = 0; plane < 6; ++plane)
            for (int64_t oy = 0; oy < 6; ++oy)
                for (int64_t ox = 0; ox < 5; ++ox) {
                    double best = -1e300;
                    int64_t at = -1;
                    for (int64_t a = 0; a < 3; ++a)
                        for (int64_t b = 0; b < 2; ++b) {
                            const int64_t iy = oy - 1 + 2 * a, ix = ox - 1 + 3 * b;
                            if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
                            const int64_t flat = (plane * 7 + iy) * 6 + ix;
                            if (xs.at(flat) > best) {
                                best = xs.at(flat);
                                at = flat;
                            }
                        }
                    y.push_back(best);
                    idx.push_back(static_cast<double>(at));
                }
        expectValues(r.outputs[0], makeDims({2, 3, 6, 5}), y, 0.0, "dilated values");
        expectValues(r.outputs[1], makeDims({2, 3, 6, 5}), idx, 0.0, "dilated indices");
    }
}

TEST(OnnxConv, BatchNormalizationFoldsToScaleAndMatches) {
    const Dims s = makeDims({2, 3, 4, 5});
    HostTensor x = HostTensor::random(DataType::kFLOAT, s, 41, -2, 2);
    const std::vector<float> g{0.5f, 1.5f, -1.f}, b{0.1f, -0.2f, 0.3f}, mean{0.2f, -0.1f, 0.f},
        var{1.f, 0.25f, 4.f};
    const float eps = 1e-3f;
    std::vector<double> want;
    for (int64_t i = 0; i < x.numel(); ++i) {
        const size_t c = static_cast<size_t>((i / 20) % 3);
        want.push_back((x.at(i) - mean[c]) / std::sqrt(double(var[c]) + eps) * g[c] + b[c]);
    }
    for (bool constantStats : {true, false}) {
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {2, 3, 4, 5}).output("y");
        m.floats("g", makeDims({3}), g).floats("b", makeDims({3}), b).floats("v", makeDims({3}), var);
        if (constantStats)
            m.floats("mean", makeDims({3}), mean);
        else
            m.input("mean", DataType::kFLOAT, {3});
        m.node("BatchNormalization", {"x", "g", "b", "mean", "v"}, {"y"}).f("epsilon", eps);
        std::vector<std::pair<std::string, HostTensor>> inputs{{"x", x}};
        if (!constantStats) inputs.emplace_back("mean", floatTensor(makeDims({3}), mean));
        OnnxRun r = runOnnx(m.bytes(), inputs, {"y"});
        ASSERT_TRUE(r.parsed) << r.errors;
        expectValues(r.outputs[0], s, want, kTol,
                     constantStats ? "BatchNorm (folded)" : "BatchNorm (run-time mean)");
        if (constantStats) {
            ASSERT_EQ(r.layerTypes.size(), 1u);
            EXPECT_EQ(r.layerTypes[0], LayerType::kSCALE);
        }
    }
}

/// Normalizes x over blocks of `block` consecutive elements, then applies per-element scale/bias
/// chosen by `param(i)`.
std::vector<double> refNorm(const HostTensor& x, int64_t block, double eps,
                            const std::function<std::pair<double, double>(int64_t)>& param) {
    std::vector<double> out(static_cast<size_t>(x.numel()));
    for (int64_t b0 = 0; b0 < x.numel(); b0 += block) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < block; ++i) mean += x.at(b0 + i);
        mean /= static_cast<double>(block);
        for (int64_t i = 0; i < block; ++i) var += (x.at(b0 + i) - mean) * (x.at(b0 + i) - mean);
        var /= static_cast<double>(block);
        for (int64_t i = 0; i < block; ++i) {
            auto [s, b] = param(b0 + i);
            out[static_cast<size_t>(b0 + i)] = (x.at(b0 + i) - mean) / std::sqrt(var + eps) * s + b;
        }
    }
    return out;
}

TEST(OnnxConv, InstanceGroupAndLayerNormalization) {
    const Dims s = makeDims({2, 6, 3, 4});
    HostTensor x = HostTensor::random(DataType::kFLOAT, s, 51, -3, 3);
    HostTensor sc = HostTensor::random(DataType::kFLOAT, makeDims({6}), 52, 0.5, 1.5);
    HostTensor bi = HostTensor::random(DataType::kFLOAT, makeDims({6}), 53);
    {
        ModelBuilder m;
        m.input("x", DataType::kFLOAT, {2, 6, 3, 4}).output("y");
        m.initializer("s", sc).initializer("b", bi);
        m.node("InstanceNormalization", {"x", "s", "b"}, {"y"}).f("epsilon", 1e-4f);
        auto want = refNorm(
            x, 12, 1e-4, [&](int64_t i) { return std::make_pair(sc.at((i / 12) % 6), bi.at((i / 12) % 6)); });
        expectValues(runOne(m, {{"x", x}}), s, want, kTol, "InstanceNormalization");
    }
    {
        // Opset 21: per-channel scale; 3 groups of 2 channels.
        ModelBuilder m(21);
        m.input("x", DataType::kFLOAT, {2, 6, 3, 4}).output("y");
        m.initializer("s", sc).initializer("b", bi);
        m.node("GroupNormalization", {"x", "s", "b"}, {"y"}).i("num_groups", 3);
        auto want = refNorm(
            x, 24, 1e-5, [&](int64_t i) { return std::make_pair(sc.at((i / 12) % 6), bi.at((i / 12) % 6)); });
        expectValues(runOne(m, {{"x", x}}), s, want, kTol, "GroupNormalization-21");
    }
    {
        // Opset 18: one scale and bias per group.
        HostTensor gs = floatTensor(makeDims({3}), {1.f, 2.f, 0.5f}),
                   gb = floatTensor(makeDims({3}), {0.f, 1.f, -1.f});
        ModelBuilder m(18);
        m.input("x", DataType::kFLOAT, {2, 6, 3, 4}).output("y");
        m.initializer("s", gs).initializer("b", gb);
        m.node("GroupNormalization", {"x", "s", "b"}, {"y"}).i("num_groups", 3);
        auto want = refNorm(
            x, 24, 1e-5, [&](int64_t i) { return std::make_pair(gs.at((i / 24) % 3), gb.at((i / 24) % 3)); });
        expectValues(runOne(m, {{"x", x}}), s, want, kTol, "GroupNormalization-18");
    }
    for (int64_t axis : {-1, 1}) {
        const int64_t block = axis == -1 ? 4 : 72;
        HostTensor ls = HostTensor::random(DataType::kFLOAT, axis == -1 ? makeDims({4}) : makeDims({6, 3, 4}),
                                           54, 0.5, 1.5);
        for (bool withBias : {true, false}) {
            HostTensor lb = HostTensor::random(DataType::kFLOAT, ls.shape, 55);
            ModelBuilder m;
            m.input("x", DataType::kFLOAT, {-1, 6, 3, 4}).output("y");
            m.initializer("s", ls);
            std::vector<std::string> ins{"x", "s"};
            if (withBias) {
                m.initializer("b", lb);
                ins.push_back("b");
            }
            m.node("LayerNormalization", ins, {"y"}).i("axis", axis);
            auto want = refNorm(x, block, 1e-5, [&](int64_t i) {
                return std::make_pair(ls.at(i % block), withBias ? lb.at(i % block) : 0.0);
            });
            expectValues(
                runOne(m, {{"x", x}}), s, want, kTol,
                "LayerNormalization axis " + std::to_string(axis) + (withBias ? " with B" : " without B"));
        }
    }
}

}  // namespace
}  // namespace kiln::testing
