// Scale: y = (x * scale + shift) ^ power for every mode, float dtype, channel axis (first, middle, last)
// and subset of the optional coefficients, against a reference that picks each element's coefficient from
// its coordinates; hand-computed values, mixed coefficient precision, dynamic dims and error messages.
#include <gtest/gtest.h>

#include <cmath>

#include "pointwise_test_util.h"

namespace kiln {
namespace {

using pwtest::allClose;
using pwtest::failsWith;
using pwtest::run1;
using pwtest::tensor;

const char* modeName(ScaleMode m) {
    switch (m) {
        case ScaleMode::kUNIFORM:
            return "UNIFORM";
        case ScaleMode::kCHANNEL:
            return "CHANNEL";
        case ScaleMode::kELEMENTWISE:
            return "ELEMENTWISE";
    }
    return "?";
}

struct ScaleParam {
    ScaleMode mode;
    DataType type;      ///< input (and output) type
    DataType coefType;  ///< type of shift/scale/power
    Dims shape;
    int axis;
    unsigned present;  ///< bit 0 shift, bit 1 scale, bit 2 power
};

std::string describe(const ScaleParam& p) {
    return std::string(modeName(p.mode)) + " x=" + dataTypeName(p.type) + pwtest::str(p.shape) +
           " coef=" + dataTypeName(p.coefType) + " axis=" + std::to_string(p.axis) +
           " present=" + std::to_string(p.present);
}

/// The coefficient tensor shape a mode expects: [1], [C] or the input dims from the axis on.
Dims coefShape(const ScaleParam& p) {
    if (p.mode == ScaleMode::kUNIFORM) return makeDims({1});
    if (p.mode == ScaleMode::kCHANNEL) return makeDims({p.shape.d[p.axis]});
    std::vector<int64_t> d;
    for (int i = p.axis; i < p.shape.nbDims; ++i) d.push_back(p.shape.d[i]);
    return makeDims(std::span<const int64_t>(d));
}

void PrintTo(const ScaleParam& p, std::ostream* os) {
    *os << describe(p);
}

class ScaleRandom : public ::testing::TestWithParam<ScaleParam> {};

TEST_P(ScaleRandom, MatchesReference) {
    const ScaleParam& p = GetParam();
    const std::string what = describe(p);
    const Dims cs = coefShape(p);
    // Positive bases keep pow real: x in [0.1, 2], scale in [0.5, 2], shift in [0, 1].
    HostTensor x = HostTensor::random(p.type, p.shape, 3, 0.1, 2.0);
    HostTensor shift =
        (p.present & 1) ? HostTensor::random(p.coefType, cs, 4, 0.0, 1.0) : HostTensor::absent();
    HostTensor scale =
        (p.present & 2) ? HostTensor::random(p.coefType, cs, 5, 0.5, 2.0) : HostTensor::absent();
    HostTensor power =
        (p.present & 4) ? HostTensor::random(p.coefType, cs, 6, 0.5, 2.0) : HostTensor::absent();
    ir::ScaleAttrs a;
    a.mode = p.mode;
    a.channelAxis = p.axis;
    auto y = run1(a, {x, shift, scale, power});
    ASSERT_TRUE(y.isOk()) << what << ": " << y.status().message();
    ASSERT_EQ(y->type, p.type) << what;
    ASSERT_EQ(y->shape, p.shape) << what;

    std::vector<double> want(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i) {
        std::vector<int64_t> c = pwtest::coordsOf(i, p.shape);
        int64_t j = 0;  // coefficient index
        if (p.mode == ScaleMode::kCHANNEL) j = c[static_cast<size_t>(p.axis)];
        if (p.mode == ScaleMode::kELEMENTWISE)
            for (int d = p.axis; d < p.shape.nbDims; ++d) j = j * p.shape.d[d] + c[static_cast<size_t>(d)];
        double v = x.at(i) * (scale.present() ? scale.at(j) : 1.0) + (shift.present() ? shift.at(j) : 0.0);
        if (power.present()) v = std::pow(v, power.at(j));
        want[static_cast<size_t>(i)] = pwtest::roundTo(p.type, v);
    }
    // Exact: x * scale is exact in double (two <= 24-bit significands), so kernel and test round the same
    // sum, fused or not, then call the same std::pow and round once to the output format.
    EXPECT_TRUE(allClose(*y, want, 0.0)) << what;
}

std::vector<ScaleParam> scaleParams() {
    std::vector<ScaleParam> v;
    for (ScaleMode m : {ScaleMode::kUNIFORM, ScaleMode::kCHANNEL, ScaleMode::kELEMENTWISE}) {
        for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kFP8})
            for (unsigned present : {0u, 1u, 2u, 4u, 7u})
                v.push_back({m, t, t, makeDims({2, 3, 5, 7}), 1, present});
        v.push_back({m, DataType::kHALF, DataType::kFLOAT, makeDims({2, 3, 5, 7}), 1, 7u});
        v.push_back({m, DataType::kFLOAT, DataType::kFLOAT, makeDims({3, 5, 7}), 0, 7u});
        v.push_back({m, DataType::kFLOAT, DataType::kFLOAT, makeDims({2, 3, 5, 7}), 3, 7u});
        v.push_back({m, DataType::kBF16, DataType::kBF16, makeDims({11}), 0, 3u});
        v.push_back({m, DataType::kFLOAT, DataType::kFLOAT, makeDims({4, 16, 1031}), 1, 7u});  // multi-chunk
    }
    v.push_back({ScaleMode::kUNIFORM, DataType::kFLOAT, DataType::kFLOAT, Dims{}, 1, 7u});  // rank 0
    return v;
}

