// Inference dispatch and the helpers shared by the per-family inference files.
#include "ir/infer.h"

#include <sstream>

#include "common/dims.h"
#include "common/tensor_ref.h"

namespace kiln::ir {

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
    switch (opKindOf(attrs)) {
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) \
    case OpKind::k##Name:                                   \
        return infer##Name(std::get<Name##Attrs>(attrs), ctx);
#include "ir/ops.def"
#undef KILN_OP
    }
    return internalError("inferNode: op kind out of range");
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
