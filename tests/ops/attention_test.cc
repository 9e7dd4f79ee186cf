// Attention's reference kernel and inference: hand-computed values (a two-key softmax, a masked key, fully
// masked rows with and without zeroFullyMaskedRows), then odd shapes in every layout of q, k, v and the
// output, every mask broadcast shape, cross attention (Sq != Skv, Dv != D) and float32 / float16 /
// bfloat16 against a naive loop written here in long double over logical [b][h][s][d] indices (each
// operand is built logically and then permuted into its layout, independently of ir/attention_layout.h),
// plus inference's output shapes and error messages.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln {
namespace {

using ir::AttentionLayout;
using testing::runSingleOp;

Dims d4(int64_t a, int64_t b, int64_t c, int64_t d) {
    return makeDims({a, b, c, d});
}

Dims noMask() {
    Dims d;
    d.nbDims = -1;
    return d;
}

/// Position of logical axis (B, H, S, D) in each layout, written out here on purpose (STRIDED operands
/// have no positions: attention_strided_test.cc covers them).
std::array<int, 4> positions(AttentionLayout l) {
    switch (l) {
        case AttentionLayout::kSTRIDED:
        case AttentionLayout::kBHSD:
            return {0, 1, 2, 3};
        case AttentionLayout::kBSHD:
            return {0, 2, 1, 3};
        case AttentionLayout::kSBHD:
            return {1, 2, 0, 3};
        case AttentionLayout::kBHDS:
            return {0, 1, 3, 2};
    }
    return {0, 1, 2, 3};
}

/// A logical [B, H, S, D] array stored in `layout` as a HostTensor of `type`.
struct Operand {
    std::array<int64_t, 4> ext;
    std::vector<double> logical;  ///< values after rounding to `type`, indexed [b][h][s][d]
    HostTensor stored;
    double at(int64_t b, int64_t h, int64_t s, int64_t d) const {
        return logical[static_cast<size_t>(((b * ext[1] + h) * ext[2] + s) * ext[3] + d)];
    }
};

Operand makeOperand(DataType type, AttentionLayout layout, std::array<int64_t, 4> ext, uint64_t seed,
                    double range) {
    const std::array<int, 4> pos = positions(layout);
    Dims shape = d4(1, 1, 1, 1);
    for (int a = 0; a < 4; ++a) shape.d[pos[static_cast<size_t>(a)]] = ext[static_cast<size_t>(a)];
    const HostTensor random = HostTensor::random(type, shape, seed, -range, range);
    Operand o{ext, std::vector<double>(static_cast<size_t>(volume(shape))), random};
    for (int64_t b = 0; b < ext[0]; ++b)
        for (int64_t h = 0; h < ext[1]; ++h)
            for (int64_t s = 0; s < ext[2]; ++s)
                for (int64_t d = 0; d < ext[3]; ++d) {
                    const int64_t idx[4] = {b, h, s, d};
                    int64_t flat = 0;
                    for (int i = 0; i < 4; ++i) {
                        int axis = 0;
                        while (pos[static_cast<size_t>(axis)] != i) ++axis;
                        flat = flat * shape.d[i] + idx[axis];
                    }
                    o.logical[static_cast<size_t>(((b * ext[1] + h) * ext[2] + s) * ext[3] + d)] =
                        random.at(flat);
                }
    return o;
}

struct Case {
    DataType type;
    int64_t b, h, sq, skv, d, dv;
    AttentionLayout q, k, v, out;
    Dims mask;  ///< nbDims -1: no mask
    bool zero;
};

std::string describe(const Case& c) {
    return std::string(dataTypeName(c.type)) + " B=" + std::to_string(c.b) + " H=" + std::to_string(c.h) +
           " Sq=" + std::to_string(c.sq) + " Skv=" + std::to_string(c.skv) + " D=" + std::to_string(c.d) +
           " Dv=" + std::to_string(c.dv) + " layouts " + std::to_string(static_cast<int>(c.q)) +
           std::to_string(static_cast<int>(c.k)) + std::to_string(static_cast<int>(c.v)) +
           std::to_string(static_cast<int>(c.out)) + " mask " + toString(c.mask) + (c.zero ? " zero" : "");
}

void checkCase(const Case& c, uint64_t seed) {
    SCOPED_TRACE(describe(c));
    const Operand q = makeOperand(c.type, c.q, {c.b, c.h, c.sq, c.d}, seed, 1.5);
    const Operand k = makeOperand(c.type, c.k, {c.b, c.h, c.skv, c.d}, seed + 1, 1.5);
    const Operand v = makeOperand(c.type, c.v, {c.b, c.h, c.skv, c.dv}, seed + 2, 1.0);
    ir::AttentionAttrs a;
    a.scale = 0.35f;
    a.qLayout = c.q;
    a.kLayout = c.k;
    a.vLayout = c.v;
    a.outLayout = c.out;
    a.zeroFullyMaskedRows = c.zero;
    std::vector<HostTensor> inputs = {q.stored, k.stored, v.stored};
    HostTensor mask;
    if (c.mask.nbDims >= 0) {
        // Values in [-2, 2] with every seventh -inf, and row 1 of the first batch/head slice all -inf.
        mask = HostTensor::random(c.type, c.mask, seed + 3, -2.0, 2.0);
        for (int64_t i = 0; i < mask.numel(); ++i)
            if (i % 7 == 3) mask.set(i, -INFINITY);
        if (c.mask.nbDims >= 2 && c.mask.d[c.mask.nbDims - 2] > 1)
            for (int64_t j = 0; j < c.mask.d[c.mask.nbDims - 1]; ++j)
                mask.set(c.mask.d[c.mask.nbDims - 1] + j, -INFINITY);
        inputs.push_back(mask);
    }
    auto r = runSingleOp(a, inputs);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const HostTensor& y = r.value()[0];
    ASSERT_EQ(y.type, c.type);
    const std::array<int, 4> pos = positions(c.out);
    Dims want = d4(1, 1, 1, 1);
    const std::array<int64_t, 4> ye = {c.b, c.h, c.sq, c.dv};
    for (int i = 0; i < 4; ++i) want.d[pos[static_cast<size_t>(i)]] = ye[static_cast<size_t>(i)];
    ASSERT_EQ(y.shape, want);
    // Rounding of the stored result (half an ulp) plus float32 score rounding amplified by |v| <= 1.
    const double tol = c.type == DataType::kHALF ? 0x1p-10 : c.type == DataType::kBF16 ? 0x1p-7 : 1e-5;
    int bad = 0;
    for (int64_t b = 0; b < c.b; ++b)
        for (int64_t h = 0; h < c.h; ++h)
            for (int64_t i = 0; i < c.sq; ++i) {
                std::vector<long double> s(static_cast<size_t>(c.skv));
                long double m = -INFINITY;
                for (int64_t j = 0; j < c.skv; ++j) {
                    long double dot = 0;
                    for (int64_t e = 0; e < c.d; ++e)
                        dot += static_cast<long double>(q.at(b, h, i, e)) * k.at(b, h, j, e);
                    float sc = static_cast<float>(static_cast<long double>(0.35f) * dot);
                    if (c.mask.nbDims >= 0) {
                        // Broadcast index into the mask, right-aligned against [B, H, Sq, Skv].
                        const int64_t full[4] = {b, h, i, j};
                        int64_t flat = 0;
                        for (int t = 0; t < c.mask.nbDims; ++t) {
                            const int64_t ext = c.mask.d[t];
                            flat = flat * ext + (ext == 1 ? 0 : full[4 - c.mask.nbDims + t]);
                        }
                        sc += static_cast<float>(mask.at(flat));
                    }
                    s[static_cast<size_t>(j)] = sc;
                    m = std::max(m, static_cast<long double>(sc));
                }
                for (int64_t e = 0; e < c.dv; ++e) {
                    double expect;
                    if (!std::isfinite(static_cast<double>(m))) {
                        expect = c.zero ? 0.0 : NAN;
                    } else {
                        long double num = 0, den = 0;
                        for (int64_t j = 0; j < c.skv; ++j) {
                            const long double p = std::exp(s[static_cast<size_t>(j)] - m);
                            den += p;
                            num += p * v.at(b, h, j, e);
                        }
                        expect = static_cast<double>(num / den);
                    }
                    const std::array<int64_t, 4> idx = {b, h, i, e};
                    int64_t flat = 0;
                    for (int t = 0; t < 4; ++t) {
                        int axis = 0;
                        while (pos[static_cast<size_t>(axis)] != t) ++axis;
                        flat = flat * want.d[t] + idx[static_cast<size_t>(axis)];
                    }
                    const double got = y.at(flat);
                    const bool ok = std::isnan(expect) ? std::isnan(got) : std::fabs(got - expect) <= tol;
                    if (!ok && ++bad <= 5)
                        ADD_FAILURE() << "[" << b << "," << h << "," << i << "," << e << "] got " << got
                                      << ", expected " << expect;
                }
            }
}

TEST(Attention, HandComputedTwoKeys) {
    // q = 1, keys 0 and ln 3: softmax [1/4, 3/4] over v = [4, 8] gives 7; masking key 1 gives 4.
    ir::AttentionAttrs a;
    const HostTensor q = HostTensor::fromVector(DataType::kFLOAT, d4(1, 1, 1, 1), std::vector<double>{1.0});
    const HostTensor k =
        HostTensor::fromVector(DataType::kFLOAT, d4(1, 1, 2, 1), std::vector<double>{0.0, std::log(3.0)});
    const HostTensor v =
        HostTensor::fromVector(DataType::kFLOAT, d4(1, 1, 2, 1), std::vector<double>{4.0, 8.0});
    auto r = runSingleOp(a, {q, k, v});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_NEAR(r.value()[0].at(0), 7.0, 1e-6);
    const HostTensor mask =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({2}), std::vector<double>{0.0, -INFINITY});
    r = runSingleOp(a, {q, k, v, mask});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].at(0), 4.0);
    // scale 2 (scores 0 and 2 ln 3): softmax [1/10, 9/10] -> 7.6.
    a.scale = 2.0f;
    r = runSingleOp(a, {q, k, v});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_NEAR(r.value()[0].at(0), 7.6, 1e-6);
}

