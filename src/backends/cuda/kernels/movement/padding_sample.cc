// CUDA Padding: a slice of the input starting at -prePadding on the padded (trailing) dims, each fill mode
// being one of Slice's out-of-bounds rules (kCONSTANT -> kFILL with the value encoded in the output type on
// the host, kREFLECT -> kREFLECT, kEDGE -> kCLAMP, kWRAP -> kWRAP). Host code only: the kernel is Slice's
// (movement/slice_sample.cu).
#include <cstring>
#include <string>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/movement/sample.h"

namespace kiln::cuda {

Status runPadding(const ir::PaddingAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& in = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    const int rank = in.shape.nbDims;
    const int nbPadded = attrs.prePadding.nbDims;
    if (in.type != out.type || out.shape.nbDims != rank || attrs.postPadding.nbDims != nbPadded ||
        nbPadded > rank)
        return internalError("Padding: input " + toString(in.shape) + ", output " + toString(out.shape) +
                             " and padding " + toString(attrs.prePadding) + "/" +
                             toString(attrs.postPadding) + " are inconsistent");
    SampleMode mode = SampleMode::kFILL;
    bool knownMode = false;
    switch (attrs.mode) {
        case PaddingFillMode::kCONSTANT:
            mode = SampleMode::kFILL;
            knownMode = true;
            break;
        case PaddingFillMode::kREFLECT:
            mode = SampleMode::kREFLECT;
            knownMode = true;
            break;
        case PaddingFillMode::kEDGE:
            mode = SampleMode::kCLAMP;
            knownMode = true;
            break;
        case PaddingFillMode::kWRAP:
            mode = SampleMode::kWRAP;
            knownMode = true;
            break;
    }
    if (!knownMode)
        return invalidArgument("Padding: unknown fill mode " + std::to_string(static_cast<int>(attrs.mode)));
    int64_t start[kMAX_DIMS] = {};
    int64_t stride[kMAX_DIMS] = {};
    for (int d = 0; d < rank; ++d) {
        const int j = d - (rank - nbPadded);  // index into the padding, < 0 for unpadded leading dims
        start[d] = j >= 0 ? -attrs.prePadding.d[j] : 0;
        stride[d] = 1;
        if (mode != SampleMode::kFILL && in.shape.d[d] == 0 && out.shape.d[d] > 0)
            return invalidArgument("Padding: dimension " + std::to_string(d) + " of input " +
                                   toString(in.shape) + " is empty; only constant padding can fill it");
    }
    // The value encoded in the output type as the reference encodes it.
    uint8_t bytes[sizeof(uint64_t)] = {};
    storeFromDouble(out.type, bytes, 0, static_cast<double>(attrs.value));
    FillValue fill;
    std::memcpy(&fill.bits, bytes, sizeof bytes);
    return launchSample(in, out, start, stride, mode, fill, ctx.stream, "Padding kernel");
}

}  // namespace kiln::cuda
