// Activation: every ActivationType on every float dtype against the formulas of layer_types.h written out
// literally here in double (exp(x) - 1 rather than expm1, log(exp(bx) + 1) rather than the kernel's
// overflow-free form), plus hand-computed values, narrow-format rounding, NaN propagation, the large-input
// softplus case the literal formula cannot do, dynamic shapes and error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "pointwise_test_util.h"

namespace kiln {
namespace {

using pwtest::allClose;
using pwtest::failsWith;
using pwtest::run1;
using pwtest::tensor;

struct ActCase {
    ActivationType type;
    float alpha;
    float beta;
    const char* name;
};

double literal(ActivationType t, double x, double a, double b) {
    switch (t) {
        case ActivationType::kRELU:
            return std::max(0.0, x);
        case ActivationType::kSIGMOID:
            return std::exp(x) / (1.0 + std::exp(x));
        case ActivationType::kTANH:
            return (std::exp(2 * x) - 1) / (std::exp(2 * x) + 1);
        case ActivationType::kLEAKY_RELU:
            return x >= 0 ? x : a * x;
        case ActivationType::kELU:
            return x >= 0 ? x : a * (std::exp(x) - 1);
        case ActivationType::kSELU:
            return b * (x >= 0 ? x : a * (std::exp(x) - 1));
        case ActivationType::kSOFTSIGN:
            return x / (1 + std::fabs(x));
        case ActivationType::kSOFTPLUS:
            return a * std::log(std::exp(b * x) + 1);
        case ActivationType::kCLIP:
            return std::max(a, std::min(b, x));
        case ActivationType::kHARD_SIGMOID:
            return std::max(0.0, std::min(1.0, a * x + b));
        case ActivationType::kSCALED_TANH:
            return a * std::tanh(b * x);
        case ActivationType::kTHRESHOLDED_RELU:
            return x > a ? x : 0.0;
        case ActivationType::kGELU_ERF:
            return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
        case ActivationType::kGELU_TANH:
            return 0.5 * x *
                   (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (x + 0.044715 * std::pow(x, 3))));
        case ActivationType::kSILU:
            return x / (1 + std::exp(-x));
        case ActivationType::kHARD_SWISH:
            return x * std::max(0.0, std::min(1.0, x / 6 + 0.5));
    }
    ADD_FAILURE() << "no literal formula for activation " << static_cast<int>(t);
    return 0.0;
}

const ActCase kCases[] = {
    {ActivationType::kRELU, 0, 0, "Relu"},
    {ActivationType::kSIGMOID, 0, 0, "Sigmoid"},
    {ActivationType::kTANH, 0, 0, "Tanh"},
    {ActivationType::kLEAKY_RELU, 0.1f, 0, "LeakyRelu"},
    {ActivationType::kELU, 1.3f, 0, "Elu"},
    {ActivationType::kSELU, 1.6732632f, 1.0507009f, "Selu"},
    {ActivationType::kSOFTSIGN, 0, 0, "Softsign"},
    {ActivationType::kSOFTPLUS, 1.5f, 0.7f, "Softplus"},
    {ActivationType::kCLIP, -1.5f, 2.25f, "Clip"},
    {ActivationType::kHARD_SIGMOID, 0.2f, 0.5f, "HardSigmoid"},
    {ActivationType::kSCALED_TANH, 1.7159f, 0.6667f, "ScaledTanh"},
    {ActivationType::kTHRESHOLDED_RELU, 1.0f, 0, "ThresholdedRelu"},
    {ActivationType::kGELU_ERF, 0, 0, "GeluErf"},
    {ActivationType::kGELU_TANH, 0, 0, "GeluTanh"},
    {ActivationType::kSILU, 0, 0, "Silu"},
    {ActivationType::kHARD_SWISH, 0, 0, "HardSwish"},
};

ir::ActivationAttrs attrsOf(const ActCase& c) {
    ir::ActivationAttrs a;
    a.type = c.type;
    a.alpha = c.alpha;
    a.beta = c.beta;
    return a;
}

struct ActParam {
    ActCase act;
    DataType type;
    Dims shape;
};

void PrintTo(const ActParam& p, std::ostream* os) {
    *os << p.act.name << " alpha=" << p.act.alpha << " beta=" << p.act.beta << " " << dataTypeName(p.type)
        << pwtest::str(p.shape);
}

class ActivationRandom : public ::testing::TestWithParam<ActParam> {};

TEST_P(ActivationRandom, MatchesLiteralFormula) {
    const ActParam& p = GetParam();
    const std::string what = std::string(p.act.name) + " " + dataTypeName(p.type) + pwtest::str(p.shape);
    HostTensor x = HostTensor::random(p.type, p.shape, 1234 + static_cast<uint64_t>(p.act.type), -4.0, 4.0);
    auto y = run1(attrsOf(p.act), {x});
    ASSERT_TRUE(y.isOk()) << what << ": " << y.status().message();
    ASSERT_EQ(y->type, p.type) << what;
    ASSERT_EQ(y->shape, p.shape) << what;
    std::vector<double> want(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i)
        want[static_cast<size_t>(i)] =
            pwtest::roundTo(p.type, literal(p.act.type, x.at(i), p.act.alpha, p.act.beta));
    // 1 ulp + 1e-12: the kernel evaluates a different but equal form in double (expm1, log1p, std::tanh), so
    // the doubles differ by ~1e-16 relative (exp(x) - 1 loses more near 0, hence the absolute term); that can
    // move a result sitting on a rounding boundary of the output format by one ulp.
    EXPECT_TRUE(allClose(*y, want, 1.0, 1e-12)) << what;
}

std::vector<ActParam> activationParams() {
    std::vector<ActParam> v;
    for (const ActCase& c : kCases) {
        for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kFP8})
            v.push_back({c, t, makeDims({1, 3, 7, 5})});
        v.push_back({c, DataType::kFLOAT, makeDims({3, 7, 1031})});  // > one thread-pool chunk
        v.push_back({c, DataType::kHALF, Dims{}});                   // rank 0
    }
    return v;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, ActivationRandom, ::testing::ValuesIn(activationParams()),
                         [](const ::testing::TestParamInfo<ActParam>& info) {
                             std::string s = std::string(info.param.act.name) + "_" +
                                             dataTypeName(info.param.type) + "_" +
                                             std::to_string(volume(info.param.shape));
                             return s;
                         });

