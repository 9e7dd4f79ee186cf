// .npy reader and writer (see npy.h). The header is a Python dict literal; it is parsed with a small
// recursive-descent parser that accepts exactly the literal forms numpy writes (strings, True/False,
// tuples of integers) in any key order, so a hand-edited header still reads.
#include "npy.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace kiln::tool {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DescrEntry {
    const char* descr;
    NpyDType dtype;
};

// Every spelling accepted on read. '<' is little-endian, '|' "not applicable" (one byte), '=' native,
// which is little-endian on every machine Kiln runs on.
constexpr DescrEntry kAccepted[] = {
    {"<f4", NpyDType::kFLOAT32}, {"=f4", NpyDType::kFLOAT32}, {"<f2", NpyDType::kFLOAT16},
    {"=f2", NpyDType::kFLOAT16}, {"<i4", NpyDType::kINT32},   {"=i4", NpyDType::kINT32},
    {"<i8", NpyDType::kINT64},   {"=i8", NpyDType::kINT64},   {"|i1", NpyDType::kINT8},
    {"<i1", NpyDType::kINT8},    {"=i1", NpyDType::kINT8},    {"|u1", NpyDType::kUINT8},
    {"<u1", NpyDType::kUINT8},   {"=u1", NpyDType::kUINT8},   {"|b1", NpyDType::kBOOL},
    {"<b1", NpyDType::kBOOL},    {"=b1", NpyDType::kBOOL},    {"<u2", NpyDType::kUINT16},
    {"=u2", NpyDType::kUINT16},
};

constexpr const char* kSupportedList = "<f4 <f2 <i4 <i8 |i1 |u1 |b1 (and <u2 for raw bfloat16)";

/// The parsed header dict.
struct Header {
    std::string descr;
    bool haveDescr{false};
    bool fortranOrder{false};
    bool haveFortran{false};
    std::vector<int64_t> shape;
    bool haveShape{false};
};

/// Parser over the header text; every failure sets mError and returns false.
class HeaderParser {
public:
    explicit HeaderParser(const std::string& text) : mText(text) {}

    bool parse(Header* h) {
        skipSpace();
        if (!expect('{')) return false;
        for (;;) {
            skipSpace();
            if (peek() == '}') {
                ++mPos;
                break;
            }
            std::string key;
            if (!parseString(&key)) return false;
            skipSpace();
            if (!expect(':')) return false;
            skipSpace();
            if (key == "descr") {
                if (peek() == '[') return fail("'descr' is a list: structured dtypes are not supported");
                if (!parseString(&h->descr)) return false;
                h->haveDescr = true;
            } else if (key == "fortran_order") {
                if (!parseBool(&h->fortranOrder)) return false;
                h->haveFortran = true;
            } else if (key == "shape") {
                if (!parseTuple(&h->shape)) return false;
                h->haveShape = true;
            } else {
                return fail("unexpected header key '" + key + "' (expected descr, fortran_order, shape)");
            }
            skipSpace();
            if (peek() == ',') {
                ++mPos;
                continue;
            }
            if (peek() == '}') continue;
            return fail("expected ',' or '}' after the value of '" + key + "'");
        }
        skipSpace();
        if (mPos != mText.size()) return fail("unexpected text after the header dict");
        return true;
    }
    const std::string& error() const { return mError; }

private:
    char peek() const { return mPos < mText.size() ? mText[mPos] : '\0'; }
    void skipSpace() {
        while (mPos < mText.size() &&
               (mText[mPos] == ' ' || mText[mPos] == '\n' || mText[mPos] == '\t' || mText[mPos] == '\r'))
            ++mPos;
    }
    bool fail(const std::string& what) {
        mError =
            "malformed header: " + what + " (at offset " + std::to_string(mPos) + " of \"" + mText + "\")";
        return false;
    }
    bool expect(char c) {
        if (peek() != c) return fail(std::string("expected '") + c + "'");
        ++mPos;
        return true;
    }
    bool parseString(std::string* out) {
        const char quote = peek();
        if (quote != '\'' && quote != '"') return fail("expected a quoted string");
        const size_t end = mText.find(quote, mPos + 1);
        if (end == std::string::npos) return fail("unterminated string");
        *out = mText.substr(mPos + 1, end - mPos - 1);
        mPos = end + 1;
        return true;
    }
    bool parseBool(bool* out) {
        if (mText.compare(mPos, 4, "True") == 0) {
            *out = true;
            mPos += 4;
            return true;
        }
        if (mText.compare(mPos, 5, "False") == 0) {
            *out = false;
            mPos += 5;
            return true;
        }
        return fail("expected True or False");
    }
    bool parseTuple(std::vector<int64_t>* out) {
        if (!expect('(')) return false;
        for (;;) {
            skipSpace();
            if (peek() == ')') {
                ++mPos;
                return true;
            }
            const size_t start = mPos;
            while (mPos < mText.size() && mText[mPos] >= '0' && mText[mPos] <= '9') ++mPos;
            // numpy 1.x wrote Python 2 longs as "3L" in old files.
            const std::string digits = mText.substr(start, mPos - start);
            if (peek() == 'L') ++mPos;
            if (digits.empty()) return fail("expected a non-negative integer in 'shape'");
            if (digits.size() > 15) return fail("dimension " + digits + " in 'shape' is too large");
            out->push_back(std::stoll(digits));
            skipSpace();
            if (peek() == ',') {
                ++mPos;
                continue;
            }
            if (peek() != ')') return fail("expected ',' or ')' in 'shape'");
        }
    }

