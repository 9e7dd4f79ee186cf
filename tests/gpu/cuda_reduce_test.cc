// GPU tests of the reduce family's CUDA kernels (Reduce, SoftMax, TopK) against the reference kernels on
// the host: every ReduceOperation x dtype x axes pattern (rows, strided, several separated axes, run-time
// axes, empty and long reductions), softmax and log-softmax on every axis layout (warp rows, block rows,
// columns), TopK max/min on short (bitonic) and long (radix select) lines with ties, NaN and +-0. Float
// results are compared with a tolerance derived from the float32 summation depth and the output type's
// ulp (the reference computes in double and rounds once); max, min, TopK and integer results are exact.
// Skipped, never passed, without a CUDA device.
#include <gtest/gtest.h>

#if defined(KILN_HAS_CUDA)

#include <cmath>
#include <string>
#include <vector>

#include "gpu/reduce_family_util.h"

namespace kiln::testing {
namespace {

class CudaReduceTest : public CudaReduceFamilyTest {};

constexpr ReduceOperation kAllOps[] = {
    ReduceOperation::kSUM, ReduceOperation::kPROD,       ReduceOperation::kMAX,
    ReduceOperation::kMIN, ReduceOperation::kAVG,        ReduceOperation::kL2,
    ReduceOperation::kL1,  ReduceOperation::kSUM_SQUARE, ReduceOperation::kLOG_SUM_EXP};

ir::ReduceAttrs reduceAttrs(ReduceOperation op, uint32_t axes, bool keepDims) {
    ir::ReduceAttrs a;
    a.op = op;
    a.axes = axes;
    a.keepDims = keepDims;
    return a;
}

HostTensor referenceOne(const ir::Attrs& attrs, const std::vector<HostTensor>& inputs, int nbOutputs = 1,
                        size_t which = 0) {
    auto r = runSingleOp(attrs, inputs, nbOutputs);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? r.value()[which] : HostTensor{};
}

/// Per-output magnitude that bounds float32 rounding: sum |x| (or sum x^2) over the reduced elements,
/// computed by the reference in double from the same input.
HostTensor magnitude(ReduceOperation op, const HostTensor& x, const ir::ReduceAttrs& a,
                     const std::vector<HostTensor>& extra) {
    HostTensor xf(DataType::kFLOAT, x.shape);
    for (int64_t i = 0; i < x.numel(); ++i) xf.set(i, x.at(i));
    ir::ReduceAttrs m = a;
    m.op = (op == ReduceOperation::kSUM_SQUARE || op == ReduceOperation::kL2) ? ReduceOperation::kSUM_SQUARE
                                                                              : ReduceOperation::kL1;
    std::vector<HostTensor> in{xf};
    in.insert(in.end(), extra.begin(), extra.end());
    return referenceOne(m, in);
}

/// Tolerance of float Reduce output i. The GPU sums in float32 along at most count / 8 + 40 dependent
/// additions (threads split the reduction, then a shuffle / shared-memory tree), each off by at most one
/// float32 rounding of the running magnitude; the reference sums in double. Both round the result to
/// the output type once, so they may also differ by one ulp of it.
double reduceTolerance(ReduceOperation op, DataType out, int64_t count, double want, double mag) {
    const double depth = static_cast<double>(count) / 8.0 + 40.0;
    const double ulp = ulpAt(out, want);
    switch (op) {
        case ReduceOperation::kMAX:
        case ReduceOperation::kMIN:
            return 0.0;  // a selection: exact
        case ReduceOperation::kSUM:
        case ReduceOperation::kL1:
        case ReduceOperation::kSUM_SQUARE:
            return ulp + 2.0 * depth * kFloatEps * mag;
        case ReduceOperation::kAVG:
            return ulp + 2.0 * depth * kFloatEps * mag / static_cast<double>(count);
        case ReduceOperation::kL2:
            return ulp + (depth + 4.0) * kFloatEps * std::sqrt(mag);
        case ReduceOperation::kPROD:
            return ulp + (static_cast<double>(count) + 4.0) * kFloatEps * std::fabs(want);
        case ReduceOperation::kLOG_SUM_EXP:
            return ulp + (depth + 8.0) * kFloatEps * (1.0 + std::fabs(want));
    }
    return 0.0;
}

/// Runs one Reduce on the GPU and the reference and compares; `axesInput` (absent or host int64 axes).
void checkReduce(cudaStream_t stream, ReduceOperation op, DataType t, const Dims& shape, uint32_t mask,
                 bool keepDims, uint64_t seed, const HostTensor& axesInput = HostTensor::absent(),
                 bool noop = false) {
    ir::ReduceAttrs a = reduceAttrs(op, mask, keepDims);
    a.noopWithEmptyAxes = noop;
    // Products stay O(1) over ~100 factors near 1; integers stay small so sums of squares stay exact.
    const bool prod = op == ReduceOperation::kPROD;
    const HostTensor x = isFloatType(t)
                             ? HostTensor::random(t, shape, seed, prod ? 0.8 : -2.0, prod ? 1.25 : 2.0)
                             : HostTensor::random(t, shape, seed, prod ? -2.0 : -50.0, prod ? 2.0 : 50.0);
    std::vector<HostTensor> inputs{x};
    if (axesInput.present()) inputs.push_back(axesInput);
    const std::string what = std::string("Reduce op ") + std::to_string(static_cast<int>(op)) + " on " +
                             describe(shape, t) + " mask " + std::to_string(mask) +
                             (keepDims ? " keepDims" : "") + (axesInput.present() ? " (run-time axes)" : "") +
                             " seed " + std::to_string(seed);
    const HostTensor want = referenceOne(a, inputs);
    auto got = runCuda(cuda::runReduce, a, inputs, {want}, stream, {{1}});
    ASSERT_TRUE(got.isOk()) << what << ": " << got.status().message();
    if (!isFloatType(t)) return expectExact(got.value()[0], want, what);
    const HostTensor mag = magnitude(op, x, a, std::vector<HostTensor>(inputs.begin() + 1, inputs.end()));
    const int64_t count = want.numel() > 0 ? x.numel() / want.numel() : 0;
    expectNear(
        got.value()[0], want,
        [&](int64_t i) { return reduceTolerance(op, t, count, want.at(i), std::fabs(mag.at(i))); }, what);
}

TEST_F(CudaReduceTest, EveryOpTypeAndAxesPattern) {
    // Rank 3 with every mask: rows (trailing axes), columns (leading / middle axes), separated axes.
    // Rank 4 adds patterns of two reduced groups; keepDims alternates (it changes only the shape).
    const Dims r3 = makeDims({3, 7, 5}), r4 = makeDims({2, 3, 5, 7});
    const uint32_t r4Masks[] = {0b0101, 0b1010, 0b0110, 0b1001, 0b1111, 0b0001, 0b1000, 0b1101};
    const DataType types[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT32,
                              DataType::kINT64};
    uint64_t seed = 100;
    for (ReduceOperation op : kAllOps)
        for (DataType t : types) {
            for (uint32_t mask = 1; mask < 8; ++mask)
                checkReduce(stream, op, t, r3, mask, (mask & 1) != 0, ++seed);
            for (uint32_t mask : r4Masks) checkReduce(stream, op, t, r4, mask, (mask & 2) != 0, ++seed);
        }
}

TEST_F(CudaReduceTest, LongRowsLongColumnsAndManyOutputs) {
    uint64_t seed = 500;
    for (ReduceOperation op : {ReduceOperation::kSUM, ReduceOperation::kMAX, ReduceOperation::kLOG_SUM_EXP,
                               ReduceOperation::kAVG, ReduceOperation::kL2}) {
        checkReduce(stream, op, DataType::kFLOAT, makeDims({3, 100003}), 0b10, false, ++seed);  // block rows
        checkReduce(stream, op, DataType::kFLOAT, makeDims({2, 1031}), 0b10, false, ++seed);    // warp rows
        checkReduce(stream, op, DataType::kHALF, makeDims({20011, 3}), 0b01, false,
                    ++seed);  // few, long columns
        checkReduce(stream, op, DataType::kBF16, makeDims({4099, 3, 2}), 0b010, true,
                    ++seed);  // many outputs
        checkReduce(stream, op, DataType::kFLOAT, makeDims({1, 1, 9973}), 0b111, false,
                    ++seed);  // reduce all
        checkReduce(stream, op, DataType::kINT64, makeDims({7, 5003}), 0b01, false, ++seed);
    }
}

TEST_F(CudaReduceTest, RunTimeAxesNoopAndEmptyList) {
    const Dims shape = makeDims({4, 3, 5});
    uint64_t seed = 700;
    const auto axes = [](std::vector<int64_t> v) {
        return HostTensor::fromVector(DataType::kINT64, makeDims({static_cast<int64_t>(v.size())}), v);
    };
    for (DataType t : {DataType::kFLOAT, DataType::kINT32}) {
        checkReduce(stream, ReduceOperation::kSUM, t, shape, 0, false, ++seed, axes({-1, 0}));
        checkReduce(stream, ReduceOperation::kMAX, t, shape, 0, true, ++seed, axes({1}));
        checkReduce(stream, ReduceOperation::kAVG, t, shape, 0, false, ++seed, axes({}));  // every axis
        checkReduce(stream, ReduceOperation::kPROD, t, shape, 0, true, ++seed, axes({}),
                    /*noop=*/true);  // a copy
    }
    // The run-time list replaces the mask attribute.
    checkReduce(stream, ReduceOperation::kL1, DataType::kFLOAT, shape, 0b001, false, ++seed, axes({2}));
}

TEST_F(CudaReduceTest, EmptyReductionsGiveIdentities) {
    const Dims shape = makeDims({3, 0, 5});
    uint64_t seed = 800;
    for (ReduceOperation op : kAllOps)
        for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kINT32, DataType::kINT64}) {
            if (op == ReduceOperation::kAVG && !isFloatType(t)) continue;
            checkReduce(stream, op, t, shape, 0b010, true, ++seed);
        }
    // No outputs at all: nothing to launch, nothing written.
    checkReduce(stream, ReduceOperation::kSUM, DataType::kFLOAT, makeDims({0, 4}), 0b10, false, ++seed);
}

