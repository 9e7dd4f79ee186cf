// GPU tests (label `gpu`) of the Pointwise kernel's paths (kernels/pointwise/pointwise_program.cu) against
// the reference interpreter: the rows kernel on every broadcast kind it serves (direct, scalar, bias row,
// per-row value, leading broadcast), with 16-byte accesses and, on misaligned views, their scalar
// fallback; rows ending in a partial chunk; a single row with a tail; both register files (8 registers and
// 8 elements per thread, 16 and 4); bool, float32, float16 and bfloat16 inputs mixed in one program; and
// the indexed kernel for rows too narrow to fill a thread. tests/unit/cuda_pointwise_plan_test.cc checks
// on the CPU that these shapes take the paths named here. An opt-in benchmark (DISABLED_, run with
// --gtest_also_run_disabled_tests) times BERT's attention-mask program against the bandwidth bound.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <chrono>

#include "cuda_test_util.h"
#include "ir/pointwise_program.h"

namespace kiln {
namespace {

using cudatest::floatInput;
using cudatest::Tolerance;
using ir::PointwiseInstruction;
using Op = ir::PointwiseOpcode;
using EW = ElementWiseOperation;

const DataType kTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16};

/// Loads, selects, adds and multiplies: one IEEE float32 operation per step on both sides.
constexpr Tolerance kExact{0, 0, 0.0, "one correctly rounded float32 operation per step on both sides"};

PointwiseInstruction ins(Op op, int32_t operation, int32_t dst, std::array<int32_t, 3> src = {-1, -1, -1},
                         std::array<float, 2> imm = {0.0f, 0.0f}) {
    return PointwiseInstruction{op, operation, dst, src, imm};
}

int32_t ew(EW op) {
    return static_cast<int32_t>(op);
}

ir::PointwiseAttrs program(const std::vector<PointwiseInstruction>& code, DataType out) {
    ir::PointwiseAttrs a;
    for (const auto& i : code) ir::appendInstruction(a, i);
    a.outputType = out;
    return a;
}

/// BERT's attention mask: y = (x + (1 - mask) * -10000) * 0.125, x [.., S] and mask broadcast; registers
/// from `base` up, so the same program runs on either register file.
ir::PointwiseAttrs maskProgram(DataType out, int32_t base) {
    return program({ins(Op::kLOAD, 1, base), ins(Op::kIMMEDIATE, 0, base + 1, {-1, -1, -1}, {1.0f, 0}),
                    ins(Op::kBINARY, ew(EW::kSUB), base, {base + 1, base, -1}),
                    ins(Op::kIMMEDIATE, 0, base + 1, {-1, -1, -1}, {-10000.0f, 0}),
                    ins(Op::kBINARY, ew(EW::kPROD), base, {base, base + 1, -1}), ins(Op::kLOAD, 0, base + 1),
                    ins(Op::kBINARY, ew(EW::kSUM), base, {base + 1, base, -1}),
                    ins(Op::kIMMEDIATE, 0, base + 1, {-1, -1, -1}, {0.125f, 0}),
                    ins(Op::kBINARY, ew(EW::kPROD), base + 1, {base, base + 1, -1})},
                   out);
}

void check(const ir::PointwiseAttrs& a, const std::vector<HostTensor>& inputs, int64_t misalign,
           const std::string& what) {
    auto both = cudatest::runBoth(a, inputs, {}, 1, misalign);
    ASSERT_TRUE(both.isOk()) << what << ": " << both.status().message();
    cudatest::expectClose(both->want[0], both->got[0], kExact, what + " misaligned by " + std::to_string(misalign));
}

class CudaPointwisePaths : public cudatest::CudaKernelTest {};

TEST_F(CudaPointwisePaths, RowsKernelOnEveryBroadcastKindAlignedAndNot) {
    // {x shape, second input shape}: the second operand is direct, scalar, a bias row, a per-row value or
    // a leading broadcast; 0 shifts nothing (16-byte accesses), 1 and 3 misalign every tensor.
    const std::pair<Dims, Dims> shapes[] = {
        {makeDims({6, 40, 24}), makeDims({6, 40, 24})}, {makeDims({6, 40, 24}), makeDims({})},
        {makeDims({37, 64}), makeDims({64})},           {makeDims({37, 64}), makeDims({37, 1})},
        {makeDims({4, 3, 16, 24}), makeDims({4, 1, 1, 24})},
    };
    for (const auto& [xs, ms] : shapes)
        for (DataType tx : kTypes)
            for (DataType tm : kTypes)
                for (int64_t misalign : {0, 1, 3})
                    for (int32_t base : {0, 12}) {
                        const DataType out = tm;
                        check(maskProgram(out, base), {floatInput(tx, xs, 11), floatInput(tm, ms, 12, 0, 1)},
                              misalign,
                              cudatest::params("mask base " + std::to_string(base), tx, xs,
                                               "with " + std::string(dataTypeName(tm)) + toString(ms)));
                    }
}

TEST_F(CudaPointwisePaths, PartialChunksTailsAndNarrowRows) {
    // [6,49] + [49]: rows of 6 whole chunks and a partial one; [1001]: one row ending in a tail; [2100,2048]:
    // a flat launch split into rows of 2048, more rows than the grid (each thread prefetches its next); [50,5] and
    // [7,20]: too narrow for the rows kernel, the indexed kernel.
    const std::pair<Dims, Dims> shapes[] = {{makeDims({6, 49}), makeDims({49})},
                                            {makeDims({1001}), makeDims({1})},
                                            {makeDims({2100, 2048}), makeDims({1})},
                                            {makeDims({50, 5}), makeDims({5})},
                                            {makeDims({7, 20}), makeDims({7, 1})}};
    for (const auto& [xs, bs] : shapes)
        for (DataType t : kTypes)
            for (int64_t misalign : {0, 1})
                for (int32_t base : {0, 14})
                    check(program({ins(Op::kLOAD, 0, base), ins(Op::kLOAD, 1, base + 1),
                                   ins(Op::kBINARY, ew(EW::kSUM), base, {base, base + 1, -1}),
                                   ins(Op::kACTIVATION, static_cast<int32_t>(ActivationType::kRELU), base + 1,
                                       {base, -1, -1})},
                                  t),
                          {floatInput(t, xs, 21), floatInput(DataType::kFLOAT, bs, 22)}, misalign,
                          cudatest::params("add relu base " + std::to_string(base), t, xs, toString(bs)));
}

TEST_F(CudaPointwisePaths, BoolConditionWalkedAlongRows) {
    // where(cond, x, y) with a bool condition laid out like the output (8-byte vector loads) and one
    // broadcast per row; x float32, y float16, the output bfloat16 or float16.
    const std::pair<Dims, Dims> shapes[] = {{makeDims({9, 32}), makeDims({9, 32})},
                                            {makeDims({9, 32}), makeDims({9, 1})}};
    for (const auto& [xs, cs] : shapes)
        for (DataType out : {DataType::kBF16, DataType::kHALF})
            for (int64_t misalign : {0, 1})
                check(program({ins(Op::kLOAD, 0, 0), ins(Op::kLOAD, 1, 1), ins(Op::kLOAD, 2, 2),
                               ins(Op::kSELECT, 0, 0, {0, 1, 2})},
                              out),
                      {cudatest::randomBytes(DataType::kBOOL, cs, 31), floatInput(DataType::kFLOAT, xs, 32),
                       floatInput(DataType::kHALF, makeDims({32}), 33)},
                      misalign, cudatest::params("select", out, xs, "cond " + toString(cs)));
}

/// Opt-in: BERT-base's mask program at batch 32, [32,12,128,128] float16 with a [32,1,1,128] mask, timed
/// over 50 launches after a warm-up. Checked against the reference first; prints the time and the share of
/// the bandwidth bound (bytes moved at 3.35 TB/s, an H100 SXM).
TEST_F(CudaPointwisePaths, DISABLED_BenchmarkAttentionMask) {
    const Dims xs = makeDims({32, 12, 128, 128}), ms = makeDims({32, 1, 1, 128});
    const std::vector<HostTensor> in{floatInput(DataType::kHALF, xs, 41), floatInput(DataType::kHALF, ms, 42, 0, 1)};
    const ir::PointwiseAttrs a = maskProgram(DataType::kHALF, 0);
    check(a, in, 0, "benchmark program");
    cudatest::DeviceAllocations mem;
    std::vector<TensorRef> refs;
    for (const HostTensor& h : in) {
        TensorRef r = h.ref();
        r.data = mem.alloc(static_cast<int64_t>(h.bytes.size()));
        ASSERT_NE(r.data, nullptr);
        refs.push_back(r);
    }
    TensorRef y{DataType::kHALF, xs, mem.alloc(volume(xs) * 2)};
    ASSERT_NE(y.data, nullptr);
    const std::vector<TensorRef> outs{y};
    const cuda::KernelContext ctx{refs, outs, nullptr};
    for (int k = 0; k < 5; ++k) ASSERT_TRUE(cuda::runNode(a, ctx).isOk());
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    constexpr int kRuns = 50;
    cudaEventRecord(start);
    for (int k = 0; k < kRuns; ++k) ASSERT_TRUE(cuda::runNode(a, ctx).isOk());
    cudaEventRecord(stop);
    ASSERT_EQ(cudaEventSynchronize(stop), cudaSuccess);
    float ms_ = 0;
    cudaEventElapsedTime(&ms_, start, stop);
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    const double us = 1000.0 * ms_ / kRuns;
    const double bound = static_cast<double>(2 * volume(xs) * 2 + volume(ms) * 2) / 3.35e12 * 1e6;
    std::printf("attention mask [32,12,128,128] fp16: %.1f us, bandwidth bound %.1f us (%.2fx)\n", us, bound,
                us / bound);
    EXPECT_GT(us, 0.0);
}

}  // namespace
}  // namespace kiln

#endif  // KILN_HAS_CUDA
