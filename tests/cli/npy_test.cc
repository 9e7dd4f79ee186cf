// Unit tests of the kiln tool's .npy reader/writer (tools/kiln/npy.cc): files as numpy writes them,
// round trips for every dtype, the writer's layout, and one test per rejected input with its message.
#include "npy.h"

#include <gtest/gtest.h>

#include <cstring>

namespace kiln::tool {
namespace {

/// An .npy image: magic, version, little-endian header length (2 or 4 bytes), header, data.
std::vector<uint8_t> npyImage(int major, const std::string& header, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> b{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
    const size_t lenBytes = major == 1 ? 2 : 4;
    for (size_t i = 0; i < lenBytes; ++i)
        b.push_back(static_cast<uint8_t>((header.size() >> (8 * i)) & 0xff));
    b.insert(b.end(), header.begin(), header.end());
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

/// The header numpy 2.4 writes: the dict, padded with spaces to a 128-byte prefix, then '\n'.
std::string numpyHeader(const std::string& dict, size_t prefix) {
    std::string h = dict;
    h.append(128 - prefix - dict.size() - 1, ' ');
    return h + "\n";
}

std::string parseError(const std::vector<uint8_t>& bytes) {
    NpyArray a;
    std::string error;
    EXPECT_FALSE(parseNpy(bytes.data(), bytes.size(), "t.npy", &a, &error));
    return error;
}

TEST(Npy, ReadsFilesAsNumpyWritesThem) {
    // np.save(f, np.arange(6, dtype='<f4').reshape(2, 3) * 0.5) with numpy 2.4.6, byte for byte.
    const std::vector<uint8_t> f4Data{0, 0, 0,    0,    0, 0, 0, 0x3f, 0, 0, 0x80, 0x3f,
                                      0, 0, 0xc0, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x20, 0x40};
    auto f4 =
        npyImage(1, numpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 10), f4Data);
    NpyArray a;
    std::string error;
    ASSERT_TRUE(parseNpy(f4.data(), f4.size(), "f4.npy", &a, &error)) << error;
    EXPECT_EQ(a.dtype, NpyDType::kFLOAT32);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    float v[6];
    std::memcpy(v, a.data.data(), 24);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(v[i], 0.5f * static_cast<float>(i)) << i;

    // np.lib.format.write_array(f, np.array([[1.0, -2.5]], dtype='<f2'), version=(2, 0)).
    auto f2 = npyImage(2, numpyHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }", 12),
                       {0x00, 0x3c, 0x00, 0xc1});
    ASSERT_TRUE(parseNpy(f2.data(), f2.size(), "f2.npy", &a, &error)) << error;
    EXPECT_EQ(a.dtype, NpyDType::kFLOAT16);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(a.data, (std::vector<uint8_t>{0x00, 0x3c, 0x00, 0xc1}));

    // Version 3.0 (utf-8 header), uint8 1-d; an int64 scalar; a bool vector.
    auto u1 = npyImage(3, numpyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", 12),
                       {1, 2, 255});
    ASSERT_TRUE(parseNpy(u1.data(), u1.size(), "u1.npy", &a, &error)) << error;
    EXPECT_EQ(a.dtype, NpyDType::kUINT8);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
    auto i8 = npyImage(1, numpyHeader("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", 10),
                       {0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    ASSERT_TRUE(parseNpy(i8.data(), i8.size(), "i8.npy", &a, &error)) << error;
    EXPECT_EQ(a.dtype, NpyDType::kINT64);
    EXPECT_TRUE(a.shape.empty());
    EXPECT_EQ(a.elementCount(), 1);
    int64_t scalar;
    std::memcpy(&scalar, a.data.data(), 8);
    EXPECT_EQ(scalar, -7);
    auto b1 =
        npyImage(1, numpyHeader("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", 10), {1, 0, 1});
    ASSERT_TRUE(parseNpy(b1.data(), b1.size(), "b1.npy", &a, &error)) << error;
    EXPECT_EQ(a.dtype, NpyDType::kBOOL);
    EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 0, 1}));
}

TEST(Npy, AcceptsKeysInAnyOrderAndExtraSpaces) {
    auto bytes = npyImage(1, "{ \"shape\" : ( 2 , ) , 'fortran_order':False,'descr':'<i4' }\n",
                          std::vector<uint8_t>(8, 0));
    NpyArray a;
    std::string error;
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), "t.npy", &a, &error)) << error;
    EXPECT_EQ(a.dtype, NpyDType::kINT32);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2}));
}

