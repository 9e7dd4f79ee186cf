// CPU tests of planProgram and rowOffsets (kernels/pointwise/pointwise_program_plan.h), the host-side
// choices of the Pointwise kernel: which kernel runs (rows or indexed), the register file and elements per
// thread, and how the rows kernel finds each input's element. The rows kernel's addressing (rowOffsets +
// column when walked) is replayed here for every output element and compared with numpy broadcasting
// computed independently from the shapes, for each broadcast kind the kernel's fast path serves (direct,
// scalar, bias row, per-row value, leading broadcast) and for partial row chunks.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <algorithm>
#include <vector>

#include "backends/cuda/kernels/pointwise/pointwise_program_plan.h"

namespace kiln {
namespace {

constexpr int kN = cuda::kProgramInputs;

Dims broadcastShape(const std::vector<Dims>& ins) {
    Dims out;
    out.nbDims = 0;
    for (const Dims& d : ins) out.nbDims = std::max(out.nbDims, d.nbDims);
    for (int d = 0; d < out.nbDims; ++d) {
        out.d[d] = 1;
        for (const Dims& in : ins) {
            const int id = d - (out.nbDims - in.nbDims);
            if (id >= 0 && in.d[id] != 1) out.d[d] = in.d[id];
        }
    }
    return out;
}

cuda::Indexer<kN> indexerFor(const Dims& out, const std::vector<Dims>& ins) {
    std::array<Dims, kN> shapes{};
    for (size_t k = 0; k < static_cast<size_t>(kN); ++k) shapes[k] = k < ins.size() ? ins[k] : makeDims({});
    auto ix = cuda::makeBroadcastIndexer<kN>(out, shapes, "test");
    EXPECT_TRUE(ix.isOk()) << ix.status().message();
    return ix.isOk() ? *ix : cuda::Indexer<kN>{};
}

/// Offset of input `in` at flat output index i by numpy broadcasting, straight from the shapes.
int64_t numpyOffset(const Dims& out, const Dims& in, int64_t i) {
    int64_t off = 0, stride = 1;
    for (int d = out.nbDims - 1; d >= 0; --d) {
        const int64_t c = i % out.d[d];
        i /= out.d[d];
        const int id = d - (out.nbDims - in.nbDims);
        if (id >= 0) {
            if (in.d[id] != 1) off += c * stride;
            stride *= in.d[id];
        }
    }
    return off;
}

/// Replays the rows kernel's addressing over every element and checks it against numpyOffset.
void expectRowsAddressing(const std::vector<Dims>& ins, const cuda::ProgramPlan& p, const std::string& what) {
    const Dims out = broadcastShape(ins);
    ASSERT_EQ(static_cast<int64_t>(p.nbRows) * p.cols, volume(out)) << what;
    ASSERT_EQ(p.chunksPerRow, (p.cols + static_cast<uint32_t>(p.elems) - 1) / static_cast<uint32_t>(p.elems)) << what;
    for (uint32_t r = 0; r < p.nbRows; ++r) {
        uint32_t off[kN];
        cuda::rowOffsets(p, r, off);
        for (uint32_t c = 0; c < p.cols; ++c) {
            const int64_t i = static_cast<int64_t>(r) * p.cols + c;
            for (size_t k = 0; k < ins.size(); ++k) {
                const bool walked = (p.walked >> k) & 1u;
                const int64_t got = off[k] + (walked ? c : 0u);
                ASSERT_EQ(got, numpyOffset(out, ins[k], i)) << what << ": input " << k << " at output index " << i;
            }
        }
    }
}

struct Case {
    const char* what;
    std::vector<Dims> ins;
    int outerRank;
    uint32_t walked;
};

TEST(CudaPointwisePlan, RowsKernelAddressesEveryBroadcastKind) {
    const Case cases[] = {
        {"direct + scalar: one row", {makeDims({3, 7, 5}), makeDims({})}, 0, 0b01},
        {"bias row", {makeDims({37, 64}), makeDims({64})}, 1, 0b11},
        {"per-row value", {makeDims({37, 64}), makeDims({37, 1})}, 1, 0b01},
        {"leading broadcast (attention mask)", {makeDims({4, 3, 16, 24}), makeDims({4, 1, 1, 24})}, 2, 0b11},
        {"mask, then scalar and bias", {makeDims({2, 3, 5, 40}), makeDims({2, 1, 1, 40}), makeDims({1}), makeDims({40})},
         2, 0b1011},
        {"partial chunks: 49 columns", {makeDims({6, 49}), makeDims({49})}, 1, 0b11},
        {"per-channel of NCHW", {makeDims({2, 6, 8, 8}), makeDims({1, 6, 1, 1})}, 2, 0b01},
        {"single element", {makeDims({1, 1}), makeDims({1})}, 0, 0},
        {"flat, split into rows of 2048", {makeDims({3, 4096}), makeDims({}), makeDims({3, 4096})}, 1, 0b101},
    };
    for (const Case& c : cases)
        for (int maxRegister : {0, 7, 8, 15}) {
            const Dims out = broadcastShape(c.ins);
            const cuda::ProgramPlan p = cuda::planProgram(indexerFor(out, c.ins), volume(out), maxRegister);
            const std::string what = std::string(c.what) + " max register " + std::to_string(maxRegister);
            EXPECT_TRUE(p.rows) << what;
            EXPECT_EQ(p.outerRank, c.outerRank) << what;
            EXPECT_EQ(p.walked, c.walked) << what;
            EXPECT_EQ(p.registers, maxRegister < 8 ? 8 : 16) << what;
            EXPECT_EQ(p.elems, 4) << what;
            expectRowsAddressing(c.ins, p, what);
        }
}

TEST(CudaPointwisePlan, NarrowRowsTakeTheIndexedKernel) {
    // Rows of 5 or 10 elements would leave much of each 4-element thread idle; whole chunks (24 = 6 x 4) and
    // a single row of any length stay on the rows kernel.
    const struct {
        Dims a, b;
        bool rows;
    } cases[] = {
        {makeDims({50, 5}), makeDims({5}), false},     {makeDims({7, 10}), makeDims({7, 1}), false},
        {makeDims({7, 24}), makeDims({7, 1}), true},   {makeDims({7, 33}), makeDims({33}), true},
        {makeDims({1001}), makeDims({1}), true},       {makeDims({3, 4, 5}), makeDims({4, 1}), false},
    };
    for (const auto& c : cases) {
        const Dims out = broadcastShape({c.a, c.b});
        const cuda::ProgramPlan p = cuda::planProgram(indexerFor(out, {c.a, c.b}), volume(out), 3);
        EXPECT_EQ(p.rows, c.rows) << toString(c.a) << " with " << toString(c.b);
        if (p.rows) expectRowsAddressing({c.a, c.b}, p, toString(c.a) + " with " + toString(c.b));
    }
}

TEST(CudaPointwisePlan, HugeOutputsTakeTheIndexedKernel) {
    const Dims out = makeDims({int64_t{1} << 16, int64_t{1} << 15});  // 2^31 elements: past 32-bit offsets
    const cuda::ProgramPlan p = cuda::planProgram(indexerFor(out, {out, makeDims({int64_t{1} << 15})}), volume(out), 0);
    EXPECT_FALSE(p.rows);
    const Dims below = makeDims({(int64_t{1} << 16) - 1, int64_t{1} << 15});
    EXPECT_TRUE(cuda::planProgram(indexerFor(below, {below, makeDims({int64_t{1} << 15})}), volume(below), 0).rows);
}

}  // namespace
}  // namespace kiln

#endif  // KILN_HAS_CUDA
