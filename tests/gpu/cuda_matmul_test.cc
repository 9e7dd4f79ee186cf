// MatrixMultiply on CUDA (cuBLASLt tactic, kernels/matmul/matmul_cublaslt.cc) against the reference
// kernel on the host: every MatrixOperation pair on odd/prime M, N, K, float32/float16/bfloat16, batch
// broadcasting in each of the tactic's batch routes (strided batch, loop over broadcast blocks, batch
// folded into M, batch split past 65535), misaligned operands, no workspace, and the fused
// bias/ReLU/tanh-GELU epilogue against the epilogue computed here in double. Device tests skip without a
// GPU; the argument-checking tests run on any CUDA build because they fail before touching the device.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/kernels/matmul/matmul_cublaslt.h"
#include "cuda_kernel_test_util.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using cuda::EpilogueActivation;
using gputest::CudaLibraryTest;
using gputest::LaunchOptions;
using Shape = std::vector<int64_t>;

constexpr MatrixOperation kN = MatrixOperation::kNONE;
constexpr MatrixOperation kT = MatrixOperation::kTRANSPOSE;
constexpr MatrixOperation kV = MatrixOperation::kVECTOR;
const DataType kFloatTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16};

struct MatmulCase {
    Shape a, b;
    MatrixOperation op0{kN}, op1{kN};
};

std::string str(const Shape& s) {
    return toString(makeDims(std::span<const int64_t>(s)));
}

const char* opName(MatrixOperation op) {
    switch (op) {
        case MatrixOperation::kNONE:
            return "N";
        case MatrixOperation::kTRANSPOSE:
            return "T";
        case MatrixOperation::kVECTOR:
            return "V";
    }
    return "?";
}

std::string describe(const MatmulCase& c, DataType t, const LaunchOptions& opt = {}) {
    std::ostringstream os;
    os << dataTypeName(t) << " a" << str(c.a) << opName(c.op0) << " x b" << str(c.b) << opName(c.op1)
       << " workspace " << opt.workspaceBytes << " misalign " << opt.misalignBytes;
    return os.str();
}

int64_t contracted(const MatmulCase& c) {
    return c.op0 == kT ? c.a[c.a.size() - 2] : c.a.back();
}

ir::MatrixMultiplyAttrs attrsOf(const MatmulCase& c) {
    ir::MatrixMultiplyAttrs a;
    a.op0 = c.op0;
    a.op1 = c.op1;
    return a;
}

/// Device result vs the reference kernel. Tolerance per element: both sides accumulate in float32, so
/// each is within K * 2^-24 * sum|a||b| of the exact sum (any summation order), hence 2 K u s between
/// them; float16/bfloat16 outputs then round once each, which can put them one ulp apart (eps * |ref|),
/// plus the subnormal spacing near zero. TF32 (10-bit mantissa products) would miss this by ~100x.
void checkMatmul(const MatmulCase& c, DataType t, uint64_t seed, LaunchOptions opt = {}) {
    const std::string params = describe(c, t, opt);
    const ir::MatrixMultiplyAttrs attrs = attrsOf(c);
    const HostTensor a = HostTensor::random(t, makeDims(std::span<const int64_t>(c.a)), seed);
    const HostTensor b = HostTensor::random(t, makeDims(std::span<const int64_t>(c.b)), seed + 1);
    auto want = testing::runSingleOp(attrs, {a, b});
    ASSERT_TRUE(want.isOk()) << params << ": reference: " << want.status().message();
    auto scale = testing::runSingleOp(attrs, {gputest::absFloat(a), gputest::absFloat(b)});
    ASSERT_TRUE(scale.isOk()) << params << ": " << scale.status().message();
    const HostTensor& ref = want.value()[0];
    std::vector<HostTensor> got{HostTensor(t, ref.shape)};
    const Status st = gputest::runOnDevice(
        {a, b}, got, [&](const cuda::KernelContext& ctx) { return cuda::runMatrixMultiply(attrs, ctx); },
        opt);
    ASSERT_TRUE(st.isOk()) << params << ": " << st.message();
    const double k = static_cast<double>(contracted(c));
    std::vector<double> tol(static_cast<size_t>(ref.numel()));
    for (int64_t i = 0; i < ref.numel(); ++i)
        tol[static_cast<size_t>(i)] = 2.0 * k * gputest::kF32Unit * scale.value()[0].at(i) +
                                      gputest::typeEpsilon(t) * std::fabs(ref.at(i)) +
                                      gputest::subnormalSpacing(t);
    gputest::expectWithin(got[0], ref, tol, params);
}

