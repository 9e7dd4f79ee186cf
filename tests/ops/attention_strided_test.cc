// Attention with STRIDED operands (AttentionAttrs' q_view / k_view / v_view): the reference kernel against
// a naive loop written here in long double, where each operand is read from its source tensor through an
// index function spelled out by hand for the case (not through ir/attention_layout.h): a packed
// sequence-first [S, B, 3E] projection fed three times at offsets 0, E and 2E (ViT's in_proj), a packed
// batch-first [B, S, 3E] one (GPT-2's c_attn) in float32, float16 and bfloat16, cross attention reading q
// from one tensor and k, v from a packed [B, Skv, 2E] one with a mask, views with gaps and a non-contiguous
// head dim (keys stored transposed inside a larger buffer), and STRIDED operands beside contiguous ones.
// Then inference: the output shape follows the views' extents whatever the inputs' ranks, and bad views
// (past the end, negative strides or offset, zero extents, the wrong value count, a view with a contiguous
// layout, disagreeing extents, overflowing strides, a STRIDED output) are refused with messages naming
// the values, as is an out-of-range view handed to the reference kernel directly (without inference).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ir/attention_layout.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using ir::AttentionLayout;
using testing::runSingleOp;

/// Logical element (b, h, s, d) of an operand -> flat index into its source tensor.
using Index = std::function<int64_t(int64_t b, int64_t h, int64_t s, int64_t d)>;

struct Extents {
    int64_t b, h, sq, skv, d, dv;
};

std::vector<int64_t> view(int64_t offset, std::array<int64_t, 4> extent, std::array<int64_t, 4> stride) {
    return {offset, extent[0], extent[1], extent[2], extent[3], stride[0], stride[1], stride[2], stride[3]};
}

/// Compares y ([B, Sq, H, Dv], out layout BSHD) with the naive loop over q, k, v read through their index
/// functions; `mask` (when present) is [Sq, Skv].
void expectNaive(const HostTensor& y, const Extents& e, float scale, const HostTensor& qSrc, const Index& qi,
                 const HostTensor& kSrc, const Index& ki, const HostTensor& vSrc, const Index& vi,
                 const HostTensor* mask, const std::string& what) {
    ASSERT_EQ(y.shape, makeDims({e.b, e.sq, e.h, e.dv})) << what;
    // Rounding of the stored result (half an ulp) plus float32 score rounding amplified by |v| <= 1.
    const double tol = y.type == DataType::kHALF ? 0x1p-10 : y.type == DataType::kBF16 ? 0x1p-7 : 1e-5;
    int bad = 0;
    for (int64_t b = 0; b < e.b; ++b)
        for (int64_t h = 0; h < e.h; ++h)
            for (int64_t i = 0; i < e.sq; ++i) {
                std::vector<long double> s(static_cast<size_t>(e.skv));
                long double m = -INFINITY;
                for (int64_t j = 0; j < e.skv; ++j) {
                    long double dot = 0;
                    for (int64_t c = 0; c < e.d; ++c)
                        dot += static_cast<long double>(qSrc.at(qi(b, h, i, c))) * kSrc.at(ki(b, h, j, c));
                    float sc = static_cast<float>(static_cast<long double>(scale) * dot);
                    if (mask) sc += static_cast<float>(mask->at(i * e.skv + j));
                    s[static_cast<size_t>(j)] = sc;
                    m = std::max(m, static_cast<long double>(sc));
                }
                for (int64_t c = 0; c < e.dv; ++c) {
                    long double num = 0, den = 0;
                    for (int64_t j = 0; j < e.skv; ++j) {
                        const long double p = std::exp(s[static_cast<size_t>(j)] - m);
                        den += p;
                        num += p * vSrc.at(vi(b, h, j, c));
                    }
                    const double want = static_cast<double>(num / den);
                    const double got = y.at(((b * e.sq + i) * e.h + h) * e.dv + c);
                    if (!(std::fabs(got - want) <= tol) && ++bad <= 5)
                        ADD_FAILURE() << what << ": [" << b << "," << h << "," << i << "," << c << "] got "
                                      << got << ", expected " << want;
                }
            }
}

