// Scatter: the ONNX specification's ScatterElements and ScatterND examples by hand, negative indices and
// duplicate indices (last update wins), every DataType with int32 and int64 indices on odd shapes against
// nested-loop references written here (byte-exact), and the error messages of bad shapes, types and
// out-of-range index values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "ops/extra_ops_test_util.h"

namespace kiln {
namespace {

using testing::descOf;
using testing::failsWithAll;
using testing::inferOnly;
using testing::intsOf;
using testing::runSingleOp;
using testing::tensorOf;
using testing::valuesNear;

ir::ScatterAttrs scatterAttrs(ScatterMode mode, int axis = 0) {
    ir::ScatterAttrs a;
    a.mode = mode;
    a.axis = axis;
    return a;
}

HostTensor floats(Dims s, const std::vector<double>& v) {
    return tensorOf(DataType::kFLOAT, s, v);
}

void copyElement(HostTensor& dst, int64_t to, const HostTensor& src, int64_t from) {
    const size_t e = static_cast<size_t>(dataTypeSize(src.type));
    std::memcpy(dst.bytes.data() + static_cast<size_t>(to) * e,
                src.bytes.data() + static_cast<size_t>(from) * e, e);
}

::testing::AssertionResult sameBytes(const HostTensor& got, const HostTensor& want) {
    if (got.type != want.type || got.shape != want.shape)
        return ::testing::AssertionFailure()
               << "got " << dataTypeName(got.type) << toString(got.shape) << ", expected "
               << dataTypeName(want.type) << toString(want.shape);
    const size_t e = static_cast<size_t>(dataTypeSize(got.type));
    for (int64_t i = 0; i < got.numel(); ++i)
        if (std::memcmp(got.bytes.data() + static_cast<size_t>(i) * e,
                        want.bytes.data() + static_cast<size_t>(i) * e, e))
            return ::testing::AssertionFailure()
                   << "element " << i << " is " << got.at(i) << ", expected " << want.at(i);
    return ::testing::AssertionSuccess();
}

TEST(ScatterOp, ElementsOnnxExamples) {
    // ONNX ScatterElements, axis 0.
    auto data = floats(makeDims({3, 3}), std::vector<double>(9, 0.0));
    auto idx = intsOf(DataType::kINT64, makeDims({2, 3}), {1, 0, 2, 0, 2, 1});
    auto upd = floats(makeDims({2, 3}), {1.0, 1.1, 1.2, 2.0, 2.1, 2.2});
    auto r = runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 0), {data, idx, upd});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({3, 3}),
                           {2.0, 1.1, 0.0, 1.0, 0.0, 2.2, 0.0, 2.1, 1.2}, 1e-7));
    // ONNX ScatterElements, axis 1; then with a negative index (-3 is column 2), as in
    // test_scatter_elements_with_negative_indices.
    auto row = floats(makeDims({1, 5}), {1, 2, 3, 4, 5});
    auto r2 = runSingleOp(
        scatterAttrs(ScatterMode::kELEMENT, 1),
        {row, intsOf(DataType::kINT32, makeDims({1, 2}), {1, 3}), floats(makeDims({1, 2}), {1.1, 2.1})});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(valuesNear(r2.value()[0], DataType::kFLOAT, makeDims({1, 5}), {1, 1.1, 3, 2.1, 5}, 1e-7));
    auto r3 = runSingleOp(
        scatterAttrs(ScatterMode::kELEMENT, -1),
        {row, intsOf(DataType::kINT64, makeDims({1, 2}), {1, -3}), floats(makeDims({1, 2}), {1.1, 2.1})});
    ASSERT_TRUE(r3.isOk()) << r3.status().message();
    EXPECT_TRUE(valuesNear(r3.value()[0], DataType::kFLOAT, makeDims({1, 5}), {1, 1.1, 2.1, 4, 5}, 1e-7));
}

TEST(ScatterOp, DuplicateIndicesLastUpdateWins) {
    auto data = intsOf(DataType::kINT32, makeDims({2, 3}), {0, 0, 0, 0, 0, 0});
    auto r = runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 1),
                         {data, intsOf(DataType::kINT64, makeDims({1, 3}), {2, -1, 2}),
                          intsOf(DataType::kINT32, makeDims({1, 3}), {7, 8, 9})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(testing::intsEqual(r.value()[0], DataType::kINT32, makeDims({2, 3}), {0, 0, 9, 0, 0, 0}));
    auto nd = runSingleOp(scatterAttrs(ScatterMode::kND),
                          {data, intsOf(DataType::kINT32, makeDims({2, 1}), {1, -1}),
                           intsOf(DataType::kINT32, makeDims({2, 3}), {1, 2, 3, 4, 5, 6})});
    ASSERT_TRUE(nd.isOk()) << nd.status().message();
    EXPECT_TRUE(testing::intsEqual(nd.value()[0], DataType::kINT32, makeDims({2, 3}), {0, 0, 0, 4, 5, 6}));
}

