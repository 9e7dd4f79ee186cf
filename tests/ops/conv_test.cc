// Convolution: inference and the im2col + SGEMM reference kernel against a naive direct-loop
// convolution in double written here (arbitrary rank through flat-index arithmetic), over groups,
// depthwise, dilation, stride, asymmetric and SAME padding, ceil mode, 1-D/2-D/3-D, odd sizes and
// every float dtype; plus hand-computed values, dynamic shapes and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "conv_test_util.h"

namespace kiln {
namespace {

using convtest::Shape;
using convtest::str;

struct ConvCase {
    Shape x;       ///< [N, C, spatial...]
    int64_t k;     ///< output maps
    Shape kernel;  ///< spatial extents
    int32_t groups{1};
    Shape stride{}, dilation{}, pre{}, post{};
    PaddingMode mode{PaddingMode::kEXPLICIT_ROUND_DOWN};
    bool bias{true};

    std::string describe() const {
        std::ostringstream os;
        os << "x=" << str(x) << " K=" << k << " kernel=" << str(kernel) << " groups=" << groups
           << " stride=" << str(stride) << " dilation=" << str(dilation) << " pre=" << str(pre)
           << " post=" << str(post) << " mode=" << static_cast<int>(mode) << " bias=" << bias;
        return os.str();
    }
    ir::ConvolutionAttrs attrs() const {
        ir::ConvolutionAttrs a;
        a.nbOutputMaps = static_cast<int32_t>(k);
        a.kernelSize = convtest::dimsOf(kernel);
        a.stride = convtest::dimsOf(stride);
        a.dilation = convtest::dimsOf(dilation);
        a.prePadding = convtest::dimsOf(pre);
        a.postPadding = convtest::dimsOf(post);
        a.nbGroups = groups;
        a.paddingMode = mode;
        return a;
    }
};

/// Padding actually applied (SAME modes computed, as TensorRT documents them) and the output extents.
struct Resolved {
    Shape pre, post, out;
};

Resolved resolve(const ConvCase& c) {
    const size_t ns = c.kernel.size();
    Resolved r{convtest::orDefault(c.pre, ns, 0), convtest::orDefault(c.post, ns, 0), Shape(ns)};
    const Shape s = convtest::orDefault(c.stride, ns, 1), d = convtest::orDefault(c.dilation, ns, 1);
    for (size_t i = 0; i < ns; ++i) {
        const double in = static_cast<double>(c.x[2 + i]);
        const int64_t span = d[i] * (c.kernel[i] - 1) + 1;
        const bool same = c.mode == PaddingMode::kSAME_UPPER || c.mode == PaddingMode::kSAME_LOWER;
        if (same) {
            r.out[i] = static_cast<int64_t>(std::ceil(in / static_cast<double>(s[i])));
            const int64_t total = std::max<int64_t>(0, (r.out[i] - 1) * s[i] + span - c.x[2 + i]);
            r.pre[i] = c.mode == PaddingMode::kSAME_UPPER ? total / 2 : total - total / 2;
            r.post[i] = total - r.pre[i];
        } else {
            const double q =
                (in + static_cast<double>(r.pre[i] + r.post[i] - span)) / static_cast<double>(s[i]);
            r.out[i] = static_cast<int64_t>(c.mode == PaddingMode::kEXPLICIT_ROUND_UP ? std::ceil(q)
                                                                                      : std::floor(q)) +
                       1;
        }
    }
    return r;
}

/// y[n, k, o] = bias[k] + sum over c in k's group and taps t of x[n, c, o*s - pre + t*d] * w[k, c', t].
std::vector<double> naiveConv(const ConvCase& c, const HostTensor& x, const HostTensor& w,
                              const HostTensor* b) {
    const size_t ns = c.kernel.size();
    const Resolved r = resolve(c);
    const Shape s = convtest::orDefault(c.stride, ns, 1), d = convtest::orDefault(c.dilation, ns, 1);
    const int64_t cg = c.x[1] / c.groups, kg = c.k / c.groups;
    Shape yShape{c.x[0], c.k};
    yShape.insert(yShape.end(), r.out.begin(), r.out.end());
    const Shape inSpatial(c.x.begin() + 2, c.x.end());
    Shape wShape{c.k, cg};
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
                xi[0] = n;
                xi[1] = grp * cg + ci;
                wi[0] = k;
                wi[1] = ci;
                bool inside = true;
                for (size_t i = 0; i < ns; ++i) {
                    const int64_t pos = yi[2 + i] * s[i] - r.pre[i] + ti[i] * d[i];
                    inside = inside && pos >= 0 && pos < inSpatial[i];
                    xi[2 + i] = pos;
                    wi[2 + i] = ti[i];
                }
                if (inside) acc += x.at(convtest::ravel(xi, c.x)) * w.at(convtest::ravel(wi, wShape));
            }
        }
        y[static_cast<size_t>(flat)] = acc;
    }
    return y;
}

