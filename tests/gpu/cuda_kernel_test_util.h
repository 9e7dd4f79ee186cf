// Harness for the CUDA kernel tests (cuda_matmul_test.cc, cuda_conv_test.cc): one process-wide device
// environment (stream, cuBLASLt/cuDNN handles, workspace), device buffers, a runner that uploads host
// tensors, calls one cuda::run##Name-style function, synchronizes and downloads the outputs, and the
// tolerance/compare helpers. Outputs are pre-filled with NaN bit patterns, so an element a kernel never
// writes fails the comparison instead of passing on a lucky zero. Only compiled with CUDA.
#pragma once

#if KILN_HAS_CUDA

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda/kernel_context.h"
#include "backends/cuda/library_handles.h"
#include "backends/device_info.h"
#include "common/host_tensor.h"
#include "common/storage_types.h"

namespace kiln::gputest {

/// Workspace every test launch gets unless it asks for less: larger than any algorithm the small test
/// shapes pick, so the tests check results, not workspace fitting (which has its own tests).
constexpr int64_t kWorkspaceBytes = int64_t{64} << 20;

/// Owns a device allocation; `offsetBytes` shifts the pointer handed out, to test misaligned operands.
class DeviceBuffer {
public:
    DeviceBuffer() = default;
    DeviceBuffer(int64_t bytes, int64_t offsetBytes = 0) : mOffset(offsetBytes) {
        if (cudaMalloc(&mBase, static_cast<size_t>(std::max<int64_t>(bytes + offsetBytes, 1))) !=
            cudaSuccess) {
            cudaGetLastError();
            mBase = nullptr;
        }
    }
    ~DeviceBuffer() {
        if (mBase) cudaFree(mBase);
    }
    DeviceBuffer(DeviceBuffer&& o) noexcept : mBase(o.mBase), mOffset(o.mOffset) { o.mBase = nullptr; }
    DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
        std::swap(mBase, o.mBase);
        std::swap(mOffset, o.mOffset);
        return *this;
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    void* get() const { return mBase ? static_cast<char*>(mBase) + mOffset : nullptr; }

private:
    void* mBase{nullptr};
    int64_t mOffset{0};
};

/// Stream, library handles and workspace shared by every test of the process. Intentionally never
/// destroyed: destroying cuDNN/cuBLASLt handles during static destruction races the CUDA runtime's own
/// teardown.
struct DeviceEnv {
    cudaStream_t stream{nullptr};
    std::unique_ptr<cuda::LibraryHandles> libraries;
    DeviceBuffer workspace;
    std::string error;  ///< why the environment could not be created, empty when it is usable
};

inline DeviceEnv* deviceEnv() {
    static DeviceEnv* env = [] {
        auto* e = new DeviceEnv();
        if (backends::cudaDeviceCount() == 0) {
            e->error = "no CUDA device";
            return e;
        }
        if (cudaStreamCreateWithFlags(&e->stream, cudaStreamNonBlocking) != cudaSuccess) {
            e->error = std::string("cudaStreamCreate failed: ") + cudaGetErrorString(cudaGetLastError());
            return e;
        }
        auto libs = cuda::LibraryHandles::create();
        if (!libs.isOk()) {
            e->error = libs.status().message();
            return e;
        }
        e->libraries = std::move(libs.value());
        e->workspace = DeviceBuffer(kWorkspaceBytes);
        if (!e->workspace.get()) e->error = "cannot allocate the test workspace";
        return e;
    }();
    return env;
}

/// Fixture: skips without a device (never passes without running), fails when the device exists but
/// the environment cannot be created.
class CudaLibraryTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
        ASSERT_TRUE(deviceEnv()->error.empty()) << deviceEnv()->error;
    }
};

/// One launch's setup beyond the tensors.
struct LaunchOptions {
    int64_t workspaceBytes{kWorkspaceBytes};
    int64_t misalignBytes{0};  ///< shift of every input and output pointer from cudaMalloc's alignment
    int64_t tactic{-1};        ///< KernelContext::tactic (-1: the kernel's default choice)
};

using Launch = std::function<Status(const cuda::KernelContext&)>;