TEST(ScatterOp, NdOnnxExamples) {
    // ONNX ScatterND example 1: single elements of a vector.
    auto r =
        runSingleOp(scatterAttrs(ScatterMode::kND), {floats(makeDims({8}), {1, 2, 3, 4, 5, 6, 7, 8}),
                                                     intsOf(DataType::kINT64, makeDims({4, 1}), {4, 3, 1, 7}),
                                                     floats(makeDims({4}), {9, 10, 11, 12})});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(valuesNear(r.value()[0], DataType::kFLOAT, makeDims({8}), {1, 11, 3, 10, 9, 6, 7, 12}, 0.0));
    // ONNX ScatterND example 2: whole 4x4 slices of a 4x4x4 tensor.
    const std::vector<double> a{1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1};
    const std::vector<double> b{8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8};
    std::vector<double> data;
    for (const auto* part : {&a, &a, &b, &b}) data.insert(data.end(), part->begin(), part->end());
    const std::vector<double> fives{5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8};
    const std::vector<double> ones{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4};
    std::vector<double> upd = fives;
    upd.insert(upd.end(), ones.begin(), ones.end());
    std::vector<double> want;
    for (const auto* part : {&fives, &a, &ones, &b}) want.insert(want.end(), part->begin(), part->end());
    auto r2 = runSingleOp(scatterAttrs(ScatterMode::kND), {floats(makeDims({4, 4, 4}), data),
                                                           intsOf(DataType::kINT64, makeDims({2, 1}), {0, 2}),
                                                           floats(makeDims({2, 4, 4}), upd)});
    ASSERT_TRUE(r2.isOk()) << r2.status().message();
    EXPECT_TRUE(valuesNear(r2.value()[0], DataType::kFLOAT, makeDims({4, 4, 4}), want, 0.0));
}

const std::vector<DataType> kAllTypes{DataType::kFLOAT, DataType::kHALF,  DataType::kBF16,
                                      DataType::kFP8,   DataType::kINT8,  DataType::kUINT8,
                                      DataType::kINT32, DataType::kINT64, DataType::kBOOL};

TEST(ScatterOp, ElementsEveryTypeAndAxisAgainstLoops) {
    const Dims ds = makeDims({3, 5, 7});
    uint64_t seed = 100;
    for (DataType t : kAllTypes)
        for (DataType it : {DataType::kINT32, DataType::kINT64})
            for (int axis = -3; axis < 3; ++axis) {
                const int ax = axis < 0 ? axis + 3 : axis;
                // Indices smaller than data off the axis, larger along it (allowed: duplicates then happen).
                Dims is = makeDims({2, 4, 6});
                is.d[ax] = ds.d[ax] + 2;
                const int64_t n = ds.d[ax];
                HostTensor data = HostTensor::random(t, ds, seed++, -100, 100);
                HostTensor upd = HostTensor::random(t, is, seed++, -100, 100);
                HostTensor idx =
                    HostTensor::random(it, is, seed++, static_cast<double>(-n), static_cast<double>(n - 1));
                auto r = runSingleOp(scatterAttrs(ScatterMode::kELEMENT, axis), {data, idx, upd});
                ASSERT_TRUE(r.isOk()) << r.status().message();
                HostTensor want = data;
                int64_t p = 0;  // flat position in indices / updates, advancing in row-major order
                for (int64_t i = 0; i < is.d[0]; ++i)
                    for (int64_t j = 0; j < is.d[1]; ++j)
                        for (int64_t k = 0; k < is.d[2]; ++k, ++p) {
                            int64_t c[3] = {i, j, k};
                            const int64_t v = idx.atInt(p);
                            c[ax] = v < 0 ? v + n : v;
                            copyElement(want, (c[0] * ds.d[1] + c[1]) * ds.d[2] + c[2], upd, p);
                        }
                EXPECT_TRUE(sameBytes(r.value()[0], want))
                    << dataTypeName(t) << " indices " << dataTypeName(it) << " axis " << axis;
            }
}

