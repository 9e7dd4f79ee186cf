// GPU tests (label `gpu`) of the CUDA movement kernels against the reference kernels, all bit-exact on
// random bytes of every element size: Shuffle (transposes up to rank 8, reshape alone, transpose + reshape +
// transpose, reshape dims from a host shape tensor), Concatenation (every axis, empty inputs, 64 inputs,
// aligned and unaligned rows), Slice (every SampleMode, negative strides, parameters from host shape
// tensors, a device fill value of another type), Gather (every mode, batch dims, negative and int32/int64
// indices, out-of-range indices giving zeros) and Padding (every fill mode, cropping). The errors these
// kernels report on the host before launching are checked on the CPU by tests/unit/cuda_host_checks_test.cc.
// Without a GPU every test is skipped, never passed.
#include <gtest/gtest.h>

#if KILN_HAS_CUDA

#include <functional>
#include <random>

#include "cuda_test_util.h"

namespace kiln {
namespace {

using cudatest::CudaKernelTest;
using cudatest::expectBitExact;
using cudatest::randomBytes;

/// One type per element size, plus bool and a float format for the fill conversions.
const DataType kMoveTypes[] = {DataType::kINT8, DataType::kHALF, DataType::kFLOAT, DataType::kINT64,
                               DataType::kBOOL};

void expectSame(const ir::Attrs& attrs, const std::vector<HostTensor>& inputs, const std::string& what,
                std::vector<DataType> outputTypes = {}) {
    auto r = cudatest::runBoth(attrs, inputs, std::move(outputTypes));
    ASSERT_TRUE(r.isOk()) << what << ": " << r.status().message();
    expectBitExact(r->want[0], r->got[0], what);
}

Permutation perm(std::initializer_list<int32_t> order) {
    Permutation p{};
    int i = 0;
    for (int32_t v : order) p.order[i++] = v;
    return p;
}

Permutation identityPerm() {
    Permutation p{};
    for (int i = 0; i < kMAX_DIMS; ++i) p.order[i] = i;
    return p;
}

std::string permString(const Permutation& p, int rank) {
    std::string s = "{";
    for (int i = 0; i < rank; ++i) s += (i ? "," : "") + std::to_string(p.order[i]);
    return s + "}";
}

// ---- Shuffle -----------------------------------------------------------------------------------------

TEST_F(CudaKernelTest, ShuffleTransposesAndReshapes) {
    struct Case {
        Dims in;
        Permutation first;
        bool reshape;
        Dims dims;
        Permutation second;
    };
    const Permutation id = identityPerm();
    std::vector<Case> cases = {
        {makeDims({3, 7, 5}), perm({2, 0, 1}), false, {}, id},
        {makeDims({3, 7, 5}), id, true, makeDims({7, 15}), id},  // a copy
        {makeDims({2, 3, 5, 7}), perm({3, 1, 0, 2}), true, makeDims({21, 10}),
         perm({1, 0})},                                                         // both transposes
        {makeDims({3, 7, 5}), id, true, makeDims({5, 0, 3}), perm({2, 0, 1})},  // 0 copies a dim
        {makeDims({2, 3, 1, 5, 7}), perm({4, 2, 0, 3, 1}), false, {}, id},
        {makeDims({97}), id, true, makeDims({1, 97}), perm({1, 0})},
        {makeDims({2, 1, 3, 2, 1, 2, 3, 2}), perm({7, 6, 5, 4, 3, 2, 1, 0}), false, {}, id},  // rank 8
        {makeDims({3, 0, 5}), perm({2, 1, 0}), false, {}, id},
        {cudatest::largeShape(), perm({1, 0}), false, {}, id},
    };
    uint64_t seed = 40;
    for (DataType t : kMoveTypes)
        for (const Case& c : cases) {
            ir::ShuffleAttrs a;
            a.firstTranspose = c.first;
            a.hasReshape = c.reshape;
            a.reshapeDims = c.dims;
            a.secondTranspose = c.second;
            const std::string what =
                cudatest::params("Shuffle", t, c.in,
                                 "first " + permString(c.first, c.in.nbDims) + " reshape " +
                                     (c.reshape ? toString(c.dims) : "none") + " second " +
                                     permString(c.second, c.reshape ? c.dims.nbDims : c.in.nbDims));
            expectSame(a, {randomBytes(t, c.in, ++seed)}, what);
        }
}

TEST_F(CudaKernelTest, ShuffleReshapeDimsFromAHostShapeTensor) {
    ir::ShuffleAttrs a;
    a.hasReshape = true;
    a.secondTranspose = perm({1, 2, 0});
    HostTensor dims = HostTensor::fromVector(DataType::kINT64, makeDims({3}), std::vector<int64_t>{5, -1, 3});
    expectSame(a, {randomBytes(DataType::kHALF, makeDims({3, 7, 5}), 3), dims},
               "Shuffle float16[3,7,5] reshape from input 1 {5,-1,3}, second {1,2,0}");
}

// ---- Concatenation -----------------------------------------------------------------------------------

TEST_F(CudaKernelTest, ConcatenationEveryAxis) {
    // Extents along the axis: 2, 5, 0 (empty) and 1, on a [3, x, 4]-like base so rows of floats are both
    // 16-byte aligned (x * 4 * 4 bytes) and not (axis 2: rows of 3 elements).
    const Dims base = makeDims({3, 6, 4});
    uint64_t seed = 70;
    for (DataType t : kMoveTypes)
        for (int axis : {0, 1, 2, -1}) {
            const int ax = axis < 0 ? axis + 3 : axis;
            std::vector<HostTensor> in;
            std::string extents;
            for (int64_t e : {2, 5, 0, 1}) {
                Dims s = base;
                s.d[ax] = e;
                in.push_back(randomBytes(t, s, ++seed));
                extents += std::to_string(e) + " ";
            }
            ir::ConcatenationAttrs a;
            a.axis = axis;
            expectSame(a, in,
                       cudatest::params("Concatenation", t, base,
                                        "axis " + std::to_string(axis) + " extents " + extents));
        }
}

TEST_F(CudaKernelTest, ConcatenationShapes) {
    uint64_t seed = 90;
    ir::ConcatenationAttrs a;
    // Rank 1 (one row: a device copy per input).
    a.axis = 0;
    expectSame(a,
               {randomBytes(DataType::kFLOAT, makeDims({97}), ++seed),
                randomBytes(DataType::kFLOAT, makeDims({3}), ++seed)},
               "Concatenation float32 [97] + [3] axis 0");
    // 64 inputs, rows of 3 bytes (1-byte words).
    a.axis = 1;
    std::vector<HostTensor> many;
    for (int i = 0; i < 64; ++i)
        many.push_back(randomBytes(DataType::kINT8, makeDims({5, 1 + i % 3}), ++seed));
    expectSame(a, many, "Concatenation 64 x int8[5, 1..3] axis 1");
    // Large, with the grid-stride loop iterating.
    expectSame(a,
               {randomBytes(DataType::kFLOAT, makeDims({1031, 1000}), ++seed),
                randomBytes(DataType::kFLOAT, makeDims({1031, 2001}), ++seed)},
               "Concatenation float32 [1031,1000] + [1031,2001] axis 1");
    // Rank 5 on a middle axis.
    a.axis = 3;
    expectSame(a,
               {randomBytes(DataType::kHALF, makeDims({2, 3, 1, 5, 7}), ++seed),
                randomBytes(DataType::kHALF, makeDims({2, 3, 1, 2, 7}), ++seed)},
               "Concatenation float16 [2,3,1,5,7] + [2,3,1,2,7] axis 3");
}

// ---- Slice -------------------------------------------------------------------------------------------

const SampleMode kModes[] = {SampleMode::kSTRICT_BOUNDS, SampleMode::kWRAP, SampleMode::kCLAMP,
                             SampleMode::kFILL, SampleMode::kREFLECT};

TEST_F(CudaKernelTest, SliceEveryMode) {
    struct Params {
        Dims start, size, stride;
        bool inBounds;  ///< also valid in kSTRICT_BOUNDS
    };
    const Params sets[] = {
        {makeDims({1, 2, 0}), makeDims({3, 4, 5}), makeDims({2, 2, 1}), true},
        {makeDims({6, 10, 4}), makeDims({4, 4, 5}), makeDims({-2, -3, -1}), true},  // negative strides
        {makeDims({-3, 9, -2}), makeDims({9, 6, 8}), makeDims({2, -3, 1}),
         false},  // out of bounds everywhere
        {makeDims({-20, 0, 13}), makeDims({3, 11, 2}), makeDims({7, 1, 0}), false},  // far out, stride 0
    };
    const Dims in = makeDims({7, 11, 5});
    uint64_t seed = 110;
    for (DataType t : kMoveTypes)
        for (SampleMode m : kModes)
            for (const Params& p : sets) {
                if (m == SampleMode::kSTRICT_BOUNDS && !p.inBounds) continue;
                ir::SliceAttrs a;
                a.start = p.start;
                a.size = p.size;
                a.stride = p.stride;
                a.mode = m;
                expectSame(a, {randomBytes(t, in, ++seed)},
                           cudatest::params("Slice", t, in,
                                            "mode " + std::to_string(static_cast<int>(m)) + " start " +
                                                toString(p.start) + " size " + toString(p.size) + " stride " +
                                                toString(p.stride)));
            }
}

TEST_F(CudaKernelTest, SliceParametersFromHostShapeTensors) {
    ir::SliceAttrs a;
    a.mode = SampleMode::kREFLECT;
    const HostTensor start =
        HostTensor::fromVector(DataType::kINT32, makeDims({3}), std::vector<int32_t>{-4, 12, 1});
    const HostTensor size =
        HostTensor::fromVector(DataType::kINT64, makeDims({3}), std::vector<int64_t>{6, 5, 3});
    const HostTensor stride =
        HostTensor::fromVector(DataType::kINT64, makeDims({3}), std::vector<int64_t>{3, -2, 2});
    expectSame(
        a, {randomBytes(DataType::kFLOAT, makeDims({7, 11, 5}), 5), start, size, stride},
        "Slice float32[7,11,5] kREFLECT start int32 {-4,12,1} size int64 {6,5,3} stride int64 {3,-2,2}");
}

TEST_F(CudaKernelTest, SliceFillValueOfAnotherType) {
    struct Fill {
        DataType out;
        HostTensor value;
    };
    const Fill fills[] = {
        {DataType::kHALF, HostTensor::fromVector(DataType::kFLOAT, makeDims({}), std::vector<double>{2.75})},
        {DataType::kFLOAT,
         HostTensor::fromVector(DataType::kINT64, makeDims({1}), std::vector<int64_t>{-123456789})},
        {DataType::kINT8,
         HostTensor::fromVector(DataType::kFLOAT, makeDims({}), std::vector<double>{-300.5})},  // saturates
        {DataType::kBOOL, HostTensor::fromVector(DataType::kHALF, makeDims({}), std::vector<double>{0.5})},
        {DataType::kBF16,
         HostTensor::fromVector(DataType::kBF16, makeDims({}), std::vector<double>{-7.0})},  // same type
    };
    ir::SliceAttrs a;
    a.start = makeDims({-2, 3});
    a.size = makeDims({9, 6});
    a.stride = makeDims({1, 2});
    a.mode = SampleMode::kFILL;
    uint64_t seed = 130;
    for (const Fill& f : fills) {
        std::vector<HostTensor> in{randomBytes(f.out, makeDims({5, 8}), ++seed), HostTensor::absent(),
                                   HostTensor::absent(), HostTensor::absent(), f.value};
        expectSame(a, in,
                   cudatest::params("Slice kFILL", f.out, makeDims({5, 8}),
                                    std::string("fill value of type ") + dataTypeName(f.value.type)));
    }
    // An empty input dimension: everything is the fill value.
    a.start = makeDims({0, -1});
    a.size = makeDims({3, 2});
    a.stride = makeDims({1, 1});
    expectSame(a, {randomBytes(DataType::kFLOAT, makeDims({3, 0}), 1)},
               "Slice kFILL float32[3,0] -> [3,2], default fill");
}

// ---- Gather ------------------------------------------------------------------------------------------

/// Indices in [-extent, extent) for each position (negative ones wrap once), of type t.
HostTensor indicesFor(DataType t, const Dims& shape, uint64_t seed,
                      const std::function<int64_t(int64_t)>& extentAt) {
    HostTensor h(t, shape);
    std::mt19937_64 rng(seed);
    for (int64_t i = 0; i < h.numel(); ++i) {
        const int64_t n = extentAt(i);
        h.setInt(i, static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * n)) - n);
    }
    return h;
}

