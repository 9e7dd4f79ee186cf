// Reference kernel for the attention family: Attention (see ir::AttentionAttrs for the semantics). One
// query row at a time: the scores are float32 (the dot product accumulated in double, scaled and rounded
// to float32, plus the mask in float32, as the GPU kernels form them), the softmax and the weighted sum of
// v rows are computed in double and rounded once on store. Operands are addressed through their views
// (ir/attention_layout.h: a contiguous layout's strides, or a STRIDED operand's offset and strides into
// an input of any rank, checked to lie inside it) and the mask through its broadcast strides.
#include <cmath>
#include <vector>

#include "backends/reference/kernels.h"
#include "ir/attention_layout.h"

namespace kiln::reference {

Status runAttention(const ir::AttentionAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& q = ctx.inputs[0];
    const TensorRef& k = ctx.inputs[1];
    const TensorRef& v = ctx.inputs[2];
    const TensorRef* mask = ctx.inputs.size() > 3 && ctx.inputs[3].present() ? &ctx.inputs[3] : nullptr;
    const TensorRef& y = ctx.outputs[0];
    for (const TensorRef* t : {&q, &k, &v, &y})
        if (t->type != DataType::kFLOAT && t->type != DataType::kHALF && t->type != DataType::kBF16)
            return internalError(std::string("Attention: expected float32/float16/bfloat16 operands, got ") +
                                 dataTypeName(t->type) + toString(t->shape));
    KILN_ASSIGN_OR_RETURN(const ir::AttentionGeometry geo,
                          ir::attentionGeometry(attrs, q.shape, k.shape, v.shape, y.shape));
    const int64_t batch = geo.batch, heads = geo.heads, sq = geo.sq, d = geo.d, skv = geo.skv, dv = geo.dv;
    const ir::AttentionView& qv = geo.q;
    const ir::AttentionView& kv = geo.k;
    const ir::AttentionView& vv = geo.v;
    // Element offsets are folded into the base pointers: loadAsDouble indexes from there.
    const size_t elem = static_cast<size_t>(dataTypeSize(q.type));
    const void* qData = static_cast<const uint8_t*>(q.data) + static_cast<size_t>(qv.offset) * elem;
    const void* kData = static_cast<const uint8_t*>(k.data) + static_cast<size_t>(kv.offset) * elem;
    const void* vData = static_cast<const uint8_t*>(v.data) + static_cast<size_t>(vv.offset) * elem;
    const ir::AttentionExtents& qs = qv.stride;
    const ir::AttentionExtents& ks = kv.stride;
    const ir::AttentionExtents& vs = vv.stride;
    const ir::AttentionExtents& ys = geo.outStride;
    const std::array<int64_t, 4> ms = mask ? ir::attentionMaskStrides(mask->shape) : std::array<int64_t, 4>{};

    parallelElements(
        ctx, y.type, batch * heads * sq, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, skv)),
        [&](int64_t begin, int64_t end) {
            std::vector<double> qrow(static_cast<size_t>(d));
            std::vector<float> scores(static_cast<size_t>(skv));
            std::vector<double> acc(static_cast<size_t>(dv));
            for (int64_t row = begin; row < end; ++row) {
                const int64_t i = row % sq, h = (row / sq) % heads, b = row / (sq * heads);
                const int64_t qBase = b * qs[0] + h * qs[1] + i * qs[2];
                for (int64_t e = 0; e < d; ++e)
                    qrow[static_cast<size_t>(e)] = loadAsDouble(q.type, qData, qBase + e * qs[3]);
                double m = -INFINITY;
                for (int64_t j = 0; j < skv; ++j) {
                    const int64_t kBase = b * ks[0] + h * ks[1] + j * ks[2];
                    double dot = 0.0;
                    for (int64_t e = 0; e < d; ++e)
                        dot += qrow[static_cast<size_t>(e)] * loadAsDouble(k.type, kData, kBase + e * ks[3]);
                    float s = static_cast<float>(static_cast<double>(attrs.scale) * dot);
                    if (mask)
                        s += static_cast<float>(loadAsDouble(mask->type, mask->data,
                                                             b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3]));
                    scores[static_cast<size_t>(j)] = s;
                    m = (std::isnan(s) || std::isnan(m)) ? NAN : std::max(m, static_cast<double>(s));
                }
                const int64_t yBase = b * ys[0] + h * ys[1] + i * ys[2];
                if (!std::isfinite(m)) {  // SoftMax's NaN row; the exports' IsNaN/Where makes it 0
                    for (int64_t e = 0; e < dv; ++e)
                        storeFromDouble(y.type, y.data, yBase + e * ys[3],
                                        attrs.zeroFullyMaskedRows ? 0.0 : NAN);
                    continue;
                }
                std::fill(acc.begin(), acc.end(), 0.0);
                double sum = 0.0;
                for (int64_t j = 0; j < skv; ++j) {
                    const double p = std::exp(static_cast<double>(scores[static_cast<size_t>(j)]) - m);
                    sum += p;
                    const int64_t vBase = b * vs[0] + h * vs[1] + j * vs[2];
                    for (int64_t e = 0; e < dv; ++e)
                        acc[static_cast<size_t>(e)] += p * loadAsDouble(v.type, vData, vBase + e * vs[3]);
                }
                for (int64_t e = 0; e < dv; ++e)
                    storeFromDouble(y.type, y.data, yBase + e * ys[3], acc[static_cast<size_t>(e)] / sum);
            }
        });
    return Status::ok();
}

}  // namespace kiln::reference
