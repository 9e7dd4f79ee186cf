// Channels-last Pooling (PoolingAttrs::channelsLast: 2-D, x and y [N, H, W, C], no indices output):
// inference against the channels-first shapes permuted, the reference kernel against the channels-first
// kernel on data permuted by this test (bit for bit: max, average with padding counted or not, blend,
// dilation, asymmetric, SAME and ceil-mode padding, global windows; float types and int8/uint8 max; C of 1,
// 3 and 8), hand-computed values, and the refusals (rank other than 4, the indices output).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "conv_test_util.h"

namespace kiln {
namespace {

using convtest::Shape;
using PM = PaddingMode;
using PT = PoolingType;

/// [N, C, H, W] -> [N, H, W, C], element by element (independent of the kernels' copy helpers).
HostTensor toNhwc(const HostTensor& t) {
    const int64_t n = t.shape.d[0], c = t.shape.d[1], h = t.shape.d[2], w = t.shape.d[3];
    HostTensor out(t.type, channelsLastDims(t.shape));
    const int64_t es = dataTypeSize(t.type);
    for (int64_t b = 0; b < n; ++b)
        for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 0; x < w; ++x)
                    std::memcpy(out.bytes.data() + (((b * h + y) * w + x) * c + ch) * es,
                                t.bytes.data() + (((b * c + ch) * h + y) * w + x) * es,
                                static_cast<size_t>(es));
    return out;
}

struct Case {
    Shape x;  ///< [N, C, H, W]
    PT type;
    Shape window, stride{}, dilation{}, pre{}, post{};
    PM mode{PM::kEXPLICIT_ROUND_DOWN};
    bool excludePadding{true};
    bool global{false};

