// ONNX shape-handling importers and import-time folding: Reshape (0 placeholder, -1, run-time shapes),
// Flatten, Squeeze/Unsqueeze in attribute and input forms, Expand, Tile, ConstantOfShape, Range, Cast,
// CastLike, Size, Shape(start, end), Constant, Identity, Dropout; the Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape chain folding to constants (static input) or to a -1 (dynamic batch) with no Shape
// layer left, and weight preprocessing (Transpose of an initializer) folded away.
#include <algorithm>

#include "onnx_test_util.h"

namespace kiln::testing {
namespace {

bool hasLayer(const OnnxRun& r, LayerType t) {
    return std::find(r.layerTypes.begin(), r.layerTypes.end(), t) != r.layerTypes.end();
}

std::vector<double> iota(int64_t n, double start = 0) {
    std::vector<double> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(start + static_cast<double>(i));
    return v;
}

HostTensor iotaTensor(Dims d) {
    HostTensor h(DataType::kFLOAT, d);
    for (int64_t i = 0; i < h.numel(); ++i) h.set(i, static_cast<double>(i));
    return h;
}

/// x[N,3,4] -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), Unsqueeze(Gather(Shape(x),1) *
/// Gather(Shape(x),2))))
ModelBuilder shapeChainModel(int64_t batch, int64_t opset) {
    ModelBuilder m(opset);
    m.input("x", DataType::kFLOAT, {batch, 3, 4}, {"N"}).output("y");
    m.ints("i0", {0}).ints("i1", {1}).ints("i2", {2});
    m.initializer("s0", HostTensor::fromVector(DataType::kINT64, Dims{}, std::vector<int64_t>{0}));
    m.node("Shape", {"x"}, {"shape"});
    m.node("Gather", {"shape", "s0"}, {"n"}).i("axis", 0);  // scalar index -> 0-D
    m.node("Gather", {"shape", "i1"}, {"c"}).i("axis", 0);
    m.node("Gather", {"shape", "i2"}, {"w"}).i("axis", 0);
    m.node("Mul", {"c", "w"}, {"cw"});
    if (opset >= 13) {
        m.node("Unsqueeze", {"n", "i0"}, {"n1"});
    } else {
        m.node("Unsqueeze", {"n"}, {"n1"}).ints("axes", {0});
    }
    m.node("Concat", {"n1", "cw"}, {"target"}).i("axis", 0);
    m.node("Reshape", {"x", "target"}, {"y"});
    return m;
}

TEST(OnnxShape, ShapeGatherConcatReshapeFoldsWithoutShapeLayers) {
    for (int64_t opset : {11, 13}) {
        for (int64_t batch : {2, -1}) {
            OnnxRun r = runOnnx(shapeChainModel(batch, opset).bytes(),
                                {{"x", iotaTensor(makeDims({2, 3, 4}))}}, {"y"});
            const std::string what =
                "opset " + std::to_string(opset) + (batch < 0 ? " dynamic batch" : " static");
            ASSERT_TRUE(r.parsed) << what << "\n" << r.errors;
            expectValues(r.outputs[0], makeDims({2, 12}), iota(24), 0, what);
            // Static: everything folds; dynamic: the batch is left to the reshape's -1.
            EXPECT_FALSE(hasLayer(r, LayerType::kSHAPE)) << what;
            EXPECT_EQ(r.nbLayers, 1) << what;
        }
    }
    // With a second dynamic dim the chain must stay run-time arithmetic, and still be right.
    ModelBuilder m(13);
    m.input("x", DataType::kFLOAT, {-1, -1, 4}, {"N", "C"}).output("y");
    m.ints("i0", {0}).ints("i1", {1}).ints("i2", {2});
    m.node("Shape", {"x"}, {"shape"});
    m.node("Gather", {"shape", "i0"}, {"n"}).i("axis", 0);
    m.node("Gather", {"shape", "i1"}, {"c"}).i("axis", 0);
    m.node("Gather", {"shape", "i2"}, {"w"}).i("axis", 0);
    m.node("Mul", {"c", "w"}, {"cw"});
    m.node("Concat", {"cw", "n"}, {"target"}).i("axis", 0);
    m.node("Reshape", {"x", "target"}, {"y"});
    OnnxRun r = runOnnx(m.bytes(), {{"x", iotaTensor(makeDims({2, 3, 4}))}}, {"y"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({12, 2}), iota(24), 0, "two dynamic dims");
    EXPECT_TRUE(hasLayer(r, LayerType::kSHAPE));
}

TEST(OnnxShape, ReshapePlaceholdersAndFlatten) {
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {-1, 3, 4})
        .output("a")
        .output("f0")
        .output("f2")
        .output("fl")
        .output("f3");
    m.ints("zero", {0, -1});
    m.node("Reshape", {"x", "zero"}, {"a"});
    m.node("Flatten", {"x"}, {"f0"}).i("axis", 0);
    m.node("Flatten", {"x"}, {"f2"}).i("axis", 2);
    m.node("Flatten", {"x"}, {"fl"}).i("axis", -1);
    m.node("Flatten", {"x"}, {"f3"}).i("axis", 3);
    OnnxRun r = runOnnx(m.bytes(), {{"x", iotaTensor(makeDims({2, 3, 4}))}}, {"a", "f0", "f2", "fl", "f3"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({2, 12}), iota(24), 0, "Reshape [0, -1]");
    expectValues(r.outputs[1], makeDims({1, 24}), iota(24), 0, "Flatten axis 0");
    expectValues(r.outputs[2], makeDims({6, 4}), iota(24), 0, "Flatten axis 2");
    expectValues(r.outputs[3], makeDims({6, 4}), iota(24), 0, "Flatten axis -1");
    expectValues(r.outputs[4], makeDims({24, 1}), iota(24), 0, "Flatten axis 3");
}

TEST(OnnxShape, SqueezeUnsqueezeAttributeAndInputForms) {
    for (int64_t opset : {11, 13}) {
        ModelBuilder m(opset);
        m.input("x", DataType::kFLOAT, {2, 1, 3, 1}).output("s").output("all").output("u");
        if (opset >= 13) {
            m.ints("ax", {-1}).ints("uax", {0, 3});
            m.node("Squeeze", {"x", "ax"}, {"s"});
            m.node("Unsqueeze", {"all", "uax"}, {"u"});
        } else {
            m.node("Squeeze", {"x"}, {"s"}).ints("axes", {-1});
            m.node("Unsqueeze", {"all"}, {"u"}).ints("axes", {0, 3});
        }
        m.node("Squeeze", {"x"}, {"all"});
        OnnxRun r = runOnnx(m.bytes(), {{"x", iotaTensor(makeDims({2, 1, 3, 1}))}}, {"s", "all", "u"});
        const std::string what = " (opset " + std::to_string(opset) + ")";
        ASSERT_TRUE(r.parsed) << r.errors;
        expectValues(r.outputs[0], makeDims({2, 1, 3}), iota(6), 0, "Squeeze axis -1" + what);
        expectValues(r.outputs[1], makeDims({2, 3}), iota(6), 0, "Squeeze without axes" + what);
        expectValues(r.outputs[2], makeDims({1, 2, 3, 1}), iota(6), 0, "Unsqueeze axes 0, 3" + what);
    }
    ModelBuilder m(13);
    m.input("x", DataType::kFLOAT, {-1, 3}).output("y");
    m.ints("ax", {0, 3, -1});
    m.node("Unsqueeze", {"x", "ax"}, {"y"});
    expectValues(runOne(m, {{"x", iotaTensor(makeDims({2, 3}))}}), makeDims({1, 2, 3, 1, 1}), iota(6), 0,
                 "Unsqueeze axes 0, 3, -1 with a dynamic dim");
}

TEST(OnnxShape, ExpandAndTile) {
    HostTensor x = floatTensor(makeDims({3, 1}), {1, 2, 3});
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {3, 1}).output("e").output("t");
    m.ints("shape", {2, 1, 4});
    m.ints("reps", {2, 3});
    m.node("Expand", {"x", "shape"}, {"e"});
    m.node("Tile", {"x", "reps"}, {"t"});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"e", "t"});
    ASSERT_TRUE(r.parsed) << r.errors;
    std::vector<double> e;
    for (int a = 0; a < 2; ++a)
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 4; ++j) e.push_back(i + 1);
    expectValues(r.outputs[0], makeDims({2, 3, 4}), e, 0, "Expand [3,1] to [2,1,4]");
    std::vector<double> t;
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 3; ++j) t.push_back(i % 3 + 1);
    expectValues(r.outputs[1], makeDims({6, 3}), t, 0, "Tile [3,1] by [2,3]");

    // Expand to the shape of a dynamic input (run-time shape).
    ModelBuilder d;
    d.input("x", DataType::kFLOAT, {1, 3}).input("like", DataType::kFLOAT, {-1, 3}).output("y");
    d.node("Shape", {"like"}, {"s"});
    d.node("Expand", {"x", "s"}, {"y"});
    HostTensor row = floatTensor(makeDims({1, 3}), {4, 5, 6});
    expectValues(runOne(d, {{"x", row}, {"like", HostTensor(DataType::kFLOAT, makeDims({4, 3}))}}),
                 makeDims({4, 3}), {4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6}, 0, "Expand to a run-time shape");
}

