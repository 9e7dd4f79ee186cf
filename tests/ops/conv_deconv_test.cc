// Deconvolution (transposed convolution): inference and the GEMM + col2im reference kernel against a
// naive reference in double written here in the "gather" form — each output position collects the
// input positions whose scattered taps reach it — unlike the kernel's scatter; over groups, depthwise,
// dilation, stride, asymmetric and SAME padding, output padding, 1-D/2-D/3-D and every float dtype;
// plus hand-computed values, dynamic shapes and error messages.
#include <gtest/gtest.h>

#include "conv_test_util.h"

namespace kiln {
namespace {

using convtest::Shape;
using convtest::str;

struct DeconvCase {
    Shape x;       ///< [N, C, spatial...]
    int64_t k;     ///< output maps
    Shape kernel;  ///< spatial extents
    int32_t groups{1};
    Shape stride{}, dilation{}, pre{}, post{}, outPad{};
    PaddingMode mode{PaddingMode::kEXPLICIT_ROUND_DOWN};
    bool bias{true};

    std::string describe() const {
        std::ostringstream os;
        os << "x=" << str(x) << " K=" << k << " kernel=" << str(kernel) << " groups=" << groups
           << " stride=" << str(stride) << " dilation=" << str(dilation) << " pre=" << str(pre)
           << " post=" << str(post) << " outputPadding=" << str(outPad) << " mode=" << static_cast<int>(mode)
           << " bias=" << bias;
        return os.str();
    }
    ir::DeconvolutionAttrs attrs() const {
        ir::DeconvolutionAttrs a;
        a.nbOutputMaps = static_cast<int32_t>(k);
        a.kernelSize = convtest::dimsOf(kernel);
        a.stride = convtest::dimsOf(stride);
        a.dilation = convtest::dimsOf(dilation);
        a.prePadding = convtest::dimsOf(pre);
        a.postPadding = convtest::dimsOf(post);
        a.outputPadding = convtest::dimsOf(outPad);
        a.nbGroups = groups;
        a.paddingMode = mode;
        return a;
    }
};

struct Resolved {
    Shape pre, out;
};

/// TensorRT's deconvolution formulas: explicit O = (I - 1) S + DK - (B + A); SAME crops
/// P = max(DK - S, 0), B = floor(P / 2) (upper) or P - floor(P / 2) (lower); plus output padding.
Resolved resolve(const DeconvCase& c) {
    const size_t ns = c.kernel.size();
    Resolved r{convtest::orDefault(c.pre, ns, 0), Shape(ns)};
    const Shape post = convtest::orDefault(c.post, ns, 0), s = convtest::orDefault(c.stride, ns, 1),
                d = convtest::orDefault(c.dilation, ns, 1), op = convtest::orDefault(c.outPad, ns, 0);
    for (size_t i = 0; i < ns; ++i) {
        const int64_t span = d[i] * (c.kernel[i] - 1) + 1;
        int64_t cut = r.pre[i] + post[i];
        if (c.mode == PaddingMode::kSAME_UPPER || c.mode == PaddingMode::kSAME_LOWER) {
            cut = std::max<int64_t>(span - s[i], 0);
            r.pre[i] = c.mode == PaddingMode::kSAME_UPPER ? cut / 2 : cut - cut / 2;
        }
        r.out[i] = (c.x[2 + i] - 1) * s[i] + span - cut + op[i];
    }
    return r;
}

/// y[n, k, o] = bias[k] + sum over c in k's group and taps t with (o + pre - t*d) = i*s, 0 <= i < I,
/// of x[n, c, i] * w[c, k', t].
std::vector<double> naiveDeconv(const DeconvCase& c, const HostTensor& x, const HostTensor& w,
                                const HostTensor* b) {
    const size_t ns = c.kernel.size();
    const Resolved r = resolve(c);
    const Shape s = convtest::orDefault(c.stride, ns, 1), d = convtest::orDefault(c.dilation, ns, 1);
    const int64_t cg = c.x[1] / c.groups, kg = c.k / c.groups;
    Shape yShape{c.x[0], c.k}, wShape{c.x[1], kg};
    yShape.insert(yShape.end(), r.out.begin(), r.out.end());
    wShape.insert(wShape.end(), c.kernel.begin(), c.kernel.end());
    std::vector<Shape> taps;
    for (int64_t t = 0; t < convtest::product(c.kernel); ++t) taps.push_back(convtest::unravel(t, c.kernel));
    std::vector<double> y(static_cast<size_t>(convtest::product(yShape)));
    Shape xi(c.x.size()), wi(c.x.size());
    for (int64_t flat = 0; flat < static_cast<int64_t>(y.size()); ++flat) {
        const Shape yi = convtest::unravel(flat, yShape);
        const int64_t n = yi[0], k = yi[1], grp = k / kg;
        double acc = b ? b->at(k) : 0.0;
        for (int64_t ci = 0; ci < cg; ++ci) {
            for (const Shape& ti : taps) {
                bool hit = true;
                xi[0] = n;
                xi[1] = grp * cg + ci;
                wi[0] = grp * cg + ci;
                wi[1] = k - grp * kg;
                for (size_t i = 0; i < ns; ++i) {
                    const int64_t num = yi[2 + i] + r.pre[i] - ti[i] * d[i];
                    hit = hit && num >= 0 && num % s[i] == 0 && num / s[i] < c.x[2 + i];
                    xi[2 + i] = hit ? num / s[i] : 0;
                    wi[2 + i] = ti[i];
                }
                if (hit) acc += x.at(convtest::ravel(xi, c.x)) * w.at(convtest::ravel(wi, wShape));
            }
        }
        y[static_cast<size_t>(flat)] = acc;
    }
    return y;
}

void checkDeconv(const DeconvCase& c, DataType type, uint64_t seed) {
    const std::string params =
        c.describe() + " dtype=" + dataTypeName(type) + " seed=" + std::to_string(seed);
    Shape wShape{c.x[1], c.k / c.groups};
    wShape.insert(wShape.end(), c.kernel.begin(), c.kernel.end());
    std::vector<HostTensor> inputs{HostTensor::random(type, convtest::dimsOf(c.x), seed),
                                   HostTensor::random(type, convtest::dimsOf(wShape), seed + 1)};
    if (c.bias) inputs.push_back(HostTensor::random(type, makeDims({c.k}), seed + 2));
    auto result = testing::runSingleOp(c.attrs(), inputs);
    ASSERT_TRUE(result.isOk()) << params << ": " << result.status().message();
    const HostTensor& y = result.value()[0];
    Shape expectShape{c.x[0], c.k};
    const Resolved r = resolve(c);
    expectShape.insert(expectShape.end(), r.out.begin(), r.out.end());
    ASSERT_EQ(convtest::shapeOf(y), toString(convtest::dimsOf(expectShape))) << params;
    ASSERT_EQ(y.type, type) << params;
    convtest::expectClose(y, naiveDeconv(c, inputs[0], inputs[1], c.bias ? &inputs[2] : nullptr),
                          convtest::toleranceFor(type), params);
}

using PM = PaddingMode;

const std::vector<DeconvCase>& cases() {
    static const std::vector<DeconvCase> all{
        {{2, 3, 5, 4}, 4, {3, 3}, 1, {2, 2}, {}, {1, 1}, {1, 1}, {1, 1}},
        {{1, 2, 4, 6}, 3, {2, 3}, 1, {3, 1}, {2, 2}, {0, 2}, {1, 0}},
        {{2, 6, 3, 5}, 4, {3, 2}, 2, {2, 2}},
        {{1, 4, 5, 5}, 4, {3, 3}, 4, {2, 2}, {}, {1, 1}, {0, 0}, {1, 0}},  // depthwise
        {{1, 3, 4, 3}, 6, {2, 2}, 3, {1, 2}},                              // grouped, 2 maps per group
        {{2, 3, 7}, 2, {4}, 1, {3}, {}, {1}, {2}, {2}},                    // 1-D
        {{1, 4, 6}, 6, {3}, 2, {2}, {3}, {2}, {0}, {2}},                   // 1-D grouped, dilated
        {{1, 2, 3, 4, 3}, 3, {2, 3, 2}, 1, {2, 1, 2}, {}, {0, 1, 0}, {}, {1, 0, 1}},  // 3-D
        {{1, 2, 5, 4}, 3, {3, 4}, 1, {2, 1}, {}, {}, {}, {}, PM::kSAME_UPPER},        // odd crops: 1 and 3
        {{1, 2, 5, 4}, 3, {3, 4}, 1, {2, 1}, {}, {}, {}, {}, PM::kSAME_LOWER},
        {{2, 3, 7, 5}, 2, {3, 3}},             // stride 1, no padding
        {{1, 2, 4, 4}, 3, {1, 1}, 1, {2, 2}},  // 1x1 strided: gaps stay 0
        {{2, 3, 5, 4}, 4, {3, 3}, 1, {2, 2}, {}, {1, 1}, {1, 1}, {}, PM::kEXPLICIT_ROUND_DOWN, false},
    };
    return all;
}

TEST(DeconvolutionOp, MatchesNaiveFloat32) {
    uint64_t seed = 1000;
    for (const auto& c : cases()) checkDeconv(c, DataType::kFLOAT, seed += 10);
}

TEST(DeconvolutionOp, MatchesNaiveNarrowFloats) {
    const std::vector<size_t> subset{0, 2, 3, 5, 7, 8};
    uint64_t seed = 2000;
    for (DataType t : {DataType::kHALF, DataType::kBF16, DataType::kFP8})
        for (size_t i : subset) checkDeconv(cases()[i], t, seed += 10);
}

TEST(DeconvolutionOp, ChunkedColumnsMatchNaive) {
    // rows (64 maps * 9 taps) x input positions (128 * 128) exceeds the 8M-float column budget: the
    // GEMM and col2im run over two chunks of input positions.
    checkDeconv({{1, 2, 128, 128}, 64, {3, 3}, 1, {}, {}, {1, 1}, {1, 1}}, DataType::kFLOAT, 9);
}

TEST(DeconvolutionOp, HandComputedValues) {
    HostTensor x = HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 2}), std::vector<float>{1, 2});
    HostTensor w = HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 3}), std::vector<float>{1, 1, 1});
    ir::DeconvolutionAttrs a;
    a.stride = makeDims({2});
    // Copies of the kernel scaled by 1 at 0..2 and by 2 at 2..4 overlap at 2.
    auto full = testing::runSingleOp(a, {x, w});
    ASSERT_TRUE(full.isOk()) << full.status().message();
    EXPECT_EQ(full.value()[0].toDoubles(), (std::vector<double>{1, 1, 3, 2, 2}));
    a.prePadding = makeDims({1});
    a.postPadding = makeDims({1});
    auto cropped = testing::runSingleOp(a, {x, w});
    ASSERT_TRUE(cropped.isOk()) << cropped.status().message();
    EXPECT_EQ(cropped.value()[0].toDoubles(), (std::vector<double>{1, 3, 2}));
    a.outputPadding = makeDims({1});  // one more position at the end, still reached by a tap
    auto padded = testing::runSingleOp(a, {x, w});
    ASSERT_TRUE(padded.isOk()) << padded.status().message();
    EXPECT_EQ(padded.value()[0].toDoubles(), (std::vector<double>{1, 3, 2, 2}));
    // SAME crops max(3 - 2, 0) = 1: at the end (upper) or at the start (lower).
    ir::DeconvolutionAttrs same;
    same.stride = makeDims({2});
    same.paddingMode = PaddingMode::kSAME_UPPER;
    auto up = testing::runSingleOp(same, {x, w});
    ASSERT_TRUE(up.isOk()) << up.status().message();
    EXPECT_EQ(up.value()[0].toDoubles(), (std::vector<double>{1, 1, 3, 2}));
    same.paddingMode = PaddingMode::kSAME_LOWER;
    auto low = testing::runSingleOp(same, {x, w});
    ASSERT_TRUE(low.isOk()) << low.status().message();
    EXPECT_EQ(low.value()[0].toDoubles(), (std::vector<double>{1, 3, 2, 2}));
    // Bias is added everywhere, including positions no tap reaches.
    ir::DeconvolutionAttrs gap;
    gap.stride = makeDims({3});
    HostTensor w1 = HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 1}), std::vector<float>{10});
    HostTensor b = HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{0.5f});
    auto g = testing::runSingleOp(gap, {x, w1, b});
    ASSERT_TRUE(g.isOk()) << g.status().message();
    EXPECT_EQ(g.value()[0].toDoubles(), (std::vector<double>{10.5, 0.5, 0.5, 20.5}));
}

