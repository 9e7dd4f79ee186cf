// Attention operand views (ir/attention_layout.h): decoding and checking a kSTRIDED operand's q_view /
// k_view / v_view values against its input's shape, and the implied view of a contiguous layout. The
// bounds check here is the one inference, the reference kernel and the CUDA host code all rely on, so a
// view that reaches outside its tensor is refused before any kernel could read past the buffer.
#include "ir/attention_layout.h"

#include <sstream>
#include <string>

namespace kiln::ir {
namespace {

constexpr const char* kOperandNames[3] = {"q", "k", "v"};

std::string valuesString(const std::vector<int64_t>& values) {
    std::ostringstream os;
    os << '[';
    for (size_t i = 0; i < values.size(); ++i) os << (i ? "," : "") << values[i];
    os << ']';
    return os.str();
}

}  // namespace

StatusOr<AttentionView> attentionView(const AttentionAttrs& attrs, int i, const Dims& shape) {
    if (i < 0 || i > 2)
        return internalError("attentionView: operand " + std::to_string(i) + " is not q, k or v");
    const char* name = kOperandNames[i];
    const AttentionLayout layout = attentionOperandLayout(attrs, i);
    const std::vector<int64_t>& values = attentionViewOf(attrs, i);
    AttentionView v;
    if (isContiguousAttentionLayout(layout)) {
        KILN_CHECK_ARG(values.empty(), "Attention: " << name << "_view " << valuesString(values)
                                                     << " is given but " << name << "_layout is "
                                                     << attentionLayoutName(layout)
                                                     << "; a view needs layout STRIDED, or drop the view");
        KILN_CHECK_ARG(shape.nbDims == 4,
                       "Attention: " << name << " (input " << i << ") must be 4-D (B, H, S, D in its layout "
                                     << attentionLayoutName(layout) << "), got shape " << toString(shape)
                                     << "; use layout STRIDED with a view for other ranks");
        v.extent = attentionExtents(layout, shape);
        if (isFullyKnown(shape)) v.stride = attentionStrides(layout, v.extent);
        return v;
    }
    KILN_CHECK_ARG(layout == AttentionLayout::kSTRIDED,
                   "Attention: " << name << "_layout = " << static_cast<int32_t>(layout)
                                 << " is not an AttentionLayout");
    KILN_CHECK_ARG(values.size() == kAttentionViewFields,
                   "Attention: " << name << "_layout is STRIDED, so " << name << "_view must hold "
                                 << kAttentionViewFields
                                 << " values (offset, extents B H S D, strides B H S D), got "
                                 << values.size() << ": " << valuesString(values));
    v.offset = values[0];
    for (size_t a = 0; a < 4; ++a) {
        v.extent[a] = values[1 + a];
        v.stride[a] = values[5 + a];
    }
    bool valid = v.offset >= 0;
    for (size_t a = 0; a < 4; ++a) valid = valid && v.extent[a] >= 1 && v.stride[a] >= 0;
    KILN_CHECK_ARG(valid, "Attention: " << name << "_view " << valuesString(values)
                                        << " (offset, extents B H S D, strides B H S D) needs offset >= 0, "
                                        << "extents >= 1 and strides >= 0");
    // The last element the view reaches, without overflowing (a hostile plan may hold any values).
    int64_t last = v.offset;
    bool overflow = false;
    for (size_t a = 0; a < 4; ++a) {
        int64_t step = 0;
        overflow = overflow || __builtin_mul_overflow(v.extent[a] - 1, v.stride[a], &step) ||
                   __builtin_add_overflow(last, step, &last);
    }
    KILN_CHECK_ARG(!overflow, "Attention: " << name << "_view " << valuesString(values)
                                            << " reaches past 2^63 elements; the view must lie inside "
                                            << name << " (input " << i << ", shape " << toString(shape)
                                            << ")");
    if (isFullyKnown(shape)) {
        const int64_t elements = volume(shape);
        KILN_CHECK_ARG(last < elements,
                       "Attention: " << name << "_view " << valuesString(values)
                                     << " (offset, extents B H S D, strides B H S D) reaches element " << last
                                     << " of " << name << " (input " << i << "), which has shape "
                                     << toString(shape) << " (" << elements
                                     << " elements); the view must lie inside its input");
    }
    return v;
}

StatusOr<AttentionGeometry> attentionGeometry(const AttentionAttrs& attrs, const Dims& q, const Dims& k,
                                              const Dims& v, const Dims& y) {
    AttentionGeometry g;
    KILN_ASSIGN_OR_RETURN(g.q, attentionView(attrs, 0, q));
    KILN_ASSIGN_OR_RETURN(g.k, attentionView(attrs, 1, k));
    KILN_ASSIGN_OR_RETURN(g.v, attentionView(attrs, 2, v));
    const AttentionExtents& qe = g.q.extent;
    const AttentionExtents& ke = g.k.extent;
    const AttentionExtents& ve = g.v.extent;
    g.batch = qe[kAxisB];
    g.heads = qe[kAxisH];
    g.sq = qe[kAxisS];
    g.d = qe[kAxisD];
    g.skv = ke[kAxisS];
    g.dv = ve[kAxisD];
    const bool outLayoutOk =
        isContiguousAttentionLayout(attrs.outLayout) && attrs.outLayout != AttentionLayout::kBHDS;
    const bool agree = ke[kAxisB] == g.batch && ve[kAxisB] == g.batch && ke[kAxisH] == g.heads &&
                       ve[kAxisH] == g.heads && ke[kAxisD] == g.d && ve[kAxisS] == g.skv && y.nbDims == 4 &&
                       outLayoutOk &&
                       attentionExtents(attrs.outLayout, y) == AttentionExtents{g.batch, g.heads, g.sq, g.dv};
    if (!agree)
        return internalError("Attention: q " + toString(q) + ", k " + toString(k) + ", v " + toString(v) +
                             " and output " + toString(y) +
                             " do not agree in their layouts; inference should have refused them");
    g.outStride = attentionStrides(attrs.outLayout, attentionExtents(attrs.outLayout, y));
    return g;
}

}  // namespace kiln::ir
