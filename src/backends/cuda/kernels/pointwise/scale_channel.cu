// CUDA kernel for Scale: y = (x * scale + shift) ^ power on the float formats, computed in float32 (one
// fused multiply-add, then powf only when a power input is present) and rounded once on store. Shift, scale
// and power (inputs 1..3) are optional (absent: 0, 1, 1), each of any float format, holding one value
// (kUNIFORM), one per channel of channelAxis (kCHANNEL) or one per element of the dims from channelAxis
// on (kELEMENTWISE); element i uses coefficient (i / inner) % period, as in the reference
// (backends/reference/pointwise_scale.cc).
#include "backends/cuda/kernel_context.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"

namespace kiln::cuda {
namespace {

constexpr const char* kName = "Scale kernel";

/// A coefficient input: null data when absent. Coefficients are few, so reading them by run-time type
/// costs nothing measurable and avoids instantiating every (x, coefficient) format pair.
struct Coef {
    const void* data;
    DataType type;
    __device__ __forceinline__ float at(int64_t j, float absent) const {
        return data != nullptr ? loadScalar(type, data, j).f : absent;
    }
};

template <class S>
__global__ void __launch_bounds__(kBlockSize)
    scaleKernel(const S* __restrict__ x, S* __restrict__ y, int64_t n, int64_t inner, int64_t period,
                Coef shift, Coef scale, Coef power) {
    for (int64_t i = gridStart(); i < n; i += gridStep()) {
        int64_t j = 0;
        if (period > 1) {
            int64_t unused;
            divMod(divMod(i, inner, &unused), period, &j);
        }
        float v = fmaf(Elem<S>::load(x[i]), scale.at(j, 1.0f), shift.at(j, 0.0f));
        if (power.data != nullptr) v = powf(v, power.at(j, 1.0f));
        y[i] = Elem<S>::store(v);
    }
}

}  // namespace

Status runScale(const ir::ScaleAttrs& attrs, const KernelContext& ctx) {
    const TensorRef& x = ctx.inputs[0];
    const TensorRef& out = ctx.outputs[0];
    if (!isFloatType(x.type) || out.type != x.type || out.numel() != x.numel())
        return internalError(std::string(kName) + ": output " + dataTypeName(out.type) + toString(out.shape) +
                             " does not match input " + dataTypeName(x.type) + toString(x.shape));
    const int64_t n = x.numel();
    const int rank = x.shape.nbDims;
    const int axis = attrs.channelAxis;
    int64_t inner = 1;
    int64_t period = 1;
    bool knownMode = false;
    switch (attrs.mode) {
        case ScaleMode::kUNIFORM:
            knownMode = true;
            break;
        case ScaleMode::kCHANNEL:
        case ScaleMode::kELEMENTWISE:
            knownMode = true;
            if (axis < 0 || axis >= rank)
                return internalError(std::string(kName) + ": channel axis " + std::to_string(axis) +
                                     " outside rank " + std::to_string(rank) + " of input " +
                                     toString(x.shape));
            for (int d = axis + 1; d < rank; ++d) inner *= x.shape.d[d];
            period = x.shape.d[axis];
            if (attrs.mode == ScaleMode::kELEMENTWISE) {
                period *= inner;
                inner = 1;
            }
            break;
    }
    if (!knownMode)
        return internalError(std::string(kName) + ": unknown mode " +
                             std::to_string(static_cast<int32_t>(attrs.mode)));
    Coef coef[3] = {{nullptr, DataType::kFLOAT}, {nullptr, DataType::kFLOAT}, {nullptr, DataType::kFLOAT}};
    for (size_t k = 1; k < ctx.inputs.size() && k <= 3; ++k) {
        const TensorRef& c = ctx.inputs[k];
        if (c.data == nullptr || c.shape.nbDims < 0) continue;
        if (!isFloatType(c.type) || c.numel() != period)
            return internalError(std::string(kName) + ": coefficient input " + std::to_string(k) + " " +
                                 dataTypeName(c.type) + toString(c.shape) + " does not hold " +
                                 std::to_string(period) + " float values");
        coef[k - 1] = Coef{c.data, c.type};
    }
    if (n == 0) return Status::ok();
    return withFloatStorage(x.type, kName, [&](auto tag) {
        using S = decltype(tag);
        scaleKernel<S><<<gridFor(n), kBlockSize, 0, ctx.stream>>>(static_cast<const S*>(x.data),
                                                                  static_cast<S*>(out.data), n, inner, period,
                                                                  coef[0], coef[1], coef[2]);
        return launchStatus(kName);
    });
}

}  // namespace kiln::cuda
