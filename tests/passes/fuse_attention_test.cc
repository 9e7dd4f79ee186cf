// fuse-attention, run alone on small graphs shaped like the real exports: BERT (scaled q and k^T, a
// key-padding mask through Where, the IsNaN/Where guard, head transposes on every side), GPT-2 (a
// constant causal mask of float32's lowest value), ViT (sequence-first projections reshaped to
// [B*H, S, D] and back, no mask), the textbook Div form on 4-D inputs, k not transposed (op1 kTRANSPOSE),
// a mask fuse-matmul-epilogue folded into the scores' product, cross attention (Sq != Skv, Dv != D) and
// fully masked rows. Each checks the structure (one Attention node, layouts, scale, which transposes are
// gone) and the reference backend's outputs before and after on seeded random inputs (float32; the fused
// kernel accumulates in double where the unfused ops round each step to float32, hence 2e-5). Negative
// cases (an intermediate read twice, a graph output inside the chain, a scale after a folded mask,
// unknown dims, the CPU target) leave the graph unchanged. Packed projections (attention_blocks.h: ViT's
// Gathers after a transpose of the packed [S, B, 3E] tensor, GPT-2's Slices of [B, S, 3E], exporters'
// index forms, a shared intermediate) are read as STRIDED views whose values are checked by hand; a
// non-unit-step slice and a source whose head dim is not contiguous stop the reading where they are.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ir/attention_layout.h"
#include "passes/attention_blocks.h"
#include "passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using ir::Graph;
using ir::TensorId;
using passtest::binary;
using passtest::constant;
using passtest::countKind;
using passtest::dims;
using passtest::op;
using passtest::scalar;

constexpr float kLowest = std::numeric_limits<float>::lowest();

PassContext gpuTarget() {
    PassContext c;
    c.cudaTarget = true;
    c.reducedPrecision = DataType::kHALF;  // float32 GPU plans keep the unfused ops
    return c;
}

TensorId reshape(Graph& g, const std::string& name, TensorId x, Dims to) {
    ir::ShuffleAttrs s;
    s.hasReshape = true;
    s.reshapeDims = to;
    return op(g, name, s, {x});
}

TensorId transpose(Graph& g, const std::string& name, TensorId x, std::initializer_list<int32_t> perm) {
    ir::ShuffleAttrs s;
    int i = 0;
    for (int32_t p : perm) s.firstTranspose.order[i++] = p;
    return op(g, name, s, {x});
}

TensorId matmul(Graph& g, const std::string& name, TensorId a, TensorId b,
                MatrixOperation op1 = MatrixOperation::kNONE) {
    ir::MatrixMultiplyAttrs m;
    m.op1 = op1;
    return op(g, name, m, {a, b});
}

TensorId softmax(Graph& g, TensorId x) {
    ir::SoftMaxAttrs s;
    s.axes = 1u << 3;
    return op(g, "softmax", s, {x});
}

/// Where(IsNaN(p), 0, p), as the exports guard fully masked rows.
TensorId nanGuard(Graph& g, TensorId p) {
    ir::UnaryAttrs isNan;
    isNan.op = UnaryOperation::kISNAN;
    const TensorId c = op(g, "isnan", isNan, {p});
    return op(g, "where_nan", ir::SelectAttrs{},
              {c, constant(g, "zero", DataType::kFLOAT, dims({1}), {0.0}), p});
}

/// Infers, runs the reference before, runs fuse-attention alone for the GPU target, runs after; outputs
/// must agree within 2e-5 relative (+1e-6 absolute), NaN matching NaN. Returns whether the pass changed g.
bool fuseAndCompare(Graph& g, const char* what, uint64_t seed = 7) {
    EXPECT_TRUE(g.inferShapes().isOk()) << what;
    const std::vector<HostTensor> in = passtest::randomInputs(g, seed);
    auto before = passtest::runReference(g, in);
    StatusOr<bool> changed = runPass("fuse-attention", g, gpuTarget());
    EXPECT_TRUE(changed.isOk()) << what << ": " << changed.status().message();
    EXPECT_TRUE(g.validate().isOk()) << what;
    auto after = passtest::runReference(g, in);
    EXPECT_TRUE(before.isOk() && after.isOk()) << what;
    if (!before.isOk() || !after.isOk()) return false;
    for (size_t o = 0; o < before.value().size(); ++o) {
        const HostTensor& w = before.value()[o];
        const HostTensor& h = after.value()[o];
        EXPECT_EQ(w.shape, h.shape) << what;
        int bad = 0;
        for (int64_t i = 0; i < w.numel() && bad < 5; ++i) {
            const double e = w.at(i), v = h.at(i);
            if (std::isnan(e) && std::isnan(v)) continue;
            if (!(std::fabs(v - e) <= 1e-6 + 2e-5 * std::fabs(e))) {
                ADD_FAILURE() << what << ": output " << o << " element " << i << " after " << v << ", before "
                              << e;
                ++bad;
            }
        }
    }
    return changed.isOk() && changed.value();
}