TEST_F(CudaReduceTest, NaNAndInfinities) {
    // Row 0: a NaN (max/min/sum propagate it); row 1: +inf (LSE is +inf); row 2: only -inf (LSE -inf,
    // max -inf); row 3: -inf beside finite values (LSE ignores it).
    const float inf = INFINITY;
    const HostTensor x = HostTensor::fromVector(
        DataType::kFLOAT, makeDims({4, 3}),
        std::vector<float>{1.0f, NAN, -2.0f, 0.5f, inf, -1.0f, -inf, -inf, -inf, -inf, 0.25f, 3.0f});
    for (ReduceOperation op : kAllOps) {
        const ir::ReduceAttrs a = reduceAttrs(op, 0b10, false);
        const HostTensor want = referenceOne(a, {x});
        auto got = runCuda(cuda::runReduce, a, {x}, {want}, stream);
        ASSERT_TRUE(got.isOk()) << got.status().message();
        expectNear(
            got.value()[0], want,
            [&](int64_t i) { return 8.0 * kFloatEps * std::fabs(want.at(i)); },  // a few float roundings
            "special values, op " + std::to_string(static_cast<int>(op)));
    }
}

// ---- SoftMax -----------------------------------------------------------------------------------------

void checkSoftMax(cudaStream_t stream, DataType t, const Dims& shape, int axis, bool log, uint64_t seed,
                  double range = 4.0) {
    ir::SoftMaxAttrs a;
    a.axes = 1u << axis;
    a.log = log;
    const HostTensor x = HostTensor::random(t, shape, seed, -range, range);
    const std::string what = std::string(log ? "LogSoftMax" : "SoftMax") + " on " + describe(shape, t) +
                             " axis " + std::to_string(axis) + " seed " + std::to_string(seed);
    const HostTensor want = referenceOne(a, {x});
    auto got = runCuda(cuda::runSoftMax, a, {x}, {want}, stream);
    ASSERT_TRUE(got.isOk()) << what << ": " << got.status().message();
    expectNear(
        got.value()[0], want, [&](int64_t i) { return softmaxTolerance(log, t, shape.d[axis], want.at(i)); },
        what);
}

