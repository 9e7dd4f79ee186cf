// The fused epilogues on CUDA against the reference kernels (the oracle): MatrixMultiply through
// runMatrixMultiply (cuBLASLt bias / C = addend / ReLU / tanh-GELU, the ElementWise/Activation tail for
// erf-GELU and other activations, vector op1 with its bias after the GEMM, batched and broadcast layouts,
// a misaligned bias) and Convolution through runConvolution (cuDNN's fused bias + addend + ReLU, identity
// with IMPLICIT_PRECOMP_GEMM, and the unfused tail: no bias, other activations, asymmetric padding), in
// float32, float16 and bfloat16. Outputs start as NaN bits, so a fused call that read y as its z with
// alpha2 = 0 would show. The host-side split (planLtEpilogue, fusedConvApplies) runs without a GPU.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "backends/cuda/kernels/conv/conv_cudnn_fused.h"
#include "backends/cuda/kernels/matmul/matmul_cublaslt.h"
#include "cuda_kernel_test_util.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using cuda::EpilogueActivation;
using gputest::CudaLibraryTest;
using gputest::LaunchOptions;
using Shape = std::vector<int64_t>;

const DataType kFloatTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16};

struct Epi {
    bool bias{false}, addend{false}, hasAct{false};
    ActivationType act{ActivationType::kRELU};
    float alpha{0.0f};
};

std::string describeEpi(const Epi& e) {
    return std::string(" bias ") + (e.bias ? "1" : "0") + " addend " + (e.addend ? "1" : "0") + " act " +
           (e.hasAct ? std::to_string(static_cast<int>(e.act)) : "none");
}

ir::EpilogueAttrs epilogueOf(const Epi& e) {
    ir::EpilogueAttrs a;
    a.hasActivation = e.hasAct;
    a.activation = e.act;
    a.alpha = e.alpha;
    return a;
}

/// Tolerance per element, with s the scale of the product's rounding (reference on |inputs|), `terms` the
/// products per element, z the pre-activation value and ref the reference output:
/// - 2 terms u s: both sides accumulate in float32 in different orders (1.2x: the activations' slope);
/// - 1e-5 max(s): cuDNN's FFT/Winograd algorithms spread rounding over a tile (conv only);
/// - float16/bfloat16: the library may round the product (|p| <= s) to the type before adding bias and addend
///   (measured on an H100: cuBLASLt's bias epilogue and cuDNN's fused z both do), which cancellation then
///   exposes, and rounds the output: 2 eps (s + |z| + |ref|);
/// - GELU: cuBLASLt's tanh approximation (2^-11 |z| in float32, a few eps at lower precision).
std::vector<double> tolerances(const HostTensor& ref, const HostTensor& pre, const HostTensor& s, double terms,
                               DataType t, const Epi& e, bool conv) {
    double sMax = 0.0;
    for (int64_t i = 0; i < s.numel(); ++i) sMax = std::max(sMax, s.at(i));
    const double eps = t == DataType::kFLOAT ? 0.0 : gputest::typeEpsilon(t);
    std::vector<double> tol(static_cast<size_t>(ref.numel()));
    for (int64_t i = 0; i < ref.numel(); ++i) {
        const double z = std::fabs(pre.at(i));
        const bool gelu = e.hasAct && (e.act == ActivationType::kGELU_TANH || e.act == ActivationType::kGELU_ERF);
        const double approx = !gelu ? 0.0 : t == DataType::kFLOAT ? std::ldexp(z, -11) + 1e-6 : 4.0 * eps * (z + 0.25);
        tol[static_cast<size_t>(i)] = 1.2 * 2.0 * terms * gputest::kF32Unit * (s.at(i) + z) + (conv ? 1e-5 * sMax : 0.0) +
                                      2.0 * eps * (s.at(i) + z + std::fabs(ref.at(i))) + approx +
                                      gputest::subnormalSpacing(t);
    }
    return tol;
}

// ---- MatrixMultiply ------------------------------------------------------------------------------------

struct MmCase {
    Shape a, b;
    MatrixOperation op0{MatrixOperation::kNONE}, op1{MatrixOperation::kNONE};
};

Shape outShape(const MmCase& c, DataType t) {
    ir::MatrixMultiplyAttrs attrs;
    attrs.op0 = c.op0;
    attrs.op1 = c.op1;
    auto r = testing::runSingleOp(attrs, {HostTensor(t, makeDims(std::span<const int64_t>(c.a))),
                                          HostTensor(t, makeDims(std::span<const int64_t>(c.b)))});
    Shape s;
    if (r.isOk())
        for (int i = 0; i < r.value()[0].shape.nbDims; ++i) s.push_back(r.value()[0].shape.d[i]);
    return s;
}