// The autotuner's candidates: every rank of cuBLASLt's heuristic that listTactics offers computes the
// product within the same tolerance, and the query launches nothing.
TEST_F(CudaLibraryTest, MatmulEveryTunedCandidateMatchesReference) {
    const MatmulCase cases[] = {
        {{37, 129}, {129, 65}, kN, kN},
        {{3, 33, 64}, {64, 48}, kN, kN},
        {{4, 96, 128}, {4, 96, 64}, kT, kN},
        {{256, 768}, {3072, 768}, kN, kT},
    };
    uint64_t seed = 900;
    int32_t tuned = 0;
    for (DataType t : kFloatTypes)
        for (const MatmulCase& c : cases) {
            const ir::MatrixMultiplyAttrs attrs = attrsOf(c);
            const HostTensor a = HostTensor::random(t, makeDims(std::span<const int64_t>(c.a)), 1);
            const HostTensor b = HostTensor::random(t, makeDims(std::span<const int64_t>(c.b)), 2);
            auto ref = testing::runSingleOp(attrs, {a, b});
            ASSERT_TRUE(ref.isOk()) << ref.status().message();
            std::vector<HostTensor> out{HostTensor(t, ref.value()[0].shape)};
            std::vector<cuda::TacticCandidate> listed;
            const Status st = gputest::runOnDevice({a, b}, out, [&](const cuda::KernelContext& ctx) {
                auto r = cuda::listTactics(ir::Attrs{attrs}, ctx);
                if (r.isOk()) listed = r.value();
                return r.status();
            });
            ASSERT_TRUE(st.isOk()) << describe(c, t, {}) << ": " << st.message();
            EXPECT_TRUE(std::isnan(out[0].at(0))) << describe(c, t, {}) << ": the query launched something";
            EXPECT_FALSE(listed.empty()) << describe(c, t, {});
            for (const cuda::TacticCandidate& cand : listed) {
                EXPECT_EQ(cand.name.rfind("cublaslt_heuristic_", 0), 0u) << cand.name;
                LaunchOptions opt;
                opt.tactic = cand.id;
                SCOPED_TRACE(cand.name);
                checkMatmul(c, t, seed += 2, opt);
                ++tuned;
            }
        }
    EXPECT_GT(tuned, 12);
}

TEST_F(CudaLibraryTest, MatmulEveryTransposePairOnOddSizes) {
    const int64_t sizes[] = {1, 7, 33, 129};
    uint64_t seed = 100;
    for (DataType t : kFloatTypes)
        for (MatrixOperation op0 : {kN, kT})
            for (MatrixOperation op1 : {kN, kT})
                for (int64_t m : sizes)
                    for (int64_t n : sizes)
                        for (int64_t k : sizes) {
                            MatmulCase c{op0 == kT ? Shape{k, m} : Shape{m, k},
                                         op1 == kT ? Shape{n, k} : Shape{k, n}, op0, op1};
                            checkMatmul(c, t, seed += 2);
                        }
}

