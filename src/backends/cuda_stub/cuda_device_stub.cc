// Device queries when Kiln is built without CUDA: no devices.
#include "backends/device_info.h"

namespace kiln::backends {

int32_t cudaDeviceCount() { return 0; }
bool cudaDeviceInfo(int32_t, CudaDeviceInfo*) { return false; }
int32_t cudaRuntimeVersion() { return 0; }
int32_t cudnnLibraryVersion() { return 0; }
int32_t cublasLtLibraryVersion() { return 0; }
bool cudaCompiledIn() { return false; }

}  // namespace kiln::backends