ir::AttentionAttrs strided(std::vector<int64_t> q, std::vector<int64_t> k, std::vector<int64_t> v) {
    ir::AttentionAttrs a;
    a.scale = 0.35f;
    a.qLayout = a.kLayout = a.vLayout = AttentionLayout::kSTRIDED;
    a.qView = std::move(q);
    a.kView = std::move(k);
    a.vView = std::move(v);
    a.outLayout = AttentionLayout::kBSHD;
    return a;
}

TEST(AttentionStrided, PackedSequenceFirstQkvFedThreeTimes) {
    // ViT's in_proj output [S, B, 3E]: q, k, v are its thirds, heads of D inside each.
    const Extents e{2, 3, 5, 5, 4, 4};
    const int64_t E = e.h * e.d, S = e.sq, B = e.b;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16}) {
        const HostTensor packed = HostTensor::random(t, makeDims({S, B, 3 * E}), 11, -1.5, 1.5);
        std::vector<std::vector<int64_t>> views;
        std::vector<Index> index;
        for (int64_t part = 0; part < 3; ++part) {
            views.push_back(view(part * E, {B, e.h, S, e.d}, {3 * E, e.d, B * 3 * E, 1}));
            index.push_back([=](int64_t b, int64_t h, int64_t s, int64_t d) {
                return (s * B + b) * 3 * E + part * E + h * e.d + d;
            });
        }
        const ir::AttentionAttrs a = strided(views[0], views[1], views[2]);
        auto r = runSingleOp(a, {packed, packed, packed});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        expectNaive(r.value()[0], e, a.scale, packed, index[0], packed, index[1], packed, index[2], nullptr,
                    std::string("[S,B,3E] ") + dataTypeName(t));
    }
}

TEST(AttentionStrided, PackedBatchFirstQkvFlattenedToTwoDims) {
    // GPT-2's c_attn output [B * S, 3E] (2-D): the views cross the flattened row dim.
    const Extents e{3, 2, 7, 7, 5, 5};
    const int64_t E = e.h * e.d, S = e.sq;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16}) {
        const HostTensor packed = HostTensor::random(t, makeDims({e.b * S, 3 * E}), 21, -1.5, 1.5);
        auto at = [=](int64_t part) {
            return [=](int64_t b, int64_t h, int64_t s, int64_t d) {
                return (b * S + s) * 3 * E + part * E + h * e.d + d;
            };
        };
        const ir::AttentionAttrs a = strided(view(0, {e.b, e.h, S, e.d}, {S * 3 * E, e.d, 3 * E, 1}),
                                             view(E, {e.b, e.h, S, e.d}, {S * 3 * E, e.d, 3 * E, 1}),
                                             view(2 * E, {e.b, e.h, S, e.d}, {S * 3 * E, e.d, 3 * E, 1}));
        auto r = runSingleOp(a, {packed, packed, packed});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        expectNaive(r.value()[0], e, a.scale, packed, at(0), packed, at(1), packed, at(2), nullptr,
                    std::string("[B*S,3E] ") + dataTypeName(t));
    }
}

TEST(AttentionStrided, CrossAttentionFromAPackedKeyValueTensorWithAMask) {
    // q [B, Sq, E] contiguous but read as a view; k, v the halves of a packed [B, Skv, 2E]; Dv == D.
    const Extents e{2, 3, 3, 7, 4, 4};
    const int64_t E = e.h * e.d;
    const HostTensor q = HostTensor::random(DataType::kFLOAT, makeDims({e.b, e.sq, E}), 31, -1.5, 1.5);
    const HostTensor kv = HostTensor::random(DataType::kFLOAT, makeDims({e.b, e.skv, 2 * E}), 32, -1.5, 1.5);
    HostTensor mask = HostTensor::random(DataType::kFLOAT, makeDims({e.sq, e.skv}), 33, -2.0, 2.0);
    for (int64_t i = 0; i < mask.numel(); i += 5) mask.set(i, -INFINITY);
    const ir::AttentionAttrs a = strided(view(0, {e.b, e.h, e.sq, e.d}, {e.sq * E, e.d, E, 1}),
                                         view(0, {e.b, e.h, e.skv, e.d}, {e.skv * 2 * E, e.d, 2 * E, 1}),
                                         view(E, {e.b, e.h, e.skv, e.dv}, {e.skv * 2 * E, e.dv, 2 * E, 1}));
    auto r = runSingleOp(a, {q, kv, kv, mask});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const Index qi = [=](int64_t b, int64_t h, int64_t s, int64_t d) {
        return (b * e.sq + s) * E + h * e.d + d;
    };
    const Index ki = [=](int64_t b, int64_t h, int64_t s, int64_t d) {
        return (b * e.skv + s) * 2 * E + h * e.d + d;
    };
    const Index vi = [=](int64_t b, int64_t h, int64_t s, int64_t d) {
        return (b * e.skv + s) * 2 * E + E + h * e.dv + d;
    };
    expectNaive(r.value()[0], e, a.scale, q, qi, kv, ki, kv, vi, &mask, "cross attention");
}

