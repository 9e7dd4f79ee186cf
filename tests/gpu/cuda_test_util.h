// Test harness for the CUDA kernels (tests/gpu/cuda_*_test.cc): runs one op through inference and the
// reference kernel on the host (support/single_op.h) and through cuda::runNode on the device, and compares.
// The device run is captured into a CUDA graph and then launched, which enforces the kernel contract: a
// kernel that synchronized, allocated or copied to or from the host would fail the capture. Output buffers
// start filled with 0xAB bytes so an element a kernel forgot to write shows up. Comparisons are bit-exact,
// or within a tolerance counted in units in the last place of the output type (plus an absolute floor for
// results that cancel), always printing the parameter set and the first mismatching elements.
#pragma once

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/kernel_context.h"
#include "backends/device_info.h"
#include "support/single_op.h"

namespace kiln::cudatest {

/// Skips every test of the fixture on a machine without a CUDA device.
class CudaKernelTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (backends::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
    }
};

/// Frees its device allocations on scope exit.
class DeviceAllocations {
public:
    DeviceAllocations() = default;
    DeviceAllocations(const DeviceAllocations&) = delete;
    DeviceAllocations& operator=(const DeviceAllocations&) = delete;
    ~DeviceAllocations() {
        for (void* p : mPointers) cudaFree(p);
    }
    void* alloc(int64_t bytes) {
        void* p = nullptr;
        if (cudaMalloc(&p, static_cast<size_t>(bytes > 0 ? bytes : 1)) != cudaSuccess) return nullptr;
        mPointers.push_back(p);
        return p;
    }

private:
    std::vector<void*> mPointers;
};

inline std::string cudaError(const char* what, cudaError_t e) {
    return std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
}

/// Runs `attrs` on the device. Inputs go to device memory except shape-input slots, which stay on the
/// host as the runtime leaves them; `outputs` give the output types and shapes and receive the results.
/// misalignElements > 0 shifts every device tensor by that many of its own elements from cudaMalloc's
/// 256-byte alignment, as a view into a larger buffer would be: the kernels' vector paths must fall back.
inline Status runCuda(const ir::Attrs& attrs, const std::vector<HostTensor>& inputs,
                      std::vector<HostTensor>& outputs, int64_t misalignElements = 0) {
    const auto shift = [&](DataType t) { return misalignElements * dataTypeSize(t); };
    DeviceAllocations mem;
    const ir::OpKind kind = ir::opKindOf(attrs);
    std::vector<TensorRef> in, out;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const HostTensor& h = inputs[i];
        TensorRef r = h.ref();
        if (h.present() && !ir::isShapeInputSlot(kind, i)) {
            r.data = mem.alloc(static_cast<int64_t>(h.bytes.size()) + shift(h.type));
            if (r.data == nullptr) return allocationFailed("cudaMalloc for input " + std::to_string(i));
            r.data = static_cast<uint8_t*>(r.data) + shift(h.type);
            if (!h.bytes.empty()) cudaMemcpy(r.data, h.bytes.data(), h.bytes.size(), cudaMemcpyHostToDevice);
        }
        in.push_back(r);
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
        TensorRef r{outputs[i].type, outputs[i].shape,
                    mem.alloc(static_cast<int64_t>(outputs[i].bytes.size()) + shift(outputs[i].type))};
        if (r.data == nullptr) return allocationFailed("cudaMalloc for output " + std::to_string(i));
        r.data = static_cast<uint8_t*>(r.data) + shift(outputs[i].type);
        cudaMemset(r.data, 0xAB, outputs[i].bytes.size());
        out.push_back(r);
    }
    if (cudaError_t e = cudaDeviceSynchronize(); e != cudaSuccess)
        return executionFailed(cudaError("setup", e));

    cudaStream_t stream = nullptr;
    cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
    cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal);
    const Status st = cuda::runNode(attrs, cuda::KernelContext{in, out, stream});
    cudaGraph_t graph = nullptr;
    const cudaError_t endErr = cudaStreamEndCapture(stream, &graph);
    Status result = st;
    if (st.isOk() && endErr != cudaSuccess)
        result =
            executionFailed(cudaError("stream capture (did the kernel synchronize, allocate or copy "
                                      "to the host?)",
                                      endErr));
    size_t nbNodes = 0;
    if (result.isOk()) cudaGraphGetNodes(graph, nullptr, &nbNodes);
    if (result.isOk() && nbNodes > 0) {  // an empty tensor enqueues nothing
        cudaGraphExec_t exec = nullptr;
        cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
        if (e == cudaSuccess) e = cudaGraphLaunch(exec, stream);
        if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
        if (e == cudaSuccess) e = cudaGetLastError();
        if (exec != nullptr) cudaGraphExecDestroy(exec);
        if (e != cudaSuccess) result = executionFailed(cudaError("graph launch", e));
    }
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaStreamDestroy(stream);
    if (!result.isOk()) return result;
    for (size_t i = 0; i < outputs.size(); ++i)
        if (!outputs[i].bytes.empty())
            cudaMemcpy(outputs[i].bytes.data(), out[i].data, outputs[i].bytes.size(), cudaMemcpyDeviceToHost);
    if (cudaError_t e = cudaDeviceSynchronize(); e != cudaSuccess)
        return executionFailed(cudaError("download", e));
    return Status::ok();
}

