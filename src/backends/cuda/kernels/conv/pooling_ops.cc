// CUDA runPooling: the host half of pooling_direct.cu and pooling_channels_last.cu. The geometry (window,
// stride, dilation, padding, SAME modes, global windows) is resolved by the reference kernel's own
// poolingGeometry (backends/reference/conv_common.h, header-only), so the GPU pools exactly the windows the
// oracle pools; output extents come from the output tensor, as there. Channels-last pooling (2-D,
// [N, H, W, C]) resolves the same geometry on the channels-first view and launches
// pooling_channels_last.cu instead.
#include <string>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/common/reduce_host.h"
#include "backends/cuda/kernels/conv/pooling_launch.h"
#include "backends/reference/conv_common.h"

namespace kiln::cuda {

Status runPooling(const ir::PoolingAttrs& a, const KernelContext& ctx) {
    namespace cd = reference::conv_detail;
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& y = ctx.outputs[0];
    float maxWeight = 1.0f, averageWeight = 0.0f;
    switch (a.type) {
        case PoolingType::kMAX:
            break;
        case PoolingType::kAVERAGE:
            maxWeight = 0.0f;
            averageWeight = 1.0f;
            break;
        case PoolingType::kMAX_AVERAGE_BLEND:
            maxWeight = 1.0f - a.blendFactor;
            averageWeight = a.blendFactor;
            break;
    }
    const bool intMax =
        a.type == PoolingType::kMAX && (x.type == DataType::kINT8 || x.type == DataType::kUINT8);
    KILN_CHECK_ARG((isFloatType(x.type) || intMax) && y.type == x.type,
                   "Pooling: input " << dataTypeName(x.type) << " / output " << dataTypeName(y.type)
                                     << " must be the same float type (int8/uint8 for max pooling only)");
    KILN_ASSIGN_OR_RETURN(rk::ValueType type, rk::kernelType("Pooling", "the input", x.type));
    // The kernels write the pooled values only: an indices output (ONNX MaxPool's second output) would be
    // left unwritten, so it is refused here and the build names the layer instead of running it wrong.
    if (ctx.outputs.size() > 1 && ctx.outputs[1].data)
        return unsupported("Pooling on CUDA: the indices output (output 1, " + toString(ctx.outputs[1].shape) +
                           ") has no CUDA kernel yet; drop the indices output or build for the cpu target");
    if (a.channelsLast) {
        KILN_CHECK_ARG(x.shape.nbDims == 4 && y.shape.nbDims == 4,
                       "Pooling: channels-last pooling takes 2-D [N, H, W, C] tensors, got input "
                           << toString(x.shape) << " and output " << toString(y.shape)
                           << "; clear channelsLast for 1-D or 3-D pooling");
        KILN_CHECK_ARG(ctx.outputs.size() == 1, "Pooling: channels-last pooling has no indices output, got "
                                                    << ctx.outputs.size() << " outputs");
    }
    // The geometry is resolved on the channels-first view; only the launch differs per layout.
    const Dims xs = a.channelsLast ? channelsFirstDims(x.shape) : x.shape;
    const Dims ys = a.channelsLast ? channelsFirstDims(y.shape) : y.shape;

    KILN_ASSIGN_OR_RETURN(const cd::Geometry g, cd::poolingGeometry(a, xs, ys));
    // A global window with one output per plane is a plane reduction; a "global" output larger than 1
    // (impossible after inference) takes the windowed path.
    const bool global = a.global && g.outVolume() == 1;
    rk::PoolGeometry pg;
    pg.planes = xs.d[0] * xs.d[1];
    for (int i = 0; i < cd::kSpatial; ++i) {
        pg.in[i] = g.in[i];
        pg.out[i] = g.out[i];
        pg.kernel[i] = g.kernel[i];
        pg.stride[i] = g.stride[i];
        pg.dilation[i] = g.dilation[i];
        pg.pre[i] = g.pre[i];
        pg.post[i] = g.post[i];
    }
    if (a.channelsLast) {
        KILN_CUDA_RETURN_IF_ERROR(rk::launchPoolingChannelsLast(type, x.data, y.data, pg, xs.d[1], maxWeight,
                                                                averageWeight, a.averageCountExcludesPadding,
                                                                global, ctx.stream));
        return Status::ok();
    }
    KILN_CUDA_RETURN_IF_ERROR(rk::launchPooling(type, x.data, y.data, pg, maxWeight, averageWeight,
                                                a.averageCountExcludesPadding, global, ctx.stream));
    return Status::ok();
}

}  // namespace kiln::cuda
