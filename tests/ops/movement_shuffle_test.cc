// Shuffle, Concatenation and Shape: hand-computed small cases, every DataType against naive references
// written here (a scatter over the input for Shuffle, an output odometer for Concatenation), dynamic-shape
// inference, and error messages.
#include <gtest/gtest.h>

#include "ops/movement_test_util.h"

namespace kiln {
namespace {

using testing::allDataTypes;
using testing::failsWith;
using testing::randomOfType;
using testing::runSingleOp;
using testing::sameBytes;

Permutation perm(std::initializer_list<int32_t> p) {
    Permutation r;
    int i = 0;
    for (int32_t v : p) r.order[i++] = v;
    return r;
}

/// Scatter reference: walk the input in order and place each element where the shuffle sends it.
HostTensor shuffleReference(const HostTensor& in, const Permutation& p1, const Dims& reshape,
                            const Permutation& p2) {
    const int r = in.shape.nbDims;
    Dims t;
    t.nbDims = r;
    for (int i = 0; i < r; ++i) t.d[i] = in.shape.d[p1.order[i]];
    Dims out;
    out.nbDims = reshape.nbDims;
    for (int i = 0; i < out.nbDims; ++i) out.d[i] = reshape.d[p2.order[i]];
    HostTensor result(in.type, out);
    std::vector<int64_t> c(static_cast<size_t>(r), 0), tc(static_cast<size_t>(r));
    std::vector<int64_t> rc(static_cast<size_t>(reshape.nbDims)), oc(static_cast<size_t>(out.nbDims));
    int64_t p = 0;
    do {
        for (int i = 0; i < r; ++i) tc[static_cast<size_t>(i)] = c[static_cast<size_t>(p1.order[i])];
        int64_t flat = testing::flatOf(tc, t);  // a reshape keeps the row-major position
        for (int i = reshape.nbDims - 1; i >= 0; --i) {
            rc[static_cast<size_t>(i)] = flat % reshape.d[i];
            flat /= reshape.d[i];
        }
        for (int i = 0; i < out.nbDims; ++i)
            oc[static_cast<size_t>(i)] = rc[static_cast<size_t>(p2.order[i])];
        testing::copyElement(result, testing::flatOf(oc, out), in, p++);
    } while (testing::nextCoords(c, in.shape));
    return result;
}

TEST(ShuffleOp, TransposeHandComputed) {
    ir::ShuffleAttrs a;
    a.firstTranspose = perm({1, 0});
    auto x = HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 3}), std::vector<float>{0, 1, 2, 3, 4, 5});
    auto r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(testing::nearValues(r.value()[0], makeDims({3, 2}), {0, 3, 1, 4, 2, 5}, 0.0));
}

TEST(ShuffleOp, ReshapeThenSecondTransposeHandComputed) {
    // numpy: np.arange(6).reshape(3, 2).T == [[0, 2, 4], [1, 3, 5]]
    ir::ShuffleAttrs a;
    a.hasReshape = true;
    a.reshapeDims = makeDims({-1, 2});
    a.secondTranspose = perm({1, 0});
    auto x = HostTensor::fromVector(DataType::kINT32, makeDims({6}), std::vector<int>{0, 1, 2, 3, 4, 5});
    auto r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(testing::nearValues(r.value()[0], makeDims({2, 3}), {0, 2, 4, 1, 3, 5}, 0.0));
}

struct ShuffleCase {
    Dims in;
    Permutation p1;
    Dims spec;  // reshape dims as given (0 / -1 allowed); nbDims 0 with hasReshape false = no reshape
    bool hasReshape;
    Dims resolved;  // what the spec resolves to
    Permutation p2;
};

TEST(ShuffleOp, EveryTypeMatchesScatterReference) {
    const std::vector<ShuffleCase> cases = {
        {makeDims({3, 1, 7, 5}), perm({2, 0, 3, 1}), makeDims({0, 15, -1}), true, makeDims({7, 15, 1}),
         perm({2, 0, 1})},
        {makeDims({3, 1, 7, 5}), perm({0, 1, 2, 3}), makeDims({-1, 35}), true, makeDims({3, 35}),
         perm({1, 0})},
        {makeDims({2, 3, 5, 1, 7}),
         perm({4, 2, 0, 3, 1}),
         {},
         false,
         makeDims({7, 5, 2, 1, 3}),
         perm({1, 3, 0, 4, 2})},
        {makeDims({11, 13}), perm({1, 0}), makeDims({143}), true, makeDims({143}), perm({0})},
        {makeDims({4, 6}), perm({0, 1}), {}, false, makeDims({4, 6}), perm({0, 1})},  // plain copy
    };
    uint64_t seed = 1;
    for (DataType t : allDataTypes()) {
        for (const auto& c : cases) {
            ir::ShuffleAttrs a;
            a.firstTranspose = c.p1;
            a.hasReshape = c.hasReshape;
            a.reshapeDims = c.spec;
            a.secondTranspose = c.p2;
            HostTensor x = randomOfType(t, c.in, seed++);
            auto r = runSingleOp(a, {x});
            ASSERT_TRUE(r.isOk()) << dataTypeName(t) << " " << toString(c.in) << ": " << r.status().message();
            EXPECT_TRUE(sameBytes(r.value()[0], shuffleReference(x, c.p1, c.resolved, c.p2)))
                << dataTypeName(t) << " input " << toString(c.in) << " reshape " << toString(c.spec);
        }
    }
}