TEST_F(CudaLibraryTest, MatmulBatchBroadcastRoutes) {
    const std::vector<MatmulCase> cases = {
        {{5, 7, 33}, {5, 33, 9}},                  // equal batches: one strided call
        {{2, 1, 7, 33}, {1, 3, 33, 5}},            // 2x1 vs 1x3: a loop of strided calls
        {{2, 1, 33, 7}, {1, 3, 5, 33}, kT, kT},    // the same with both operands transposed
        {{3, 1, 7, 33}, {3, 4, 33, 5}, kN, kN},    // a broadcast inside, b contiguous
        {{4, 7, 33}, {33, 9}},                     // b shared: batch folded into M
        {{4, 7, 33}, {1, 33, 9}},                  // b shared through a size-1 batch dim
        {{4, 33, 7}, {33, 9}, kT, kN},             // b shared but a transposed: no fold, stride-0 b
        {{7, 33}, {6, 33, 9}},                     // a shared, b batched
        {{2, 3, 7, 33}, {33, 5}},                  // rank 4 against rank 2
        {{2, 1, 3, 7, 33}, {4, 1, 33, 5}, kN, kN}  // three batch dims, broadcast both ways
    };
    uint64_t seed = 5000;
    for (DataType t : kFloatTypes)
        for (const MatmulCase& c : cases) checkMatmul(c, t, seed += 2);
}

TEST_F(CudaLibraryTest, MatmulVectorOperands) {
    const std::vector<MatmulCase> cases = {
        {{33}, {33, 7}, kV, kN},        // row vector times matrix
        {{7, 33}, {33}, kN, kV},        // matrix times column vector
        {{33, 7}, {33}, kT, kV},        // transposed matrix times vector
        {{33}, {7, 33}, kV, kT},        // vector times transposed matrix
        {{2, 33}, {2, 33, 5}, kV, kN},  // batched vectors
        {{3, 7, 33}, {33}, kN, kV},     // one vector for every batch
        {{2, 3, 33}, {3, 33}, kV, kV},  // batched dot products
    };
    uint64_t seed = 6000;
    for (DataType t : kFloatTypes)
        for (const MatmulCase& c : cases) checkMatmul(c, t, seed += 2);
}

TEST_F(CudaLibraryTest, MatmulMisalignedOperandsAndNoWorkspace) {
    uint64_t seed = 7000;
    for (DataType t : kFloatTypes) {
        const int64_t es = dataTypeSize(t);
        // One element off cudaMalloc's 256-byte alignment: vectorized kernels must not be chosen.
        for (int64_t misalign : {es, 3 * es}) {
            LaunchOptions opt;
            opt.misalignBytes = misalign;
            checkMatmul({{33, 129}, {129, 7}}, t, seed += 2, opt);
            checkMatmul({{2, 1, 7, 33}, {1, 3, 33, 5}}, t, seed += 2, opt);
        }
        LaunchOptions none;
        none.workspaceBytes = 0;
        checkMatmul({{129, 129}, {129, 129}}, t, seed += 2, none);
        checkMatmul({{3, 33, 129}, {129, 7}, kN, kN}, t, seed += 2, none);
    }
}

TEST_F(CudaLibraryTest, MatmulBatchesBeyondOneCall) {
    // 70000 batches of [1, 2] x [2, 3]: more than the 65535 per call, so the batch is split in two.
    checkMatmul({{70000, 1, 2}, {70000, 2, 3}}, DataType::kFLOAT, 8000);
}

TEST_F(CudaLibraryTest, MatmulEmptyContractionGivesZeros) {
    for (DataType t : kFloatTypes) {
        const MatmulCase c{{3, 0}, {0, 5}};
        std::vector<HostTensor> got{HostTensor(t, makeDims({3, 5}))};
        const Status st = gputest::runOnDevice(
            {HostTensor(t, makeDims({3, 0})), HostTensor(t, makeDims({0, 5}))}, got,
            [&](const cuda::KernelContext& ctx) { return cuda::runMatrixMultiply(attrsOf(c), ctx); });
        ASSERT_TRUE(st.isOk()) << describe(c, t) << ": " << st.message();
        for (int64_t i = 0; i < got[0].numel(); ++i)
            EXPECT_EQ(got[0].at(i), 0.0) << describe(c, t) << " element " << i;
    }
}