INSTANTIATE_TEST_SUITE_P(AllModes, ScaleRandom, ::testing::ValuesIn(scaleParams()),
                         [](const ::testing::TestParamInfo<ScaleParam>& info) {
                             return std::string(modeName(info.param.mode)) + "_" + std::to_string(info.index);
                         });

TEST(ScaleOp, HandComputed) {
    ir::ScaleAttrs a;
    a.mode = ScaleMode::kCHANNEL;
    a.channelAxis = 1;
    HostTensor x = tensor(DataType::kFLOAT, makeDims({1, 2, 2}), {1, 2, 3, 4});
    HostTensor shift = tensor(DataType::kFLOAT, makeDims({2}), {1, -1});
    HostTensor scale = tensor(DataType::kFLOAT, makeDims({2}), {2, 3});
    auto y = run1(a, {x, shift, scale});
    ASSERT_TRUE(y.isOk()) << y.status().message();
    EXPECT_TRUE(allClose(*y, {3, 5, 8, 11}, 0.0));
    auto yp = run1(a, {x, shift, scale, tensor(DataType::kFLOAT, makeDims({2}), {2, 1})});
    ASSERT_TRUE(yp.isOk()) << yp.status().message();
    EXPECT_TRUE(allClose(*yp, {9, 25, 8, 11}, 0.0));
    // Only a power, uniform: a negative base to a fractional power is NaN, to an integral one is real.
    a.mode = ScaleMode::kUNIFORM;
    HostTensor neg = tensor(DataType::kFLOAT, makeDims({2}), {-2, 4});
    auto half =
        run1(a, {neg, HostTensor::absent(), HostTensor::absent(), tensor(DataType::kFLOAT, Dims{}, {0.5})});
    ASSERT_TRUE(half.isOk()) << half.status().message();
    EXPECT_TRUE(allClose(*half, {std::nan(""), 2}, 0.0));
    auto cube = run1(
        a, {neg, HostTensor::absent(), HostTensor::absent(), tensor(DataType::kFLOAT, makeDims({1}), {3})});
    ASSERT_TRUE(cube.isOk()) << cube.status().message();
    EXPECT_TRUE(allClose(*cube, {-8, 64}, 0.0));
    // Elementwise over the last two dims of [2, 1, 3]: the coefficients repeat for each of the 2 outer rows.
    a.mode = ScaleMode::kELEMENTWISE;
    a.channelAxis = 1;
    auto e = run1(a, {tensor(DataType::kHALF, makeDims({2, 1, 3}), {1, 1, 1, 2, 2, 2}),
                      tensor(DataType::kHALF, makeDims({1, 3}), {0.5, 0, -0.5})});
    ASSERT_TRUE(e.isOk()) << e.status().message();
    EXPECT_TRUE(allClose(*e, {1.5, 1, 0.5, 2.5, 2, 1.5}, 0.0));
}

