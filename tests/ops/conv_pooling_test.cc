// Pooling: inference and the reference kernel against a naive reference in double written here (window
// taps enumerated per output over arbitrary rank), for max, average (padding counted or not) and the
// max-average blend; stride, dilation, asymmetric and SAME padding, ceil mode with the rule that drops a
// window starting in the post-padding, global pooling, 1-D/2-D/3-D, float dtypes and int8/uint8 max;
// plus hand-computed values, dynamic shapes and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "conv_test_util.h"

namespace kiln {
namespace {

using convtest::Shape;
using convtest::str;
using PM = PaddingMode;
using PT = PoolingType;

struct PoolCase {
    Shape x;  ///< [N, C, spatial...]
    PT type;
    Shape window;
    Shape stride{}, dilation{}, pre{}, post{};
    PM mode{PM::kEXPLICIT_ROUND_DOWN};
    bool excludePadding{true};
    float blend{0.0f};
    bool global{false};

    std::string describe() const {
        std::ostringstream os;
        os << "x=" << str(x) << " type=" << static_cast<int>(type) << " window=" << str(window)
           << " stride=" << str(stride) << " dilation=" << str(dilation) << " pre=" << str(pre)
           << " post=" << str(post) << " mode=" << static_cast<int>(mode)
           << " excludePadding=" << excludePadding << " blend=" << blend << " global=" << global;
        return os.str();
    }
    ir::PoolingAttrs attrs() const {
        ir::PoolingAttrs a;
        a.type = type;
        a.windowSize = convtest::dimsOf(window);
        a.stride = convtest::dimsOf(stride);
        a.dilation = convtest::dimsOf(dilation);
        a.prePadding = convtest::dimsOf(pre);
        a.postPadding = convtest::dimsOf(post);
        a.paddingMode = mode;
        a.averageCountExcludesPadding = excludePadding;
        a.blendFactor = blend;
        a.global = global;
        return a;
    }
};

struct Resolved {
    Shape window, stride, dilation, pre, post, out;
};

/// Window, padding and output extents as TensorRT documents them, plus the PyTorch/ONNX ceil-mode rule.
Resolved resolve(const PoolCase& c) {
    const size_t ns = c.x.size() - 2;
    Resolved r;
    if (c.global) {
        r.window.assign(c.x.begin() + 2, c.x.end());
        r.stride = r.dilation = r.out = Shape(ns, 1);
        r.pre = r.post = Shape(ns, 0);
        return r;
    }
    r.window = c.window;
    r.stride = c.stride.empty() ? c.window : c.stride;
    r.dilation = convtest::orDefault(c.dilation, ns, 1);
    r.pre = convtest::orDefault(c.pre, ns, 0);
    r.post = convtest::orDefault(c.post, ns, 0);
    r.out.resize(ns);
    for (size_t i = 0; i < ns; ++i) {
        const int64_t in = c.x[2 + i], span = r.dilation[i] * (r.window[i] - 1) + 1;
        if (c.mode == PM::kSAME_UPPER || c.mode == PM::kSAME_LOWER) {
            r.out[i] = (in + r.stride[i] - 1) / r.stride[i];
            const int64_t total = std::max<int64_t>(0, (r.out[i] - 1) * r.stride[i] + span - in);
            r.pre[i] = c.mode == PM::kSAME_UPPER ? total / 2 : (total + 1) / 2;
            r.post[i] = total - r.pre[i];
            continue;
        }
        const double q =
            static_cast<double>(in + r.pre[i] + r.post[i] - span) / static_cast<double>(r.stride[i]);
        if (c.mode == PM::kEXPLICIT_ROUND_UP) {
            r.out[i] = static_cast<int64_t>(std::ceil(q)) + 1;
            if ((r.out[i] - 1) * r.stride[i] - r.pre[i] >= in) --r.out[i];  // would start in the post-padding
        } else {
            r.out[i] = static_cast<int64_t>(std::floor(q)) + 1;
        }
    }
    return r;
}

std::vector<double> naivePool(const PoolCase& c, const HostTensor& x) {
    const size_t ns = c.x.size() - 2;
    const Resolved r = resolve(c);
    Shape yShape{c.x[0], c.x[1]};
    yShape.insert(yShape.end(), r.out.begin(), r.out.end());
    std::vector<double> y(static_cast<size_t>(convtest::product(yShape)));
    for (int64_t flat = 0; flat < static_cast<int64_t>(y.size()); ++flat) {
        const Shape yi = convtest::unravel(flat, yShape);
        double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
        int64_t valid = 0, withPadding = 0;
        for (int64_t t = 0; t < convtest::product(r.window); ++t) {
            const Shape ti = convtest::unravel(t, r.window);
            Shape xi{yi[0], yi[1]};
            bool inInput = true, inPadded = true;
            for (size_t i = 0; i < ns; ++i) {
                const int64_t pos = yi[2 + i] * r.stride[i] + ti[i] * r.dilation[i] - r.pre[i];
                inInput = inInput && pos >= 0 && pos < c.x[2 + i];
                inPadded = inPadded && pos >= -r.pre[i] && pos < c.x[2 + i] + r.post[i];
                xi.push_back(pos);
            }
            if (inPadded) ++withPadding;
            if (!inInput) continue;
            const double v = x.at(convtest::ravel(xi, c.x));
            best = std::max(best, v);
            sum += v;
            ++valid;
        }
        const double avg = sum / static_cast<double>(c.excludePadding ? valid : withPadding);
        double v = best;
        if (c.type == PT::kAVERAGE) v = avg;
        if (c.type == PT::kMAX_AVERAGE_BLEND) v = (1.0 - c.blend) * best + c.blend * avg;
        y[static_cast<size_t>(flat)] = v;
    }
    return y;
}

void checkPool(const PoolCase& c, DataType type, uint64_t seed) {
    const std::string params =
        c.describe() + " dtype=" + dataTypeName(type) + " seed=" + std::to_string(seed);
    const bool integer = type == DataType::kINT8 || type == DataType::kUINT8;
    const double lo = integer ? (type == DataType::kUINT8 ? 0 : -100) : -1, hi = integer ? 100 : 1;
    HostTensor x = HostTensor::random(type, convtest::dimsOf(c.x), seed, lo, hi);
    auto result = testing::runSingleOp(c.attrs(), {x});
    ASSERT_TRUE(result.isOk()) << params << ": " << result.status().message();
    const HostTensor& y = result.value()[0];
    Shape expectShape{c.x[0], c.x[1]};
    const Resolved r = resolve(c);
    expectShape.insert(expectShape.end(), r.out.begin(), r.out.end());
    ASSERT_EQ(convtest::shapeOf(y), toString(convtest::dimsOf(expectShape))) << params;
    ASSERT_EQ(y.type, type) << params;
    // Max returns an input value, so it is exact in every type; averages round once to the output type.
    const convtest::Tolerance tol =
        c.type == PT::kMAX ? convtest::Tolerance{0.0, 0.0} : convtest::toleranceFor(type);
    convtest::expectClose(y, naivePool(c, x), tol, params);
}

const std::vector<PoolCase>& cases() {
    static const std::vector<PoolCase> all{
        {{2, 3, 7, 5}, PT::kMAX, {3, 2}, {2, 2}, {}, {1, 0}, {1, 1}},
        {{2, 3, 7, 5}, PT::kAVERAGE, {3, 2}, {2, 2}, {}, {1, 0}, {1, 1}},
        {{2, 3, 7, 5}, PT::kAVERAGE, {3, 2}, {2, 2}, {}, {1, 0}, {1, 1}, PM::kEXPLICIT_ROUND_DOWN, false},
        {{2, 3, 7, 5},
         PT::kMAX_AVERAGE_BLEND,
         {3, 2},
         {2, 2},
         {},
         {1, 0},
         {1, 1},
         PM::kEXPLICIT_ROUND_DOWN,
         false,
         0.3f},
        {{1, 2, 9, 8}, PT::kMAX, {3, 2}, {1, 1}, {2, 3}, {2, 1}, {2, 1}},  // dilated
        {{1, 2, 9, 8}, PT::kAVERAGE, {3, 2}, {2, 1}, {2, 3}, {2, 1}, {2, 1}, PM::kEXPLICIT_ROUND_DOWN, false},
        // Dilated average and max with ceil mode (ONNX AveragePool-19 / MaxPool): padding counted or not,
        // windows hanging past the padded input, odd extents in 3-D.
        {{1, 2, 11, 7, 5},
         PT::kAVERAGE,
         {3, 2, 2},
         {2, 3, 1},
         {2, 3, 2},
         {1, 0, 1},
         {0, 1, 1},
         PM::kEXPLICIT_ROUND_UP,
         false},
        {{1, 2, 11, 7, 5},
         PT::kAVERAGE,
         {3, 2, 2},
         {2, 3, 1},
         {2, 3, 2},
         {1, 0, 1},
         {0, 1, 1},
         PM::kEXPLICIT_ROUND_UP,
         true},
        {{2, 3, 7, 11}, PT::kMAX, {2, 3}, {3, 2}, {3, 2}, {1, 1}, {1, 0}, PM::kEXPLICIT_ROUND_UP},
        {{1, 3, 13}, PT::kAVERAGE, {3}, {2}, {3}, {}, {}, PM::kSAME_UPPER, false},
        {{2, 3, 13}, PT::kMAX, {4}, {3}, {}, {2}, {1}},  // 1-D
        {{2, 3, 13}, PT::kAVERAGE, {4}, {3}, {}, {2}, {1}, PM::kEXPLICIT_ROUND_UP, false},
        {{1, 2, 5, 6, 7}, PT::kMAX, {2, 3, 2}, {1, 2, 2}, {}, {1, 1, 0}, {0, 1, 1}},  // 3-D
        {{1, 2, 5, 6, 7}, PT::kAVERAGE, {2, 3, 2}, {1, 2, 2}, {}, {1, 1, 0}, {0, 1, 1}},
        {{1, 3, 5, 5}, PT::kMAX, {2, 2}, {2, 2}, {}, {1, 1}, {1, 1}, PM::kEXPLICIT_ROUND_UP},  // drops a
                                                                                               // window
        {{1, 3, 6, 6}, PT::kAVERAGE, {3, 3}, {2, 2}, {}, {}, {1, 0}, PM::kEXPLICIT_ROUND_UP, false},
        {{1, 3, 7, 5}, PT::kMAX, {3, 2}, {2, 2}, {}, {}, {}, PM::kSAME_UPPER},
        {{1, 3, 7, 5}, PT::kAVERAGE, {4, 3}, {2, 2}, {}, {}, {}, PM::kSAME_LOWER, false},
        {{1, 3, 7, 5}, PT::kAVERAGE, {4, 3}, {2, 2}, {}, {}, {}, PM::kSAME_UPPER, true},
        {{2, 5, 7, 6}, PT::kMAX, {2, 3}},  // stride defaults to the window
        {{2, 3, 7, 5}, PT::kMAX, {}, {}, {}, {}, {}, PM::kEXPLICIT_ROUND_DOWN, true, 0.0f, true},  // global
        {{2, 3, 11}, PT::kAVERAGE, {}, {}, {}, {}, {}, PM::kEXPLICIT_ROUND_DOWN, true, 0.0f, true},
        {{1, 2, 3, 4, 5},
         PT::kMAX_AVERAGE_BLEND,
         {},
         {},
         {},
         {},
         {},
         PM::kEXPLICIT_ROUND_DOWN,
         true,
         0.6f,
         true},
    };
    return all;
}

TEST(PoolingOp, MatchesNaiveFloat32) {
    uint64_t seed = 3000;
    for (const auto& c : cases()) checkPool(c, DataType::kFLOAT, seed += 10);
}

TEST(PoolingOp, MatchesNaiveNarrowFloats) {
    uint64_t seed = 4000;
    for (DataType t : {DataType::kHALF, DataType::kBF16, DataType::kFP8})
        for (const auto& c : cases()) checkPool(c, t, seed += 10);
}

TEST(PoolingOp, MaxOnInt8AndUint8) {
    uint64_t seed = 5000;
    for (DataType t : {DataType::kINT8, DataType::kUINT8})
        for (const auto& c : cases())
            if (c.type == PT::kMAX) checkPool(c, t, seed += 10);
}

HostTensor floats(Shape shape, std::vector<float> v) {
    return HostTensor::fromVector(DataType::kFLOAT, convtest::dimsOf(shape), v);
}

std::vector<double> run(const ir::PoolingAttrs& a, const HostTensor& x) {
    auto r = testing::runSingleOp(a, {x});
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? r.value()[0].toDoubles() : std::vector<double>{};
}

TEST(PoolingOp, HandComputedValues) {
    const HostTensor x = floats({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2, 2});
    EXPECT_EQ(run(a, x), (std::vector<double>{6, 8, 14, 16}));
    a.type = PT::kAVERAGE;
    EXPECT_EQ(run(a, x), (std::vector<double>{3.5, 5.5, 11.5, 13.5}));

    // Padding counted or not: the first window [-1, 0] holds one input value.
    const HostTensor x3 = floats({1, 1, 3}, {1, 2, 3});
    ir::PoolingAttrs p;
    p.type = PT::kAVERAGE;
    p.windowSize = makeDims({2});
    p.prePadding = makeDims({1});
    EXPECT_EQ(run(p, x3), (std::vector<double>{1, 2.5}));
    p.averageCountExcludesPadding = false;
    EXPECT_EQ(run(p, x3), (std::vector<double>{0.5, 2.5}));

    // Blend: (1 - 0.25) * max + 0.25 * average over [1, 2, 3, 6].
    ir::PoolingAttrs b;
    b.type = PT::kMAX_AVERAGE_BLEND;
    b.blendFactor = 0.25f;
    b.global = true;
    EXPECT_EQ(run(b, floats({1, 1, 2, 2}, {1, 2, 3, 6})), (std::vector<double>{5.25}));
}

TEST(PoolingOp, CeilModeDropsWindowsStartingInPostPadding) {
    // I = 5, window 2, stride 2, padding 1 + 1: ceil((7 - 2) / 2) + 1 = 4, but the 4th window would
    // start at 5, past the input: 3 windows [-1, 0], [1, 2], [3, 4].
    const HostTensor x = floats({1, 1, 5}, {1, 2, 3, 4, 5});
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2});
    a.prePadding = makeDims({1});
    a.postPadding = makeDims({1});
    a.paddingMode = PM::kEXPLICIT_ROUND_UP;
    EXPECT_EQ(run(a, x), (std::vector<double>{1, 3, 5}));
    a.type = PT::kAVERAGE;
    a.averageCountExcludesPadding = false;
    EXPECT_EQ(run(a, x), (std::vector<double>{0.5, 2.5, 4.5}));

