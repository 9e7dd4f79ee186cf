// Convolution and Deconvolution on CUDA (cuDNN tactics, kernels/conv/) against the reference kernels
// on the host: 1-D, 2-D and 3-D, groups and depthwise, stride, dilation, symmetric and asymmetric
// padding, SAME and round-up padding modes, output padding, with and without bias, in float32, float16
// and bfloat16, on odd and prime extents. Device tests skip without a GPU; the argument-checking tests
// run on any CUDA build because they fail before touching the device.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/kernels/conv/conv_depthwise.h"
#include "cuda_conv_cases.h"
#include "cuda_kernel_test_util.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using gputest::ConvCase;
using gputest::convCases;
using gputest::CudaLibraryTest;
using gputest::deconvCases;
using gputest::dimsOf;
using gputest::LaunchOptions;

const DataType kFloatTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16};

/// Device result vs the reference kernel. Tolerance per element, with s = sum |x||w| + |bias| (the
/// reference run on absolute values) and L = (C / groups) * kernel volume products per output at most:
/// - 2 L u s: both sides accumulate in float32, each within L u s of the exact sum in any order;
/// - 1e-5 * max(s): cuDNN may pick FFT or Winograd algorithms, whose transforms spread rounding error
///   over a tile, so it is bounded by the tile's scale rather than the element's own s (TF32 products,
///   never allowed here, would exceed this ~10x);
/// - float16/bfloat16: cuDNN rounds the convolution to the type and the bias add rounds again, one
///   rounding each: eps * (s + |ref|); plus the subnormal spacing near zero.
/// With channelsLast (2-D Convolution only) the device runs the channels-last form on NHWC copies of the
/// same data and its result is compared with the channels-first reference's, permuted.
void checkConv(const ConvCase& c, bool deconv, DataType t, uint64_t seed, LaunchOptions opt = {},
               bool channelsLast = false) {
    const std::string params = c.describe(deconv, t) + " workspace " + std::to_string(opt.workspaceBytes) +
                               (channelsLast ? " channels-last" : "");
    const ir::Attrs attrs = c.attrs(deconv);
    const HostTensor x = HostTensor::random(t, dimsOf(c.x), seed);
    const HostTensor w = HostTensor::random(t, dimsOf(c.weightShape(deconv)), seed + 1);
    const HostTensor b = c.bias ? HostTensor::random(t, makeDims({c.k}), seed + 2) : HostTensor::absent();
    auto want = testing::runSingleOp(attrs, {x, w, b});
    ASSERT_TRUE(want.isOk()) << params << ": reference: " << want.status().message();
    auto scale =
        testing::runSingleOp(attrs, {gputest::absFloat(x), gputest::absFloat(w), gputest::absFloat(b)});
    ASSERT_TRUE(scale.isOk()) << params << ": " << scale.status().message();
    const HostTensor ref = channelsLast ? gputest::toChannelsLast(want.value()[0]) : want.value()[0];
    const HostTensor s = channelsLast ? gputest::toChannelsLast(scale.value()[0]) : scale.value()[0];
    std::vector<HostTensor> got{HostTensor(t, ref.shape)};
    const Status st = gputest::runOnDevice(
        channelsLast ? std::vector<HostTensor>{gputest::toChannelsLast(x), gputest::toChannelsLast(w), b}
                     : std::vector<HostTensor>{x, w, b},
        got,
        [&](const cuda::KernelContext& ctx) {
            if (deconv) return cuda::runDeconvolution(std::get<ir::DeconvolutionAttrs>(attrs), ctx);
            ir::ConvolutionAttrs a = std::get<ir::ConvolutionAttrs>(attrs);
            a.channelsLast = channelsLast;
            return cuda::runConvolution(a, ctx);
        },
        opt);
    ASSERT_TRUE(st.isOk()) << params << ": " << st.message();
    double sMax = 0.0;
    for (int64_t i = 0; i < s.numel(); ++i) sMax = std::max(sMax, s.at(i));
    const double products = static_cast<double>((c.x[1] / c.groups) * c.kernelVolume() + 1);
    const double eps = t == DataType::kFLOAT ? 0.0 : gputest::typeEpsilon(t);
    std::vector<double> tol(static_cast<size_t>(ref.numel()));
    for (int64_t i = 0; i < ref.numel(); ++i)
        tol[static_cast<size_t>(i)] = 2.0 * products * gputest::kF32Unit * s.at(i) + 1e-5 * sMax +
                                      eps * (s.at(i) + std::fabs(ref.at(i))) + gputest::subnormalSpacing(t);
    gputest::expectWithin(got[0], ref, tol, params);
}

