// The own depthwise Convolution tactics against the reference kernels on the host. Channels-first
// (kernels/conv/conv_depthwise_direct.cu, kDepthwiseTactic): 3x3 and 5x5 at stride 1 and 2 (the
// register-filter kernels), 7x7 dilated, rectangular, stride 3, asymmetric, SAME and round-up padding
// (the general kernel), 1-D, one channel, batch 1, planes several to a block and tiles several to a
// plane. Channels-last (kernels/conv/conv_depthwise_nhwc.cu, kDepthwiseNhwcTactic; NHWC copies of the
// same data, compared with the channels-first reference's result permuted): channel counts that are a
// multiple of the 16-byte vector and not (2- and 1-channel vectors), 3x3/5x5/7x7 at stride 1 and 2 (the
// unrolled kernels), rectangular, dilated, larger windows, stride 3, asymmetric, SAME and round-up
// padding (the general loop), output widths not a multiple of the 4 columns a thread computes, several
// channel chunks, batch > 1. Both with no bias, bias (also of another type than the data), addend, ReLU,
// ReLU6 (Clip) and other fused activations, in float32, float16 and bfloat16, also on buffers off
// cudaMalloc's alignment; that the autotuner's query offers each tactic exactly where it applies; that
// asking for one elsewhere is an error naming the shape (no device needed for that one); and opt-in
// timings against cuDNN on MobileNetV2's depthwise layers.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "backends/cuda/kernels/conv/conv_depthwise.h"
#include "cuda_conv_cases.h"
#include "cuda_kernel_test_util.h"
#include "support/single_op.h"

namespace kiln {
namespace {

using gputest::CudaLibraryTest;
using gputest::DeviceEnv;
using gputest::dimsOf;
using gputest::LaunchOptions;
using gputest::Shape;

const DataType kFloatTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16};

struct DwCase {
    Shape x;  ///< [N, C, spatial...]
    Shape kernel, stride{}, dilation{}, pre{}, post{};
    PaddingMode mode{PaddingMode::kEXPLICIT_ROUND_DOWN};