std::vector<std::string> names(const Graph& g, const std::vector<TensorId>& ts) {
    std::vector<std::string> out;
    for (TensorId t : ts) out.push_back(g.tensor(t).name);
    return out;
}

const ir::Node& attentionNode(const Graph& g) {
    EXPECT_EQ(countKind(g, ir::OpKind::kAttention), 1) << ir::dumpGraph(g);
    return passtest::onlyNode(g, ir::OpKind::kAttention);
}

/// BERT/GPT-2's block: x [B,S,H*D] -> Reshape [B,S,H,D] -> Transpose to [B,H,S,D] (k: [B,H,D,S]) -> x s;
/// scores + mask -> SoftMax -> IsNaN/Where -> x V -> Reshape (no-op) -> Transpose -> Reshape [B,Sq,H*Dv].
struct BertBlock {
    int64_t b = 2, h = 3, sq = 5, skv = 7, d = 4, dv = 6;
    bool guard = true;
    TensorId mask = ir::kNoTensor;  ///< set before build(); broadcast to [B,1|H,Sq|1,Skv]
};

TensorId buildBert(Graph& g, const BertBlock& c) {
    const TensorId xq = g.addInput("xq", DataType::kFLOAT, dims({c.b, c.sq, c.h * c.d}));
    const TensorId xk = g.addInput("xk", DataType::kFLOAT, dims({c.b, c.skv, c.h * c.d}));
    const TensorId xv = g.addInput("xv", DataType::kFLOAT, dims({c.b, c.skv, c.h * c.dv}));
    const double s = 1.0 / std::sqrt(std::sqrt(static_cast<double>(c.d)));
    const TensorId q = transpose(g, "q_t", reshape(g, "q_r", xq, dims({c.b, c.sq, c.h, c.d})), {0, 2, 1, 3});
    const TensorId kt =
        transpose(g, "k_t", reshape(g, "k_r", xk, dims({c.b, c.skv, c.h, c.d})), {0, 2, 3, 1});
    const TensorId v =
        transpose(g, "v_t", reshape(g, "v_r", xv, dims({c.b, c.skv, c.h, c.dv})), {0, 2, 1, 3});
    const TensorId qs =
        binary(g, "q_s", ElementWiseOperation::kPROD, q, scalar(g, "sq", DataType::kFLOAT, s));
    const TensorId ks =
        binary(g, "k_s", ElementWiseOperation::kPROD, kt, scalar(g, "sk", DataType::kFLOAT, s));
    TensorId scores = matmul(g, "qk", qs, ks);
    if (c.mask != ir::kNoTensor) scores = binary(g, "mask_add", ElementWiseOperation::kSUM, scores, c.mask);
    TensorId p = softmax(g, scores);
    if (c.guard) p = nanGuard(g, p);
    const TensorId o = matmul(g, "pv", p, v);
    const TensorId o2 = reshape(g, "o_r", o, dims({c.b, c.h, c.sq, c.dv}));
    const TensorId ot = transpose(g, "o_t", o2, {0, 2, 1, 3});
    const TensorId y = reshape(g, "y", ot, dims({c.b, c.sq, c.h * c.dv}));
    g.markOutput(y);
    return ot;
}

TEST(FuseAttention, BertFormWithKeyPaddingMaskAndNanGuard) {
    Graph g;
    BertBlock c;
    // Where(bool keep [B,1,1,Skv], 0, lowest): the import's shape of BERT's extended attention mask.
    const TensorId keep = g.addInput("keep", DataType::kBOOL, dims({c.b, 1, 1, c.skv}));
    c.mask = op(g, "mask_where", ir::SelectAttrs{},
                {keep, constant(g, "m0", DataType::kFLOAT, dims({1}), {0.0}),
                 constant(g, "m1", DataType::kFLOAT, dims({1}), {kLowest})});
    const std::string out = g.tensor(buildBert(g, c)).name;
    ASSERT_TRUE(fuseAndCompare(g, "bert"));
    const ir::Node& a = attentionNode(g);
    const auto& attrs = std::get<ir::AttentionAttrs>(a.attrs);
    EXPECT_EQ(attrs.qLayout, ir::AttentionLayout::kBSHD);
    EXPECT_EQ(attrs.kLayout, ir::AttentionLayout::kBSHD);
    EXPECT_EQ(attrs.vLayout, ir::AttentionLayout::kBSHD);
    EXPECT_EQ(attrs.outLayout, ir::AttentionLayout::kBSHD);
    EXPECT_TRUE(attrs.zeroFullyMaskedRows);
    EXPECT_NEAR(attrs.scale, 0.5, 1e-6);  // (1 / sqrt(sqrt(4)))^2
    ASSERT_EQ(a.inputs.size(), 4u);
    EXPECT_EQ(g.tensor(a.inputs[0]).name, "q_r_out");
    EXPECT_EQ(g.tensor(a.inputs[1]).name, "k_r_out");
    EXPECT_EQ(g.tensor(a.inputs[2]).name, "v_r_out");
    EXPECT_EQ(g.tensor(a.inputs[3]).name, "mask_where_out");
    EXPECT_EQ(g.tensor(a.outputs[0]).name, out) << "the output transpose's tensor is the Attention's output";
    // Left: the three input reshapes (views), the mask Select and the final reshape.
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 4) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kMatrixMultiply), 0);
    EXPECT_EQ(countKind(g, ir::OpKind::kSoftMax), 0);
    EXPECT_EQ(countKind(g, ir::OpKind::kUnary), 0);
    EXPECT_EQ(countKind(g, ir::OpKind::kSelect), 1);
}