/// The reference's outputs (want) and the device's (got) for the same op and inputs.
struct BothRuns {
    std::vector<HostTensor> want;
    std::vector<HostTensor> got;
};

/// Runs inference + the reference kernel, then the CUDA kernel on outputs of the inferred types and shapes.
inline StatusOr<BothRuns> runBoth(const ir::Attrs& attrs, const std::vector<HostTensor>& inputs,
                                  std::vector<DataType> outputTypes = {}, int nbOutputs = 1,
                                  int64_t misalignElements = 0) {
    auto ref = testing::runSingleOp(attrs, inputs, nbOutputs, std::move(outputTypes));
    if (!ref.isOk()) return ref.status().withContext("reference");
    BothRuns r{std::move(*ref), {}};
    for (const HostTensor& w : r.want) r.got.emplace_back(w.type, w.shape);
    Status st = runCuda(attrs, inputs, r.got, misalignElements);
    if (!st.isOk()) return st.withContext("cuda");
    return r;
}

inline std::string hexOf(const HostTensor& t, int64_t i) {
    const int64_t size = dataTypeSize(t.type);
    std::ostringstream os;
    os << "0x" << std::hex;
    for (int64_t b = size - 1; b >= 0; --b) {
        const unsigned v = t.bytes[static_cast<size_t>(i * size + b)];
        os << (v < 16 ? "0" : "") << v;
    }
    return os.str();
}

inline std::string describe(const HostTensor& t, int64_t i) {
    std::ostringstream os;
    if (isFloatType(t.type))
        os << t.at(i);
    else
        os << t.atInt(i);
    os << " (" << hexOf(t, i) << ")";
    return os.str();
}

/// Reports the mismatching elements (the first few in full) of a comparison.
class MismatchReport {
public:
    void add(const HostTensor& want, const HostTensor& got, int64_t i) {
        if (mCount++ < 5)
            mText << "\n  [" << i << "] want " << describe(want, i) << ", got " << describe(got, i);
    }
    void finish(const std::string& what, const HostTensor& want, const std::string& rule) const {
        if (mCount == 0) return;
        ADD_FAILURE() << what << ": " << mCount << " of " << want.numel() << " elements of "
                      << dataTypeName(want.type) << toString(want.shape) << " differ (" << rule << ")"
                      << mText.str();
    }

private:
    int64_t mCount = 0;
    std::ostringstream mText;
};

inline bool sameHeader(const HostTensor& want, const HostTensor& got, const std::string& what) {
    EXPECT_EQ(want.type, got.type) << what;
    EXPECT_EQ(want.shape, got.shape) << what << ": want " << toString(want.shape) << ", got "
                                     << toString(got.shape);
    return want.type == got.type && want.shape == got.shape && want.bytes.size() == got.bytes.size();
}

/// Every byte equal: integer, bool and movement results, and conversions.
inline void expectBitExact(const HostTensor& want, const HostTensor& got, const std::string& what) {
    if (!sameHeader(want, got, what)) return;
    const int64_t size = dataTypeSize(want.type);
    MismatchReport report;
    for (int64_t i = 0; i < want.numel(); ++i)
        if (std::memcmp(&want.bytes[static_cast<size_t>(i * size)], &got.bytes[static_cast<size_t>(i * size)],
                        static_cast<size_t>(size)) != 0)
            report.add(want, got, i);
    report.finish(what, want, "bit-exact");
}