    // I = 6, window 3, stride 2, post-padding 1: the last window [4, 6] hangs one past the input, inside
    // the padding, so counting padding divides by 3; without padding it would divide by 2.
    const HostTensor x6 = floats({1, 1, 6}, {1, 2, 3, 4, 5, 6});
    ir::PoolingAttrs c;
    c.type = PT::kAVERAGE;
    c.windowSize = makeDims({3});
    c.stride = makeDims({2});
    c.postPadding = makeDims({1});
    c.paddingMode = PM::kEXPLICIT_ROUND_UP;
    c.averageCountExcludesPadding = false;
    std::vector<double> got = run(c, x6);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_DOUBLE_EQ(got[2], static_cast<double>(static_cast<float>(11.0 / 3.0)));
    // Without post-padding the ceil window [4, 6] reaches past the padded input: the part outside never
    // counts, so it divides by 2.
    c.postPadding = makeDims({0});
    EXPECT_EQ(run(c, x6), (std::vector<double>{2, 4, 5.5}));
}

TEST(PoolingOp, DilatedAverageHandComputed) {
    // x = 1..7, window 2, dilation 3 (taps s and s + 3), padding 1 + 1: windows start at -1..4, the first
    // and last holding one padding tap: (pad, 3), (1, 4), (2, 5), (3, 6), (4, 7), (5, pad).
    const HostTensor x = floats({1, 1, 7}, {1, 2, 3, 4, 5, 6, 7});
    ir::PoolingAttrs a;
    a.type = PT::kAVERAGE;
    a.windowSize = makeDims({2});
    a.stride = makeDims({1});
    a.dilation = makeDims({3});
    a.prePadding = makeDims({1});
    a.postPadding = makeDims({1});
    a.averageCountExcludesPadding = false;
    EXPECT_EQ(run(a, x), (std::vector<double>{1.5, 2.5, 3.5, 4.5, 5.5, 2.5}));
    a.averageCountExcludesPadding = true;
    EXPECT_EQ(run(a, x), (std::vector<double>{3, 2.5, 3.5, 4.5, 5.5, 5}));
    // Ceil mode, stride 2: ceil((9 - 4) / 2) + 1 = 4 windows starting at -1, 1, 3, 5; the last one's
    // second tap (8) lies past the padded input [-1, 8) and never counts, so it divides by 1 either way.
    a.stride = makeDims({2});
    a.paddingMode = PM::kEXPLICIT_ROUND_UP;
    EXPECT_EQ(run(a, x), (std::vector<double>{3, 3.5, 5.5, 6}));
    a.averageCountExcludesPadding = false;
    EXPECT_EQ(run(a, x), (std::vector<double>{1.5, 3.5, 5.5, 6}));
}