TEST_F(CudaReduceTest, SoftMaxEveryAxisLayoutAndType) {
    uint64_t seed = 1000;
    for (DataType t : kFloatTypes)
        for (bool log : {false, true}) {
            for (int axis = 0; axis < 3; ++axis)
                checkSoftMax(stream, t, makeDims({5, 7, 11}), axis, log, ++seed);
            checkSoftMax(stream, t, makeDims({3, 2053}), 1, log, ++seed);     // block per row
            checkSoftMax(stream, t, makeDims({2, 1031, 3}), 1, log, ++seed);  // long columns
            checkSoftMax(stream, t, makeDims({1}), 0, log, ++seed);           // a single element
        }
    // Large magnitudes: the max shift keeps exp finite.
    checkSoftMax(stream, DataType::kFLOAT, makeDims({7, 129}), 1, false, ++seed, 80.0);
    checkSoftMax(stream, DataType::kFLOAT, makeDims({7, 129}), 1, true, ++seed, 80.0);
}

TEST_F(CudaReduceTest, SoftMaxSpecialValues) {
    // Rows: NaN (all NaN), +inf (all NaN, as exp(inf - inf)), all -inf (NaN), -inf beside finite values
    // (probability 0 there, log-probability -inf).
    const float inf = INFINITY;
    const HostTensor x = HostTensor::fromVector(
        DataType::kFLOAT, makeDims({4, 3}),
        std::vector<float>{1.0f, NAN, 2.0f, inf, 0.0f, 1.0f, -inf, -inf, -inf, -inf, 0.5f, -1.0f});
    for (bool log : {false, true}) {
        ir::SoftMaxAttrs a;
        a.axes = 0b10;
        a.log = log;
        const HostTensor want = referenceOne(a, {x});
        auto got = runCuda(cuda::runSoftMax, a, {x}, {want}, stream);
        ASSERT_TRUE(got.isOk()) << got.status().message();
        expectNear(
            got.value()[0], want,
            [&](int64_t i) { return softmaxTolerance(log, DataType::kFLOAT, 3, want.at(i)); },
            log ? "log-softmax special values" : "softmax special values");
    }
}