TEST(OnnxShape, ConstantOfShapeRangeAndConstant) {
    ModelBuilder m;
    m.input("x", DataType::kINT64, {4}).output("y", DataType::kINT64).output("r", DataType::kFLOAT);
    m.ints("shape", {4});
    m.node("ConstantOfShape", {"shape"}, {"sevens"})
        .t("value", tensorProto("v", HostTensor::fromVector(DataType::kINT64, makeDims({1}),
                                                            std::vector<int64_t>{7})));
    m.node("Add", {"x", "sevens"}, {"y"});
    m.node("Constant", {}, {"start"}).f("value_float", 1.5f);
    m.node("Constant", {}, {"limit"}).f("value_float", 3.0f);
    m.node("Constant", {}, {"delta"}).f("value_float", 0.5f);
    m.node("Range", {"start", "limit", "delta"}, {"r"});
    HostTensor x = HostTensor::fromVector(DataType::kINT64, makeDims({4}), std::vector<int64_t>{1, -2, 3, 0});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"y", "r"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({4}), {8, 5, 10, 7}, 0, "x + ConstantOfShape(7)");
    expectValues(r.outputs[1], makeDims({3}), {1.5, 2.0, 2.5}, 0, "Range(1.5, 3, 0.5)");

    ModelBuilder ri;
    ri.input("x", DataType::kINT64, {4}).output("y", DataType::kINT64);
    ri.node("Constant", {}, {"s"}).i("value_int", 10);
    ri.node("Constant", {}, {"l"}).i("value_int", 2);
    ri.node("Constant", {}, {"d"}).i("value_int", -3);
    ri.node("Range", {"s", "l", "d"}, {"rng"});  // 10, 7, 4: three values...
    ri.node("Constant", {}, {"one"}).ints("value_ints", {1});
    ri.node("Concat", {"rng", "one"}, {"four"}).i("axis", 0);
    ri.node("Mul", {"x", "four"}, {"y"});
    expectValues(runOne(ri, {{"x", x}}), makeDims({4}), {10, -14, 12, 0}, 0, "int64 Range and value_ints");
}

