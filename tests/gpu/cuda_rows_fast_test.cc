// GPU tests of the register-rows kernels (reduce/softmax_rows.cu, normalization/normalization_rows.cu)
// and of the general kernels they fall back to, against the reference kernels on the host: transformer
// shapes ([3,197,768] LayerNorm, [2,12,197,197] and [2,12,128,128] softmax), row lengths around the
// warp, vector and block boundaries (1, 31, 32, 33, 1000, 4096, 5000, 5001, and past the register
// limit), float32 / float16 / bfloat16, float32 weights for half and bfloat16 inputs, buffers shifted by
// one element (so every row is misaligned and the single-element chunks run), masked attention rows
// (all -inf, causal prefixes, a single survivor), NaN and +inf rows, and large magnitudes. Each case
// first asserts which path the host plan picks for it, so a plan change cannot silently drop the
// coverage of a path. Tolerances as in cuda_reduce_test.cc and cuda_norm_pool_test.cc (reduce_family_util.h).
// Skipped, never passed, without a CUDA device.
#include <gtest/gtest.h>

#if defined(KILN_HAS_CUDA)

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "backends/cuda/kernels/common/reduce_host.h"
#include "backends/cuda/kernels/normalization/normalization_plan.h"
#include "gpu/reduce_family_util.h"

