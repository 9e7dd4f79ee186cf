// CUDA errors as Status: KILN_CUDA_RETURN_IF_ERROR(expr) returns an internal error naming the call, the
// CUDA error name and its message, so a failed launch is reported, never aborted on.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "common/status.h"

namespace kiln::cuda {

inline Status cudaStatus(cudaError_t err, const char* what) {
    if (err == cudaSuccess) return Status::ok();
    return Status(err == cudaErrorMemoryAllocation ? ErrorCode::kFAILED_ALLOCATION : ErrorCode::kFAILED_EXECUTION,
                  std::string(what) + " failed: " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

}  // namespace kiln::cuda

#define KILN_CUDA_RETURN_IF_ERROR(expr) KILN_RETURN_IF_ERROR(::kiln::cuda::cudaStatus((expr), #expr))