TEST(DeconvolutionOp, DynamicDimsPropagate) {
    ir::DeconvolutionAttrs a;
    a.nbGroups = 2;
    a.stride = makeDims({2, 2});
    auto r = convtest::inferOnly(a, {{DataType::kFLOAT, {-1, 4, -1, 5}}, {DataType::kFLOAT, {4, 3, 3, 3}}});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(toString(r->shape), "[-1,6,-1,11]");
    auto r2 = convtest::inferOnly(a, {{DataType::kHALF, {1, -1, 3, 3}}, {DataType::kHALF, {4, -1, 3, 3}}},
                                  /*withAbsentBias=*/true);
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_EQ(toString(r2->shape), "[1,-1,7,7]");
    EXPECT_EQ(r2->type, DataType::kHALF);
}

TEST(DeconvolutionOp, RejectsBadInputs) {
    using convtest::expectInvalid;
    using convtest::inferOnly;
    const DataType f = DataType::kFLOAT;
    ir::DeconvolutionAttrs a;
    expectInvalid(inferOnly(a, {{f, {1, 3, 5, 5}}, {f, {4, 2, 3, 3}}}).status(),
                  {"must have C = 3 rows", "got 4"}, "kernel rows");
    ir::DeconvolutionAttrs g;
    g.nbGroups = 2;
    expectInvalid(inferOnly(g, {{f, {1, 3, 5, 5}}, {f, {3, 2, 3, 3}}}).status(), {"C = 3", "nbGroups = 2"},
                  "C % groups");
    ir::DeconvolutionAttrs maps;
    maps.nbOutputMaps = 3;
    maps.nbGroups = 2;
    expectInvalid(inferOnly(maps, {{f, {1, 4, 5, 5}}, {f, {4, 2, 3, 3}}}).status(),
                  {"nbOutputMaps = 3", "gives 4"}, "nbOutputMaps");
    expectInvalid(inferOnly(a, {{f, {1, 3, 5, 5}}, {f, {3, 2, 3, 3}}, {f, {3}}}).status(),
                  {"bias has 3 values", "(2)"}, "bias length");
    ir::DeconvolutionAttrs op;
    op.stride = makeDims({2, 2});
    op.outputPadding = makeDims({2, 0});
    expectInvalid(inferOnly(op, {{f, {1, 3, 5, 5}}, {f, {3, 2, 3, 3}}}).status(),
                  {"outputPadding [2,0]", "stride 2", "dilation 1"}, "outputPadding too large");
    op.outputPadding = makeDims({1});
    expectInvalid(inferOnly(op, {{f, {1, 3, 5, 5}}, {f, {3, 2, 3, 3}}}).status(), {"outputPadding", "(2)"},
                  "outputPadding rank");
    ir::DeconvolutionAttrs crop;
    crop.prePadding = makeDims({2, 0});
    crop.postPadding = makeDims({1, 0});
    expectInvalid(inferOnly(crop, {{f, {1, 3, 1, 5}}, {f, {3, 2, 3, 3}}}).status(),
                  {"spatial dim 0", "= 0", "expected >= 1"}, "over-cropped");
    expectInvalid(inferOnly(a, {{DataType::kINT8, {1, 3, 5, 5}}, {f, {3, 2, 3, 3}}}).status(), {"int8"},
                  "int8 input");
    expectInvalid(inferOnly(a, {{f, {1, 3, 5, 5}}, {DataType::kINT32, {3, 2, 3, 3}}}).status(),
                  {"kernel", "int32"}, "int32 kernel");
}

}  // namespace
}  // namespace kiln