    ir::PoolingAttrs attrs(bool channelsLast) const {
        ir::PoolingAttrs a;
        a.type = type;
        a.windowSize = convtest::dimsOf(window);
        a.stride = convtest::dimsOf(stride);
        a.dilation = convtest::dimsOf(dilation);
        a.prePadding = convtest::dimsOf(pre);
        a.postPadding = convtest::dimsOf(post);
        a.paddingMode = mode;
        a.averageCountExcludesPadding = excludePadding;
        a.blendFactor = type == PT::kMAX_AVERAGE_BLEND ? 0.3f : 0.0f;
        a.global = global;
        a.channelsLast = channelsLast;
        return a;
    }
    std::string describe() const {
        std::ostringstream os;
        os << "x=" << convtest::str(x) << " type=" << static_cast<int>(type)
           << " window=" << convtest::str(window) << " stride=" << convtest::str(stride)
           << " dilation=" << convtest::str(dilation) << " pre=" << convtest::str(pre)
           << " post=" << convtest::str(post) << " mode=" << static_cast<int>(mode)
           << " excludePadding=" << excludePadding << " global=" << global;
        return os.str();
    }
};

const std::vector<Case>& cases() {
    static const std::vector<Case> all{
        {{2, 3, 11, 13}, PT::kMAX, {3, 3}, {2, 2}, {}, {1, 1}, {1, 1}},  // ResNet's stem pool, C = 3
        {{2, 8, 11, 13}, PT::kMAX, {3, 3}, {2, 2}, {}, {1, 1}, {1, 1}},  // C = 8: a whole vector of halves
        {{1, 1, 6, 5}, PT::kMAX, {2, 2}, {1, 1}},                        // C = 1
        {{2, 3, 7, 5}, PT::kAVERAGE, {3, 2}, {2, 2}, {}, {1, 0}, {1, 1}},
        {{2, 3, 7, 5}, PT::kAVERAGE, {3, 2}, {2, 2}, {}, {1, 0}, {1, 1}, PM::kEXPLICIT_ROUND_DOWN, false},
        {{2, 3, 7, 5}, PT::kMAX_AVERAGE_BLEND, {3, 2}, {2, 2}, {}, {1, 0}, {1, 1}},
        {{1, 2, 9, 8}, PT::kMAX, {3, 2}, {1, 1}, {2, 3}, {2, 1}, {2, 1}},  // dilated
        {{1, 2, 9, 8}, PT::kAVERAGE, {3, 2}, {2, 1}, {2, 3}, {2, 1}, {2, 1}, PM::kEXPLICIT_ROUND_DOWN, false},
        {{2, 3, 7, 11}, PT::kMAX, {2, 3}, {3, 2}, {3, 2}, {1, 1}, {1, 0}, PM::kEXPLICIT_ROUND_UP},
        {{1, 3, 6, 6}, PT::kAVERAGE, {3, 3}, {2, 2}, {}, {}, {1, 0}, PM::kEXPLICIT_ROUND_UP, false},
        {{1, 3, 7, 5}, PT::kMAX, {3, 2}, {2, 2}, {}, {}, {}, PM::kSAME_UPPER},
        {{1, 3, 7, 5}, PT::kAVERAGE, {4, 3}, {2, 2}, {}, {}, {}, PM::kSAME_LOWER, false},
        {{1, 1, 3, 3}, PT::kMAX, {2, 2}, {1, 1}, {4, 4}, {3, 3}, {3, 3}},  // windows with no input tap
        {{3, 5, 7, 9}, PT::kAVERAGE, {}, {}, {}, {}, {}, PM::kEXPLICIT_ROUND_DOWN, true, true},  // global
        {{2, 8, 4, 3}, PT::kMAX, {}, {}, {}, {}, {}, PM::kEXPLICIT_ROUND_DOWN, true, true},
        {{2, 8, 4, 3}, PT::kMAX_AVERAGE_BLEND, {}, {}, {}, {}, {}, PM::kEXPLICIT_ROUND_DOWN, true, true},
    };
    return all;
}

// The channels-last reference equals the channels-first one on permuted data, bit for bit (it is the
// channels-first loop on a permuted copy, so nothing may differ, NaN encodings included).
TEST(PoolingChannelsLast, ReferenceMatchesChannelsFirstOnPermutedData) {
    uint64_t seed = 40;
    int checked = 0;
    for (const Case& c : cases())
        for (DataType t :
             {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT8, DataType::kUINT8}) {
            const bool integer = t == DataType::kINT8 || t == DataType::kUINT8;
            if (integer && c.type != PT::kMAX) continue;
            const std::string what = c.describe() + " dtype=" + dataTypeName(t);
            const HostTensor x =
                HostTensor::random(t, convtest::dimsOf(c.x), ++seed, integer ? 0 : -2, integer ? 100 : 2);
            auto first = testing::runSingleOp(c.attrs(false), {x});
            ASSERT_TRUE(first.isOk()) << what << ": " << first.status().message();
            auto last = testing::runSingleOp(c.attrs(true), {toNhwc(x)});
            ASSERT_TRUE(last.isOk()) << what << ": " << last.status().message();
            const HostTensor want = toNhwc(first.value()[0]);
            const HostTensor& got = last.value()[0];
            ASSERT_EQ(toString(got.shape), toString(want.shape)) << what;
            ASSERT_EQ(got.type, t) << what;
            EXPECT_TRUE(got.bytes == want.bytes) << what;
            ++checked;
        }
    EXPECT_EQ(checked, 16 * 3 + 8 * 2);  // every case in the float types, the max ones in int8/uint8
}

HostTensor nhwc(DataType t, Shape shape, const std::vector<double>& values) {
    HostTensor h(t, convtest::dimsOf(shape));
    for (size_t i = 0; i < values.size(); ++i) h.set(static_cast<int64_t>(i), values[i]);
    return h;
}

std::vector<double> valuesOf(const HostTensor& h) {
    std::vector<double> v;
    for (int64_t i = 0; i < h.numel(); ++i) v.push_back(h.at(i));
    return v;
}

TEST(PoolingChannelsLast, HandComputedValues) {
    // [1, H=2, W=3, C=2]: channel 0 is [[1, 5, 2], [3, 0, 4]], channel 1 is [[-1, -2, -3], [-4, -5, -6]].
    const HostTensor x = nhwc(DataType::kFLOAT, {1, 2, 3, 2}, {1, -1, 5, -2, 2, -3, 3, -4, 0, -5, 4, -6});
    Case maxCase{{1, 2, 2, 3}, PT::kMAX, {2, 2}, {1, 1}};
    auto max = testing::runSingleOp(maxCase.attrs(true), {x});
    ASSERT_TRUE(max.isOk()) << max.status().message();
    EXPECT_EQ(toString(max.value()[0].shape), "[1,1,2,2]");
    // (ox 0, c 0) = max(1, 5, 3, 0), (ox 0, c 1) = max(-1, -2, -4, -5), (ox 1, c 0) = max(5, 2, 0, 4), ...
    EXPECT_EQ(valuesOf(max.value()[0]), (std::vector<double>{5, -1, 5, -2}));

    Case global{{1, 2, 2, 3}, PT::kAVERAGE, {}, {}, {}, {}, {}, PM::kEXPLICIT_ROUND_DOWN, true, true};
    auto avg = testing::runSingleOp(global.attrs(true), {x});
    ASSERT_TRUE(avg.isOk()) << avg.status().message();
    EXPECT_EQ(toString(avg.value()[0].shape), "[1,1,1,2]");
    EXPECT_EQ(valuesOf(avg.value()[0]), (std::vector<double>{15.0 / 6.0, -21.0 / 6.0}));

    // 2x2 windows, stride 2, padding 1 around [[1, 2], [3, 4]]: each window holds one input value and three
    // padding taps, which the average counts or not.
    const HostTensor y = nhwc(DataType::kHALF, {1, 2, 2, 1}, {1, 2, 3, 4});
    for (bool exclude : {false, true}) {
        Case c{{1, 1, 2, 2}, PT::kAVERAGE, {2, 2}, {2, 2}, {}, {1, 1}, {1, 1}, PM::kEXPLICIT_ROUND_DOWN,
               exclude};
        auto r = testing::runSingleOp(c.attrs(true), {y});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        EXPECT_EQ(toString(r.value()[0].shape), "[1,2,2,1]");
        const std::vector<double> want =
            exclude ? std::vector<double>{1, 2, 3, 4} : std::vector<double>{0.25, 0.5, 0.75, 1};
        EXPECT_EQ(valuesOf(r.value()[0]), want) << "excludePadding=" << exclude;
    }
}

TEST(PoolingChannelsLast, InferenceIsTheChannelsFirstShapePermuted) {
    for (const Case& c : cases()) {
        Shape last{c.x[0], c.x[2], c.x[3], c.x[1]};
        last[0] = -1;  // a dynamic batch stays dynamic
        Shape first = c.x;
        first[0] = -1;
        auto f = convtest::inferOnly(c.attrs(false), {{DataType::kHALF, first}});
        auto l = convtest::inferOnly(c.attrs(true), {{DataType::kHALF, last}});
        ASSERT_TRUE(f.isOk() && l.isOk()) << c.describe();
        EXPECT_EQ(toString(l.value().shape), toString(channelsLastDims(f.value().shape))) << c.describe();
        EXPECT_EQ(l.value().type, DataType::kHALF);
    }
}

TEST(PoolingChannelsLast, RefusesOtherRanksAndTheIndicesOutput) {
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2});
    a.channelsLast = true;
    convtest::expectInvalid(
        convtest::inferOnly(a, {{DataType::kFLOAT, {1, 8, 4}}}).status(),
        {"channels-last layout is implemented for 2-D pooling", "[1,8,4]", "clear channelsLast"},
        "1-D channels-last pooling");
    a.windowSize = makeDims({2, 2, 2});
    convtest::expectInvalid(convtest::inferOnly(a, {{DataType::kFLOAT, {1, 4, 4, 4, 8}}}).status(),
                            {"channels-last layout is implemented for 2-D pooling", "[1,4,4,4,8]"},
                            "3-D channels-last pooling");
    a.windowSize = makeDims({2, 2});
    const HostTensor x(DataType::kFLOAT, makeDims({1, 4, 4, 3}));
    auto r = testing::runSingleOp(a, {x}, 2, {DataType::kFLOAT, DataType::kINT64});
    convtest::expectInvalid(r.status(), {"no indices output", "drop the indices output"}, "indices");

    // The kernel itself refuses too (a plan does not go through inference again).
    HostTensor y(DataType::kFLOAT, makeDims({1, 2, 2, 3})), idx(DataType::kINT64, makeDims({1, 2, 2, 3}));
    const std::vector<TensorRef> in{x.ref()}, out{y.ref(), idx.ref()};
    convtest::expectInvalid(reference::runPooling(a, reference::KernelContext{in, out, nullptr}),
                            {"no indices output", "2 outputs"}, "kernel with indices");
    HostTensor x3(DataType::kFLOAT, makeDims({1, 4, 3})), y3(DataType::kFLOAT, makeDims({1, 2, 3}));
    const std::vector<TensorRef> in3{x3.ref()}, out3{y3.ref()};
    a.windowSize = makeDims({2});
    convtest::expectInvalid(reference::runPooling(a, reference::KernelContext{in3, out3, nullptr}),
                            {"2-D [N, H, W, C]", "[1,4,3]"}, "kernel on a 1-D pooling");
}

}  // namespace
}  // namespace kiln
