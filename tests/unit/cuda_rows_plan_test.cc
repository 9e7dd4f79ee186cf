// CPU tests of the host-side choices behind the register-rows kernels (common/rows_plan.h,
// normalization/normalization_plan.h): which SoftMax and Normalization launches take them, with which
// chunk width, lanes per row, chunks per thread and grid, for the transformer shapes and odd ones; that
// misaligned or odd rows fall back to single-element chunks and long rows, strided statistics, instance
// and group norm and mixed affine types to the general kernels; and, replaying the kernels' thread ->
// chunk mapping on the host, that every plan covers every element of every row exactly once within the
// register and launch-bound limits. tests/gpu/cuda_rows_fast_test.cc runs the kernels themselves.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <string>
#include <vector>

#include "backends/cuda/kernels/common/rows_plan.h"
#include "backends/cuda/kernels/normalization/normalization_plan.h"

namespace kiln {
namespace {

using cuda::rk::RowsPlan;
using cuda::rk::ValueType;

/// cudaMalloc's alignment (256 bytes), shifted by the test where it wants a misaligned operand.
constexpr uintptr_t kAligned = 0x10000;

RowsPlan softmaxPlan(int64_t rows, int64_t cols, int64_t bytes, uintptr_t shiftX = 0, uintptr_t shiftY = 0) {
    return cuda::rk::planSoftMaxRows(rows, cols, 1, bytes, kAligned + shiftX, 4 * kAligned + shiftY);
}

std::string describe(const RowsPlan& p) {
    return "fast " + std::to_string(p.fast) + " vec " + std::to_string(p.vec) + " chunks/thread " +
           std::to_string(p.chunksPerThread) + " lanes " + std::to_string(p.lanes) + " threads " +
           std::to_string(p.threads) + " blocks " + std::to_string(p.blocks);
}

void expectPlan(const RowsPlan& p, int vec, int perThread, int lanes, int threads, int64_t blocks,
                const std::string& what) {
    ASSERT_TRUE(p.fast) << what << ": " << describe(p);
    EXPECT_EQ(p.vec, vec) << what << ": " << describe(p);
    EXPECT_EQ(p.chunksPerThread, perThread) << what << ": " << describe(p);
    EXPECT_EQ(p.lanes, lanes) << what << ": " << describe(p);
    EXPECT_EQ(p.threads, threads) << what << ": " << describe(p);
    EXPECT_EQ(p.blocks, blocks) << what << ": " << describe(p);
}

/// Replays the kernels' walk (rows_registers.cuh rowLanes, the block-uniform loop over row groups, chunk
/// c = lane + k * lanes) with `blocks` blocks and counts how often each element is loaded and stored.
void expectCoverage(const RowsPlan& p, int64_t rows, int64_t cols, int64_t blocks, const std::string& what) {
    ASSERT_TRUE(p.fast) << what;
    const int n = p.vec * p.chunksPerThread;
    EXPECT_LE(n, p.threads > cuda::rk::kRowsWarpThreads ? cuda::rk::kMaxBlockRowRegisters
                                                        : cuda::rk::kMaxRowRegisters)
        << what;
    EXPECT_EQ(p.threads % 32, 0) << what;
    EXPECT_LE(p.threads, 1024) << what;
    EXPECT_EQ(p.lanes & (p.lanes - 1), 0) << what << ": lanes must be a power of two";
    if (p.lanes <= 32)
        EXPECT_EQ(p.threads, cuda::rk::kRowsWarpThreads) << what;
    else
        EXPECT_EQ(p.threads, p.lanes) << what;
    EXPECT_GE(p.blocks, 1) << what;
    EXPECT_LE(p.blocks, cuda::rk::kMaxRowsBlocks) << what;
    EXPECT_EQ(cols % p.vec, 0) << what;
    const int64_t chunks = cols / p.vec;
    std::vector<int> seen(static_cast<size_t>(rows * cols), 0);
    for (int64_t b = 0; b < blocks; ++b)
        for (int t = 0; t < p.threads; ++t) {
            const int lane = p.lanes > 32 ? t : t & (p.lanes - 1);
            const int group = p.lanes > 32 ? 0 : t / p.lanes;
            const int groups = p.lanes > 32 ? 1 : p.threads / p.lanes;
            for (int64_t first = b * groups; first < rows; first += blocks * groups) {
                const int64_t row = first + group;
                if (row >= rows) continue;
                for (int k = 0; k < p.chunksPerThread; ++k) {
                    const int64_t c = lane + static_cast<int64_t>(k) * p.lanes;
                    if (c >= chunks) continue;
                    for (int j = 0; j < p.vec; ++j) ++seen[static_cast<size_t>(row * cols + c * p.vec + j)];
                }
            }
        }
    for (size_t i = 0; i < seen.size(); ++i)
        if (seen[i] != 1) {
            ADD_FAILURE() << what << ": element " << i << " walked " << seen[i] << " times; " << describe(p);
            return;
        }
}

TEST(CudaRowsPlan, TransformerSoftMaxShapes) {
    // BERT [32,12,128,128] in half: 16 chunks of 8 -> 16 lanes, two rows per warp.
    expectPlan(softmaxPlan(32 * 12 * 128, 128, 2), 8, 1, 16, 256, 32 * 12 * 128 / 16, "BERT softmax");
    // ViT [64,12,197,197]: 197 is odd, so single elements, 7 per lane rounded up to 8.
    expectPlan(softmaxPlan(64 * 12 * 197, 197, 2), 1, 8, 32, 256, 64 * 12 * 197 / 8, "ViT softmax");
    expectPlan(softmaxPlan(4, 33, 4), 1, 2, 32, 256, 1, "[4,33] float");
    expectPlan(softmaxPlan(4, 128, 4), 4, 1, 32, 256, 1, "[4,128] float");
    expectPlan(softmaxPlan(3, 1, 2), 1, 1, 1, 256, 1, "rows of one element");
    expectPlan(softmaxPlan(1000, 5, 4), 1, 1, 8, 256, 32, "rows of five");  // 32 rows a block
    expectPlan(softmaxPlan(7, 1000, 2), 8, 4, 32, 256, 1, "rows of 1000 half: 125 chunks");
    expectPlan(softmaxPlan(7, 1024, 4), 4, 8, 32, 256, 1, "the longest warp row");
    // Longer rows: one block, grown until a thread holds at most 8 elements.
    expectPlan(softmaxPlan(3, 4096, 2), 8, 1, 512, 512, 3, "4096 half");
    expectPlan(softmaxPlan(3, 4096, 4), 4, 2, 512, 512, 3, "4096 float");
    expectPlan(softmaxPlan(3, 5000, 2), 8, 1, 1024, 1024, 3, "5000 half");
    expectPlan(softmaxPlan(3, 5000, 4), 4, 2, 1024, 1024, 3, "5000 float");
    expectPlan(softmaxPlan(3, 5001, 4), 1, 6, 1024, 1024, 3, "5001 float: odd");
    // 1025 / 128 = 9 elements > 8, so 256 lanes of 5, rounded up to 6 chunks.
    expectPlan(softmaxPlan(3, 1025, 4), 1, 6, 256, 256, 3, "1025 float: just past the warp rows");
    expectPlan(softmaxPlan(2, cuda::rk::kRegisterRowLimit, 4), 4, 4, 1024, 1024, 2, "the longest row");
    expectPlan(softmaxPlan(2, cuda::rk::kRegisterRowLimit - 1, 2), 1, 16, 1024, 1024, 2,
               "the longest odd row");
    // The grid is capped; the kernels loop over the rest.
    EXPECT_EQ(softmaxPlan(int64_t{1} << 30, 32, 4).blocks, cuda::rk::kMaxRowsBlocks);
}

TEST(CudaRowsPlan, SoftMaxFallsBack) {
    EXPECT_FALSE(softmaxPlan(2, cuda::rk::kRegisterRowLimit + 1, 4).fast) << "rows too long for registers";
    EXPECT_FALSE(cuda::rk::planSoftMaxRows(5, 7, 11, 4, kAligned, kAligned).fast) << "a strided axis";
    EXPECT_FALSE(softmaxPlan(0, 7, 4).fast) << "no rows";
    EXPECT_FALSE(softmaxPlan(3, 0, 4).fast) << "empty rows";
}

TEST(CudaRowsPlan, MisalignedOrOddRowsUseSingleElements) {
    EXPECT_EQ(softmaxPlan(4, 128, 2, 2).vec, 1) << "x one half off";
    EXPECT_EQ(softmaxPlan(4, 128, 2, 0, 8).vec, 1) << "y 8 bytes off";
    EXPECT_EQ(softmaxPlan(4, 128, 4, 0, 16).vec, 4) << "16 bytes off is still aligned";
    EXPECT_EQ(softmaxPlan(4, 36, 2).vec, 1) << "rows of 36 half: every other row starts mid-vector";
    EXPECT_EQ(softmaxPlan(4, 36, 4).vec, 4) << "rows of 36 float are 9 vectors";
    EXPECT_EQ(softmaxPlan(1, 36, 2).vec, 1) << "one row of 36 half: not whole vectors";
    EXPECT_TRUE(softmaxPlan(4, 128, 2, 2).fast) << "misaligned rows still use registers";
}

TEST(CudaRowsPlan, EveryPlanCoversEveryElementOnce) {
    for (int64_t bytes : {2, 4})
        for (int64_t cols : {1,   2,   5,    8,    31,   32,   33,   64,   96,   128,  197,
                             256, 768, 1000, 1024, 1025, 3000, 4096, 5000, 5001, 16384})
            for (int64_t shift : {0, 2}) {
                const int64_t rows = cols > 1024 ? 3 : 37;
                const RowsPlan p = softmaxPlan(rows, cols, bytes, static_cast<uintptr_t>(shift));
                const std::string what = "rows of " + std::to_string(cols) + " x " + std::to_string(bytes) +
                                         " bytes, shift " + std::to_string(shift);
                expectCoverage(p, rows, cols, p.blocks, what);
                // Fewer blocks than rows need: the grid-stride loop covers the rest.
                expectCoverage(p, rows, cols, 1, what + ", one block");
                expectCoverage(p, rows, cols, 2, what + ", two blocks");
            }
}

// ---- Normalization -------------------------------------------------------------------------------------

Dims dims(std::initializer_list<int64_t> v) {
    Dims d;
    d.nbDims = 0;
    for (int64_t e : v) d.d[d.nbDims++] = e;
    return d;
}

struct NormLayout {
    Dims x, scale, bias;
    uint32_t axes;
    int64_t groups{1};
    ValueType type{ValueType::kF16};
    ValueType scaleType{ValueType::kF16};
    ValueType biasType{ValueType::kF16};
    uintptr_t scaleShift{0};
};

cuda::rk::NormRows planNorm(const NormLayout& l) {
    const cuda::rk::NormGeometry g = cuda::rk::normGeometry(l.x, l.scale, l.bias, l.axes, l.groups);
    return cuda::rk::planNormRows(g, l.type, l.scaleType, l.biasType, kAligned, 2 * kAligned,
                                  3 * kAligned + l.scaleShift, 4 * kAligned);
}

TEST(CudaRowsPlan, LayerNormShapesTakeTheRegisterRows) {
    // ViT / BERT hidden size 768: 96 chunks of 8 half, 3 per lane.
    cuda::rk::NormRows r = planNorm({dims({3, 197, 768}), dims({768}), dims({768}), 0b100});
    EXPECT_EQ(r.rows, 3 * 197);
    EXPECT_EQ(r.cols, 768);
    EXPECT_EQ(r.scaleRowStride, 0);
    EXPECT_EQ(r.biasRowStride, 0);
    expectPlan(r.plan, 8, 3, 32, 256, (3 * 197 + 7) / 8, "LayerNorm 768 half");
    // float: 192 chunks of 4, 6 per lane.
    r = planNorm({dims({3, 197, 768}), dims({768}), dims({768}), 0b100, 1, ValueType::kF32, ValueType::kF32,
                  ValueType::kF32});
    expectPlan(r.plan, 4, 6, 32, 256, (3 * 197 + 7) / 8, "LayerNorm 768 float");
    // bfloat16 x with float32 weights: 8-element chunks of x, two 16-byte pieces of the weights.
    r = planNorm({dims({3, 197, 768}), dims({1, 1, 768}), dims({768}), 0b100, 1, ValueType::kBF16,
                  ValueType::kF32, ValueType::kF32});
    expectPlan(r.plan, 8, 3, 32, 256, (3 * 197 + 7) / 8, "LayerNorm 768 bf16, float weights");
    // Normalized over the last two dims: one row of 7 * 128 per batch entry.
    r = planNorm({dims({5, 7, 128}), dims({7, 128}), dims({7, 128}), 0b110});
    EXPECT_EQ(r.rows, 5);
    EXPECT_EQ(r.cols, 896);
    expectPlan(r.plan, 8, 4, 32, 256, 1, "LayerNorm over [7,128]");
    // Weights that differ per row walk along with x.
    r = planNorm({dims({197, 768}), dims({197, 768}), dims({768}), 0b10});
    EXPECT_EQ(r.rows, 197);
    EXPECT_EQ(r.scaleRowStride, 768);
    EXPECT_EQ(r.biasRowStride, 0);
    EXPECT_TRUE(r.plan.fast);
    // Rows of 4096 and 5000: one block each.
    expectPlan(planNorm({dims({3, 4096}), dims({4096}), dims({4096}), 0b10}).plan, 8, 1, 512, 512, 3, "4096");
    expectPlan(planNorm({dims({3, 5000}), dims({5000}), dims({5000}), 0b10}).plan, 8, 1, 1024, 1024, 3,
               "5000");
    // Odd rows and misaligned weights: single elements.
    expectPlan(planNorm({dims({9, 33}), dims({33}), dims({33}), 0b10}).plan, 1, 2, 32, 256, 2, "33");
    NormLayout shifted{dims({3, 768}), dims({768}), dims({768}), 0b10};
    shifted.scaleShift = 2;
    EXPECT_EQ(planNorm(shifted).plan.vec, 1) << "scale one half off";
}

TEST(CudaRowsPlan, OtherNormalizationsKeepTheGeneralKernel) {
    const auto general = [](const NormLayout& l, const char* what) {
        EXPECT_FALSE(planNorm(l).plan.fast) << what << ": " << describe(planNorm(l).plan);
    };
    general({dims({2, 3, 5, 7}), dims({1, 3, 1, 1}), dims({1, 3, 1, 1}), 0b1100}, "instance norm");
    general({dims({2, 6, 5, 7}), dims({1, 6, 1, 1}), dims({1, 6, 1, 1}), 0b1100, 3}, "group norm");
    general({dims({3, 5, 7}), dims({1, 5, 7}), dims({1, 5, 7}), 0b001}, "statistics over a leading axis");
    general({dims({3, 5, 7}), dims({5, 1}), dims({5, 1}), 0b100}, "weights per row, not per element");
    general({dims({37, 1}), dims({1}), dims({1}), 0b10}, "rows of one element");
    general({dims({6, 197, 768}), dims({197, 768}), dims({768}), 0b100},
            "weights per row over two kept dims (they do not merge)");
    general({dims({3, 20000}), dims({20000}), dims({20000}), 0b10}, "rows too long for registers");
    general({dims({3, 768}), dims({768}), dims({768}), 0b10, 1, ValueType::kF16, ValueType::kBF16,
             ValueType::kBF16},
            "bfloat16 weights for half x");
    general({dims({3, 768}), dims({768}), dims({768}), 0b10, 1, ValueType::kF32, ValueType::kF16,
             ValueType::kF16},
            "half weights for float x");
    general({dims({3, 768}), dims({768}), dims({768}), 0b10, 1, ValueType::kF16, ValueType::kF16,
             ValueType::kF32},
            "scale and bias of different types");
}

}  // namespace
}  // namespace kiln

#endif  // KILN_HAS_CUDA
