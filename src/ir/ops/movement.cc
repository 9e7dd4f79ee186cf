// Shape/type inference for the movement family's reshaping ops: Shuffle (transpose, reshape,
// transpose), Concatenation, Padding and Shape. Slice and Gather live in movement_slice.cc and
// movement_gather.cc. Unknown extents (-1) propagate wherever the output extent depends on them.
#include <sstream>

#include "common/dims.h"
#include "ir/infer.h"
#include "ir/ops/movement_common.h"

namespace kiln::ir {
namespace {

std::string permutationToString(const Permutation& p, int rank) {
    std::ostringstream os;
    os << '(';
    for (int i = 0; i < rank; ++i) os << (i ? "," : "") << p.order[i];
    os << ')';
    return os.str();
}

/// Only the first `rank` entries count (TensorRT's Permutation always holds 8); they must be a
/// permutation of 0..rank-1.
Status checkPermutation(const Permutation& p, int rank, const char* which) {
    bool seen[kMAX_DIMS] = {};
    for (int i = 0; i < rank; ++i) {
        int32_t v = p.order[i];
        if (v < 0 || v >= rank || seen[v]) {
            std::ostringstream os;
            os << "Shuffle: " << which << " " << permutationToString(p, rank)
               << " is not a permutation of 0.." << rank - 1 << " (entry " << i << " is " << v
               << (v >= 0 && v < rank ? ", repeated" : ", out of range") << ")";
            return invalidArgument(os.str());
        }
        seen[v] = true;
    }
    return Status::ok();
}

Dims transposed(const Dims& d, const Permutation& p) {
    Dims t;
    t.nbDims = d.nbDims;
    for (int i = 0; i < d.nbDims; ++i) t.d[i] = d.d[p.order[i]];
    return t;
}

/// Applies reshape dims `spec` to the (first-transposed) shape `t`: 0 copies t's dim when
/// zeroIsPlaceholder, one -1 takes the remaining volume. Unknown input extents give -1 where they matter.
StatusOr<Dims> resolveReshape(const Dims& t, const std::vector<int64_t>& spec, bool zeroIsPlaceholder) {
    if (spec.size() > static_cast<size_t>(kMAX_DIMS))
        return invalidArgument("Shuffle: reshape dims " + vectorToString(spec) + " have rank " +
                               std::to_string(spec.size()) + ", more than the maximum " +
                               std::to_string(kMAX_DIMS));
    Dims r;
    r.nbDims = static_cast<int32_t>(spec.size());
    int inferred = -1;
    for (int i = 0; i < r.nbDims; ++i) {
        int64_t v = spec[static_cast<size_t>(i)];
        if (v == 0 && zeroIsPlaceholder) {
            if (i >= t.nbDims)
                return invalidArgument("Shuffle: reshape dims " + vectorToString(spec) + " copy dimension " +
                                       std::to_string(i) + " (0 placeholder) but the input " + toString(t) +
                                       " has rank " + std::to_string(t.nbDims));
            r.d[i] = t.d[i];
        } else if (v == -1) {
            if (inferred >= 0)
                return invalidArgument("Shuffle: reshape dims " + vectorToString(spec) +
                                       " have more than one -1 (dimensions " + std::to_string(inferred) +
                                       " and " + std::to_string(i) + ")");
            inferred = i;
            r.d[i] = -1;
        } else if (v < 0) {
            return invalidArgument("Shuffle: reshape dims " + vectorToString(spec) + " have invalid entry " +
                                   std::to_string(v) + " at dimension " + std::to_string(i) +
                                   " (expected >= 0, or -1 for the inferred dimension)");
        } else {
            r.d[i] = v;
        }
    }
    const int64_t inVolume = volume(t);  // -1 when an input extent is unknown
    int64_t others = 1;
    bool othersKnown = true;
    for (int i = 0; i < r.nbDims; ++i) {
        if (i == inferred) continue;
        if (r.d[i] < 0)
            othersKnown = false;
        else
            others *= r.d[i];
    }
    const std::string both = "input " + toString(t) + " and reshape dims " + vectorToString(spec);
    if (inferred >= 0) {
        if (inVolume < 0 || !othersKnown) return r;  // the -1 stays unknown until run time
        if (others == 0)
            return invalidArgument(
                "Shuffle: cannot infer the -1 of reshape dims: the other dims have volume 0 (" + both + ")");
        if (inVolume % others != 0)
            return invalidArgument("Shuffle: volume mismatch between " + both + ": " +
                                   std::to_string(inVolume) + " elements do not divide into a multiple of " +
                                   std::to_string(others));
        r.d[inferred] = inVolume / others;
        return r;
    }
    if (inVolume >= 0 && othersKnown && others != inVolume)
        return invalidArgument("Shuffle: volume mismatch: input " + toString(t) + " has " +
                               std::to_string(inVolume) + " elements, reshape dims " + toString(r) +
                               " have " + std::to_string(others));
    return r;
}

// A switch without default, so a new enum value is flagged here by the compiler.
bool isKnownFillMode(PaddingFillMode m) {
    switch (m) {
        case PaddingFillMode::kCONSTANT:
        case PaddingFillMode::kREFLECT:
        case PaddingFillMode::kEDGE:
        case PaddingFillMode::kWRAP:
            return true;
    }
    return false;
}

}  // namespace

Status inferShuffle(const ShuffleAttrs& attrs, InferContext& ctx) {
    const TensorDesc& in = ctx.inputs[0];
    const int rank = in.shape.nbDims;
    KILN_RETURN_IF_ERROR(checkPermutation(attrs.firstTranspose, rank, "first transpose"));
    const Dims t = transposed(in.shape, attrs.firstTranspose);
    Dims r = t;
    KILN_ASSIGN_OR_RETURN(ShapeInput dyn, readShapeInput(ctx, 1, "Shuffle reshape dims (input 1)"));
    if (dyn.present) {
        if (dyn.length > kMAX_DIMS)
            return invalidArgument("Shuffle: reshape dims (input 1) have " + std::to_string(dyn.length) +
                                   " entries, more than the maximum rank " + std::to_string(kMAX_DIMS));
        if (dyn.values) {
            KILN_ASSIGN_OR_RETURN(r, resolveReshape(t, *dyn.values, attrs.zeroIsPlaceholder));
        } else {
            // Values arrive at run time: only the rank is known now.
            r.nbDims = static_cast<int32_t>(dyn.length);
            for (int i = 0; i < r.nbDims; ++i) r.d[i] = -1;
        }
    } else if (attrs.hasReshape) {
        if (attrs.reshapeDims.nbDims < 0 || attrs.reshapeDims.nbDims > kMAX_DIMS)
            return invalidArgument("Shuffle: reshape dims have invalid rank " +
                                   std::to_string(attrs.reshapeDims.nbDims) + " (expected 0.." +
                                   std::to_string(kMAX_DIMS) + ")");
        KILN_ASSIGN_OR_RETURN(r, resolveReshape(t, toVector(attrs.reshapeDims), attrs.zeroIsPlaceholder));
    }
    KILN_RETURN_IF_ERROR(checkPermutation(attrs.secondTranspose, r.nbDims, "second transpose"));
    ctx.outputs[0].type = in.type;
    ctx.outputs[0].shape = transposed(r, attrs.secondTranspose);
    return Status::ok();
}

Status inferConcatenation(const ConcatenationAttrs& attrs, InferContext& ctx) {
    const TensorDesc& first = ctx.inputs[0];
    const int rank = first.shape.nbDims;
    if (rank == 0) return invalidArgument("Concatenation: inputs must have rank >= 1, input 0 is 0-D");
    KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(attrs.axis, rank, "Concatenation"));
    Dims out = first.shape;
    out.d[axis] = 0;
    for (size_t k = 0; k < ctx.inputs.size(); ++k) {
        const TensorDesc& in = ctx.inputs[k];
        const std::string name = "Concatenation: input " + std::to_string(k);
        if (!in.present()) return invalidArgument(name + " is absent; every input is required");
        if (in.type != first.type)
            return invalidArgument(name + " has type " + dataTypeName(in.type) + ", expected " +
                                   dataTypeName(first.type) + " like input 0");
        if (in.shape.nbDims != rank)
            return invalidArgument(name + " has shape " + toString(in.shape) + " of rank " +
                                   std::to_string(in.shape.nbDims) + ", expected rank " +
                                   std::to_string(rank) + " like input 0 " + toString(first.shape));
        for (int d = 0; d < rank; ++d) {
            int64_t v = in.shape.d[d];
            if (d == axis) {
                out.d[d] = (out.d[d] < 0 || v < 0) ? -1 : out.d[d] + v;
            } else if (v >= 0 && out.d[d] >= 0 && v != out.d[d]) {
                return invalidArgument(name + " has shape " + toString(in.shape) + ", which differs from " +
                                       toString(first.shape) + " in dimension " + std::to_string(d) +
                                       " (only the concatenation axis " + std::to_string(axis) +
                                       " may differ)");
            } else if (out.d[d] < 0) {
                out.d[d] = v;  // a known extent refines an unknown one
            }
        }
    }
    ctx.outputs[0].type = first.type;
    ctx.outputs[0].shape = out;
    return Status::ok();
}