TEST(ScatterOp, NdEveryTypeAndTupleLengthAgainstLoops) {
    const Dims ds = makeDims({4, 3, 5});
    uint64_t seed = 900;
    for (DataType t : kAllTypes)
        for (DataType it : {DataType::kINT32, DataType::kINT64})
            for (int64_t k = 1; k <= 3; ++k) {
                // indices [2, 3, k]: six tuples; updates [2, 3] + data[k:]. Tuples are distinct (a random
                // permutation of the addressable prefixes), so the result does not depend on write order.
                int64_t prefixes = 1, slice = 1;
                for (int i = 0; i < k; ++i) prefixes *= ds.d[i];
                for (int i = static_cast<int>(k); i < 3; ++i) slice *= ds.d[i];
                Dims is = makeDims({2, 3, k});
                Dims us = makeDims({2, 3});
                for (int i = static_cast<int>(k); i < 3; ++i) us.d[us.nbDims++] = ds.d[i];
                std::vector<int64_t> order(static_cast<size_t>(prefixes));
                for (int64_t i = 0; i < prefixes; ++i) order[static_cast<size_t>(i)] = i;
                std::mt19937_64 rng(seed++);
                std::shuffle(order.begin(), order.end(), rng);
                HostTensor idx(it, is);
                for (int64_t tuple = 0; tuple < 6; ++tuple) {
                    int64_t rem = order[static_cast<size_t>(tuple)];
                    for (int64_t j = k - 1; j >= 0; --j) {
                        const int64_t extent = ds.d[j];
                        const int64_t c = rem % extent;
                        rem /= extent;
                        // Every other coordinate written as its negative alias.
                        idx.setInt(tuple * k + j, (tuple + j) % 2 ? c - extent : c);
                    }
                }
                HostTensor data = HostTensor::random(t, ds, seed++, -100, 100);
                HostTensor upd = HostTensor::random(t, us, seed++, -100, 100);
                auto r = runSingleOp(scatterAttrs(ScatterMode::kND), {data, idx, upd});
                ASSERT_TRUE(r.isOk()) << r.status().message();
                HostTensor want = data;
                for (int64_t tuple = 0; tuple < 6; ++tuple) {
                    int64_t base = 0;  // flat offset of the addressed prefix, by Horner's rule over all dims
                    for (int64_t j = 0; j < 3; ++j) {
                        int64_t c = 0;
                        if (j < k) {
                            c = idx.atInt(tuple * k + j);
                            if (c < 0) c += ds.d[j];
                        }
                        base = base * ds.d[j] + c;
                    }
                    for (int64_t e = 0; e < slice; ++e) copyElement(want, base + e, upd, tuple * slice + e);
                }
                EXPECT_TRUE(sameBytes(r.value()[0], want))
                    << dataTypeName(t) << " indices " << dataTypeName(it) << " k " << k;
            }
}

TEST(ScatterOp, LargeDataCopiedAcrossThreads) {
    // 77100 elements: the copy of data is split across the pool; a few rows are then replaced.
    HostTensor data = HostTensor::random(DataType::kFLOAT, makeDims({300, 257}), 12, -1, 1);
    HostTensor upd = HostTensor::random(DataType::kFLOAT, makeDims({2, 257}), 13, 2, 3);
    auto r = runSingleOp(scatterAttrs(ScatterMode::kND),
                         {data, intsOf(DataType::kINT64, makeDims({2, 1}), {-1, 150}), upd});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    HostTensor want = data;
    for (int64_t c = 0; c < 257; ++c) {
        copyElement(want, 299 * 257 + c, upd, c);
        copyElement(want, 150 * 257 + c, upd, 257 + c);
    }
    EXPECT_TRUE(sameBytes(r.value()[0], want));
}