TEST(FuseAttention, BertFormWithFullyMaskedRows) {
    // Constant -inf mask [B,1,Sq,Skv] that masks every key of some rows: the guard makes them 0, the fused
    // op must too; the rest of the rows see a partial mask.
    Graph g;
    BertBlock c;
    std::vector<double> m(static_cast<size_t>(c.b * c.sq * c.skv));
    for (int64_t b = 0; b < c.b; ++b)
        for (int64_t i = 0; i < c.sq; ++i)
            for (int64_t j = 0; j < c.skv; ++j)
                m[static_cast<size_t>((b * c.sq + i) * c.skv + j)] =
                    (i == 2 || j > c.skv - 1 - b - i % 2) ? -INFINITY : 0.25 * static_cast<double>(j % 3);
    c.mask = constant(g, "mask", DataType::kFLOAT, dims({c.b, 1, c.sq, c.skv}), m);
    buildBert(g, c);
    ASSERT_TRUE(fuseAndCompare(g, "bert fully masked rows"));
    EXPECT_TRUE(std::get<ir::AttentionAttrs>(attentionNode(g).attrs).zeroFullyMaskedRows);
}

TEST(FuseAttention, PlainSoftmaxKeepsNaNRows) {
    // Without the guard a fully masked row is NaN before and after (zeroFullyMaskedRows stays false).
    Graph g;
    BertBlock c;
    c.guard = false;
    std::vector<double> m(static_cast<size_t>(c.sq * c.skv), 0.0);
    for (int64_t j = 0; j < c.skv; ++j) m[static_cast<size_t>(1 * c.skv + j)] = -INFINITY;
    c.mask = constant(g, "mask", DataType::kFLOAT, dims({c.sq, c.skv}), m);
    buildBert(g, c);
    ASSERT_TRUE(fuseAndCompare(g, "plain softmax"));
    EXPECT_FALSE(std::get<ir::AttentionAttrs>(attentionNode(g).attrs).zeroFullyMaskedRows);
}

TEST(FuseAttention, Gpt2CausalConstantMask) {
    Graph g;
    BertBlock c;
    c.sq = c.skv = 6;
    c.dv = c.d;
    std::vector<double> m(static_cast<size_t>(c.sq * c.skv));
    for (int64_t i = 0; i < c.sq; ++i)
        for (int64_t j = 0; j < c.skv; ++j) m[static_cast<size_t>(i * c.skv + j)] = j > i ? kLowest : 0.0;
    c.mask = constant(g, "causal", DataType::kFLOAT, dims({1, 1, c.sq, c.skv}), m);
    buildBert(g, c);
    ASSERT_TRUE(fuseAndCompare(g, "gpt2"));
    const ir::Node& a = attentionNode(g);
    EXPECT_EQ(g.tensor(a.inputs[3]).name, "causal_out");
}

