// Shape/type inference for Scatter (TensorRT's IScatterLayer) in its two modes:
//   kELEMENT  ONNX ScatterElements along `axis`: indices and updates share one shape, of data's rank, no
//             larger than data outside the axis; out[.., idx[p], ..] = updates[p].
//   kND       ONNX ScatterND: indices [i_0..i_{q-2}, k] address k leading dims of data; updates have shape
//             indices[:-1] + data[k:].
// The output is data's type and shape. Index values are data, so the kernel checks them. A reduction
// other than kNONE does arithmetic, so it needs a numeric type (not bool).
#include <string>

#include "common/dims.h"
#include "ir/infer.h"

namespace kiln::ir {
namespace {

/// Two extents agree when equal or when either is unknown (-1) until run time.
bool compatible(int64_t a, int64_t b) {
    return a < 0 || b < 0 || a == b;
}

Status checkElementShapes(const ScatterAttrs& attrs, const Dims& ds, const Dims& is, const Dims& us) {
    const int r = ds.nbDims;
    if (attrs.axis < -r || attrs.axis >= r)
        return invalidArgument("Scatter: axis " + std::to_string(attrs.axis) + " is out of range for data " +
                               toString(ds) + " (expected " + std::to_string(-r) + ".." +
                               std::to_string(r - 1) + ")");
    const int axis = attrs.axis < 0 ? attrs.axis + r : attrs.axis;
    if (is.nbDims != r)
        return invalidArgument("Scatter: kELEMENT needs indices of the data's rank " + std::to_string(r) +
                               ": data " + toString(ds) + ", indices " + toString(is));
    if (us.nbDims != is.nbDims)
        return invalidArgument("Scatter: kELEMENT needs updates of the indices' shape: indices " +
                               toString(is) + ", updates " + toString(us));
    for (int i = 0; i < r; ++i) {
        if (!compatible(is.d[i], us.d[i]))
            return invalidArgument("Scatter: kELEMENT needs updates of the indices' shape: indices " +
                                   toString(is) + ", updates " + toString(us) + " differ in dimension " +
                                   std::to_string(i));
        if (i != axis && ds.d[i] >= 0 && is.d[i] > ds.d[i])
            return invalidArgument("Scatter: kELEMENT indices " + toString(is) + " exceed data " +
                                   toString(ds) + " in dimension " + std::to_string(i) +
                                   ", which is not the axis " + std::to_string(axis));
    }
    return Status::ok();
}

Status checkNdShapes(const Dims& ds, const Dims& is, const Dims& us) {
    const int r = ds.nbDims, q = is.nbDims;
    if (q < 1) return invalidArgument("Scatter: kND needs indices of rank >= 1, got " + toString(is));
    const int64_t k = is.d[q - 1];
    if (k < 0)
        return unsupported(
            "Scatter: kND indices " + toString(is) +
            " have an unknown last dimension; the updates' rank cannot be checked at build time");
    if (k < 1 || k > r)
        return invalidArgument("Scatter: kND index tuples of length " + std::to_string(k) +
                               " (last dim of indices " + toString(is) + ") must be 1.." + std::to_string(r) +
                               " for data " + toString(ds));
    // updates = indices[:-1] + data[k:]
    const int want = q - 1 + r - static_cast<int>(k);
    if (want > kMAX_DIMS)
        return invalidArgument("Scatter: kND updates would need rank " + std::to_string(want) + " (data " +
                               toString(ds) + ", indices " + toString(is) + "), above the maximum " +
                               std::to_string(kMAX_DIMS));
    Dims expected;
    expected.nbDims = want;
    for (int i = 0; i < q - 1; ++i) expected.d[i] = is.d[i];
    for (int i = static_cast<int>(k); i < r; ++i) expected.d[q - 1 + i - k] = ds.d[i];
    bool ok = us.nbDims == want;
    for (int i = 0; ok && i < want; ++i) ok = compatible(us.d[i], expected.d[i]);
    if (!ok)
        return invalidArgument("Scatter: kND updates must have shape indices[:-1] + data[" +
                               std::to_string(k) + ":] = " + toString(expected) + " (data " + toString(ds) +
                               ", indices " + toString(is) + "), got " + toString(us));
    return Status::ok();
}

}  // namespace

Status inferScatter(const ScatterAttrs& attrs, InferContext& ctx) {
    const TensorDesc& data = ctx.inputs[0];
    const TensorDesc& indices = ctx.inputs[1];
    const TensorDesc& updates = ctx.inputs[2];
    if (indices.type != DataType::kINT32 && indices.type != DataType::kINT64)
        return invalidArgument(std::string("Scatter: indices must be int32 or int64, got ") +
                               dataTypeName(indices.type));
    if (updates.type != data.type)
        return invalidArgument(std::string("Scatter: updates must have the data's type ") +
                               dataTypeName(data.type) + ", got " + dataTypeName(updates.type));
    if (data.shape.nbDims < 1)
        return invalidArgument("Scatter: data must have rank >= 1, got shape " + toString(data.shape));
    Status shapes = invalidArgument("Scatter: unknown mode " + std::to_string(static_cast<int>(attrs.mode)) +
                                    " (expected kELEMENT or kND)");
    switch (attrs.mode) {
        case ScatterMode::kELEMENT:
            shapes = checkElementShapes(attrs, data.shape, indices.shape, updates.shape);
            break;
        case ScatterMode::kND:
            shapes = checkNdShapes(data.shape, indices.shape, updates.shape);
            break;
    }
    KILN_RETURN_IF_ERROR(shapes);
    bool known = false;
    switch (attrs.reduction) {
        case ScatterReduction::kNONE:
        case ScatterReduction::kADD:
        case ScatterReduction::kMUL:
        case ScatterReduction::kMAX:
        case ScatterReduction::kMIN:
            known = true;
            break;
    }
    if (!known)
        return invalidArgument("Scatter: unknown reduction " +
                               std::to_string(static_cast<int>(attrs.reduction)) +
                               " (expected kNONE, kADD, kMUL, kMAX or kMIN)");
    if (attrs.reduction != ScatterReduction::kNONE && data.type == DataType::kBOOL)
        return invalidArgument("Scatter: reduction " + std::to_string(static_cast<int>(attrs.reduction)) +
                               " needs numeric data, got bool; use kNONE or cast the data to int32");
    ctx.outputs[0].type = data.type;
    ctx.outputs[0].shape = data.shape;
    return Status::ok();
}

}  // namespace kiln::ir