/// Uploads `inputs` (absent ones stay null with nbDims -1), allocates `outputs` (their type and shape
/// are used; contents are filled with NaN bits on the device), runs `launch`, synchronizes and
/// downloads. Returns the launch's Status or the first CUDA error.
inline Status runOnDevice(const std::vector<HostTensor>& inputs, std::vector<HostTensor>& outputs,
                          const Launch& launch, LaunchOptions opt = {}) {
    DeviceEnv* env = deviceEnv();
    std::vector<DeviceBuffer> buffers;
    std::vector<TensorRef> in, out;
    for (const HostTensor& h : inputs) {
        if (!h.present()) {
            in.push_back(TensorRef{h.type, h.shape, nullptr});
            continue;
        }
        buffers.emplace_back(static_cast<int64_t>(h.bytes.size()), opt.misalignBytes);
        if (!buffers.back().get()) return allocationFailed("test: cudaMalloc of an input failed");
        if (!h.bytes.empty() && cudaMemcpy(buffers.back().get(), h.bytes.data(), h.bytes.size(),
                                           cudaMemcpyHostToDevice) != cudaSuccess)
            return executionFailed("test: input upload failed");
        in.push_back(TensorRef{h.type, h.shape, buffers.back().get()});
    }
    for (HostTensor& h : outputs) {
        buffers.emplace_back(static_cast<int64_t>(h.bytes.size()), opt.misalignBytes);
        if (!buffers.back().get()) return allocationFailed("test: cudaMalloc of an output failed");
        if (cudaMemset(buffers.back().get(), 0xFF, h.bytes.size()) != cudaSuccess)
            return executionFailed("test: output fill failed");
        out.push_back(TensorRef{h.type, h.shape, buffers.back().get()});
    }
    // cudaMemcpy/cudaMemset run on the legacy default stream, which a non-blocking stream does not
    // wait for: finish them before the launch.
    if (cudaDeviceSynchronize() != cudaSuccess) return executionFailed("test: staging the tensors failed");
    cuda::KernelContext ctx;
    ctx.inputs = in;
    ctx.outputs = out;
    ctx.stream = env->stream;
    ctx.workspace = opt.workspaceBytes > 0 ? env->workspace.get() : nullptr;
    ctx.workspaceSize = std::min(opt.workspaceBytes, kWorkspaceBytes);
    ctx.libraries = env->libraries.get();
    ctx.tactic = opt.tactic;
    Status st = launch(ctx);
    const cudaError_t sync = cudaStreamSynchronize(env->stream);
    if (!st.isOk()) return st;
    if (sync != cudaSuccess)
        return executionFailed(std::string("test: kernel failed: ") + cudaGetErrorString(sync));
    for (size_t i = 0; i < outputs.size(); ++i)
        if (!outputs[i].bytes.empty() &&
            cudaMemcpy(outputs[i].bytes.data(), out[i].data, outputs[i].bytes.size(),
                       cudaMemcpyDeviceToHost) != cudaSuccess)
            return executionFailed("test: output download failed");
    return Status::ok();
}

/// A float32 copy of |t| (exact: narrow floats widen exactly): running the reference kernel on these
/// gives sum |x||w| per output element, the scale of every rounding error in a dot product.
inline HostTensor absFloat(const HostTensor& t) {
    if (!t.present()) return t;
    HostTensor a(DataType::kFLOAT, t.shape);
    for (int64_t i = 0; i < t.numel(); ++i) a.set(i, std::fabs(t.at(i)));
    return a;
}

/// Unit roundoff of float32 accumulation: a sum of K products, in any order, is within K * u of its
/// exact value relative to sum |products| (Higham, Accuracy and Stability, thm 3.1 / 4.3).
constexpr double kF32Unit = 1.0 / (1 << 24);

/// Relative spacing of the output type (one ulp at |x| is at most eps * |x|) and its subnormal spacing
/// (the ulp near zero).
/// t ([N, C, spatial...]) stored channels-last ([N, spatial..., C]); absent stays absent, rank < 3 unchanged.
inline HostTensor toChannelsLast(const HostTensor& t) {
    if (!t.present() || t.shape.nbDims < 3) return t;
    HostTensor out(t.type, channelsLastDims(t.shape));
    const int64_t n = t.shape.d[0], c = t.shape.d[1], inner = n * c > 0 ? t.numel() / (n * c) : 0;
    for (int64_t b = 0; b < n; ++b)
        for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t i = 0; i < inner; ++i) out.set((b * inner + i) * c + ch, t.at((b * c + ch) * inner + i));
    return out;
}

inline double typeEpsilon(DataType t) {
    switch (t) {
        KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
            break;
        case DataType::kHALF:
            return 1.0 / 1024;
        case DataType::kBF16:
            return 1.0 / 128;
        case DataType::kFLOAT:
            return 1.0 / (1 << 23);
        case DataType::kFP8:
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kINT32:
        case DataType::kINT64:
        case DataType::kBOOL:
            break;
    }
    return 0.0;
}
inline double subnormalSpacing(DataType t) {
    return t == DataType::kHALF ? std::ldexp(1.0, -24) : 0.0;
}

/// Expects |got - want| <= tol[i] for every element, reporting `params` and the first 5 mismatches.
inline void expectWithin(const HostTensor& got, const HostTensor& want, const std::vector<double>& tol,
                         const std::string& params) {
    ASSERT_EQ(got.numel(), want.numel()) << params;
    ASSERT_EQ(static_cast<int64_t>(tol.size()), want.numel()) << params;
    int mismatches = 0;
    double worst = 0.0;
    for (int64_t i = 0; i < want.numel(); ++i) {
        const double g = got.at(i), w = want.at(i), err = std::fabs(g - w);
        if (err <= tol[static_cast<size_t>(i)]) continue;  // NaN fails here too
        worst = std::isnan(err) ? err : std::max(worst, err);
        if (++mismatches <= 5)
            ADD_FAILURE() << params << ": element " << i << " got " << g << ", expected " << w << " (err "
                          << err << ", tolerance " << tol[static_cast<size_t>(i)] << ")";
    }
    EXPECT_EQ(mismatches, 0) << params << ": " << mismatches << " of " << want.numel()
                             << " elements out of tolerance, worst error " << worst;
}

/// Expects `st` to fail with `code` and a message containing every fragment.
inline void expectError(const Status& st, ErrorCode code, const std::vector<std::string>& fragments,
                        const std::string& what) {
    ASSERT_FALSE(st.isOk()) << what << ": expected an error";
    EXPECT_EQ(st.code(), code) << what << ": " << st.message();
    for (const auto& f : fragments)
        EXPECT_NE(st.message().find(f), std::string::npos)
            << what << ": message lacks \"" << f << "\": " << st.message();
}

}  // namespace kiln::gputest

#endif  // KILN_HAS_CUDA
