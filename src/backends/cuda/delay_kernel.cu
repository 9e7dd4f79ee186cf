// enqueueDelay (kernel_context.h): a one-thread kernel spinning on the SM clock. A profiled run puts it in
// front of its launches, so the host has queued them all before the GPU reaches them and CUDA events
// measure device time, not host launch overhead.
#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernel_context.h"

namespace kiln::cuda {

namespace {

__global__ void spinKernel(long long cycles) {
    const long long start = clock64();
    while (clock64() - start < cycles) {
    }
}

}  // namespace

Status enqueueDelay(cudaStream_t stream, int32_t microseconds) {
    int device = 0, khz = 0;
    KILN_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
    KILN_CUDA_RETURN_IF_ERROR(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device));
    spinKernel<<<1, 1, 0, stream>>>(static_cast<long long>(khz) * microseconds / 1000);
    return cudaStatus(cudaGetLastError(), "launching the autotuner's delay kernel");
}

}  // namespace kiln::cuda