TEST_F(CudaLibraryTest, ConvolutionMatchesReference) {
    uint64_t seed = 100;
    for (DataType t : kFloatTypes)
        for (const ConvCase& c : convCases()) checkConv(c, /*deconv=*/false, t, seed += 3);
}

// Channels-last (NHWC data, KRSC kernel; what the channels-last pass makes of 2-D convolutions): every 2-D
// case, with cuDNN's heuristic choice and with every candidate the autotuner would time.
TEST_F(CudaLibraryTest, ChannelsLastConvolutionMatchesReference) {
    uint64_t seed = 5000;
    int32_t tactics = 0;
    for (DataType t : kFloatTypes)
        for (const ConvCase& c : convCases()) {
            if (c.x.size() != 4) continue;
            checkConv(c, /*deconv=*/false, t, seed += 3, {}, /*channelsLast=*/true);
            ir::ConvolutionAttrs attrs = std::get<ir::ConvolutionAttrs>(c.attrs(false));
            attrs.channelsLast = true;
            const HostTensor x = gputest::toChannelsLast(HostTensor::random(t, dimsOf(c.x), 1));
            const HostTensor w = gputest::toChannelsLast(HostTensor::random(t, dimsOf(c.weightShape(false)), 2));
            const HostTensor b = c.bias ? HostTensor::random(t, makeDims({c.k}), 3) : HostTensor::absent();
            auto shapeRun = testing::runSingleOp(attrs, {x, w, b});
            ASSERT_TRUE(shapeRun.isOk()) << shapeRun.status().message();
            std::vector<HostTensor> out{HostTensor(t, shapeRun.value()[0].shape)};
            std::vector<cuda::TacticCandidate> listed;
            const Status st = gputest::runOnDevice({x, w, b}, out, [&](const cuda::KernelContext& ctx) {
                auto r = cuda::listTactics(attrs, ctx);
                if (r.isOk()) listed = r.value();
                return r.status();
            });
            ASSERT_TRUE(st.isOk()) << c.describe(false, t) << ": " << st.message();
            EXPECT_FALSE(listed.empty()) << c.describe(false, t);
            for (const cuda::TacticCandidate& cand : listed) {
                EXPECT_NE(cand.name, cuda::kDepthwiseTacticName) << "the own depthwise kernel is channels-first";
                LaunchOptions opt;
                opt.tactic = cand.id;
                SCOPED_TRACE(cand.name);
                checkConv(c, /*deconv=*/false, t, seed += 3, opt, /*channelsLast=*/true);
                ++tactics;
            }
        }
    EXPECT_GT(tactics, 0);
}

