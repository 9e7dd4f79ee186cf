// Tests of the conformance runner's own data path (tensor_io): a bug there would make Kiln look right or
// wrong for the wrong reason. Narrow float conversions are checked exhaustively over every bit pattern and
// against hand-computed roundings; TensorProto reading in both payload forms; the comparison rules.
#include "tensor_io.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "onnx/onnx_subset.pb.h"

namespace kiln::conformance {
namespace {

HostArray floats(std::vector<double> v) {
    HostArray a;
    a.name = "t";
    a.onnxType = kOnnxFloat;
    a.isFloat = true;
    a.dims = {static_cast<int64_t>(v.size())};
    a.f = std::move(v);
    return a;
}

HostArray ints(std::vector<int64_t> v) {
    HostArray a;
    a.name = "t";
    a.onnxType = kOnnxInt64;
    a.dims = {static_cast<int64_t>(v.size())};
    a.i = std::move(v);
    return a;
}

// Encodes then decodes through a Kiln type.
HostArray roundTrip(const HostArray& in, DataType type) {
    std::vector<uint8_t> bytes;
    std::string error;
    EXPECT_TRUE(encodeValues(in, type, &bytes, &error)) << error;
    HostArray out;
    decodeValues(bytes.data(), type, in.volume(), &out);
    return out;
}

// Every non-NaN bit pattern of a 16- or 8-bit float type decodes and re-encodes to the same bits.
template <typename Bits>
void expectBitExactRoundTrip(DataType type, int nbPatterns) {
    int checked = 0;
    for (int p = 0; p < nbPatterns; ++p) {
        const Bits bits = static_cast<Bits>(p);
        HostArray decoded;
        decodeValues(&bits, type, 1, &decoded);
        if (std::isnan(decoded.f[0])) continue;
        decoded.dims = {1};
        std::vector<uint8_t> bytes;
        std::string error;
        ASSERT_TRUE(encodeValues(decoded, type, &bytes, &error)) << error;
        Bits back;
        std::memcpy(&back, bytes.data(), sizeof back);
        ASSERT_EQ(back, bits) << dataTypeName(type) << " pattern 0x" << std::hex << p << " decoded to "
                              << decoded.f[0];
        ++checked;
    }
    EXPECT_GT(checked, nbPatterns / 2);
}

TEST(TensorIo, HalfBf16Fp8RoundTripEveryPattern) {
    expectBitExactRoundTrip<uint16_t>(DataType::kHALF, 1 << 16);
    expectBitExactRoundTrip<uint16_t>(DataType::kBF16, 1 << 16);
    expectBitExactRoundTrip<uint8_t>(DataType::kFP8, 1 << 8);
}

TEST(TensorIo, NarrowFloatsRoundToNearestEven) {
    // float16 has 10 mantissa bits: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 -> 1 (even);
    // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9 -> 1 + 2^-9 (even).
    const HostArray h = roundTrip(floats({1 + std::ldexp(1, -11), 1 + 3 * std::ldexp(1, -11), 65519, 65520,
                                          std::ldexp(1, -25), std::ldexp(3, -25)}),
                                  DataType::kHALF);
    EXPECT_EQ(h.f[0], 1.0);
    EXPECT_EQ(h.f[1], 1 + std::ldexp(1, -9));
    EXPECT_EQ(h.f[2], 65504.0);  // the largest half
    EXPECT_TRUE(std::isinf(h.f[3]));
    EXPECT_EQ(h.f[4], 0.0);                  // half of the smallest subnormal: ties to even (zero)
    EXPECT_EQ(h.f[5], std::ldexp(1, -23));   // 1.5 units of 2^-24 -> 2 units
    const HostArray b = roundTrip(floats({1 + std::ldexp(1, -8), 1 + 3 * std::ldexp(1, -8)}), DataType::kBF16);
    EXPECT_EQ(b.f[0], 1.0);
    EXPECT_EQ(b.f[1], 1 + std::ldexp(1, -6));
    // FP8 E4M3FN: 3 mantissa bits, largest 448, saturating.
    const HostArray e = roundTrip(floats({1.0625, 1.1875, 500, -1e9, 0.001953125}), DataType::kFP8);
    EXPECT_EQ(e.f[0], 1.0);
    EXPECT_EQ(e.f[1], 1.25);
    EXPECT_EQ(e.f[2], 448);
    EXPECT_EQ(e.f[3], -448);
    EXPECT_EQ(e.f[4], 0.001953125);  // 2^-9, the smallest subnormal
}

TEST(TensorIo, StorageFloatsRoundTripEveryPatternAndDecodeByHand) {
    expectBitExactRoundTrip<uint8_t>(DataType::kFP8_E5M2, 1 << 8);
    expectBitExactRoundTrip<uint8_t>(DataType::kFP8_E4M3FNUZ, 1 << 8);
    expectBitExactRoundTrip<uint8_t>(DataType::kFP8_E5M2FNUZ, 1 << 8);
    expectBitExactRoundTrip<uint8_t>(DataType::kE8M0, 1 << 8);
    // E5M2 (bias 15): 0x3c = 1, 0x7b = 57344, 0x7c = inf, 0x01 = 2^-16. E4M3FNUZ (bias 8): 0x40 = 1,
    // 0x7f = 240, 0x80 NaN. E5M2FNUZ (bias 16): 0x40 = 1, 0x01 = 2^-17. E8M0: 0x7f = 1, 0 = 2^-127.
    const uint8_t e5[4] = {0x3c, 0x7b, 0x7c, 0x01};
    HostArray d;
    decodeValues(e5, DataType::kFP8_E5M2, 4, &d);
    EXPECT_EQ(d.f, (std::vector<double>{1, 57344, INFINITY, std::ldexp(1, -16)}));
    const uint8_t e4[3] = {0x40, 0x7f, 0x80};
    decodeValues(e4, DataType::kFP8_E4M3FNUZ, 3, &d);
    EXPECT_EQ(d.f[0], 1.0);
    EXPECT_EQ(d.f[1], 240.0);
    EXPECT_TRUE(std::isnan(d.f[2]));
    const uint8_t e52[2] = {0x40, 0x01};
    decodeValues(e52, DataType::kFP8_E5M2FNUZ, 2, &d);
    EXPECT_EQ(d.f, (std::vector<double>{1, std::ldexp(1, -17)}));
    const uint8_t e8[2] = {0x7f, 0x00};
    decodeValues(e8, DataType::kE8M0, 2, &d);
    EXPECT_EQ(d.f, (std::vector<double>{1, std::ldexp(1, -127)}));
}

TEST(TensorIo, PackedTypesEncodeLowBitsFirst) {
    // int4 [1, -2, 7, -8, 3] -> 0xe1, 0x87, 0x03; uint2 [1, 2, 3, 0, 3] -> 0x39, 0x03; FP4 [0.5, -6, 1] ->
    // nibbles 0x1, 0xf, 0x2 -> 0xf1, 0x02.
    std::vector<uint8_t> bytes;
    std::string error;
    ASSERT_TRUE(encodeValues(ints({1, -2, 7, -8, 3}), DataType::kINT4, &bytes, &error)) << error;
    EXPECT_EQ(bytes, (std::vector<uint8_t>{0xe1, 0x87, 0x03}));
    EXPECT_EQ(roundTrip(ints({1, -2, 7, -8, 3}), DataType::kINT4).i, (std::vector<int64_t>{1, -2, 7, -8, 3}));
    ASSERT_TRUE(encodeValues(ints({1, 2, 3, 0, 3}), DataType::kUINT2, &bytes, &error)) << error;
    EXPECT_EQ(bytes, (std::vector<uint8_t>{0x39, 0x03}));
    ASSERT_TRUE(encodeValues(floats({0.5, -6, 1}), DataType::kFP4, &bytes, &error)) << error;
    EXPECT_EQ(bytes, (std::vector<uint8_t>{0xf1, 0x02}));
    EXPECT_EQ(roundTrip(ints({-2, -1, 0, 1}), DataType::kINT2).i, (std::vector<int64_t>{-2, -1, 0, 1}));
    EXPECT_EQ(roundTrip(ints({0, 15}), DataType::kUINT4).i, (std::vector<int64_t>{0, 15}));
    // Out of range for the type: refused, naming the value and the range.
    EXPECT_FALSE(encodeValues(ints({2}), DataType::kINT2, &bytes, &error));
    EXPECT_NE(error.find("-2..1"), std::string::npos) << error;
}

TEST(TensorIo, IntegersAndBoolsConvertExactly) {
    const HostArray i = roundTrip(ints({-128, 127, 255, 0}), DataType::kINT32);
    EXPECT_EQ(i.i, (std::vector<int64_t>{-128, 127, 255, 0}));
    const HostArray big = roundTrip(ints({std::numeric_limits<int64_t>::min(), (int64_t{1} << 53) + 1}), DataType::kINT64);
    EXPECT_EQ(big.i[0], std::numeric_limits<int64_t>::min());
    EXPECT_EQ(big.i[1], (int64_t{1} << 53) + 1);  // not rounded through a double
    const HostArray b = roundTrip(ints({0, 1, 7}), DataType::kBOOL);
    EXPECT_EQ(b.i, (std::vector<int64_t>{0, 1, 1}));
    std::vector<uint8_t> bytes;
    std::string error;
    EXPECT_FALSE(encodeValues(floats({1.5}), DataType::kINT32, &bytes, &error));
    EXPECT_NE(error.find("1.5"), std::string::npos) << error;
}

class TensorFileTest : public ::testing::Test {
protected:
    std::string write(const kiln::onnx::TensorProto& proto) {
        const auto path = std::filesystem::temp_directory_path() /
                          ("kiln_tensor_io_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                           "_" + std::to_string(mCount++) + ".pb");
        std::ofstream(path, std::ios::binary) << proto.SerializeAsString();
        mPaths.push_back(path);
        return path.string();
    }
    void TearDown() override {
        for (const auto& p : mPaths) std::filesystem::remove(p);
    }
    int mCount{0};
    std::vector<std::filesystem::path> mPaths;
};

TEST_F(TensorFileTest, ReadsRawDataAndTypedFields) {
    kiln::onnx::TensorProto raw;
    raw.set_data_type(kOnnxDouble);
    raw.add_dims(2);
    raw.add_dims(1);
    const double values[2] = {0.1, -3e300};
    raw.set_raw_data(std::string(reinterpret_cast<const char*>(values), sizeof values));
    HostArray a;
    std::string error;
    ASSERT_TRUE(readTensorFile(write(raw), &a, &error)) << error;
    EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 1}));
    EXPECT_TRUE(a.isFloat);
    EXPECT_EQ(a.f, (std::vector<double>{0.1, -3e300}));

