// CUDA device queries (the first piece of the CUDA backend; kernels arrive with the CUDA backend issue).
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

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
int32_t cudnnLibraryVersion() { return static_cast<int32_t>(cudnnGetVersion()); }
int32_t cublasLtLibraryVersion() { return static_cast<int32_t>(cublasLtGetVersion()); }
bool cudaCompiledIn() { return true; }

}  // namespace kiln::backends