    const std::string& mText;
    size_t mPos{0};
    std::string mError;
};

bool lookupDescr(const std::string& descr, NpyDType* out) {
    for (const DescrEntry& e : kAccepted)
        if (descr == e.descr) {
            *out = e.dtype;
            return true;
        }
    return false;
}

std::string explainUnsupported(const std::string& descr) {
    if (!descr.empty() && descr[0] == '>')
        return "dtype '" + descr +
               "' is big-endian; save the array as little-endian (arr.astype(arr.dtype.newbyteorder('<')))";
    std::string hint;
    if (descr == "<f8" || descr == "=f8") hint = " (float64: convert with arr.astype(np.float32))";
    return "dtype '" + descr + "' is not supported" + hint + "; supported: " + kSupportedList;
}

uint64_t readLittle(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    if (shape.size() == 1) s += ",";
    return s + ")";
}

}  // namespace

int64_t NpyArray::elementCount() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

const char* npyDescr(NpyDType dtype) {
    switch (dtype) {
        case NpyDType::kFLOAT32:
            return "<f4";
        case NpyDType::kFLOAT16:
            return "<f2";
        case NpyDType::kINT32:
            return "<i4";
        case NpyDType::kINT64:
            return "<i8";
        case NpyDType::kINT8:
            return "|i1";
        case NpyDType::kUINT8:
            return "|u1";
        case NpyDType::kBOOL:
            return "|b1";
        case NpyDType::kUINT16:
            return "<u2";
    }
    return "?";
}

const char* npyTypeName(NpyDType dtype) {
    switch (dtype) {
        case NpyDType::kFLOAT32:
            return "float32";
        case NpyDType::kFLOAT16:
            return "float16";
        case NpyDType::kINT32:
            return "int32";
        case NpyDType::kINT64:
            return "int64";
        case NpyDType::kINT8:
            return "int8";
        case NpyDType::kUINT8:
            return "uint8";
        case NpyDType::kBOOL:
            return "bool";
        case NpyDType::kUINT16:
            return "uint16";
    }
    return "unknown";
}

int64_t npyItemSize(NpyDType dtype) {
    switch (dtype) {
        case NpyDType::kFLOAT32:
        case NpyDType::kINT32:
            return 4;
        case NpyDType::kINT64:
            return 8;
        case NpyDType::kFLOAT16:
        case NpyDType::kUINT16:
            return 2;
        case NpyDType::kINT8:
        case NpyDType::kUINT8:
        case NpyDType::kBOOL:
            return 1;
    }
    return 0;
}

