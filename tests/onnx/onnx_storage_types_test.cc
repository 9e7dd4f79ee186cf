// The ONNX importer with the storage-only element types (FLOAT8E5M2/E4M3FNUZ/E5M2FNUZ, FLOAT8E8M0,
// FLOAT4E2M1, INT4, UINT4, INT2, UINT2): Cast's saturate and round_mode attributes, CastLike converting an
// initializer at import time by the Cast kernel's rules, packed initializers from raw_data and from
// int32_data (one packed byte per entry), blocked DequantizeLinear / QuantizeLinear (block_size), a
// run-time [1] zero point of a packed type, QuantizeLinear to INT16 / UINT16 through int32 and a clamp,
// and the messages for what is refused. Expected values are worked out by hand in each test.
#include <gtest/gtest.h>

#include <cmath>

#include "onnx/onnx_test_util.h"

namespace kiln::testing {
namespace {

TEST(OnnxStorageTypes, CastSaturateAndE8M0RoundMode) {
    ModelBuilder m(24);
    m.input("x", DataType::kFLOAT, {4})
        .output("sat", DataType::kFP8_E5M2)
        .output("nosat", DataType::kFP8_E5M2);
    m.output("up", DataType::kE8M0).output("down", DataType::kE8M0).output("nearest", DataType::kE8M0);
    m.node("Cast", {"x"}, {"sat"}).i("to", pb::TensorProto::FLOAT8E5M2);
    m.node("Cast", {"x"}, {"nosat"}).i("to", pb::TensorProto::FLOAT8E5M2).i("saturate", 0);
    m.node("Cast", {"x"}, {"up"}).i("to", pb::TensorProto::FLOAT8E8M0);
    m.node("Cast", {"x"}, {"down"}).i("to", pb::TensorProto::FLOAT8E8M0).s("round_mode", "down");
    m.node("Cast", {"x"}, {"nearest"}).i("to", pb::TensorProto::FLOAT8E8M0).s("round_mode", "nearest");
    const HostTensor x = floatTensor(makeDims({4}), {1e6f, -INFINITY, 0.3f, 3.0f});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"sat", "nosat", "up", "down", "nearest"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], x.shape, {57344, -57344, 0.3125, 3}, 0, "saturate=1");
    expectValues(r.outputs[1], x.shape, {INFINITY, -INFINITY, 0.3125, 3}, 0, "saturate=0");
    // E8M0 ignores the sign: |-inf| saturates to 2^127. 0.3 -> 0.5 up, 0.25 down, 0.25 nearest (< 0.375);
    // 3 -> 4 up, 2 down, 4 nearest (ties up); 1e6 -> 2^20 up and nearest, 2^19 down.
    expectValues(r.outputs[2], x.shape, {0x1p20, 0x1p127, 0.5, 4}, 0, "round up");
    expectValues(r.outputs[3], x.shape, {0x1p19, 0x1p127, 0.25, 2}, 0, "round down");
    expectValues(r.outputs[4], x.shape, {0x1p20, 0x1p127, 0.25, 4}, 0, "round nearest");

    ModelBuilder bad(21);
    bad.input("x", DataType::kFLOAT, {2}).output("y", DataType::kE8M0);
    bad.node("Cast", {"x"}, {"y"}).i("to", pb::TensorProto::FLOAT8E8M0).s("round_mode", "sideways");
    TestLogger logger;
    OnnxRun p = parseOnly(bad.bytes(), logger);
    EXPECT_FALSE(p.parsed);
    EXPECT_NE(p.errors.find("'round_mode' is 'sideways', expected 'up', 'down' or 'nearest'"),
              std::string::npos)
        << p.errors;
}

