// Helpers of the GPU tests that build through the public API and run the plan (label gpu): seeded uniform
// float data, and one run of a plan with input "x" and output "y" on device buffers (executeV2).
#pragma once

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kiln/kiln.h"
#include "support/test_logger.h"

namespace kiln::gputest {

/// n values uniform in [-scale, scale], seeded.
inline std::vector<float> uniformFloats(size_t n, uint32_t seed, float scale = 1.f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (float& f : v) f = u(rng);
    return v;
}

/// Runs `engine` (float32 input "x", float32 output "y" of outCount values, in that binding order) on
/// device copies of x through executeV2; returns y. Failures are recorded as test failures.
inline std::vector<float> runGpuPlan(ICudaEngine& engine, const std::vector<float>& x, size_t outCount,
                                     testing::TestLogger& logger) {
    std::vector<float> got(outCount);
    std::unique_ptr<IExecutionContext> gctx(engine.createExecutionContext());
    float *dx = nullptr, *dy = nullptr;
    EXPECT_EQ(cudaMalloc(&dx, x.size() * sizeof(float)), cudaSuccess);
    EXPECT_EQ(cudaMalloc(&dy, outCount * sizeof(float)), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(dx, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
    gctx->setInputTensorAddress("x", dx);
    gctx->setTensorAddress("y", dy);
    void* bindings[] = {dx, dy};
    const bool ran = gctx->executeV2(bindings);
    cudaMemcpy(got.data(), dy, outCount * sizeof(float), cudaMemcpyDeviceToHost);
    cudaFree(dx);
    cudaFree(dy);
    EXPECT_TRUE(ran) << logger.allErrors();
    return got;
}

}  // namespace kiln::gputest