TEST(Npy, RoundTripsEveryDtypeAndShape) {
    const NpyDType all[] = {NpyDType::kFLOAT32, NpyDType::kFLOAT16, NpyDType::kINT32, NpyDType::kINT64,
                            NpyDType::kINT8,    NpyDType::kUINT8,   NpyDType::kBOOL,  NpyDType::kUINT16};
    const std::vector<std::vector<int64_t>> shapes{{},           {7},       {3, 5},
                                                   {1, 3, 7, 5}, {2, 0, 3}, {1, 1, 1, 1, 1, 1, 1, 2}};
    for (NpyDType t : all)
        for (const auto& shape : shapes) {
            NpyArray in;
            in.dtype = t;
            in.shape = shape;
            in.data.resize(static_cast<size_t>(in.elementCount() * npyItemSize(t)));
            for (size_t i = 0; i < in.data.size(); ++i)
                in.data[i] = static_cast<uint8_t>(t == NpyDType::kBOOL ? i % 2 : i * 37 + 11);
            std::vector<uint8_t> bytes;
            std::string error;
            ASSERT_TRUE(encodeNpy(in, &bytes, &error)) << error;
            // numpy's layout: version 1.0, the data starts at a multiple of 64, the header ends with '\n'.
            const size_t headerLen = bytes[8] | (bytes[9] << 8);
            EXPECT_EQ(bytes[6], 1);
            EXPECT_EQ((10 + headerLen) % 64, 0u) << npyDescr(t);
            EXPECT_EQ(bytes[10 + headerLen - 1], '\n');
            NpyArray out;
            ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), "rt.npy", &out, &error)) << error;
            EXPECT_EQ(out.dtype, t) << npyDescr(t);
            EXPECT_EQ(out.shape, shape) << npyDescr(t);
            EXPECT_EQ(out.data, in.data) << npyDescr(t);
        }
}

TEST(Npy, WritesNumpysHeaderText) {
    NpyArray a;
    a.dtype = NpyDType::kFLOAT32;
    a.shape = {3};
    a.data.resize(12);
    std::vector<uint8_t> bytes;
    std::string error;
    ASSERT_TRUE(encodeNpy(a, &bytes, &error)) << error;
    const std::string header(bytes.begin() + 10, bytes.end() - 12);
    EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 0), 0u) << header;
    a.data.resize(8);
    EXPECT_FALSE(encodeNpy(a, &bytes, &error));
    EXPECT_NE(error.find("needs 12"), std::string::npos) << error;
}

