// CUDA runFill / runCumulative / runTrilu: the host halves of fill_generate.cu, cumulative_scan.cu and
// trilu_mask.cu. Everything the host can know is checked here with the reference's messages. Parameters
// that arrive as device tensors (Fill's alpha and beta, Cumulative's axis, Trilu's k) are read by the
// kernels; their shapes and types are checked here, their values cannot be without a copy to the host,
// which enqueue must not make. A run-time Cumulative axis out of range leaves the output unwritten
// (inference rejects such an axis whenever its value is known at build time).
#include <string>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/common/reduce_host.h"
#include "backends/cuda/kernels/fill/fill_launch.h"
#include "common/storage_types.h"

namespace kiln::cuda {
namespace {

bool isIntegralStorage(DataType t) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
            return true;
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
            return false;
    }
    return false;
}

/// A fill parameter from a device tensor (exact when its type is integral) or from an attribute (exact
/// when the value is a whole number that fits int64, as the reference decides).
StatusOr<rk::FillScalar> fillScalar(const TensorRef* t, double attribute, const char* what) {
    rk::FillScalar s;
    if (t) {
        KILN_ASSIGN_OR_RETURN(s.type, rk::kernelType("Fill", what, t->type));
        s.device = t->data;
        s.integral = isIntegralStorage(t->type);
        return s;
    }
    s.value = attribute;
    s.integral = attribute == static_cast<double>(static_cast<int64_t>(attribute)) && attribute > -4.6e18 &&
                 attribute < 4.6e18;
    s.intValue = s.integral ? static_cast<int64_t>(attribute) : 0;
    return s;
}

}  // namespace

Status runFill(const ir::FillAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& out = ctx.outputs[0];
    if (out.type != attrs.outputType)
        return internalError(std::string("Fill: output buffer is ") + dataTypeName(out.type) +
                             " but the layer produces " + dataTypeName(attrs.outputType));
    const int rank = out.shape.nbDims;
    if (rank < 0 || rank > 8)
        return internalError("Fill: output shape " + toString(out.shape) + " has no valid rank");
    KILN_ASSIGN_OR_RETURN(rk::ValueType outType, rk::kernelType("Fill", "the output", out.type));
    const TensorRef* alphaIn = rk::optionalInput(ctx, 1);
    const TensorRef* betaIn = rk::optionalInput(ctx, 2);
    if (alphaIn && alphaIn->numel() != 1)
        return invalidArgument("Fill: alpha (input 1) must hold one value, got shape " +
                               toString(alphaIn->shape));
    rk::FillParams p;
    p.op = attrs.op;
    p.rank = rank;
    const std::vector<int64_t> strides = stridesOf(out.shape);
    for (int d = 0; d < rank; ++d) p.strides[d] = strides[static_cast<size_t>(d)];
    KILN_ASSIGN_OR_RETURN(p.alpha, fillScalar(alphaIn, attrs.alpha, "alpha (input 1)"));
    const bool intOut = isIntegerType(out.type);
    switch (attrs.op) {
        case FillOperation::kCONSTANT:
            p.exactInt = intOut && p.alpha.integral;
            break;
        case FillOperation::kLINSPACE: {
            if (betaIn) {
                p.betaCount = betaIn->numel();
                if (p.betaCount != 1 && p.betaCount != rank)
                    return invalidArgument("Fill: beta (input 2) holds " + std::to_string(p.betaCount) +
                                           " values; expected 1 or one per output dim (" +
                                           std::to_string(rank) + ")");
            }
            KILN_ASSIGN_OR_RETURN(p.beta, fillScalar(betaIn, attrs.beta, "beta (input 2)"));
            p.exactInt = intOut && p.alpha.integral && p.beta.integral;
            break;
        }
        case FillOperation::kRANDOM_UNIFORM:
        case FillOperation::kRANDOM_NORMAL:
            return unsupported("Fill: operation " + std::to_string(static_cast<int>(attrs.op)) +
                               " has no CUDA kernel; only kLINSPACE and kCONSTANT do");
    }
    KILN_CUDA_RETURN_IF_ERROR(rk::launchFill(outType, out.data, out.numel(), p, ctx.stream));
    return Status::ok();
}