bool parseNpy(const uint8_t* bytes, size_t size, const std::string& source, NpyArray* out,
              std::string* error) {
    auto fail = [&](const std::string& what) {
        *error = source + ": " + what;
        return false;
    };
    if (size < kMagicSize + 2 || std::memcmp(bytes, kMagic, kMagicSize) != 0)
        return fail("not an .npy file (it does not start with the \\x93NUMPY magic)");
    const int major = bytes[6], minor = bytes[7];
    size_t lenBytes = 0;
    if (major == 1 && minor == 0)
        lenBytes = 2;
    else if ((major == 2 || major == 3) && minor == 0)
        lenBytes = 4;
    else
        return fail("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                    " (supported: 1.0, 2.0, 3.0)");
    if (size < kMagicSize + 2 + lenBytes) return fail("truncated: the file ends inside the header length");
    const uint64_t headerLen = readLittle(bytes + kMagicSize + 2, static_cast<int>(lenBytes));
    const size_t dataStart = kMagicSize + 2 + lenBytes + headerLen;
    if (headerLen > size || dataStart > size)
        return fail("truncated: the header claims " + std::to_string(headerLen) + " bytes but the file has " +
                    std::to_string(size));
    const std::string text(reinterpret_cast<const char*>(bytes) + kMagicSize + 2 + lenBytes, headerLen);

    Header h;
    HeaderParser parser(text);
    if (!parser.parse(&h)) return fail(parser.error());
    if (!h.haveDescr || !h.haveFortran || !h.haveShape)
        return fail("malformed header: it must hold 'descr', 'fortran_order' and 'shape' (got \"" + text +
                    "\")");
    NpyDType dtype;
    if (!lookupDescr(h.descr, &dtype)) return fail(explainUnsupported(h.descr));
    if (h.fortranOrder)
        return fail(
            "the array is stored in Fortran (column-major) order; only C order is supported: save "
            "np.ascontiguousarray(arr)");
    if (h.shape.size() > static_cast<size_t>(kMAX_DIMS))
        return fail("rank " + std::to_string(h.shape.size()) + " " + shapeText(h.shape) +
                    " exceeds Kiln's maximum rank " + std::to_string(kMAX_DIMS));
    // Element count with an overflow check: the shape comes from the file.
    uint64_t count = 1;
    for (int64_t d : h.shape) {
        if (d != 0 && count > std::numeric_limits<uint64_t>::max() / 16 / static_cast<uint64_t>(d))
            return fail("shape " + shapeText(h.shape) + " is too large");
        count *= static_cast<uint64_t>(d);
    }
    const uint64_t dataBytes = count * static_cast<uint64_t>(npyItemSize(dtype));
    const uint64_t available = size - dataStart;
    if (available < dataBytes)
        return fail("truncated: shape " + shapeText(h.shape) + " of " + npyTypeName(dtype) + " needs " +
                    std::to_string(dataBytes) + " data bytes, the file holds " + std::to_string(available));
    if (available > dataBytes)
        return fail("the file has " + std::to_string(available - dataBytes) +
                    " bytes after the data of shape " + shapeText(h.shape) + " " + npyTypeName(dtype) +
                    " (not a single .npy array? .npz archives are not supported)");
    out->dtype = dtype;
    out->shape = h.shape;
    out->data.assign(bytes + dataStart, bytes + dataStart + dataBytes);
    return true;
}

bool readNpy(const std::string& path, NpyArray* out, std::string* error) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        *error = "cannot read '" + path + "': it is a directory, not an .npy file";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = "cannot open '" + path + "': " + std::strerror(errno);
        return false;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        *error = "cannot read '" + path + "': " + std::strerror(errno);
        return false;
    }
    return parseNpy(bytes.data(), bytes.size(), path, out, error);
}