TEST(Attention, FullyMaskedRowsAreNaNOrZero) {
    ir::AttentionAttrs a;
    const HostTensor q = HostTensor::random(DataType::kFLOAT, d4(1, 1, 2, 3), 1);
    const HostTensor k = HostTensor::random(DataType::kFLOAT, d4(1, 1, 2, 3), 2);
    const HostTensor v = HostTensor::random(DataType::kFLOAT, d4(1, 1, 2, 2), 3);
    // Row 0 sees key 1 only; row 1 sees nothing.
    const HostTensor mask = HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 2}),
                                                   std::vector<double>{-INFINITY, 0.0, -INFINITY, -INFINITY});
    for (bool zero : {false, true}) {
        a.zeroFullyMaskedRows = zero;
        auto r = runSingleOp(a, {q, k, v, mask});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        const HostTensor& y = r.value()[0];
        EXPECT_EQ(y.at(0), v.at(2));  // all weight on key 1
        EXPECT_EQ(y.at(1), v.at(3));
        for (int64_t e = 2; e < 4; ++e) {
            if (zero)
                EXPECT_EQ(y.at(e), 0.0);
            else
                EXPECT_TRUE(std::isnan(y.at(e))) << y.at(e);
        }
    }
}

TEST(Attention, EveryLayoutAgainstANaiveLoop) {
    const AttentionLayout L[] = {AttentionLayout::kBHSD, AttentionLayout::kBSHD, AttentionLayout::kSBHD};
    uint64_t seed = 100;
    const Dims none = noMask();
    for (AttentionLayout q : L)
        for (AttentionLayout k :
             {AttentionLayout::kBHSD, AttentionLayout::kBSHD, AttentionLayout::kSBHD, AttentionLayout::kBHDS})
            checkCase({DataType::kFLOAT, 2, 3, 5, 7, 4, 6, q, k, L[(static_cast<int>(q) + 1) % 3],
                       L[(static_cast<int>(k) + 2) % 3], none, false},
                      seed += 4);
}

