// Shape/type inference for the reduce family: SoftMax, Reduce, TopK. All three name their axes with a
// TensorRT bitmask (bit i = axis i). SoftMax and TopK take exactly one axis; Reduce takes one or more
// (TensorRT rejects an empty mask, and so do we: "reduce nothing" is almost always an importer bug).
#include <limits>
#include <sstream>

#include "common/dims.h"
#include "common/tensor_ref.h"
#include "ir/infer.h"

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
    KILN_RETURN_IF_ERROR(checkAxisMask("Reduce", attrs.axes, x.shape));
    // Max and min of nothing have no value; an integer mean of nothing would divide by zero. A float mean
    // of nothing is NaN, as in numpy. Only known extents can be checked here; the kernel checks again.
    bool needsElements = attrs.op == ReduceOperation::kMAX || attrs.op == ReduceOperation::kMIN ||
                         (attrs.op == ReduceOperation::kAVG && !isFloatCompute(x.type));
    Dims out;
    out.nbDims = 0;
    for (int i = 0; i < x.shape.nbDims; ++i) {
        bool reduced = ((attrs.axes >> i) & 1u) != 0;
        if (reduced && needsElements && x.shape.d[i] == 0)
            return invalidArgument(std::string("Reduce: ") + name + " over " + dataTypeName(x.type) +
                                   " needs a non-empty reduction, but axis " + std::to_string(i) +
                                   " of input " + toString(x.shape) + " has extent 0");
        if (!reduced)
            out.d[out.nbDims++] = x.shape.d[i];
        else if (attrs.keepDims)
            out.d[out.nbDims++] = 1;
    }
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = out;
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
    if (attrs.k < 1)
        return invalidArgument("TopK: k must be >= 1, got " + std::to_string(attrs.k) + " for input " +
                               toString(x.shape));
    if (extent >= 0 && attrs.k > extent)
        return invalidArgument("TopK: k = " + std::to_string(attrs.k) + " exceeds the extent " +
                               std::to_string(extent) + " of axis " + std::to_string(axis) + " of input " +
                               toString(x.shape));
    if (attrs.indicesType == DataType::kINT32 && extent > std::numeric_limits<int32_t>::max())
        return invalidArgument("TopK: int32 indices cannot address axis " + std::to_string(axis) +
                               " of extent " + std::to_string(extent) + "; use int64 indices");
    Dims out = x.shape;
    out.d[axis] = attrs.k;
    ctx.outputs[0].type = x.type;
    ctx.outputs[0].shape = out;
    ctx.outputs[1].type = attrs.indicesType;
    ctx.outputs[1].shape = out;
    return Status::ok();
}

}  // namespace kiln::ir