Status runCumulative(const ir::CumulativeAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    if (attrs.op != CumulativeOperation::kSUM)
        return invalidArgument("Cumulative: unknown operation " + std::to_string(static_cast<int>(attrs.op)));
    if (x.type != out.type || x.shape != out.shape)
        return internalError("Cumulative: input " + std::string(dataTypeName(x.type)) + toString(x.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) + " differ");
    const int rank = x.shape.nbDims;
    if (rank < 1 || rank > 8)
        return invalidArgument("Cumulative: input " + toString(x.shape) + " must have rank 1 to 8");
    KILN_ASSIGN_OR_RETURN(rk::ValueType type, rk::kernelType("Cumulative", "the input", x.type));
    if (type != rk::ValueType::kF32 && type != rk::ValueType::kF16 && type != rk::ValueType::kBF16 &&
        type != rk::ValueType::kI32 && type != rk::ValueType::kI64)
        return unsupported(std::string("Cumulative: no CUDA kernel for ") + dataTypeName(x.type) +
                           "; expected float32, float16, bfloat16, int32 or int64");
    rk::CumulativeParams p;
    p.rank = rank;
    for (int d = 0; d < rank; ++d) p.dims[d] = x.shape.d[d];
    p.exclusive = attrs.exclusive;
    p.reverse = attrs.reverse;
    if (const TensorRef* a = rk::optionalInput(ctx, 1)) {
        if (a->numel() != 1 || (a->type != DataType::kINT32 && a->type != DataType::kINT64))
            return invalidArgument("Cumulative: axis (input 1) must be one int32/int64 value, got " +
                                   std::string(dataTypeName(a->type)) + toString(a->shape));
        KILN_ASSIGN_OR_RETURN(p.axisType, rk::kernelType("Cumulative", "axis (input 1)", a->type));
        p.axisDevice = a->data;
    } else {
        if (attrs.axis < -rank || attrs.axis >= rank)
            return invalidArgument("Cumulative: axis " + std::to_string(attrs.axis) +
                                   " is out of range for input " + toString(x.shape) + " (expected " +
                                   std::to_string(-rank) + ".." + std::to_string(rank - 1) + ")");
        p.axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
    }
    KILN_CUDA_RETURN_IF_ERROR(rk::launchCumulative(type, x.data, out.data, p, ctx.stream));
    return Status::ok();
}

Status runTrilu(const ir::TriluAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = x.shape.nbDims;
    if (x.type != out.type || x.shape != out.shape || rank < 2)
        return internalError("Trilu: input " + std::string(dataTypeName(x.type)) + toString(x.shape) +
                             " and output " + dataTypeName(out.type) + toString(out.shape) +
                             " are inconsistent");
    const void* kDevice = nullptr;
    rk::ValueType kType = rk::ValueType::kI64;
    if (const TensorRef* kIn = rk::optionalInput(ctx, 1)) {
        if (kIn->numel() != 1 || (kIn->type != DataType::kINT32 && kIn->type != DataType::kINT64))
            return invalidArgument("Trilu: k (input 1) must be one int64/int32 value, got " +
                                   std::string(dataTypeName(kIn->type)) + toString(kIn->shape));
        KILN_ASSIGN_OR_RETURN(kType, rk::kernelType("Trilu", "k (input 1)", kIn->type));
        kDevice = kIn->data;
    }
    const int64_t size = dataTypeSize(x.type);
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return unsupported(std::string("Trilu: no CUDA kernel for ") + dataTypeName(x.type) + " elements");
    KILN_CUDA_RETURN_IF_ERROR(rk::launchTrilu(size, x.data, out.data, x.numel(), x.shape.d[rank - 2],
                                              x.shape.d[rank - 1], attrs.upper, attrs.k, kDevice, kType,
                                              ctx.stream));
    return Status::ok();
}

}  // namespace kiln::cuda