TEST(ScatterOp, DynamicShapesAtBuildTime) {
    auto out =
        inferOnly(scatterAttrs(ScatterMode::kELEMENT, 1),
                  {descOf(DataType::kHALF, makeDims({-1, 6})), descOf(DataType::kINT64, makeDims({-1, 2})),
                   descOf(DataType::kHALF, makeDims({3, -1}))});
    ASSERT_TRUE(out.isOk()) << out.status().message();
    EXPECT_EQ(out->shape, makeDims({-1, 6}));
    EXPECT_EQ(out->type, DataType::kHALF);
    auto nd = inferOnly(scatterAttrs(ScatterMode::kND), {descOf(DataType::kFLOAT, makeDims({-1, 4, 5})),
                                                         descOf(DataType::kINT32, makeDims({-1, 2})),
                                                         descOf(DataType::kFLOAT, makeDims({-1, 5}))});
    ASSERT_TRUE(nd.isOk()) << nd.status().message();
    EXPECT_EQ(nd->shape, makeDims({-1, 4, 5}));
    auto unknownK = inferOnly(scatterAttrs(ScatterMode::kND), {descOf(DataType::kFLOAT, makeDims({4, 5})),
                                                               descOf(DataType::kINT32, makeDims({3, -1})),
                                                               descOf(DataType::kFLOAT, makeDims({3}))});
    ASSERT_FALSE(unknownK.isOk());
    EXPECT_NE(unknownK.status().message().find("unknown last dimension"), std::string::npos)
        << unknownK.status().message();
}

TEST(ScatterOp, Errors) {
    auto data = floats(makeDims({2, 5}), std::vector<double>(10, 0.0));
    auto upd = floats(makeDims({2, 2}), {1, 2, 3, 4});
    // Out-of-range index values are named by the kernel: value, position, axis and extent.
    EXPECT_TRUE(
        failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 1),
                                 {data, intsOf(DataType::kINT64, makeDims({2, 2}), {0, 1, 5, 2}), upd}),
                     {"index 5 at position 2", "axis 1", "extent 5", "-5..4"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 1),
                                 {data, intsOf(DataType::kINT32, makeDims({2, 2}), {0, -6, 1, 2}), upd}),
                     {"index -6 at position 1"}));
    EXPECT_TRUE(failsWithAll(
        runSingleOp(scatterAttrs(ScatterMode::kND),
                    {data, intsOf(DataType::kINT64, makeDims({1, 2}), {1, 7}), floats(makeDims({1}), {1})}),
        {"index 7 at position 1", "axis 1", "extent 5"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 0),
                                         {data, floats(makeDims({2, 2}), {0, 0, 0, 0}), upd}),
                             {"indices must be int32 or int64", "float32"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 0),
                                         {data, intsOf(DataType::kINT64, makeDims({2, 2}), {0, 0, 0, 0}),
                                          intsOf(DataType::kINT32, makeDims({2, 2}), {0, 0, 0, 0})}),
                             {"updates must have the data's type float32", "int32"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 0),
                                         {data, intsOf(DataType::kINT64, makeDims({4}), {0, 0, 0, 0}),
                                          floats(makeDims({4}), {1, 2, 3, 4})}),
                             {"indices of the data's rank 2", "[4]"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 0),
                                         {data, intsOf(DataType::kINT64, makeDims({2, 2}), {0, 0, 0, 0}),
                                          floats(makeDims({2, 3}), {1, 2, 3, 4, 5, 6})}),
                             {"updates of the indices' shape", "[2,2]", "[2,3]"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 0),
                                 {data, intsOf(DataType::kINT64, makeDims({1, 6}), {0, 0, 0, 0, 0, 0}),
                                  floats(makeDims({1, 6}), {1, 2, 3, 4, 5, 6})}),
                     {"exceed data [2,5] in dimension 1"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kELEMENT, 2),
                                 {data, intsOf(DataType::kINT64, makeDims({2, 2}), {0, 0, 0, 0}), upd}),
                     {"axis 2 is out of range", "-2..1"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kND),
                                         {data, intsOf(DataType::kINT64, makeDims({1, 3}), {0, 0, 0}),
                                          floats(makeDims({1}), {1})}),
                             {"tuples of length 3", "1..2"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kND),
                                         {data, intsOf(DataType::kINT64, makeDims({3, 1}), {0, 1, 0}),
                                          floats(makeDims({3, 4}), std::vector<double>(12, 0))}),
                             {"updates must have shape", "[3,5]", "got [3,4]"}));
    EXPECT_TRUE(failsWithAll(runSingleOp(scatterAttrs(ScatterMode::kND),
                                         {data, intsOf(DataType::kINT64, Dims{}, {0}), floats(Dims{}, {1})}),
                             {"rank >= 1"}));
    EXPECT_TRUE(
        failsWithAll(runSingleOp(scatterAttrs(static_cast<ScatterMode>(5)),
                                 {data, intsOf(DataType::kINT64, makeDims({2, 2}), {0, 0, 0, 0}), upd}),
                     {"unknown mode 5"}));
}

}  // namespace
}  // namespace kiln
