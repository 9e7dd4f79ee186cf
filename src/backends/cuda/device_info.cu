// CUDA device queries (the first piece of the CUDA backend; kernels arrive with the CUDA backend issue).
#include <cuda_runtime.h>

#include "backends/device_info.h"

namespace kiln::backends {

int32_t cudaDeviceCount() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();  // clear the sticky "no driver" error
        return 0;
    }
    return n;
}

bool cudaDeviceInfo(int32_t index, CudaDeviceInfo* info) {
    cudaDeviceProp prop{};
    if (index < 0 || index >= cudaDeviceCount() || cudaGetDeviceProperties(&prop, index) != cudaSuccess) return false;
    info->name = prop.name;
    info->smMajor = prop.major;
    info->smMinor = prop.minor;
    info->totalMemory = static_cast<int64_t>(prop.totalGlobalMem);
    return true;
}

int32_t cudaRuntimeVersion() { return CUDART_VERSION; }
bool cudaCompiledIn() { return true; }

}  // namespace kiln::backends
