// Small attention blocks shaped like the real exports around their projections, for the fuse-attention and
// absorb-row-transposes tests: ViT's torch MultiheadAttention (sequence-first: a row transpose before the
// packed in_proj GEMM, the packed [S, B, 3E] result split by Reshape/Unsqueeze/Transpose/Squeeze and three
// Gathers, heads through [S, B*H, D] transposes, out_proj on [S*B, E] and a row transpose back before the
// residual add) and GPT-2's (c_attn on [B*S, E], the packed result reshaped to [B, S, 3E] and cut by three
// Slices, head transposes, a causal mask, c_proj) and BERT's (three separate query/key/value projections of
// one input, head transposes, a padding mask). Weights are seeded random constants; options disturb
// the blocks for the negative cases.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "passes/pass_test_util.h"

namespace kiln::passtest {

struct BlockShape {
    int64_t b = 2, s = 5, h = 3, d = 4;
    int64_t e() const { return h * d; }
};

inline ir::TensorId matmulBy(ir::Graph& g, const std::string& name, ir::TensorId a, ir::TensorId b,
                             MatrixOperation op1 = MatrixOperation::kNONE) {
    ir::MatrixMultiplyAttrs m;
    m.op1 = op1;
    return op(g, name, m, {a, b});
}

/// A Constant of `shape` with seeded random float32 values in [-r, r].
inline ir::TensorId weights(ir::Graph& g, const std::string& name, Dims shape, uint64_t seed, double r) {
    const HostTensor h = HostTensor::random(DataType::kFLOAT, shape, seed, -r, r);
    return g.addConstant(name, DataType::kFLOAT, shape, h.bytes);
}

/// A 0-D int64 Constant (an exporter's scalar index).
inline ir::TensorId index0d(ir::Graph& g, const std::string& name, int64_t v) {
    Dims d{};
    d.nbDims = 0;
    return constant(g, name, DataType::kINT64, d, {static_cast<double>(v)});
}

inline ir::TensorId gatherAt(ir::Graph& g, const std::string& name, ir::TensorId x, int32_t axis,
                             ir::TensorId index) {
    ir::GatherAttrs a;
    a.axis = axis;
    return op(g, name, a, {x, index});
}

inline ir::TensorId sliceOf(ir::Graph& g, const std::string& name, ir::TensorId x, Dims start, Dims size,
                            Dims stride) {
    ir::SliceAttrs a;
    a.start = start;
    a.size = size;
    a.stride = stride;
    return op(g, name, a, {x});
}

/// Scaled dot-product attention over [B, H, S, D] q, v and [B, H, D, S] kT, as the exports write it: the
/// scale on the scores' operands (ViT) or after the product (GPT-2), an optional additive mask, SoftMax, x v.
inline ir::TensorId sdpa(ir::Graph& g, ir::TensorId q, ir::TensorId kT, ir::TensorId v, double scale,
                         bool scaleOperands, ir::TensorId mask = ir::kNoTensor) {
    ir::TensorId scores;
    if (scaleOperands) {
        const double c = std::sqrt(scale);
        const ir::TensorId qs =
            binary(g, "q_s", ElementWiseOperation::kPROD, q, scalar(g, "cq", DataType::kFLOAT, c));
        const ir::TensorId ks =
            binary(g, "k_s", ElementWiseOperation::kPROD, kT, scalar(g, "ck", DataType::kFLOAT, c));
        scores = matmulBy(g, "qk", qs, ks);
    } else {
        scores = binary(g, "qk_s", ElementWiseOperation::kPROD, matmulBy(g, "qk", q, kT),
                        scalar(g, "c", DataType::kFLOAT, scale));
    }
    if (mask != ir::kNoTensor) scores = binary(g, "mask_add", ElementWiseOperation::kSUM, scores, mask);
    ir::SoftMaxAttrs sm;
    sm.axes = 1u << 3;
    return matmulBy(g, "pv", op(g, "softmax", sm, {scores}), v);
}

struct VitOptions {
    bool dynamicBatch = false;        ///< x is [-1, S, E] and every reshape infers the batch (-1)
    bool transposeReadTwice = false;  ///< the row transpose before in_proj is a graph output too
    bool inProjResidual = false;      ///< a residual input added after in_proj's bias (folded as its addend)
    bool outProjResidual = false;     ///< a residual input added after out_proj's bias, before the reshape
};

/// torch MultiheadAttention (batch_first) as the ONNX export of torchvision's ViT writes it; returns y.
inline ir::TensorId buildVitBlock(ir::Graph& g, const BlockShape& c, const VitOptions& o = {}) {
    const int64_t b = c.b, s = c.s, h = c.h, d = c.d, e = c.e();
    const int64_t anyB = o.dynamicBatch ? -1 : b;  // a reshape's batch extent: inferred when dynamic
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({anyB, s, e}));
    const ir::TensorId xt = transpose(g, "x_t", x, {1, 0, 2});  // [S, B, E]
    if (o.transposeReadTwice) g.markOutput(xt);
    ir::TensorId p =
        binary(g, "in_bias", ElementWiseOperation::kSUM, weights(g, "b_in", dims({3 * e}), 2, 0.2),
               matmulBy(g, "in_proj", xt, weights(g, "w_in", dims({e, 3 * e}), 1, 0.3)));
    if (o.inProjResidual)
        p = binary(g, "in_res", ElementWiseOperation::kSUM, p,
                   g.addInput("r_in", DataType::kFLOAT, dims({s, b, 3 * e})));
    const ir::TensorId r = reshape(g, "qkv_r", p, dims({s, anyB, 3, e}));
    const ir::TensorId u = reshape(g, "qkv_u", r, dims({1, s, anyB, 3, e}));
    const ir::TensorId t = transpose(g, "qkv_t", u, {3, 1, 2, 0, 4});  // [3, S, B, 1, E]
    const ir::TensorId sq = reshape(g, "qkv_sq", t, dims({3, s, anyB, e}));
    ir::TensorId heads[3];
    const char* names[3] = {"q", "k", "v"};
    for (int i = 0; i < 3; ++i) {
        const std::string n = names[i];
        const ir::TensorId part = gatherAt(g, n + "_g", sq, 0, index0d(g, n + "_i", i));  // [S, B, E]
        const ir::TensorId r3 = reshape(g, n + "_r", part, dims({s, o.dynamicBatch ? -1 : b * h, d}));
        heads[i] = reshape(g, n + "_4d", transpose(g, n + "_t", r3, {1, 0, 2}), dims({anyB, h, s, d}));
    }
    const ir::TensorId kT = transpose(g, "k_tt", heads[1], {0, 1, 3, 2});
    const ir::TensorId o4 = sdpa(g, heads[0], kT, heads[2], 1.0 / std::sqrt(static_cast<double>(d)), true);
    const ir::TensorId ot = transpose(g, "o_t", o4, {2, 0, 1, 3});  // [S, B, H, D]
    const ir::TensorId rows = reshape(g, "o_rows", ot, dims({o.dynamicBatch ? -1 : s * b, e}));
    ir::TensorId m = binary(
        g, "out_bias", ElementWiseOperation::kSUM,
        matmulBy(g, "out_proj", rows, weights(g, "w_out", dims({e, e}), 3, 0.3), MatrixOperation::kTRANSPOSE),
        weights(g, "b_out", dims({e}), 4, 0.2));
    if (o.outProjResidual)
        m = binary(g, "out_res", ElementWiseOperation::kSUM, m,
                   g.addInput("r_out", DataType::kFLOAT, dims({s * b, e})));
    const ir::TensorId m3 = reshape(g, "out_r", m, dims({s, anyB, e}));
    const ir::TensorId y =
        binary(g, "residual", ElementWiseOperation::kSUM, transpose(g, "out_t", m3, {1, 0, 2}), x);
    g.markOutput(y);
    return y;
}