    ir::ConvolutionAttrs attrs() const {
        ir::ConvolutionAttrs a;
        a.nbOutputMaps = static_cast<int32_t>(x[1]);
        a.kernelSize = dimsOf(kernel);
        a.stride = dimsOf(stride);
        a.dilation = dimsOf(dilation);
        a.prePadding = dimsOf(pre);
        a.postPadding = dimsOf(post);
        a.nbGroups = static_cast<int32_t>(x[1]);
        a.paddingMode = mode;
        return a;
    }
    Shape weightShape() const {
        Shape w{x[1], 1};
        w.insert(w.end(), kernel.begin(), kernel.end());
        return w;
    }
    std::string describe() const {
        return "depthwise x=" + gputest::str(x) + " kernel=" + gputest::str(kernel) +
               " stride=" + gputest::str(stride) + " dilation=" + gputest::str(dilation) +
               " pre=" + gputest::str(pre) + " post=" + gputest::str(post) +
               " mode=" + std::to_string(static_cast<int>(mode));
    }
};

const std::vector<DwCase>& dwCases() {
    static const std::vector<DwCase> cases = {
        {{2, 7, 13, 11}, {3, 3}, {}, {}, {1, 1}, {1, 1}},      // 3x3 s1 (registers)
        {{2, 7, 13, 11}, {3, 3}, {2, 2}, {}, {1, 1}, {1, 1}},  // 3x3 s2 (registers)
        {{2, 7, 13, 11}, {5, 5}, {}, {}, {2, 2}, {2, 2}},      // 5x5 s1 (registers)
        {{2, 7, 13, 11}, {5, 5}, {2, 2}, {}, {2, 2}, {1, 1}},  // 5x5 s2, uneven (registers)
        {{2, 7, 13, 11}, {7, 7}, {}, {2, 2}, {6, 6}, {6, 6}},  // 7x7 dilation 2 (general)
        {{2, 7, 13, 11}, {3, 3}, {}, {}, {0, 1}, {2, 0}},      // asymmetric padding
        {{2, 7, 13, 11}, {3, 2}, {2, 1}, {}, {1, 0}, {0, 1}},  // rectangular, mixed stride
        {{1, 4, 17, 19}, {3, 3}, {3, 3}, {}, {1, 1}, {1, 1}},  // stride 3
        {{2, 7, 13, 11}, {3, 3}, {2, 2}, {}, {}, {}, PaddingMode::kSAME_UPPER},
        {{1, 3, 8, 8}, {3, 3}, {2, 2}, {}, {}, {}, PaddingMode::kEXPLICIT_ROUND_UP},  // extra last window
        {{1, 1, 9, 8}, {3, 3}, {}, {}, {1, 1}, {1, 1}},                               // one channel, batch 1
        {{2, 5, 11}, {3}, {2}, {}, {1}, {1}},                                         // 1-D
        {{2, 37, 7, 7}, {3, 3}, {}, {}, {1, 1}, {1, 1}},         // 16 planes a block, last one partial
        {{1, 6, 3, 2}, {3, 3}, {}, {}, {0, 0}, {2, 2}},          // output wider than the input reach
        {{3, 5, 61, 70}, {3, 3}, {}, {}, {1, 1}, {1, 1}},        // 3 x 2 tiles per plane, partial
        {{2, 3, 112, 112}, {3, 3}, {2, 2}, {}, {0, 0}, {1, 1}},  // MobileNet's stride-2 layer
    };
    return cases;
}

/// Channels-last cases (2-D only; given channels-first like dwCases and permuted for the device).
const std::vector<DwCase>& nhwcCases() {
    static const std::vector<DwCase> cases = {
        {{2, 16, 13, 11}, {3, 3}, {}, {}, {1, 1}, {1, 1}},      // 3x3 s1, output width 11 (not 4k)
        {{2, 16, 13, 11}, {3, 3}, {2, 2}, {}, {1, 1}, {1, 1}},  // 3x3 s2
        {{2, 24, 13, 11}, {5, 5}, {}, {}, {2, 2}, {2, 2}},      // 5x5 s1
        {{2, 8, 13, 11}, {5, 5}, {2, 2}, {}, {2, 2}, {1, 1}},   // 5x5 s2, uneven
        {{1, 16, 15, 13}, {7, 7}, {}, {}, {3, 3}, {3, 3}},      // 7x7 s1
        {{2, 8, 13, 11}, {7, 7}, {}, {2, 2}, {6, 6}, {6, 6}},   // 7x7 dilation 2 (general loop)
        {{2, 16, 13, 11}, {3, 3}, {}, {}, {0, 1}, {2, 0}},      // asymmetric padding
        {{2, 8, 13, 11}, {3, 2}, {2, 1}, {}, {1, 0}, {0, 1}},   // rectangular, mixed stride
        {{1, 8, 17, 19}, {3, 3}, {3, 3}, {}, {1, 1}, {1, 1}},   // stride 3
        {{2, 16, 13, 11}, {3, 3}, {2, 2}, {}, {}, {}, PaddingMode::kSAME_UPPER},
        {{1, 8, 8, 8}, {3, 3}, {2, 2}, {}, {}, {}, PaddingMode::kEXPLICIT_ROUND_UP},  // extra last window
        {{2, 7, 13, 11}, {3, 3}, {}, {}, {1, 1}, {1, 1}},       // 7 channels: single-channel threads
        {{2, 6, 9, 10}, {3, 3}, {2, 2}, {}, {1, 1}, {1, 1}},    // 6 channels: 2-channel vectors
        {{1, 1, 9, 8}, {3, 3}, {}, {}, {1, 1}, {1, 1}},         // one channel, batch 1
        {{2, 36, 9, 9}, {5, 5}, {}, {}, {2, 2}, {2, 2}},        // 36: 2-channel (16-bit), 4-channel (float32)
        {{1, 264, 7, 7}, {3, 3}, {}, {}, {1, 1}, {1, 1}},       // several channel chunks, the last short
        {{2, 32, 29, 30}, {3, 3}, {2, 2}, {}, {0, 0}, {1, 1}},  // MobileNet's stride-2 padding
        {{1, 8, 3, 2}, {3, 3}, {}, {}, {0, 0}, {2, 2}},         // output wider than the input reach
        {{3, 16, 61, 70}, {3, 3}, {}, {}, {1, 1}, {1, 1}},      // many blocks
        {{1, 16, 14, 14}, {9, 9}, {}, {}, {4, 4}, {4, 4}},      // a window past 7 (general loop)
    };
    return cases;
}

struct Epi {
    bool bias{false}, addend{false}, hasAct{false};
    ActivationType act{ActivationType::kRELU};
    float alpha{0.0f}, beta{0.0f};
    bool float32Bias{false};  ///< a float32 bias for a narrower data type
    std::string describe() const {
        return std::string(" bias ") + (bias ? (float32Bias ? "f32" : "1") : "0") + " addend " +
               (addend ? "1" : "0") + " act " + (hasAct ? std::to_string(static_cast<int>(act)) : "none");
    }
};

const Epi kEpilogues[] = {
    {},                                                         // plain convolution
    {true},                                                     // bias
    {true, true},                                               // bias + residual
    {true, false, true, ActivationType::kRELU},                 // bias + ReLU
    {true, true, true, ActivationType::kCLIP, 0.0f, 6.0f},      // bias + residual + ReLU6
    {false, true, true, ActivationType::kHARD_SWISH},           // no bias, addend, other activation
    {true, false, true, ActivationType::kSIGMOID, 0, 0, true},  // float32 bias, sigmoid
};

/// Device result vs the reference. Both sides accumulate the window's products and the bias in float32
/// (each within L u s of the exact sum, L = window + 1 terms, s = sum |x||w| + |bias|; the terms are
/// counted twice for margin), add the addend and apply the activation in float (slope <= 1.5 for these:
/// hard-swish at 3) and round once into the type: the rounding of nearly equal values may differ by one
/// ulp, eps |ref|; CUDA's expf may differ from the host's by a few float32 ulps, 4 u32 |ref|; plus
/// float16's subnormal spacing. With channelsLast the device runs the channels-last tactic on NHWC copies
/// of the same tensors (kernel [C, kh, kw, 1]) and its result is compared with the reference's, permuted.
void checkDepthwise(const DwCase& c, DataType t, const Epi& e, uint64_t seed, LaunchOptions opt = {},
                    bool channelsLast = false) {
    const std::string params = c.describe() + " " + dataTypeName(t) + e.describe() + " misalign " +
                               std::to_string(opt.misalignBytes) + (channelsLast ? " channels-last" : "");
    const auto layout = [&](const HostTensor& h) { return channelsLast ? gputest::toChannelsLast(h) : h; };
    ir::ConvolutionAttrs attrs = c.attrs();
    const HostTensor x = HostTensor::random(t, dimsOf(c.x), seed);
    const HostTensor w = HostTensor::random(t, dimsOf(c.weightShape()), seed + 1);
    const DataType biasType = e.float32Bias ? DataType::kFLOAT : t;
    const HostTensor b =
        e.bias ? HostTensor::random(biasType, makeDims({c.x[1]}), seed + 2) : HostTensor::absent();
    auto shaped = testing::runSingleOp(attrs, {x, w, b});
    ASSERT_TRUE(shaped.isOk()) << params << ": reference: " << shaped.status().message();
    const Dims out = shaped.value()[0].shape;
    const HostTensor add = e.addend ? HostTensor::random(t, out, seed + 3, -2, 2) : HostTensor::absent();
    const ir::ConvolutionAttrs noAct = attrs;
    attrs.epilogue.hasActivation = e.hasAct;
    attrs.epilogue.activation = e.act;
    attrs.epilogue.alpha = e.alpha;
    attrs.epilogue.beta = e.beta;
    auto want = testing::runSingleOp(attrs, {x, w, b, add});
    ASSERT_TRUE(want.isOk()) << params << ": reference: " << want.status().message();
    auto pre = testing::runSingleOp(noAct, {x, w, b, add});
    ASSERT_TRUE(pre.isOk()) << params << ": " << pre.status().message();
    auto scale =
        testing::runSingleOp(noAct, {gputest::absFloat(x), gputest::absFloat(w), gputest::absFloat(b)});
    ASSERT_TRUE(scale.isOk()) << params << ": " << scale.status().message();
    const HostTensor ref = layout(want.value()[0]);
    const HostTensor preSum = layout(pre.value()[0]), scaleSum = layout(scale.value()[0]);
    std::vector<HostTensor> got{HostTensor(t, ref.shape)};
    opt.tactic = channelsLast ? cuda::kDepthwiseNhwcTactic : cuda::kDepthwiseTactic;
    ir::ConvolutionAttrs deviceAttrs = attrs;
    deviceAttrs.channelsLast = channelsLast;
    const Status st = gputest::runOnDevice(
        {layout(x), layout(w), b, layout(add)}, got,
        [&](const cuda::KernelContext& ctx) { return cuda::runConvolution(deviceAttrs, ctx); }, opt);
    ASSERT_TRUE(st.isOk()) << params << ": " << st.message();
    double terms = 2;
    for (int64_t k : c.kernel) terms *= static_cast<double>(k);
    const double eps = t == DataType::kFLOAT ? 0.0 : gputest::typeEpsilon(t);
    std::vector<double> tol(static_cast<size_t>(ref.numel()));
    for (int64_t i = 0; i < ref.numel(); ++i) {
        const double z = std::fabs(preSum.at(i));
        tol[static_cast<size_t>(i)] = 1.5 * 2.0 * terms * gputest::kF32Unit * (scaleSum.at(i) + z) +
                                      (eps + 8 * gputest::kF32Unit) * std::fabs(ref.at(i)) +
                                      gputest::subnormalSpacing(t);
    }
    gputest::expectWithin(got[0], ref, tol, params);
}

TEST_F(CudaLibraryTest, DepthwiseTacticMatchesReference) {
    uint64_t seed = 9000;
    for (DataType t : kFloatTypes)
        for (const DwCase& c : dwCases())
            for (const Epi& e : kEpilogues) checkDepthwise(c, t, e, seed += 4);
}

// The kernel makes no vector accesses: element-aligned buffers off cudaMalloc's 256-byte alignment work.
TEST_F(CudaLibraryTest, DepthwiseTacticTakesMisalignedBuffers) {
    uint64_t seed = 9500;
    for (DataType t : kFloatTypes) {
        LaunchOptions opt;
        opt.misalignBytes = static_cast<int64_t>(dataTypeSize(t));
        checkDepthwise(dwCases()[0], t, kEpilogues[4], seed += 4, opt);
        checkDepthwise(dwCases()[4], t, kEpilogues[2], seed += 4, opt);
    }
}

/// The candidate names listTactics gives for a convolution case of cuda_conv_cases.h, run channels-first
/// or (2-D only) channels-last.
std::vector<std::string> candidateNames(const gputest::ConvCase& c, DataType t, bool channelsLast = false) {
    ir::ConvolutionAttrs first = std::get<ir::ConvolutionAttrs>(c.attrs(/*deconv=*/false));
    std::vector<HostTensor> inputs = {
        HostTensor::random(t, dimsOf(c.x), 1), HostTensor::random(t, dimsOf(c.weightShape(false)), 2),
        c.bias ? HostTensor::random(t, makeDims({c.k}), 3) : HostTensor::absent()};
    auto shaped = testing::runSingleOp(first, inputs);
    EXPECT_TRUE(shaped.isOk()) << shaped.status().message();
    if (!shaped.isOk()) return {};
    std::vector<HostTensor> out{HostTensor(t, shaped.value()[0].shape)};
    ir::ConvolutionAttrs a = first;
    if (channelsLast) {
        a.channelsLast = true;
        inputs = {gputest::toChannelsLast(inputs[0]), gputest::toChannelsLast(inputs[1]), inputs[2]};
        out = {HostTensor(t, channelsLastDims(out[0].shape))};
    }
    const ir::Attrs attrs = a;
    std::vector<std::string> names;
    const Status st = gputest::runOnDevice(inputs, out, [&](const cuda::KernelContext& ctx) {
        auto r = cuda::listTactics(attrs, ctx);
        if (r.isOk())
            for (const cuda::TacticCandidate& cand : r.value()) names.push_back(cand.name);
        return r.status();
    });
    EXPECT_TRUE(st.isOk()) << c.describe(false, t) << ": " << st.message();
    return names;
}

TEST_F(CudaLibraryTest, DepthwiseTacticIsOfferedExactlyWhereItApplies) {
    using gputest::ConvCase;
    const auto offered = [](const ConvCase& c, DataType t) {
        const std::vector<std::string> names = candidateNames(c, t);
        EXPECT_FALSE(names.empty()) << c.describe(false, t);  // cuDNN always has algorithms for these
        return std::count(names.begin(), names.end(), std::string(cuda::kDepthwiseTacticName));
    };
    for (DataType t : kFloatTypes) {
        // Depthwise: offered once, also with asymmetric padding and in 1-D.
        EXPECT_EQ(offered({{2, 6, 7, 5}, 6, {3, 3}, 6, {1, 2}, {}, {1, 1}, {1, 1}}, t), 1);
        EXPECT_EQ(offered({{1, 5, 9, 8}, 5, {5, 3}, 5, {}, {}, {2, 0}, {1, 1}}, t), 1);
        EXPECT_EQ(offered({{2, 4, 11}, 4, {3}, 4, {}, {}, {1}, {1}}, t), 1);
        // Not depthwise or out of the kernel's reach: groups != C, channel multiplier 2, a plain
        // convolution, 3-D, a window past 7.
        EXPECT_EQ(offered({{1, 6, 7, 5}, 6, {3, 3}, 3, {}, {}, {1, 1}, {1, 1}}, t), 0);
        EXPECT_EQ(offered({{1, 3, 7, 5}, 6, {3, 3}, 3, {}, {}, {1, 1}, {1, 1}}, t), 0);
        EXPECT_EQ(offered({{1, 1, 7, 5}, 4, {3, 3}, 1, {}, {}, {1, 1}, {1, 1}}, t), 0);
        EXPECT_EQ(offered({{1, 3, 5, 7, 6}, 3, {3, 3, 3}, 3, {}, {}, {1, 1, 1}, {1, 1, 1}}, t), 0);
        EXPECT_EQ(offered({{1, 3, 12, 12}, 3, {9, 9}, 3, {}, {}, {4, 4}, {4, 4}}, t), 0);
    }
}

TEST_F(CudaLibraryTest, DepthwiseNhwcTacticMatchesReference) {
    uint64_t seed = 12000;
    for (DataType t : kFloatTypes)
        for (const DwCase& c : nhwcCases())
            for (const Epi& e : kEpilogues) checkDepthwise(c, t, e, seed += 4, {}, /*channelsLast=*/true);
}

// Buffers off the 16-byte alignment of the vector loads: one element off (single-channel threads) and two
// elements off (2-channel vectors), on channel counts that take 16-byte vectors when aligned.
TEST_F(CudaLibraryTest, DepthwiseNhwcTacticTakesMisalignedBuffers) {
    uint64_t seed = 12500;
    for (DataType t : kFloatTypes)
        for (int64_t elements : {1, 2}) {
            LaunchOptions opt;
            opt.misalignBytes = elements * static_cast<int64_t>(dataTypeSize(t));
            checkDepthwise(nhwcCases()[0], t, kEpilogues[4], seed += 4, opt, /*channelsLast=*/true);
            checkDepthwise(nhwcCases()[5], t, kEpilogues[2], seed += 4, opt, /*channelsLast=*/true);
        }
}

TEST_F(CudaLibraryTest, DepthwiseNhwcTacticIsOfferedExactlyWhereItApplies) {
    using gputest::ConvCase;
    const auto count = [](const std::vector<std::string>& names, const char* name) {
        return std::count(names.begin(), names.end(), std::string(name));
    };
    for (DataType t : kFloatTypes) {
        // Channels-last depthwise (also asymmetric padding, a rectangular window, a window past 7): the
        // channels-last kernel, once, and not the channels-first one.
        for (const ConvCase& c : {ConvCase{{2, 6, 7, 5}, 6, {3, 3}, 6, {1, 2}, {}, {1, 1}, {1, 1}},
                                  ConvCase{{1, 16, 9, 8}, 16, {5, 3}, 16, {}, {}, {2, 0}, {1, 1}},
                                  ConvCase{{1, 8, 12, 12}, 8, {9, 9}, 8, {}, {}, {4, 4}, {4, 4}}}) {
            const std::vector<std::string> names = candidateNames(c, t, /*channelsLast=*/true);
            EXPECT_EQ(count(names, cuda::kDepthwiseNhwcTacticName), 1) << c.describe(false, t);
            EXPECT_EQ(count(names, cuda::kDepthwiseTacticName), 0) << c.describe(false, t);
        }
        // The same layer channels-first: the channels-first kernel only.
        const std::vector<std::string> first =
            candidateNames({{2, 6, 7, 5}, 6, {3, 3}, 6, {1, 2}, {}, {1, 1}, {1, 1}}, t);
        EXPECT_EQ(count(first, cuda::kDepthwiseNhwcTacticName), 0);
        EXPECT_EQ(count(first, cuda::kDepthwiseTacticName), 1);
        // Channels-last, not depthwise: groups != C, channel multiplier 2, a plain convolution.
        for (const ConvCase& c : {ConvCase{{1, 6, 7, 5}, 6, {3, 3}, 3, {}, {}, {1, 1}, {1, 1}},
                                  ConvCase{{1, 3, 7, 5}, 6, {3, 3}, 3, {}, {}, {1, 1}, {1, 1}},
                                  ConvCase{{1, 8, 7, 5}, 8, {3, 3}, 1, {}, {}, {1, 1}, {1, 1}}}) {
            const std::vector<std::string> names = candidateNames(c, t, /*channelsLast=*/true);
            EXPECT_FALSE(names.empty()) << c.describe(false, t);  // cuDNN has algorithms for these
            EXPECT_EQ(count(names, cuda::kDepthwiseNhwcTacticName), 0) << c.describe(false, t);
        }
    }
}

// ---- timing (opt-in: --gtest_also_run_disabled_tests) -------------------------------------------------

/// Device time per run of `run` (which enqueues on the test stream): one warm-up run, then the median of
/// kRounds replays of a CUDA graph of kLaunches runs. As in the autotuner, the graph keeps the host's cost
/// per launch (a cuDNN legacy call takes about as long as a small layer's kernel) out of the timing.
double graphTimeMs(const std::function<Status()>& run, Status* st) {
    constexpr int kLaunches = 20, kRounds = 7;
    cudaStream_t stream = gputest::deviceEnv()->stream;
    *st = run();
    if (!st->isOk()) return -1.0;
    if (cudaStreamSynchronize(stream) != cudaSuccess) {
        *st = executionFailed(std::string("warm-up run failed: ") + cudaGetErrorString(cudaGetLastError()));
        return -1.0;
    }
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
        *st = executionFailed("cudaStreamBeginCapture failed");
        return -1.0;
    }
    for (int i = 0; i < kLaunches && st->isOk(); ++i) *st = run();
    const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
    if (st->isOk() && (ended != cudaSuccess || cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess))
        *st = executionFailed("the runs cannot be captured into a CUDA graph");
    std::vector<double> rounds;
    cudaEvent_t begin = nullptr, end = nullptr;
    cudaEventCreate(&begin);
    cudaEventCreate(&end);
    for (int k = 0; k < kRounds && st->isOk(); ++k) {
        cudaEventRecord(begin, stream);
        cudaGraphLaunch(exec, stream);
        cudaEventRecord(end, stream);
        if (cudaEventSynchronize(end) != cudaSuccess) *st = executionFailed("graph replay failed");
        float ms = 0.0f;
        cudaEventElapsedTime(&ms, begin, end);
        rounds.push_back(static_cast<double>(ms) / kLaunches);
    }
    cudaEventDestroy(begin);
    cudaEventDestroy(end);
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    if (!st->isOk()) return -1.0;
    std::sort(rounds.begin(), rounds.end());
    return rounds[rounds.size() / 2];
}

