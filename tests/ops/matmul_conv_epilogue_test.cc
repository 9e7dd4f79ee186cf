// The fused epilogue of MatrixMultiply (inputs [2] bias, [3] addend) and Convolution (input [3] addend),
// y = act(result + bias + addend): the reference kernels against naive double loops written here, for
// float32/float16/bfloat16 and several activations, plus inference's checks of the new inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln {
namespace {

using testing::runSingleOp;

double act(ActivationType t, double x, double alpha) {
    switch (t) {
        case ActivationType::kRELU:
            return x > 0 ? x : 0.0;
        case ActivationType::kLEAKY_RELU:
            return x >= 0 ? x : alpha * x;
        case ActivationType::kGELU_ERF:
            return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));
        case ActivationType::kGELU_TANH:
            return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
        default:
            ADD_FAILURE() << "activation not covered by this test";
            return x;
    }
}

/// Tolerance for a value v of type t computed with float32 accumulation over `terms` products: the
/// output rounding (twice: product+epilogue in float32, then the store) plus accumulation error.
double tolerance(DataType t, double v, int terms) {
    const double unit = t == DataType::kFLOAT ? std::ldexp(1.0, -23) : t == DataType::kHALF ? std::ldexp(1.0, -10)
                                                                                              : std::ldexp(1.0, -7);
    return 2 * unit * std::fabs(v) + 1e-6 * terms + (t == DataType::kFLOAT ? 1e-6 : 2 * unit);
}

ir::EpilogueAttrs epilogue(bool hasAct, ActivationType t, float alpha = 0.0f) {
    ir::EpilogueAttrs e;
    e.hasActivation = hasAct;
    e.activation = t;
    e.alpha = alpha;
    return e;
}

struct MatmulEpilogueCase {
    bool bias, addend, hasAct;
    ActivationType type;
};

TEST(MatmulEpilogue, ReferenceMatchesNaiveLoops) {
    // a [3, 5, 13] x b [13, 7] (and b^T), odd sizes; bias [7], addend [3, 5, 7].
    const int64_t B = 3, M = 5, K = 13, N = 7;
    const MatmulEpilogueCase cases[] = {{true, false, false, ActivationType::kRELU},
                                        {false, true, false, ActivationType::kRELU},
                                        {true, true, true, ActivationType::kRELU},
                                        {true, false, true, ActivationType::kGELU_ERF},
                                        {true, true, true, ActivationType::kGELU_TANH},
                                        {false, false, true, ActivationType::kLEAKY_RELU}};
    uint64_t seed = 11;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16}) {
        for (bool transB : {false, true}) {
            for (const MatmulEpilogueCase& c : cases) {
                SCOPED_TRACE(std::string(dataTypeName(t)) + (transB ? " B^T" : "") + " bias " +
                             std::to_string(c.bias) + " addend " + std::to_string(c.addend) + " act " +
                             (c.hasAct ? std::to_string(static_cast<int>(c.type)) : "none"));
                HostTensor a = HostTensor::random(t, makeDims({B, M, K}), seed++);
                HostTensor b = HostTensor::random(t, transB ? makeDims({N, K}) : makeDims({K, N}), seed++);
                HostTensor bias = c.bias ? HostTensor::random(t, makeDims({N}), seed++) : HostTensor::absent();
                HostTensor add = c.addend ? HostTensor::random(t, makeDims({B, M, N}), seed++) : HostTensor::absent();
                ir::MatrixMultiplyAttrs attrs;
                attrs.op1 = transB ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE;
                attrs.epilogue = epilogue(c.hasAct, c.type, 0.2f);
                auto out = runSingleOp(attrs, {a, b, bias, add});
                ASSERT_TRUE(out.isOk()) << out.status().message();
                const HostTensor& y = out.value()[0];
                ASSERT_TRUE(y.shape == makeDims({B, M, N}));
                for (int64_t bi = 0; bi < B; ++bi)
                    for (int64_t i = 0; i < M; ++i)
                        for (int64_t j = 0; j < N; ++j) {
                            double s = 0;
                            for (int64_t p = 0; p < K; ++p)
                                s += a.at((bi * M + i) * K + p) * b.at(transB ? j * K + p : p * N + j);
                            if (c.bias) s += bias.at(j);
                            if (c.addend) s += add.at((bi * M + i) * N + j);
                            if (c.hasAct) s = act(c.type, s, 0.2);
                            const int64_t idx = (bi * M + i) * N + j;
                            ASSERT_NEAR(y.at(idx), s, tolerance(t, s, static_cast<int>(K))) << "at " << idx;
                        }
            }
        }
    }
}