TEST(FuseAttention, VitSequenceFirstHeadsWithoutMask) {
    // torch's MultiheadAttention export: x [S,B,E] -> [S,B*H,D] -> Transpose(1,0,2) -> [B,H,S,D] (k also
    // Transpose(0,1,3,2)), each scaled; softmax; x V -> Transpose(2,0,1,3) -> [S*B, E].
    const int64_t b = 2, h = 3, s = 5, d = 4, e = h * d;
    Graph g;
    TensorId heads[3];
    const char* names[3] = {"q", "k", "v"};
    for (int i = 0; i < 3; ++i) {
        const std::string n = names[i];
        const TensorId x = g.addInput("x" + n, DataType::kFLOAT, dims({s, b, e}));
        const TensorId r = reshape(g, n + "_r", x, dims({s, b * h, d}));
        const TensorId t = transpose(g, n + "_t", r, {1, 0, 2});
        heads[i] = reshape(g, n + "_4d", t, dims({b, h, s, d}));
    }
    const TensorId kt = transpose(g, "k_tt", heads[1], {0, 1, 3, 2});
    const double c = std::sqrt(1.0 / std::sqrt(static_cast<double>(d)));
    const TensorId qs = binary(g, "q_s", ElementWiseOperation::kPROD, heads[0],
                               constant(g, "cq", DataType::kFLOAT, dims({1}), {c}));
    const TensorId ks = binary(g, "k_s", ElementWiseOperation::kPROD, kt,
                               constant(g, "ck", DataType::kFLOAT, dims({1}), {c}));
    const TensorId o = matmul(g, "pv", softmax(g, matmul(g, "qk", qs, ks)), heads[2]);
    const TensorId ot = transpose(g, "o_t", o, {2, 0, 1, 3});
    g.markOutput(reshape(g, "y", ot, dims({s * b, e})));
    const std::string out = g.tensor(ot).name;
    ASSERT_TRUE(fuseAndCompare(g, "vit"));
    const ir::Node& a = attentionNode(g);
    const auto& attrs = std::get<ir::AttentionAttrs>(a.attrs);
    EXPECT_EQ(attrs.qLayout, ir::AttentionLayout::kSBHD);
    EXPECT_EQ(attrs.kLayout, ir::AttentionLayout::kSBHD);
    EXPECT_EQ(attrs.vLayout, ir::AttentionLayout::kSBHD);
    EXPECT_EQ(attrs.outLayout, ir::AttentionLayout::kSBHD);
    EXPECT_FALSE(attrs.zeroFullyMaskedRows);
    EXPECT_NEAR(attrs.scale, 0.5, 1e-6);
    ASSERT_EQ(a.inputs.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        // A new 4-D view [S,B,H,D] of the [S,B,E] input.
        EXPECT_EQ(g.tensor(a.inputs[static_cast<size_t>(i)]).shape, dims({s, b, h, d}));
        const ir::Node& view = g.node(g.tensor(a.inputs[static_cast<size_t>(i)]).producer);
        EXPECT_EQ(g.tensor(view.inputs[0]).name, std::string("x") + names[i]);
    }
    EXPECT_EQ(g.tensor(a.outputs[0]).name, out);
    EXPECT_EQ(countKind(g, ir::OpKind::kShuffle), 4) << ir::dumpGraph(g);  // three views, the final reshape
}

TEST(FuseAttention, TextbookDivFormOnFourDInputs) {
    const int64_t b = 2, h = 2, sq = 3, skv = 5, d = 8, dv = 3;
    Graph g;
    const TensorId q = g.addInput("q", DataType::kFLOAT, dims({b, h, sq, d}));
    const TensorId kt = g.addInput("kt", DataType::kFLOAT, dims({b, h, d, skv}));
    const TensorId v = g.addInput("v", DataType::kFLOAT, dims({b, h, skv, dv}));
    const TensorId mask = g.addInput("mask", DataType::kFLOAT, dims({b, h, sq, skv}));
    const TensorId sc = binary(g, "div", ElementWiseOperation::kDIV, matmul(g, "qk", q, kt),
                               scalar(g, "sqrt_d", DataType::kFLOAT, std::sqrt(8.0)));
    const TensorId o = matmul(g, "pv", softmax(g, binary(g, "add", ElementWiseOperation::kSUM, mask, sc)), v);
    g.markOutput(o);
    ASSERT_TRUE(fuseAndCompare(g, "div form"));
    const ir::Node& a = attentionNode(g);
    const auto& attrs = std::get<ir::AttentionAttrs>(a.attrs);
    EXPECT_EQ(attrs.qLayout, ir::AttentionLayout::kBHSD);
    EXPECT_EQ(attrs.kLayout, ir::AttentionLayout::kBHDS);
    EXPECT_EQ(attrs.vLayout, ir::AttentionLayout::kBHSD);
    EXPECT_EQ(attrs.outLayout, ir::AttentionLayout::kBHSD);
    EXPECT_NEAR(attrs.scale, 1.0 / std::sqrt(8.0), 1e-7);
    EXPECT_EQ(names(g, a.inputs), (std::vector<std::string>{"q", "kt", "v", "mask"}));
    EXPECT_EQ(g.tensor(a.outputs[0]).name, "pv_out");
    EXPECT_EQ(g.nodes().size(), 1u) << ir::dumpGraph(g);  // the divisor went with the chain
}

