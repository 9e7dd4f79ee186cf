// LibraryHandles: creation and destruction of one context's cuBLASLt and cuDNN handles.
#include "backends/cuda/library_handles.h"

namespace kiln::cuda {

StatusOr<std::unique_ptr<LibraryHandles>> LibraryHandles::create() {
    int devices = 0;
    cudaError_t err = cudaGetDeviceCount(&devices);
    if (err != cudaSuccess || devices == 0) {
        cudaGetLastError();  // clear the sticky "no driver" error so later queries start clean
        return invalidState(std::string("cuBLASLt/cuDNN handles need a CUDA device, found none (") +
                            (err == cudaSuccess ? "0 devices" : cudaGetErrorString(err)) +
                            "); run on a machine with an NVIDIA GPU or build for the cpu target");
    }
    // Not make_unique: the constructor is private so handles only exist fully created.
    std::unique_ptr<LibraryHandles> h(new LibraryHandles());
    KILN_CUBLAS_RETURN_IF_ERROR(cublasLtCreate(&h->mCublasLt));
    KILN_CUDNN_RETURN_IF_ERROR(cudnnCreate(&h->mCudnn));  // on failure the destructor frees cuBLASLt
    return h;
}

LibraryHandles::~LibraryHandles() {
    // Destruction errors cannot be reported from a destructor; both calls only release host and device
    // resources of this context.
    if (mCudnn) cudnnDestroy(mCudnn);
    if (mCublasLt) cublasLtDestroy(mCublasLt);
}

StatusOr<cudnnHandle_t> LibraryHandles::cudnnOn(cudaStream_t stream) const {
    KILN_CUDNN_RETURN_IF_ERROR(cudnnSetStream(mCudnn, stream));
    return mCudnn;
}

}  // namespace kiln::cuda