TEST(ActivationOp, HandComputedValuesFloat32) {
    struct Hand {
        ActivationType type;
        float alpha, beta;
        double x, y;
    };
    // Values computed by hand (or from tables: Phi(1) = 0.8413447460685429, tanh(1) = 0.7615941559557649).
    const Hand hand[] = {
        {ActivationType::kRELU, 0, 0, -1.0, 0.0},
        {ActivationType::kRELU, 0, 0, 2.5, 2.5},
        {ActivationType::kSIGMOID, 0, 0, 0.0, 0.5},
        {ActivationType::kTANH, 0, 0, 1.0, 0.7615941559557649},
        {ActivationType::kLEAKY_RELU, 0.25f, 0, -2.0, -0.5},
        {ActivationType::kELU, 1.0f, 0, -1.0, 0.36787944117144233 - 1.0},
        {ActivationType::kSELU, 2.0f, 3.0f, -1.0, 3.0 * 2.0 * (0.36787944117144233 - 1.0)},
        {ActivationType::kSELU, 2.0f, 3.0f, 1.5, 4.5},
        {ActivationType::kSOFTSIGN, 0, 0, -3.0, -0.75},
        {ActivationType::kSOFTPLUS, 1.0f, 1.0f, 0.0, 0.6931471805599453},
        {ActivationType::kSOFTPLUS, 2.0f, 3.0f, 0.0, 2.0 * 0.6931471805599453},
        {ActivationType::kCLIP, -1.0f, 2.0f, -3.0, -1.0},
        {ActivationType::kCLIP, -1.0f, 2.0f, 5.0, 2.0},
        {ActivationType::kCLIP, -1.0f, 2.0f, 0.5, 0.5},
        {ActivationType::kHARD_SIGMOID, 0.25f, 0.5f, 1.0, 0.75},
        {ActivationType::kHARD_SIGMOID, 0.25f, 0.5f, 3.0, 1.0},
        {ActivationType::kHARD_SIGMOID, 0.25f, 0.5f, -3.0, 0.0},
        {ActivationType::kSCALED_TANH, 2.0f, 0.5f, 2.0, 2.0 * 0.7615941559557649},
        {ActivationType::kTHRESHOLDED_RELU, 1.0f, 0, 1.0, 0.0},
        {ActivationType::kTHRESHOLDED_RELU, 1.0f, 0, 1.5, 1.5},
        {ActivationType::kGELU_ERF, 0, 0, 1.0, 0.8413447460685429},
        {ActivationType::kGELU_ERF, 0, 0, -1.0, -1.0 + 0.8413447460685429},
        {ActivationType::kSILU, 0, 0, 0.0, 0.0},
        {ActivationType::kSILU, 0, 0, 1.0, 1.0 / (1.0 + 0.36787944117144233)},
        {ActivationType::kHARD_SWISH, 0, 0, 1.0, 2.0 / 3.0},
        {ActivationType::kHARD_SWISH, 0, 0, 4.0, 4.0},
        {ActivationType::kHARD_SWISH, 0, 0, -4.0, 0.0},
        {ActivationType::kGELU_TANH, 0, 0, 0.0, 0.0},
        {ActivationType::kGELU_TANH, 0, 0, 10.0, 10.0},
    };
    for (const Hand& h : hand) {
        ir::ActivationAttrs a;
        a.type = h.type;
        a.alpha = h.alpha;
        a.beta = h.beta;
        auto y = run1(a, {tensor(DataType::kFLOAT, makeDims({1}), {h.x})});
        ASSERT_TRUE(y.isOk()) << y.status().message();
        // 1e-6: float32 output of values below 8 in magnitude is within 2^-21 of the exact value.
        EXPECT_NEAR(y->at(0), h.y, 1e-6) << "type " << static_cast<int>(h.type) << " alpha " << h.alpha
                                         << " beta " << h.beta << " x " << h.x;
    }
}