TEST(ShuffleOp, ReshapeFromShapeTensorInput) {
    for (DataType st : {DataType::kINT32, DataType::kINT64}) {
        ir::ShuffleAttrs a;
        a.firstTranspose = perm({1, 0});
        HostTensor x = randomOfType(DataType::kHALF, makeDims({5, 6}), 7);
        HostTensor shape = HostTensor::fromVector(st, makeDims({3}), std::vector<int64_t>{0, -1, 5});
        auto r = runSingleOp(a, {x, shape});
        ASSERT_TRUE(r.isOk()) << dataTypeName(st) << ": " << r.status().message();
        EXPECT_EQ(r.value()[0].shape, makeDims({6, 1, 5}));
        EXPECT_TRUE(
            sameBytes(r.value()[0], shuffleReference(x, perm({1, 0}), makeDims({6, 1, 5}), perm({0, 1, 2}))))
            << dataTypeName(st);
    }
}

TEST(ShuffleOp, InferenceWithUnknownValuesAndDims) {
    ir::ShuffleAttrs a;
    a.secondTranspose = perm({1, 0, 2});
    // Shape-tensor values unknown at build time: only the rank is known.
    std::vector<ir::TensorDesc> in(2);
    in[0].type = DataType::kFLOAT;
    in[0].shape = makeDims({4, 6});
    in[1].type = DataType::kINT64;
    in[1].shape = makeDims({3});
    std::vector<ir::TensorDesc> out(1);
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(a, ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, -1, -1}));
    EXPECT_EQ(out[0].type, DataType::kFLOAT);

    // Unknown input extents propagate where the output depends on them.
    ir::ShuffleAttrs b;
    b.hasReshape = true;
    std::vector<ir::TensorDesc> one(1);
    one[0].type = DataType::kINT8;
    one[0].shape = makeDims({-1, 6});
    ir::InferContext ctx2{one, out};
    b.reshapeDims = makeDims({0, 2, 3});
    ASSERT_TRUE(ir::inferNode(b, ctx2).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, 2, 3}));
    b.reshapeDims = makeDims({-1, 3});
    ASSERT_TRUE(ir::inferNode(b, ctx2).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, 3}));
    b.reshapeDims = makeDims({3, 4});  // nothing to check against: the volume is unknown
    ASSERT_TRUE(ir::inferNode(b, ctx2).isOk());
    EXPECT_EQ(out[0].shape, makeDims({3, 4}));
    EXPECT_EQ(out[0].type, DataType::kINT8);
}

