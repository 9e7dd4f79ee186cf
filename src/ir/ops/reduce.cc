// Shape/type inference for the reduce family: SoftMax, Reduce, TopK. All three name their axes with a
// TensorRT bitmask (bit i = axis i). SoftMax and TopK take exactly one axis; Reduce takes one or more
// (TensorRT rejects an empty mask, and so do we: "reduce nothing" is almost always an importer bug).
// Reduce's optional input 1 is an ONNX axes list and TopK's optional input 1 is k, both shape tensors:
// when their values are known (constants at build time, always at run time) the output shape is exact;
// before that the dims they decide are -1, and the rank stays known wherever it can be.
#include <limits>
#include <sstream>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"
#include "ir/reduce_params.h"

namespace kiln::ir {

namespace {

std::string maskString(uint32_t mask) {
    std::ostringstream os;
    os << "0x" << std::hex << mask;
    return os.str();
}

/// The mask must be non-empty and name only axes < rank.
Status checkAxisMask(const char* op, uint32_t mask, const Dims& shape) {
    if (mask == 0)
        return invalidArgument(std::string(op) + ": axes mask is 0; expected at least one axis of input " +
                               toString(shape));
    uint64_t allowed = (uint64_t{1} << shape.nbDims) - 1;
    if ((mask & ~allowed) != 0)
        return invalidArgument(std::string(op) + ": axes mask " + maskString(mask) +
                               " names an axis >= rank " + std::to_string(shape.nbDims) + " of input " +
                               toString(shape));
    return Status::ok();
}

/// The one axis named by a mask that must have exactly one bit.
StatusOr<int> singleAxis(const char* op, uint32_t mask, const Dims& shape) {
    KILN_RETURN_IF_ERROR(checkAxisMask(op, mask, shape));
    if ((mask & (mask - 1)) != 0)
        return invalidArgument(std::string(op) + ": axes mask " + maskString(mask) +
                               " must have exactly one bit set, for input " + toString(shape));
    int axis = 0;
    while (((mask >> axis) & 1u) == 0) ++axis;
    return axis;
}

bool isFloatCompute(DataType t) {
    return t == DataType::kFLOAT || t == DataType::kHALF || t == DataType::kBF16;
}
bool isReduceType(DataType t) {
    return isFloatCompute(t) || t == DataType::kINT32 || t == DataType::kINT64;
}

const char* reduceOpName(ReduceOperation op) {
    switch (op) {
        case ReduceOperation::kSUM:
            return "kSUM";
        case ReduceOperation::kPROD:
            return "kPROD";
        case ReduceOperation::kMAX:
            return "kMAX";
        case ReduceOperation::kMIN:
            return "kMIN";
        case ReduceOperation::kAVG:
            return "kAVG";
        case ReduceOperation::kL2:
            return "kL2";
        case ReduceOperation::kL1:
            return "kL1";
        case ReduceOperation::kSUM_SQUARE:
            return "kSUM_SQUARE";
        case ReduceOperation::kLOG_SUM_EXP:
            return "kLOG_SUM_EXP";
    }
    return nullptr;
}

/// Output shape of a Reduce over `x` with the reduced axes `mask`.
Dims reducedShape(const Dims& x, uint32_t mask, bool keepDims) {
    Dims out;
    out.nbDims = 0;
    for (int i = 0; i < x.nbDims; ++i) {
        if (((mask >> i) & 1u) == 0)
            out.d[out.nbDims++] = x.d[i];
        else if (keepDims)
            out.d[out.nbDims++] = 1;
    }
    return out;
}

/// Reduce with a run-time axes list (input 1) whose values are not known yet: the list's length still
/// fixes the output rank (each axis appears once), and keepDims keeps every extent-1 dim at 1.
StatusOr<Dims> reduceShapeUnknownAxes(const ReduceAttrs& attrs, const Dims& x, int64_t nbAxes) {
    if (nbAxes == 0)
        return attrs.noopWithEmptyAxes
                   ? x
                   : reducedShape(x, static_cast<uint32_t>((uint64_t{1} << x.nbDims) - 1), attrs.keepDims);
    if (nbAxes > x.nbDims)
        return invalidArgument("Reduce: the axes (input 1) hold " + std::to_string(nbAxes) +
                               " axes, more than the rank " + std::to_string(x.nbDims) + " of input " +
                               toString(x) + "; each axis may appear once");
    Dims out;
    if (attrs.keepDims) {
        out.nbDims = x.nbDims;
        for (int i = 0; i < x.nbDims; ++i) out.d[i] = x.d[i] == 1 ? 1 : -1;
        return out;
    }
    if (nbAxes < 0)
        return unsupported(
            "Reduce: the axes (input 1) have an unknown length, so the output rank of a Reduce "
            "without keepDims cannot be known when the network is built; give the axes tensor a "
            "static length or keep the reduced dims");
    out.nbDims = x.nbDims - static_cast<int32_t>(nbAxes);
    for (int i = 0; i < out.nbDims; ++i) out.d[i] = -1;
    return out;
}

}  // namespace

Status inferSoftMax(const SoftMaxAttrs& attrs, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    if (!isFloatCompute(x.type))
        return invalidArgument(std::string("SoftMax: input must be float32, float16 or bfloat16, got ") +
                               dataTypeName(x.type));
    KILN_RETURN_IF_ERROR(singleAxis("SoftMax", attrs.axes, x.shape).status());
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = x.shape;
    return Status::ok();
}

Status inferReduce(const ReduceAttrs& attrs, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    const char* name = reduceOpName(attrs.op);
    if (name == nullptr)
        return invalidArgument("Reduce: op " + std::to_string(static_cast<int32_t>(attrs.op)) +
                               " is not a ReduceOperation");
    if (!isReduceType(x.type))
        return invalidArgument(
            std::string("Reduce: input must be float32, float16, bfloat16, int32 or int64, got ") +
            dataTypeName(x.type));
    ctx.outputs[0].type = x.type;
    uint32_t mask = attrs.axes;
    if (ctx.inputs.size() > 1 && ctx.inputs[1].present()) {
        const TensorDesc& a = ctx.inputs[1];
        if (a.type != DataType::kINT32 && a.type != DataType::kINT64)
            return invalidArgument(std::string("Reduce: axes (input 1) must be int32 or int64, got ") +
                                   dataTypeName(a.type));
        if (a.shape.nbDims != 1)
            return invalidArgument("Reduce: axes (input 1) must be a 1-D list of axes, got shape " +
                                   toString(a.shape));
        if (!a.values) {
            KILN_ASSIGN_OR_RETURN(ctx.outputs[0].shape, reduceShapeUnknownAxes(attrs, x.shape, a.shape.d[0]));
            return Status::ok();
        }
        KILN_ASSIGN_OR_RETURN(
            ReduceAxes r, reduceAxesFromValues(readIntValues(a.type, a.values, a.shape.d[0]), x.shape.nbDims,
                                               attrs.noopWithEmptyAxes));
        if (r.copy) {
            ctx.outputs[0].shape = x.shape;
            return Status::ok();
        }
        mask = r.mask;
    } else {
        KILN_RETURN_IF_ERROR(checkAxisMask("Reduce", attrs.axes, x.shape));
    }
    // An integer mean of nothing would divide by zero (a float one is NaN, as in numpy; max and min of
    // nothing are their identities, as in ONNX). Only known extents can be checked here; the kernel
    // checks again.
    if (attrs.op == ReduceOperation::kAVG && !isFloatCompute(x.type))
        for (int i = 0; i < x.shape.nbDims; ++i)
            if (((mask >> i) & 1u) && x.shape.d[i] == 0)
                return invalidArgument(std::string("Reduce: ") + name + " over " + dataTypeName(x.type) +
                                       " needs a non-empty reduction, but axis " + std::to_string(i) +
                                       " of input " + toString(x.shape) + " has extent 0");
    ctx.outputs[0].shape = reducedShape(x.shape, mask, attrs.keepDims);
    return Status::ok();
}

Status inferTopK(const TopKAttrs& attrs, InferContext& ctx) {
    const TensorDesc& x = ctx.inputs[0];
    bool validOp = false;
    switch (attrs.op) {
        case TopKOperation::kMAX:
        case TopKOperation::kMIN:
            validOp = true;
            break;
    }
    if (!validOp)
        return invalidArgument("TopK: op " + std::to_string(static_cast<int32_t>(attrs.op)) +
                               " is not a TopKOperation (expected kMAX or kMIN)");
    if (!isReduceType(x.type))
        return invalidArgument(
            std::string("TopK: input must be float32, float16, bfloat16, int32 or int64, got ") +
            dataTypeName(x.type));
    if (attrs.indicesType != DataType::kINT32 && attrs.indicesType != DataType::kINT64)
        return invalidArgument(std::string("TopK: indices type must be int32 or int64, got ") +
                               dataTypeName(attrs.indicesType));
    KILN_ASSIGN_OR_RETURN(int axis, singleAxis("TopK", attrs.axes, x.shape));
    int64_t extent = x.shape.d[axis];
    int64_t k = attrs.k;
    bool kKnown = true;
    if (ctx.inputs.size() > 1 && ctx.inputs[1].present()) {
        const TensorDesc& kt = ctx.inputs[1];
        KILN_RETURN_IF_ERROR(checkTopKInput(kt.type, kt.shape));
        kKnown = kt.values != nullptr;
        if (kKnown) k = loadAsInt64(kt.type, kt.values, 0);
    }
    if (kKnown && k < 1)
        return invalidArgument("TopK: k must be >= 1, got " + std::to_string(k) + " for input " +
                               toString(x.shape));
    if (kKnown && extent >= 0 && k > extent)
        return invalidArgument("TopK: k = " + std::to_string(k) + " exceeds the extent " +
                               std::to_string(extent) + " of axis " + std::to_string(axis) + " of input " +
                               toString(x.shape));
    if (attrs.indicesType == DataType::kINT32 && extent > std::numeric_limits<int32_t>::max())
        return invalidArgument("TopK: int32 indices cannot address axis " + std::to_string(axis) +
                               " of extent " + std::to_string(extent) + "; use int64 indices");
    Dims out = x.shape;
    out.d[axis] = kKnown ? k : -1;
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = out;
    ctx.outputs[1].type = attrs.indicesType;
    ctx.outputs[1].shape = out;
    return Status::ok();
}

}  // namespace kiln::ir
