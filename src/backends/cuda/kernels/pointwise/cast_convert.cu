// CUDA kernels for Cast and Identity (a Cast to the output tensor's type): conversions between any two
// DataTypes under the reference's rules (backends/reference/pointwise.cc), bit for bit:
//   float -> float: correctly rounded to nearest even (fp8 saturates to +-448); NaN keeps its encoding rules;
//   float -> int:   truncation toward zero, saturating to the target's range (+-inf too); NaN gives 0;
//   int   -> float: correctly rounded, int64 included (through a round-to-odd float, never a double detour);
//   int   -> int:   two's complement wrap-around; any -> bool: x != 0 (NaN is true); bool -> any: 0 or 1.
// One kernel per source storage type reads into a Scalar (float or int64, both exact) and stores through a
// switch on the target type: nine instantiations instead of 81 pairs. Same-type copies are a device copy.
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"

namespace kiln::cuda {
namespace {

template <class Src>
__global__ void __launch_bounds__(kBlockSize)
    convertKernel(const Src* __restrict__ x, void* __restrict__ y, DataType to, int64_t n) {
    for (int64_t i = gridStart(); i < n; i += gridStep()) storeScalar(to, y, i, toScalar(x[i]));
}

Status convert(const TensorRef& src, const TensorRef& dst, cudaStream_t stream, const char* kernel) {
    if (src.numel() != dst.numel())
        return internalError(std::string(kernel) + ": output " + toString(dst.shape) +
                             " differs from input " + toString(src.shape));
    const int64_t n = src.numel();
    if (n == 0) return Status::ok();
    if (src.type == dst.type) {
        if (src.data == dst.data) return Status::ok();
        KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst.data, src.data, static_cast<size_t>(src.bytes()),
                                                  cudaMemcpyDeviceToDevice, stream));
        return Status::ok();
    }
    return withAnyStorage(src.type, [&](auto tag) {
        using S = decltype(tag);
        convertKernel<S>
            <<<gridFor(n), kBlockSize, 0, stream>>>(static_cast<const S*>(src.data), dst.data, dst.type, n);
        return launchStatus(kernel);
    });
}

}  // namespace

Status runCast(const ir::CastAttrs& attrs, const KernelContext& ctx) {
    if (ctx.outputs[0].type != attrs.toType)
        return internalError(std::string("Cast kernel: output type ") + dataTypeName(ctx.outputs[0].type) +
                             " is not the target type " + dataTypeName(attrs.toType));
    return convert(ctx.inputs[0], ctx.outputs[0], ctx.stream, "Cast kernel");
}

Status runIdentity(const ir::IdentityAttrs&, const KernelContext& ctx) {
    return convert(ctx.inputs[0], ctx.outputs[0], ctx.stream, "Identity kernel");
}

}  // namespace kiln::cuda