TEST(ShuffleOp, Errors) {
    HostTensor x = randomOfType(DataType::kFLOAT, makeDims({2, 3}), 3);
    ir::ShuffleAttrs a;
    a.firstTranspose = perm({1, 1});
    EXPECT_TRUE(failsWith(a, {x}, {"first transpose", "(1,1)", "not a permutation of 0..1"}));
    a.firstTranspose = perm({0, 2});
    EXPECT_TRUE(failsWith(a, {x}, {"first transpose", "out of range"}));

    ir::ShuffleAttrs b;
    b.hasReshape = true;
    b.reshapeDims = makeDims({4, 2});
    EXPECT_TRUE(failsWith(b, {x}, {"volume mismatch", "[2,3]", "[4,2]", "6", "8"}));
    b.reshapeDims = makeDims({-1, -1});
    EXPECT_TRUE(failsWith(b, {x}, {"more than one -1"}));
    b.reshapeDims = makeDims({-1, 4});
    EXPECT_TRUE(failsWith(b, {x}, {"volume mismatch", "[2,3]", "[-1,4]"}));
    b.reshapeDims = makeDims({6, 1, 0});
    EXPECT_TRUE(failsWith(b, {x}, {"copy dimension 2", "rank 2"}));
    b.reshapeDims = makeDims({3, -2});
    EXPECT_TRUE(failsWith(b, {x}, {"invalid entry -2"}));
    b.zeroIsPlaceholder = false;  // 0 is then a real extent
    b.reshapeDims = makeDims({0, 6});
    EXPECT_TRUE(failsWith(b, {x}, {"volume mismatch", "[0,6]"}));
    b.reshapeDims = makeDims({0, -1});
    EXPECT_TRUE(failsWith(b, {x}, {"cannot infer the -1"}));

    ir::ShuffleAttrs c;
    c.hasReshape = true;
    c.reshapeDims = makeDims({6});
    c.secondTranspose = perm({1});
    EXPECT_TRUE(failsWith(c, {x}, {"second transpose", "(1)"}));

    ir::ShuffleAttrs d;
    HostTensor floatShape = randomOfType(DataType::kFLOAT, makeDims({2}), 1);
    EXPECT_TRUE(failsWith(d, {x, floatShape}, {"input 1", "int32 or int64", "float32"}));
    HostTensor matrixShape =
        HostTensor::fromVector(DataType::kINT32, makeDims({1, 2}), std::vector<int>{3, 2});
    EXPECT_TRUE(failsWith(d, {x, matrixShape}, {"1-D", "[1,2]"}));
}

/// Concatenation reference: for each output coordinate, find the input that owns its axis position.
HostTensor concatReference(const std::vector<HostTensor>& ins, int axis, const Dims& outShape) {
    HostTensor result(ins[0].type, outShape);
    std::vector<int64_t> c(static_cast<size_t>(outShape.nbDims), 0);
    int64_t flat = 0;
    do {
        std::vector<int64_t> ic = c;
        size_t k = 0;
        while (ic[static_cast<size_t>(axis)] >= ins[k].shape.d[axis])
            ic[static_cast<size_t>(axis)] -= ins[k++].shape.d[axis];
        testing::copyElement(result, flat++, ins[k], testing::flatOf(ic, ins[k].shape));
    } while (testing::nextCoords(c, outShape));
    return result;
}

TEST(ConcatenationOp, HandComputed) {
    for (int axis : {1, -1}) {
        ir::ConcatenationAttrs a;
        a.axis = axis;
        auto x = HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 2}), std::vector<float>{1, 2, 3, 4});
        auto y = HostTensor::fromVector(DataType::kFLOAT, makeDims({2, 1}), std::vector<float>{5, 6});
        auto r = runSingleOp(a, {x, y});
        ASSERT_TRUE(r.isOk()) << "axis " << axis << ": " << r.status().message();
        EXPECT_TRUE(testing::nearValues(r.value()[0], makeDims({2, 3}), {1, 2, 5, 3, 4, 6}, 0.0))
            << "axis " << axis;
    }
}

TEST(ConcatenationOp, EveryTypeEveryAxisMatchesReference) {
    const Dims base = makeDims({3, 2, 5, 7});
    const int64_t extents[3] = {2, 7, 1};
    uint64_t seed = 100;
    for (DataType t : allDataTypes()) {
        for (int axis = -4; axis < 4; ++axis) {
            const int ax = axis < 0 ? axis + 4 : axis;
            std::vector<HostTensor> ins;
            Dims outShape = base;
            outShape.d[ax] = 0;
            for (int64_t e : extents) {
                Dims s = base;
                s.d[ax] = e;
                outShape.d[ax] += e;
                ins.push_back(randomOfType(t, s, seed++));
            }
            ir::ConcatenationAttrs a;
            a.axis = axis;
            auto r = runSingleOp(a, ins);
            ASSERT_TRUE(r.isOk()) << dataTypeName(t) << " axis " << axis << ": " << r.status().message();
            EXPECT_TRUE(sameBytes(r.value()[0], concatReference(ins, ax, outShape)))
                << dataTypeName(t) << " axis " << axis;
        }
    }
}

TEST(ConcatenationOp, SingleAndEmptyInputs) {
    ir::ConcatenationAttrs a;
    a.axis = 0;
    HostTensor x = randomOfType(DataType::kINT64, makeDims({3, 4}), 5);
    HostTensor empty(DataType::kINT64, makeDims({0, 4}));
    auto r = runSingleOp(a, {empty, x, empty});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(sameBytes(r.value()[0], x));
}

