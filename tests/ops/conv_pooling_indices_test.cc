// Pooling's optional output 1 (max pooling only): the int64 flat index into the whole input of each
// output's max, row-major or column-major over the spatial dims, against a naive reference written here
// (window taps enumerated per output over arbitrary rank, first strict maximum kept); 1-D/2-D/3-D with
// stride, dilation, padding, ceil and SAME modes, global windows, float and int8 inputs; hand-computed
// ties, NaN and empty windows; and the errors for a non-max pooling type.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "conv_test_util.h"

namespace kiln {
namespace {

using convtest::Shape;
using convtest::str;
using PM = PaddingMode;

struct IndicesCase {
    Shape x;  ///< [N, C, spatial...]
    Shape window, stride, dilation, pre, post;
    PM mode{PM::kEXPLICIT_ROUND_DOWN};
    bool columnMajor{false};
    bool global{false};

    std::string describe() const {
        std::ostringstream os;
        os << "x=" << str(x) << " window=" << str(window) << " stride=" << str(stride)
           << " dilation=" << str(dilation) << " pre=" << str(pre) << " post=" << str(post)
           << " mode=" << static_cast<int>(mode) << " columnMajor=" << columnMajor << " global=" << global;
        return os.str();
    }
    ir::PoolingAttrs attrs() const {
        ir::PoolingAttrs a;
        a.type = PoolingType::kMAX;
        a.windowSize = convtest::dimsOf(window);
        a.stride = convtest::dimsOf(stride);
        a.dilation = convtest::dimsOf(dilation);
        a.prePadding = convtest::dimsOf(pre);
        a.postPadding = convtest::dimsOf(post);
        a.paddingMode = mode;
        a.indicesColumnMajor = columnMajor;
        a.global = global;
        return a;
    }
};

/// Expected indices for an output of shape `y` (taken from the kernel's result, whose extents the
/// pooling test checks against TensorRT's formulas): per output, the window's taps in row-major order,
/// keeping the first strictly greater value; padding SAME splits as TensorRT does.
std::vector<int64_t> naiveIndices(const IndicesCase& c, const HostTensor& x, const Shape& y) {
    const size_t ns = c.x.size() - 2;
    Shape window = c.global ? Shape(c.x.begin() + 2, c.x.end()) : c.window;
    Shape stride = c.global ? Shape(ns, 1) : (c.stride.empty() ? c.window : c.stride);
    Shape dilation = convtest::orDefault(c.dilation, ns, 1);
    Shape pre = convtest::orDefault(c.pre, ns, 0);
    if (c.mode == PM::kSAME_UPPER || c.mode == PM::kSAME_LOWER)
        for (size_t i = 0; i < ns; ++i) {
            const int64_t span = dilation[i] * (window[i] - 1) + 1;
            const int64_t total = std::max<int64_t>(0, (y[2 + i] - 1) * stride[i] + span - c.x[2 + i]);
            pre[i] = c.mode == PM::kSAME_UPPER ? total / 2 : (total + 1) / 2;
        }
    const Shape spatialIn(c.x.begin() + 2, c.x.end());
    std::vector<int64_t> out(static_cast<size_t>(convtest::product(y)));
    for (int64_t flat = 0; flat < static_cast<int64_t>(out.size()); ++flat) {
        const Shape yi = convtest::unravel(flat, y);
        double best = -std::numeric_limits<double>::infinity();
        int64_t at = -1;
        for (int64_t t = 0; t < convtest::product(window); ++t) {
            const Shape ti = convtest::unravel(t, window);
            Shape pos(ns);
            bool inside = true;
            for (size_t i = 0; i < ns; ++i) {
                pos[i] = yi[2 + i] * stride[i] + ti[i] * dilation[i] - pre[i];
                inside = inside && pos[i] >= 0 && pos[i] < c.x[2 + i];
            }
            if (!inside) continue;
            const int64_t plane = yi[0] * c.x[1] + yi[1];
            const double v = x.at(plane * convtest::product(spatialIn) + convtest::ravel(pos, spatialIn));
            if (at >= 0 && !(v > best)) continue;
            best = v;
            // Column-major: the first spatial dim varies fastest, so ravel the reversed coordinates.
            int64_t spatial = convtest::ravel(pos, spatialIn);
            if (c.columnMajor)
                spatial = convtest::ravel(Shape(pos.rbegin(), pos.rend()),
                                          Shape(spatialIn.rbegin(), spatialIn.rend()));
            at = plane * convtest::product(spatialIn) + spatial;
        }
        out[static_cast<size_t>(flat)] = at;
    }
    return out;
}

void checkIndices(const IndicesCase& c, DataType type, uint64_t seed) {
    const std::string params =
        c.describe() + " dtype=" + dataTypeName(type) + " seed=" + std::to_string(seed);
    // int8 values in a narrow range make ties common, so "first wins" is exercised.
    HostTensor x = type == DataType::kINT8 ? HostTensor::random(type, convtest::dimsOf(c.x), seed, -3, 3)
                                           : HostTensor::random(type, convtest::dimsOf(c.x), seed, -1, 1);
    auto result = testing::runSingleOp(c.attrs(), {x}, 2, {type, DataType::kINT64});
    ASSERT_TRUE(result.isOk()) << params << ": " << result.status().message();
    const HostTensor& y = result.value()[0];
    const HostTensor& idx = result.value()[1];
    ASSERT_EQ(idx.type, DataType::kINT64) << params;
    ASSERT_EQ(toString(idx.shape), toString(y.shape)) << params;
    Shape yShape(y.shape.d, y.shape.d + y.shape.nbDims);
    const std::vector<int64_t> want = naiveIndices(c, x, yShape);
    for (int64_t i = 0; i < idx.numel(); ++i) {
        ASSERT_EQ(idx.atInt(i), want[static_cast<size_t>(i)]) << params << " output " << i;
        // The value output holds the element the index names (row-major indices only name it directly).
        if (!c.columnMajor && want[static_cast<size_t>(i)] >= 0) {
            ASSERT_EQ(y.at(i), x.at(want[static_cast<size_t>(i)])) << params << " output " << i;
        }
    }
}

TEST(PoolingIndices, MatchNaiveReference) {
    const std::vector<IndicesCase> cases{
        {{2, 3, 7, 5}, {3, 2}, {2, 2}, {}, {1, 0}, {1, 1}},
        {{2, 3, 7, 5}, {3, 2}, {2, 2}, {}, {1, 0}, {1, 1}, PM::kEXPLICIT_ROUND_DOWN, true},
        {{1, 2, 9, 8}, {3, 2}, {1, 1}, {2, 3}, {2, 1}, {2, 1}},  // dilated
        {{1, 2, 9, 8}, {3, 2}, {1, 1}, {2, 3}, {2, 1}, {2, 1}, PM::kEXPLICIT_ROUND_DOWN, true},
        {{2, 3, 13}, {4}, {3}, {}, {2}, {1}},                               // 1-D
        {{1, 2, 5, 6, 7}, {2, 3, 2}, {1, 2, 2}, {}, {1, 1, 0}, {0, 1, 1}},  // 3-D
        {{1, 2, 5, 6, 7},
         {2, 3, 2},
         {1, 2, 2},
         {2, 1, 3},
         {1, 1, 0},
         {0, 1, 1},
         PM::kEXPLICIT_ROUND_UP,
         true},
        {{1, 3, 5, 5}, {2, 2}, {2, 2}, {}, {1, 1}, {1, 1}, PM::kEXPLICIT_ROUND_UP},
        {{1, 3, 7, 5}, {3, 2}, {2, 2}, {}, {}, {}, PM::kSAME_UPPER},
        {{1, 3, 7, 5}, {4, 3}, {2, 2}, {}, {}, {}, PM::kSAME_LOWER, true},
        {{2, 3, 7, 5}, {}, {}, {}, {}, {}, PM::kEXPLICIT_ROUND_DOWN, false, true},  // global
        {{2, 3, 7, 5}, {}, {}, {}, {}, {}, PM::kEXPLICIT_ROUND_DOWN, true, true},
    };
    uint64_t seed = 6000;
    for (const auto& c : cases)
        for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kINT8}) checkIndices(c, t, seed += 7);
}

