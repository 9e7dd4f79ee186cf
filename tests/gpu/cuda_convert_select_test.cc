// GPU tests (label `gpu`) of the CUDA Cast, Identity and Select kernels against the reference kernels, all
// bit-exact: Cast over the 81 (from, to) pairs on random bit patterns (NaN payloads, subnormals,
// infinities, out-of-range values, non-0/1 bools) and on moderate values with specials; every float16,
// bfloat16 and float8 pattern exhaustively; Identity as a copy and as a conversion; Select broadcasting
// condition/then/else three ways for every element size. Without a GPU every test is skipped, never
// passed.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include "cuda_test_util.h"

namespace kiln {
namespace {

using cudatest::CudaKernelTest;
using cudatest::expectBitExact;
using cudatest::params;

const DataType kAllTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kINT8,
                              DataType::kINT32, DataType::kBOOL, DataType::kUINT8,
                              DataType::kFP8,   DataType::kBF16, DataType::kINT64};

/// Moderate values: mostly inside the narrow formats and integers, crossing their edges (255.5, 65520,
/// 448, -129), with NaN, infinities, -0 and .5 fractions first.
HostTensor moderateValues(DataType t, const Dims& s, uint64_t seed) {
    if (t == DataType::kBOOL) return cudatest::randomBytes(t, s, seed);
    if (!isFloatType(t)) return HostTensor::random(t, s, seed, t == DataType::kUINT8 ? 0 : -300, 300);
    HostTensor h = HostTensor::random(t, s, seed, -600.0, 600.0);
    const double specials[] = {NAN,   INFINITY, -INFINITY, -0.0, 0.5,     -0.5,    2.5,   -2.7,
                               255.5, 256.0,    -129.0,    1e10, 65519.0, 65520.0, 448.0, 464.0};
    for (int64_t i = 0; i < 16 && i < h.numel(); ++i) h.set(i, specials[i]);
    return h;
}

class CudaCast : public CudaKernelTest, public ::testing::WithParamInterface<DataType> {};

TEST_P(CudaCast, EveryTargetTypeBitExact) {
    const DataType from = GetParam();
    uint64_t seed = 17;
    for (DataType to : kAllTypes) {
        ir::CastAttrs a;
        a.toType = to;
        const std::vector<std::pair<std::string, HostTensor>> sources = {
            {"random bits", cudatest::randomBytes(from, makeDims({3, 7, 5}), ++seed)},
            {"random bits", cudatest::randomBytes(from, makeDims({1031, 301}), ++seed)},
            {"moderate values", moderateValues(from, makeDims({2, 3, 1, 5, 7}), ++seed)},
            {"scalar", moderateValues(from, makeDims({}), ++seed)},
            {"empty", HostTensor(from, makeDims({3, 0, 5}))},
        };
        for (const auto& [kind, x] : sources) {
            const std::string what =
                params("Cast", from, x.shape, std::string("-> ") + dataTypeName(to) + ", " + kind);
            auto r = cudatest::runBoth(a, {x});
            ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
            expectBitExact(r->want[0], r->got[0], what);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(FromEveryType, CudaCast, ::testing::ValuesIn(kAllTypes),
                         [](const auto& info) { return std::string(dataTypeName(info.param)); });

// Every bit pattern of the 16- and 8-bit formats converted to every type: the device's hand-written
// decoders (NaN payloads kept, fp8's two NaN codes) and the hardware encoders (with the reference's NaN
// encodings) agree with common/float_types.h on all of them.
TEST_F(CudaKernelTest, CastEveryNarrowFloatPattern) {
    for (DataType from : {DataType::kHALF, DataType::kBF16, DataType::kFP8}) {
        const int64_t count = dataTypeSize(from) == 2 ? 65536 : 256;
        HostTensor x(from, makeDims({count}));
        for (int64_t i = 0; i < count; ++i) {
            if (count == 256)
                x.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
            else
                std::memcpy(&x.bytes[static_cast<size_t>(2 * i)], &i, 2);
        }
        for (DataType to : kAllTypes) {
            ir::CastAttrs a;
            a.toType = to;
            const std::string what =
                params("Cast every pattern of", from, x.shape, std::string("-> ") + dataTypeName(to));
            auto r = cudatest::runBoth(a, {x});
            ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
            expectBitExact(r->want[0], r->got[0], what);
        }
    }
}

// int64 values the float formats cannot hold: a double detour would round twice, the device's round-to-odd
// float must not. Values of the form 2^k + 2^(k-p) +- 1 sit exactly beside a rounding boundary of a p-bit
// format.
TEST_F(CudaKernelTest, CastInt64NearRoundingBoundaries) {
    std::vector<int64_t> values;
    for (int k = 12; k < 63; ++k)
        for (int p : {4, 8, 11, 24})
            if (k - p >= 1)
                for (int64_t d : {-1, 0, 1}) {
                    const int64_t v = (int64_t{1} << k) + (int64_t{1} << (k - p)) + d;
                    values.push_back(v);
                    values.push_back(-v);
                }
    values.push_back(INT64_MAX);
    values.push_back(INT64_MIN);
    HostTensor x =
        HostTensor::fromVector(DataType::kINT64, makeDims({static_cast<int64_t>(values.size())}), values);
    for (DataType to : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kFP8}) {
        ir::CastAttrs a;
        a.toType = to;
        const std::string what =
            params("Cast boundary values", DataType::kINT64, x.shape, std::string("-> ") + dataTypeName(to));
        auto r = cudatest::runBoth(a, {x});
        ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
        expectBitExact(r->want[0], r->got[0], what);
    }
}

TEST_F(CudaKernelTest, IdentityCopiesAndConverts) {
    const std::pair<DataType, DataType> pairs[] = {
        {DataType::kFLOAT, DataType::kFLOAT}, {DataType::kFLOAT, DataType::kHALF},
        {DataType::kHALF, DataType::kFLOAT},  {DataType::kINT64, DataType::kINT32},
        {DataType::kBF16, DataType::kFP8},    {DataType::kBOOL, DataType::kBF16},
        {DataType::kINT8, DataType::kINT8}};
    uint64_t seed = 300;
    for (const auto& [from, to] : pairs)
        for (const Dims& s : cudatest::pointwiseShapes()) {
            const std::string what = params("Identity", from, s, std::string("-> ") + dataTypeName(to));
            auto r = cudatest::runBoth(ir::IdentityAttrs{}, {moderateValues(from, s, ++seed)}, {to});
            ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
            ASSERT_EQ(r->want[0].type, to) << what;
            expectBitExact(r->want[0], r->got[0], what);
        }
}

// ---- Select ------------------------------------------------------------------------------------------

TEST_F(CudaKernelTest, SelectBroadcastsEveryElementSize) {
    struct Shapes {
        Dims cond, then, otherwise;
    };
    const Shapes shapes[] = {
        {makeDims({3, 7, 5}), makeDims({3, 7, 5}), makeDims({3, 7, 5})},
        {makeDims({1, 7, 1}), makeDims({3, 1, 5}), makeDims({5})},        // all three broadcast
        {makeDims({}), makeDims({2, 3, 1, 5, 7}), makeDims({3, 5, 1})},   // scalar condition, rank 5
        {makeDims({97}), makeDims({}), makeDims({97})},                   // scalar then
        {makeDims({3, 0, 5}), makeDims({1, 5}), makeDims({3, 1, 1})},     // empty output
        {cudatest::largeShape(), makeDims({3001}), makeDims({1031, 1})},  // grid-stride iterations
    };
    uint64_t seed = 900;
    for (DataType t : {DataType::kBOOL, DataType::kHALF, DataType::kFLOAT, DataType::kINT64})
        for (const Shapes& s : shapes) {
            const std::string what = params(
                "Select", t, s.then, "condition " + toString(s.cond) + " else " + toString(s.otherwise));
            auto r =
                cudatest::runBoth(ir::SelectAttrs{}, {cudatest::randomBytes(DataType::kBOOL, s.cond, ++seed),
                                                      cudatest::randomBytes(t, s.then, ++seed),
                                                      cudatest::randomBytes(t, s.otherwise, ++seed)});
            ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
            expectBitExact(r->want[0], r->got[0], what);
        }
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaConvertSelect, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
