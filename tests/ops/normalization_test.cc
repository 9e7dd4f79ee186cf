// Normalization: layer, instance and group norm (per-channel and per-group scale), plus statistics over a
// leading axis, against the formula written out here: each element's statistics key is built by hand
// (its kept indices, with the channel replaced by its group), values are collected per key and the mean
// and population variance taken in long double. Plus a hand-computed case, dtypes, dynamic dims and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln {
namespace {

using testing::runSingleOp;

std::vector<int64_t> unflatten(int64_t flat, const Dims& s) {
    std::vector<int64_t> idx(static_cast<size_t>(s.nbDims));
    for (int i = s.nbDims - 1; i >= 0; --i) {
        idx[static_cast<size_t>(i)] = flat % s.d[i];
        flat /= s.d[i];
    }
    return idx;
}

/// Flat index into broadcast operand `p` for x's multi-index; a per-group operand (extent G != C along
/// axis 1) is indexed by the channel's group.
int64_t affineIndex(const Dims& p, const Dims& x, const std::vector<int64_t>& xi, int64_t groups) {
    int64_t flat = 0;
    for (int i = 0; i < p.nbDims; ++i) {
        int ax = x.nbDims - p.nbDims + i;
        int64_t v = xi[static_cast<size_t>(ax)];
        if (p.d[i] == 1)
            v = 0;
        else if (ax == 1 && groups > 1 && p.d[i] == groups && p.d[i] != x.d[1])
            v /= x.d[1] / groups;
        flat = flat * p.d[i] + v;
    }
    return flat;
}

/// y per the definition, in long double.
std::vector<double> naiveNorm(const HostTensor& x, const HostTensor& scale, const HostTensor& bias,
                              uint32_t axes, int64_t groups, double eps) {
    const Dims& s = x.shape;
    auto keyOf = [&](const std::vector<int64_t>& idx) {
        std::vector<int64_t> key;
        for (int i = 0; i < s.nbDims; ++i) {
            if (groups > 1 && i == 1)
                key.push_back(idx[1] / (s.d[1] / groups));
            else if (!((axes >> i) & 1u))
                key.push_back(idx[static_cast<size_t>(i)]);
        }
        return key;
    };
    std::map<std::vector<int64_t>, std::vector<long double>> members;
    for (int64_t f = 0; f < x.numel(); ++f) members[keyOf(unflatten(f, s))].push_back(x.at(f));
    std::map<std::vector<int64_t>, std::pair<long double, long double>> stats;  // mean, variance
    for (const auto& [key, vals] : members) {
        long double mean = 0, var = 0;
        for (long double v : vals) mean += v;
        mean /= static_cast<long double>(vals.size());
        for (long double v : vals) var += (v - mean) * (v - mean);
        stats[key] = {mean, var / static_cast<long double>(vals.size())};
    }
    std::vector<double> y;
    for (int64_t f = 0; f < x.numel(); ++f) {
        std::vector<int64_t> idx = unflatten(f, s);
        auto [mean, var] = stats[keyOf(idx)];
        long double xhat = (x.at(f) - mean) / std::sqrt(var + eps);
        y.push_back(static_cast<double>(xhat * scale.at(affineIndex(scale.shape, s, idx, groups)) +
                                        bias.at(affineIndex(bias.shape, s, idx, groups))));
    }
    return y;
}

ir::NormalizationAttrs normAttrs(uint32_t axes, int64_t groups, float eps = 1e-5f) {
    ir::NormalizationAttrs a;
    a.axes = axes;
    a.nbGroups = groups;
    a.epsilon = eps;
    return a;
}

double storeUlp(DataType t) {
    return t == DataType::kHALF ? 0x1p-11 : t == DataType::kBF16 ? 0x1p-8 : 0x1p-24;
}

void checkNorm(DataType t, const Dims& xs, const Dims& ss, uint32_t axes, int64_t groups, uint64_t seed) {
    SCOPED_TRACE(std::string(dataTypeName(t)) + " x " + toString(xs) + " scale/bias " + toString(ss) +
                 " axes " + std::to_string(axes) + " groups " + std::to_string(groups));
    // An offset on x checks that the mean is really removed (and that variance is not E[x^2]-E[x]^2).
    HostTensor x = HostTensor::random(t, xs, seed, 2.0, 6.0);
    HostTensor scale = HostTensor::random(t, ss, seed + 1, 0.5, 2.0);
    HostTensor bias = HostTensor::random(t, ss, seed + 2, -1.0, 1.0);
    ir::NormalizationAttrs a = normAttrs(axes, groups);
    auto r = runSingleOp(a, {x, scale, bias});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const HostTensor& y = r.value()[0];
    ASSERT_EQ(y.type, t);
    ASSERT_EQ(toString(y.shape), toString(xs));
    std::vector<double> want = naiveNorm(x, scale, bias, axes, groups, a.epsilon);
    for (int64_t i = 0; i < y.numel(); ++i) {
        double w = want[static_cast<size_t>(i)];
        // Double inside the kernel vs long double here: ~1e-15 relative to the normalized magnitude (a few
        // units), so 1e-9 absolute is loose; what matters is one rounding of y to the output type.
        ASSERT_NEAR(y.at(i), w, storeUlp(t) * std::fabs(w) + 1e-9) << "element " << i;
    }
}

TEST(NormalizationOp, LayerNorm) {
    checkNorm(DataType::kFLOAT, makeDims({3, 7, 5}), makeDims({7, 5}), 0x6, 1, 1);
    checkNorm(DataType::kFLOAT, makeDims({2, 3, 11}), makeDims({11}), 0x4, 1, 2);
    checkNorm(DataType::kFLOAT, makeDims({2, 3, 11}), makeDims({1, 1, 11}), 0x4, 1, 3);
    checkNorm(DataType::kFLOAT, makeDims({1, 13}), makeDims({1}), 0x2, 1, 4);      // scalar-like scale
    checkNorm(DataType::kFLOAT, makeDims({37, 257}), makeDims({257}), 0x2, 1, 5);  // many rows: the pool
}

TEST(NormalizationOp, InstanceNorm) {
    checkNorm(DataType::kFLOAT, makeDims({2, 3, 5, 7}), makeDims({1, 3, 1, 1}), 0xC, 1, 10);
    checkNorm(DataType::kFLOAT, makeDims({3, 5, 11}), makeDims({1, 5, 1}), 0x4, 1, 11);
    checkNorm(DataType::kFLOAT, makeDims({2, 3, 5, 7}), makeDims({3, 1, 1}), 0xC, 1, 12);
}

TEST(NormalizationOp, GroupNormPerChannelAndPerGroupAffine) {
    checkNorm(DataType::kFLOAT, makeDims({2, 6, 5, 3}), makeDims({1, 6, 1, 1}), 0xC, 3, 20);
    checkNorm(DataType::kFLOAT, makeDims({2, 6, 5, 3}), makeDims({1, 3, 1, 1}), 0xC, 3,
              21);  // TensorRT 8.6 style
    checkNorm(DataType::kFLOAT, makeDims({2, 6, 5, 3}), makeDims({1, 1, 1, 1}), 0xC, 2, 22);
    checkNorm(DataType::kFLOAT, makeDims({2, 4, 9}), makeDims({1, 4, 1}), 0x4, 2, 23);
    checkNorm(DataType::kFLOAT, makeDims({3, 6}), makeDims({1, 6}), 0x0, 3, 24);  // no spatial dims
    checkNorm(DataType::kFLOAT, makeDims({1, 10, 3, 1, 7}), makeDims({1, 10, 1, 1, 1}), 0x1C, 5, 25);
}

TEST(NormalizationOp, StatisticsOverLeadingAxis) {
    checkNorm(DataType::kFLOAT, makeDims({5, 3, 2}), makeDims({3, 2}), 0x1, 1, 30);
    checkNorm(DataType::kFLOAT, makeDims({5, 3, 2}), makeDims({5, 1, 2}), 0x5, 1, 31);
}

TEST(NormalizationOp, NarrowFloats) {
    checkNorm(DataType::kHALF, makeDims({2, 3, 5, 7}), makeDims({1, 3, 1, 1}), 0xC, 1, 40);
    checkNorm(DataType::kBF16, makeDims({3, 7, 5}), makeDims({7, 5}), 0x6, 1, 41);
    checkNorm(DataType::kHALF, makeDims({2, 6, 5, 3}), makeDims({1, 6, 1, 1}), 0xC, 3, 42);
}

TEST(NormalizationOp, HandComputed) {
    // x = [1,2,3,4]: mean 2.5, variance 1.25; eps 0, scale 2, bias 1: y = 2 (x - 2.5) / sqrt(1.25) + 1.
    HostTensor x = HostTensor::fromVector(DataType::kFLOAT, makeDims({4}), std::vector<float>{1, 2, 3, 4});
    HostTensor s = HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{2});
    HostTensor b = HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{1});
    auto r = runSingleOp(normAttrs(0x1, 1, 0.0f), {x, s, b});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const double z = 1.0 / std::sqrt(1.25);
    std::vector<double> want{1 - 3 * z, 1 - z, 1 + z, 1 + 3 * z};
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(r.value()[0].at(i), want[static_cast<size_t>(i)]) << i;
    // Constant input: variance 0, so y = bias exactly (eps keeps the division finite).
    HostTensor c =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 2, 3}), std::vector<float>{7, 7, 7, 7, 7, 7});
    HostTensor s3 = HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<float>{1, 1, 1});
    HostTensor b3 = HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<float>{0.5f, -1, 2});
    r = runSingleOp(normAttrs(0x4, 1), {c, s3, b3});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{0.5, -1, 2, 0.5, -1, 2}));
}