// The autotuner's candidates: every cuDNN algorithm (and, for the depthwise case, the own depthwise kernel)
// listTactics offers for a case runs it within the same tolerance (FFT and Winograd included), and the
// query itself launches nothing.
TEST_F(CudaLibraryTest, ConvolutionEveryTacticMatchesReference) {
    uint64_t seed = 700;
    int32_t tactics = 0;
    for (DataType t : kFloatTypes)
        for (const ConvCase& c : convCases()) {
            const ir::Attrs attrs = c.attrs(/*deconv=*/false);
            const HostTensor x = HostTensor::random(t, dimsOf(c.x), 1);
            const HostTensor w = HostTensor::random(t, dimsOf(c.weightShape(false)), 2);
            const HostTensor b = c.bias ? HostTensor::random(t, makeDims({c.k}), 3) : HostTensor::absent();
            auto ref = testing::runSingleOp(attrs, {x, w, b});
            ASSERT_TRUE(ref.isOk()) << ref.status().message();
            std::vector<HostTensor> out{HostTensor(t, ref.value()[0].shape)};
            std::vector<cuda::TacticCandidate> listed;
            const Status st = gputest::runOnDevice({x, w, b}, out, [&](const cuda::KernelContext& ctx) {
                auto r = cuda::listTactics(attrs, ctx);
                if (r.isOk()) listed = r.value();
                return r.status();
            });
            ASSERT_TRUE(st.isOk()) << c.describe(false, t) << ": " << st.message();
            // Nothing was launched: the output still holds the NaN fill.
            if (out[0].numel() > 0) {
                EXPECT_TRUE(std::isnan(out[0].at(0))) << c.describe(false, t);
            }
            if (c.x[1] > 0 && out[0].numel() > 0) {
                EXPECT_FALSE(listed.empty()) << c.describe(false, t);
            }
            for (const cuda::TacticCandidate& cand : listed) {
                EXPECT_TRUE(cand.name.rfind("cudnn_fwd_", 0) == 0 || cand.name == cuda::kDepthwiseTacticName)
                    << cand.name;
                EXPECT_LE(cand.workspaceBytes, gputest::kWorkspaceBytes) << cand.name;
                LaunchOptions opt;
                opt.tactic = cand.id;
                SCOPED_TRACE(cand.name);
                checkConv(c, /*deconv=*/false, t, seed += 3, opt);
                ++tactics;
            }
        }
    EXPECT_GT(tactics, 0);
}

TEST_F(CudaLibraryTest, DeconvolutionMatchesReference) {
    uint64_t seed = 2000;
    for (DataType t : kFloatTypes)
        for (const ConvCase& c : deconvCases()) checkConv(c, /*deconv=*/true, t, seed += 3);
}

TEST_F(CudaLibraryTest, ConvolutionWithoutWorkspaceUsesAZeroScratchAlgorithm) {
    LaunchOptions none;
    none.workspaceBytes = 0;
    uint64_t seed = 4000;
    // Implicit-GEMM algorithms need no scratch for float32 and float16 (pseudo-half); bfloat16's
    // zero-scratch coverage is not documented, so it is not asserted here.
    for (DataType t : {DataType::kFLOAT, DataType::kHALF}) {
        checkConv(convCases()[0], false, t, seed += 3, none);
        checkConv(deconvCases()[1], true, t, seed += 3, none);
    }
}

TEST_F(CudaLibraryTest, StagedPaddingNeedsWorkspace) {
    LaunchOptions none;
    none.workspaceBytes = 0;
    for (bool deconv : {false, true}) {
        const ConvCase& c = deconv ? deconvCases()[2] : convCases()[8];  // asymmetric padding
        const ir::Attrs attrs = c.attrs(deconv);
        const DataType t = DataType::kFLOAT;
        const std::vector<HostTensor> inputs = {HostTensor(t, dimsOf(c.x)),
                                                HostTensor(t, dimsOf(c.weightShape(deconv))),
                                                HostTensor(t, makeDims({c.k}))};
        auto want = testing::runSingleOp(attrs, inputs);  // for the output shape
        ASSERT_TRUE(want.isOk()) << want.status().message();
        std::vector<HostTensor> got{HostTensor(t, want.value()[0].shape)};
        const Status st = gputest::runOnDevice(
            inputs, got,
            [&](const cuda::KernelContext& ctx) {
                return deconv ? cuda::runDeconvolution(std::get<ir::DeconvolutionAttrs>(attrs), ctx)
                              : cuda::runConvolution(std::get<ir::ConvolutionAttrs>(attrs), ctx);
            },
            none);
        gputest::expectError(st, ErrorCode::kINVALID_STATE, {"bytes of workspace", "the context gives 0"},
                             c.describe(deconv, t));
    }
}

// ---- argument checks: fail before any device work, so they run on every CUDA build ----------------

