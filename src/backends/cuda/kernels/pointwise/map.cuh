// The one-input pointwise kernel shared by Activation and Unary: y[i] = f(x[i]), loading x into its
// compute type (float for the float formats, int64 for integers and bool) and storing f's result into the
// output's storage type. One grid-stride loop; a functor per operation keeps each instantiation small.
#pragma once

#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/cuda/kernels/common/indexing.cuh"
#include "backends/cuda/kernels/common/launch.cuh"

namespace kiln::cuda {

template <class In, class Out, class F>
__global__ void __launch_bounds__(kBlockSize)
    mapKernel(const In* __restrict__ x, Out* __restrict__ y, int64_t n, F f) {
    for (int64_t i = gridStart(); i < n; i += gridStep()) y[i] = Elem<Out>::store(f(Elem<In>::load(x[i])));
}

/// Enqueues y = f(x) over x's elements; nothing for an empty tensor. The caller has checked that y has
/// as many elements (checkSameCount), which keeps string-building code out of the instantiations.
template <class In, class Out, class F>
Status launchMap(const TensorRef& x, const TensorRef& y, cudaStream_t stream, F f, const char* kernel) {
    const int64_t n = x.numel();
    if (n == 0) return Status::ok();
    mapKernel<In, Out><<<gridFor(n), kBlockSize, 0, stream>>>(static_cast<const In*>(x.data),
                                                              static_cast<Out*>(y.data), n, f);
    return launchStatus(kernel);
}

inline Status checkSameCount(const TensorRef& x, const TensorRef& y, const char* kernel) {
    if (x.numel() == y.numel()) return Status::ok();
    return internalError(std::string(kernel) + ": output " + toString(y.shape) + " differs from input " +
                         toString(x.shape));
}

}  // namespace kiln::cuda