// ---- TopK --------------------------------------------------------------------------------------------

/// Inputs with many ties (small integer range), or wide-ranged; floats also get NaN, -0 and +0.
HostTensor topkInput(DataType t, const Dims& shape, uint64_t seed, bool ties) {
    HostTensor x = HostTensor::random(t, shape, seed, ties ? -3.0 : -1000.0, ties ? 3.0 : 1000.0);
    if (ties && isFloatType(t))
        for (int64_t i = 0; i < x.numel(); ++i) x.set(i, std::round(x.at(i)));
    if (isFloatType(t) && x.numel() > 40) {
        x.set(3, NAN);
        x.set(17, -0.0);
        x.set(29, 0.0);
        x.set(31, NAN);
        x.set(37, -INFINITY);
    }
    return x;
}

void checkTopK(cudaStream_t stream, DataType t, const Dims& shape, int axis, int64_t k, bool largest,
               DataType indexType, bool ties, uint64_t seed, bool kAsInput = false) {
    ir::TopKAttrs a;
    a.op = largest ? TopKOperation::kMAX : TopKOperation::kMIN;
    a.axes = 1u << axis;
    a.k = kAsInput ? 1 : static_cast<int32_t>(k);
    a.indicesType = indexType;
    std::vector<HostTensor> inputs{topkInput(t, shape, seed, ties)};
    if (kAsInput)
        inputs.push_back(HostTensor::fromVector(DataType::kINT64, makeDims({1}), std::vector<int64_t>{k}));
    const std::string what = std::string("TopK ") + (largest ? "max" : "min") + " k=" + std::to_string(k) +
                             " on " + describe(shape, t) + " axis " + std::to_string(axis) +
                             (ties ? " with ties" : "") + " indices " + dataTypeName(indexType) + " seed " +
                             std::to_string(seed);
    auto want = runSingleOp(a, inputs, 2);
    ASSERT_TRUE(want.isOk()) << what << ": " << want.status().message();
    auto got = runCuda(cuda::runTopK, a, inputs, want.value(), stream, {{1}});
    ASSERT_TRUE(got.isOk()) << what << ": " << got.status().message();
    // The kernels order by (value, index) exactly as the reference does, ties and NaN included.
    expectExact(got.value()[0], want.value()[0], what + " (values)");
    expectExact(got.value()[1], want.value()[1], what + " (indices)");
}