TEST(MatmulEpilogue, InferenceChecksBiasAddendAndActivation) {
    const HostTensor a(DataType::kFLOAT, makeDims({4, 6}));
    const HostTensor b(DataType::kFLOAT, makeDims({6, 5}));
    auto expectError = [&](const ir::MatrixMultiplyAttrs& attrs, const HostTensor& bias, const HostTensor& add,
                           const std::string& fragment) {
        auto r = runSingleOp(attrs, {a, b, bias, add});
        ASSERT_FALSE(r.isOk()) << fragment;
        EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
    };
    ir::MatrixMultiplyAttrs plain;
    expectError(plain, HostTensor(DataType::kFLOAT, makeDims({4})), HostTensor::absent(), "bias must be 1-D [N] with N = 5");
    expectError(plain, HostTensor(DataType::kFLOAT, makeDims({1, 5})), HostTensor::absent(), "got [1,5]");
    expectError(plain, HostTensor(DataType::kHALF, makeDims({5})), HostTensor::absent(), "bias must have the output's type");
    expectError(plain, HostTensor::absent(), HostTensor(DataType::kFLOAT, makeDims({1, 5})),
                "addend (residual) must have the output's shape [4,5]");
    ir::MatrixMultiplyAttrs nanAlpha;
    nanAlpha.epilogue = epilogue(true, ActivationType::kLEAKY_RELU, std::nanf(""));
    expectError(nanAlpha, HostTensor::absent(), HostTensor::absent(), "MatrixMultiply epilogue: Activation");
    ir::MatrixMultiplyAttrs badType;
    badType.epilogue = epilogue(true, static_cast<ActivationType>(77));
    expectError(badType, HostTensor::absent(), HostTensor::absent(), "unknown activation type 77");
    // Integer matmuls take no epilogue.
    const HostTensor ia(DataType::kINT32, makeDims({2, 3})), ib(DataType::kINT32, makeDims({3, 2}));
    auto r = runSingleOp(plain, {ia, ib, HostTensor(DataType::kINT32, makeDims({2})), HostTensor::absent()});
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("needs float32, float16 or bfloat16"), std::string::npos) << r.status().message();
}

TEST(ConvEpilogue, ReferenceMatchesNaiveLoops) {
    // x [2, 3, 6, 5], w [4, 3, 3, 2], stride 1, padding 1 (h) / 0 (w): y [2, 4, 6, 4].
    const int64_t N = 2, C = 3, H = 6, W = 5, K = 4, R = 3, S = 2, OH = 6, OW = 4;
    uint64_t seed = 101;
    const MatmulEpilogueCase cases[] = {{true, true, true, ActivationType::kRELU},
                                        {false, true, false, ActivationType::kRELU},
                                        {true, false, true, ActivationType::kGELU_ERF},
                                        {true, true, true, ActivationType::kLEAKY_RELU}};
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16}) {
        for (const MatmulEpilogueCase& c : cases) {
            SCOPED_TRACE(std::string(dataTypeName(t)) + " bias " + std::to_string(c.bias) + " act " +
                         std::to_string(static_cast<int>(c.type)));
            HostTensor x = HostTensor::random(t, makeDims({N, C, H, W}), seed++);
            HostTensor w = HostTensor::random(t, makeDims({K, C, R, S}), seed++);
            HostTensor bias = c.bias ? HostTensor::random(t, makeDims({K}), seed++) : HostTensor::absent();
            HostTensor add = c.addend ? HostTensor::random(t, makeDims({N, K, OH, OW}), seed++) : HostTensor::absent();
            ir::ConvolutionAttrs attrs;
            attrs.nbOutputMaps = static_cast<int32_t>(K);
            attrs.kernelSize = makeDims({R, S});
            attrs.prePadding = makeDims({1, 0});
            attrs.postPadding = makeDims({1, 0});
            attrs.epilogue = epilogue(c.hasAct, c.type, 0.1f);
            auto out = runSingleOp(attrs, {x, w, bias, add});
            ASSERT_TRUE(out.isOk()) << out.status().message();
            const HostTensor& y = out.value()[0];
            ASSERT_TRUE(y.shape == makeDims({N, K, OH, OW})) << toString(y.shape);
            for (int64_t n = 0; n < N; ++n)
                for (int64_t k = 0; k < K; ++k)
                    for (int64_t oh = 0; oh < OH; ++oh)
                        for (int64_t ow = 0; ow < OW; ++ow) {
                            double s = 0;
                            for (int64_t ch = 0; ch < C; ++ch)
                                for (int64_t r = 0; r < R; ++r)
                                    for (int64_t q = 0; q < S; ++q) {
                                        const int64_t ih = oh + r - 1, iw = ow + q;
                                        if (ih < 0 || ih >= H || iw >= W) continue;
                                        s += x.at(((n * C + ch) * H + ih) * W + iw) * w.at(((k * C + ch) * R + r) * S + q);
                                    }
                            const int64_t idx = ((n * K + k) * OH + oh) * OW + ow;
                            if (c.bias) s += bias.at(k);
                            if (c.addend) s += add.at(idx);
                            if (c.hasAct) s = act(c.type, s, 0.1);
                            ASSERT_NEAR(y.at(idx), s, tolerance(t, s, static_cast<int>(C * R * S))) << "at " << idx;
                        }
        }
    }
}

TEST(ConvEpilogue, InferenceChecksTheAddend) {
    const HostTensor x(DataType::kFLOAT, makeDims({1, 2, 5, 5}));
    const HostTensor w(DataType::kFLOAT, makeDims({3, 2, 3, 3}));
    ir::ConvolutionAttrs attrs;
    attrs.nbOutputMaps = 3;
    auto r = runSingleOp(attrs, {x, w, HostTensor::absent(), HostTensor(DataType::kFLOAT, makeDims({1, 3, 1, 1}))});
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("addend (residual) must have the output's shape [1,3,3,3], got [1,3,1,1]"),
              std::string::npos)
        << r.status().message();
    r = runSingleOp(attrs, {x, w, HostTensor::absent(), HostTensor(DataType::kHALF, makeDims({1, 3, 3, 3}))});
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().message().find("must have the output's type float32"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace kiln