void checkMatmulEpilogue(const MmCase& c, DataType t, const Epi& e, uint64_t seed, LaunchOptions opt = {}) {
    const Shape out = outShape(c, t);
    ASSERT_FALSE(out.empty() && !c.a.empty());
    const std::string params = std::string(dataTypeName(t)) + " a" + toString(makeDims(std::span<const int64_t>(c.a))) +
                               " b" + toString(makeDims(std::span<const int64_t>(c.b))) + " op1 " +
                               std::to_string(static_cast<int>(c.op1)) + describeEpi(e) + " misalign " +
                               std::to_string(opt.misalignBytes);
    ir::MatrixMultiplyAttrs attrs;
    attrs.op0 = c.op0;
    attrs.op1 = c.op1;
    const HostTensor a = HostTensor::random(t, makeDims(std::span<const int64_t>(c.a)), seed);
    const HostTensor b = HostTensor::random(t, makeDims(std::span<const int64_t>(c.b)), seed + 1);
    const HostTensor bias = e.bias ? HostTensor::random(t, makeDims({out.back()}), seed + 2, -2, 2) : HostTensor::absent();
    const HostTensor add = e.addend ? HostTensor::random(t, makeDims(std::span<const int64_t>(out)), seed + 3, -2, 2)
                                    : HostTensor::absent();
    ir::MatrixMultiplyAttrs noAct = attrs;
    attrs.epilogue = epilogueOf(e);
    auto want = testing::runSingleOp(attrs, {a, b, bias, add});
    ASSERT_TRUE(want.isOk()) << params << ": reference: " << want.status().message();
    auto pre = testing::runSingleOp(noAct, {a, b, bias, add});
    ASSERT_TRUE(pre.isOk()) << params << ": " << pre.status().message();
    auto scale = testing::runSingleOp(noAct, {gputest::absFloat(a), gputest::absFloat(b)});
    ASSERT_TRUE(scale.isOk()) << params << ": " << scale.status().message();
    const HostTensor& ref = want.value()[0];
    std::vector<HostTensor> got{HostTensor(t, ref.shape)};
    const Status st = gputest::runOnDevice(
        {a, b, bias, add}, got, [&](const cuda::KernelContext& ctx) { return cuda::runMatrixMultiply(attrs, ctx); }, opt);
    ASSERT_TRUE(st.isOk()) << params << ": " << st.message();
    const double k = static_cast<double>(c.op0 == MatrixOperation::kTRANSPOSE ? c.a[c.a.size() - 2] : c.a.back());
    gputest::expectWithin(got[0], ref, tolerances(ref, pre.value()[0], scale.value()[0], k, t, e, false), params);
}

const Epi kMatmulEpilogues[] = {
    {true, false, false, ActivationType::kRELU},        // cuBLASLt BIAS
    {true, true, true, ActivationType::kRELU},          // RELU_BIAS with C = addend
    {false, true, true, ActivationType::kGELU_TANH},    // GELU with C = addend
    {true, false, true, ActivationType::kGELU_TANH},    // GELU_BIAS
    {true, true, true, ActivationType::kGELU_ERF},      // BIAS + C, erf-GELU by the Activation kernel
    {true, false, true, ActivationType::kLEAKY_RELU, 0.1f},
    {false, true, false, ActivationType::kRELU},        // the residual alone
};

TEST_F(CudaLibraryTest, MatmulEpilogueMatchesReference) {
    const std::vector<MmCase> cases = {
        {{7, 33}, {33, 129}},
        {{33, 7}, {5, 33}, MatrixOperation::kTRANSPOSE, MatrixOperation::kTRANSPOSE},
        {{4, 7, 33}, {33, 9}},           // batch folded into M
        {{5, 7, 33}, {5, 33, 9}},        // strided batch
        {{2, 1, 7, 33}, {1, 3, 33, 5}},  // broadcast loop of calls
        {{3, 7, 33}, {33}, MatrixOperation::kNONE, MatrixOperation::kVECTOR},  // bias along M: after the GEMM
    };
    uint64_t seed = 100;
    for (DataType t : kFloatTypes)
        for (const MmCase& c : cases)
            for (const Epi& e : kMatmulEpilogues) checkMatmulEpilogue(c, t, e, seed += 4);
}

TEST_F(CudaLibraryTest, MatmulEpilogueWithMisalignedPointers) {
    // Every pointer (bias and addend included) one element off: the bias goes after the GEMM, the
    // heuristic is told C's real alignment.
    uint64_t seed = 900;
    for (DataType t : kFloatTypes) {
        LaunchOptions opt;
        opt.misalignBytes = dataTypeSize(t);
        for (const Epi& e : kMatmulEpilogues) checkMatmulEpilogue({{33, 17}, {17, 7}}, t, e, seed += 4, opt);
    }
}