double applyActivation(EpilogueActivation act, double z) {
    switch (act) {
        case EpilogueActivation::kNONE:
            return z;
        case EpilogueActivation::kRELU:
            return z > 0 ? z : 0.0;
        case EpilogueActivation::kGELU_TANH: {
            const double kSqrt2OverPi = 0.7978845608028654;
            return 0.5 * z * (1.0 + std::tanh(kSqrt2OverPi * (z + 0.044715 * z * z * z)));
        }
    }
    return z;
}

const char* actName(EpilogueActivation act) {
    switch (act) {
        case EpilogueActivation::kNONE:
            return "none";
        case EpilogueActivation::kRELU:
            return "relu";
        case EpilogueActivation::kGELU_TANH:
            return "gelu_tanh";
    }
    return "?";
}

/// matmulBiasAct against act(a x b + bias) computed here: the product by the float32 reference on the
/// exactly widened inputs, bias and activation in double. Tolerance: the product's 2 K u s (as above)
/// and float32 rounding of the bias add, times 1.2 (the activations' largest slope: 1 for ReLU, 1.13
/// for GELU); for GELU, 2^-10 * |z| / 2 + 1e-6, since cuBLASLt may evaluate tanh with the hardware
/// approximation (tanh.approx.f32, relative error about 2^-11) — enough to tell GELU from ReLU or no
/// activation everywhere, not erf-GELU from tanh-GELU (both deviations are printed for float32, so a
/// run shows which formula cuBLASLt follows); one output rounding for float16/bfloat16.
void checkEpilogue(const MatmulCase& c, DataType t, bool withBias, EpilogueActivation act, uint64_t seed) {
    const std::string params = describe(c, t) + " bias " + std::to_string(withBias) + " act " + actName(act);
    const ir::MatrixMultiplyAttrs attrs = attrsOf(c);
    const HostTensor a = HostTensor::random(t, makeDims(std::span<const int64_t>(c.a)), seed);
    const HostTensor b = HostTensor::random(t, makeDims(std::span<const int64_t>(c.b)), seed + 1);
    auto wide = [](const HostTensor& h) {
        HostTensor f(DataType::kFLOAT, h.shape);
        for (int64_t i = 0; i < h.numel(); ++i) f.set(i, h.at(i));
        return f;
    };
    auto product = testing::runSingleOp(attrs, {wide(a), wide(b)});
    ASSERT_TRUE(product.isOk()) << params << ": " << product.status().message();
    auto scale = testing::runSingleOp(attrs, {gputest::absFloat(a), gputest::absFloat(b)});
    ASSERT_TRUE(scale.isOk()) << params << ": " << scale.status().message();
    const HostTensor& p = product.value()[0];
    const int64_t n = c.op1 == kV ? 1 : (c.op1 == kT ? c.b[c.b.size() - 2] : c.b.back());
    const HostTensor bias = HostTensor::random(t, makeDims({n}), seed + 2, -2.0, 2.0);
    HostTensor want(DataType::kFLOAT, p.shape);
    std::vector<double> tol(static_cast<size_t>(p.numel()));
    const double k = static_cast<double>(contracted(c));
    for (int64_t i = 0; i < p.numel(); ++i) {
        const double bv = withBias ? bias.at(i % n) : 0.0;
        const double z = p.at(i) + bv, v = applyActivation(act, z);
        want.set(i, v);
        const double pre =
            2.0 * k * gputest::kF32Unit * scale.value()[0].at(i) + gputest::kF32Unit * (std::fabs(z) + 1e-30);
        // GELU epilogue: float32 outputs follow the tanh formula to ~2^-11 relative; for float16/bfloat16
        // outputs cuBLASLt evaluates the activation at the output's precision (measured on an H100: up to
        // 5e-4 absolute for float16 and 3e-3 for bfloat16 at |x| < 1), so a few of the type's epsilons.
        const double approx = act != EpilogueActivation::kGELU_TANH ? 0.0
                              : t == DataType::kFLOAT
                                  ? std::ldexp(std::fabs(z), -11) + 1e-6
                                  : 4.0 * gputest::typeEpsilon(t) * (std::fabs(z) + 0.25);
        // float16/bfloat16 with a bias: cuBLASLt may round the product to the output type before it adds
        // the bias (measured on an H100, bfloat16 folded batches), one more rounding of |p|.
        const double twoRoundings =
            t != DataType::kFLOAT && withBias ? gputest::typeEpsilon(t) * std::fabs(p.at(i)) : 0.0;
        tol[static_cast<size_t>(i)] = 1.2 * pre + approx + twoRoundings + gputest::typeEpsilon(t) * std::fabs(v) +
                                      gputest::subnormalSpacing(t);
    }
    std::vector<HostTensor> got{HostTensor(t, p.shape)};
    std::vector<HostTensor> inputs{a, b, bias};
    const Status st = gputest::runOnDevice(inputs, got, [&](const cuda::KernelContext& ctx) {
        return cuda::matmulBiasAct(attrs, ctx.inputs[0], ctx.inputs[1], withBias ? &ctx.inputs[2] : nullptr,
                                   nullptr, act, ctx.outputs[0], ctx);
    });
    ASSERT_TRUE(st.isOk()) << params << ": " << st.message();
    gputest::expectWithin(got[0], want, tol, params);
    if (act == EpilogueActivation::kGELU_TANH && t == DataType::kFLOAT) {
        double toTanh = 0.0, toErf = 0.0;
        for (int64_t i = 0; i < p.numel(); ++i) {
            const double z = p.at(i) + (withBias ? bias.at(i % n) : 0.0);
            toTanh = std::max(toTanh, std::fabs(got[0].at(i) - want.at(i)));
            toErf = std::max(toErf, std::fabs(got[0].at(i) - 0.5 * z * (1.0 + std::erf(z / std::sqrt(2.0)))));
        }
        std::printf("%s: max |got - gelu_tanh| %.3g, max |got - gelu_erf| %.3g\n", params.c_str(), toTanh,
                    toErf);
    }
}

