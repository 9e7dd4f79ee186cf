// GPU tests (label `gpu`) of the memory-bound kernels' fast paths and their fallbacks, against the
// reference kernels. Pointwise (pointwise/map.cuh): the 16-byte vector path for same-shape, scalar, bias
// row ([3,41,96] + [96]), per-row column ([41,96] + [41,1]) and row-by-column operands, the scalar tail of
// odd lengths, a row loop long enough to iterate, and the indexed fallback for rows that are not whole
// vectors, rank-3 broadcasts and views misaligned by one element; over ElementWise, Activation, Unary,
// Cast (every vectorized type pair) and Select, on every dtype each accepts among float32, float16,
// bfloat16, int32, int64 and bool. Movement (movement/copy_runs.cu): transposes that keep the innermost
// dim (runs), tiled transposes ([33,65]^T, [B,S,H,D] -> [B,H,D,S], 3-D permutations), the gather
// fallback for short dims, stride-1 Slices, Gathers along one axis (scalar, one-element and many indices),
// Concatenation, aligned and misaligned. The host-side choices are checked on the CPU by
// tests/unit/cuda_fast_path_test.cc. Without a GPU every test is skipped, never passed.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include "cuda_test_util.h"

namespace kiln {
namespace {

using cudatest::CudaKernelTest;
using cudatest::expectBitExact;
using cudatest::expectClose;
using cudatest::floatInput;
using cudatest::randomBytes;
using cudatest::Tolerance;

const DataType kFloatTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16};
const DataType kIntTypes[] = {DataType::kINT32, DataType::kINT64};
/// One type per element size, and bool.
const DataType kMoveTypes[] = {DataType::kINT8, DataType::kHALF, DataType::kFLOAT, DataType::kINT64,
                               DataType::kBOOL};
/// Sums, products and comparisons of exact inputs round once on both sides: bit-identical.
constexpr Tolerance kExact{0, 0, 0.0, "correctly rounded on both sides"};

std::string shift(int64_t misalign) {
    return misalign ? " (misaligned by one element)" : "";
}

HostTensor operand(DataType t, const Dims& s, uint64_t seed) {
    if (isFloatType(t)) return floatInput(t, s, seed, -4, 4, static_cast<int64_t>(seed % 3));
    return randomBytes(t, s, seed);
}

void expectMatch(const ir::Attrs& attrs, const std::vector<HostTensor>& in, int64_t misalign,
                 const std::string& what) {
    auto r = cudatest::runBoth(attrs, in, {}, 1, misalign);
    ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
    expectClose(r->want[0], r->got[0], kExact, what);
}

// ---- pointwise ---------------------------------------------------------------------------------------

/// Shape pairs for the rows kernel and its fallbacks (see the file comment).
std::vector<std::pair<Dims, Dims>> rowShapes() {
    return {{makeDims({37, 264}), makeDims({37, 264})},   // flat, whole vectors
            {makeDims({97}), makeDims({97})},             // flat with a scalar tail
            {makeDims({3}), makeDims({3})},               // shorter than one vector
            {makeDims({}), makeDims({37, 264})},          // scalar operand
            {makeDims({3, 41, 96}), makeDims({96})},      // bias row
            {makeDims({96}), makeDims({3, 41, 96})},      // bias row as operand 0
            {makeDims({41, 96}), makeDims({41, 1})},      // per-row column
            {makeDims({41, 1}), makeDims({1, 96})},       // row by column
            {makeDims({5, 12}), makeDims({12})},          // rows not whole vectors (2-byte types): indexed
            {makeDims({3, 1, 8}), makeDims({3, 5, 1})}};  // rank 3 after merging: indexed
}

TEST_F(CudaKernelTest, ElementWiseFastPathsAndFallbacks) {
    struct Op {
        ElementWiseOperation op;
        const char* name;
    };
    const Op numeric[] = {{ElementWiseOperation::kSUM, "kSUM"},
                          {ElementWiseOperation::kPROD, "kPROD"},
                          {ElementWiseOperation::kGREATER, "kGREATER"}};  // bool output: mixed widths
    uint64_t seed = 7000;
    std::vector<DataType> types(std::begin(kFloatTypes), std::end(kFloatTypes));
    types.insert(types.end(), std::begin(kIntTypes), std::end(kIntTypes));
    for (int64_t misalign : {0, 1})
        for (const auto& [sa, sb] : rowShapes()) {
            for (DataType t : types)
                for (const Op& o : numeric) {
                    ir::ElementWiseAttrs a;
                    a.op = o.op;
                    seed += 2;
                    expectMatch(a, {operand(t, sa, seed), operand(t, sb, seed + 1)}, misalign,
                                std::string("ElementWise ") + o.name + " " + dataTypeName(t) + toString(sa) +
                                    " with " + toString(sb) + shift(misalign));
                    if (HasFatalFailure()) return;
                }
            for (ElementWiseOperation op : {ElementWiseOperation::kAND, ElementWiseOperation::kEQUAL}) {
                ir::ElementWiseAttrs a;
                a.op = op;
                seed += 2;
                expectMatch(
                    a, {randomBytes(DataType::kBOOL, sa, seed), randomBytes(DataType::kBOOL, sb, seed + 1)},
                    misalign,
                    "ElementWise " + std::to_string(static_cast<int>(op)) + " bool" + toString(sa) +
                        " with " + toString(sb) + shift(misalign));
                if (HasFatalFailure()) return;
            }
        }
}

// Enough rows that each thread of the row kernel walks several ([300007, 64] + [64]: 8 vectors per row,
// 32 rows per block, 8192 blocks), and a large flat sum.
TEST_F(CudaKernelTest, ElementWiseRowLoopAndLargeFlat) {
    ir::ElementWiseAttrs a;
    a.op = ElementWiseOperation::kSUM;
    expectMatch(
        a, {operand(DataType::kHALF, makeDims({300007, 64}), 1), operand(DataType::kHALF, makeDims({64}), 2)},
        0, "ElementWise kSUM float16[300007,64] with [64]");
    expectMatch(a,
                {operand(DataType::kFLOAT, makeDims({300007, 8}), 3),
                 operand(DataType::kFLOAT, makeDims({300007, 1}), 4)},
                0, "ElementWise kSUM float32[300007,8] with [300007,1]");
    expectMatch(a,
                {operand(DataType::kBF16, cudatest::largeShape(), 5),
                 operand(DataType::kBF16, cudatest::largeShape(), 6)},
                0, "ElementWise kSUM bfloat16[1031,3001] with [1031,3001]");
}

TEST_F(CudaKernelTest, MapsVectorizeAndFallBack) {
    const Dims shapes[] = {makeDims({37, 264}), makeDims({97}), makeDims({3}), makeDims({}),
                           cudatest::largeShape()};
    uint64_t seed = 8000;
    for (int64_t misalign : {0, 1})
        for (const Dims& s : shapes) {
            for (DataType t : kFloatTypes) {
                ir::ActivationAttrs relu;
                relu.type = ActivationType::kRELU;
                expectMatch(relu, {operand(t, s, ++seed)}, misalign,
                            cudatest::params("Activation kRELU", t, s, shift(misalign)));
                ir::ActivationAttrs clip;
                clip.type = ActivationType::kCLIP;
                clip.alpha = -1.25f;
                clip.beta = 2.5f;
                expectMatch(clip, {operand(t, s, ++seed)}, misalign,
                            cudatest::params("Activation kCLIP", t, s, shift(misalign)));
            }
            for (DataType t :
                 {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT32, DataType::kINT64}) {
                ir::UnaryAttrs neg;
                neg.op = UnaryOperation::kNEG;
                expectMatch(neg, {operand(t, s, ++seed)}, misalign,
                            cudatest::params("Unary kNEG", t, s, shift(misalign)));
            }
            ir::UnaryAttrs isNan;
            isNan.op = UnaryOperation::kISNAN;  // float16 in, bool out
            expectMatch(isNan, {operand(DataType::kHALF, s, ++seed)}, misalign,
                        cudatest::params("Unary kISNAN", DataType::kHALF, s, shift(misalign)));
            if (HasFatalFailure()) return;
        }
}

TEST_F(CudaKernelTest, CastEveryVectorizedPair) {
    const DataType types[] = {DataType::kFLOAT, DataType::kHALF,  DataType::kBF16,
                              DataType::kINT32, DataType::kINT64, DataType::kBOOL};
    const Dims shapes[] = {makeDims({37, 264}), makeDims({97}), makeDims({})};
    uint64_t seed = 9000;
    for (int64_t misalign : {0, 1})
        for (DataType from : types)
            for (DataType to : types)
                for (const Dims& s : shapes) {
                    ir::CastAttrs a;
                    a.toType = to;
                    // Random bytes: NaN payloads, infinities, out-of-range floats for the integer targets.
                    const std::string what = cudatest::params(
                        "Cast", from, s, std::string("to ") + dataTypeName(to) + shift(misalign));
                    auto r = cudatest::runBoth(a, {randomBytes(from, s, ++seed)}, {}, 1, misalign);
                    ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
                    expectBitExact(r->want[0], r->got[0], what);
                }
}

TEST_F(CudaKernelTest, SelectRowsAndColumns) {
    struct Case {
        Dims cond, a, b;
    };
    const Case cases[] = {
        {makeDims({41, 96}), makeDims({41, 96}), makeDims({41, 96})},
        {makeDims({41, 1}), makeDims({41, 96}), makeDims({})},
        {makeDims({96}), makeDims({41, 1}), makeDims({41, 96})},
        {makeDims({97}), makeDims({97}), makeDims({1})},
        {makeDims({5, 12}), makeDims({12}), makeDims({5, 1})},
    };
    uint64_t seed = 9500;
    for (int64_t misalign : {0, 1})
        for (DataType t : kMoveTypes)
            for (const Case& c : cases) {
                ir::SelectAttrs a;
                const std::string what =
                    cudatest::params("Select", t, c.a,
                                     "cond " + toString(c.cond) + " else " + toString(c.b) + shift(misalign));
                auto r = cudatest::runBoth(a,
                                           {randomBytes(DataType::kBOOL, c.cond, ++seed),
                                            randomBytes(t, c.a, ++seed), randomBytes(t, c.b, ++seed)},
                                           {}, 1, misalign);
                ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
                expectBitExact(r->want[0], r->got[0], what);
            }
}

// ---- movement ----------------------------------------------------------------------------------------

Permutation perm(std::initializer_list<int32_t> order) {
    Permutation p{};
    int i = 0;
    for (int32_t v : order) p.order[i++] = v;
    for (; i < kMAX_DIMS; ++i) p.order[i] = i;
    return p;
}

void expectSame(const ir::Attrs& attrs, const std::vector<HostTensor>& in, int64_t misalign,
                const std::string& what) {
    auto r = cudatest::runBoth(attrs, in, {}, 1, misalign);
    ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
    expectBitExact(r->want[0], r->got[0], what);
}

TEST_F(CudaKernelTest, ShuffleRunsTilesAndGather) {
    struct Case {
        Dims in;
        Permutation p;
        const char* path;
    };
    const Case cases[] = {
        {makeDims({2, 7, 5, 64}), perm({0, 2, 1, 3}), "runs"},
        {makeDims({2, 7, 5, 3}), perm({0, 2, 1, 3}), "runs of 3"},
        {makeDims({33, 65}), perm({1, 0}), "tiled"},
        {makeDims({2, 33, 4, 16}), perm({0, 2, 3, 1}), "tiled, batched"},
        {makeDims({9, 10, 11}), perm({2, 0, 1}), "tiled"},
        {makeDims({9, 10, 11}), perm({1, 2, 0}), "tiled"},
        {makeDims({9, 10, 11}), perm({2, 1, 0}), "tiled, batch in the middle"},
        {makeDims({9, 10, 11}), perm({1, 0, 2}), "runs"},
        {makeDims({33, 5}), perm({1, 0}), "gather"},
        {makeDims({3, 1, 5}), perm({1, 0, 2}), "copy"},
        {makeDims({70, 1031}), perm({1, 0}), "tiled, several tile rows"},
    };
    uint64_t seed = 600;
    for (int64_t misalign : {0, 1})
        for (DataType t : kMoveTypes)
            for (const Case& c : cases) {
                ir::ShuffleAttrs a;
                a.firstTranspose = c.p;
                a.secondTranspose = perm({});
                const std::string what =
                    cudatest::params("Shuffle", t, c.in, std::string(c.path) + shift(misalign));
                expectSame(a, {randomBytes(t, c.in, ++seed)}, misalign, what);
                // The same permutation as the second transpose, after a reshape that flattens nothing.
                ir::ShuffleAttrs b;
                b.firstTranspose = perm({});
                b.hasReshape = true;
                b.reshapeDims = c.in;
                b.secondTranspose = c.p;
                expectSame(b, {randomBytes(t, c.in, ++seed)}, misalign, what + " as the second transpose");
                if (HasFatalFailure()) return;
            }
}

TEST_F(CudaKernelTest, SliceRunsAlignedAndNot) {
    struct Case {
        Dims in, start, size;
    };
    const Case cases[] = {
        {makeDims({4, 6, 2304}), makeDims({0, 0, 768}), makeDims({4, 6, 768})},  // the c_attn split
        {makeDims({7, 11, 5}), makeDims({1, 2, 0}), makeDims({3, 4, 5})},
        {makeDims({7, 11, 5}), makeDims({0, 0, 1}), makeDims({7, 11, 3})},
        {makeDims({97}), makeDims({3}), makeDims({90})},  // one run: a device copy
    };
    uint64_t seed = 700;
    for (int64_t misalign : {0, 1})
        for (DataType t : kMoveTypes)
            for (const Case& c : cases) {
                ir::SliceAttrs a;
                a.start = c.start;
                a.size = c.size;
                a.stride = c.in;
                for (int d = 0; d < c.in.nbDims; ++d) a.stride.d[d] = 1;
                expectSame(
                    a, {randomBytes(t, c.in, ++seed)}, misalign,
                    cudatest::params("Slice", t, c.in, "start " + toString(c.start) + shift(misalign)));
            }
}

TEST_F(CudaKernelTest, GatherRunsAlongOneAxis) {
    struct Case {
        Dims data, indices;
        int axis;
    };
    const Case cases[] = {
        {makeDims({64, 3, 12, 197}), makeDims({}), 1},  // the q/k/v split by a scalar index
        {makeDims({3, 2, 4, 6}), makeDims({1}), 0},
        {makeDims({50, 64}), makeDims({4, 7}), 0},   // embedding lookup
        {makeDims({5, 7, 3}), makeDims({4, 2}), 2},  // runs of one element
    };
    uint64_t seed = 800;
    for (int64_t misalign : {0, 1})
        for (DataType it : {DataType::kINT32, DataType::kINT64})
            for (DataType t : kMoveTypes)
                for (const Case& c : cases) {
                    ir::GatherAttrs a;
                    a.axis = c.axis;
                    const int64_t n = c.data.d[c.axis];
                    HostTensor idx(it, c.indices);
                    for (int64_t p = 0; p < idx.numel(); ++p) idx.setInt(p, (p * 7 + 3) % (2 * n) - n);
                    expectSame(
                        a, {randomBytes(t, c.data, ++seed), idx}, misalign,
                        cudatest::params("Gather", t, c.data,
                                         std::string("indices ") + dataTypeName(it) + toString(c.indices) +
                                             " axis " + std::to_string(c.axis) + shift(misalign)));
                }
}

TEST_F(CudaKernelTest, ConcatenationRunsMisaligned) {
    ir::ConcatenationAttrs a;
    a.axis = 1;
    uint64_t seed = 900;
    for (DataType t : kMoveTypes)
        expectSame(a,
                   {randomBytes(t, makeDims({37, 64}), ++seed), randomBytes(t, makeDims({37, 5}), ++seed),
                    randomBytes(t, makeDims({37, 128}), ++seed)},
                   1,
                   cudatest::params("Concatenation", t, makeDims({37, 64}),
                                    "+ [37,5] + [37,128] axis 1" + shift(1)));
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaFastPath, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