TEST(FuseAttention, KeysNotTransposedAndScaleAfterTheProduct) {
    const int64_t b = 1, h = 3, s = 4, d = 5;
    Graph g;
    const TensorId q = g.addInput("q", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId k = g.addInput("k", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId v = g.addInput("v", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId sc = binary(g, "mul", ElementWiseOperation::kPROD, scalar(g, "c", DataType::kFLOAT, 0.3),
                               matmul(g, "qk", q, k, MatrixOperation::kTRANSPOSE));
    g.markOutput(matmul(g, "pv", softmax(g, sc), v));
    ASSERT_TRUE(fuseAndCompare(g, "k not transposed"));
    const auto& attrs = std::get<ir::AttentionAttrs>(attentionNode(g).attrs);
    EXPECT_EQ(attrs.kLayout, ir::AttentionLayout::kBHSD);
    EXPECT_NEAR(attrs.scale, 0.3, 1e-7);
}

TEST(FuseAttention, MaskFoldedIntoTheScoresProductByTheEpiloguePass) {
    const int64_t b = 2, h = 2, s = 3, d = 4;
    Graph g;
    const TensorId q = g.addInput("q", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId kt = g.addInput("kt", DataType::kFLOAT, dims({b, h, d, s}));
    const TensorId v = g.addInput("v", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId mask = g.addInput("mask", DataType::kFLOAT, dims({b, h, s, s}));
    const TensorId sc = binary(g, "add", ElementWiseOperation::kSUM, matmul(g, "qk", q, kt), mask);
    g.markOutput(matmul(g, "pv", softmax(g, sc), v));
    ASSERT_TRUE(g.inferShapes().isOk());
    ASSERT_TRUE(passtest::runOnly("fuse-matmul-epilogue", g));  // the mask becomes the addend (input 3)
    ASSERT_TRUE(fuseAndCompare(g, "folded mask"));
    EXPECT_EQ(names(g, attentionNode(g).inputs), (std::vector<std::string>{"q", "kt", "v", "mask"}));
}

TEST(FuseAttention, ScaleAfterAFoldedMaskIsLeftAlone) {
    // (QK + mask) * c scales the mask too, which Attention cannot express.
    const int64_t b = 1, h = 2, s = 3, d = 4;
    Graph g;
    const TensorId q = g.addInput("q", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId kt = g.addInput("kt", DataType::kFLOAT, dims({b, h, d, s}));
    const TensorId v = g.addInput("v", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId mask = g.addInput("mask", DataType::kFLOAT, dims({b, h, s, s}));
    const TensorId sc = binary(g, "add", ElementWiseOperation::kSUM, matmul(g, "qk", q, kt), mask);
    const TensorId scaled =
        binary(g, "mul", ElementWiseOperation::kPROD, sc, scalar(g, "c", DataType::kFLOAT, 0.5));
    g.markOutput(matmul(g, "pv", softmax(g, scaled), v));
    ASSERT_TRUE(g.inferShapes().isOk());
    ASSERT_TRUE(passtest::runOnly("fuse-matmul-epilogue", g));
    const std::string before = ir::dumpGraph(g);
    EXPECT_FALSE(runPass("fuse-attention", g, gpuTarget()).value());
    EXPECT_EQ(ir::dumpGraph(g), before);
}

/// A small BERT block whose chain is then disturbed by `disturb`; the pass must leave it unchanged.
void expectUnfused(const char* what, void (*disturb)(Graph&, TensorId scores, TensorId probs)) {
    Graph g;
    const int64_t b = 1, h = 2, s = 3, d = 4;
    const TensorId q = g.addInput("q", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId kt = g.addInput("kt", DataType::kFLOAT, dims({b, h, d, s}));
    const TensorId v = g.addInput("v", DataType::kFLOAT, dims({b, h, s, d}));
    const TensorId sc = matmul(g, "qk", q, kt);
    const TensorId p = softmax(g, sc);
    g.markOutput(matmul(g, "pv", p, v));
    disturb(g, sc, p);
    ASSERT_TRUE(g.inferShapes().isOk()) << what;
    const std::string before = ir::dumpGraph(g);
    StatusOr<bool> changed = runPass("fuse-attention", g, gpuTarget());
    ASSERT_TRUE(changed.isOk()) << what;
    EXPECT_FALSE(changed.value()) << what << "\n" << ir::dumpGraph(g);
    EXPECT_EQ(ir::dumpGraph(g), before) << what;
}

TEST(FuseAttention, SharedIntermediatesAreLeftAlone) {
    expectUnfused("scores read twice", [](Graph& g, TensorId sc, TensorId) {
        g.markOutput(passtest::activation(g, "relu", ActivationType::kRELU, sc));
    });
    expectUnfused("probabilities read twice", [](Graph& g, TensorId, TensorId p) {
        g.markOutput(passtest::activation(g, "relu", ActivationType::kRELU, p));
    });
    expectUnfused("probabilities are a graph output",
                  [](Graph& g, TensorId, TensorId p) { g.markOutput(p); });
}

TEST(FuseAttention, UnknownDimsAndTheCpuTargetAreLeftAlone) {
    Graph g;
    const TensorId q = g.addInput("q", DataType::kFLOAT, dims({-1, 2, 3, 4}));
    const TensorId kt = g.addInput("kt", DataType::kFLOAT, dims({-1, 2, 4, 3}));
    const TensorId v = g.addInput("v", DataType::kFLOAT, dims({-1, 2, 3, 4}));
    g.markOutput(matmul(g, "pv", softmax(g, matmul(g, "qk", q, kt)), v));
    ASSERT_TRUE(g.inferShapes().isOk());
    EXPECT_FALSE(runPass("fuse-attention", g, gpuTarget()).value());

    Graph cpu;
    BertBlock c;
    buildBert(cpu, c);
    ASSERT_TRUE(cpu.inferShapes().isOk());
    const std::string before = ir::dumpGraph(cpu);
    EXPECT_FALSE(runPass("fuse-attention", cpu, PassContext{}).value());
    EXPECT_EQ(ir::dumpGraph(cpu), before);
    PassContext gpuFloat32 = gpuTarget();
    gpuFloat32.reducedPrecision = DataType::kFLOAT;
    EXPECT_FALSE(runPass("fuse-attention", cpu, gpuFloat32).value());
    EXPECT_EQ(ir::dumpGraph(cpu), before);
}

TEST(FuseAttention, PipelineRunsItBeforePointwiseFusion) {
    // In the whole GPU pipeline the mask's Select becomes a Pointwise program feeding the Attention node:
    // fuse-pointwise must not have taken the scale, mask add and guard first.
    Graph g;
    BertBlock c;
    const TensorId keep = g.addInput("keep", DataType::kBOOL, dims({c.b, 1, 1, c.skv}));
    c.mask = op(g, "mask_where", ir::SelectAttrs{},
                {keep, constant(g, "m0", DataType::kFLOAT, dims({1}), {0.0}),
                 constant(g, "m1", DataType::kFLOAT, dims({1}), {kLowest})});
    buildBert(g, c);
    ASSERT_TRUE(g.inferShapes().isOk());
    ASSERT_TRUE(runPipeline(g, gpuTarget()).isOk());
    EXPECT_EQ(countKind(g, ir::OpKind::kAttention), 1) << ir::dumpGraph(g);
    EXPECT_EQ(countKind(g, ir::OpKind::kSoftMax), 0);
}

// ---- packed projections: STRIDED views -----------------------------------------------------------------

std::vector<int64_t> viewValues(int64_t offset, std::array<int64_t, 4> extent,
                                std::array<int64_t, 4> stride) {
    return {offset, extent[0], extent[1], extent[2], extent[3], stride[0], stride[1], stride[2], stride[3]};
}

TEST(FuseAttention, VitPackedQkvIsReadThroughTheGathersAsStridedViews) {
    Graph g;
    const passtest::BlockShape c;  // B 2, S 5, H 3, D 4: E 12
    passtest::buildVitBlock(g, c);
    ASSERT_TRUE(fuseAndCompare(g, "vit packed"));
    const ir::Node& a = attentionNode(g);
    const auto& attrs = std::get<ir::AttentionAttrs>(a.attrs);
    // All three read the biased in_proj output [S, B, 3E] = [5, 2, 36]: B steps 36, H 4, S 72, D 1, and
    // the thirds start at 0, 12, 24 (the [3, S, B, 1, E] transpose's offsets re-expressed).
    for (int i = 0; i < 3; ++i) EXPECT_EQ(g.tensor(a.inputs[static_cast<size_t>(i)]).name, "in_bias_out");
    EXPECT_EQ(attrs.qLayout, ir::AttentionLayout::kSTRIDED);
    EXPECT_EQ(attrs.kLayout, ir::AttentionLayout::kSTRIDED);
    EXPECT_EQ(attrs.vLayout, ir::AttentionLayout::kSTRIDED);
    EXPECT_EQ(attrs.qView, viewValues(0, {2, 3, 5, 4}, {36, 4, 72, 1}));
    EXPECT_EQ(attrs.kView, viewValues(12, {2, 3, 5, 4}, {36, 4, 72, 1}));
    EXPECT_EQ(attrs.vView, viewValues(24, {2, 3, 5, 4}, {36, 4, 72, 1}));
    EXPECT_EQ(attrs.outLayout, ir::AttentionLayout::kSBHD);
    EXPECT_EQ(countKind(g, ir::OpKind::kGather), 0) << ir::dumpGraph(g);
    // Left moving data: the row transposes around the projections (absorb-row-transposes' work).
    EXPECT_EQ(passtest::countTransposes(g), 2) << ir::dumpGraph(g);
}

TEST(FuseAttention, Gpt2PackedQkvIsReadThroughTheSlicesAsStridedViews) {
    Graph g;
    const passtest::BlockShape c;
    passtest::buildGpt2Block(g, c);
    ASSERT_TRUE(fuseAndCompare(g, "gpt2 packed"));
    const ir::Node& a = attentionNode(g);
    const auto& attrs = std::get<ir::AttentionAttrs>(a.attrs);
    // c_attn's output [B * S, 3E] = [10, 36], through the [B, S, 3E] reshape and the three Slices.
    EXPECT_EQ(names(g, a.inputs), (std::vector<std::string>{"c_attn_bias_out", "c_attn_bias_out",
                                                            "c_attn_bias_out", "causal_out"}));
    EXPECT_EQ(attrs.qView, viewValues(0, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(attrs.kView, viewValues(12, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(attrs.vView, viewValues(24, {2, 3, 5, 4}, {180, 4, 36, 1}));
    EXPECT_EQ(attrs.outLayout, ir::AttentionLayout::kBSHD);
    EXPECT_EQ(countKind(g, ir::OpKind::kSlice), 0) << ir::dumpGraph(g);
    EXPECT_EQ(passtest::countTransposes(g), 0) << ir::dumpGraph(g);
}

/// Attention over q, v [B, H, S, D] and keys transposed [B, H, D, S], the scale after the product.
void attend(Graph& g, TensorId q, TensorId kT, TensorId v) {
    g.markOutput(passtest::sdpa(g, q, kT, v, 0.5, false));
}

TEST(FuseAttention, GatherIndexFormsAndASharedGatherOutput) {
    // A packed [3, S, B, E] input split by Gathers of a 0-D index 0 (its output also a graph output), a
    // [1] index -2 (ONNX counts it from the end: 1) and a [1, 1] index 2; heads as ViT makes them.
    const int64_t s = 5, b = 2, h = 3, d = 4, e = h * d;
    Graph g;
    const TensorId packed = g.addInput("packed", DataType::kFLOAT, dims({3, s, b, e}));
    const TensorId parts[3] = {
        passtest::gatherAt(g, "g0", packed, 0, passtest::index0d(g, "i0", 0)),
        passtest::gatherAt(g, "g1", packed, 0, constant(g, "i1", DataType::kINT32, dims({1}), {-2})),
        passtest::gatherAt(g, "g2", packed, 0, constant(g, "i2", DataType::kINT64, dims({1, 1}), {2}))};
    g.markOutput(parts[0]);
    TensorId heads[3];
    for (int i = 0; i < 3; ++i) {
        const std::string n = "p" + std::to_string(i);
        const TensorId r = reshape(g, n + "_r", parts[i], dims({s, b * h, d}));
        heads[i] = reshape(g, n + "_4d", transpose(g, n + "_t", r, {1, 0, 2}), dims({b, h, s, d}));
    }
    attend(g, heads[0], transpose(g, "k_tt", heads[1], {0, 1, 3, 2}), heads[2]);
    ASSERT_TRUE(fuseAndCompare(g, "gather forms"));
    const ir::Node& a = attentionNode(g);
    const auto& attrs = std::get<ir::AttentionAttrs>(a.attrs);
    EXPECT_EQ(names(g, a.inputs), (std::vector<std::string>{"packed", "packed", "packed"}));
    EXPECT_EQ(attrs.qView, viewValues(0, {2, 3, 5, 4}, {12, 4, 24, 1}));
    EXPECT_EQ(attrs.kView, viewValues(120, {2, 3, 5, 4}, {12, 4, 24, 1}));
    EXPECT_EQ(attrs.vView, viewValues(240, {2, 3, 5, 4}, {12, 4, 24, 1}));
    EXPECT_EQ(countKind(g, ir::OpKind::kGather), 1) << "the shared one stays, for the graph output";
}

TEST(FuseAttention, StridedReadingStopsAtAStepSliceAnUnalignedCutAndAScatteredHeadDim) {
    const int64_t b = 2, s = 5, h = 3, d = 4, e = h * d;
    {
        // q is every other row of [B, 2S, E] (Slice step 2: its output is a copy, read in BSHD); k and v the
        // halves of a packed [B, S, 2E] (unit-step Slices: STRIDED).
        Graph g;
        const TensorId xq = g.addInput("xq", DataType::kFLOAT, dims({b, 2 * s, e}));
        const TensorId kv = g.addInput("kv", DataType::kFLOAT, dims({b, s, 2 * e}));
        const TensorId q =
            passtest::sliceOf(g, "q_step", xq, dims({0, 1, 0}), dims({b, s, e}), dims({1, 2, 1}));
        const TensorId k =
            passtest::sliceOf(g, "k_cut", kv, dims({0, 0, 0}), dims({b, s, e}), dims({1, 1, 1}));
        const TensorId v =
            passtest::sliceOf(g, "v_cut", kv, dims({0, 0, e}), dims({b, s, e}), dims({1, 1, 1}));
        auto heads = [&](const std::string& n, TensorId x, std::initializer_list<int32_t> perm) {
            return transpose(g, n + "_t", reshape(g, n + "_h", x, dims({b, s, h, d})), perm);
        };
        attend(g, heads("q", q, {0, 2, 1, 3}), heads("k", k, {0, 2, 3, 1}), heads("v", v, {0, 2, 1, 3}));
        ASSERT_TRUE(fuseAndCompare(g, "step slice"));
        const ir::Node& a = attentionNode(g);
        const auto& attrs = std::get<ir::AttentionAttrs>(a.attrs);
        EXPECT_EQ(attrs.qLayout, ir::AttentionLayout::kBSHD);
        EXPECT_TRUE(attrs.qView.empty());
        EXPECT_EQ(g.tensor(a.inputs[0]).name, "q_h_out");
        EXPECT_EQ(attrs.kView, viewValues(0, {2, 3, 5, 4}, {120, 4, 24, 1}));
        EXPECT_EQ(attrs.vView, viewValues(12, {2, 3, 5, 4}, {120, 4, 24, 1}));
        EXPECT_EQ(countKind(g, ir::OpKind::kSlice), 1) << ir::dumpGraph(g);
    }
    {
        // q is cut 4 columns into a [B, S, E + 4] tensor: a view there would start its rows off 16 bytes in
        // float16 (D 8 is a multiple of 8, so the contiguous layouts keep them), so q is read after the
        // Slice, in BSHD; k and v start at columns 8 and 32 of their own packed input: STRIDED.
        const int64_t d8 = 8, e8 = h * d8;
        Graph g;
        const TensorId xq = g.addInput("xq", DataType::kFLOAT, dims({b, s, e8 + 4}));
        const TensorId kv = g.addInput("kv", DataType::kFLOAT, dims({b, s, 2 * e8 + 8}));
        const TensorId q =
            passtest::sliceOf(g, "q_cut", xq, dims({0, 0, 4}), dims({b, s, e8}), dims({1, 1, 1}));
        const TensorId k =
            passtest::sliceOf(g, "k_cut", kv, dims({0, 0, 8}), dims({b, s, e8}), dims({1, 1, 1}));
        const TensorId v =
            passtest::sliceOf(g, "v_cut", kv, dims({0, 0, 8 + e8}), dims({b, s, e8}), dims({1, 1, 1}));
        auto heads = [&](const std::string& n, TensorId x, std::initializer_list<int32_t> perm) {
            return transpose(g, n + "_t", reshape(g, n + "_h", x, dims({b, s, h, d8})), perm);
        };
        attend(g, heads("q", q, {0, 2, 1, 3}), heads("k", k, {0, 2, 3, 1}), heads("v", v, {0, 2, 1, 3}));
        ASSERT_TRUE(fuseAndCompare(g, "unaligned cut"));
        const ir::Node& a = attentionNode(g);
        const auto& attrs = std::get<ir::AttentionAttrs>(a.attrs);
        EXPECT_EQ(attrs.qLayout, ir::AttentionLayout::kBSHD);
        EXPECT_EQ(g.tensor(a.inputs[0]).name, "q_h_out");
        EXPECT_EQ(attrs.kView, viewValues(8, {2, 3, 5, 8}, {5 * 56, 8, 56, 1}));
        EXPECT_EQ(attrs.vView, viewValues(32, {2, 3, 5, 8}, {5 * 56, 8, 56, 1}));
    }
    {
        // q's farthest source stores it [B, D, S, H]: a view there would scatter the head dim (stride S*H),
        // which the tensor-core kernel cannot read, so q is read after the transpose, in BHSD.
        Graph g;
        const TensorId src = g.addInput("src", DataType::kFLOAT, dims({b, d, s, h}));
        const TensorId q = transpose(g, "q_t", src, {0, 3, 2, 1});
        const TensorId kT = g.addInput("kT", DataType::kFLOAT, dims({b, h, d, s}));
        const TensorId v = g.addInput("v", DataType::kFLOAT, dims({b, h, s, d}));
        attend(g, q, kT, v);
        ASSERT_TRUE(fuseAndCompare(g, "scattered head dim"));
        const ir::Node& a = attentionNode(g);
        EXPECT_EQ(std::get<ir::AttentionAttrs>(a.attrs).qLayout, ir::AttentionLayout::kBHSD);
        EXPECT_EQ(names(g, a.inputs), (std::vector<std::string>{"q_t_out", "kT", "v"}));
    }
}

}  // namespace
}  // namespace kiln::passes
