// CPU tests of the CUDA kernels' element conversions (backends/cuda/kernels/common/dtype.cuh): the code is
// __host__ __device__, so the Cast rules the kernels apply (loadScalar + storeScalar) and the stores of
// computed float and double results into every float format run here, with the host versions of the few
// intrinsics (portable.cuh, and NVIDIA's host emulation of the float16/bfloat16/float8 conversions), and
// must agree bit for bit with the reference. The device's own intrinsics are checked by the GPU tests
// (tests/gpu/cuda_convert_select_test.cc) on the same rules.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <cfloat>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backends/cuda/kernels/common/dtype.cuh"
#include "backends/reference/pointwise_util.h"
#include "support/single_op.h"

namespace kiln {
namespace {

const DataType kAllTypes[] = {DataType::kFLOAT, DataType::kHALF, DataType::kINT8,
                              DataType::kINT32, DataType::kBOOL, DataType::kUINT8,
                              DataType::kFP8,   DataType::kBF16, DataType::kINT64};

HostTensor randomBits(DataType t, int64_t n, uint64_t seed) {
    HostTensor h(t, makeDims({n}));
    std::mt19937_64 rng(seed);
    for (uint8_t& b : h.bytes) b = static_cast<uint8_t>(rng() >> 56);
    return h;
}

/// Every pattern of a 1- or 2-byte type.
HostTensor everyPattern(DataType t) {
    const int64_t n = int64_t{1} << (8 * dataTypeSize(t));
    HostTensor h(t, makeDims({n}));
    for (int64_t i = 0; i < n; ++i)
        std::memcpy(&h.bytes[static_cast<size_t>(i * dataTypeSize(t))], &i,
                    static_cast<size_t>(dataTypeSize(t)));
    return h;
}

/// Values around the edges the conversions care about (rounding ties of each format, saturation bounds,
/// int64 beyond 2^53, NaN, infinities, -0), in type t.
HostTensor edgeValues(DataType t) {
    std::vector<double> v = {
        NAN,   INFINITY,         -INFINITY,        -0.0,   0.5,    -0.5,    2.5,     -2.7,    127.5,
        128.0, -128.5,           -129.0,           255.5,  256.0,  65504.0, 65519.0, 65520.0, 448.0,
        464.0, -465.0,           2147483520.0,     2.2e9,  -2.2e9, 9.3e18,  -9.3e18, 1e-8,    6e-8,
        3e-8,  1.0 + 1.0 / 2048, 1.0 + 3.0 / 2048, 3.4e38, 1e-40};
    if (!isFloatType(t)) {
        HostTensor h(t, makeDims({static_cast<int64_t>(v.size()) + 4}));
        for (size_t i = 0; i < v.size(); ++i) h.set(static_cast<int64_t>(i), v[i]);  // saturating, NaN -> 0
        h.setInt(static_cast<int64_t>(v.size()), INT64_MAX);
        h.setInt(static_cast<int64_t>(v.size()) + 1, INT64_MIN);
        h.setInt(static_cast<int64_t>(v.size()) + 2, (int64_t{1} << 53) + 1);
        h.setInt(static_cast<int64_t>(v.size()) + 3, -((int64_t{1} << 40) + (int64_t{1} << 29) + 1));
        return h;
    }
    return HostTensor::fromVector(t, makeDims({static_cast<int64_t>(v.size())}), v);
}

std::string hex(const HostTensor& t, int64_t i) {
    uint64_t bits = 0;
    std::memcpy(&bits, &t.bytes[static_cast<size_t>(i * dataTypeSize(t.type))],
                static_cast<size_t>(dataTypeSize(t.type)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(bits));
    return buf;
}

TEST(CudaDtype, CastRulesMatchTheReferenceBitForBit) {
    uint64_t seed = 1;
    for (DataType from : kAllTypes) {
        std::vector<HostTensor> sources = {randomBits(from, 4099, ++seed), edgeValues(from)};
        if (dataTypeSize(from) <= 2) sources.push_back(everyPattern(from));
        for (DataType to : kAllTypes)
            for (const HostTensor& x : sources) {
                if (to == from) continue;  // a byte copy on both sides (cast_convert.cu), NaN payloads and all
                ir::CastAttrs a;
                a.toType = to;
                auto ref = testing::runSingleOp(a, {x});
                ASSERT_TRUE(ref.isOk()) << ref.status().message();
                const HostTensor& want = (*ref)[0];
                HostTensor got(to, x.shape);
                for (int64_t i = 0; i < x.numel(); ++i)
                    cuda::storeScalar(to, got.data(), i, cuda::loadScalar(from, x.data(), i));
                int64_t bad = 0;
                for (int64_t i = 0; i < x.numel(); ++i) {
                    const size_t size = static_cast<size_t>(dataTypeSize(to));
                    if (std::memcmp(&want.bytes[static_cast<size_t>(i) * size],
                                    &got.bytes[static_cast<size_t>(i) * size], size) == 0)
                        continue;
                    if (bad++ < 3)
                        ADD_FAILURE() << "Cast " << dataTypeName(from) << " -> " << dataTypeName(to)
                                      << ": element " << i << " = " << hex(x, i) << " gives " << hex(got, i)
                                      << ", the reference " << hex(want, i);
                }
                EXPECT_EQ(bad, 0) << dataTypeName(from) << " -> " << dataTypeName(to) << " over " << x.numel()
                                  << " values";
            }
    }
}

/// Stores of computed results: a float (the compute type) and a double (FLOOR_DIV, MOD) into every float
/// format, against the reference's pointwise::storeFloat, which rounds once from the double.
template <class S>
void checkStores(DataType t) {
    std::mt19937_64 rng(42);
    std::vector<double> values = {NAN,    INFINITY, -INFINITY, 0.0,       -0.0,  1e300, -1e300,
                                  3.5e38, 1e-300,   65520.0,   65519.999, 464.0, 448.5};
    for (int k = 0; k < 20000; ++k) {
        const uint32_t bits = static_cast<uint32_t>(rng());
        float f;
        std::memcpy(&f, &bits, 4);
        values.push_back(f);
        // A double just off a float value: where rounding the double straight to the narrow format and
        // rounding it to float first can disagree.
        values.push_back(static_cast<double>(f) *
                         (1.0 + std::ldexp(static_cast<double>(static_cast<int>(rng() % 64)) - 32.0, -40)));
    }
    for (double v : values) {
        S want{};
        reference::pointwise::storeFloat(t, &want, 0, v);
        const bool representable = static_cast<double>(static_cast<float>(v)) == v || v != v;
        const S fromDouble = cuda::Elem<S>::store(v);
        EXPECT_EQ(std::memcmp(&want, &fromDouble, sizeof(S)), 0)
            << dataTypeName(t) << " store of the double " << v;
        if (representable) {  // the float compute path stores float values
            const S fromFloat = cuda::Elem<S>::store(static_cast<float>(v));
            EXPECT_EQ(std::memcmp(&want, &fromFloat, sizeof(S)), 0)
                << dataTypeName(t) << " store of the float " << v;
        }
    }
}

TEST(CudaDtype, ComputedResultsRoundOnceLikeTheReference) {
    checkStores<float>(DataType::kFLOAT);
    checkStores<cuda::Half>(DataType::kHALF);
    checkStores<cuda::Bf16>(DataType::kBF16);
    checkStores<cuda::Fp8>(DataType::kFP8);
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaDtype, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