TEST(Npy, RejectsWhatItCannotRead) {
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
    const std::vector<uint8_t> data(8, 0);
    EXPECT_NE(parseError({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}).find("t.npy: not an .npy file"),
              std::string::npos);
    auto v4 = npyImage(1, dict, data);
    v4[6] = 4;
    EXPECT_NE(parseError(v4).find("unsupported .npy format version 4.0"), std::string::npos);
    EXPECT_NE(parseError(npyImage(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", data))
                  .find("t.npy: the array is stored in Fortran"),
              std::string::npos);
    EXPECT_NE(parseError(npyImage(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", data))
                  .find("big-endian"),
              std::string::npos);
    EXPECT_NE(parseError(npyImage(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", data))
                  .find("float64"),
              std::string::npos);
    EXPECT_NE(parseError(npyImage(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", data))
                  .find("'|O' is not supported"),
              std::string::npos);
    EXPECT_NE(
        parseError(npyImage(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", data))
            .find("structured"),
        std::string::npos);
    EXPECT_NE(parseError(npyImage(1, "{'descr': '<f4', 'shape': (2,), }\n", data))
                  .find("must hold 'descr', 'fortran_order' and 'shape'"),
              std::string::npos);
    EXPECT_NE(parseError(npyImage(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,-1), }\n", data))
                  .find("malformed header"),
              std::string::npos);
    EXPECT_NE(parseError(npyImage(1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }\n", data))
                  .find("expected True or False"),
              std::string::npos);
    EXPECT_NE(
        parseError(
            npyImage(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }\n", data))
            .find("rank 9"),
        std::string::npos);
    EXPECT_NE(parseError(npyImage(1, dict, {0, 0, 0}))
                  .find("truncated: shape (2,) of float32 needs 8 data bytes, the file holds 3"),
              std::string::npos);
    EXPECT_NE(parseError(npyImage(1, dict, std::vector<uint8_t>(9, 0))).find("1 bytes after the data"),
              std::string::npos);
    auto shortHeader = npyImage(1, dict, data);
    shortHeader.resize(20);
    EXPECT_NE(parseError(shortHeader).find("truncated"), std::string::npos);
}

TEST(Npy, ReadNpyReportsMissingFilesAndDirectories) {
    NpyArray a;
    std::string error;
    EXPECT_FALSE(readNpy("/nonexistent/dir/x.npy", &a, &error));
    EXPECT_NE(error.find("cannot open '/nonexistent/dir/x.npy'"), std::string::npos) << error;
    EXPECT_FALSE(readNpy("/", &a, &error));
    EXPECT_NE(error.find("is a directory"), std::string::npos) << error;
}

TEST(Npy, KilnTypesMapToDtypesWithANoteForRawBits) {
    std::string note;
    EXPECT_EQ(npyTypeFor(DataType::kFLOAT, &note), NpyDType::kFLOAT32);
    EXPECT_TRUE(note.empty());
    EXPECT_EQ(npyTypeFor(DataType::kHALF), NpyDType::kFLOAT16);
    EXPECT_EQ(npyTypeFor(DataType::kINT8), NpyDType::kINT8);
    EXPECT_EQ(npyTypeFor(DataType::kINT32), NpyDType::kINT32);
    EXPECT_EQ(npyTypeFor(DataType::kINT64), NpyDType::kINT64);
    EXPECT_EQ(npyTypeFor(DataType::kUINT8), NpyDType::kUINT8);
    EXPECT_EQ(npyTypeFor(DataType::kBOOL), NpyDType::kBOOL);
    EXPECT_EQ(npyTypeFor(DataType::kBF16, &note), NpyDType::kUINT16);
    EXPECT_NE(note.find("raw bits (uint16)"), std::string::npos) << note;
    EXPECT_EQ(npyTypeFor(DataType::kFP8, &note), NpyDType::kUINT8);
    EXPECT_NE(note.find("raw bits (uint8)"), std::string::npos) << note;
    EXPECT_EQ(npyTypeFor(DataType::kFP8_E5M2, &note), NpyDType::kUINT8);
    EXPECT_NE(note.find("ml_dtypes.float8_e5m2"), std::string::npos) << note;
    EXPECT_EQ(npyTypeFor(DataType::kE8M0, &note), NpyDType::kUINT8);
    EXPECT_NE(note.find("raw bits (uint8)"), std::string::npos) << note;
    // The packed types are written one element per byte.
    EXPECT_EQ(npyTypeFor(DataType::kINT4, &note), NpyDType::kINT8);
    EXPECT_NE(note.find("unpacked"), std::string::npos) << note;
    EXPECT_EQ(npyTypeFor(DataType::kUINT2, &note), NpyDType::kUINT8);
    EXPECT_EQ(npyTypeFor(DataType::kFP4, &note), NpyDType::kUINT8);
    EXPECT_NE(note.find("4-bit code"), std::string::npos) << note;
}

}  // namespace
}  // namespace kiln::tool