/// Runs case c with data of `type` and kernel/bias of `weightTypeOpt` (default: the data type).
void checkConv(const ConvCase& c, DataType type, uint64_t seed,
               std::optional<DataType> weightTypeOpt = std::nullopt) {
    const DataType weightType = weightTypeOpt.value_or(type);
    const std::string params = c.describe() + " dtype=" + dataTypeName(type) +
                               " weights=" + dataTypeName(weightType) + " seed=" + std::to_string(seed);
    Shape wShape{c.k, c.x[1] / c.groups};
    wShape.insert(wShape.end(), c.kernel.begin(), c.kernel.end());
    std::vector<HostTensor> inputs{HostTensor::random(type, convtest::dimsOf(c.x), seed),
                                   HostTensor::random(weightType, convtest::dimsOf(wShape), seed + 1)};
    if (c.bias) inputs.push_back(HostTensor::random(weightType, makeDims({c.k}), seed + 2));
    auto result = testing::runSingleOp(c.attrs(), inputs);
    ASSERT_TRUE(result.isOk()) << params << ": " << result.status().message();
    const HostTensor& y = result.value()[0];
    Shape expectShape{c.x[0], c.k};
    const Resolved r = resolve(c);
    expectShape.insert(expectShape.end(), r.out.begin(), r.out.end());
    ASSERT_EQ(convtest::shapeOf(y), toString(convtest::dimsOf(expectShape))) << params;
    ASSERT_EQ(y.type, type) << params;
    convtest::expectClose(y, naiveConv(c, inputs[0], inputs[1], c.bias ? &inputs[2] : nullptr),
                          convtest::toleranceFor(type), params);
}

using PM = PaddingMode;

const std::vector<ConvCase>& cases() {
    static const std::vector<ConvCase> all{
        {{2, 3, 7, 5}, 4, {3, 3}, 1, {}, {}, {1, 1}, {1, 1}},
        {{1, 3, 7, 5}, 2, {3, 2}, 1, {2, 3}, {}, {1, 0}, {2, 1}},
        {{2, 2, 9, 8}, 3, {3, 3}, 1, {}, {2, 3}, {2, 1}, {0, 3}},
        {{1, 6, 7, 5}, 9, {2, 3}, 3, {1, 2}, {}, {0, 1}, {1, 0}},
        {{2, 5, 11, 7}, 5, {3, 3}, 5, {}, {}, {1, 1}, {1, 1}},                    // depthwise
        {{1, 3, 6, 6}, 6, {3, 3}, 3, {2, 2}, {}, {1, 1}, {0, 0}},                 // depthwise, multiplier 2
        {{3, 4, 13}, 5, {5}, 1, {2}, {2}, {3}, {1}},                              // 1-D
        {{2, 6, 17}, 4, {3}, 2, {3}, {}, {0}, {2}},                               // 1-D grouped
        {{1, 2, 5, 7, 6}, 3, {3, 2, 3}, 1, {1, 2, 2}, {}, {1, 0, 1}, {0, 1, 1}},  // 3-D
        {{2, 4, 4, 5, 3}, 6, {2, 3, 1}, 2, {}, {2, 1, 1}, {}, {}},                // 3-D grouped, dilated
        {{2, 7, 5, 3}, 4, {1, 1}},             // 1x1: GEMM on the input directly
        {{1, 3, 7, 5}, 2, {1, 1}, 1, {2, 2}},  // 1x1 strided: im2col
        {{1, 3, 7, 5}, 4, {4, 3}, 1, {2, 2}, {}, {}, {}, PM::kSAME_UPPER},
        {{1, 3, 7, 5}, 4, {4, 3}, 1, {2, 2}, {}, {}, {}, PM::kSAME_LOWER},
        {{2, 2, 8, 9}, 3, {3, 2}, 1, {3, 1}, {2, 2}, {}, {}, PM::kSAME_UPPER},
        {{1, 2, 7, 5}, 3, {2, 3}, 1, {2, 3}, {}, {0, 1}, {0, 0}, PM::kEXPLICIT_ROUND_UP},
        {{1, 1, 1, 1}, 1, {1, 1}},                                                              // smallest
        {{2, 3, 7, 5}, 4, {3, 3}, 1, {}, {}, {1, 1}, {1, 1}, PM::kEXPLICIT_ROUND_DOWN, false},  // no bias
    };
    return all;
}

TEST(ConvolutionOp, MatchesNaiveFloat32) {
    uint64_t seed = 100;
    for (const auto& c : cases()) checkConv(c, DataType::kFLOAT, seed += 10);
}

