// What Kiln knows about CUDA devices on this machine. Compiled from backends/cuda/ when nvcc is found,
// else from backends/cuda_stub/, which reports no devices.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::backends {

struct CudaDeviceInfo {
    std::string name;
    int32_t smMajor{0};
    int32_t smMinor{0};
    int64_t totalMemory{0};
};

/// Number of usable CUDA devices; 0 without a driver or without CUDA support compiled in.
int32_t cudaDeviceCount();
/// Properties of device `index`; false if it does not exist.
bool cudaDeviceInfo(int32_t index, CudaDeviceInfo* info);
/// CUDA runtime version compiled against, e.g. 13000; 0 without CUDA.
int32_t cudaRuntimeVersion();
/// cuDNN / cuBLASLt versions of the libraries loaded at run time (cudnnGetVersion, cublasLtGetVersion); 0
/// without CUDA. Plans record them: tuned tactic ids are library algorithm numbers.
int32_t cudnnLibraryVersion();
int32_t cublasLtLibraryVersion();
/// "9.19.0" from 91900: cuDNN 9 and cuBLASLt both encode their versions as major * 10000 + minor * 100 +
/// patch.
inline std::string libraryVersionText(int32_t v) {
    return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}
/// True when this library was built with the CUDA backend.
bool cudaCompiledIn();

}  // namespace kiln::backends