TEST(AttentionStrided, GapsNonContiguousHeadDimAndMixedLayouts) {
    // k: keys stored transposed ([B, H, D, Skv]) inside a larger [2, 3, 6, 9] buffer, from element
    // (0, 0, 1, 1) on: its head dim has stride 9. q: every other row of a [2, 11, 3, 4] buffer. v: SBHD.
    const Extents e{2, 3, 5, 7, 4, 6};
    const HostTensor q = HostTensor::random(DataType::kFLOAT, makeDims({2, 11, 3, 4}), 41, -1.5, 1.5);
    const HostTensor k = HostTensor::random(DataType::kFLOAT, makeDims({2, 3, 6, 9}), 42, -1.5, 1.5);
    const HostTensor v =
        HostTensor::random(DataType::kFLOAT, makeDims({e.skv, e.b, e.h, e.dv}), 43, -1.0, 1.0);
    ir::AttentionAttrs a;
    a.scale = 0.35f;
    a.qLayout = a.kLayout = AttentionLayout::kSTRIDED;
    a.qView = view(0, {e.b, e.h, e.sq, e.d}, {11 * 12, 4, 2 * 12, 1});
    a.kView = view(9 + 1, {e.b, e.h, e.skv, e.d}, {3 * 54, 54, 1, 9});
    a.vLayout = AttentionLayout::kSBHD;
    a.outLayout = AttentionLayout::kBSHD;
    auto r = runSingleOp(a, {q, k, v});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const Index qi = [](int64_t b, int64_t h, int64_t s, int64_t d) {
        return ((b * 11 + 2 * s) * 3 + h) * 4 + d;
    };
    const Index ki = [](int64_t b, int64_t h, int64_t s, int64_t d) {
        return ((b * 3 + h) * 6 + 1 + d) * 9 + 1 + s;
    };
    const Index vi = [=](int64_t b, int64_t h, int64_t s, int64_t d) {
        return ((s * e.b + b) * e.h + h) * e.dv + d;
    };
    expectNaive(r.value()[0], e, a.scale, q, qi, k, ki, v, vi, nullptr, "gaps and mixed layouts");
}

void expectInferError(const ir::AttentionAttrs& a, const std::vector<HostTensor>& in,
                      std::initializer_list<std::string> fragments) {
    auto r = runSingleOp(a, in);
    ASSERT_FALSE(r.isOk()) << "expected an error";
    for (const std::string& f : fragments)
        EXPECT_NE(r.status().message().find(f), std::string::npos)
            << "\"" << f << "\" not in: " << r.status().message();
}

TEST(AttentionStrided, OutputShapeComesFromTheViewsWhateverTheInputRanks) {
    const HostTensor packed(DataType::kHALF, makeDims({5, 2, 36}));
    const ir::AttentionAttrs a =
        strided(view(0, {2, 3, 5, 4}, {36, 4, 72, 1}), view(12, {2, 3, 5, 4}, {36, 4, 72, 1}),
                view(24, {2, 3, 5, 4}, {36, 4, 72, 1}));
    auto r = runSingleOp(a, {packed, packed, packed});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].shape, makeDims({2, 5, 3, 4}));
    EXPECT_EQ(r.value()[0].type, DataType::kHALF);
}