TEST(Attention, EveryMaskShapeAndType) {
    const Dims masks[] = {makeDims({7}),          makeDims({5, 7}),       makeDims({2, 1, 1, 7}),
                          makeDims({2, 3, 5, 7}), makeDims({1, 3, 1, 1}), makeDims({3, 5, 1})};
    uint64_t seed = 500;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16})
        for (const Dims& m : masks)
            for (bool zero : {false, true})
                checkCase({t, 2, 3, 5, 7, 8, 8, AttentionLayout::kBSHD, AttentionLayout::kBSHD,
                           AttentionLayout::kBSHD, AttentionLayout::kBSHD, m, zero},
                          seed += 4);
}

TEST(Attention, SingleKeyAndSingleQueryAndLongRows) {
    const Dims none = noMask();
    uint64_t seed = 900;
    for (auto [sq, skv] : {std::pair<int64_t, int64_t>{1, 1}, {1, 65}, {65, 1}, {3, 300}})
        checkCase({DataType::kHALF, 1, 2, sq, skv, 16, 16, AttentionLayout::kBHSD, AttentionLayout::kBHDS,
                   AttentionLayout::kBHSD, AttentionLayout::kSBHD, none, false},
                  seed += 4);
}

void expectInferError(const ir::AttentionAttrs& a, const std::vector<HostTensor>& in,
                      const std::string& fragment) {
    auto r = runSingleOp(a, in);
    ASSERT_FALSE(r.isOk()) << "expected an error containing \"" << fragment << "\"";
    EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(Attention, InferenceErrorsNameTheShapes) {
    const HostTensor q(DataType::kFLOAT, d4(2, 3, 5, 4));
    const HostTensor k(DataType::kFLOAT, d4(2, 3, 7, 4));
    const HostTensor v(DataType::kFLOAT, d4(2, 3, 7, 6));
    ir::AttentionAttrs a;
    expectInferError(a, {HostTensor(DataType::kFLOAT, makeDims({3, 5, 4})), k, v}, "q (input 0) must be 4-D");
    expectInferError(a, {q, HostTensor(DataType::kFLOAT, d4(2, 3, 7, 5)), v}, "same head dim D");
    expectInferError(a, {q, k, HostTensor(DataType::kFLOAT, d4(2, 3, 6, 6))}, "same sequence length Skv");
    expectInferError(a, {q, k, HostTensor(DataType::kFLOAT, d4(2, 4, 7, 6))}, "same heads H");
    expectInferError(a, {q, HostTensor(DataType::kHALF, d4(2, 3, 7, 4)), v}, "must have one type");
    expectInferError(a, {HostTensor(DataType::kINT32, d4(2, 3, 5, 4)), k, v}, "float32, float16 or bfloat16");
    expectInferError(a, {q, k, v, HostTensor(DataType::kFLOAT, makeDims({5, 6}))}, "does not broadcast");
    expectInferError(a, {q, k, v, HostTensor(DataType::kBOOL, makeDims({7}))},
                     "turn a bool mask into 0 / -inf");
    ir::AttentionAttrs bad = a;
    bad.qLayout = AttentionLayout::kBHDS;
    expectInferError(bad, {q, k, v}, "is for k only");
    bad = a;
    bad.outLayout = static_cast<AttentionLayout>(9);
    expectInferError(bad, {q, k, v}, "must be BHSD, BSHD or SBHD");
}

TEST(Attention, OutputShapeFollowsTheOutputLayout) {
    ir::AttentionAttrs a;
    a.qLayout = AttentionLayout::kSBHD;  // q [Sq, B, H, D]
    a.kLayout = AttentionLayout::kBHDS;  // k [B, H, D, Skv]
    a.vLayout = AttentionLayout::kBSHD;  // v [B, Skv, H, Dv]
    a.outLayout = AttentionLayout::kBSHD;
    auto r = runSingleOp(
        a, {HostTensor(DataType::kHALF, d4(5, 2, 3, 4)), HostTensor(DataType::kHALF, d4(2, 3, 4, 7)),
            HostTensor(DataType::kHALF, d4(2, 7, 3, 6))});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].shape, d4(2, 5, 3, 6));
    EXPECT_EQ(r.value()[0].type, DataType::kHALF);
}

}  // namespace
}  // namespace kiln
