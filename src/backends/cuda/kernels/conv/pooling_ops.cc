// CUDA runPooling: the host half of pooling_direct.cu. The geometry (window, stride, dilation, padding,
// SAME modes, global windows) is resolved by the reference kernel's own helpers
// (backends/reference/conv_common.h, header-only), so the GPU pools exactly the windows the oracle pools;
// output extents come from the output tensor, as there.
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

    cd::Geometry g;
    KILN_RETURN_IF_ERROR(cd::readExtents("Pooling", x.shape, y.shape, &g));
    KILN_CHECK_ARG(
        y.shape.d[0] == x.shape.d[0] && y.shape.d[1] == x.shape.d[1],
        "Pooling: output " << toString(y.shape) << " must keep the N and C of input " << toString(x.shape));
    if (a.global) {
        for (int i = 0; i < cd::kSpatial; ++i) g.kernel[i] = g.in[i];
    } else {
        KILN_CHECK_ARG(a.windowSize.nbDims == g.nbSpatial,
                       "Pooling: windowSize " << toString(a.windowSize)
                                              << " must have one entry per spatial dim of input "
                                              << toString(x.shape));
        KILN_RETURN_IF_ERROR(cd::readSpatial("Pooling", "windowSize", a.windowSize, g.nbSpatial, g.kernel));
        KILN_RETURN_IF_ERROR(cd::readSpatial(
            "Pooling", "stride", a.stride.nbDims > 0 ? a.stride : a.windowSize, g.nbSpatial, g.stride));
        KILN_RETURN_IF_ERROR(cd::readSpatial("Pooling", "dilation", a.dilation, g.nbSpatial, g.dilation));
        KILN_RETURN_IF_ERROR(cd::readSpatial("Pooling", "prePadding", a.prePadding, g.nbSpatial, g.pre));
        KILN_RETURN_IF_ERROR(cd::readSpatial("Pooling", "postPadding", a.postPadding, g.nbSpatial, g.post));
        for (int i = 0; i < cd::kSpatial; ++i)
            KILN_CHECK_ARG(g.stride[i] >= 1 && g.dilation[i] >= 1 && g.kernel[i] >= 1,
                           "Pooling: window, stride and dilation entries must be >= 1, got window "
                               << toString(a.windowSize) << ", stride " << toString(a.stride) << ", dilation "
                               << toString(a.dilation));
        cd::resolveSamePadding(a.paddingMode, &g);
    }
    // A global window with one output per plane is a plane reduction; a "global" output larger than 1
    // (impossible after inference) takes the windowed path.
    const bool global = a.global && g.outVolume() == 1;
    rk::PoolGeometry pg;
    pg.planes = x.shape.d[0] * x.shape.d[1];
    for (int i = 0; i < cd::kSpatial; ++i) {
        pg.in[i] = g.in[i];
        pg.out[i] = g.out[i];
        pg.kernel[i] = g.kernel[i];
        pg.stride[i] = g.stride[i];
        pg.dilation[i] = g.dilation[i];
        pg.pre[i] = g.pre[i];
        pg.post[i] = g.post[i];
    }
    KILN_CUDA_RETURN_IF_ERROR(rk::launchPooling(type, x.data, y.data, pg, maxWeight, averageWeight,
                                                a.averageCountExcludesPadding, global, ctx.stream));
    return Status::ok();
}

}  // namespace kiln::cuda