TEST_F(CudaReduceTest, TopKShortLinesEveryTypeAndAxis) {
    const DataType types[] = {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kINT32,
                              DataType::kINT64};
    uint64_t seed = 2000;
    for (DataType t : types)
        for (bool largest : {true, false})
            for (bool ties : {false, true}) {
                checkTopK(stream, t, makeDims({3, 47, 5}), 1, 7, largest, DataType::kINT32, ties, ++seed);
                checkTopK(stream, t, makeDims({3, 47, 5}), 2, 5, largest, DataType::kINT64, ties, ++seed);
                checkTopK(stream, t, makeDims({4, 97}), 1, 1, largest, DataType::kINT64, ties, ++seed);
                checkTopK(stream, t, makeDims({4, 97}), 1, 97, largest, DataType::kINT32, ties, ++seed);
                checkTopK(stream, t, makeDims({2, 4096}), 1, 301, largest, DataType::kINT32, ties, ++seed);
            }
    checkTopK(stream, DataType::kFLOAT, makeDims({5, 13}), 1, 4, true, DataType::kINT32, false, ++seed, true);
}

TEST_F(CudaReduceTest, TopKLongLinesUseRadixSelection) {
    uint64_t seed = 3000;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kINT64, DataType::kINT32})
        for (bool largest : {true, false})
            for (bool ties : {false, true}) {
                checkTopK(stream, t, makeDims({2, 10007}), 1, 1, largest, DataType::kINT64, ties, ++seed);
                checkTopK(stream, t, makeDims({2, 10007}), 1, 257, largest, DataType::kINT32, ties, ++seed);
                checkTopK(stream, t, makeDims({3, 5003, 2}), 1, 64, largest, DataType::kINT32, ties, ++seed);
            }
    checkTopK(stream, DataType::kBF16, makeDims({1, 70001}), 1, 4096, true, DataType::kINT64, true, ++seed);
    checkTopK(stream, DataType::kFLOAT, makeDims({1, 20011}), 1, 3840, false, DataType::kINT32, false,
              ++seed);
}

TEST_F(CudaReduceTest, TopKInt64KeysBeyondDoublePrecisionAndAllEqual) {
    // Values 2^60 + small deltas differ in bits a double would round away: 64-bit keys keep them apart.
    std::vector<int64_t> v(6000);
    for (size_t i = 0; i < v.size(); ++i)
        v[i] = (int64_t{1} << 60) + static_cast<int64_t>((i * 7919) % 1000) - 500;
    const HostTensor x = HostTensor::fromVector(DataType::kINT64, makeDims({1, 6000}), v);
    const HostTensor same(DataType::kFLOAT, makeDims({2, 5000}));  // all zeros: indices 0..k-1 in order
    for (const HostTensor* in : {&x, &same})
        for (bool largest : {true, false}) {
            ir::TopKAttrs a;
            a.op = largest ? TopKOperation::kMAX : TopKOperation::kMIN;
            a.axes = 0b10;
            a.k = 100;
            a.indicesType = DataType::kINT64;
            auto want = runSingleOp(a, {*in}, 2);
            ASSERT_TRUE(want.isOk()) << want.status().message();
            auto got = runCuda(cuda::runTopK, a, {*in}, want.value(), stream);
            ASSERT_TRUE(got.isOk()) << got.status().message();
            expectExact(got.value()[0], want.value()[0], "int64 / all-equal TopK values");
            expectExact(got.value()[1], want.value()[1], "int64 / all-equal TopK indices");
        }
}