TEST(AttentionStrided, BadViewsAreRefusedNamingTheValues) {
    const HostTensor packed(DataType::kFLOAT, makeDims({5, 2, 36}));  // 360 elements
    const std::vector<int64_t> q = view(0, {2, 3, 5, 4}, {36, 4, 72, 1}),
                               k = view(12, {2, 3, 5, 4}, {36, 4, 72, 1});
    const std::vector<HostTensor> in = {packed, packed, packed};
    // v one element further than the last third: its last element is 24 + 1 + 36 + 8 + 288 + 3 = 360.
    expectInferError(strided(q, k, view(25, {2, 3, 5, 4}, {36, 4, 72, 1})), in,
                     {"v_view [25,2,3,5,4,36,4,72,1]", "reaches element 360", "[5,2,36] (360 elements)",
                      "must lie inside its input"});
    expectInferError(strided(q, k, view(24, {2, 3, 5, 4}, {36, -4, 72, 1})), in, {"v_view", "strides >= 0"});
    expectInferError(strided(q, k, view(-1, {2, 3, 5, 4}, {36, 4, 72, 1})), in, {"offset >= 0"});
    expectInferError(strided(q, k, view(24, {2, 3, 0, 4}, {36, 4, 72, 1})), in, {"extents >= 1"});
    expectInferError(strided(q, k, {24, 2, 3, 5, 4}), in, {"v_view must hold 9 values", "got 5"});
    expectInferError(strided(q, k, view(24, {2, 3, 5, 4}, {36, 4, int64_t{1} << 62, 1})), in,
                     {"reaches past 2^63"});
    // Extents that disagree between operands: k's head dim 3, v's key length 4.
    expectInferError(
        strided(q, view(12, {2, 3, 5, 3}, {36, 4, 72, 1}), view(24, {2, 3, 5, 4}, {36, 4, 72, 1})), in,
        {"same head dim D", "STRIDED view of extents [2,3,5,3]"});
    expectInferError(strided(q, k, view(24, {2, 3, 4, 4}, {36, 4, 72, 1})), in, {"same sequence length Skv"});
    // A view beside a contiguous layout, a STRIDED output, a contiguous layout on a 3-D input.
    ir::AttentionAttrs a = strided(q, k, view(24, {2, 3, 5, 4}, {36, 4, 72, 1}));
    a.vLayout = AttentionLayout::kBSHD;
    expectInferError(a, in, {"v_view [24,", "v_layout is BSHD", "a view needs layout STRIDED"});
    a = strided(q, k, view(24, {2, 3, 5, 4}, {36, 4, 72, 1}));
    a.outLayout = AttentionLayout::kSTRIDED;
    expectInferError(a, in, {"out_layout = 4 must be BHSD, BSHD or SBHD"});
    a.outLayout = AttentionLayout::kBSHD;
    a.vLayout = AttentionLayout::kBSHD;
    a.vView.clear();
    expectInferError(a, in, {"v (input 2) must be 4-D", "use layout STRIDED with a view for other ranks"});
}

TEST(AttentionStrided, TheReferenceKernelChecksTheViewItself) {
    // Inference skipped (a plan the reader did not re-infer, a caller that went straight to the kernel):
    // the kernel must refuse a view past its input rather than read past the buffer.
    const HostTensor packed = HostTensor::random(DataType::kFLOAT, makeDims({5, 2, 36}), 51);
    HostTensor y(DataType::kFLOAT, makeDims({2, 5, 3, 4}));
    const ir::AttentionAttrs a =
        strided(view(0, {2, 3, 5, 4}, {36, 4, 72, 1}), view(12, {2, 3, 5, 4}, {36, 4, 72, 1}),
                view(40, {2, 3, 5, 4}, {36, 4, 72, 1}));
    std::vector<TensorRef> in = {packed.ref(), packed.ref(), packed.ref()}, out = {y.ref()};
    ThreadPool pool(1);
    reference::KernelContext ctx{in, out, &pool};
    const Status st = reference::runNode(a, ctx);
    ASSERT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("v_view [40,"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("must lie inside its input"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace kiln
