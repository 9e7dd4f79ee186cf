// Test harness for the reduce-family CUDA kernels (cuda_reduce_test.cc, cuda_norm_pool_test.cc,
// cuda_misc_test.cc): runs one cuda::run##Name on device copies of host tensors (shape-input slots stay
// on the host, as the runtime leaves them), with output buffers pre-filled with a sentinel so unwritten
// elements show, and compares with the reference kernel's outputs under a per-element tolerance whose
// reason the caller states. Only compiled with the CUDA backend (KILN_HAS_CUDA).
#pragma once

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/kernel_context.h"
#include "backends/device_info.h"
#include "common/host_tensor.h"
#include "common/storage_types.h"
#include "support/single_op.h"

namespace kiln::testing {

/// Skips (never passes) when there is no CUDA device.
class CudaReduceFamilyTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!backends::cudaCompiledIn()) GTEST_SKIP() << "Kiln was built without CUDA";
        if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
        ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    }
    void TearDown() override {
        if (stream) cudaStreamDestroy(stream);
    }
    cudaStream_t stream{nullptr};
};

/// A cudaMalloc'ed buffer freed on scope exit.
struct DeviceBuffer {
    void* ptr{nullptr};
    explicit DeviceBuffer(size_t bytes) {
        if (cudaMalloc(&ptr, bytes > 0 ? bytes : 1) != cudaSuccess) ptr = nullptr;
    }
    ~DeviceBuffer() {
        if (ptr) cudaFree(ptr);
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

struct CudaRunOptions {
    std::vector<size_t> hostSlots;  ///< inputs whose values stay on the host (shape-input slots)
    int64_t workspaceBytes{0};
    int sentinelByte{0xff};    ///< output fill before the run: NaN / -1 for most types
    int64_t misalignBytes{0};  ///< shift of every device input and output from cudaMalloc's alignment
    int64_t tactic{-1};        ///< KernelContext::tactic (-1: the kernel's default choice)
};

/// Runs `fn` on `inputs` with outputs shaped like `outputsLike`; synchronizes and copies the outputs back.
template <class Attrs>
StatusOr<std::vector<HostTensor>> runCuda(Status (*fn)(const Attrs&, const cuda::KernelContext&),
                                          const Attrs& attrs, const std::vector<HostTensor>& inputs,
                                          const std::vector<HostTensor>& outputsLike, cudaStream_t stream,
                                          const CudaRunOptions& options = {}) {
    std::vector<std::unique_ptr<DeviceBuffer>> buffers;
    std::vector<TensorRef> in, out;
    const size_t shift = static_cast<size_t>(options.misalignBytes);
    for (size_t i = 0; i < inputs.size(); ++i) {
        const HostTensor& h = inputs[i];
        TensorRef r{h.type, h.shape, nullptr};
        const bool host =
            std::find(options.hostSlots.begin(), options.hostSlots.end(), i) != options.hostSlots.end();
        if (h.present() && host) {
            r.data = const_cast<void*>(h.data());
        } else if (h.present()) {
            buffers.push_back(std::make_unique<DeviceBuffer>(h.bytes.size() + shift));
            if (!buffers.back()->ptr) return allocationFailed("test: cudaMalloc of an input failed");
            r.data = static_cast<char*>(buffers.back()->ptr) + shift;
            if (!h.bytes.empty() &&
                cudaMemcpy(r.data, h.data(), h.bytes.size(), cudaMemcpyHostToDevice) != cudaSuccess)
                return executionFailed("test: upload failed");
        }
        in.push_back(r);
    }
    for (const HostTensor& h : outputsLike) {
        buffers.push_back(std::make_unique<DeviceBuffer>(h.bytes.size() + shift));
        if (!buffers.back()->ptr) return allocationFailed("test: cudaMalloc of an output failed");
        void* p = static_cast<char*>(buffers.back()->ptr) + shift;
        cudaMemset(p, options.sentinelByte, h.bytes.size());
        out.push_back(TensorRef{h.type, h.shape, p});
    }
    std::unique_ptr<DeviceBuffer> workspace;
    if (options.workspaceBytes > 0)
        workspace = std::make_unique<DeviceBuffer>(static_cast<size_t>(options.workspaceBytes));
    cuda::KernelContext ctx;
    ctx.inputs = in;
    ctx.outputs = out;
    ctx.stream = stream;
    ctx.workspace = workspace ? workspace->ptr : nullptr;
    ctx.workspaceSize = workspace ? options.workspaceBytes : 0;
    ctx.tactic = options.tactic;
    KILN_RETURN_IF_ERROR(fn(attrs, ctx));
    const cudaError_t err = cudaStreamSynchronize(stream);
    if (err != cudaSuccess)
        return executionFailed(std::string("test: kernel failed: ") + cudaGetErrorString(err));
    std::vector<HostTensor> results;
    for (size_t i = 0; i < outputsLike.size(); ++i) {
        HostTensor h(outputsLike[i].type, outputsLike[i].shape);
        if (!h.bytes.empty() &&
            cudaMemcpy(h.data(), out[i].data, h.bytes.size(), cudaMemcpyDeviceToHost) != cudaSuccess)
            return executionFailed("test: download failed");
        results.push_back(std::move(h));
    }
    return results;
}

/// Calls `fn` with the inputs' host buffers and no output memory: for the checks that must refuse before
/// anything is enqueued, so these tests run without a device. (Host buffers keep present inputs present
/// and give shape-input slots their values; a kernel that got past its checks would fail on them.)
template <class Attrs>
Status runWithoutMemory(Status (*fn)(const Attrs&, const cuda::KernelContext&), const Attrs& attrs,
                        const std::vector<HostTensor>& inputs, const std::vector<HostTensor>& outputs) {
    std::vector<TensorRef> in, out;
    for (const HostTensor& h : inputs) in.push_back(h.ref());
    for (const HostTensor& h : outputs) out.push_back(TensorRef{h.type, h.shape, nullptr});
    cuda::KernelContext ctx;
    ctx.inputs = in;
    ctx.outputs = out;
    return fn(attrs, ctx);
}

/// Expects `s` to fail with `code` and a message holding every one of `parts`.
inline void expectRefused(const Status& s, ErrorCode code, const std::vector<std::string>& parts) {
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(s.code(), code) << s.message();
    for (const std::string& p : parts) EXPECT_NE(s.message().find(p), std::string::npos) << s.message();
}

/// One unit in the last place of output type `t` at the value `want`: results rounded once from slightly
/// different float / double values may land one ulp apart. Relative for normal numbers; near zero the
/// spacing of the type's subnormals (half's is 2^-24, large next to tiny softmax probabilities).
inline double ulpAt(DataType t, double want) {
    double relative = 0.0, subnormal = 0.0;
    switch (t) {
    KILN_STORAGE_ONLY_TYPE_CASES:  // refused before any kernel (common/storage_types.h)
        break;
        case DataType::kFLOAT:
            relative = 0x1p-23;
            subnormal = 0x1p-149;
            break;
        case DataType::kHALF:
            relative = 0x1p-10;
            subnormal = 0x1p-24;
            break;
        case DataType::kBF16:
            relative = 0x1p-7;
            subnormal = 0x1p-133;
            break;
        case DataType::kFP8:
            relative = 0x1p-3;
            subnormal = 0x1p-9;
            break;
        case DataType::kINT8:
        case DataType::kUINT8:
        case DataType::kBOOL:
        case DataType::kINT32:
        case DataType::kINT64:
            break;
    }
    return std::max(relative * std::fabs(want), subnormal);
}

/// float32's unit roundoff: each float operation of the GPU side may err by this much, relative.
constexpr double kFloatEps = 0x1p-24;

/// Expects every element within tol(i) (NaN matches NaN, infinities match by sign, -0 matches +0).
/// Integer types compare exactly as int64.
inline void expectNear(const HostTensor& got, const HostTensor& want,
                       const std::function<double(int64_t)>& tol, const std::string& what) {
    ASSERT_EQ(got.type, want.type) << what;
    ASSERT_EQ(toString(got.shape), toString(want.shape)) << what;
    int failures = 0;
    const bool integral = !isFloatType(want.type);
    for (int64_t i = 0; i < want.numel() && failures < 5; ++i) {
        if (integral) {
            if (got.atInt(i) != want.atInt(i)) {
                ++failures;
                ADD_FAILURE() << what << ": element " << i << " is " << got.atInt(i) << ", expected "
                              << want.atInt(i);
            }
            continue;
        }
        const double g = got.at(i), w = want.at(i);
        if (std::isnan(w) && std::isnan(g)) continue;
        if (std::isinf(w) && g == w) continue;
        const double t = tol(i);
        if (!(std::fabs(g - w) <= t)) {
            ++failures;
            ADD_FAILURE() << what << ": element " << i << " is " << g << ", expected " << w << " (tolerance "
                          << t << ")";
        }
    }
}

/// Bit-for-bit results (movement, max, integer paths): expectNear with a zero tolerance.
inline void expectExact(const HostTensor& got, const HostTensor& want, const std::string& what) {
    expectNear(
        got, want, [](int64_t) { return 0.0; }, what);
}

/// Softmax output error: the running sum of exp over `extent` terms (at most extent dependent float
/// additions, each exp within 2 ulp), one division; the reference works in double. Log-softmax errs by
/// that much absolutely. Plus one ulp of the output type for the final rounding.
inline double softmaxTolerance(bool log, DataType t, int64_t extent, double want) {
    const double rel = (static_cast<double>(extent) + 24.0) * kFloatEps;
    return ulpAt(t, want) + (log ? rel * (1.0 + std::fabs(want)) : rel * std::fabs(want) + 1e-30);
}

/// Normalization output error: the mean and variance are float32 sums along at most count / 32 + 16
/// dependent additions (a warp or block splits each group), so their relative errors, and through
/// 1 / sqrt(var + eps) the output's, stay within (depth + 16) float32 roundings of the terms' magnitude
/// (|xhat * scale| + |bias| <= |y| + a few for inputs in [-2, 2], affine in [-1.5, 1.5]). The reference
/// works in double; both round once to the output type.
inline double normTolerance(DataType t, int64_t count, double want) {
    const double depth = static_cast<double>(count) / 32.0 + 32.0;
    return ulpAt(t, want) + depth * kFloatEps * 8.0 * (1.0 + std::fabs(want));
}

inline std::string describe(const Dims& shape, DataType type) {
    std::ostringstream os;
    os << dataTypeName(type) << toString(shape);
    return os.str();
}

/// The float input types every float kernel is tested with.
constexpr DataType kFloatTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16};

}  // namespace kiln::testing