/// MobileNetV2's depthwise layers (3x3, padding 1): channels, input extent, stride, and how many of the
/// network's 17 have that shape.
struct MobileNetLayer {
    int64_t c, h, stride, count;
};
const MobileNetLayer kMobileNetV2Depthwise[] = {
    {32, 112, 1, 1}, {96, 112, 2, 1}, {144, 56, 1, 1}, {144, 56, 2, 1}, {192, 28, 1, 2},
    {192, 28, 2, 1}, {384, 14, 1, 4}, {576, 14, 1, 2}, {576, 14, 2, 1}, {960, 7, 1, 3},
};

/// Times MobileNetV2's depthwise layers at `batch` in float16 with their fused bias + ReLU6, channels-first
/// or channels-last: the own kernel of that layout and every cuDNN candidate the autotuner would time
/// (with the unfused bias and Clip kernels they need). Prints a row per layer (own time and bandwidth,
/// x and y bytes moved once; the fastest cuDNN candidate) and totals over the distinct layers and over
/// the network's 17. The own kernel must be offered and run; a cuDNN candidate that fails is reported.
void timeMobileNetV2Depthwise(int64_t batch, bool channelsLast) {
    const DataType t = DataType::kHALF;
    const int64_t ownTactic = channelsLast ? cuda::kDepthwiseNhwcTactic : cuda::kDepthwiseTactic;
    DeviceEnv* env = gputest::deviceEnv();
    double ownTotal = 0.0, cudnnTotal = 0.0, ownNet = 0.0, cudnnNet = 0.0;
    std::printf("MobileNetV2 depthwise layers, float16, batch %lld, %s\n", static_cast<long long>(batch),
                channelsLast ? "channels-last (NHWC)" : "channels-first (NCHW)");
    std::printf("%-24s %5s %10s %8s %10s %7s %-40s\n", "layer [N,C,H,W] s", "count", "own us", "own GB/s",
                "cuDNN us", "speedup", "best cuDNN");
    for (const MobileNetLayer& l : kMobileNetV2Depthwise) {
        const DwCase c{{batch, l.c, l.h, l.h}, {3, 3}, {l.stride, l.stride}, {}, {1, 1}, {1, 1}};
        ir::ConvolutionAttrs attrs = c.attrs();
        attrs.epilogue.hasActivation = true;
        attrs.epilogue.activation = ActivationType::kCLIP;
        attrs.epilogue.beta = 6.0f;
        attrs.channelsLast = channelsLast;
        const int64_t out = (l.h + 2 - 3) / l.stride + 1;
        Dims xs = dimsOf(c.x), ws = dimsOf(c.weightShape()), ys = makeDims({batch, l.c, out, out});
        if (channelsLast) {
            xs = channelsLastDims(xs);
            ws = channelsLastDims(ws);
            ys = channelsLastDims(ys);
        }
        gputest::DeviceBuffer x(volume(xs) * 2), w(volume(ws) * 2), b(l.c * 2), y(volume(ys) * 2);
        cudaMemset(x.get(), 0, static_cast<size_t>(volume(xs) * 2));
        cudaMemset(w.get(), 0, static_cast<size_t>(volume(ws) * 2));
        cudaMemset(b.get(), 0, static_cast<size_t>(l.c * 2));
        cudaDeviceSynchronize();
        const std::vector<TensorRef> ins = {TensorRef{t, xs, x.get()}, TensorRef{t, ws, w.get()},
                                            TensorRef{t, makeDims({l.c}), b.get()}};
        const std::vector<TensorRef> outs = {TensorRef{t, ys, y.get()}};
        cuda::KernelContext ctx;
        ctx.inputs = ins;
        ctx.outputs = outs;
        ctx.stream = env->stream;
        ctx.workspace = env->workspace.get();
        ctx.workspaceSize = gputest::kWorkspaceBytes;
        ctx.libraries = env->libraries.get();
        auto listed = cuda::listTactics(attrs, ctx);
        ASSERT_TRUE(listed.isOk()) << listed.status().message();
        double own = -1.0, best = -1.0;
        std::string bestName = "-";
        for (const cuda::TacticCandidate& cand : listed.value()) {
            ctx.tactic = cand.id;
            Status st;
            const double ms = graphTimeMs([&] { return cuda::runConvolution(attrs, ctx); }, &st);
            if (cand.id == ownTactic) {
                ASSERT_TRUE(st.isOk()) << cand.name << " on " << c.describe() << ": " << st.message();
                own = ms;
            } else if (!st.isOk()) {
                std::printf("  (%s did not run: %s)\n", cand.name.c_str(), st.message().c_str());
            } else if (best < 0 || ms < best) {
                best = ms;
                bestName = cand.name;
            }
        }
        ASSERT_GE(own, 0.0) << "own kernel not offered for " << c.describe();
        const double bytes = static_cast<double>(volume(xs) + volume(ys)) * 2.0;
        ownTotal += own;
        ownNet += own * static_cast<double>(l.count);
        if (best >= 0) {
            cudnnTotal += best;
            cudnnNet += best * static_cast<double>(l.count);
        }
        std::printf("%-24s %5lld %10.1f %8.0f %10.1f %7.2f %-40s\n",
                    (gputest::str(c.x) + " s" + std::to_string(l.stride)).c_str(),
                    static_cast<long long>(l.count), own * 1e3, bytes / (own * 1e-3) / 1e9, best * 1e3,
                    best > 0 ? best / own : 0.0, bestName.c_str());
    }
    std::printf("%-24s %5s %10.1f %8s %10.1f %7.2f\n", "total (distinct layers)", "", ownTotal * 1e3, "",
                cudnnTotal * 1e3, cudnnTotal / ownTotal);
    std::printf("%-24s %5s %10.1f %8s %10.1f %7.2f\n", "total (network, 17)", "", ownNet * 1e3, "",
                cudnnNet * 1e3, cudnnNet / ownNet);
}