TEST(OnnxShape, CastCastLikeSizeShapeSlicesIdentityDropout) {
    ModelBuilder m(15);
    m.input("x", DataType::kFLOAT, {-1, 3, 2})
        .output("i", DataType::kINT32)
        .output("b", DataType::kBOOL)
        .output("like", DataType::kINT64)
        .output("size", DataType::kINT64)
        .output("tail", DataType::kINT64)
        .output("id")
        .output("drop");
    m.node("Cast", {"x"}, {"i"}).i("to", pb::TensorProto::INT32);
    m.node("Cast", {"x"}, {"b"}).i("to", pb::TensorProto::BOOL);
    m.ints("proto", {0});
    m.node("CastLike", {"x", "proto"}, {"like"});
    m.node("Size", {"x"}, {"size"});
    m.node("Shape", {"x"}, {"tail"}).i("start", -2);
    m.node("Identity", {"x"}, {"id"});
    m.floats("ratio", Dims{}, {0.5f});
    m.node("Dropout", {"x", "ratio"}, {"drop"});
    HostTensor x =
        floatTensor(makeDims({2, 3, 2}), {-2.7f, -0.5f, 0, 0.5f, 1.9f, 3, -1, 1, 2, 2.2f, -3.5f, 0.1f});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"i", "b", "like", "size", "tail", "id", "drop"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], x.shape, {-2, 0, 0, 0, 1, 3, -1, 1, 2, 2, -3, 0}, 0,
                 "Cast to int32 truncates");
    expectValues(r.outputs[1], x.shape, {1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 0, "Cast to bool");
    expectValues(r.outputs[2], x.shape, {-2, 0, 0, 0, 1, 3, -1, 1, 2, 2, -3, 0}, 0, "CastLike int64");
    EXPECT_EQ(r.outputs[2].type, DataType::kINT64);
    expectValues(r.outputs[3], Dims{}, {12}, 0, "Size");
    expectValues(r.outputs[4], makeDims({2}), {3, 2}, 0, "Shape start=-2 (static part folds)");
    expectValues(r.outputs[5], x.shape, x.toDoubles(), 0, "Identity");
    expectValues(r.outputs[6], x.shape, x.toDoubles(), 0, "Dropout at inference");
}

TEST(OnnxShape, WeightPreprocessingFoldsAway) {
    // y = x @ Transpose(W) where W is an initializer: the transpose is computed at import.
    HostTensor w = HostTensor::random(DataType::kFLOAT, makeDims({4, 3}), 61);
    HostTensor x = HostTensor::random(DataType::kFLOAT, makeDims({2, 3}), 62);
    ModelBuilder m;
    m.input("x", DataType::kFLOAT, {2, 3}).output("y");
    m.initializer("w", w);
    m.node("Transpose", {"w"}, {"wt"}).ints("perm", {1, 0});
    m.node("Cast", {"wt"}, {"wt32"}).i("to", pb::TensorProto::FLOAT);
    m.node("MatMul", {"x", "wt32"}, {"y"});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"y"});
    ASSERT_TRUE(r.parsed) << r.errors;
    std::vector<double> want;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 4; ++j) {
            double s = 0;
            for (int k = 0; k < 3; ++k) s += x.at(i * 3 + k) * w.at(j * 3 + k);
            want.push_back(s);
        }
    expectValues(r.outputs[0], makeDims({2, 4}), want, 1e-5, "x @ W^T with W transposed in the graph");
    EXPECT_FALSE(hasLayer(r, LayerType::kSHUFFLE));
    EXPECT_FALSE(hasLayer(r, LayerType::kCAST));
    EXPECT_EQ(r.nbLayers, 2);  // the folded constant and the matrix multiply
}

}  // namespace
}  // namespace kiln::testing
