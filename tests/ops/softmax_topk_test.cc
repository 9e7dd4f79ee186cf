// SoftMax (and log-softmax) and TopK: every axis of an odd-sized 4-D tensor, narrow float dtypes and
// integers, against references written here (softmax straight from the definition in long double; TopK by
// a stable sort of each line, which gives the ONNX tie order), plus hand-computed values, NaN ordering,
// dynamic dims and error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "support/single_op.h"

namespace kiln {
namespace {

using testing::runSingleOp;

/// Flat indices of the line along `axis` through the line start `l` (outer * inner lines).
std::vector<int64_t> lineIndices(const Dims& s, int axis, int64_t l) {
    int64_t inner = 1;
    for (int i = axis + 1; i < s.nbDims; ++i) inner *= s.d[i];
    int64_t start = (l / inner) * s.d[axis] * inner + l % inner;
    std::vector<int64_t> idx;
    for (int64_t e = 0; e < s.d[axis]; ++e) idx.push_back(start + e * inner);
    return idx;
}

int64_t nbLines(const Dims& s, int axis) {
    return volume(s) / s.d[axis];
}

double storeUlp(DataType t) {
    return t == DataType::kHALF ? 0x1p-11 : t == DataType::kBF16 ? 0x1p-8 : 0x1p-24;
}
/// Half of the smallest subnormal step: the absolute error of rounding a tiny value (float16 subnormals
/// are spaced 2^-24; float32's and bfloat16's spacing is far below the other tolerances).
double storeAbs(DataType t) {
    return t == DataType::kHALF ? 0x1p-25 : 0.0;
}

void checkSoftMax(DataType t, const Dims& shape, int axis, bool log, uint64_t seed) {
    SCOPED_TRACE(std::string(dataTypeName(t)) + " " + toString(shape) + " axis " + std::to_string(axis) +
                 (log ? " log" : ""));
    HostTensor x = HostTensor::random(t, shape, seed, -6.0, 6.0);
    ir::SoftMaxAttrs a;
    a.axes = 1u << axis;
    a.log = log;
    auto r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const HostTensor& y = r.value()[0];
    ASSERT_EQ(y.type, t);
    ASSERT_EQ(toString(y.shape), toString(shape));
    for (int64_t l = 0; l < nbLines(shape, axis); ++l) {
        std::vector<int64_t> idx = lineIndices(shape, axis, l);
        long double denom = 0;
        for (int64_t i : idx) denom += std::exp(static_cast<long double>(x.at(i)));
        double rowSum = 0;
        for (int64_t i : idx) {
            long double p = std::exp(static_cast<long double>(x.at(i))) / denom;
            double want = log ? static_cast<double>(std::log(p)) : static_cast<double>(p);
            // Computed in double inside; what remains is one rounding to the output type (relative, or
            // absolute for subnormal results), plus 1e-12 for the long double vs double difference.
            ASSERT_NEAR(y.at(i), want, storeUlp(t) * std::fabs(want) + storeAbs(t) + 1e-12)
                << "line " << l << " element " << i;
            rowSum += y.at(i);
        }
        if (!log) {
            EXPECT_NEAR(rowSum, 1.0, storeUlp(t) * static_cast<double>(idx.size()));
        }
    }
}

TEST(SoftMaxOp, EveryAxisFloat32) {
    uint64_t seed = 10;
    for (int axis = 0; axis < 4; ++axis)
        for (bool log : {false, true})
            checkSoftMax(DataType::kFLOAT, makeDims({3, 1, 7, 5}), axis, log, ++seed);
}

TEST(SoftMaxOp, NarrowFloatsAndLargeTensor) {
    checkSoftMax(DataType::kHALF, makeDims({2, 13, 3}), 1, false, 31);
    checkSoftMax(DataType::kHALF, makeDims({2, 13, 3}), 2, true, 32);
    checkSoftMax(DataType::kBF16, makeDims({11, 7}), 0, false, 33);
    checkSoftMax(DataType::kBF16, makeDims({11, 7}), 1, true, 34);
    checkSoftMax(DataType::kFLOAT, makeDims({97, 263}), 1, false, 35);  // many lines: the pool splits them
}

TEST(SoftMaxOp, LargeInputsStayFinite) {
    HostTensor x =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<float>{1000, 1001, 1002});
    ir::SoftMaxAttrs a;
    a.axes = 1;
    auto r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    // e^0, e^1, e^2 over their sum 11.1073...
    EXPECT_NEAR(r.value()[0].at(0), 0.0900306, 1e-6);
    EXPECT_NEAR(r.value()[0].at(1), 0.2447285, 1e-6);
    EXPECT_NEAR(r.value()[0].at(2), 0.6652410, 1e-6);
    a.log = true;
    r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_NEAR(r.value()[0].at(0), -2.4076059, 1e-6);
    EXPECT_NEAR(r.value()[0].at(2), -0.4076059, 1e-6);
}

Status inferOnly(const ir::Attrs& a, DataType t, Dims shape, std::vector<ir::TensorDesc>* outs) {
    std::vector<ir::TensorDesc> in{{t, shape, nullptr}};
    ir::InferContext ctx{in, *outs};
    return ir::inferNode(a, ctx);
}

void expectError(const ir::Attrs& a, DataType t, Dims shape, int nbOutputs,
                 const std::vector<std::string>& fragments) {
    std::vector<ir::TensorDesc> outs(static_cast<size_t>(nbOutputs));
    Status st = inferOnly(a, t, shape, &outs);
    ASSERT_FALSE(st.isOk()) << toString(shape);
    EXPECT_EQ(st.code(), ErrorCode::kINVALID_ARGUMENT);
    for (const auto& f : fragments)
        EXPECT_NE(st.message().find(f), std::string::npos) << "missing '" << f << "' in: " << st.message();
}

TEST(SoftMaxOp, Errors) {
    ir::SoftMaxAttrs a;
    a.axes = 0x6;
    expectError(a, DataType::kFLOAT, makeDims({2, 3, 4}), 1, {"exactly one bit", "0x6", "[2,3,4]"});
    a.axes = 0;
    expectError(a, DataType::kFLOAT, makeDims({2, 3}), 1, {"axes mask is 0"});
    a.axes = 0x4;
    expectError(a, DataType::kFLOAT, makeDims({2, 3}), 1, {"0x4", "rank 2"});
    a.axes = 0x1;
    expectError(a, DataType::kINT32, makeDims({2, 3}), 1, {"float32, float16 or bfloat16", "got int32"});
}

// ---------------------------------------------------------------------------------------------------- TopK

ir::TopKAttrs topKAttrs(TopKOperation op, int k, int axis, DataType indicesType = DataType::kINT32) {
    ir::TopKAttrs a;
    a.op = op;
    a.k = k;
    a.axes = 1u << axis;
    a.indicesType = indicesType;
    return a;
}

void checkTopK(DataType t, const Dims& shape, TopKOperation op, int k, int axis, DataType indicesType,
               uint64_t seed) {
    SCOPED_TRACE(std::string(dataTypeName(t)) + " " + toString(shape) +
                 (op == TopKOperation::kMAX ? " max" : " min") + " k " + std::to_string(k) + " axis " +
                 std::to_string(axis) + " indices " + dataTypeName(indicesType));
    // Few distinct values so that ties are everywhere and the tie order is really exercised.
    HostTensor x = HostTensor::random(DataType::kINT32, shape, seed, -3, 3);
    HostTensor xt(t, shape);
    for (int64_t i = 0; i < x.numel(); ++i) xt.set(i, x.at(i) * 0.5);
    auto r = runSingleOp(topKAttrs(op, k, axis, indicesType), {xt}, 2);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const HostTensor& values = r.value()[0];
    const HostTensor& indices = r.value()[1];
    Dims outShape = shape;
    outShape.d[axis] = k;
    ASSERT_EQ(toString(values.shape), toString(outShape));
    ASSERT_EQ(toString(indices.shape), toString(outShape));
    ASSERT_EQ(values.type, t);
    ASSERT_EQ(indices.type, indicesType);
    for (int64_t l = 0; l < nbLines(shape, axis); ++l) {
        std::vector<int64_t> in = lineIndices(shape, axis, l), out = lineIndices(outShape, axis, l);
        std::vector<std::pair<double, int64_t>> line;
        for (size_t e = 0; e < in.size(); ++e) line.push_back({xt.at(in[e]), static_cast<int64_t>(e)});
        std::stable_sort(line.begin(), line.end(), [&](const auto& p, const auto& q) {
            return op == TopKOperation::kMAX ? p.first > q.first : p.first < q.first;
        });
        for (int j = 0; j < k; ++j) {
            ASSERT_EQ(values.at(out[static_cast<size_t>(j)]), line[static_cast<size_t>(j)].first)
                << "line " << l << " rank " << j;
            ASSERT_EQ(indices.atInt(out[static_cast<size_t>(j)]), line[static_cast<size_t>(j)].second)
                << "line " << l << " rank " << j;
        }
    }
}

TEST(TopKOp, MatchesStableSortEveryAxis) {
    uint64_t seed = 50;
    const Dims shape = makeDims({3, 1, 7, 5});
    for (int axis = 0; axis < 4; ++axis)
        for (TopKOperation op : {TopKOperation::kMAX, TopKOperation::kMIN})
            for (int k : {1, static_cast<int>((shape.d[axis] + 1) / 2), static_cast<int>(shape.d[axis])})
                checkTopK(DataType::kFLOAT, shape, op, k, axis, DataType::kINT32, ++seed);
}

TEST(TopKOp, OtherDtypesAndInt64Indices) {
    uint64_t seed = 80;
    for (DataType t : {DataType::kHALF, DataType::kBF16, DataType::kINT32, DataType::kINT64})
        for (TopKOperation op : {TopKOperation::kMAX, TopKOperation::kMIN}) {
            checkTopK(t, makeDims({5, 11}), op, 4, 1, DataType::kINT64, ++seed);
            checkTopK(t, makeDims({13, 3}), op, 13, 0, DataType::kINT32, ++seed);
        }
    checkTopK(DataType::kFLOAT, makeDims({61, 127}), TopKOperation::kMAX, 17, 1, DataType::kINT64,
              99);  // pool
}

TEST(TopKOp, HandComputedTiesAndNan) {
    HostTensor x = HostTensor::fromVector(DataType::kFLOAT, makeDims({5}), std::vector<float>{3, 1, 3, 2, 1});
    auto r = runSingleOp(topKAttrs(TopKOperation::kMAX, 3, 0), {x}, 2);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{3, 3, 2}));
    EXPECT_EQ(r.value()[1].toDoubles(), (std::vector<double>{0, 2, 3}));
    r = runSingleOp(topKAttrs(TopKOperation::kMIN, 2, 0), {x}, 2);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[0].toDoubles(), (std::vector<double>{1, 1}));
    EXPECT_EQ(r.value()[1].toDoubles(), (std::vector<double>{1, 4}));
    // NaN ranks above every number: first for kMAX, last for kMIN.
    HostTensor n =
        HostTensor::fromVector(DataType::kFLOAT, makeDims({3}), std::vector<double>{1.0, NAN, 2.0});
    r = runSingleOp(topKAttrs(TopKOperation::kMAX, 2, 0), {n}, 2);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(std::isnan(r.value()[0].at(0)));
    EXPECT_EQ(r.value()[0].at(1), 2.0);
    EXPECT_EQ(r.value()[1].toDoubles(), (std::vector<double>{1, 2}));
    r = runSingleOp(topKAttrs(TopKOperation::kMIN, 3, 0), {n}, 2);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()[1].toDoubles(), (std::vector<double>{0, 2, 1}));
}

