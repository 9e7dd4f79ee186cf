// Fill: kLINSPACE (TensorRT's worked example, ONNX Range as the importer lowers it, int64 beyond 2^53 kept
// exact, a 4-D odd shape against nested loops in every numeric type) and kCONSTANT (ONNX ConstantOfShape:
// shape from a tensor, value from a tensor, scalar and empty outputs), build-time shapes with unknown
// values, and the error messages of bad shapes, types and parameters.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "ops/extra_ops_test_util.h"

namespace kiln {
namespace {

using testing::absentDesc;
using testing::descOf;
using testing::failsWithAll;
using testing::halfUlp;
using testing::inferOnly;
using testing::intsEqual;
using testing::intsOf;
using testing::runSingleOp;
using testing::scalarInt;
using testing::scalarOf;
using testing::tensorOf;
using testing::valuesNear;

ir::FillAttrs fillAttrs(FillOperation op, DataType outType, Dims dims = Dims{}, float alpha = 0.0f,
                        float beta = 1.0f) {
    ir::FillAttrs a;
    a.op = op;
    a.outputType = outType;
    a.dimensions = dims;
    a.alpha = alpha;
    a.beta = beta;
    return a;
}

HostTensor shapeTensor(DataType t, const std::vector<int64_t>& dims) {
    return intsOf(t, makeDims({static_cast<int64_t>(dims.size())}), dims);
}

TEST(FillOp, LinspaceFromAttributes) {
    auto r =
        runSingleOp(fillAttrs(FillOperation::kLINSPACE, DataType::kFLOAT, makeDims({5}), 2.0f, 3.0f), {});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({5}), {2, 5, 8, 11, 14}, 0.0));
    // A single delta applies to every dim: out[i][j] = alpha + beta * i + beta * j.
    auto r2 =
        runSingleOp(fillAttrs(FillOperation::kLINSPACE, DataType::kFLOAT, makeDims({2, 3}), -1.0f, 0.5f), {});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(
        valuesNear(r2.value()[0], DataType::kFLOAT, makeDims({2, 3}), {-1, -0.5, 0, -0.5, 0, 0.5}, 0.0));
}

TEST(FillOp, LinspaceTensorRTExample) {
    // TensorRT's operator documentation: shape (2, 3), alpha 0, beta [3, 1] gives 0..5.
    auto alpha = scalarOf(DataType::kFLOAT, 0.0);
    auto beta = tensorOf(DataType::kFLOAT, makeDims({2}), {3.0, 1.0});
    auto r = runSingleOp(fillAttrs(FillOperation::kLINSPACE, DataType::kFLOAT, makeDims({2, 3})),
                         {HostTensor::absent(), alpha, beta});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({2, 3}), {0, 1, 2, 3, 4, 5}, 0.0));
}

TEST(FillOp, RangeAsTheImporterLowersIt) {
    // ONNX Range(start 10, limit -2, delta -3) = [10, 7, 4, 1]: the importer passes the count as the shape.
    for (DataType t : {DataType::kINT32, DataType::kINT64}) {
        auto r = runSingleOp(fillAttrs(FillOperation::kLINSPACE, t),
                             {shapeTensor(DataType::kINT64, {4}), scalarInt(t, 10), scalarInt(t, -3)});
        ASSERT_TRUE(r.isOk()) << dataTypeName(t) << ": " << r.status().message();
        EXPECT_TRUE(intsEqual(r.value()[0], t, makeDims({4}), {10, 7, 4, 1})) << dataTypeName(t);
    }
    // Float Range(1.5, 3.2, 0.4) has ceil(1.7 / 0.4) = 5 elements.
    auto r = runSingleOp(fillAttrs(FillOperation::kLINSPACE, DataType::kFLOAT),
                         {shapeTensor(DataType::kINT32, {5}), scalarOf(DataType::kFLOAT, 1.5),
                          scalarOf(DataType::kFLOAT, 0.4)});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    // The kernel computes in double from the float32 delta and rounds once: within half a float32 ulp.
    const double d = static_cast<float>(0.4);
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({5}),
                           {1.5, 1.5 + d, 1.5 + 2 * d, 1.5 + 3 * d, 1.5 + 4 * d}, 0.0, 0x1p-24));
}