TEST_F(CudaLibraryTest, MatmulBiasActivationEpilogue) {
    const std::vector<MatmulCase> cases = {
        {{7, 33}, {33, 129}},
        {{33, 7}, {5, 33}, kT, kT},
        {{4, 7, 33}, {33, 9}},           // folded batch: bias per column of every row block
        {{2, 1, 7, 33}, {1, 3, 33, 5}},  // broadcast loop: the same bias for every call
    };
    uint64_t seed = 9000;
    for (DataType t : kFloatTypes)
        for (const MatmulCase& c : cases) {
            checkEpilogue(c, t, true, EpilogueActivation::kNONE, seed += 3);
            checkEpilogue(c, t, true, EpilogueActivation::kRELU, seed += 3);
            checkEpilogue(c, t, false, EpilogueActivation::kRELU, seed += 3);
            checkEpilogue(c, t, true, EpilogueActivation::kGELU_TANH, seed += 3);
            checkEpilogue(c, t, false, EpilogueActivation::kGELU_TANH, seed += 3);
        }
}

// ---- argument checks: fail before any device work, so they run on every CUDA build ----------------

/// Tensors that are never dereferenced (the checks fail first): a distinct fake device address each.
TensorRef fakeTensor(DataType t, std::initializer_list<int64_t> shape, uintptr_t address) {
    return TensorRef{t, makeDims(shape), reinterpret_cast<void*>(address)};
}

