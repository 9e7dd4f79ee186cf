// Shape/type inference for the attention family: Attention (ir::AttentionAttrs). q, k and v are 4-D
// tensors whose axes B, H, S, D sit where their layouts say, or (layout STRIDED) explicit views of inputs
// of any rank (ir/attention_layout.h checks both); q and k share the head dim D, k and v the key length
// Skv, all three B and H; v's head dim Dv may differ from D. The output is [B, H, Sq, Dv] stored in the
// output layout, of q's type. The optional mask broadcasts to [B, H, Sq, Skv]. Dims unknown until run
// time (-1) are checked when they become known.
#include <sstream>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/attention_layout.h"
#include "ir/infer.h"

namespace kiln::ir {

namespace {

bool isAttentionType(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}

constexpr const char* kAxisNames[4] = {"batch B", "heads H", "sequence S", "head dim D"};

/// `a` and `b` agree unless one is unknown.
bool agree(int64_t a, int64_t b) {
    return a < 0 || b < 0 || a == b;
}

/// The known one of two extents that agree (-1 when neither is known).
int64_t known(int64_t a, int64_t b) {
    return a >= 0 ? a : b;
}

}  // namespace

Status inferAttention(const AttentionAttrs& attrs, InferContext& ctx) {
    const char* names[3] = {"q", "k", "v"};
    const AttentionLayout layouts[3] = {attrs.qLayout, attrs.kLayout, attrs.vLayout};
    AttentionExtents ext[3];
    for (int i = 0; i < 3; ++i) {
        const TensorDesc& t = ctx.inputs[static_cast<size_t>(i)];
        KILN_CHECK_ARG(isAttentionLayout(layouts[i]),
                       "Attention: " << names[i] << "_layout = " << static_cast<int32_t>(layouts[i])
                                     << " is not an AttentionLayout");
        KILN_CHECK_ARG(i == 1 || layouts[i] != AttentionLayout::kBHDS,
                       "Attention: " << names[i] << "_layout BHDS (keys transposed) is for k only; use BHSD, "
                                     << "BSHD, SBHD or STRIDED");
        KILN_ASSIGN_OR_RETURN(const AttentionView view, attentionView(attrs, i, t.shape));
        ext[i] = view.extent;
        KILN_CHECK_ARG(isAttentionType(t.type), "Attention: " << names[i] << " must be float32, float16 or "
                                                              << "bfloat16, got " << dataTypeName(t.type));
        KILN_CHECK_ARG(t.type == ctx.inputs[0].type, "Attention: q, k and v must have one type; q is "
                                                         << dataTypeName(ctx.inputs[0].type) << ", "
                                                         << names[i] << " is " << dataTypeName(t.type)
                                                         << "; insert a Cast");
    }
    KILN_CHECK_ARG(
        isContiguousAttentionLayout(attrs.outLayout) && attrs.outLayout != AttentionLayout::kBHDS,
        "Attention: out_layout = " << static_cast<int32_t>(attrs.outLayout) << " must be BHSD, BSHD or SBHD");
    const AttentionExtents& q = ext[0];
    const AttentionExtents& k = ext[1];
    const AttentionExtents& v = ext[2];
    auto shapes = [&] {
        std::ostringstream os;
        for (int i = 0; i < 3; ++i) {
            os << (i ? ", " : "") << names[i] << " " << toString(ctx.inputs[static_cast<size_t>(i)].shape)
               << " (" << attentionLayoutName(layouts[i]);
            if (layouts[i] == AttentionLayout::kSTRIDED)
                os << " view of extents [" << ext[i][0] << "," << ext[i][1] << "," << ext[i][2] << ","
                   << ext[i][3] << "]";
            os << ")";
        }
        return os.str();
    };
    for (int a : {kAxisB, kAxisH}) {
        const auto i = static_cast<size_t>(a);
        KILN_CHECK_ARG(agree(q[i], k[i]) && agree(q[i], v[i]) && agree(k[i], v[i]),
                       "Attention: q, k and v must have the same " << kAxisNames[a] << "; got " << shapes());
    }
    KILN_CHECK_ARG(agree(q[kAxisD], k[kAxisD]),
                   "Attention: q and k must have the same head dim D; got " << shapes());
    KILN_CHECK_ARG(agree(k[kAxisS], v[kAxisS]),
                   "Attention: k and v must have the same sequence length Skv; got " << shapes());
    const int64_t b = known(q[kAxisB], known(k[kAxisB], v[kAxisB]));
    const int64_t h = known(q[kAxisH], known(k[kAxisH], v[kAxisH]));
    const int64_t sq = q[kAxisS], skv = known(k[kAxisS], v[kAxisS]);
    if (ctx.inputs.size() > 3 && ctx.inputs[3].present()) {
        const TensorDesc& m = ctx.inputs[3];
        KILN_CHECK_ARG(isAttentionType(m.type),
                       "Attention: the mask (input 3) must be float32, float16 or "
                           << "bfloat16 (added to the scores), got " << dataTypeName(m.type)
                           << "; turn a bool mask into 0 / -inf with a Select first");
        KILN_CHECK_ARG(m.shape.nbDims <= 4,
                       "Attention: the mask (input 3) must have rank <= 4, got " << toString(m.shape));
        const int64_t target[4] = {b, h, sq, skv};
        for (int i = 0; i < m.shape.nbDims; ++i) {
            const int64_t md = m.shape.d[i], td = target[4 - m.shape.nbDims + i];
            KILN_CHECK_ARG(md == 1 || agree(md, td),
                           "Attention: the mask "
                               << toString(m.shape) << " does not broadcast to [B, H, Sq, Skv] = [" << b
                               << ", " << h << ", " << sq << ", " << skv << "] (dim " << i << " is " << md
                               << "); give it extent 1 or " << td << " there");
        }
    }
    ctx.outputs[0].type = ctx.inputs[0].type;
    ctx.outputs[0].shape = attentionShape(attrs.outLayout, {b, h, sq, v[kAxisD]});
    return Status::ok();
}

}  // namespace kiln::ir