TEST(FillOp, Int64RangeBeyondDoublePrecisionIsExact) {
    // 2^60 + 1 + 3i is not representable in double; going through double would round it.
    const int64_t start = (int64_t{1} << 60) + 1;
    auto r = runSingleOp(fillAttrs(FillOperation::kLINSPACE, DataType::kINT64),
                         {shapeTensor(DataType::kINT64, {4}), scalarInt(DataType::kINT64, start),
                          scalarInt(DataType::kINT64, 3)});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(
        intsEqual(r.value()[0], DataType::kINT64, makeDims({4}), {start, start + 3, start + 6, start + 9}));
    // ConstantOfShape with an int64 value beyond 2^53.
    const int64_t big = (int64_t{1} << 62) - 7;
    auto c =
        runSingleOp(fillAttrs(FillOperation::kCONSTANT, DataType::kINT64),
                    {shapeTensor(DataType::kINT64, {2}), intsOf(DataType::kINT64, makeDims({1}), {big})});
    ASSERT_TRUE(c.isOk()) << c.status().message();
    EXPECT_TRUE(intsEqual(c.value()[0], DataType::kINT64, makeDims({2}), {big, big}));
}

/// Expected linspace over a rank-4 shape, by four nested loops.
std::vector<double> linspace4(const Dims& s, double alpha, const std::vector<double>& beta) {
    std::vector<double> v;
    for (int64_t a = 0; a < s.d[0]; ++a)
        for (int64_t b = 0; b < s.d[1]; ++b)
            for (int64_t c = 0; c < s.d[2]; ++c)
                for (int64_t d = 0; d < s.d[3]; ++d)
                    v.push_back(alpha + beta[0] * a + beta[1] * b + beta[2] * c + beta[3] * d);
    return v;
}

TEST(FillOp, LinspaceOddShapeEveryNumericTypeAgainstLoops) {
    const Dims shape = makeDims({3, 1, 7, 5});
    std::mt19937_64 rng(1234);
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT8, DataType::kUINT8,
                       DataType::kINT32, DataType::kINT64}) {
        const bool isInt = isIntegerType(t);
        // Parameters of the output type, read back so the expectation uses exactly what the kernel sees.
        HostTensor alpha(t, Dims{}), beta(t, makeDims({4}));
        std::uniform_int_distribution<int> small(t == DataType::kUINT8 ? 0 : -3, 3);
        alpha.set(0, isInt ? (t == DataType::kUINT8 ? 20 : small(rng))
                           : std::uniform_real_distribution<double>(-2, 2)(rng));
        for (int k = 0; k < 4; ++k)
            beta.set(k, isInt ? small(rng) : std::uniform_real_distribution<double>(-1, 1)(rng));
        if (t == DataType::kINT64) alpha.setInt(0, (int64_t{1} << 55) + 3);  // exactness beyond 2^53
        auto r = runSingleOp(fillAttrs(FillOperation::kLINSPACE, t),
                             {shapeTensor(DataType::kINT32, {3, 1, 7, 5}), alpha, beta});
        ASSERT_TRUE(r.isOk()) << dataTypeName(t) << ": " << r.status().message();
        const std::vector<double> betas{beta.at(0), beta.at(1), beta.at(2), beta.at(3)};
        if (t == DataType::kINT64) {
            std::vector<int64_t> want;
            for (double v : linspace4(shape, 0.0, betas))
                want.push_back(alpha.atInt(0) + static_cast<int64_t>(v));
            EXPECT_TRUE(intsEqual(r.value()[0], t, shape, want));
        } else if (t == DataType::kINT8 || t == DataType::kUINT8) {
            // Small parameters keep every value in range: exact.
            EXPECT_TRUE(valuesNear(r.value()[0], t, shape, linspace4(shape, alpha.at(0), betas), 0.0))
                << dataTypeName(t) << " alpha " << alpha.at(0);
        } else {
            // One rounding of the exact value into the output type; 1e-6 absolute covers values near 0.
            EXPECT_TRUE(
                valuesNear(r.value()[0], t, shape, linspace4(shape, alpha.at(0), betas), 1e-6, halfUlp(t)))
                << dataTypeName(t);
        }
    }
}