    kiln::onnx::TensorProto typed;  // float16 in int32_data holds bit patterns: 0x3c00 = 1, 0xc000 = -2
    typed.set_data_type(kOnnxFloat16);
    typed.add_dims(2);
    typed.add_int32_data(0x3c00);
    typed.add_int32_data(0xc000);
    ASSERT_TRUE(readTensorFile(write(typed), &a, &error)) << error;
    EXPECT_EQ(a.f, (std::vector<double>{1.0, -2.0}));

    kiln::onnx::TensorProto u64;  // uint64 above INT64_MAX keeps its bits
    u64.set_data_type(kOnnxUint64);
    u64.add_uint64_data(~uint64_t{0});
    ASSERT_TRUE(readTensorFile(write(u64), &a, &error)) << error;
    EXPECT_EQ(a.dims.size(), 0u);  // a scalar
    EXPECT_EQ(a.i, (std::vector<int64_t>{-1}));
}

TEST_F(TensorFileTest, ReadsPackedTypesFromRawDataAndInt32Data) {
    kiln::onnx::TensorProto raw;  // int4 [3]: -1, 7, -8 -> 0x7f, 0x08
    raw.set_data_type(kOnnxInt4);
    raw.add_dims(3);
    raw.set_raw_data(std::string("\x7f\x08", 2));
    HostArray a;
    std::string error;
    ASSERT_TRUE(readTensorFile(write(raw), &a, &error)) << error;
    EXPECT_FALSE(a.isFloat);
    EXPECT_EQ(a.i, (std::vector<int64_t>{-1, 7, -8}));

    kiln::onnx::TensorProto typed;  // uint2 [5] with one packed byte per int32_data entry: 0x39, 0x03
    typed.set_data_type(kOnnxUint2);
    typed.add_dims(5);
    typed.add_int32_data(0x39);
    typed.add_int32_data(0x03);
    ASSERT_TRUE(readTensorFile(write(typed), &a, &error)) << error;
    EXPECT_EQ(a.i, (std::vector<int64_t>{1, 2, 3, 0, 3}));

    kiln::onnx::TensorProto fp4;  // FP4 [3]: 0.5, -6, 1
    fp4.set_data_type(kOnnxFloat4E2M1);
    fp4.add_dims(3);
    fp4.set_raw_data(std::string("\xf1\x02", 2));
    ASSERT_TRUE(readTensorFile(write(fp4), &a, &error)) << error;
    EXPECT_TRUE(a.isFloat);
    EXPECT_EQ(a.f, (std::vector<double>{0.5, -6, 1}));

    raw.set_raw_data(std::string(3, '\0'));  // 3 int4 elements need 2 bytes
    EXPECT_FALSE(readTensorFile(write(raw), &a, &error));
    EXPECT_NE(error.find("3 bytes of packed INT4"), std::string::npos) << error;
    EXPECT_NE(error.find("expected 2"), std::string::npos) << error;
}