HostTensor floats(Dims shape, std::vector<float> v) {
    return HostTensor::fromVector(DataType::kFLOAT, shape, v);
}

std::vector<int64_t> indicesOf(const ir::PoolingAttrs& a, const HostTensor& x) {
    auto r = testing::runSingleOp(a, {x}, 2, {x.type, DataType::kINT64});
    EXPECT_TRUE(r.isOk()) << r.status().message();
    std::vector<int64_t> v;
    if (!r.isOk()) return v;
    for (int64_t i = 0; i < r.value()[1].numel(); ++i) v.push_back(r.value()[1].atInt(i));
    return v;
}

TEST(PoolingIndices, HandComputed) {
    // Two planes of 2x3: indices count the elements of earlier planes (6 per plane).
    const HostTensor x = floats(makeDims({1, 2, 2, 3}), {1, 9, 3, 4, 5, 6, /* plane 1 */ 7, 7, 2, 1, 0, 7});
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2, 2});
    a.stride = makeDims({1, 1});
    // Plane 0 windows {1,9,4,5} and {9,3,5,6}; plane 1 {7,7,1,0} (tie: the first) and {7,2,0,7}.
    EXPECT_EQ(indicesOf(a, x), (std::vector<int64_t>{1, 1, 6, 7}));
    // Column-major numbers (h, w) as h + w * 2: element (0, 1) is 2.
    a.indicesColumnMajor = true;
    EXPECT_EQ(indicesOf(a, x), (std::vector<int64_t>{2, 2, 6, 8}));

    // NaN counts as the max, the first NaN wins.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    ir::PoolingAttrs n;
    n.windowSize = makeDims({4});
    EXPECT_EQ(indicesOf(n, floats(makeDims({1, 1, 4}), {1, nan, 5, nan})), (std::vector<int64_t>{1}));

    // A window with no input tap (dilation 4 over 3 elements, padding 3 + 3): index -1, value -inf.
    ir::PoolingAttrs e;
    e.windowSize = makeDims({2});
    e.stride = makeDims({1});
    e.dilation = makeDims({4});
    e.prePadding = makeDims({3});
    e.postPadding = makeDims({3});
    const HostTensor x3 = floats(makeDims({1, 1, 3}), {4, 5, 6});
    // Windows start at -3..1 with taps (s, s + 4): (-3, 1), (-2, 2), (-1, 3) all outside, (0, 4), (1, 5).
    EXPECT_EQ(indicesOf(e, x3), (std::vector<int64_t>{1, 2, -1, 0, 1}));
    auto r = testing::runSingleOp(e, {x3}, 2, {DataType::kFLOAT, DataType::kINT64});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(),
              (std::vector<double>{5, 6, -std::numeric_limits<double>::infinity(), 4, 5}));
}