TEST(OnnxStorageTypes, CastLikeConvertsAnInitializerByTheKernelsRules) {
    // Cast float -> int4 keeps the low bits of the truncated value: -9 -> 7, 8 -> -8, 2.7 -> 2. The
    // initializer converts at import time; the same values through a graph input run the kernel.
    ModelBuilder m(21);
    m.input("like", DataType::kINT4, {1}).input("x", DataType::kFLOAT, {3});
    m.output("folded", DataType::kINT4).output("run", DataType::kINT4);
    m.floats("c", makeDims({3}), {-9.0f, 8.0f, 2.7f});
    m.node("CastLike", {"c", "like"}, {"folded"});
    m.node("CastLike", {"x", "like"}, {"run"});
    HostTensor like = HostTensor::fromVector(DataType::kINT4, makeDims({1}), std::vector<int64_t>{0});
    OnnxRun r = runOnnx(m.bytes(), {{"like", like}, {"x", floatTensor(makeDims({3}), {-9.0f, 8.0f, 2.7f})}},
                        {"folded", "run"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({3}), {7, -8, 2}, 0, "CastLike folded");
    expectValues(r.outputs[1], makeDims({3}), {7, -8, 2}, 0, "CastLike run");
    EXPECT_EQ(r.outputs[0].bytes, r.outputs[1].bytes);
}

TEST(OnnxStorageTypes, PackedInitializersAndBlockedDequantize) {
    // x: int4 [3, 3] = k - 4 for k = 0..8, stored raw (9 nibbles in 5 bytes). Blocks of 2 along axis 1:
    // scale [3, 2]; zero point int4 [3, 2] written in int32_data, one packed byte per entry.
    ModelBuilder m(21);
    m.output("y");
    HostTensor x(DataType::kINT4, makeDims({3, 3}));
    for (int64_t k = 0; k < 9; ++k) x.setInt(k, k - 4);
    m.initializer("x", x);
    m.floats("s", makeDims({3, 2}), {1, 2, 3, 4, 5, 6});
    pb::TensorProto zp;
    zp.set_name("zp");
    zp.set_data_type(pb::TensorProto::INT4);
    zp.add_dims(3);
    zp.add_dims(2);
    // zero points [1, -1, 0, 2, -8, 7]: bytes 0xf1, 0x20, 0x78.
    for (int b : {0xf1, 0x20, 0x78}) zp.add_int32_data(b);
    *m.model.mutable_graph()->add_initializer() = zp;
    m.node("DequantizeLinear", {"x", "s", "zp"}, {"y"}).i("axis", 1).i("block_size", 2);
    HostTensor y = runOne(m, {});
    // y[i][j] = (x[i][j] - zp[i][j / 2]) * s[i][j / 2].
    expectValues(y, makeDims({3, 3}),
                 {(-4 - 1) * 1.0, (-3 - 1) * 1.0, (-2 + 1) * 2.0,  //
                  (-1 - 0) * 3.0, (0 - 0) * 3.0, (1 - 2) * 4.0,    //
                  (2 + 8) * 5.0, (3 + 8) * 5.0, (4 - 7) * 6.0},
                 0, "blocked DequantizeLinear");

    // int32_data holding the unpacked count is refused with the packed count it needed.
    zp.clear_int32_data();
    for (int b : {1, 15, 0, 2, 8, 7}) zp.add_int32_data(b);
    *m.model.mutable_graph()->mutable_initializer(2) = zp;
    TestLogger logger;
    OnnxRun p = parseOnly(m.bytes(), logger);
    EXPECT_FALSE(p.parsed);
    EXPECT_NE(p.errors.find(
                  "has 6 entries in int32_data; expected 3 (each entry holds one byte of packed elements)"),
              std::string::npos)
        << p.errors;
}

TEST(OnnxStorageTypes, QuantizeLinearSubByteBlockedAndRunTimeZeroPoint) {
    // Blocked QuantizeLinear to uint4 (block 3 along axis 0 of [4, 2]: scale [2, 2], the second block one
    // row) and a per-tensor int2 one whose [1] zero point is a graph input.
    ModelBuilder m(21);
    m.input("x", DataType::kFLOAT, {4, 2}).input("zp2", DataType::kINT2, {1});
    m.output("u4", DataType::kUINT4).output("i2", DataType::kINT2);
    m.floats("s", makeDims({2, 2}), {1, 2, 4, 8});
    m.floats("s1", Dims{}, {2});
    m.node("QuantizeLinear", {"x", "s"}, {"u4"})
        .i("axis", 0)
        .i("block_size", 3)
        .i("output_dtype", pb::TensorProto::UINT4);
    m.node("QuantizeLinear", {"x", "s1", "zp2"}, {"i2"});
    const HostTensor x = floatTensor(makeDims({4, 2}), {3, 3, 7, -2, 40, 9, 5, 17});
    HostTensor zp2 = HostTensor::fromVector(DataType::kINT2, makeDims({1}), std::vector<int64_t>{-1});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}, {"zp2", zp2}}, {"u4", "i2"});
    ASSERT_TRUE(r.parsed) << r.errors;
    // Rows 0-2 use scales (1, 2), row 3 (4, 8): 3, 1.5->2, 7, -1->0, 40->15, 4.5->4, 1.25->1, 2.125->2.
    expectValues(r.outputs[0], x.shape, {3, 2, 7, 0, 15, 4, 1, 2}, 0, "uint4 blocked");
    // x / 2 - 1 clamped to [-2, 1]: 1.5->2-1=1, 1, 3.5->4-1, -1-1=-2, 20-1, 4.5->4-1, 2.5->2-1, 8.5->8-1.
    expectValues(r.outputs[1], x.shape, {1, 1, 1, -2, 1, 1, 1, 1}, 0, "int2 with a run-time zero point");
}