Status inferPadding(const PaddingAttrs& attrs, InferContext& ctx) {
    const TensorDesc& in = ctx.inputs[0];
    const int rank = in.shape.nbDims;
    const Dims& pre = attrs.prePadding;
    const Dims& post = attrs.postPadding;
    if (pre.nbDims != post.nbDims || pre.nbDims < 0)
        return invalidArgument("Padding: pre-padding " + toString(pre) + " and post-padding " +
                               toString(post) + " must have the same rank");
    if (pre.nbDims > rank)
        return invalidArgument("Padding: padding " + toString(pre) + "/" + toString(post) + " covers " +
                               std::to_string(pre.nbDims) + " dims, more than the input " +
                               toString(in.shape) + " has");
    if (!isKnownFillMode(attrs.mode))
        return invalidArgument("Padding: unknown fill mode " + std::to_string(static_cast<int>(attrs.mode)) +
                               " (expected 0..3: constant, reflect, edge, wrap)");
    Dims out = in.shape;
    for (int j = 0; j < pre.nbDims; ++j) {
        const int d = rank - pre.nbDims + j;
        const int64_t n = in.shape.d[d];
        if (n < 0) continue;  // stays unknown
        const int64_t o = n + pre.d[j] + post.d[j];
        if (o < 0)
            return invalidArgument("Padding: dimension " + std::to_string(d) + " of input " +
                                   toString(in.shape) + " with pre " + std::to_string(pre.d[j]) +
                                   " and post " + std::to_string(post.d[j]) + " would have negative extent " +
                                   std::to_string(o));
        if (n == 0 && o > 0 && attrs.mode != PaddingFillMode::kCONSTANT)
            return invalidArgument("Padding: dimension " + std::to_string(d) + " of input " +
                                   toString(in.shape) + " is empty; only constant padding can fill it");
        out.d[d] = o;
    }
    ctx.outputs[0].type = in.type;
    ctx.outputs[0].shape = out;
    return Status::ok();
}

Status inferShape(const ShapeAttrs&, InferContext& ctx) {
    ctx.outputs[0].type = DataType::kINT64;
    ctx.outputs[0].shape = makeDims({ctx.inputs[0].shape.nbDims});
    return Status::ok();
}

}  // namespace kiln::ir