// ---- Checks made before anything is enqueued: these run without a device too ---------------------------

TEST(CudaReduceChecks, IntegerMeanOfNothingIsRefused) {
    // An integer mean over nothing divides by zero: refused with the shape named (as the reference does;
    // inference only sees it when the extent is known at build time).
    const HostTensor x(DataType::kINT32, makeDims({3, 0, 5})), y(DataType::kINT32, makeDims({3, 1, 5}));
    expectRefused(
        runWithoutMemory(cuda::runReduce, reduceAttrs(ReduceOperation::kAVG, 0b010, true), {x}, {y}),
        ErrorCode::kINVALID_ARGUMENT, {"non-empty reduction", "[3,0,5]"});
}

TEST(CudaReduceChecks, RunTimeAxesAreValidated) {
    const HostTensor x(DataType::kFLOAT, makeDims({4, 3, 5})), y(DataType::kFLOAT, makeDims({4}));
    const auto axes = [](std::vector<int64_t> v) {
        return HostTensor::fromVector(DataType::kINT64, makeDims({static_cast<int64_t>(v.size())}), v);
    };
    const ir::ReduceAttrs a = reduceAttrs(ReduceOperation::kSUM, 0, false);
    expectRefused(runWithoutMemory(cuda::runReduce, a, {x, axes({1, -2})}, {y}), ErrorCode::kINVALID_ARGUMENT,
                  {"axis 1", "more than once"});
    expectRefused(runWithoutMemory(cuda::runReduce, a, {x, axes({3})}, {y}), ErrorCode::kINVALID_ARGUMENT,
                  {"axis 3", "-3..2"});
    // The output must hold what the mask leaves.
    expectRefused(runWithoutMemory(cuda::runReduce, a, {x, axes({0})}, {y}), ErrorCode::kINTERNAL_ERROR,
                  {"gives 15"});
}

TEST(CudaReduceChecks, SoftMaxNeedsExactlyOneAxis) {
    ir::SoftMaxAttrs a;
    a.axes = 0b011;
    const HostTensor x(DataType::kFLOAT, makeDims({2, 3}));
    expectRefused(runWithoutMemory(cuda::runSoftMax, a, {x}, {x}), ErrorCode::kINVALID_ARGUMENT,
                  {"exactly one axis", "[2,3]"});
    a.axes = 0b100;
    expectRefused(runWithoutMemory(cuda::runSoftMax, a, {x}, {x}), ErrorCode::kINVALID_ARGUMENT,
                  {"axes mask 4"});
}

TEST(CudaReduceChecks, TopKRefusesKBeyondTheKernelLimitOrTheExtent) {
    ir::TopKAttrs a;
    a.axes = 0b10;
    a.k = 5000;
    const HostTensor x(DataType::kFLOAT, makeDims({1, 6000}));
    const HostTensor v(DataType::kFLOAT, makeDims({1, 5000})), i(DataType::kINT32, makeDims({1, 5000}));
    expectRefused(runWithoutMemory(cuda::runTopK, a, {x}, {v, i}), ErrorCode::kUNSUPPORTED_STATE,
                  {"k = 5000", "4096"});
    // k from input 1 (host values) beyond the extent.
    a.k = 1;
    const HostTensor k = HostTensor::fromVector(DataType::kINT64, makeDims({1}), std::vector<int64_t>{6001});
    expectRefused(runWithoutMemory(cuda::runTopK, a, {x, k}, {v, i}), ErrorCode::kINVALID_ARGUMENT,
                  {"k = 6001", "[1, 6000]"});
}

}  // namespace
}  // namespace kiln::testing

#else

TEST(CudaReduceTest, NotCompiled) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif
