// The storage side of the data types: storageBytes / dataTypeBits / dataTypeSize for every DataType
// (packed sub-byte types round up to whole bytes), the packed element layout (element 0 in the lowest
// bits, as ONNX and TensorRT), element loads and stores through TensorRef's helpers for the 4- and 2-bit
// integers and FP4, and HostTensor / TensorRef sizing. Expected bytes are written out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/host_tensor.h"
#include "common/tensor_ref.h"

namespace kiln {
namespace {

TEST(StorageBytes, EveryTypeAtOddCounts) {
    struct Row {
        DataType type;
        int32_t bits;
        int64_t size;       // dataTypeSize: 0 for the packed types
        int64_t bytesFor7;  // storageBytes(type, 7)
        int64_t bytesFor1;  // storageBytes(type, 1)
    };
    const Row rows[] = {
        {DataType::kFLOAT, 32, 4, 28, 4},      {DataType::kHALF, 16, 2, 14, 2},
        {DataType::kINT8, 8, 1, 7, 1},         {DataType::kINT32, 32, 4, 28, 4},
        {DataType::kBOOL, 8, 1, 7, 1},         {DataType::kUINT8, 8, 1, 7, 1},
        {DataType::kFP8, 8, 1, 7, 1},          {DataType::kBF16, 16, 2, 14, 2},
        {DataType::kINT64, 64, 8, 56, 8},      {DataType::kINT4, 4, 0, 4, 1},
        {DataType::kFP4, 4, 0, 4, 1},          {DataType::kE8M0, 8, 1, 7, 1},
        {DataType::kFP8_E5M2, 8, 1, 7, 1},     {DataType::kFP8_E4M3FNUZ, 8, 1, 7, 1},
        {DataType::kFP8_E5M2FNUZ, 8, 1, 7, 1}, {DataType::kUINT4, 4, 0, 4, 1},
        {DataType::kINT2, 2, 0, 2, 1},         {DataType::kUINT2, 2, 0, 2, 1},
    };
    ASSERT_EQ(static_cast<int32_t>(std::size(rows)), kNB_DATA_TYPES);
    for (const Row& r : rows) {
        SCOPED_TRACE(dataTypeName(r.type));
        EXPECT_EQ(dataTypeBits(r.type), r.bits);
        EXPECT_EQ(dataTypeSize(r.type), r.size);
        EXPECT_EQ(storageBytes(r.type, 7), r.bytesFor7);
        EXPECT_EQ(storageBytes(r.type, 1), r.bytesFor1);
        EXPECT_EQ(storageBytes(r.type, 0), 0);
        EXPECT_EQ(storageBytes(r.type, -1), 0);  // an unknown volume
        EXPECT_EQ(isPackedType(r.type), r.size == 0);
    }
    // Exact multiples and one past them.
    EXPECT_EQ(storageBytes(DataType::kINT4, 8), 4);
    EXPECT_EQ(storageBytes(DataType::kINT4, 9), 5);
    EXPECT_EQ(storageBytes(DataType::kUINT2, 8), 2);
    EXPECT_EQ(storageBytes(DataType::kUINT2, 9), 3);
    EXPECT_EQ(storageBytes(DataType::kINT2, 4097), 1025);
    EXPECT_EQ(elementsPerByte(DataType::kFP4), 2);
    EXPECT_EQ(elementsPerByte(DataType::kINT2), 4);
    EXPECT_EQ(elementsPerByte(DataType::kFLOAT), 1);
}

TEST(StorageBytes, NamesOfTheNewTypes) {
    EXPECT_STREQ(dataTypeName(DataType::kINT4), "int4");
    EXPECT_STREQ(dataTypeName(DataType::kUINT4), "uint4");
    EXPECT_STREQ(dataTypeName(DataType::kINT2), "int2");
    EXPECT_STREQ(dataTypeName(DataType::kUINT2), "uint2");
    EXPECT_STREQ(dataTypeName(DataType::kFP4), "float4_e2m1fn");
    EXPECT_STREQ(dataTypeName(DataType::kE8M0), "float8_e8m0fnu");
    EXPECT_STREQ(dataTypeName(DataType::kFP8_E5M2), "float8_e5m2");
    EXPECT_STREQ(dataTypeName(DataType::kFP8_E4M3FNUZ), "float8_e4m3fnuz");
    EXPECT_STREQ(dataTypeName(DataType::kFP8_E5M2FNUZ), "float8_e5m2fnuz");
    // TensorRT's numbers where TensorRT has the type; Kiln's after them.
    EXPECT_EQ(static_cast<int32_t>(DataType::kINT4), 9);
    EXPECT_EQ(static_cast<int32_t>(DataType::kFP4), 10);
    EXPECT_EQ(static_cast<int32_t>(DataType::kE8M0), 11);
    EXPECT_EQ(static_cast<int32_t>(DataType::kUINT2), kNB_DATA_TYPES - 1);
}

TEST(PackedElements, Int4LayoutLowNibbleFirst) {
    // int4 [1, -2, 7, -8, 3]: nibbles 0x1, 0xe, 0x7, 0x8, 0x3 -> bytes 0xe1, 0x87, 0x03 (last one padded).
    HostTensor h(DataType::kINT4, makeDims({5}));
    ASSERT_EQ(h.bytes.size(), 3u);
    const std::vector<int64_t> v{1, -2, 7, -8, 3};
    for (int64_t i = 0; i < 5; ++i) h.setInt(i, v[static_cast<size_t>(i)]);
    EXPECT_EQ(h.bytes, (std::vector<uint8_t>{0xe1, 0x87, 0x03}));
    for (int64_t i = 0; i < 5; ++i) {
        EXPECT_EQ(h.atInt(i), v[static_cast<size_t>(i)]) << i;
        EXPECT_EQ(h.at(i), static_cast<double>(v[static_cast<size_t>(i)])) << i;
    }
    // Rewriting one element leaves its byte-mate alone.
    h.setInt(1, 5);
    EXPECT_EQ(h.bytes[0], 0x51);
    EXPECT_EQ(h.atInt(0), 1);
}

TEST(PackedElements, Uint2AndInt2FourPerByte) {
    // uint2 [1, 2, 3, 0, 3]: 1 | 2<<2 | 3<<4 | 0<<6 = 0x39, then 0x03.
    HostTensor u(DataType::kUINT2, makeDims({5}));
    const std::vector<int64_t> uv{1, 2, 3, 0, 3};
    for (int64_t i = 0; i < 5; ++i) u.setInt(i, uv[static_cast<size_t>(i)]);
    EXPECT_EQ(u.bytes, (std::vector<uint8_t>{0x39, 0x03}));
    // int2 [-2, -1, 0, 1]: fields 2, 3, 0, 1 -> 2 | 3<<2 | 0<<4 | 1<<6 = 0x4e.
    HostTensor s(DataType::kINT2, makeDims({4}));
    const std::vector<int64_t> sv{-2, -1, 0, 1};
    for (int64_t i = 0; i < 4; ++i) s.setInt(i, sv[static_cast<size_t>(i)]);
    EXPECT_EQ(s.bytes, (std::vector<uint8_t>{0x4e}));
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(s.atInt(i), sv[static_cast<size_t>(i)]) << i;
}

TEST(PackedElements, IntegerStoresWrapFromIntegersAndSaturateFromDoubles) {
    HostTensor h(DataType::kINT4, makeDims({4}));
    h.setInt(0, 8);    // low four bits 1000: -8
    h.setInt(1, -9);   // ...10111: 7
    h.setInt(2, 100);  // 0x64: 4
    h.setInt(3, 15);   // 1111: -1
    EXPECT_EQ(h.atInt(0), -8);
    EXPECT_EQ(h.atInt(1), 7);
    EXPECT_EQ(h.atInt(2), 4);
    EXPECT_EQ(h.atInt(3), -1);
    h.set(0, 100.7);  // storeFromDouble truncates and saturates, as for int8
    h.set(1, -9.5);
    h.set(2, NAN);
    h.set(3, -3.9);
    EXPECT_EQ(h.atInt(0), 7);
    EXPECT_EQ(h.atInt(1), -8);
    EXPECT_EQ(h.atInt(2), 0);
    EXPECT_EQ(h.atInt(3), -3);
    HostTensor u(DataType::kUINT2, makeDims({3}));
    u.set(0, 9.0);
    u.set(1, -1.0);
    u.setInt(2, 6);  // 110: 2
    EXPECT_EQ(u.atInt(0), 3);
    EXPECT_EQ(u.atInt(1), 0);
    EXPECT_EQ(u.atInt(2), 2);
}

TEST(PackedElements, Fp4Codes) {
    // FP4 E2M1 nibble s.ee.m: 0x1 = 0.5 (subnormal), 0x2 = 1, 0x3 = 1.5, 0x7 = 6, 0xa = -1.
    HostTensor h(DataType::kFP4, makeDims({3}));
    h.bytes = {0x21, 0xa7};  // elements 0.5, 1, 6, -1 (only three are read)
    EXPECT_EQ(h.at(0), 0.5);
    EXPECT_EQ(h.at(1), 1.0);
    EXPECT_EQ(h.at(2), 6.0);
    h.set(0, 3.0);  // code 0x5
    EXPECT_EQ(h.bytes[0], 0x25);
    h.set(2, -2.0);  // code 0xc, low nibble of byte 1, high nibble kept
    EXPECT_EQ(h.bytes[1], 0xac);
}

TEST(PackedElements, TensorRefAndHostTensorSizes) {
    HostTensor h(DataType::kUINT4, makeDims({3, 5}));
    EXPECT_EQ(h.bytes.size(), 8u);  // 15 nibbles
    EXPECT_EQ(h.ref().bytes(), 8);
    HostTensor e(DataType::kE8M0, makeDims({3}));
    EXPECT_EQ(e.ref().bytes(), 3);
    HostTensor two(DataType::kINT2, makeDims({0, 7}));
    EXPECT_EQ(two.ref().bytes(), 0);
}

TEST(TypeClasses, NewTypesAreStorageOnly) {
    for (DataType t :
         {DataType::kINT4, DataType::kUINT4, DataType::kINT2, DataType::kUINT2, DataType::kFP4,
          DataType::kE8M0, DataType::kFP8_E5M2, DataType::kFP8_E4M3FNUZ, DataType::kFP8_E5M2FNUZ})
        EXPECT_TRUE(isStorageOnlyType(t)) << dataTypeName(t);
    for (DataType t : {DataType::kFLOAT, DataType::kHALF, DataType::kBF16, DataType::kFP8, DataType::kINT8,
                       DataType::kUINT8, DataType::kINT32, DataType::kINT64, DataType::kBOOL})
        EXPECT_FALSE(isStorageOnlyType(t)) << dataTypeName(t);
    EXPECT_TRUE(isIntegerType(DataType::kINT4));
    EXPECT_TRUE(isIntegerType(DataType::kUINT2));
    EXPECT_TRUE(isFloatType(DataType::kFP4));
    EXPECT_TRUE(isFloatType(DataType::kE8M0));
    EXPECT_FALSE(isFloatType(DataType::kINT4));
}

}  // namespace
}  // namespace kiln
