// Inference dispatch and the helpers shared by the per-family inference files.
#include "ir/infer.h"

#include <sstream>

#include "common/dims.h"
#include "common/tensor_ref.h"

namespace kiln::ir {

namespace {

/// The ops that take the storage-only types (int4, fp4, the float8 variants other than E4M3FN, ...):
/// those that only move or convert values. Every other op computes, and has no kernel for them.
bool takesStorageOnlyTypes(OpKind kind) {
    switch (kind) {
        case OpKind::kCast:
        case OpKind::kIdentity:
        case OpKind::kConstant:
        case OpKind::kQuantize:
        case OpKind::kDequantize:
            return true;
        case OpKind::kConvolution:
        case OpKind::kDeconvolution:
        case OpKind::kPooling:
        case OpKind::kActivation:
        case OpKind::kElementWise:
        case OpKind::kUnary:
        case OpKind::kScale:
        case OpKind::kSelect:
        case OpKind::kMatrixMultiply:
        case OpKind::kSoftMax:
        case OpKind::kReduce:
        case OpKind::kTopK:
        case OpKind::kNormalization:
        case OpKind::kShuffle:
        case OpKind::kConcatenation:
        case OpKind::kSlice:
        case OpKind::kGather:
        case OpKind::kPadding:
        case OpKind::kResize:
        case OpKind::kShape:
        case OpKind::kFill:
        case OpKind::kCumulative:
        case OpKind::kScatter:
        case OpKind::kTrilu:
        case OpKind::kPointwise:
        case OpKind::kAttention:
            return false;
    }
    return false;
}

Status storageTypeError(std::string_view op, const char* what, size_t index, DataType type) {
    return invalidArgument(std::string(op) + ": " + what + " " + std::to_string(index) + " is " +
                           dataTypeName(type) +
                           ", a type Kiln only stores and converts: only Cast, Identity, "
                           "Constant, Quantize (as its output) and Dequantize (as its input) take it; add a "
                           "Cast to a compute type (float32, float16, int8, int32, ...) first");
}

}  // namespace

Status inferNode(const Attrs& attrs, InferContext& ctx) {
    const OpInfo& info = opInfo(opKindOf(attrs));
    int nIn = static_cast<int>(ctx.inputs.size());
    if (nIn < info.minInputs || nIn > info.maxInputs) {
        std::ostringstream os;
        os << info.name << " takes " << info.minInputs << ".." << info.maxInputs << " inputs, got " << nIn;
        return invalidArgument(os.str());
    }
    int nOut = static_cast<int>(ctx.outputs.size());
    if (nOut < info.minOutputs || nOut > info.maxOutputs) {
        std::ostringstream os;
        os << info.name << " has " << info.minOutputs << ".." << info.maxOutputs << " outputs, got " << nOut;
        return invalidArgument(os.str());
    }
    for (int i = 0; i < info.minInputs; ++i) {
        if (!ctx.inputs[static_cast<size_t>(i)].present())
            return invalidArgument(std::string(info.name) + " input " + std::to_string(i) + " is required but absent");
    }
    const bool storageOk = takesStorageOnlyTypes(opKindOf(attrs));
    if (!storageOk) {
        for (size_t i = 0; i < ctx.inputs.size(); ++i)
            if (ctx.inputs[i].present() && isStorageOnlyType(ctx.inputs[i].type))
                return storageTypeError(info.name, "input", i, ctx.inputs[i].type);
    }
    Status st = internalError("inferNode: op kind out of range");
    switch (opKindOf(attrs)) {
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family)  \
    case OpKind::k##Name:                                    \
        st = infer##Name(std::get<Name##Attrs>(attrs), ctx); \
        break;
#include "ir/ops.def"
#undef KILN_OP
    }
    // An op may take its output type from the request (Fill, Identity's conversion): check what it chose.
    if (st.isOk() && !storageOk) {
        for (size_t i = 0; i < ctx.outputs.size(); ++i)
            if (isStorageOnlyType(ctx.outputs[i].type))
                return storageTypeError(info.name, "output", i, ctx.outputs[i].type);
    }
    return st;
}

StatusOr<Dims> broadcastShapes(const Dims& a, const Dims& b) {
    Dims out;
    out.nbDims = std::max(a.nbDims, b.nbDims);
    for (int i = 0; i < out.nbDims; ++i) {
        int ia = a.nbDims - out.nbDims + i, ib = b.nbDims - out.nbDims + i;
        int64_t da = ia >= 0 ? a.d[ia] : 1, db = ib >= 0 ? b.d[ib] : 1;
        if (da == db || db == 1) {
            out.d[i] = da;
        } else if (da == 1) {
            out.d[i] = db;
        } else if (da == -1 || db == -1) {
            out.d[i] = da == -1 ? db : da;  // the known one must win at run time, or it is an error then
        } else {
            return invalidArgument("cannot broadcast shapes " + toString(a) + " and " + toString(b) +
                                   ": dimension " + std::to_string(i) + " is " + std::to_string(da) + " vs " +
                                   std::to_string(db));
        }
    }
    return out;
}

StatusOr<std::vector<int64_t>> readShapeValues(const TensorDesc& t, const char* what) {
    if (t.type != DataType::kINT32 && t.type != DataType::kINT64)
        return invalidArgument(std::string(what) + " must be int32 or int64, got " + dataTypeName(t.type));
    if (t.shape.nbDims > 1)
        return invalidArgument(std::string(what) + " must be 0-D or 1-D, got shape " + toString(t.shape));
    if (!t.values) return unsupported(std::string(what) + " is not known at build time");
    int64_t n = volume(t.shape);
    std::vector<int64_t> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = loadAsInt64(t.type, t.values, i);
    return v;
}

}  // namespace kiln::ir