TEST(PoolingOp, Int8MaxHandComputed) {
    HostTensor x =
        HostTensor::fromVector(DataType::kINT8, makeDims({1, 1, 4}), std::vector<int>{-5, -3, -128, 127});
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2});
    auto r = testing::runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].type, DataType::kINT8);
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{-3, 127}));
}

TEST(PoolingOp, DynamicDimsPropagate) {
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2, 2});
    auto r = convtest::inferOnly(a, {{DataType::kFLOAT, {-1, 3, -1, 8}}});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(toString(r->shape), "[-1,3,-1,4]");
    ir::PoolingAttrs g;
    g.global = true;
    auto r2 = convtest::inferOnly(g, {{DataType::kHALF, {2, -1, -1, -1, 9}}});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_EQ(toString(r2->shape), "[2,-1,1,1,1]");
}

TEST(PoolingOp, RejectsBadInputs) {
    using convtest::expectInvalid;
    using convtest::inferOnly;
    const DataType f = DataType::kFLOAT;
    ir::PoolingAttrs avg;
    avg.type = PT::kAVERAGE;
    avg.windowSize = makeDims({2, 2});
    expectInvalid(inferOnly(avg, {{DataType::kINT8, {1, 1, 4, 4}}}).status(), {"int8", "max pooling only"},
                  "int8 average");
    ir::PoolingAttrs blend = avg;
    blend.type = PT::kMAX_AVERAGE_BLEND;
    expectInvalid(inferOnly(blend, {{DataType::kUINT8, {1, 1, 4, 4}}}).status(), {"uint8"}, "uint8 blend");
    blend.blendFactor = 1.5f;
    expectInvalid(inferOnly(blend, {{f, {1, 1, 4, 4}}}).status(), {"blendFactor must be in [0, 1]", "1.5"},
                  "blend");
    ir::PoolingAttrs mx;
    mx.windowSize = makeDims({2, 2});
    expectInvalid(inferOnly(mx, {{DataType::kINT32, {1, 1, 4, 4}}}).status(), {"int32"}, "int32 max");
    expectInvalid(inferOnly(mx, {{f, {1, 1, 4}}}).status(), {"windowSize", "[2,2]", "[1,1,4]"},
                  "window rank");
    expectInvalid(inferOnly(mx, {{f, {4, 4}}}).status(), {"rank 3 to 5"}, "input rank");
    ir::PoolingAttrs zero = mx;
    zero.windowSize = makeDims({2, 0});
    expectInvalid(inferOnly(zero, {{f, {1, 1, 4, 4}}}).status(), {"windowSize entries must be >= 1"},
                  "window 0");
    ir::PoolingAttrs st = mx;
    st.stride = makeDims({0, 1});
    expectInvalid(inferOnly(st, {{f, {1, 1, 4, 4}}}).status(), {"stride entries must be >= 1", "[0,1]"},
                  "stride 0");
    ir::PoolingAttrs pad = mx;
    pad.prePadding = makeDims({2, 0});
    expectInvalid(inferOnly(pad, {{f, {1, 1, 4, 4}}}).status(), {"smaller than the dilated window extent 2"},
                  "padding too large");
    ir::PoolingAttrs big;
    big.windowSize = makeDims({5, 2});
    expectInvalid(inferOnly(big, {{f, {1, 1, 4, 4}}}).status(), {"input extent 4", "window extent 5"},
                  "window > input");
    ir::PoolingAttrs bad = mx;
    bad.type = static_cast<PT>(7);
    expectInvalid(inferOnly(bad, {{f, {1, 1, 4, 4}}}).status(), {"unknown pooling type 7"}, "pooling type");
    ir::PoolingAttrs badMode = mx;
    badMode.paddingMode = static_cast<PM>(9);
    expectInvalid(inferOnly(badMode, {{f, {1, 1, 4, 4}}}).status(), {"unknown padding mode 9"},
                  "padding mode");
}

}  // namespace
}  // namespace kiln