Status inferNormOnly(const ir::NormalizationAttrs& a, DataType t, Dims x, Dims scale, Dims* out,
                     DataType scaleType = DataType::kFLOAT) {
    std::vector<ir::TensorDesc> in{{t, x, nullptr}, {scaleType, scale, nullptr}, {scaleType, scale, nullptr}};
    std::vector<ir::TensorDesc> outs(1);
    ir::InferContext ctx{in, outs};
    Status st = ir::inferNode(a, ctx);
    if (out) *out = outs[0].shape;
    return st;
}

TEST(NormalizationOp, DynamicDimsPropagate) {
    Dims out;
    ASSERT_TRUE(
        inferNormOnly(normAttrs(0x4, 2), DataType::kFLOAT, makeDims({-1, 6, -1}), makeDims({1, 6, 1}), &out)
            .isOk());
    EXPECT_EQ(toString(out), "[-1,6,-1]");
    ASSERT_TRUE(inferNormOnly(normAttrs(0x4, 1), DataType::kHALF, makeDims({-1, -1, 8}), makeDims({8}), &out,
                              DataType::kHALF)
                    .isOk());
    EXPECT_EQ(toString(out), "[-1,-1,8]");
}

void expectNormError(const ir::NormalizationAttrs& a, DataType t, Dims x, Dims scale,
                     const std::vector<std::string>& fragments, DataType scaleType = DataType::kFLOAT) {
    Status st = inferNormOnly(a, t, x, scale, nullptr, scaleType);
    ASSERT_FALSE(st.isOk()) << toString(x) << " " << toString(scale);
    EXPECT_EQ(st.code(), ErrorCode::kINVALID_ARGUMENT);
    for (const auto& f : fragments)
        EXPECT_NE(st.message().find(f), std::string::npos) << "missing '" << f << "' in: " << st.message();
}