struct FakeLaunch {
    std::vector<TensorRef> inputs, outputs;
    cuda::KernelContext ctx() const {
        cuda::KernelContext k;
        k.inputs = inputs;
        k.outputs = outputs;
        return k;  // no stream, workspace or libraries
    }
};

/// Tensors that are never dereferenced (the checks fail first), each at a distinct fake address.
FakeLaunch fakeConv(DataType x, DataType w, DataType y, int64_t biasValues) {
    FakeLaunch f;
    f.inputs = {TensorRef{x, makeDims({1, 3, 7, 5}), reinterpret_cast<void*>(0x1000)},
                TensorRef{w, makeDims({4, 3, 3, 3}), reinterpret_cast<void*>(0x2000)},
                TensorRef{y, makeDims({biasValues}), reinterpret_cast<void*>(0x3000)}};
    f.outputs = {TensorRef{y, makeDims({1, 4, 5, 3}), reinterpret_cast<void*>(0x4000)}};
    return f;
}

ir::ConvolutionAttrs plainConv() {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = 4;
    a.kernelSize = makeDims({3, 3});
    return a;
}

TEST(CudaConvArguments, NonFloatTypesAreRefusedWithAReason) {
    const FakeLaunch f = fakeConv(DataType::kINT8, DataType::kINT8, DataType::kINT8, 4);
    gputest::expectError(cuda::runConvolution(plainConv(), f.ctx()), ErrorCode::kUNSUPPORTED_STATE,
                         {"Convolution on CUDA", "float32, float16 or bfloat16, got int8", "cpu target"},
                         "int8 conv");
}

TEST(CudaConvArguments, MixedTypesAreRefused) {
    const FakeLaunch f = fakeConv(DataType::kHALF, DataType::kFLOAT, DataType::kHALF, 4);
    gputest::expectError(cuda::runConvolution(plainConv(), f.ctx()), ErrorCode::kUNSUPPORTED_STATE,
                         {"share one type", "float16, float32 -> float16"}, "half input, float kernel");
}

TEST(CudaConvArguments, BiasMustHoldOneValuePerOutputMap) {
    const FakeLaunch f = fakeConv(DataType::kFLOAT, DataType::kFLOAT, DataType::kFLOAT, 3);
    gputest::expectError(cuda::runConvolution(plainConv(), f.ctx()), ErrorCode::kINVALID_ARGUMENT,
                         {"bias [3]", "must hold 4 values"}, "bias of 3 for 4 maps");
}

TEST(CudaConvArguments, MissingLibraryHandlesAreReported) {
    const FakeLaunch f = fakeConv(DataType::kFLOAT, DataType::kFLOAT, DataType::kFLOAT, 4);
    gputest::expectError(cuda::runConvolution(plainConv(), f.ctx()), ErrorCode::kINVALID_STATE,
                         {"cuDNN handle", "LibraryHandles", "[1,3,7,5]"}, "conv without libraries");
    FakeLaunch d = f;
    d.inputs[1].shape = makeDims({3, 4, 3, 3});  // [C, K/groups, k...]
    d.outputs[0].shape = makeDims({1, 4, 9, 7});
    ir::DeconvolutionAttrs a;
    a.nbOutputMaps = 4;
    a.kernelSize = makeDims({3, 3});
    gputest::expectError(cuda::runDeconvolution(a, d.ctx()), ErrorCode::kINVALID_STATE,
                         {"Deconvolution on CUDA", "cuDNN handle"}, "deconv without libraries");
}

TEST(CudaConvArguments, ShapesThatDisagreeAreRefused) {
    FakeLaunch f = fakeConv(DataType::kFLOAT, DataType::kFLOAT, DataType::kFLOAT, 4);
    ir::ConvolutionAttrs a = plainConv();
    a.nbGroups = 2;  // C = 3 is not divisible by 2
    gputest::expectError(cuda::runConvolution(a, f.ctx()), ErrorCode::kINVALID_ARGUMENT,
                         {"nbGroups 2", "disagree", "[1,3,7,5]"}, "groups 2 with C 3");
}

}  // namespace
}  // namespace kiln

#else  // !KILN_HAS_CUDA

TEST(CudaConv, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