TEST_F(TensorFileTest, RejectsBadPayloadsWithReasons) {
    kiln::onnx::TensorProto proto;
    proto.set_data_type(kOnnxFloat);
    proto.add_dims(3);
    proto.set_raw_data(std::string(8, '\0'));
    HostArray a;
    std::string error;
    EXPECT_FALSE(readTensorFile(write(proto), &a, &error));
    EXPECT_NE(error.find("raw_data has 8 bytes"), std::string::npos) << error;
    EXPECT_NE(error.find("needs 12"), std::string::npos) << error;

    proto.clear_raw_data();
    proto.set_data_type(kOnnxString);
    EXPECT_FALSE(readTensorFile(write(proto), &a, &error));
    EXPECT_NE(error.find("STRING"), std::string::npos) << error;

    EXPECT_FALSE(readTensorFile("/nonexistent/kiln/input_0.pb", &a, &error));
    EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST(TensorIo, AllCloseFollowsNumpy) {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = INFINITY;
    // |got - want| <= atol + rtol * |want|: 100 +- 0.1 is the edge for rtol 1e-3, atol 0.
    EXPECT_TRUE(compareAllClose(floats({100.1, nan, inf}), floats({100, nan, inf}), 1e-3, 0).ok);
    const Comparison far = compareAllClose(floats({100.2, 1}), floats({100, 1}), 1e-3, 0);
    EXPECT_FALSE(far.ok);
    EXPECT_NE(far.detail.find("1 of 2 elements"), std::string::npos) << far.detail;
    EXPECT_NE(far.detail.find("worst at 0"), std::string::npos) << far.detail;
    EXPECT_FALSE(compareAllClose(floats({nan}), floats({1}), 1e-3, 1e-7).ok);
    EXPECT_FALSE(compareAllClose(floats({-inf}), floats({inf}), 1e-3, 1e-7).ok);
    EXPECT_FALSE(compareAllClose(floats({1e308}), floats({inf}), 1e-3, 1e-7).ok);
    EXPECT_TRUE(compareAllClose(floats({1e-8}), floats({0}), 1e-3, 1e-7).ok);  // atol covers near zero
    EXPECT_FALSE(compareAllClose(ints({1, 2}), ints({1, 3}), 1, 1).ok);        // integers: exact
}

TEST(TensorIo, RelativeL2) {
    // ||(0, 1e-6)|| / ||(3, 4)|| = 2e-7.
    const Comparison c = compareRelL2(floats({3, 4 + 1e-6}), floats({3, 4}), 1e-5);
    EXPECT_TRUE(c.ok) << c.detail;
    EXPECT_NE(c.detail.find("relative L2 error 2e-07"), std::string::npos) << c.detail;
    EXPECT_FALSE(compareRelL2(floats({3, 4.001}), floats({3, 4}), 1e-5).ok);
    EXPECT_FALSE(compareRelL2(floats({3, NAN}), floats({3, 4}), 1e-5).ok);
}

}  // namespace
}  // namespace kiln::conformance