TEST(NormalizationOp, Errors) {
    expectNormError(normAttrs(0x4, 1), DataType::kINT32, makeDims({2, 3, 4}), makeDims({4}), {"got int32"});
    expectNormError(normAttrs(0x4, 1), DataType::kFLOAT, makeDims({2, 3, 4}), makeDims({4}),
                    {"scale", "got int8"}, DataType::kINT8);
    expectNormError(normAttrs(0, 1), DataType::kFLOAT, makeDims({2, 3}), makeDims({3}),
                    {"axes mask is 0", "[2,3]"});
    expectNormError(normAttrs(0x8, 1), DataType::kFLOAT, makeDims({2, 3}), makeDims({3}), {"0x8", "rank 2"});
    expectNormError(normAttrs(0x2, 1), DataType::kFLOAT, makeDims({2, 7}), makeDims({5}),
                    {"scale [5]", "does not broadcast", "[2,7]", "5 vs 7"});
    expectNormError(normAttrs(0x1, 1), DataType::kFLOAT, makeDims({7}), makeDims({1, 7}),
                    {"higher rank", "[1,7]"});
    expectNormError(normAttrs(0xC, 4), DataType::kFLOAT, makeDims({2, 6, 5, 5}), makeDims({1, 6, 1, 1}),
                    {"channel count 6", "not divisible", "nbGroups = 4"});
    expectNormError(normAttrs(0x8, 2), DataType::kFLOAT, makeDims({2, 6, 5, 5}), makeDims({1, 6, 1, 1}),
                    {"spatial axes 2..3", "mask 0xc", "got mask 0x8"});
    expectNormError(normAttrs(0xC, 2), DataType::kFLOAT, makeDims({2, 6, 5, 5}), makeDims({1, 4, 1, 1}),
                    {"scale [1,4,1,1]", "nbGroups"});
    expectNormError(normAttrs(0x1, 0), DataType::kFLOAT, makeDims({4}), makeDims({1}),
                    {"nbGroups must be >= 1", "got 0"});
    expectNormError(normAttrs(0x1, 2), DataType::kFLOAT, makeDims({4}), makeDims({1}), {"channel axis 1"});
    expectNormError(normAttrs(0x1, 1, -1.0f), DataType::kFLOAT, makeDims({4}), makeDims({1}),
                    {"epsilon must be >= 0"});
}

}  // namespace
}  // namespace kiln
