// Shape/type inference for Slice (TensorRT's ISliceLayer): output extents are `size`; start, size and
// stride come from the attributes or, when present, from shape-tensor inputs 1..3 whose values may only
// be known at run time. Out-of-bounds reads are checked here for kSTRICT_BOUNDS whenever everything is
// known, so a bad slice fails at build time rather than in the kernel.
#include <sstream>

#include "common/dims.h"
#include "ir/infer.h"
#include "ir/ops/movement_common.h"

namespace kiln::ir {
namespace {

const char* sampleModeName(SampleMode m) {
    switch (m) {
        case SampleMode::kSTRICT_BOUNDS:
            return "kSTRICT_BOUNDS";
        case SampleMode::kWRAP:
            return "kWRAP";
        case SampleMode::kCLAMP:
            return "kCLAMP";
        case SampleMode::kFILL:
            return "kFILL";
        case SampleMode::kREFLECT:
            return "kREFLECT";
    }
    return nullptr;
}

/// One of start/size/stride: from input `index` when present, else from the attribute. An empty
/// attribute means `fallback` for every dim (0 for start, 1 for stride) when fallback is given.
struct SliceParam {
    bool known{true};
    std::vector<int64_t> values;
};

StatusOr<SliceParam> readSliceParam(const InferContext& ctx, size_t index, const Dims& attr, const char* name,
                                    const std::optional<int64_t>& fallback) {
    const int rank = ctx.inputs[0].shape.nbDims;
    const std::string what = std::string("Slice ") + name + " (input " + std::to_string(index) + ")";
    KILN_ASSIGN_OR_RETURN(ShapeInput dyn, readShapeInput(ctx, index, what));
    SliceParam p;
    if (dyn.present) {
        if (dyn.length != rank)
            return invalidArgument(what + " has " + std::to_string(dyn.length) +
                                   " entries, expected one per dimension of the input " +
                                   toString(ctx.inputs[0].shape));
        p.known = dyn.values.has_value();
        p.values = dyn.values ? *dyn.values : std::vector<int64_t>(static_cast<size_t>(rank), -1);
        return p;
    }
    if (attr.nbDims == 0 && fallback) {
        p.values.assign(static_cast<size_t>(rank), *fallback);
        return p;
    }
    if (attr.nbDims != rank)
        return invalidArgument(std::string("Slice ") + name + " " + toString(attr) + " has rank " +
                               std::to_string(attr.nbDims) + ", expected the input's rank " +
                               std::to_string(rank) + " (input " + toString(ctx.inputs[0].shape) + ")");
    p.values = toVector(attr);
    return p;
}

}  // namespace

Status inferSlice(const SliceAttrs& attrs, InferContext& ctx) {
    const TensorDesc& in = ctx.inputs[0];
    const int rank = in.shape.nbDims;
    const char* modeName = sampleModeName(attrs.mode);
    if (!modeName)
        return invalidArgument("Slice: unknown mode " + std::to_string(static_cast<int>(attrs.mode)) +
                               " (expected 0..4: strict bounds, wrap, clamp, fill, reflect)");
    KILN_ASSIGN_OR_RETURN(SliceParam start, readSliceParam(ctx, 1, attrs.start, "start", 0));
    KILN_ASSIGN_OR_RETURN(SliceParam size, readSliceParam(ctx, 2, attrs.size, "size", std::nullopt));
    KILN_ASSIGN_OR_RETURN(SliceParam stride, readSliceParam(ctx, 3, attrs.stride, "stride", 1));

    if (ctx.inputs.size() > 4 && ctx.inputs[4].present()) {
        const TensorDesc& fill = ctx.inputs[4];
        if (attrs.mode != SampleMode::kFILL)
            return invalidArgument(
                std::string("Slice: a fill value (input 4) is only valid in kFILL mode, mode is ") +
                modeName);
        if (fill.shape.nbDims > 1 || (fill.shape.nbDims == 1 && fill.shape.d[0] != 1))
            return invalidArgument(
                "Slice: the fill value (input 4) must be a scalar or a 1-element tensor, got shape " +
                toString(fill.shape));
    }

    Dims out;
    out.nbDims = rank;
    for (int d = 0; d < rank; ++d) {
        int64_t sz = size.values[static_cast<size_t>(d)];
        if (size.known && sz < 0)
            return invalidArgument("Slice: size " + vectorToString(size.values) + " has negative extent " +
                                   std::to_string(sz) + " in dimension " + std::to_string(d));
        out.d[d] = size.known ? sz : -1;
    }

    if (start.known && size.known && stride.known) {
        for (int d = 0; d < rank; ++d) {
            const int64_t n = in.shape.d[d], sz = out.d[d];
            const int64_t first = start.values[static_cast<size_t>(d)];
            const int64_t last = first + (sz - 1) * stride.values[static_cast<size_t>(d)];
            if (n < 0 || sz == 0) continue;
            std::ostringstream where;
            where << "dimension " << d << " of input " << toString(in.shape) << " (start "
                  << vectorToString(start.values) << ", size " << vectorToString(size.values) << ", stride "
                  << vectorToString(stride.values) << ")";
            if (n == 0 && attrs.mode != SampleMode::kFILL)
                return invalidArgument(std::string("Slice: ") + where.str() + " is empty; mode " + modeName +
                                       " has nothing to sample (only kFILL can)");
            if (attrs.mode == SampleMode::kSTRICT_BOUNDS &&
                (first < 0 || first >= n || last < 0 || last >= n))
                return invalidArgument("Slice: kSTRICT_BOUNDS slice reads index " +
                                       std::to_string(first < 0 || first >= n ? first : last) +
                                       " outside [0, " + std::to_string(n) + ") in " + where.str());
        }
    }
    ctx.outputs[0].type = in.type;
    ctx.outputs[0].shape = out;
    return Status::ok();
}

}  // namespace kiln::ir
