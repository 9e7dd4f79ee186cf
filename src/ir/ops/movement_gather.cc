// Shape/type inference for Gather (TensorRT's IGatherLayer) in its three modes:
//   kDEFAULT  numpy take along `axis`; the first nbElementWiseDims dims of data and indices are shared
//             batch dims: out = data[:axis] + indices[b:] + data[axis+1:].
//   kELEMENT  ONNX GatherElements: indices have data's rank, out has indices' shape.
//   kND       ONNX GatherND with batch_dims = nbElementWiseDims: out = indices[:-1] + data[b+k:], where
//             k = indices' last extent.
// Index values are checked by the kernel (they are data), not here.
#include <sstream>

#include "common/dims.h"
#include "ir/infer.h"
#include "ir/ops/movement_common.h"

namespace kiln::ir {
namespace {

/// Batch dims shared by data and indices must agree where both are known; the known one wins otherwise.
Status mergeBatchDims(const Dims& data, const Dims& indices, int nbBatch, Dims& out) {
    for (int i = 0; i < nbBatch; ++i) {
        int64_t a = data.d[i], b = indices.d[i];
        if (a >= 0 && b >= 0 && a != b)
            return invalidArgument("Gather: batch dimension " + std::to_string(i) + " differs between data " +
                                   toString(data) + " and indices " + toString(indices) + " (" +
                                   std::to_string(a) + " vs " + std::to_string(b) + ")");
        out.d[i] = a >= 0 ? a : b;
    }
    return Status::ok();
}

Status tooManyDims(int rank, const Dims& data, const Dims& indices) {
    return invalidArgument("Gather: output rank " + std::to_string(rank) + " from data " + toString(data) +
                           " and indices " + toString(indices) + " exceeds the maximum " +
                           std::to_string(kMAX_DIMS));
}

bool isKnownGatherMode(GatherMode m) {
    switch (m) {
        case GatherMode::kDEFAULT:
        case GatherMode::kELEMENT:
        case GatherMode::kND:
            return true;
    }
    return false;
}

}  // namespace

Status inferGather(const GatherAttrs& attrs, InferContext& ctx) {
    const TensorDesc& data = ctx.inputs[0];
    const TensorDesc& indices = ctx.inputs[1];
    const Dims& ds = data.shape;
    const Dims& is = indices.shape;
    const int r = ds.nbDims, q = is.nbDims;
    const int b = attrs.nbElementWiseDims;
    if (indices.type != DataType::kINT32 && indices.type != DataType::kINT64)
        return invalidArgument(std::string("Gather: indices must be int32 or int64, got ") +
                               dataTypeName(indices.type));
    if (!isKnownGatherMode(attrs.mode))
        return invalidArgument("Gather: unknown mode " + std::to_string(static_cast<int>(attrs.mode)) +
                               " (expected 0..2: default, element, nd)");
    if (r < 1) return invalidArgument("Gather: data must have rank >= 1, got shape " + toString(ds));
    Dims out;
    switch (attrs.mode) {
        case GatherMode::kDEFAULT: {
            KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(attrs.axis, r, "Gather"));
            if (b < 0 || b > axis || b > q)
                return invalidArgument("Gather: nbElementWiseDims " + std::to_string(b) +
                                       " must be in 0..min(axis, indices rank) = 0.." +
                                       std::to_string(std::min(axis, q)) + " (axis " + std::to_string(axis) +
                                       ", indices " + toString(is) + ")");
            out.nbDims = r - 1 + q - b;
            if (out.nbDims > kMAX_DIMS) return tooManyDims(out.nbDims, ds, is);
            KILN_RETURN_IF_ERROR(mergeBatchDims(ds, is, b, out));
            int o = b;
            for (int i = b; i < axis; ++i) out.d[o++] = ds.d[i];
            for (int i = b; i < q; ++i) out.d[o++] = is.d[i];
            for (int i = axis + 1; i < r; ++i) out.d[o++] = ds.d[i];
            break;
        }
        case GatherMode::kELEMENT: {
            KILN_ASSIGN_OR_RETURN(int axis, normalizeAxis(attrs.axis, r, "Gather"));
            if (b != 0)
                return invalidArgument("Gather: kELEMENT mode takes nbElementWiseDims 0, got " +
                                       std::to_string(b));
            if (q != r)
                return invalidArgument("Gather: kELEMENT mode needs indices of the data's rank: data " +
                                       toString(ds) + ", indices " + toString(is));
            for (int i = 0; i < r; ++i) {
                if (i != axis && ds.d[i] >= 0 && is.d[i] > ds.d[i])
                    return invalidArgument("Gather: kELEMENT indices " + toString(is) + " exceed data " +
                                           toString(ds) + " in dimension " + std::to_string(i) +
                                           ", which is not the axis " + std::to_string(axis));
            }
            out = is;
            break;
        }
        case GatherMode::kND: {
            if (q < 1)
                return invalidArgument("Gather: kND mode needs indices of rank >= 1, got " + toString(is));
            const int64_t k = is.d[q - 1];
            if (k < 0)
                return unsupported("Gather: kND indices " + toString(is) +
                                   " have an unknown last dimension; the output rank cannot be determined");
            if (b < 0 || b >= q || b >= r)
                return invalidArgument("Gather: kND nbElementWiseDims " + std::to_string(b) +
                                       " must be below the ranks of data " + toString(ds) + " and indices " +
                                       toString(is));
            if (k < 1 || k > r - b)
                return invalidArgument("Gather: kND index tuples of length " + std::to_string(k) +
                                       " (indices " + toString(is) + ") must be 1.." + std::to_string(r - b) +
                                       " for data " + toString(ds) + " with " + std::to_string(b) +
                                       " batch dims");
            out.nbDims = q - 1 + r - b - static_cast<int>(k);
            if (out.nbDims > kMAX_DIMS) return tooManyDims(out.nbDims, ds, is);
            KILN_RETURN_IF_ERROR(mergeBatchDims(ds, is, b, out));
            int o = b;
            for (int i = b; i < q - 1; ++i) out.d[o++] = is.d[i];
            for (int i = b + static_cast<int>(k); i < r; ++i) out.d[o++] = ds.d[i];
            break;
        }
    }
    ctx.outputs[0].type = data.type;
    ctx.outputs[0].shape = out;
    return Status::ok();
}

}  // namespace kiln::ir