TEST(TopKOp, DynamicExtentKeepsK) {
    std::vector<ir::TensorDesc> outs(2);
    ASSERT_TRUE(inferOnly(topKAttrs(TopKOperation::kMAX, 3, 1, DataType::kINT64), DataType::kHALF,
                          makeDims({-1, -1}), &outs)
                    .isOk());
    EXPECT_EQ(toString(outs[0].shape), "[-1,3]");
    EXPECT_EQ(outs[0].type, DataType::kHALF);
    EXPECT_EQ(toString(outs[1].shape), "[-1,3]");
    EXPECT_EQ(outs[1].type, DataType::kINT64);
}

TEST(TopKOp, Errors) {
    expectError(topKAttrs(TopKOperation::kMAX, 6, 1), DataType::kFLOAT, makeDims({2, 5}), 2,
                {"k = 6", "extent 5", "axis 1", "[2,5]"});
    expectError(topKAttrs(TopKOperation::kMAX, 0, 1), DataType::kFLOAT, makeDims({2, 5}), 2,
                {"k must be >= 1", "got 0"});
    ir::TopKAttrs twoBits = topKAttrs(TopKOperation::kMAX, 1, 0);
    twoBits.axes = 0x3;
    expectError(twoBits, DataType::kFLOAT, makeDims({2, 5}), 2, {"exactly one bit", "0x3"});
    expectError(topKAttrs(TopKOperation::kMAX, 1, 0, DataType::kFLOAT), DataType::kFLOAT, makeDims({2, 5}), 2,
                {"indices type", "got float32"});
    expectError(topKAttrs(static_cast<TopKOperation>(9), 1, 0), DataType::kFLOAT, makeDims({2, 5}), 2,
                {"op 9", "not a TopKOperation"});
    expectError(topKAttrs(TopKOperation::kMIN, 1, 0), DataType::kBOOL, makeDims({2, 5}), 2, {"got bool"});
    expectError(topKAttrs(TopKOperation::kMIN, 1, 2), DataType::kFLOAT, makeDims({2, 5}), 2,
                {"0x4", "rank 2"});
}

}  // namespace
}  // namespace kiln