/// GPT-2's attention block as the ONNX export of HF's GPT2 writes it (no KV cache); returns y.
inline ir::TensorId buildGpt2Block(ir::Graph& g, const BlockShape& c) {
    const int64_t b = c.b, s = c.s, d = c.d, e = c.e();
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({b, s, e}));
    const ir::TensorId rows = reshape(g, "x_rows", x, dims({-1, e}));
    const ir::TensorId p = binary(g, "c_attn_bias", ElementWiseOperation::kSUM,
                                  matmulBy(g, "c_attn", rows, weights(g, "w_attn", dims({e, 3 * e}), 5, 0.3)),
                                  weights(g, "b_attn", dims({3 * e}), 6, 0.2));
    const ir::TensorId packed = reshape(g, "qkv", p, dims({b, s, 3 * e}));
    ir::TensorId parts[3];
    const char* names[3] = {"q", "k", "v"};
    for (int i = 0; i < 3; ++i)
        parts[i] = sliceOf(g, std::string(names[i]) + "_split", packed, dims({0, 0, i * e}), dims({b, s, e}),
                           dims({1, 1, 1}));
    auto heads = [&](int i, std::initializer_list<int32_t> perm) {
        return transpose(g, std::string(names[i]) + "_t",
                         reshape(g, std::string(names[i]) + "_h", parts[i], dims({b, s, -1, d})), perm);
    };
    std::vector<double> causal(static_cast<size_t>(s * s));
    for (int64_t i = 0; i < s; ++i)
        for (int64_t j = 0; j < s; ++j)
            causal[static_cast<size_t>(i * s + j)] = j > i ? std::numeric_limits<float>::lowest() : 0.0;
    const ir::TensorId mask = constant(g, "causal", DataType::kFLOAT, dims({1, 1, s, s}), causal);
    const ir::TensorId o4 = sdpa(g, heads(0, {0, 2, 1, 3}), heads(1, {0, 2, 3, 1}), heads(2, {0, 2, 1, 3}),
                                 1.0 / std::sqrt(static_cast<double>(d)), false, mask);
    const ir::TensorId merged =
        reshape(g, "o_merge", transpose(g, "o_t", o4, {0, 2, 1, 3}), dims({b, s, -1}));
    const ir::TensorId proj = binary(g, "c_proj_bias", ElementWiseOperation::kSUM,
                                     matmulBy(g, "c_proj", reshape(g, "o_rows", merged, dims({-1, e})),
                                              weights(g, "w_proj", dims({e, e}), 7, 0.3)),
                                     weights(g, "b_proj", dims({e}), 8, 0.2));
    const ir::TensorId y =
        binary(g, "residual", ElementWiseOperation::kSUM, reshape(g, "proj_r", proj, dims({b, s, e})), x);
    g.markOutput(y);
    return y;
}

