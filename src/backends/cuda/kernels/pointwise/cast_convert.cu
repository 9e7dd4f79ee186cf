// CUDA kernels for Cast and Identity (a Cast to the output tensor's type): conversions between any two
// DataTypes under the reference's rules (backends/reference/pointwise.cc), bit for bit:
//   float -> float: correctly rounded to nearest even (fp8 saturates to +-448); NaN keeps its encoding rules;
//   float -> int:   truncation toward zero, saturating to the target's range (+-inf too); NaN gives 0;
//   int   -> float: correctly rounded, int64 included (through a round-to-odd float, never a double detour);
//   int   -> int:   two's complement wrap-around; any -> bool: x != 0 (NaN is true); bool -> any: 0 or 1.
// One kernel per source storage type reads into a Scalar (float or int64, both exact) and stores through a
// switch on the target type: nine instantiations instead of 81 pairs. Same-type copies are a device copy.
// The pairs models cast between (float32, float16, bfloat16, int32, int64 and bool, both ways) also have a
// typed functor for the shared pointwise launcher's 16-byte vector path (pointwise/map.cuh), taken when
// the pointers are aligned; it converts through the same storeScalar, so both give the same bits.
#include <type_traits>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"
#include "backends/cuda/kernels/pointwise/map.cuh"

namespace kiln::cuda {
namespace {

template <class Src>
__global__ void __launch_bounds__(kBlockSize)
    convertKernel(const Src* __restrict__ x, void* __restrict__ y, DataType to, int64_t n) {
    for (int64_t i = gridStart(); i < n; i += gridStep()) storeScalar(to, y, i, toScalar(x[i]));
}

/// Element type S converted to Dst by Cast's rules (storeScalar with a constant target type, which the
/// compiler folds).
template <class Src, class Dst, DataType kTo>
struct Convert {
    __device__ __forceinline__ Dst operator()(Src x) const {
        Dst d;
        storeScalar(kTo, &d, 0, toScalar(x));
        return d;
    }
};

/// Calls f(S{}, DataType-constant) for the types with a vectorized conversion; false for the others.
template <class F>
bool withVectorCastStorage(DataType t, F&& f) {
    using T = DataType;
    if (t == T::kFLOAT) {
        f(float{}, std::integral_constant<T, T::kFLOAT>{});
        return true;
    }
    if (t == T::kHALF) {
        f(Half{}, std::integral_constant<T, T::kHALF>{});
        return true;
    }
    if (t == T::kBF16) {
        f(Bf16{}, std::integral_constant<T, T::kBF16>{});
        return true;
    }
    if (t == T::kINT32) {
        f(int32_t{}, std::integral_constant<T, T::kINT32>{});
        return true;
    }
    if (t == T::kINT64) {
        f(int64_t{}, std::integral_constant<T, T::kINT64>{});
        return true;
    }
    if (t == T::kBOOL) {
        f(Bool{}, std::integral_constant<T, T::kBOOL>{});
        return true;
    }
    return false;
}

/// Enqueues the vectorized conversion when the types have one and the pointers are aligned for it.
bool tryVectorConvert(const TensorRef& src, const TensorRef& dst, cudaStream_t stream, const char* kernel,
                      Status* status) {
    bool launched = false;
    withVectorCastStorage(src.type, [&](auto srcTag, auto) {
        withVectorCastStorage(dst.type, [&](auto dstTag, auto to) {
            using S = decltype(srcTag);
            using D = decltype(dstTag);
            if constexpr (!std::is_same_v<S, D>) {
                auto* y = static_cast<D*>(dst.data);
                const auto* x = static_cast<const S*>(src.data);
                const PointwisePlan<1> plan = planFor(directIndexer(), src.numel(), y, x);
                if (!plan.vectorized) return;
                *status = launchRows(plan, stream, Convert<S, D, decltype(to)::value>{}, kernel, y, x);
                launched = true;
            }
        });
    });
    return launched;
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
    Status vectorStatus;
    if (tryVectorConvert(src, dst, stream, kernel, &vectorStatus)) return vectorStatus;
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