TEST(PoolingIndices, InferenceGivesInt64OfTheOutputShape) {
    ir::PoolingAttrs a;
    a.windowSize = makeDims({2, 2});
    std::vector<ir::TensorDesc> in(1), out(2);
    in[0].type = DataType::kHALF;
    in[0].shape = makeDims({-1, 3, 9, 8});
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(a, ctx).isOk());
    EXPECT_EQ(out[0].type, DataType::kHALF);
    EXPECT_EQ(out[1].type, DataType::kINT64);
    EXPECT_EQ(toString(out[1].shape), "[-1,3,4,4]");
}

TEST(PoolingIndices, OnlyForMaxPooling) {
    for (PoolingType t : {PoolingType::kAVERAGE, PoolingType::kMAX_AVERAGE_BLEND}) {
        ir::PoolingAttrs a;
        a.type = t;
        a.windowSize = makeDims({2});
        auto r = testing::runSingleOp(a, {floats(makeDims({1, 1, 4}), {1, 2, 3, 4})}, 2,
                                      {DataType::kFLOAT, DataType::kINT64});
        ASSERT_FALSE(r.isOk());
        EXPECT_NE(r.status().message().find("output 1 (indices) exists for max pooling only"),
                  std::string::npos)
            << r.status().message();
        EXPECT_NE(r.status().message().find("use PoolingType::kMAX or drop the indices output"),
                  std::string::npos)
            << r.status().message();
    }
}

}  // namespace
}  // namespace kiln