TEST_F(CudaKernelTest, GatherEveryMode) {
    struct Case {
        GatherMode mode;
        Dims data, indices;
        int axis, batch;
    };
    const Case cases[] = {
        {GatherMode::kDEFAULT, makeDims({5, 7, 3}), makeDims({4, 2}), 0, 0},
        {GatherMode::kDEFAULT, makeDims({5, 7, 3}), makeDims({4, 2}), 1, 0},
        {GatherMode::kDEFAULT, makeDims({5, 7, 3}), makeDims({}), -1, 0},     // scalar index drops the axis
        {GatherMode::kDEFAULT, makeDims({3, 7, 5}), makeDims({3, 4}), 1, 1},  // batch dim
        {GatherMode::kDEFAULT, makeDims({97}), makeDims({2, 3, 1, 5}), 0, 0},
        {GatherMode::kELEMENT, makeDims({5, 7, 3}), makeDims({5, 4, 3}), 1, 0},
        {GatherMode::kELEMENT, makeDims({5, 7, 3}), makeDims({2, 7, 3}), 0, 0},
        {GatherMode::kND, makeDims({5, 7, 3}), makeDims({4, 2}), 0, 0},
        {GatherMode::kND, makeDims({5, 7, 3}), makeDims({4, 3}), 0, 0},
        {GatherMode::kND, makeDims({3, 7, 5}), makeDims({3, 4, 1}), 0, 1},
        {GatherMode::kDEFAULT, makeDims({5, 0, 3}), makeDims({4}), 0, 0},  // empty output
    };
    uint64_t seed = 150;
    for (DataType t : kMoveTypes)
        for (DataType it : {DataType::kINT32, DataType::kINT64})
            for (const Case& c : cases) {
                ir::GatherAttrs a;
                a.mode = c.mode;
                a.axis = c.axis;
                a.nbElementWiseDims = c.batch;
                const int r = c.data.nbDims;
                const int axis = c.axis < 0 ? c.axis + r : c.axis;
                const int64_t k = c.mode == GatherMode::kND ? c.indices.d[c.indices.nbDims - 1] : 0;
                HostTensor idx = indicesFor(it, c.indices, ++seed, [&](int64_t p) {
                    return c.mode == GatherMode::kND ? c.data.d[c.batch + p % k] : c.data.d[axis];
                });
                const std::string what =
                    cudatest::params("Gather", t, c.data,
                                     "mode " + std::to_string(static_cast<int>(c.mode)) + " indices " +
                                         dataTypeName(it) + toString(c.indices) + " axis " +
                                         std::to_string(c.axis) + " batch " + std::to_string(c.batch));
                expectSame(a, {randomBytes(t, c.data, ++seed), idx}, what);
            }
}