bool encodeNpy(const NpyArray& array, std::vector<uint8_t>* out, std::string* error) {
    const int64_t expected = array.elementCount() * npyItemSize(array.dtype);
    if (static_cast<int64_t>(array.data.size()) != expected) {
        *error = "internal: array data holds " + std::to_string(array.data.size()) + " bytes, shape " +
                 shapeText(array.shape) + " of " + npyTypeName(array.dtype) + " needs " +
                 std::to_string(expected);
        return false;
    }
    std::string dict = std::string("{'descr': '") + npyDescr(array.dtype) +
                       "', 'fortran_order': False, 'shape': " + shapeText(array.shape) + ", }";
    // Pad with spaces and end with '\n' so that the data starts at a multiple of 64 bytes (numpy's layout).
    size_t lenBytes = 2;
    int major = 1;
    size_t total = kMagicSize + 2 + lenBytes + dict.size() + 1;
    if (total - kMagicSize - 2 - lenBytes > 65535) {
        lenBytes = 4;
        major = 2;
        total = kMagicSize + 2 + lenBytes + dict.size() + 1;
    }
    const size_t padded = (total + 63) / 64 * 64;
    dict.append(padded - total, ' ');
    dict.push_back('\n');
    out->clear();
    out->reserve(padded + array.data.size());
    out->insert(out->end(), kMagic, kMagic + kMagicSize);
    out->push_back(static_cast<uint8_t>(major));
    out->push_back(0);
    for (size_t i = 0; i < lenBytes; ++i)
        out->push_back(static_cast<uint8_t>((dict.size() >> (8 * i)) & 0xffu));
    out->insert(out->end(), dict.begin(), dict.end());
    out->insert(out->end(), array.data.begin(), array.data.end());
    return true;
}

bool writeNpy(const std::string& path, const NpyArray& array, std::string* error) {
    std::vector<uint8_t> bytes;
    if (!encodeNpy(array, &bytes, error)) return false;
    std::ofstream outFile(path, std::ios::binary | std::ios::trunc);
    if (!outFile) {
        *error = "cannot write '" + path + "': " + std::strerror(errno);
        return false;
    }
    outFile.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    outFile.close();
    if (!outFile) {
        *error = "writing '" + path + "' failed (disk full?)";
        return false;
    }
    return true;
}

NpyDType npyTypeFor(DataType type, std::string* note) {
    if (note) note->clear();
    switch (type) {
        case DataType::kFLOAT:
            return NpyDType::kFLOAT32;
        case DataType::kHALF:
            return NpyDType::kFLOAT16;
        case DataType::kINT8:
            return NpyDType::kINT8;
        case DataType::kINT32:
            return NpyDType::kINT32;
        case DataType::kBOOL:
            return NpyDType::kBOOL;
        case DataType::kUINT8:
            return NpyDType::kUINT8;
        case DataType::kINT64:
            return NpyDType::kINT64;
        case DataType::kBF16:
            if (note)
                *note =
                    "bfloat16 has no numpy dtype: stored as the raw bits (uint16); view with "
                    "ml_dtypes.bfloat16";
            return NpyDType::kUINT16;
        case DataType::kFP8:
            if (note)
                *note =
                    "float8_e4m3 has no numpy dtype: stored as the raw bits (uint8); view with "
                    "ml_dtypes.float8_e4m3fn";
            return NpyDType::kUINT8;
        case DataType::kFP8_E5M2:
        case DataType::kFP8_E4M3FNUZ:
        case DataType::kFP8_E5M2FNUZ:
        case DataType::kE8M0:
            if (note)
                *note = std::string(dataTypeName(type)) +
                        " has no numpy dtype: stored as the raw bits (uint8); view with ml_dtypes." +
                        dataTypeName(type);
            return NpyDType::kUINT8;
        case DataType::kINT4:
        case DataType::kINT2:
            if (note)
                *note = std::string(dataTypeName(type)) +
                        " has no numpy dtype: stored unpacked, one value per int8 (Kiln packs it in memory)";
            return NpyDType::kINT8;
        case DataType::kUINT4:
        case DataType::kUINT2:
            if (note)
                *note = std::string(dataTypeName(type)) +
                        " has no numpy dtype: stored unpacked, one value per uint8 (Kiln packs it in memory)";
            return NpyDType::kUINT8;
        case DataType::kFP4:
            if (note)
                *note =
                    "float4_e2m1fn has no numpy dtype: stored unpacked, one 4-bit code per uint8; view with "
                    "ml_dtypes.float4_e2m1fn after .astype";
            return NpyDType::kUINT8;
    }
    return NpyDType::kUINT8;
}

}  // namespace kiln::tool