TEST(ConvolutionOp, MatchesNaiveNarrowFloats) {
    // A subset per type: 2-D padded, grouped, depthwise, 1-D, 3-D, SAME.
    const std::vector<size_t> subset{0, 3, 4, 6, 8, 12, 15};
    uint64_t seed = 500;
    for (DataType t : {DataType::kHALF, DataType::kBF16, DataType::kFP8})
        for (size_t i : subset) checkConv(cases()[i], t, seed += 10);
}

TEST(ConvolutionOp, WeightsOfAnotherFloatType) {
    // Kernel and bias may keep a wider (or narrower) float type than the data; the output has the
    // data's type.
    checkConv(cases()[0], DataType::kHALF, 900, DataType::kFLOAT);
    checkConv(cases()[3], DataType::kFLOAT, 910, DataType::kBF16);
}

TEST(ConvolutionOp, ChunkedColumnsMatchNaive) {
    // rows (64 * 9) x positions (128 * 128) exceeds the kernel's 8M-float column budget, so im2col and
    // the GEMM run over two column chunks written into the output through ldc.
    checkConv({{1, 64, 128, 128}, 2, {3, 3}, 1, {}, {}, {1, 1}, {1, 1}}, DataType::kFLOAT, 7);
}

TEST(ConvolutionOp, HandComputedValues) {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = 1;
    HostTensor x = HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 3, 3}),
                                          std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9});
    HostTensor w =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 2, 2}), std::vector<float>{1, 1, 1, 1});
    HostTensor b = HostTensor::fromVector(DataType::kFLOAT, makeDims({1}), std::vector<float>{0.5f});
    auto r = testing::runSingleOp(a, {x, w, b});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{12.5, 16.5, 24.5, 28.5}));

    // Two groups of one channel each: each output map sees only its own channel.
    ir::ConvolutionAttrs g;
    g.nbGroups = 2;
    HostTensor x2 =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 2, 1, 1}), std::vector<float>{2, 3});
    HostTensor w2 =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 1, 1, 1}), std::vector<float>{10, 100});
    auto r2 = testing::runSingleOp(g, {x2, w2});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_EQ(r2.value()[0].toDoubles(), (std::vector<double>{20, 300}));
}

TEST(ConvolutionOp, HandComputedSameAndCeilModes) {
    HostTensor x =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 4}), std::vector<float>{1, 2, 3, 4});
    HostTensor w = HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 2}), std::vector<float>{1, 1});
    ir::ConvolutionAttrs a;
    a.paddingMode = PaddingMode::kSAME_UPPER;  // one unit of padding, at the end
    auto up = testing::runSingleOp(a, {x, w});
    ASSERT_TRUE(up.isOk()) << up.status().message();
    EXPECT_EQ(up.value()[0].toDoubles(), (std::vector<double>{3, 5, 7, 4}));
    a.paddingMode = PaddingMode::kSAME_LOWER;  // at the start
    auto low = testing::runSingleOp(a, {x, w});
    ASSERT_TRUE(low.isOk()) << low.status().message();
    EXPECT_EQ(low.value()[0].toDoubles(), (std::vector<double>{1, 3, 5, 7}));

    // Ceil mode keeps the last, partial window [4, 5) that round-down drops.
    HostTensor x5 =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 5}), std::vector<float>{1, 2, 3, 4, 5});
    HostTensor w5 = HostTensor::fromVector(DataType::kFLOAT, makeDims({1, 1, 2}), std::vector<float>{1, 10});
    ir::ConvolutionAttrs c;
    c.stride = makeDims({2});
    auto down = testing::runSingleOp(c, {x5, w5});
    ASSERT_TRUE(down.isOk()) << down.status().message();
    EXPECT_EQ(down.value()[0].toDoubles(), (std::vector<double>{21, 43}));
    c.paddingMode = PaddingMode::kEXPLICIT_ROUND_UP;
    auto ceil = testing::runSingleOp(c, {x5, w5});
    ASSERT_TRUE(ceil.isOk()) << ceil.status().message();
    EXPECT_EQ(ceil.value()[0].toDoubles(), (std::vector<double>{21, 43, 5}));
}