struct BertOptions {
    bool transposedWeights = false;  ///< weights [E, E] read transposed (ONNX Gemm transB = 1)
    bool keyFromOtherInput = false;  ///< k projects another input (cross attention): no merge
    bool queryReadTwice = false;     ///< the query projection is a graph output too: no merge
    bool valueWithoutBias = false;   ///< v has no bias while q and k do: no merge
    bool keyWithRelu = false;        ///< k's projection carries a ReLU epilogue: no merge
};

/// x [B, S, E] -> q, k, v = x W + b, each reshaped to [B, S, H, D] and transposed to heads; y [B, S, E].
inline ir::TensorId buildBertBlock(ir::Graph& g, const BlockShape& c, const BertOptions& o = {}) {
    const int64_t b = c.b, s = c.s, h = c.h, d = c.d, e = c.e();
    const ir::TensorId x = g.addInput("x", DataType::kFLOAT, dims({b, s, e}));
    const ir::TensorId x2 = o.keyFromOtherInput ? g.addInput("x2", DataType::kFLOAT, dims({b, s, e})) : x;
    const ir::TensorId mask = g.addInput("mask", DataType::kFLOAT, dims({b, 1, 1, s}));
    const MatrixOperation op1 = o.transposedWeights ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE;
    auto project = [&](const char* name, ir::TensorId in, uint64_t seed, bool bias, bool relu) {
        ir::MatrixMultiplyAttrs m;
        m.op1 = op1;
        m.epilogue.hasActivation = relu;
        std::vector<ir::TensorId> ins = {in, weights(g, std::string(name) + "_w", dims({e, e}), seed, 0.3)};
        if (bias) ins.push_back(weights(g, std::string(name) + "_b", dims({e}), seed + 10, 0.2));
        const ir::TensorId p = op(g, name, m, ins);
        return transpose(g, std::string(name) + "_t",
                         reshape(g, std::string(name) + "_r", p, dims({b, s, h, d})), {0, 2, 1, 3});
    };
    const ir::TensorId q = project("query", x, 1, true, false);
    if (o.queryReadTwice) g.markOutput(g.node(g.tensor(q).producer).inputs[0]);
    const ir::TensorId k = project("key", x2, 2, true, o.keyWithRelu);
    const ir::TensorId v = project("value", x, 3, !o.valueWithoutBias, false);
    const ir::TensorId kT = transpose(g, "key_tt", k, {0, 1, 3, 2});
    const ir::TensorId ctx = sdpa(g, q, kT, v, 1.0 / std::sqrt(static_cast<double>(d)), false, mask);
    const ir::TensorId y = reshape(g, "ctx_r", transpose(g, "ctx_t", ctx, {0, 2, 1, 3}), dims({b, s, e}));
    g.markOutput(y);
    return y;
}

/// Nodes of `kind` in g.
inline std::vector<const ir::Node*> nodesOf(const ir::Graph& g, ir::OpKind kind) {
    std::vector<const ir::Node*> out;
    for (const ir::Node& n : g.nodes())
        if (n.kind() == kind) out.push_back(&n);
    return out;
}

/// Whether Shuffle node n moves data: one of its transposes reorders dims larger than 1 (written out here,
/// independently of the passes' own test).
inline bool movesData(const ir::Graph& g, const ir::Node& n) {
    const auto& a = std::get<ir::ShuffleAttrs>(n.attrs);
    const Dims& x = g.tensor(n.inputs[0]).shape;
    const Dims& y = g.tensor(n.outputs[0]).shape;
    auto reorders = [](const Permutation& p, const Dims& before) {
        int last = -1;
        for (int k = 0; k < before.nbDims; ++k) {
            const int32_t src = p.order[k];
            if (before.d[src] == 1) continue;
            if (src < last) return true;
            last = src;
        }
        return false;
    };
    Dims r = y;  // the shape the second transpose permutes: r[p2[k]] = y[k]
    for (int k = 0; k < y.nbDims; ++k) r.d[a.secondTranspose.order[k]] = y.d[k];
    return reorders(a.firstTranspose, x) || reorders(a.secondTranspose, r);
}

/// Shuffles that move data: what the runtime must copy.
inline int countTransposes(const ir::Graph& g) {
    int c = 0;
    for (const ir::Node& n : g.nodes()) c += n.kind() == ir::OpKind::kShuffle && movesData(g, n);
    return c;
}

}  // namespace kiln::passtest