TEST_F(CudaLibraryTest, MatmulEpilogueWithEmptyContraction) {
    // K = 0: cuBLASLt takes no K = 0 layout, so zeros, then the epilogue as kernels.
    for (DataType t : kFloatTypes)
        checkMatmulEpilogue({{3, 0}, {0, 5}}, t, {true, true, true, ActivationType::kRELU}, 1200);
}

// ---- Convolution ---------------------------------------------------------------------------------------

struct ConvEpiCase {
    Shape x;
    int64_t k;
    Shape kernel, pre, post;
};

void checkConvEpilogue(const ConvEpiCase& c, DataType t, const Epi& e, uint64_t seed, bool channelsLast = false) {
    ir::ConvolutionAttrs attrs;
    attrs.nbOutputMaps = static_cast<int32_t>(c.k);
    attrs.kernelSize = makeDims(std::span<const int64_t>(c.kernel));
    attrs.prePadding = makeDims(std::span<const int64_t>(c.pre));
    attrs.postPadding = makeDims(std::span<const int64_t>(c.post));
    Shape w = {c.k, c.x[1]};
    w.insert(w.end(), c.kernel.begin(), c.kernel.end());
    const HostTensor x = HostTensor::random(t, makeDims(std::span<const int64_t>(c.x)), seed);
    const HostTensor wt = HostTensor::random(t, makeDims(std::span<const int64_t>(w)), seed + 1);
    const HostTensor bias = e.bias ? HostTensor::random(t, makeDims({c.k}), seed + 2) : HostTensor::absent();
    auto shapeRun = testing::runSingleOp(attrs, {x, wt, bias});
    ASSERT_TRUE(shapeRun.isOk()) << shapeRun.status().message();
    const Dims out = shapeRun.value()[0].shape;
    const HostTensor add = e.addend ? HostTensor::random(t, out, seed + 3, -2, 2) : HostTensor::absent();
    const std::string params = std::string("Convolution ") + dataTypeName(t) + " x" +
                               toString(makeDims(std::span<const int64_t>(c.x))) + " K " + std::to_string(c.k) +
                               " pre " + toString(attrs.prePadding) + " post " + toString(attrs.postPadding) +
                               describeEpi(e) + (channelsLast ? " channels-last" : "");
    ir::ConvolutionAttrs noAct = attrs;
    attrs.epilogue = epilogueOf(e);
    auto want = testing::runSingleOp(attrs, {x, wt, bias, add});
    ASSERT_TRUE(want.isOk()) << params << ": reference: " << want.status().message();
    auto pre = testing::runSingleOp(noAct, {x, wt, bias, add});
    ASSERT_TRUE(pre.isOk()) << params;
    auto scale = testing::runSingleOp(noAct, {gputest::absFloat(x), gputest::absFloat(wt), gputest::absFloat(bias)});
    ASSERT_TRUE(scale.isOk()) << params << ": " << scale.status().message();
    // Channels-last: the device gets NHWC copies; the channels-first reference's tensors are permuted.
    const auto layout = [&](const HostTensor& h) { return channelsLast ? gputest::toChannelsLast(h) : h; };
    const HostTensor ref = layout(want.value()[0]);
    std::vector<HostTensor> got{HostTensor(t, ref.shape)};
    ir::ConvolutionAttrs run = attrs;
    run.channelsLast = channelsLast;
    const Status st = gputest::runOnDevice({layout(x), layout(wt), bias, layout(add)}, got,
                                           [&](const cuda::KernelContext& ctx) { return cuda::runConvolution(run, ctx); });
    ASSERT_TRUE(st.isOk()) << params << ": " << st.message();
    double terms = static_cast<double>(c.x[1]) + 1;
    for (int64_t kx : c.kernel) terms *= static_cast<double>(kx);
    gputest::expectWithin(got[0], ref,
                          tolerances(ref, layout(pre.value()[0]), layout(scale.value()[0]), terms, t, e, true), params);
}

