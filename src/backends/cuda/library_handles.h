// LibraryHandles: the cuBLASLt and cuDNN handles of one execution context, plus the Status conversions
// for both libraries' error codes. Handles are created once, outside enqueue (creating them allocates
// and may synchronize), and live as long as the context; kernels borrow them through
// KernelContext::libraries. A context enqueues on one stream at a time, so binding the cuDNN handle to
// the launch's stream (cudnnSetStream, a host-side assignment) per launch is safe; cuBLASLt takes the
// stream per call and needs no binding.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace kiln::cuda {

/// cuBLASLt status as Status: names the call and the library's own status name and description.
inline Status cublasStatus(cublasStatus_t st, const char* what) {
    if (st == CUBLAS_STATUS_SUCCESS) return Status::ok();
    return Status(
        st == CUBLAS_STATUS_ALLOC_FAILED ? ErrorCode::kFAILED_ALLOCATION : ErrorCode::kFAILED_EXECUTION,
        std::string(what) + " failed: " + cublasLtGetStatusName(st) + " (" + cublasLtGetStatusString(st) +
            ")");
}

/// cuDNN status as Status: names the call and cuDNN's message for the code.
inline Status cudnnStatus(cudnnStatus_t st, const char* what) {
    if (st == CUDNN_STATUS_SUCCESS) return Status::ok();
    return Status(
        st == CUDNN_STATUS_ALLOC_FAILED ? ErrorCode::kFAILED_ALLOCATION : ErrorCode::kFAILED_EXECUTION,
        std::string(what) + " failed: " + cudnnGetErrorString(st));
}

class LibraryHandles {
public:
    /// Creates both handles on the current CUDA device; fails (never aborts) when there is no device or a
    /// library cannot initialize, with the library's message.
    static StatusOr<std::unique_ptr<LibraryHandles>> create();
    ~LibraryHandles();
    LibraryHandles(const LibraryHandles&) = delete;
    LibraryHandles& operator=(const LibraryHandles&) = delete;

    cublasLtHandle_t cublasLt() const { return mCublasLt; }
    /// The cuDNN handle bound to `stream`: every cuDNN call of a launch goes through this.
    StatusOr<cudnnHandle_t> cudnnOn(cudaStream_t stream) const;

private:
    LibraryHandles() = default;
    cublasLtHandle_t mCublasLt{nullptr};
    cudnnHandle_t mCudnn{nullptr};
};

}  // namespace kiln::cuda

#define KILN_CUBLAS_RETURN_IF_ERROR(expr) KILN_RETURN_IF_ERROR(::kiln::cuda::cublasStatus((expr), #expr))
#define KILN_CUDNN_RETURN_IF_ERROR(expr) KILN_RETURN_IF_ERROR(::kiln::cuda::cudnnStatus((expr), #expr))