// The channels-first kernel against cuDNN's channels-first algorithms, batch 64.
TEST_F(CudaLibraryTest, DISABLED_DepthwiseTacticTimingOnMobileNetV2) {
    timeMobileNetV2Depthwise(64, /*channelsLast=*/false);
}

// The channels-last kernel against cuDNN's NHWC algorithms (what float16 plans run since the
// channels-last pass), batch 1 and 64.
TEST_F(CudaLibraryTest, DISABLED_DepthwiseNhwcTacticTimingOnMobileNetV2) {
    for (int64_t batch : {1, 64}) timeMobileNetV2Depthwise(batch, /*channelsLast=*/true);
}

// ---- argument checks: fail before any device work, so they run on every CUDA build ----------------

TEST(CudaDepthwiseArguments, TacticOnANonDepthwiseConvolutionIsAnErrorNamingTheShape) {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = 4;
    a.kernelSize = makeDims({3, 3});
    a.nbGroups = 1;
    const std::vector<TensorRef> inputs = {
        TensorRef{DataType::kFLOAT, makeDims({1, 4, 7, 5}), reinterpret_cast<void*>(0x1000)},
        TensorRef{DataType::kFLOAT, makeDims({4, 4, 3, 3}), reinterpret_cast<void*>(0x2000)}};
    const std::vector<TensorRef> outputs = {
        TensorRef{DataType::kFLOAT, makeDims({1, 4, 5, 3}), reinterpret_cast<void*>(0x3000)}};
    cuda::KernelContext ctx;
    ctx.inputs = inputs;
    ctx.outputs = outputs;
    ctx.tactic = cuda::kDepthwiseTactic;  // no stream, workspace or libraries: nothing may be launched
    gputest::expectError(
        cuda::runConvolution(a, ctx), ErrorCode::kINVALID_ARGUMENT,
        {"own_depthwise_direct", "[1,4,7,5]", "[4,4,3,3]", "nbGroups 1", "not depthwise", "rebuild the plan"},
        "depthwise tactic on a plain convolution");
}