TEST_F(CudaLibraryTest, ConvolutionEpilogueMatchesReference) {
    const std::vector<ConvEpiCase> cases = {
        {{2, 16, 14, 14}, 32, {3, 3}, {1, 1}, {1, 1}},  // ResNet-like 3x3
        {{2, 64, 7, 7}, 256, {1, 1}, {}, {}},           // bottleneck conv3 (1x1): the residual add's place
        {{1, 3, 11, 9}, 5, {3, 2}, {1, 0}, {2, 1}},     // odd extents, asymmetric padding (staged input)
        {{2, 8, 17}, 12, {5}, {2}, {2}},                // 1-D
    };
    const Epi epilogues[] = {
        {true, true, true, ActivationType::kRELU},       // cuDNN fused: bias + z + ReLU
        {true, false, true, ActivationType::kRELU},      // fused, alpha2 = 0
        {true, true, false, ActivationType::kRELU},      // fused identity: IMPLICIT_PRECOMP_GEMM only
        {false, true, true, ActivationType::kRELU},      // no bias: the unfused tail
        {true, true, true, ActivationType::kCLIP},       // other activation: the unfused tail
        {true, false, true, ActivationType::kGELU_ERF},
    };
    uint64_t seed = 3000;
    for (DataType t : kFloatTypes)
        for (const ConvEpiCase& c : cases)
            for (Epi e : epilogues) {
                if (e.act == ActivationType::kCLIP) e.alpha = 0.0f;
                checkConvEpilogue(c, t, e, seed += 4);
                if (c.x.size() == 4) checkConvEpilogue(c, t, e, seed += 4, /*channelsLast=*/true);
            }
}

// ---- host-side decisions: no device needed ------------------------------------------------------------

TEST(CudaEpiloguePlan, CublasLtTakesWhatItCanAndTheRestRunsAfter) {
    ir::MatrixMultiplyAttrs mm;
    mm.epilogue.hasActivation = true;
    mm.epilogue.activation = ActivationType::kGELU_TANH;
    cuda::LtEpiloguePlan p = cuda::planLtEpilogue(mm, true, true, true, true);
    EXPECT_TRUE(p.fuseBias && p.fuseAddend && !p.biasAfter && !p.addendAfter && !p.activationAfter);
    EXPECT_EQ(p.fusedActivation, EpilogueActivation::kGELU_TANH);
    // erf-GELU: bias and C fused, the activation after.
    mm.epilogue.activation = ActivationType::kGELU_ERF;
    p = cuda::planLtEpilogue(mm, true, true, true, true);
    EXPECT_TRUE(p.fuseBias && p.fuseAddend && p.activationAfter);
    EXPECT_EQ(p.fusedActivation, EpilogueActivation::kNONE);
    // A misaligned bias goes after, and so must the ReLU that follows it.
    mm.epilogue.activation = ActivationType::kRELU;
    p = cuda::planLtEpilogue(mm, true, false, true, true);
    EXPECT_TRUE(!p.fuseBias && p.biasAfter && p.fuseAddend && p.activationAfter);
    // A vector op1: the output's last dim is M, not cuBLASLt's bias dim.
    mm.op1 = MatrixOperation::kVECTOR;
    p = cuda::planLtEpilogue(mm, true, true, false, true);
    EXPECT_TRUE(!p.fuseBias && p.biasAfter && p.activationAfter);
    // The retry without fusion puts everything after.
    mm.op1 = MatrixOperation::kNONE;
    p = cuda::planLtEpilogue(mm, true, true, true, false);
    EXPECT_FALSE(p.fusesAnything());
    EXPECT_TRUE(p.biasAfter && p.addendAfter && p.activationAfter);
    // No epilogue at all.
    p = cuda::planLtEpilogue(ir::MatrixMultiplyAttrs{}, false, false, false, true);
    EXPECT_FALSE(p.fusesAnything() || p.biasAfter || p.addendAfter || p.activationAfter);
}

TEST(CudaEpiloguePlan, CudnnFusedCallOnlyForBiasWithAnAddendOrRelu) {
    const TensorRef y{DataType::kHALF, makeDims({1, 4, 3, 3}), reinterpret_cast<void*>(0x1000)};
    const TensorRef bias{DataType::kHALF, makeDims({4}), reinterpret_cast<void*>(0x2000)};
    const TensorRef floatBias{DataType::kFLOAT, makeDims({4}), reinterpret_cast<void*>(0x3000)};
    ir::EpilogueAttrs e;
    // Bias alone: the plain convolution (any algorithm) and the bias kernel, not the fused call.
    EXPECT_FALSE(cuda::conv_cudnn::fusedConvApplies(e, &bias, nullptr, y));
    EXPECT_TRUE(cuda::conv_cudnn::fusedConvApplies(e, &bias, &y, y));      // bias + residual
    EXPECT_FALSE(cuda::conv_cudnn::fusedConvApplies(e, nullptr, &y, y));  // no bias
    EXPECT_FALSE(cuda::conv_cudnn::fusedConvApplies(e, &floatBias, nullptr, y));
    e.hasActivation = true;
    EXPECT_TRUE(cuda::conv_cudnn::fusedConvApplies(e, &bias, &y, y));
    e.activation = ActivationType::kSIGMOID;
    EXPECT_FALSE(cuda::conv_cudnn::fusedConvApplies(e, &bias, &y, y));
}

}  // namespace
}  // namespace kiln

#else  // !KILN_HAS_CUDA

TEST(CudaEpilogue, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
