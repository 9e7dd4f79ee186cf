// Trilu: hand-written upper/lower triangles of a 3x4 matrix for several k, k from an int64/int32 tensor
// overriding the attribute, a batched non-square tensor in every DataType for every k from -6 to 6
// against a reference written here (kept elements byte-identical, the rest zero), and error messages.
#include <gtest/gtest.h>

#include <cstring>

#include "ops/extra_ops_test_util.h"

namespace kiln {
namespace {

using testing::failsWithAll;
using testing::intsOf;
using testing::runSingleOp;
using testing::scalarInt;
using testing::tensorOf;
using testing::valuesNear;

ir::TriluAttrs triluAttrs(bool upper, int64_t k) {
    ir::TriluAttrs a;
    a.upper = upper;
    a.k = k;
    return a;
}

const std::vector<double> kMatrix{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};  // 3x4, row-major

TEST(TriluOp, HandComputed) {
    auto x = tensorOf(DataType::kFLOAT, makeDims({3, 4}), kMatrix);
    struct Case {
        bool upper;
        int64_t k;
        std::vector<double> want;
    };
    const std::vector<Case> cases{
        {true, 0, {1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12}},
        {true, 1, {0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12}},
        {true, -1, {1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12}},
        {true, 4, std::vector<double>(12, 0.0)},
        {true, -5, kMatrix},
        {false, 0, {1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0}},
        {false, -1, {0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0}},
        {false, 2, {1, 2, 3, 0, 5, 6, 7, 8, 9, 10, 11, 12}},
        {false, -3, std::vector<double>(12, 0.0)},
    };
    for (const Case& c : cases) {
        auto r = runSingleOp(triluAttrs(c.upper, c.k), {x});
        ASSERT_TRUE(r.isOk()) << r.status().message();
        EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({3, 4}), c.want, 0.0))
            << (c.upper ? "upper" : "lower") << " k " << c.k;
    }
}

TEST(TriluOp, KFromTensorOverridesAttribute) {
    auto x = tensorOf(DataType::kFLOAT, makeDims({3, 4}), kMatrix);
    auto r = runSingleOp(triluAttrs(true, 0), {x, scalarInt(DataType::kINT64, 1)});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({3, 4}),
                           {0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12}, 0.0));
    auto r2 = runSingleOp(triluAttrs(false, 5), {x, intsOf(DataType::kINT32, makeDims({1}), {-1})});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(valuesNear(r2.value()[0], DataType::kFLOAT, makeDims({3, 4}),
                           {0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0}, 0.0));
    // Huge k (ONNX allows any int64): everything or nothing is kept, no overflow.
    auto r3 = runSingleOp(triluAttrs(false, 0), {x, scalarInt(DataType::kINT64, INT64_MAX)});
    ASSERT_TRUE(r3.isOk()) << r3.status().message();
    EXPECT_TRUE(valuesNear(r3.value()[0], DataType::kFLOAT, makeDims({3, 4}), kMatrix, 0.0));
    auto r4 = runSingleOp(triluAttrs(false, 0), {x, scalarInt(DataType::kINT64, INT64_MIN)});
    ASSERT_TRUE(r4.isOk()) << r4.status().message();
    EXPECT_TRUE(
        valuesNear(r4.value()[0], DataType::kFLOAT, makeDims({3, 4}), std::vector<double>(12, 0.0), 0.0));
}

TEST(TriluOp, BatchedEveryTypeEveryKAgainstReference) {
    const Dims shape = makeDims({2, 3, 5, 4});  // batch 2x3 of 5x4 (more rows than columns)
    uint64_t seed = 5;
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kFP8, DataType::kINT8,
                       DataType::kUINT8, DataType::kINT32, DataType::kINT64, DataType::kBOOL}) {
        // Values in [1, 100] (bool: 1), so that no kept element is zero and a wrongly zeroed one shows.
        HostTensor x = HostTensor::random(t, shape, seed++, 1.0, 100.0);
        if (t == DataType::kBOOL)
            for (int64_t i = 0; i < x.numel(); ++i) x.setInt(i, 1);
        const size_t elem = static_cast<size_t>(dataTypeSize(t));
        for (int64_t k = -6; k <= 6; ++k)
            for (bool upper : {true, false}) {
                auto r = runSingleOp(triluAttrs(upper, k), {x});
                ASSERT_TRUE(r.isOk()) << r.status().message();
                const HostTensor& y = r.value()[0];
                ASSERT_EQ(y.type, t);
                ASSERT_EQ(y.shape, shape);
                int mismatches = 0;
                for (int64_t b = 0; b < 6; ++b)
                    for (int64_t row = 0; row < 5; ++row)
                        for (int64_t col = 0; col < 4; ++col) {
                            // Upper keeps the diagonals col - row >= k; lower keeps col - row <= k.
                            const bool inUpper = col >= row + k, inLower = col <= row + k;
                            const bool keep = upper ? inUpper : inLower;
                            const size_t off = static_cast<size_t>((b * 5 + row) * 4 + col) * elem;
                            const std::vector<uint8_t> zero(elem, 0);
                            const uint8_t* want = keep ? x.bytes.data() + off : zero.data();
                            if (std::memcmp(y.bytes.data() + off, want, elem) != 0 && mismatches++ == 0)
                                ADD_FAILURE()
                                    << dataTypeName(t) << (upper ? " upper" : " lower") << " k " << k
                                    << ": element (" << b << ", " << row << ", " << col << ") is "
                                    << y.at(static_cast<int64_t>(off / elem)) << ", expected "
                                    << (keep ? x.at(static_cast<int64_t>(off / elem)) : 0.0);
                        }
                EXPECT_EQ(mismatches, 0) << dataTypeName(t) << (upper ? " upper" : " lower") << " k " << k;
            }
    }
}

TEST(TriluOp, ManyRowsSplitAcrossThreads) {
    // 70 * 3 = 210 rows: above the kernel's grain, so the work is split.
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({70, 3, 4}), 3, 1.0, 2.0);
    auto r = runSingleOp(triluAttrs(false, 0), {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    std::vector<double> want;
    for (int64_t b = 0; b < 70; ++b)
        for (int64_t row = 0; row < 3; ++row)
            for (int64_t col = 0; col < 4; ++col)
                want.push_back(col <= row ? x.at((b * 3 + row) * 4 + col) : 0.0);
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, x.shape, want, 0.0));
}

TEST(TriluOp, Errors) {
    auto x = tensorOf(DataType::kFLOAT, makeDims({3, 4}), kMatrix);
    EXPECT_TRUE(failsWithAll(
        runSingleOp(triluAttrs(true, 0), {tensorOf(DataType::kFLOAT, makeDims({4}), {1, 2, 3, 4})}),
        {"rank >= 2", "[4]"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(triluAttrs(true, 0), {x, tensorOf(DataType::kFLOAT, Dims{}, {1})}),
                             {"k (input 1)", "int64", "float32"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(triluAttrs(true, 0), {x, intsOf(DataType::kINT64, makeDims({2}), {1, 2})}),
                     {"k (input 1)", "scalar", "[2]"}));
}

}  // namespace
}  // namespace kiln