namespace kiln::testing {
namespace {

class CudaRowsFastTest : public CudaReduceFamilyTest {};

/// Where cudaMalloc's buffers start for the plan (256-byte aligned), before the test's shift.
constexpr uintptr_t kAligned = 0x10000;

enum class Path { kVector, kScalar, kGeneral };

const char* pathName(Path p) {
    switch (p) {
        case Path::kVector:
            return "register rows, 16-byte chunks";
        case Path::kScalar:
            return "register rows, single elements";
        case Path::kGeneral:
            return "general kernel";
    }
    return "?";
}

Path pathOf(const cuda::rk::RowsPlan& p) {
    return !p.fast ? Path::kGeneral : (p.vec > 1 ? Path::kVector : Path::kScalar);
}

cuda::rk::ValueType valueType(DataType t) {
    cuda::rk::ValueType v{};
    EXPECT_TRUE(cuda::rk::toValueType(t, &v));
    return v;
}

// ---- Normalization -----------------------------------------------------------------------------------

struct NormRowsCase {
    Dims x;
    uint32_t axes;
    Dims affine;
    Path path;  ///< the path the plan must pick (with the case's shift)
};

struct NormInputs {
    double lo{-2.0}, hi{2.0};
    double tolScale{1.0};  ///< widening for inputs far from their mean (see LargeMagnitudes)
    int64_t misalignBytes{0};
};

void checkNormRows(cudaStream_t stream, const NormRowsCase& c, DataType t, DataType affineType, uint64_t seed,
                   const NormInputs& in = {}) {
    ir::NormalizationAttrs a;
    a.axes = c.axes;
    a.nbGroups = 1;
    a.epsilon = 1e-5f;
    const std::string what = "Normalization of " + describe(c.x, t) + " axes " + std::to_string(c.axes) +
                             " affine " + describe(c.affine, affineType) + " shift " +
                             std::to_string(in.misalignBytes) + " range [" + std::to_string(in.lo) + ", " +
                             std::to_string(in.hi) + "] seed " + std::to_string(seed);
    const uintptr_t shift = static_cast<uintptr_t>(in.misalignBytes);
    const cuda::rk::NormRows rows =
        cuda::rk::planNormRows(cuda::rk::normGeometry(c.x, c.affine, c.affine, c.axes, 1), valueType(t),
                               valueType(affineType), valueType(affineType), kAligned + shift,
                               2 * kAligned + shift, 3 * kAligned + shift, 4 * kAligned + shift);
    ASSERT_EQ(pathOf(rows.plan), c.path) << what << ": the plan picks the " << pathName(pathOf(rows.plan))
                                         << ", the case is meant for the " << pathName(c.path);
    const HostTensor x = HostTensor::random(t, c.x, seed, in.lo, in.hi);
    const HostTensor scale = HostTensor::random(affineType, c.affine, seed + 1, -1.5, 1.5);
    const HostTensor bias = HostTensor::random(affineType, c.affine, seed + 2, -1.5, 1.5);
    auto want = runSingleOp(a, {x, scale, bias});
    ASSERT_TRUE(want.isOk()) << what << ": " << want.status().message();
    const HostTensor& w = want.value()[0];
    CudaRunOptions options;
    options.misalignBytes = in.misalignBytes;
    auto got = runCuda(cuda::runNormalization, a, {x, scale, bias}, {w}, stream, options);
    ASSERT_TRUE(got.isOk()) << what << ": " << got.status().message();
    int64_t count = 1;
    for (int i = 0; i < c.x.nbDims; ++i)
        if ((c.axes >> i) & 1u) count *= c.x.d[i];
    expectNear(
        got.value()[0], w, [&](int64_t i) { return normTolerance(t, count, w.at(i)) * in.tolScale; }, what);
}

TEST_F(CudaRowsFastTest, NormalizationRowsEveryTypeAndLength) {
    const Path V = Path::kVector, S = Path::kScalar, G = Path::kGeneral;
    const NormRowsCase cases[] = {
        {makeDims({3, 197, 768}), 0b100, makeDims({768}), V},   // ViT / BERT LayerNorm: 3 chunks a lane
        {makeDims({5, 7, 128}), 0b100, makeDims({128}), V},     // 16 or 32 lanes, several rows per warp
        {makeDims({5, 7, 128}), 0b110, makeDims({7, 128}), V},  // over the last two dims
        {makeDims({197, 768}), 0b10, makeDims({197, 768}), V},  // weights that differ per row
        {makeDims({9, 1}), 0b10, makeDims({1}), G},             // rows of one element
        {makeDims({9, 31}), 0b10, makeDims({31}), S},
        {makeDims({9, 32}), 0b10, makeDims({32}), V},
        {makeDims({9, 33}), 0b10, makeDims({33}), S},
        {makeDims({7, 1000}), 0b10, makeDims({1000}), V},
        {makeDims({3, 4096}), 0b10, makeDims({4096}), V},    // one block per row
        {makeDims({3, 5000}), 0b10, makeDims({5000}), V},    // 1024 threads
        {makeDims({3, 5001}), 0b10, makeDims({5001}), S},    // 1024 threads, odd
        {makeDims({2, 16385}), 0b10, makeDims({16385}), G},  // past the register limit
    };
    uint64_t seed = 5000;
    for (const NormRowsCase& c : cases)
        for (DataType t : kFloatTypes) checkNormRows(stream, c, t, t, seed += 3);
}

TEST_F(CudaRowsFastTest, NormalizationRowsMisalignedAndMixedTypes) {
    uint64_t seed = 6000;
    // Every buffer one element off: rows no longer start on 16 bytes, single elements run.
    const NormRowsCase shifted[] = {
        {makeDims({3, 197, 768}), 0b100, makeDims({768}), Path::kScalar},
        {makeDims({9, 32}), 0b10, makeDims({32}), Path::kScalar},
        {makeDims({3, 4096}), 0b10, makeDims({4096}), Path::kScalar},
    };
    for (const NormRowsCase& c : shifted)
        for (DataType t : kFloatTypes) {
            NormInputs in;
            in.misalignBytes = dataTypeSize(t);
            checkNormRows(stream, c, t, t, seed += 3, in);
        }
    // float32 weights for half and bfloat16 x take the register rows; other mixes the general kernel.
    const NormRowsCase layer{makeDims({3, 197, 768}), 0b100, makeDims({768}), Path::kVector};
    checkNormRows(stream, layer, DataType::kHALF, DataType::kFLOAT, seed += 3);
    checkNormRows(stream, layer, DataType::kBF16, DataType::kFLOAT, seed += 3);
    NormRowsCase general = layer;
    general.path = Path::kGeneral;
    checkNormRows(stream, general, DataType::kHALF, DataType::kBF16, seed += 3);
    checkNormRows(stream, general, DataType::kFLOAT, DataType::kHALF, seed += 3);
    // Every buffer one float off with half x and float32 weights: single elements.
    NormRowsCase odd = layer;
    odd.path = Path::kScalar;
    NormInputs in;
    in.misalignBytes = 4;
    checkNormRows(stream, odd, DataType::kHALF, DataType::kFLOAT, seed += 3, in);
}

TEST_F(CudaRowsFastTest, NormalizationRowsLargeMagnitudes) {
    uint64_t seed = 7000;
    const NormRowsCase cases[] = {
        {makeDims({5, 768}), 0b10, makeDims({768}), Path::kVector},
        {makeDims({5, 33}), 0b10, makeDims({33}), Path::kScalar},
        {makeDims({2, 5000}), 0b10, makeDims({5000}), Path::kVector},
    };
    for (const NormRowsCase& c : cases)
        for (DataType t : kFloatTypes) {
            // Wide values: x_hat is scale-free, so the usual tolerance holds.
            NormInputs wide;
            wide.lo = -3.0e4;
            wide.hi = 3.0e4;
            checkNormRows(stream, c, t, t, seed += 3, wide);
            // Values far from zero with a small spread (100 +- 2): the float mean errs by about depth
            // roundings of 100, which x_hat magnifies by 100 / sigma (sigma = 4 / sqrt(12)); a one-pass
            // E[x^2] - E[x]^2 would lose the variance entirely (1e4 against 1.3).
            NormInputs offset;
            offset.lo = 98.0;
            offset.hi = 102.0;
            offset.tolScale = 1.0 + 100.0 / (4.0 / std::sqrt(12.0));
            checkNormRows(stream, c, t, t, seed += 3, offset);
        }
}

// ---- SoftMax -----------------------------------------------------------------------------------------

void checkSoftMaxRows(cudaStream_t stream, const HostTensor& x, bool log, Path path, const std::string& what,
                      int64_t misalignBytes = 0) {
    ir::SoftMaxAttrs a;
    const int axis = x.shape.nbDims - 1;
    a.axes = 1u << axis;
    a.log = log;
    const std::string full = std::string(log ? "LogSoftMax" : "SoftMax") + " on " +
                             describe(x.shape, x.type) + " shift " + std::to_string(misalignBytes) + " " +
                             what;
    const cuda::rk::AxisView v = cuda::rk::axisView(x.shape, axis);
    const uintptr_t shift = static_cast<uintptr_t>(misalignBytes);
    const cuda::rk::RowsPlan plan = cuda::rk::planSoftMaxRows(
        v.outer, v.extent, v.inner, dataTypeSize(x.type), kAligned + shift, 2 * kAligned + shift);
    ASSERT_EQ(pathOf(plan), path) << full << ": the plan picks the " << pathName(pathOf(plan))
                                  << ", the case is meant for the " << pathName(path);
    auto want = runSingleOp(a, {x});
    ASSERT_TRUE(want.isOk()) << full << ": " << want.status().message();
    const HostTensor& w = want.value()[0];
    CudaRunOptions options;
    options.misalignBytes = misalignBytes;
    auto got = runCuda(cuda::runSoftMax, a, {x}, {w}, stream, options);
    ASSERT_TRUE(got.isOk()) << full << ": " << got.status().message();
    expectNear(
        got.value()[0], w, [&](int64_t i) { return softmaxTolerance(log, x.type, v.extent, w.at(i)); }, full);
}

struct SoftMaxRowsCase {
    Dims shape;
    Path path;
};

TEST_F(CudaRowsFastTest, SoftMaxRowsEveryTypeAndLength) {
    const Path V = Path::kVector, S = Path::kScalar, G = Path::kGeneral;
    const SoftMaxRowsCase cases[] = {
        {makeDims({2, 12, 197, 197}), S},  // ViT attention: odd rows, 7 elements a lane
        {makeDims({2, 12, 128, 128}), V},  // BERT attention: 16 or 32 lanes a row
        {makeDims({4, 33}), S},           {makeDims({5, 1}), S},  // one element: every row is 1 (or NaN)
        {makeDims({5, 31}), S},           {makeDims({5, 32}), V},   {makeDims({5, 33}), S},
        {makeDims({5, 1000}), V},         {makeDims({3, 4096}), V},  // one block per row
        {makeDims({3, 5000}), V},                                    // 1024 threads
        {makeDims({3, 5001}), S},                                    // 1024 threads, odd
        {makeDims({2, 16392}), G},  // past the register limit: the general block kernel
    };
    uint64_t seed = 8000;
    for (const SoftMaxRowsCase& c : cases)
        for (DataType t : kFloatTypes)
            for (bool log : {false, true}) {
                ++seed;
                checkSoftMaxRows(stream, HostTensor::random(t, c.shape, seed, -4.0, 4.0), log, c.path,
                                 "seed " + std::to_string(seed));
            }
}

TEST_F(CudaRowsFastTest, SoftMaxRowsMisalignedAndLargeMagnitudes) {
    uint64_t seed = 9000;
    for (DataType t : kFloatTypes)
        for (bool log : {false, true}) {
            // One element off: the rows of 128 lose their 16-byte alignment.
            for (const Dims& s : {makeDims({2, 12, 128, 128}), makeDims({3, 4096})}) {
                ++seed;
                checkSoftMaxRows(stream, HostTensor::random(t, s, seed, -4.0, 4.0), log, Path::kScalar,
                                 "seed " + std::to_string(seed), dataTypeSize(t));
            }
            // |x| up to 1e4 (within half's range): the max shift keeps every exp finite.
            const SoftMaxRowsCase wide[] = {{makeDims({6, 197}), Path::kScalar},
                                            {makeDims({6, 256}), Path::kVector},
                                            {makeDims({3, 3000}), Path::kVector}};
            for (const SoftMaxRowsCase& c : wide) {
                ++seed;
                checkSoftMaxRows(stream, HostTensor::random(t, c.shape, seed, -1.0e4, 1.0e4), log, c.path,
                                 "range 1e4 seed " + std::to_string(seed));
            }
        }
}

/// Rows of `cols` elements: masked attention rows and special values (see the test), then random rows.
HostTensor specialRows(DataType t, int64_t cols, uint64_t seed) {
    const double inf = std::numeric_limits<double>::infinity();
    const int64_t rows = 8;
    HostTensor x = HostTensor::random(t, makeDims({rows, cols}), seed, -4.0, 4.0);
    const auto at = [&](int64_t r, int64_t c) { return r * cols + c; };
    for (int64_t c = 0; c < cols; ++c) {
        x.set(at(0, c), -inf);                           // fully masked: NaN, as the reference gives
        if (c >= (cols + 2) / 3) x.set(at(1, c), -inf);  // causal prefix
        if (c != cols - 1) x.set(at(2, c), -inf);        // a single survivor: probability 1
        if (c % 5 == 1) x.set(at(5, c), -inf);           // scattered masked entries
    }
    x.set(at(3, cols / 2), std::nan(""));  // NaN row
    x.set(at(4, cols - 1), inf);           // +inf: exp(inf - inf), NaN row
    return x;
}

TEST_F(CudaRowsFastTest, SoftMaxRowsMaskedAndSpecialValues) {
    uint64_t seed = 10000;
    for (DataType t : kFloatTypes)
        for (bool log : {false, true}) {
            // 37: single elements, warp; 64: vectors, warp; 2048: vectors, one block; 20000: general.
            const SoftMaxRowsCase cases[] = {{makeDims({8, 37}), Path::kScalar},
                                             {makeDims({8, 64}), Path::kVector},
                                             {makeDims({8, 2048}), Path::kVector},
                                             {makeDims({8, 20000}), Path::kGeneral}};
            for (const SoftMaxRowsCase& c : cases) {
                ++seed;
                checkSoftMaxRows(stream, specialRows(t, c.shape.d[1], seed), log, c.path,
                                 "masked rows, seed " + std::to_string(seed));
            }
        }
}

}  // namespace
}  // namespace kiln::testing

#else

TEST(CudaRowsFastTest, NotCompiled) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