TEST(OnnxStorageTypes, QuantizeLinearToInt16AndUint16ThroughInt32) {
    ModelBuilder m(21);
    m.input("x", DataType::kFLOAT, {4}).output("s16", DataType::kINT32).output("u16", DataType::kINT32);
    m.floats("s", Dims{}, {1});
    m.node("QuantizeLinear", {"x", "s"}, {"s16"}).i("output_dtype", pb::TensorProto::INT16);
    m.node("QuantizeLinear", {"x", "s"}, {"u16"}).i("output_dtype", pb::TensorProto::UINT16);
    const HostTensor x = floatTensor(makeDims({4}), {1e6f, -1e6f, 3.5f, -2.5f});
    OnnxRun r = runOnnx(m.bytes(), {{"x", x}}, {"s16", "u16"});
    ASSERT_TRUE(r.parsed) << r.errors;
    EXPECT_EQ(r.outputs[0].type, DataType::kINT32);
    expectValues(r.outputs[0], x.shape, {32767, -32768, 4, -2}, 0, "int16");
    expectValues(r.outputs[1], x.shape, {65535, 0, 4, 0}, 0, "uint16");
}

TEST(OnnxStorageTypes, RefusedWithReasons) {
    TestLogger logger;
    {
        ModelBuilder m(21);
        m.input("x", DataType::kFLOAT, {2})
            .input("zp", DataType::kFP8_E5M2, {1})
            .output("y", DataType::kFP8_E5M2);
        m.floats("s", Dims{}, {1});
        m.node("QuantizeLinear", {"x", "s", "zp"}, {"y"}).i("saturate", 0);
        OnnxRun p = parseOnly(m.bytes(), logger);
        EXPECT_FALSE(p.parsed);
        EXPECT_NE(p.errors.find("saturate=0"), std::string::npos) << p.errors;
        EXPECT_NE(p.errors.find("quantization to float8_e5m2"), std::string::npos) << p.errors;
    }
    {
        ModelBuilder m(21);
        m.input("x", DataType::kFLOAT, {2, 4}).output("y", DataType::kINT4);
        m.floats("s", makeDims({2, 2}), {1, 1, 1, 1});
        m.node("QuantizeLinear", {"x", "s"}, {"y"})
            .i("axis", 1)
            .i("block_size", -2)
            .i("output_dtype", pb::TensorProto::INT4);
        OnnxRun p = parseOnly(m.bytes(), logger);
        EXPECT_FALSE(p.parsed);
        EXPECT_NE(p.errors.find("'block_size' is -2"), std::string::npos) << p.errors;
    }
    {
        // A zero point of int16 (int32 in Kiln) leaves int16 and uint16 apart only by the ONNX type.
        ModelBuilder m(21);
        m.input("x", DataType::kFLOAT, {2}).output("y", DataType::kINT32);
        m.floats("s", Dims{}, {1});
        pb::TensorProto zp;
        zp.set_name("zp");
        zp.set_data_type(pb::TensorProto::INT16);
        zp.add_int32_data(0);
        *m.model.mutable_graph()->add_initializer() = zp;
        m.node("QuantizeLinear", {"x", "s", "zp"}, {"y"});
        OnnxRun p = parseOnly(m.bytes(), logger);
        EXPECT_FALSE(p.parsed);
        EXPECT_NE(p.errors.find("give the output type with the output_dtype attribute"), std::string::npos)
            << p.errors;
    }
}

TEST(OnnxStorageTypes, Fp4AndFloat8FnuzGraphInputs) {
    ModelBuilder m(21);
    m.input("a", DataType::kFP4, {5}).input("b", DataType::kFP8_E4M3FNUZ, {3});
    m.output("fa").output("fb");
    m.node("Cast", {"a"}, {"fa"}).i("to", pb::TensorProto::FLOAT);
    m.node("Cast", {"b"}, {"fb"}).i("to", pb::TensorProto::FLOAT);
    HostTensor a(DataType::kFP4, makeDims({5}));
    a.bytes = {0x21, 0xf7, 0x0c};  // 0.5, 1, 6, -6, -2
    HostTensor b(DataType::kFP8_E4M3FNUZ, makeDims({3}));
    b.bytes = {0x40, 0x80, 0xff};  // 1, NaN, -240
    OnnxRun r = runOnnx(m.bytes(), {{"a", a}, {"b", b}}, {"fa", "fb"});
    ASSERT_TRUE(r.parsed) << r.errors;
    expectValues(r.outputs[0], makeDims({5}), {0.5, 1, 6, -6, -2}, 0, "FP4 input");
    expectValues(r.outputs[1], makeDims({3}), {1, NAN, -240}, 0, "E4M3FNUZ input");
}

}  // namespace
}  // namespace kiln::testing