/// How far a float result may be from the reference, and why.
struct Tolerance {
    int64_t f32Ulps;     ///< for float32 outputs
    int64_t narrowUlps;  ///< for float16 / bfloat16 / float8 outputs, counted in their own ulps
    double atol;         ///< also accepted: |got - want| <= atol (for results that cancel)
    const char* why;
};

/// Bit pattern of element i as a signed position on the number line (+0 and -0 both 0), so that the
/// distance between two positions counts the representable values between them.
inline int64_t orderedBits(const HostTensor& t, int64_t i) {
    const int64_t size = dataTypeSize(t.type);
    uint64_t bits = 0;
    std::memcpy(&bits, &t.bytes[static_cast<size_t>(i * size)], static_cast<size_t>(size));
    const uint64_t sign = uint64_t{1} << (8 * size - 1);
    const int64_t magnitude = static_cast<int64_t>(bits & (sign - 1));
    return (bits & sign) ? -magnitude : magnitude;
}

/// Float outputs within `tol` (NaN matches NaN, infinities match exactly); other types bit-exact.
inline void expectClose(const HostTensor& want, const HostTensor& got, const Tolerance& tol,
                        const std::string& what) {
    if (!isFloatType(want.type)) return expectBitExact(want, got, what);
    if (!sameHeader(want, got, what)) return;
    const int64_t ulps = want.type == DataType::kFLOAT ? tol.f32Ulps : tol.narrowUlps;
    MismatchReport report;
    for (int64_t i = 0; i < want.numel(); ++i) {
        const double w = want.at(i), g = got.at(i);
        if (std::isnan(w) || std::isnan(g)) {
            if (std::isnan(w) != std::isnan(g)) report.add(want, got, i);
            continue;
        }
        if (std::isinf(w) || std::isinf(g)) {
            if (w != g) report.add(want, got, i);
            continue;
        }
        const int64_t dist = orderedBits(want, i) - orderedBits(got, i);
        if ((dist > ulps || dist < -ulps) && std::fabs(w - g) > tol.atol) report.add(want, got, i);
    }
    report.finish(what, want,
                  "tolerance " + std::to_string(ulps) + " ulp or " + std::to_string(tol.atol) +
                      " absolute: " + tol.why);
}

/// Shorthand for a parameter set in failure messages.
inline std::string params(const std::string& op, DataType t, const Dims& shape,
                          const std::string& extra = "") {
    return op + " " + dataTypeName(t) + toString(shape) + (extra.empty() ? "" : " " + extra);
}

/// Seeded uniform values in [lo, hi] of float type t, with special values (NaN, infinities, signed zeros,
/// halves that test round-half-even) written from element `specialsFrom` on (none when negative), so two
/// operands can meet specials at different positions.
inline HostTensor floatInput(DataType t, const Dims& shape, uint64_t seed, double lo = -4.0, double hi = 4.0,
                             int64_t specialsFrom = 0) {
    HostTensor h = HostTensor::random(t, shape, seed, lo, hi);
    const double values[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1.0, -1.0};
    for (int64_t k = 0; specialsFrom >= 0 && k < 12 && specialsFrom + k < h.numel(); ++k)
        h.set(specialsFrom + k, values[k]);
    return h;
}

/// Seeded random bytes: every bit pattern of the type (NaN payloads, subnormals, non-0/1 bools) appears.
inline HostTensor randomBytes(DataType t, const Dims& shape, uint64_t seed) {
    HostTensor h(t, shape);
    std::mt19937_64 rng(seed);
    for (uint8_t& b : h.bytes) b = static_cast<uint8_t>(rng() >> 56);
    return h;
}

/// The shapes every pointwise op runs on: odd and prime extents, rank 0 (scalar), 1 and 5, and an empty one.
inline std::vector<Dims> pointwiseShapes() {
    return {makeDims({3, 7, 5}), makeDims({97}), makeDims({2, 3, 1, 5, 7}), makeDims({}),
            makeDims({3, 0, 5})};
}

/// A tensor past the grid's first sweep (8192 blocks x 256 threads), so the grid-stride loop iterates.
inline Dims largeShape() {
    return makeDims({1031, 3001});
}

}  // namespace kiln::cudatest