TEST(CudaDepthwiseArguments, NhwcTacticElsewhereIsAnErrorNamingTheShape) {
    ir::ConvolutionAttrs a;
    a.nbOutputMaps = 4;
    a.kernelSize = makeDims({3, 3});
    a.nbGroups = 4;
    cuda::KernelContext ctx;  // no stream, workspace or libraries: nothing may be launched
    ctx.tactic = cuda::kDepthwiseNhwcTactic;
    // A depthwise convolution, but channels-first.
    const std::vector<TensorRef> first = {
        TensorRef{DataType::kHALF, makeDims({1, 4, 7, 5}), reinterpret_cast<void*>(0x1000)},
        TensorRef{DataType::kHALF, makeDims({4, 1, 3, 3}), reinterpret_cast<void*>(0x2000)}};
    const std::vector<TensorRef> firstOut = {
        TensorRef{DataType::kHALF, makeDims({1, 4, 5, 3}), reinterpret_cast<void*>(0x3000)}};
    ctx.inputs = first;
    ctx.outputs = firstOut;
    gputest::expectError(cuda::runConvolution(a, ctx), ErrorCode::kINVALID_ARGUMENT,
                         {"own_depthwise_nhwc", "[1,4,7,5]", "channels-last only", "rebuild the plan"},
                         "channels-last depthwise tactic on a channels-first convolution");
    // Channels-last, but a plain convolution.
    a.channelsLast = true;
    a.nbGroups = 1;
    const std::vector<TensorRef> last = {
        TensorRef{DataType::kHALF, makeDims({1, 7, 5, 4}), reinterpret_cast<void*>(0x1000)},
        TensorRef{DataType::kHALF, makeDims({4, 3, 3, 4}), reinterpret_cast<void*>(0x2000)}};
    const std::vector<TensorRef> lastOut = {
        TensorRef{DataType::kHALF, makeDims({1, 5, 3, 4}), reinterpret_cast<void*>(0x3000)}};
    ctx.inputs = last;
    ctx.outputs = lastOut;
    gputest::expectError(cuda::runConvolution(a, ctx), ErrorCode::kINVALID_ARGUMENT,
                         {"own_depthwise_nhwc", "[1,7,5,4]", "[4,3,3,4]", "nbGroups 1", "not depthwise"},
                         "channels-last depthwise tactic on a plain convolution");
}

}  // namespace
}  // namespace kiln

#else  // !KILN_HAS_CUDA

TEST(CudaDepthwise, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
