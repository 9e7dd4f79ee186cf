// Reference kernel for Slice (TensorRT's ISliceLayer): out[i] = in[start + i * stride] per dim, with
// out-of-bounds coordinates handled by the SampleMode. Start and stride come from inputs 1 and 3 when
// present (their values are only final at run time), the size is the output's shape, and input 4 holds
// the fill value for kFILL (converted to the output type when its type differs).
#include <cstring>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"
#include "backends/reference/movement_common.h"

namespace kiln::reference {
namespace {

StatusOr<std::vector<int64_t>> sliceParam(const KernelContext& ctx, size_t index, const Dims& attr,
                                          int64_t fallback, const char* name) {
    const int rank = ctx.inputs[0].shape.nbDims;
    std::vector<int64_t> v;
    if (index < ctx.inputs.size() && ctx.inputs[index].data) {
        const TensorRef& t = ctx.inputs[index];
        if (t.type != DataType::kINT32 && t.type != DataType::kINT64)
            return invalidArgument(std::string("Slice: ") + name + " (input " + std::to_string(index) +
                                   ") must be int32 or int64, got " + dataTypeName(t.type));
        for (int64_t i = 0; i < t.numel(); ++i) v.push_back(loadAsInt64(t.type, t.data, i));
    } else if (attr.nbDims == 0) {
        v.assign(static_cast<size_t>(rank), fallback);
    } else {
        v = toVector(attr);
    }
    if (static_cast<int>(v.size()) != rank)
        return invalidArgument(std::string("Slice: ") + name + " has " + std::to_string(v.size()) +
                               " entries, expected the input's rank " + std::to_string(rank));
    return v;
}

}  // namespace

Status runSlice(const ir::SliceAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    if (in.type != out.type || out.shape.nbDims != rank)
        return internalError("Slice: output " + std::string(dataTypeName(out.type)) + toString(out.shape) +
                             " does not match input " + dataTypeName(in.type) + toString(in.shape));
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> start, sliceParam(ctx, 1, attrs.start, 0, "start"));
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> stride, sliceParam(ctx, 3, attrs.stride, 1, "stride"));

    // Zero bytes are zero in every DataType, so the default fill needs no conversion.
    uint8_t fill[8] = {};
    if (ctx.inputs.size() > 4 && ctx.inputs[4].data) {
        const TensorRef& f = ctx.inputs[4];
        if (f.numel() != 1)
            return invalidArgument("Slice: the fill value (input 4) must hold one element, got shape " +
                                   toString(f.shape));
        if (f.type == out.type)
            std::memcpy(fill, f.data, static_cast<size_t>(dataTypeSize(f.type)));
        else if (isFloatType(out.type) || isFloatType(f.type))
            storeFromDouble(out.type, fill, 0, loadAsDouble(f.type, f.data, 0));
        else
            storeFromInt64(out.type, fill, 0, loadAsInt64(f.type, f.data, 0));
    }

    AxisMaps maps(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
        const int64_t n = in.shape.d[d];
        auto& map = maps[static_cast<size_t>(d)];
        map.resize(static_cast<size_t>(out.shape.d[d]));
        for (int64_t i = 0; i < out.shape.d[d]; ++i) {
            const int64_t x = start[static_cast<size_t>(d)] + i * stride[static_cast<size_t>(d)];
            const int64_t c = sampleCoordinate(attrs.mode, x, n);
            if (c == kBadMode)
                return invalidArgument("Slice: unknown mode " + std::to_string(static_cast<int>(attrs.mode)));
            if (c == kOutOfBounds)
                return invalidArgument("Slice: index " + std::to_string(x) + " (output position " +
                                       std::to_string(i) + ") is outside [0, " + std::to_string(n) +
                                       ") in dimension " + std::to_string(d) + " of input " +
                                       toString(in.shape) +
                                       (n == 0 ? ", which is empty" : " in kSTRICT_BOUNDS mode"));
            map[static_cast<size_t>(i)] = c;
        }
    }
    gatherByAxisMaps(ctx, in, out, maps, fill);
    return Status::ok();
}

}  // namespace kiln::reference