TEST(ScaleOp, InferenceWithDynamicDims) {
    using pwtest::desc;
    ir::ScaleAttrs a;
    a.mode = ScaleMode::kCHANNEL;
    a.channelAxis = 1;
    // The channel count is unknown at build time: the coefficient count is checked at run time instead.
    auto d = pwtest::inferOnly(
        a, {desc(DataType::kHALF, makeDims({-1, -1, 8})), desc(DataType::kHALF, makeDims({5}))});
    ASSERT_TRUE(d.isOk()) << d.status().message();
    EXPECT_EQ(d->shape, makeDims({-1, -1, 8}));
    EXPECT_EQ(d->type, DataType::kHALF);
    a.mode = ScaleMode::kELEMENTWISE;
    auto e = pwtest::inferOnly(
        a, {desc(DataType::kFLOAT, makeDims({-1, 3, 8})), desc(DataType::kFLOAT, makeDims({3, 8}))});
    ASSERT_TRUE(e.isOk()) << e.status().message();
    EXPECT_EQ(e->shape, makeDims({-1, 3, 8}));
}

TEST(ScaleOp, Errors) {
    using pwtest::desc;
    ir::ScaleAttrs a;
    const ir::TensorDesc absent = desc(DataType::kFLOAT, Dims{-1});
    auto err = [&](ScaleMode m, int axis, std::vector<ir::TensorDesc> in) {
        a.mode = m;
        a.channelAxis = axis;
        return pwtest::inferOnly(a, in).status();
    };
    const ir::TensorDesc x = desc(DataType::kFLOAT, makeDims({2, 3, 4}));
    EXPECT_TRUE(failsWith(err(ScaleMode::kCHANNEL, 3, {x}),
                          {"Scale kCHANNEL", "channel axis 3 is out of range", "[2,3,4]", "expected 0..2"}));
    EXPECT_TRUE(failsWith(err(ScaleMode::kELEMENTWISE, -1, {x}), {"Scale kELEMENTWISE", "channel axis -1"}));
    EXPECT_TRUE(
        failsWith(err(ScaleMode::kCHANNEL, 1, {x, desc(DataType::kFLOAT, makeDims({4}))}),
                  {"shift (input 1) has 4 values", "shape [4]", "expected 3", "one per channel of axis 1"}));
    EXPECT_TRUE(failsWith(err(ScaleMode::kELEMENTWISE, 1, {x, absent, desc(DataType::kFLOAT, makeDims({3}))}),
                          {"scale (input 2) has 3 values", "expected 12", "dims 1..2"}));
    EXPECT_TRUE(
        failsWith(err(ScaleMode::kUNIFORM, 1, {x, absent, absent, desc(DataType::kFLOAT, makeDims({2}))}),
                  {"power (input 3) has 2 values", "expected 1 (one value)"}));
    EXPECT_TRUE(failsWith(err(ScaleMode::kUNIFORM, 1, {desc(DataType::kINT32, makeDims({2}))}),
                          {"Scale kUNIFORM", "input must be", "got int32"}));
    EXPECT_TRUE(failsWith(err(ScaleMode::kUNIFORM, 1, {x, desc(DataType::kINT64, makeDims({1}))}),
                          {"shift (input 1) must be", "got int64"}));
    EXPECT_TRUE(failsWith(err(static_cast<ScaleMode>(9), 1, {x}), {"Scale: unknown mode 9"}));
    EXPECT_TRUE(failsWith(err(ScaleMode::kCHANNEL, 0, {desc(DataType::kFLOAT, Dims{})}),
                          {"channel axis 0 is out of range", "rank 0"}));
}

}  // namespace
}  // namespace kiln