TEST(ConcatenationOp, InferenceWithUnknownDims) {
    ir::ConcatenationAttrs a;
    std::vector<ir::TensorDesc> in(2), out(1);
    in[0].shape = makeDims({-1, 3});
    in[1].shape = makeDims({2, 3});
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(a, ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({-1, 3}));
    a.axis = 1;
    in[1].shape = makeDims({2, 4});
    ASSERT_TRUE(ir::inferNode(a, ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({2, 7}));  // the known batch extent refines the unknown one
}

TEST(ConcatenationOp, Errors) {
    HostTensor x = randomOfType(DataType::kFLOAT, makeDims({2, 3}), 1);
    ir::ConcatenationAttrs a;
    a.axis = 1;
    EXPECT_TRUE(failsWith(a, {x, randomOfType(DataType::kHALF, makeDims({2, 3}), 2)},
                          {"input 1", "float16", "expected float32"}));
    EXPECT_TRUE(failsWith(a, {x, randomOfType(DataType::kFLOAT, makeDims({2, 3, 1}), 2)},
                          {"input 1", "[2,3,1]", "expected rank 2"}));
    EXPECT_TRUE(failsWith(a, {x, randomOfType(DataType::kFLOAT, makeDims({4, 3}), 2)},
                          {"input 1", "[4,3]", "dimension 0", "axis 1"}));
    a.axis = 2;
    EXPECT_TRUE(failsWith(a, {x, x}, {"axis 2", "rank 2", "-2..1"}));
    a.axis = -3;
    EXPECT_TRUE(failsWith(a, {x, x}, {"axis -3"}));
    a.axis = 0;
    EXPECT_TRUE(failsWith(a, {HostTensor(DataType::kFLOAT, Dims{}), HostTensor(DataType::kFLOAT, Dims{})},
                          {"rank >= 1", "0-D"}));
}

TEST(MovementLarge, ShuffleAndConcatSplitAcrossThreads) {
    // Big enough that the kernels hand several chunks to the pool (the small cases above run inline).
    HostTensor x = randomOfType(DataType::kHALF, makeDims({37, 61, 59}), 42);
    ir::ShuffleAttrs a;
    a.firstTranspose = perm({2, 0, 1});
    a.hasReshape = true;
    a.reshapeDims = makeDims({59, 37 * 61});
    a.secondTranspose = perm({1, 0});
    auto r = runSingleOp(a, {x});
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_TRUE(sameBytes(r.value()[0],
                          shuffleReference(x, a.firstTranspose, makeDims({59, 37 * 61}), a.secondTranspose)));

    std::vector<HostTensor> ins{randomOfType(DataType::kINT64, makeDims({40, 3, 300}), 1),
                                randomOfType(DataType::kINT64, makeDims({40, 5, 300}), 2)};
    ir::ConcatenationAttrs c;
    c.axis = 1;
    auto rc = runSingleOp(c, ins);
    ASSERT_TRUE(rc.isOk()) << rc.status().message();
    EXPECT_TRUE(sameBytes(rc.value()[0], concatReference(ins, 1, makeDims({40, 8, 300}))));
}

TEST(ShapeOp, WritesDimsAsInt64) {
    ir::ShapeAttrs a;
    for (DataType t : {DataType::kBOOL, DataType::kFLOAT, DataType::kINT64}) {
        auto r = runSingleOp(a, {HostTensor(t, makeDims({3, 1, 7}))});
        ASSERT_TRUE(r.isOk()) << dataTypeName(t) << ": " << r.status().message();
        EXPECT_EQ(r.value()[0].type, DataType::kINT64);
        EXPECT_TRUE(testing::nearValues(r.value()[0], makeDims({3}), {3, 1, 7}, 0.0)) << dataTypeName(t);
    }
    auto scalar = runSingleOp(a, {HostTensor(DataType::kHALF, Dims{})});
    ASSERT_TRUE(scalar.isOk()) << scalar.status().message();
    EXPECT_EQ(scalar.value()[0].shape, makeDims({0}));
    // An empty tensor still has a shape.
    auto empty = runSingleOp(a, {HostTensor(DataType::kFLOAT, makeDims({4, 0, 2}))});
    ASSERT_TRUE(empty.isOk()) << empty.status().message();
    EXPECT_TRUE(testing::nearValues(empty.value()[0], makeDims({3}), {4, 0, 2}, 0.0));
}

TEST(ShapeOp, InferenceKnowsRankOnly) {
    ir::ShapeAttrs a;
    std::vector<ir::TensorDesc> in(1), out(1);
    in[0].shape = makeDims({-1, 5, -1, 2});
    ir::InferContext ctx{in, out};
    ASSERT_TRUE(ir::inferNode(a, ctx).isOk());
    EXPECT_EQ(out[0].shape, makeDims({4}));
    EXPECT_EQ(out[0].type, DataType::kINT64);
}

}  // namespace
}  // namespace kiln