TEST(CudaMatmulArguments, IntegerTypesAreRefusedWithAReason) {
    cuda::KernelContext ctx;
    const TensorRef a = fakeTensor(DataType::kINT32, {7, 33}, 0x1000),
                    b = fakeTensor(DataType::kINT32, {33, 5}, 0x2000);
    const TensorRef c = fakeTensor(DataType::kINT32, {7, 5}, 0x3000);
    gputest::expectError(cuda::matmulBiasAct({}, a, b, nullptr, nullptr, EpilogueActivation::kNONE, c, ctx),
                         ErrorCode::kUNSUPPORTED_STATE,
                         {"float32, float16 or bfloat16, got int32", "cpu target"}, "int32 matmul");
}

TEST(CudaMatmulArguments, MixedTypesAreRefused) {
    cuda::KernelContext ctx;
    const TensorRef a = fakeTensor(DataType::kHALF, {7, 33}, 0x1000),
                    b = fakeTensor(DataType::kFLOAT, {33, 5}, 0x2000);
    const TensorRef c = fakeTensor(DataType::kFLOAT, {7, 5}, 0x3000);
    gputest::expectError(cuda::matmulBiasAct({}, a, b, nullptr, nullptr, EpilogueActivation::kNONE, c, ctx),
                         ErrorCode::kUNSUPPORTED_STATE, {"share one type", "Cast"}, "half x float matmul");
}

TEST(CudaMatmulArguments, MissingLibraryHandlesAreReported) {
    cuda::KernelContext ctx;  // libraries == null
    const TensorRef a = fakeTensor(DataType::kFLOAT, {7, 33}, 0x1000),
                    b = fakeTensor(DataType::kFLOAT, {33, 5}, 0x2000);
    const TensorRef c = fakeTensor(DataType::kFLOAT, {7, 5}, 0x3000);
    gputest::expectError(cuda::matmulBiasAct({}, a, b, nullptr, nullptr, EpilogueActivation::kNONE, c, ctx),
                         ErrorCode::kINVALID_STATE, {"cuBLASLt handle", "LibraryHandles", "M 7, N 5, K 33"},
                         "no libraries");
}

TEST(CudaMatmulArguments, BiasMustHoldOneValuePerColumn) {
    cuda::KernelContext ctx;
    const TensorRef a = fakeTensor(DataType::kFLOAT, {7, 33}, 0x1000),
                    b = fakeTensor(DataType::kFLOAT, {33, 5}, 0x2000);
    const TensorRef c = fakeTensor(DataType::kFLOAT, {7, 5}, 0x3000);
    const TensorRef bias = fakeTensor(DataType::kFLOAT, {4}, 0x4000);
    gputest::expectError(cuda::matmulBiasAct({}, a, b, &bias, nullptr, EpilogueActivation::kRELU, c, ctx),
                         ErrorCode::kINVALID_ARGUMENT, {"N = 5", "got float32 [4]"}, "bias of 4 for N = 5");
    const TensorRef halfBias = fakeTensor(DataType::kHALF, {5}, 0x4000);
    gputest::expectError(cuda::matmulBiasAct({}, a, b, &halfBias, nullptr, EpilogueActivation::kRELU, c, ctx),
                         ErrorCode::kINVALID_ARGUMENT, {"N = 5", "got float16 [5]"},
                         "half bias for a float matmul");
}

TEST(CudaMatmulArguments, ContractedExtentsMustAgree) {
    cuda::KernelContext ctx;
    const TensorRef a = fakeTensor(DataType::kFLOAT, {7, 33}, 0x1000),
                    b = fakeTensor(DataType::kFLOAT, {32, 5}, 0x2000);
    const TensorRef c = fakeTensor(DataType::kFLOAT, {7, 5}, 0x3000);
    // Inference rejects this first; the kernel still refuses rather than reading out of bounds.
    gputest::expectError(cuda::matmulBiasAct({}, a, b, nullptr, nullptr, EpilogueActivation::kNONE, c, ctx),
                         ErrorCode::kINTERNAL_ERROR, {"contracted extents differ", "[7,33]", "[32,5]"},
                         "K 33 vs 32");
}

}  // namespace
}  // namespace kiln

#else  // !KILN_HAS_CUDA

TEST(CudaMatmul, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