TEST_F(CudaKernelTest, GatherOutOfRangeIndexGivesZeros) {
    // The reference rejects index 9 of an extent-4 axis; the device cannot report it during the launch, so
    // it writes zeros there and never reads outside the data.
    HostTensor data = HostTensor::fromVector(DataType::kFLOAT, makeDims({4, 3}),
                                             std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    HostTensor idx = HostTensor::fromVector(DataType::kINT64, makeDims({3}), std::vector<int64_t>{1, 9, -1});
    ir::GatherAttrs a;
    std::vector<HostTensor> out{HostTensor(DataType::kFLOAT, makeDims({3, 3}))};
    const Status st = cudatest::runCuda(a, {data, idx}, out);
    ASSERT_TRUE(st.isOk()) << st.message();
    const std::vector<double> want = {4, 5, 6, 0, 0, 0, 10, 11, 12};
    EXPECT_EQ(out[0].toDoubles(), want);
}

// ---- Padding -----------------------------------------------------------------------------------------

TEST_F(CudaKernelTest, PaddingEveryFillMode) {
    struct Pads {
        Dims in, pre, post;
    };
    const Pads pads[] = {
        {makeDims({4, 7, 5}), makeDims({2, 3}), makeDims({3, 1})},
        {makeDims({4, 7, 5}), makeDims({-1, 2}), makeDims({2, -2})},  // crops too
        {makeDims({97}), makeDims({5}), makeDims({0})},
        {makeDims({2, 3, 1, 5, 7}), makeDims({1, 0, 2}), makeDims({0, 4, 6})},
    };
    const PaddingFillMode modes[] = {PaddingFillMode::kCONSTANT, PaddingFillMode::kREFLECT,
                                     PaddingFillMode::kEDGE, PaddingFillMode::kWRAP};
    uint64_t seed = 170;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kINT32, DataType::kBOOL, DataType::kUINT8,
                       DataType::kFP8})
        for (PaddingFillMode m : modes)
            for (const Pads& p : pads) {
                ir::PaddingAttrs a;
                a.prePadding = p.pre;
                a.postPadding = p.post;
                a.mode = m;
                a.value = -2.7f;  // encoded per type: -2.7 in floats, -2 in int32, 0 in uint8, true in bool
                expectSame(a, {randomBytes(t, p.in, ++seed)},
                           cudatest::params("Padding", t, p.in,
                                            "mode " + std::to_string(static_cast<int>(m)) + " pre " +
                                                toString(p.pre) + " post " + toString(p.post)));
            }
}

}  // namespace
}  // namespace kiln

#else

TEST(CudaMovement, NeedsCuda) {
    GTEST_SKIP() << "Kiln was built without CUDA";
}

#endif  // KILN_HAS_CUDA
