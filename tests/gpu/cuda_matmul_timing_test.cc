// A DISABLED_ benchmark, not a test: GPU time of the transformer GEMMs of ViT-B/16 at batch 64 (12608
// tokens, FP16) through runMatrixMultiply, for each rank of cuBLASLt's heuristic (KernelContext::tactic)
// and each epilogue the builder produces (bias; bias + erf-GELU, which cuBLASLt cannot fuse and which runs
// after as the Activation kernel; bias + tanh-GELU, fused; bias + residual addend), beside the Activation
// kernel alone, timed as CUDA graph replays (GPU time only). It tells how far the heuristic's first choice
// and the autotuner's first ranks are from the best algorithm, and what the unfused erf-GELU costs. Run on
// the GPU machine with
// --gtest_also_run_disabled_tests --gtest_filter='*VitGemmTiming*'.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "backends/cuda/kernel_context.h"
#include "cuda_kernel_test_util.h"

namespace kiln {
namespace {

using gputest::CudaLibraryTest;

struct GemmShape {
    const char* name;
    int64_t m, k, n;
    bool transposedWeight;
    bool addend;
    bool hasActivation;
    ActivationType activation;
};

/// Median GPU microseconds per launch of `launch`: kLaunches launches captured into one CUDA graph, replays
/// timed with CUDA events, so host work per launch (descriptors, the heuristic query) is not counted.
double medianMicros(const cuda::KernelContext& ctx, const gputest::Launch& launch, int reps, Status* st) {
    constexpr int kLaunches = 10;
    *st = launch(ctx);  // once outside the capture: errors surface here, with a message
    if (!st->isOk() || cudaStreamSynchronize(ctx.stream) != cudaSuccess) return -1.0;
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    if (cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) return -1.0;
    for (int i = 0; i < kLaunches && st->isOk(); ++i) *st = launch(ctx);
    if (cudaStreamEndCapture(ctx.stream, &graph) != cudaSuccess || !st->isOk() ||
        cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess)
        return -1.0;
    std::vector<double> us;
    cudaEvent_t b, e;
    cudaEventCreate(&b);
    cudaEventCreate(&e);
    cudaGraphLaunch(exec, ctx.stream);
    for (int i = 0; i < reps; ++i) {
        cudaEventRecord(b, ctx.stream);
        cudaGraphLaunch(exec, ctx.stream);
        cudaEventRecord(e, ctx.stream);
        cudaEventSynchronize(e);
        float ms = 0.0f;
        cudaEventElapsedTime(&ms, b, e);
        us.push_back(1000.0 * ms / kLaunches);
    }
    cudaEventDestroy(b);
    cudaEventDestroy(e);
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    std::sort(us.begin(), us.end());
    return us[us.size() / 2];
}

TEST_F(CudaLibraryTest, DISABLED_VitGemmTiming) {
    const GemmShape shapes[] = {
        {"qkv [12608,768]x[768,2304]+bias", 12608, 768, 2304, false, false, false, ActivationType::kRELU},
        {"qkv [12608,768]x[2304,768]^T+bias", 12608, 768, 2304, true, false, false, ActivationType::kRELU},
        {"out_proj [12608,768]x[768,768]+bias", 12608, 768, 768, false, false, false, ActivationType::kRELU},
        {"out_proj [12608,768]x[768,768]^T+bias", 12608, 768, 768, true, false, false, ActivationType::kRELU},
        {"mlp0 +bias", 12608, 768, 3072, false, false, false, ActivationType::kRELU},
        {"mlp0 ^T +bias", 12608, 768, 3072, true, false, false, ActivationType::kRELU},
        {"mlp0 +bias+gelu_erf", 12608, 768, 3072, false, false, true, ActivationType::kGELU_ERF},
        {"mlp0 ^T +bias+gelu_tanh", 12608, 768, 3072, true, false, true, ActivationType::kGELU_TANH},
        {"mlp3 [12608,3072]x[3072,768]+bias+addend", 12608, 3072, 768, false, true, false,
         ActivationType::kRELU},
        {"mlp3 ^T +bias+addend", 12608, 3072, 768, true, true, false, ActivationType::kRELU},
        {"mlp3 ^T +bias", 12608, 3072, 768, true, false, false, ActivationType::kRELU},
    };
    constexpr int kRanks = 6;
    for (const GemmShape& s : shapes) {
        const DataType t = DataType::kHALF;
        ir::MatrixMultiplyAttrs attrs;
        attrs.op1 = s.transposedWeight ? MatrixOperation::kTRANSPOSE : MatrixOperation::kNONE;
        attrs.epilogue.hasActivation = s.hasActivation;
        attrs.epilogue.activation = s.activation;
        std::vector<HostTensor> in = {
            HostTensor::random(t, makeDims({s.m, s.k}), 1),
            HostTensor::random(t, s.transposedWeight ? makeDims({s.n, s.k}) : makeDims({s.k, s.n}), 2),
            HostTensor::random(t, makeDims({s.n}), 3)};
        if (s.addend) in.push_back(HostTensor::random(t, makeDims({s.m, s.n}), 4));
        std::vector<HostTensor> out{HostTensor(t, makeDims({s.m, s.n}))};
        const double flops =
            2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
        std::printf("%s\n", s.name);
        for (int rank = 0; rank < kRanks; ++rank) {
            Status launchStatus = Status::ok();
            double us = -1.0;
            gputest::LaunchOptions opt;
            opt.tactic = rank;
            const Status st = gputest::runOnDevice(
                in, out,
                [&](const cuda::KernelContext& ctx) {
                    us = medianMicros(
                        ctx, [&](const cuda::KernelContext& c) { return cuda::runMatrixMultiply(attrs, c); },
                        20, &launchStatus);
                    return launchStatus;
                },
                opt);
            ASSERT_TRUE(st.isOk()) << s.name << " rank " << rank << ": " << st.message();
            std::printf("  rank %2d %8.1f us %6.0f TFLOP/s\n", rank, us, flops / us / 1e6);
        }
    }
    // The activation pass alone on the mlp0 output: erf-GELU as the builder leaves it after the GEMM, and
    // ReLU / tanh-GELU beside it to tell memory-bound from arithmetic-bound.
    for (ActivationType act :
         {ActivationType::kRELU, ActivationType::kGELU_ERF, ActivationType::kGELU_TANH}) {
        ir::ActivationAttrs attrs;
        attrs.type = act;
        std::vector<HostTensor> in{HostTensor::random(DataType::kHALF, makeDims({12608, 3072}), 5)};
        std::vector<HostTensor> out{HostTensor(DataType::kHALF, makeDims({12608, 3072}))};
        double us = -1.0;
        Status launchStatus = Status::ok();
        const Status st = gputest::runOnDevice(in, out, [&](const cuda::KernelContext& ctx) {
            us = medianMicros(
                ctx, [&](const cuda::KernelContext& c) { return cuda::runActivation(attrs, c); }, 20,
                &launchStatus);
            return launchStatus;
        });
        ASSERT_TRUE(st.isOk()) << st.message();
        std::printf("Activation %d [12608,3072] float16: %.1f us (%.0f GB/s)\n", static_cast<int>(act), us,
                    2.0 * 12608.0 * 3072.0 * 2.0 / us / 1e3);
    }
}

}  // namespace
}  // namespace kiln

#endif  // KILN_HAS_CUDA
