// Shape/type inference for the fill family: Fill (TensorRT's IFillLayer; ONNX ConstantOfShape and Range
// lower to it), Cumulative (ONNX CumSum) and Trilu. Fill's output shape comes from its shape input when
// present: known values give known dims, unknown values (build time) give -1 dims of the right rank.
// Values of the alpha/beta/axis/k inputs are checked here when known and again by the kernels.
#include <sstream>
#include <string>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"

namespace kiln::ir {
namespace {

/// Input `i` when the node has it and it is not an absent optional input, else null.
const TensorDesc* optionalInput(const InferContext& ctx, size_t i) {
    return i < ctx.inputs.size() && ctx.inputs[i].present() ? &ctx.inputs[i] : nullptr;
}

bool isIndexType(DataType t) {
    return t == DataType::kINT32 || t == DataType::kINT64;
}

/// A scalar parameter tensor: rank 0, or rank 1 with one element (ONNX often uses [1]).
Status checkScalar(const TensorDesc& t, const std::string& what) {
    bool ok = t.shape.nbDims == 0 || (t.shape.nbDims == 1 && t.shape.d[0] == 1) ||
              (t.shape.nbDims == 1 && t.shape.d[0] < 0);
    if (!ok)
        return invalidArgument(what + " must be a scalar (shape [] or [1]), got shape " + toString(t.shape));
    return Status::ok();
}

bool isKnownFillOperation(FillOperation op) {
    switch (op) {
        case FillOperation::kLINSPACE:
        case FillOperation::kRANDOM_UNIFORM:
        case FillOperation::kRANDOM_NORMAL:
        case FillOperation::kCONSTANT:
            return true;
    }
    return false;
}

/// Output dims from the shape input (known values, or -1 dims of the input's length) or the attribute.
StatusOr<Dims> fillOutputShape(const FillAttrs& attrs, const InferContext& ctx) {
    const TensorDesc* shapeIn = optionalInput(ctx, 0);
    if (!shapeIn) {
        const Dims& d = attrs.dimensions;
        if (d.nbDims < 0 || d.nbDims > kMAX_DIMS)
            return invalidArgument("Fill: dimensions " + toString(d) + " have rank " +
                                   std::to_string(d.nbDims) + "; expected rank 0.." +
                                   std::to_string(kMAX_DIMS) + " (or give the shape as input 0)");
        for (int i = 0; i < d.nbDims; ++i)
            if (d.d[i] < 0)
                return invalidArgument("Fill: dimensions " + toString(d) +
                                       " have a negative extent at index " + std::to_string(i) +
                                       "; static dimensions must be known and >= 0");
        return d;
    }
    if (!isIndexType(shapeIn->type))
        return invalidArgument(std::string("Fill: the shape input (input 0) must be int32 or int64, got ") +
                               dataTypeName(shapeIn->type));
    if (shapeIn->shape.nbDims != 1)
        return invalidArgument("Fill: the shape input (input 0) must be 1-D, got shape " +
                               toString(shapeIn->shape));
    const int64_t rank = shapeIn->shape.d[0];
    if (rank < 0)
        return unsupported("Fill: the shape input (input 0) has an unknown length " +
                           toString(shapeIn->shape) +
                           ", so the output rank cannot be determined at build time");
    if (rank > kMAX_DIMS)
        return invalidArgument("Fill: the shape input (input 0) has " + std::to_string(rank) +
                               " entries; the maximum rank is " + std::to_string(kMAX_DIMS));
    Dims out;
    out.nbDims = static_cast<int32_t>(rank);
    for (int i = 0; i < out.nbDims; ++i) {
        if (!shapeIn->values) {
            out.d[i] = -1;  // known only at run time
            continue;
        }
        int64_t v = loadAsInt64(shapeIn->type, shapeIn->values, i);
        if (v < 0)
            return invalidArgument("Fill: the shape input (input 0) holds a negative extent " +
                                   std::to_string(v) + " at index " + std::to_string(i) +
                                   "; every extent must be >= 0");
        out.d[i] = v;
    }
    return out;
}

}  // namespace

Status inferFill(const FillAttrs& attrs, InferContext& ctx) {
    if (!isKnownFillOperation(attrs.op))
        return invalidArgument("Fill: unknown operation " + std::to_string(static_cast<int>(attrs.op)) +
                               " (expected kLINSPACE, kRANDOM_UNIFORM, kRANDOM_NORMAL or kCONSTANT)");
    switch (attrs.op) {
        case FillOperation::kLINSPACE:
        case FillOperation::kCONSTANT:
            break;
        case FillOperation::kRANDOM_UNIFORM:
        case FillOperation::kRANDOM_NORMAL:
            return unsupported("Fill: random fill operations (" + std::to_string(static_cast<int>(attrs.op)) +
                               ") are not supported yet; only kLINSPACE and kCONSTANT are");
    }
    // The attribute is authoritative for the output type: the API keeps it in step with the output tensor.
    const DataType outType = attrs.outputType;
    if (attrs.op == FillOperation::kLINSPACE && outType == DataType::kBOOL)
        return invalidArgument("Fill: kLINSPACE cannot produce bool; expected a numeric output type");
    KILN_ASSIGN_OR_RETURN(Dims out, fillOutputShape(attrs, ctx));

    const TensorDesc* alpha = optionalInput(ctx, 1);
    const TensorDesc* beta = optionalInput(ctx, 2);
    if (alpha) KILN_RETURN_IF_ERROR(checkScalar(*alpha, "Fill: alpha (input 1)"));
    if (beta) {
        if (attrs.op == FillOperation::kCONSTANT)
            return invalidArgument("Fill: kCONSTANT takes no beta (input 2); got a tensor of shape " +
                                   toString(beta->shape));
        if (alpha && alpha->type != beta->type)
            return invalidArgument(
                std::string("Fill: alpha (input 1) and beta (input 2) must have the same type, got ") +
                dataTypeName(alpha->type) + " and " + dataTypeName(beta->type));
        // beta is one delta for every dim (scalar) or one delta per output dim (1-D of the output's rank).
        const Dims& bs = beta->shape;
        bool scalar = bs.nbDims == 0;
        bool perDim = bs.nbDims == 1 && (bs.d[0] < 0 || bs.d[0] == out.nbDims);
        if (!scalar && !perDim)
            return invalidArgument(
                "Fill: beta (input 2) must be a scalar or 1-D with one delta per output dim (" +
                std::to_string(out.nbDims) + "), got shape " + toString(bs));
    }
    ctx.outputs[0].type = outType;
    ctx.outputs[0].shape = out;
    return Status::ok();
}

Status inferCumulative(const CumulativeAttrs& attrs, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    if (attrs.op != CumulativeOperation::kSUM)
        return invalidArgument("Cumulative: unknown operation " + std::to_string(static_cast<int>(attrs.op)) +
                               " (expected kSUM, the only one)");
    switch (x.type) {
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kINT32:
        case DataType::kINT64:
            break;
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kBOOL:
        case DataType::kFP8:
        case DataType::kINT4:
        case DataType::kFP4:
        case DataType::kE8M0:
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kUINT4:
        case DataType::kINT2:
        case DataType::kUINT2:
            return invalidArgument(std::string("Cumulative: input type ") + dataTypeName(x.type) +
                                   " is not supported; expected float32, float16, bfloat16, int32 or int64");
    }
    const int rank = x.shape.nbDims;
    if (rank < 1)
        return invalidArgument("Cumulative: input must have rank >= 1, got shape " + toString(x.shape));
    int64_t axis = attrs.axis;
    bool axisKnown = true;
    if (const TensorDesc* a = optionalInput(ctx, 1)) {
        if (!isIndexType(a->type))
            return invalidArgument(std::string("Cumulative: axis (input 1) must be int32 or int64, got ") +
                                   dataTypeName(a->type));
        KILN_RETURN_IF_ERROR(checkScalar(*a, "Cumulative: axis (input 1)"));
        axisKnown = a->values != nullptr;
        if (axisKnown) axis = loadAsInt64(a->type, a->values, 0);
    }
    // The output shape does not depend on the axis, so an axis known only at run time is checked then.
    if (axisKnown && (axis < -rank || axis >= rank))
        return invalidArgument("Cumulative: axis " + std::to_string(axis) + " is out of range for input " +
                               toString(x.shape) + " (expected " + std::to_string(-rank) + ".." +
                               std::to_string(rank - 1) + ")");
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferTrilu(const TriluAttrs&, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    if (x.shape.nbDims < 2)
        return invalidArgument("Trilu: input must have rank >= 2 (a batch of matrices), got shape " +
                               toString(x.shape));
    if (const TensorDesc* k = optionalInput(ctx, 1)) {
        if (!isIndexType(k->type))
            return invalidArgument(std::string("Trilu: k (input 1) must be int64 or int32, got ") +
                                   dataTypeName(k->type));
        KILN_RETURN_IF_ERROR(checkScalar(*k, "Trilu: k (input 1)"));
    }
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

}  // namespace kiln::ir
