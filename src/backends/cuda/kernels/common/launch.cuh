// Helpers for launching the CUDA kernels: the grid of a grid-stride loop and its bounds on the device, the
// check that turns a failed launch into a Status, and the switches from a run-time DataType (or element size)
// to the few storage types a kernel template is instantiated for. Keeping these switches in one place is what
// keeps the number of template instantiations (and the CI compile time) small.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "backends/cuda/cuda_status.h"
#include "backends/cuda/kernels/common/dtype.cuh"
#include "common/tensor_ref.h"
#include "common/storage_types.h"

namespace kiln::cuda {

constexpr int kBlockSize = 256;
/// Enough blocks of kBlockSize threads to fill any current GPU several times over (an H100 holds 1056 at
/// full occupancy); past that, the grid-stride loop gives each thread more elements instead.
constexpr int64_t kMaxBlocks = 8192;

/// First index and stride of a grid-stride loop over [0, n).
__device__ __forceinline__ int64_t gridStart() {
    return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t gridStep() {
    return static_cast<int64_t>(blockDim.x) * gridDim.x;
}

inline unsigned gridFor(int64_t n) {
    return static_cast<unsigned>(std::clamp<int64_t>((n + kBlockSize - 1) / kBlockSize, 1, kMaxBlocks));
}

/// The Status of the launch just made (a bad configuration shows up here; faults show up at the sync).
inline Status launchStatus(const char* kernel) {
    return cudaStatus(cudaGetLastError(), kernel);
}

/// Calls f(S{}) with S the storage type of float DataType t; an unsupported Status otherwise.
template <class F>
Status withFloatStorage(DataType t, const char* what, F&& f) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kFLOAT:
            return f(float{});
        case DataType::kHALF:
            return f(Half{});
        case DataType::kBF16:
            return f(Bf16{});
        case DataType::kFP8:
            return f(Fp8{});
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
            break;
    }
    return internalError(std::string(what) + ": expected float32, float16, bfloat16 or float8_e4m3, got " +
                         dataTypeName(t));
}

/// Calls f(S{}) with S the storage type of integer DataType t; an unsupported Status otherwise.
template <class F>
Status withIntStorage(DataType t, const char* what, F&& f) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kINT8:
            return f(int8_t{});
        case DataType::kUINT8:
            return f(uint8_t{});
        case DataType::kINT32:
            return f(int32_t{});
        case DataType::kINT64:
            return f(int64_t{});
        case DataType::kFLOAT:
        case DataType::kHALF:
        case DataType::kBF16:
        case DataType::kFP8:
        case DataType::kBOOL:
            break;
    }
    return internalError(std::string(what) + ": expected int8, uint8, int32 or int64, got " +
                         dataTypeName(t));
}

/// Calls f(S{}) with S the storage type of any DataType.
template <class F>
Status withAnyStorage(DataType t, F&& f) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kFLOAT:
            return f(float{});
        case DataType::kHALF:
            return f(Half{});
        case DataType::kBF16:
            return f(Bf16{});
        case DataType::kFP8:
            return f(Fp8{});
        case DataType::kINT8:
            return f(int8_t{});
        case DataType::kUINT8:
            return f(uint8_t{});
        case DataType::kINT32:
            return f(int32_t{});
        case DataType::kINT64:
            return f(int64_t{});
        case DataType::kBOOL:
            return f(Bool{});
    }
    return internalError("unknown data type " + std::to_string(static_cast<int32_t>(t)));
}

/// Calls f(W{}) with W an unsigned word of `bytes` bytes (1, 2, 4 or 8: an element of any DataType).
/// Kernels that move elements without interpreting them need one instantiation per size, not per type.
template <class F>
Status withElementWord(int64_t bytes, F&& f) {
    switch (bytes) {
        case 1:
            return f(uint8_t{});
        case 2:
            return f(uint16_t{});
        case 4:
            return f(uint32_t{});
        case 8:
            return f(uint64_t{});
        default:
            break;
    }
    return internalError("no element word of " + std::to_string(bytes) + " bytes");
}

/// As withElementWord, plus 16-byte words for plain copies of aligned runs (see widestWord).
template <class F>
Status withCopyWord(int64_t bytes, F&& f) {
    if (bytes == 16) return f(uint4{});
    return withElementWord(bytes, f);
}

/// Largest word size (up to 16 bytes) that divides every value of `sizes`, pointers included: the
/// widest load/store a copy made of those sizes and addresses can use.
template <class... T>
int64_t widestWord(T... sizes) {
    const uint64_t all = (static_cast<uint64_t>(sizes) | ... | 0u);
    for (int64_t w = 16; w > 1; w /= 2)
        if ((all & static_cast<uint64_t>(w - 1)) == 0) return w;
    return 1;
}

}  // namespace kiln::cuda