TEST(ActivationOp, NarrowFormatsRoundOnce) {
    ir::ActivationAttrs a;
    a.type = ActivationType::kLEAKY_RELU;
    a.alpha = 0.1f;
    // -1 * 0.1f = -0.100000001490116: nearest half is 0x2E66 = 0.0999755859375 (next up 0.10003662109375),
    // nearest bfloat16 0x3DCD = 0.10009765625 (next down 0.099609375); worked out by hand.
    auto h = run1(a, {tensor(DataType::kHALF, makeDims({2}), {-1.0, 3.0})});
    ASSERT_TRUE(h.isOk()) << h.status().message();
    EXPECT_EQ(h->at(0), -0.0999755859375);
    EXPECT_EQ(h->at(1), 3.0);
    auto b = run1(a, {tensor(DataType::kBF16, makeDims({1}), {-1.0})});
    ASSERT_TRUE(b.isOk()) << b.status().message();
    EXPECT_EQ(b->at(0), -0.10009765625);
    // Sigmoid(0) = 0.5 exactly in fp8; 1 / (1 + e^-2) = 0.8808 -> fp8 grid step 0.0625 -> 0.875.
    a.type = ActivationType::kSIGMOID;
    auto f = run1(a, {tensor(DataType::kFP8, makeDims({2}), {0.0, 2.0})});
    ASSERT_TRUE(f.isOk()) << f.status().message();
    EXPECT_EQ(f->at(0), 0.5);
    EXPECT_EQ(f->at(1), 0.875);
}

TEST(ActivationOp, SoftplusLargeInputsDoNotOverflow) {
    ir::ActivationAttrs a;
    a.type = ActivationType::kSOFTPLUS;
    a.alpha = 1.0f;
    a.beta = 2.0f;
    // exp(2000) overflows double; the result is alpha * beta * x (log(1 + e^-2000) is far below float's ulp).
    auto y = run1(a, {tensor(DataType::kFLOAT, makeDims({2}), {1000.0, -1000.0})});
    ASSERT_TRUE(y.isOk()) << y.status().message();
    EXPECT_EQ(y->at(0), 2000.0);
    EXPECT_EQ(y->at(1), 0.0);
}

TEST(ActivationOp, NaNPropagatesForEveryType) {
    for (const ActCase& c : kCases) {
        auto y = run1(attrsOf(c), {tensor(DataType::kFLOAT, makeDims({1}), {std::nan("")})});
        ASSERT_TRUE(y.isOk()) << c.name << ": " << y.status().message();
        EXPECT_TRUE(std::isnan(y->at(0))) << c.name << " gave " << y->at(0);
    }
}

TEST(ActivationOp, InferenceKeepsDynamicDimsAndType) {
    ir::ActivationAttrs a;
    a.type = ActivationType::kGELU_TANH;
    auto d = pwtest::inferOnly(a, {pwtest::desc(DataType::kBF16, makeDims({-1, 3, -1}))});
    ASSERT_TRUE(d.isOk()) << d.status().message();
    EXPECT_EQ(d->type, DataType::kBF16);
    EXPECT_EQ(d->shape, makeDims({-1, 3, -1}));
}

TEST(ActivationOp, Errors) {
    ir::ActivationAttrs a;
    a.type = ActivationType::kRELU;
    EXPECT_TRUE(failsWith(run1(a, {HostTensor(DataType::kINT32, makeDims({2}))}).status(),
                          {"Activation kRELU", "float32", "got int32"}));
    a.type = static_cast<ActivationType>(57);
    EXPECT_TRUE(failsWith(run1(a, {HostTensor(DataType::kFLOAT, makeDims({2}))}).status(),
                          {"unknown activation type 57"}));
    a.type = ActivationType::kCLIP;
    a.alpha = std::numeric_limits<float>::quiet_NaN();
    EXPECT_TRUE(failsWith(run1(a, {HostTensor(DataType::kFLOAT, makeDims({2}))}).status(),
                          {"Activation kCLIP", "alpha and beta must be numbers", "alpha=nan"}));
}

}  // namespace
}  // namespace kiln