TEST(ConvolutionOp, DynamicDimsPropagate) {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = 4;
    a.prePadding = makeDims({1, 1});
    a.postPadding = makeDims({1, 1});
    auto r = convtest::inferOnly(a, {{DataType::kHALF, {-1, 3, -1, 5}}, {DataType::kHALF, {4, 3, 3, 3}}});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(toString(r->shape), "[-1,4,-1,5]");
    EXPECT_EQ(r->type, DataType::kHALF);

    // Unknown channels skip the channel check; an unknown kernel count takes nbOutputMaps.
    auto r2 = convtest::inferOnly(a, {{DataType::kFLOAT, {2, -1, 6, 6}}, {DataType::kFLOAT, {-1, 3, 3, 3}}},
                                  /*withAbsentBias=*/true);
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_EQ(toString(r2->shape), "[2,4,6,6]");

    // Empty attributes (nbOutputMaps 0, no kernelSize) take everything from the kernel tensor.
    ir::ConvolutionAttrs plain;
    plain.paddingMode = PaddingMode::kSAME_LOWER;
    plain.stride = makeDims({2, 3, 2});
    auto r3 =
        convtest::inferOnly(plain, {{DataType::kBF16, {1, 2, -1, 7, 5}}, {DataType::kBF16, {6, 2, 3, 3, 3}}});
    ASSERT_TRUE(r3.isOk()) << r3.status().message();
    EXPECT_EQ(toString(r3->shape), "[1,6,-1,3,3]");
}

TEST(ConvolutionOp, RejectsBadInputs) {
    using convtest::expectInvalid;
    using convtest::inferOnly;
    const DataType f = DataType::kFLOAT;
    ir::ConvolutionAttrs a;
    expectInvalid(inferOnly(a, {{f, {3, 7}}, {f, {4, 3}}}).status(), {"rank 3 to 5", "[3,7]"}, "rank 2");
    expectInvalid(inferOnly(a, {{f, {1, 1, 2, 2, 2, 2}}, {f, {1, 1, 1, 1, 1, 1}}}).status(), {"rank 3 to 5"},
                  "rank 6");
    expectInvalid(inferOnly(a, {{DataType::kINT32, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}}).status(), {"int32"},
                  "int32 input");
    expectInvalid(inferOnly(a, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3}}}).status(), {"kernel", "[4,3,3]"},
                  "kernel rank");
    expectInvalid(inferOnly(a, {{f, {1, 4, 5, 5}}, {f, {6, 3, 3, 3}}}).status(),
                  {"channels per group", "[6,3,3,3]"}, "kernel channels");
    ir::ConvolutionAttrs g2;
    g2.nbGroups = 2;
    expectInvalid(inferOnly(g2, {{f, {1, 4, 5, 5}}, {f, {5, 2, 3, 3}}}).status(),
                  {"divisible by nbGroups = 2", "5"}, "K % groups");
    ir::ConvolutionAttrs g0;
    g0.nbGroups = 0;
    expectInvalid(inferOnly(g0, {{f, {1, 4, 5, 5}}, {f, {4, 4, 3, 3}}}).status(), {"nbGroups must be >= 1"},
                  "groups 0");
    ir::ConvolutionAttrs maps;
    maps.nbOutputMaps = 8;
    expectInvalid(inferOnly(maps, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}}).status(),
                  {"nbOutputMaps = 8", "gives 4"}, "nbOutputMaps");
    expectInvalid(inferOnly(a, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}, {f, {3}}}).status(),
                  {"bias has 3 values", "(4)"}, "bias length");
    expectInvalid(inferOnly(a, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}, {f, {1, 4}}}).status(),
                  {"1-D", "[1,4]"}, "bias rank");
    ir::ConvolutionAttrs ks;
    ks.kernelSize = makeDims({3, 2});
    expectInvalid(inferOnly(ks, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}}).status(),
                  {"kernelSize [3,2]", "[4,3,3,3]"}, "kernelSize mismatch");
    ks.kernelSize = makeDims({3});
    expectInvalid(inferOnly(ks, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}}).status(), {"kernelSize", "(2)"},
                  "kernelSize rank");
    ir::ConvolutionAttrs st;
    st.stride = makeDims({1, 0});
    expectInvalid(inferOnly(st, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}}).status(),
                  {"stride entries must be >= 1", "[1,0]"}, "stride 0");
    st.stride = makeDims({1, 1, 1});
    expectInvalid(inferOnly(st, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}}).status(), {"stride", "[1,1,1]"},
                  "stride rank");
    ir::ConvolutionAttrs pad;
    pad.prePadding = makeDims({-1, 0});
    expectInvalid(inferOnly(pad, {{f, {1, 3, 5, 5}}, {f, {4, 3, 3, 3}}}).status(), {"prePadding", ">= 0"},
                  "negative pad");
    ir::ConvolutionAttrs small;
    small.dilation = makeDims({2, 1});
    expectInvalid(inferOnly(small, {{f, {1, 3, 4, 5}}, {f, {4, 3, 3, 3}}}).status(),
                  {"input extent 4", "dilated window extent 5", "output extent would be 0"}, "too small");
}

}  // namespace
}  // namespace kiln
