# Finds the libraries Kiln builds on; every one comes from Debian's packages (see scripts/setup.sh).
find_package(Threads REQUIRED)
find_package(FlatBuffers CONFIG REQUIRED)
find_program(KILN_FLATC flatc REQUIRED)

set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_path(KILN_CBLAS_INCLUDE cblas.h PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas
          REQUIRED)

find_path(KILN_CLI11_INCLUDE CLI/CLI.hpp REQUIRED)
find_package(nlohmann_json CONFIG QUIET)

set(KILN_HAS_CUDA OFF)
if(KILN_ENABLE_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_ARCHITECTURES ${KILN_CUDA_ARCHITECTURES})
    enable_language(CUDA)
    # C++20 like the host code: the kernel contract (backends/cuda/kernel_context.h) uses std::span.
    # CMake < 3.26 does not know nvcc's C++20 flag, which nvcc has had since 12.0.
    if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    # cuDNN 9 (convolutions) ships beside the toolkit or in the system library folders; the CUDA backend
    # links it and cuBLASLt as shared libraries. A CPU-only build never looks for either.
    find_library(KILN_CUDNN_LIBRARY NAMES cudnn
                 HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_TARGET_DIR}/lib64 ${CUDAToolkit_TARGET_DIR}/lib)
    find_path(KILN_CUDNN_INCLUDE cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
    if(NOT KILN_CUDNN_LIBRARY OR NOT KILN_CUDNN_INCLUDE OR NOT TARGET CUDA::cublasLt)
      # A toolkit without cuDNN (or cuBLASLt) still gives a working CPU-only Kiln: say what is missing and
      # how to get the GPU backend, rather than fail the README's commands on such a machine.
      message(WARNING "Kiln: nvcc was found but cuDNN 9 or cuBLASLt was not (cuDNN library: ${KILN_CUDNN_LIBRARY}, "
                      "header: ${KILN_CUDNN_INCLUDE}); building WITHOUT the CUDA backend. Install cuDNN 9 for "
                      "CUDA ${CUDAToolkit_VERSION_MAJOR} (and cuBLASLt) and reconfigure to get it.")
    else()
      set(KILN_HAS_CUDA ON)
    endif()
  endif()
endif()
message(STATUS "Kiln: CUDA backend ${KILN_HAS_CUDA} (architectures ${KILN_CUDA_ARCHITECTURES})")