TEST(FillOp, LargeOutputSplitAcrossThreads) {
    // 61401 elements: above the kernel's grain, so the harness's 2-thread pool splits the work.
    const Dims shape = makeDims({3, 97, 211});
    auto r = runSingleOp(fillAttrs(FillOperation::kLINSPACE, DataType::kINT32),
                         {shapeTensor(DataType::kINT64, {3, 97, 211}), scalarInt(DataType::kINT32, -5),
                          intsOf(DataType::kINT32, makeDims({3}), {100000, 1000, -1})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    std::vector<int64_t> want;
    for (int64_t a = 0; a < 3; ++a)
        for (int64_t b = 0; b < 97; ++b)
            for (int64_t c = 0; c < 211; ++c) want.push_back(-5 + 100000 * a + 1000 * b - c);
    EXPECT_TRUE(intsEqual(r.value()[0], DataType::kINT32, shape, want));
}

TEST(FillOp, ConstantOfShape) {
    // Value from a 1-element tensor (ONNX ConstantOfShape's `value`), shape from an int64 tensor.
    auto r = runSingleOp(
        fillAttrs(FillOperation::kCONSTANT, DataType::kFLOAT),
        {shapeTensor(DataType::kINT64, {2, 3, 1}), tensorOf(DataType::kFLOAT, makeDims({1}), {1.5})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(
        valuesNear(r.value()[0], DataType::kFLOAT, makeDims({2, 3, 1}), std::vector<double>(6, 1.5), 0.0));
    // Value from the attribute; float16 output rounds 0.1 once.
    auto h = runSingleOp(fillAttrs(FillOperation::kCONSTANT, DataType::kHALF, Dims{}, 0.1f),
                         {shapeTensor(DataType::kINT32, {3})});
    ASSERT_TRUE(h.isOk()) << h.status().message();
    EXPECT_TRUE(valuesNear(h.value()[0], DataType::kHALF, makeDims({3}),
                           std::vector<double>(3, 0.0999755859375), 0.0));
    // Bool and int32 outputs.
    auto b = runSingleOp(fillAttrs(FillOperation::kCONSTANT, DataType::kBOOL),
                         {shapeTensor(DataType::kINT64, {2, 2}), scalarInt(DataType::kBOOL, 1)});
    ASSERT_TRUE(b.isOk()) << b.status().message();
    EXPECT_TRUE(intsEqual(b.value()[0], DataType::kBOOL, makeDims({2, 2}), {1, 1, 1, 1}));
    auto i = runSingleOp(fillAttrs(FillOperation::kCONSTANT, DataType::kINT32, makeDims({1, 3}), -7.0f), {});
    ASSERT_TRUE(i.isOk()) << i.status().message();
    EXPECT_TRUE(intsEqual(i.value()[0], DataType::kINT32, makeDims({1, 3}), {-7, -7, -7}));
}

TEST(FillOp, ScalarAndEmptyOutputs) {
    // An empty shape tensor gives a rank-0 output with one element.
    auto s = runSingleOp(fillAttrs(FillOperation::kCONSTANT, DataType::kFLOAT, Dims{}, 4.0f),
                         {shapeTensor(DataType::kINT64, {})});
    ASSERT_TRUE(s.isOk()) << s.status().message();
    EXPECT_TRUE(valuesNear(s.value()[0], DataType::kFLOAT, Dims{}, {4.0}, 0.0));
    // A zero extent gives an empty output; nothing is written and nothing fails.
    auto e = runSingleOp(fillAttrs(FillOperation::kLINSPACE, DataType::kINT64),
                         {shapeTensor(DataType::kINT64, {3, 0})});
    ASSERT_TRUE(e.isOk()) << e.status().message();
    EXPECT_EQ(e.value()[0].shape, makeDims({3, 0}));
    EXPECT_EQ(e.value()[0].numel(), 0);
    // Range with zero elements (start >= limit): shape [0].
    auto z = runSingleOp(
        fillAttrs(FillOperation::kLINSPACE, DataType::kINT32),
        {shapeTensor(DataType::kINT64, {0}), scalarInt(DataType::kINT32, 5), scalarInt(DataType::kINT32, 1)});
    ASSERT_TRUE(z.isOk()) << z.status().message();
    EXPECT_EQ(z.value()[0].shape, makeDims({0}));
}

TEST(FillOp, BuildTimeShapeWithUnknownValuesGivesUnknownDimsOfTheRightRank) {
    auto out = inferOnly(fillAttrs(FillOperation::kCONSTANT, DataType::kINT64),
                         {descOf(DataType::kINT64, makeDims({3}))});
    ASSERT_TRUE(out.isOk()) << out.status().message();
    EXPECT_EQ(out->shape, makeDims({-1, -1, -1}));
    EXPECT_EQ(out->type, DataType::kINT64);
    // Known values give known dims; the attribute's output type wins over a preset one.
    const int32_t dims[2] = {4, 6};
    auto known = inferOnly(fillAttrs(FillOperation::kLINSPACE, DataType::kINT32),
                           {descOf(DataType::kINT32, makeDims({2}), dims)}, DataType::kFLOAT);
    ASSERT_TRUE(known.isOk()) << known.status().message();
    EXPECT_EQ(known->shape, makeDims({4, 6}));
    EXPECT_EQ(known->type, DataType::kINT32);
    // A shape tensor of unknown length gives no rank: reported, not guessed.
    auto unknownLen = inferOnly(fillAttrs(FillOperation::kCONSTANT, DataType::kFLOAT),
                                {descOf(DataType::kINT64, makeDims({-1}))});
    ASSERT_FALSE(unknownLen.isOk());
    EXPECT_NE(unknownLen.status().message().find("unknown length"), std::string::npos)
        << unknownLen.status().message();
    // Alpha/beta with unknown values are fine at build time.
    auto later = inferOnly(fillAttrs(FillOperation::kLINSPACE, DataType::kFLOAT),
                           {descOf(DataType::kINT64, makeDims({1})), descOf(DataType::kFLOAT, Dims{}),
                            descOf(DataType::kFLOAT, Dims{})});
    ASSERT_TRUE(later.isOk()) << later.status().message();
    EXPECT_EQ(later->shape, makeDims({-1}));
    auto withAbsent = inferOnly(fillAttrs(FillOperation::kLINSPACE, DataType::kFLOAT, makeDims({2})),
                                {absentDesc(), absentDesc(), absentDesc()});
    ASSERT_TRUE(withAbsent.isOk()) << withAbsent.status().message();
    EXPECT_EQ(withAbsent->shape, makeDims({2}));
}

TEST(FillOp, Errors) {
    const auto lin = FillOperation::kLINSPACE;
    const auto cst = FillOperation::kCONSTANT;
    EXPECT_TRUE(failsWithAll(
        runSingleOp(fillAttrs(cst, DataType::kFLOAT), {tensorOf(DataType::kFLOAT, makeDims({1}), {2})}),
        {"shape input", "int32 or int64", "float32"}));
    EXPECT_TRUE(failsWithAll(
        runSingleOp(fillAttrs(cst, DataType::kFLOAT), {intsOf(DataType::kINT64, makeDims({1, 2}), {2, 2})}),
        {"shape input", "1-D", "[1,2]"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(fillAttrs(cst, DataType::kFLOAT), {shapeTensor(DataType::kINT64, {2, -3})}),
                     {"negative extent -3", "index 1"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(fillAttrs(cst, DataType::kFLOAT, makeDims({2, -1})), {}),
                             {"dimensions [2,-1]", "negative extent"}));
    EXPECT_TRUE(failsWithAll(
        runSingleOp(fillAttrs(cst, DataType::kFLOAT),
                    {shapeTensor(DataType::kINT64, {2}), tensorOf(DataType::kFLOAT, makeDims({2}), {1, 2})}),
        {"alpha (input 1)", "scalar", "[2]"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(fillAttrs(cst, DataType::kFLOAT),
                                         {shapeTensor(DataType::kINT64, {2}), scalarOf(DataType::kFLOAT, 1),
                                          scalarOf(DataType::kFLOAT, 1)}),
                             {"kCONSTANT takes no beta"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(fillAttrs(lin, DataType::kFLOAT),
                                 {shapeTensor(DataType::kINT64, {2, 3}), scalarOf(DataType::kFLOAT, 0),
                                  tensorOf(DataType::kFLOAT, makeDims({3}), {1, 1, 1})}),
                     {"beta (input 2)", "one delta per output dim (2)", "[3]"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(fillAttrs(lin, DataType::kFLOAT),
                                         {shapeTensor(DataType::kINT64, {2}), scalarOf(DataType::kFLOAT, 0),
                                          scalarInt(DataType::kINT32, 1)}),
                             {"same type", "float32", "int32"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(fillAttrs(lin, DataType::kBOOL, makeDims({2})), {}), {"kLINSPACE", "bool"}));
    auto random = runSingleOp(fillAttrs(FillOperation::kRANDOM_UNIFORM, DataType::kFLOAT, makeDims({2})), {});
    EXPECT_TRUE(failsWithAll(random, {"random", "not supported"}));
    EXPECT_EQ(random.status().code(), ErrorCode::kUNSUPPORTED_STATE);
    EXPECT_TRUE(failsWithAll(
        runSingleOp(fillAttrs(static_cast<FillOperation>(7), DataType::kFLOAT, makeDims({2})), {}),
        {"unknown operation 7"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(fillAttrs(cst, DataType::kFLOAT),
                                         {shapeTensor(DataType::kINT64, {1, 1, 1, 1, 1, 1, 1, 1, 1})}),
                             {"9 entries", "maximum rank is 8"}));
}

}  // namespace
}  // namespace kiln
