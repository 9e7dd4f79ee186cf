// TensorProto decoding (see tensor_proto.h). Every size is checked before it is used: the element count
// against overflow, the payload against the count, external data against the file, so a truncated or
// hostile model fails with a message instead of reading out of bounds.
#include "onnx/tensor_proto.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace kiln::onnx {

namespace {

constexpr int32_t kUndefined = TensorProto::UNDEFINED;

std::string tensorLabel(const TensorProto& t) {
    return "tensor '" + t.name() + "'";
}

/// Widens `count` little-endian integers of type T at `p` into `dst` of Kiln type `type`.
template <class T>
void widenIntegers(const uint8_t* p, int64_t count, DataType type, uint8_t* dst) {
    for (int64_t i = 0; i < count; ++i) {
        T v;
        std::memcpy(&v, p + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
        storeFromInt64(type, dst, i, static_cast<int64_t>(v));
    }
}

/// Reads `count` elements of ONNX type `src` laid out little-endian at `p` into `dst` of Kiln type `type`.
Status convertRaw(int32_t src, const uint8_t* p, int64_t count, DataType type, uint8_t* dst,
                  const std::string& what) {
    switch (src) {
        case TensorProto::FLOAT:
        case TensorProto::FLOAT16:
        case TensorProto::BFLOAT16:
        case TensorProto::INT8:
        case TensorProto::UINT8:
        case TensorProto::INT32:
        case TensorProto::INT64:
        case TensorProto::FLOAT8E4M3FN:
        case TensorProto::FLOAT8E4M3FNUZ:
        case TensorProto::FLOAT8E5M2:
        case TensorProto::FLOAT8E5M2FNUZ:
        case TensorProto::FLOAT8E8M0:
        case TensorProto::UINT4:
        case TensorProto::INT4:
        case TensorProto::FLOAT4E2M1:
        case TensorProto::UINT2:
        case TensorProto::INT2:
            // Same representation in Kiln, packing of the 4- and 2-bit types included.
            if (count > 0) std::memcpy(dst, p, static_cast<size_t>(storageBytes(type, count)));
            return Status::ok();
        case TensorProto::BOOL:
            for (int64_t i = 0; i < count; ++i) dst[i] = p[i] != 0 ? 1 : 0;
            return Status::ok();
        case TensorProto::DOUBLE:
            for (int64_t i = 0; i < count; ++i) {
                double v;
                std::memcpy(&v, p + i * 8, 8);
                storeFromDouble(type, dst, i, v);
            }
            return Status::ok();
        case TensorProto::INT16:
            widenIntegers<int16_t>(p, count, type, dst);
            return Status::ok();
        case TensorProto::UINT16:
            widenIntegers<uint16_t>(p, count, type, dst);
            return Status::ok();
        case TensorProto::UINT32:
            widenIntegers<uint32_t>(p, count, type, dst);
            return Status::ok();
        case TensorProto::UINT64:
            for (int64_t i = 0; i < count; ++i) {
                uint64_t v;
                std::memcpy(&v, p + i * 8, 8);
                if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                    return unsupported(what + " holds the uint64 value " + std::to_string(v) +
                                       " at element " + std::to_string(i) +
                                       ", which does not fit Kiln's int64");
                storeFromInt64(type, dst, i, static_cast<int64_t>(v));
            }
            return Status::ok();
        default:
            break;
    }
    return internalError(what + ": no raw conversion for ONNX type " + onnxTypeName(src));
}

/// Reads a typed payload field (float_data, int32_data, ...) into dst.
Status convertTyped(const TensorProto& t, int32_t src, int64_t count, DataType type, uint8_t* dst) {
    const std::string what = tensorLabel(t);
    auto mismatch = [&](const char* field, int64_t have) {
        return invalidArgument(what + " of shape " + std::to_string(count) + " elements has " +
                               std::to_string(have) + " values in " + field + "; expected " +
                               std::to_string(count));
    };
    switch (src) {
        case TensorProto::FLOAT:
            if (t.float_data_size() != count) return mismatch("float_data", t.float_data_size());
            for (int64_t i = 0; i < count; ++i)
                storeFromDouble(type, dst, i, t.float_data(static_cast<int>(i)));
            return Status::ok();
        case TensorProto::DOUBLE:
            if (t.double_data_size() != count) return mismatch("double_data", t.double_data_size());
            for (int64_t i = 0; i < count; ++i)
                storeFromDouble(type, dst, i, t.double_data(static_cast<int>(i)));
            return Status::ok();
        case TensorProto::INT64:
            if (t.int64_data_size() != count) return mismatch("int64_data", t.int64_data_size());
            for (int64_t i = 0; i < count; ++i)
                storeFromInt64(type, dst, i, t.int64_data(static_cast<int>(i)));
            return Status::ok();
        case TensorProto::UINT32:
        case TensorProto::UINT64:
            if (t.uint64_data_size() != count) return mismatch("uint64_data", t.uint64_data_size());
            for (int64_t i = 0; i < count; ++i) {
                uint64_t v = t.uint64_data(static_cast<int>(i));
                if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                    return unsupported(what + " holds the uint64 value " + std::to_string(v) +
                                       ", which does not fit Kiln's int64");
                storeFromInt64(type, dst, i, static_cast<int64_t>(v));
            }
            return Status::ok();
        case TensorProto::INT32:
        case TensorProto::INT16:
        case TensorProto::INT8:
        case TensorProto::UINT16:
        case TensorProto::UINT8:
        case TensorProto::BOOL:
            if (t.int32_data_size() != count) return mismatch("int32_data", t.int32_data_size());
            for (int64_t i = 0; i < count; ++i)
                storeFromInt64(type, dst, i, t.int32_data(static_cast<int>(i)));
            return Status::ok();
        case TensorProto::FLOAT16:
        case TensorProto::BFLOAT16:
            // 16-bit floats travel as their bit patterns in int32_data.
            if (t.int32_data_size() != count) return mismatch("int32_data", t.int32_data_size());
            for (int64_t i = 0; i < count; ++i) {
                auto bits = static_cast<uint16_t>(t.int32_data(static_cast<int>(i)) & 0xffff);
                std::memcpy(dst + i * 2, &bits, 2);
            }
            return Status::ok();
        case TensorProto::FLOAT8E4M3FN:
        case TensorProto::FLOAT8E4M3FNUZ:
        case TensorProto::FLOAT8E5M2:
        case TensorProto::FLOAT8E5M2FNUZ:
        case TensorProto::FLOAT8E8M0:
        case TensorProto::UINT4:
        case TensorProto::INT4:
        case TensorProto::FLOAT4E2M1:
        case TensorProto::UINT2:
        case TensorProto::INT2: {
            // One byte per entry: an 8-bit element, or two 4-bit / four 2-bit elements already packed.
            const int64_t bytes = storageBytes(type, count);
            if (t.int32_data_size() != bytes) {
                if (bytes == count) return mismatch("int32_data", t.int32_data_size());
                return invalidArgument(what + " of " + std::to_string(count) + " " + onnxTypeName(src) +
                                       " elements has " + std::to_string(t.int32_data_size()) +
                                       " entries in int32_data; expected " + std::to_string(bytes) +
                                       " (each entry holds one byte of packed elements)");
            }
            for (int64_t i = 0; i < bytes; ++i)
                dst[i] = static_cast<uint8_t>(t.int32_data(static_cast<int>(i)) & 0xff);
            return Status::ok();
        }
        default:
            break;
    }
    return internalError(what + ": no typed-field conversion for ONNX type " + onnxTypeName(src));
}

/// True when `rel` stays inside the model directory: relative, without "..".
bool isContainedPath(const std::filesystem::path& rel) {
    if (rel.empty() || rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) return false;
    for (const auto& part : rel)
        if (part == "..") return false;
    return true;
}

StatusOr<std::vector<uint8_t>> readExternal(const TensorProto& t, int64_t expectedBytes,
                                            const ExternalDataContext& ext) {
    const std::string what = tensorLabel(t);
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto& kv : t.external_data()) {
        auto parseNumber = [&](const std::string& s, int64_t* out) -> Status {
            if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
                return invalidArgument(what + ": external_data '" + kv.key() + "' is '" + s +
                                       "', expected a non-negative decimal number");
            *out = std::stoll(s);
            return Status::ok();
        };
        if (kv.key() == "location") {
            location = kv.value();
        } else if (kv.key() == "offset") {
            KILN_RETURN_IF_ERROR(parseNumber(kv.value(), &offset));
        } else if (kv.key() == "length") {
            KILN_RETURN_IF_ERROR(parseNumber(kv.value(), &length));
        }
    }
    if (location.empty())
        return invalidArgument(what + " has data_location EXTERNAL but no external_data entry 'location'");
    const std::filesystem::path rel(location);
    if (!isContainedPath(rel))
        return invalidArgument(
            what + ": external data location '" + location +
            "' must be a relative path inside the model's directory (no '..', not absolute)");
    if (!ext.modelDirKnown)
        return invalidArgument(
            what + " keeps its data in the external file '" + location +
            "', but the model's path is unknown: pass modelPath to parse() or use parseFromFile()");
    if (length >= 0 && length != expectedBytes)
        return invalidArgument(what + ": external_data length is " + std::to_string(length) +
                               " bytes, expected " + std::to_string(expectedBytes) +
                               " for its shape and type");
    const std::filesystem::path full = std::filesystem::path(ext.modelDir) / rel;
    std::error_code ec;
    const auto fileSize = std::filesystem::file_size(full, ec);
    if (ec)
        return invalidArgument(what + ": cannot open external data file '" + full.string() + "' (" +
                               ec.message() + ")");
    if (static_cast<uint64_t>(offset) > fileSize || static_cast<uint64_t>(expectedBytes) > fileSize - offset)
        return invalidArgument(what + ": external data file '" + full.string() + "' has " +
                               std::to_string(fileSize) + " bytes; reading " + std::to_string(expectedBytes) +
                               " bytes at offset " + std::to_string(offset) + " runs past its end");
    std::ifstream in(full, std::ios::binary);
    if (!in) return invalidArgument(what + ": cannot open external data file '" + full.string() + "'");
    std::vector<uint8_t> bytes(static_cast<size_t>(expectedBytes));
    in.seekg(offset);
    if (expectedBytes > 0) in.read(reinterpret_cast<char*>(bytes.data()), expectedBytes);
    if (!in || in.gcount() != expectedBytes)
        return invalidArgument(what + ": short read from external data file '" + full.string() + "': got " +
                               std::to_string(in.gcount()) + " of " + std::to_string(expectedBytes) +
                               " bytes at offset " + std::to_string(offset));
    return bytes;
}

}  // namespace

std::string onnxTypeName(int32_t onnxType) {
    if (TensorProto::DataType_IsValid(onnxType))
        return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnxType));
    return "type " + std::to_string(onnxType);
}

int32_t onnxTypeOf(DataType type) {
    switch (type) {
        case DataType::kFLOAT:
            return TensorProto::FLOAT;
        case DataType::kHALF:
            return TensorProto::FLOAT16;
        case DataType::kINT8:
            return TensorProto::INT8;
        case DataType::kINT32:
            return TensorProto::INT32;
        case DataType::kBOOL:
            return TensorProto::BOOL;
        case DataType::kUINT8:
            return TensorProto::UINT8;
        case DataType::kFP8:
            return TensorProto::FLOAT8E4M3FN;
        case DataType::kBF16:
            return TensorProto::BFLOAT16;
        case DataType::kINT64:
            return TensorProto::INT64;
        case DataType::kINT4:
            return TensorProto::INT4;
        case DataType::kFP4:
            return TensorProto::FLOAT4E2M1;
        case DataType::kE8M0:
            return TensorProto::FLOAT8E8M0;
        case DataType::kFP8_E5M2:
            return TensorProto::FLOAT8E5M2;
        case DataType::kFP8_E4M3FNUZ:
            return TensorProto::FLOAT8E4M3FNUZ;
        case DataType::kFP8_E5M2FNUZ:
            return TensorProto::FLOAT8E5M2FNUZ;
        case DataType::kUINT4:
            return TensorProto::UINT4;
        case DataType::kINT2:
            return TensorProto::INT2;
        case DataType::kUINT2:
            return TensorProto::UINT2;
    }
    return kUndefined;
}

int64_t onnxTypeSize(int32_t onnxType) {
    switch (onnxType) {
        case TensorProto::FLOAT:
            return 4;
        case TensorProto::UINT8:
            return 1;
        case TensorProto::INT8:
            return 1;
        case TensorProto::UINT16:
            return 2;
        case TensorProto::INT16:
            return 2;
        case TensorProto::INT32:
            return 4;
        case TensorProto::INT64:
            return 8;
        case TensorProto::BOOL:
            return 1;
        case TensorProto::FLOAT16:
            return 2;
        case TensorProto::DOUBLE:
            return 8;
        case TensorProto::UINT32:
            return 4;
        case TensorProto::UINT64:
            return 8;
        case TensorProto::COMPLEX64:
            return 8;
        case TensorProto::COMPLEX128:
            return 16;
        case TensorProto::BFLOAT16:
            return 2;
        case TensorProto::FLOAT8E4M3FN:
        case TensorProto::FLOAT8E4M3FNUZ:
        case TensorProto::FLOAT8E5M2:
        case TensorProto::FLOAT8E5M2FNUZ:
        case TensorProto::FLOAT8E8M0:
            return 1;
        default:
            break;
    }
    return 0;
}

StatusOr<DataType> kilnTypeOf(int32_t onnxType, bool* converted) {
    bool conv = false;
    DataType t = DataType::kFLOAT;
    switch (onnxType) {
        case TensorProto::FLOAT:
            t = DataType::kFLOAT;
            break;
        case TensorProto::FLOAT16:
            t = DataType::kHALF;
            break;
        case TensorProto::BFLOAT16:
            t = DataType::kBF16;
            break;
        case TensorProto::INT8:
            t = DataType::kINT8;
            break;
        case TensorProto::UINT8:
            t = DataType::kUINT8;
            break;
        case TensorProto::INT32:
            t = DataType::kINT32;
            break;
        case TensorProto::INT64:
            t = DataType::kINT64;
            break;
        case TensorProto::BOOL:
            t = DataType::kBOOL;
            break;
        case TensorProto::FLOAT8E4M3FN:
            t = DataType::kFP8;
            break;
        case TensorProto::FLOAT8E4M3FNUZ:
            t = DataType::kFP8_E4M3FNUZ;
            break;
        case TensorProto::FLOAT8E5M2:
            t = DataType::kFP8_E5M2;
            break;
        case TensorProto::FLOAT8E5M2FNUZ:
            t = DataType::kFP8_E5M2FNUZ;
            break;
        case TensorProto::FLOAT8E8M0:
            t = DataType::kE8M0;
            break;
        case TensorProto::FLOAT4E2M1:
            t = DataType::kFP4;
            break;
        case TensorProto::INT4:
            t = DataType::kINT4;
            break;
        case TensorProto::UINT4:
            t = DataType::kUINT4;
            break;
        case TensorProto::INT2:
            t = DataType::kINT2;
            break;
        case TensorProto::UINT2:
            t = DataType::kUINT2;
            break;
        case TensorProto::DOUBLE:
            t = DataType::kFLOAT;
            conv = true;
            break;
        case TensorProto::INT16:
        case TensorProto::UINT16:
            t = DataType::kINT32;
            conv = true;
            break;
        case TensorProto::UINT32:
        case TensorProto::UINT64:
            t = DataType::kINT64;
            conv = true;
            break;
        case kUndefined:
            return invalidArgument("the element type is UNDEFINED (0); the model must give one");
        default:
            return unsupported(
                "ONNX element type " + onnxTypeName(onnxType) +
                " has no Kiln equivalent (Kiln has float32, float16, bfloat16, the float8 types "
                "E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ and E8M0, float4 E2M1, int8, uint8, int4, uint4, int2, "
                "uint2, int32, int64 and bool; double, int16, uint16, uint32 and uint64 are converted)");
    }
    if (converted) *converted = conv;
    return t;
}

StatusOr<ConstValue> readTensorProto(const TensorProto& t, const ExternalDataContext& external,
                                     std::vector<std::string>* warnings) {
    const std::string what = tensorLabel(t);
    if (t.has_segment())
        return unsupported(what + " is a segment of a larger tensor; segmented tensors are not supported");
    if (t.dims_size() > kMAX_DIMS)
        return unsupported(what + " has rank " + std::to_string(t.dims_size()) +
                           ", more than Kiln's maximum " + std::to_string(kMAX_DIMS));
    Dims shape;
    shape.nbDims = t.dims_size();
    int64_t count = 1;
    // 2^40 elements is far beyond any real tensor and keeps every later byte count inside int64.
    constexpr int64_t kMaxElements = int64_t{1} << 40;
    for (int i = 0; i < t.dims_size(); ++i) {
        const int64_t d = t.dims(i);
        if (d < 0)
            return invalidArgument(what + " has negative dimension " + std::to_string(d) + " at index " +
                                   std::to_string(i));
        shape.d[i] = d;
        if (d != 0 && count > kMaxElements / d)
            return invalidArgument(what + " has " + toString(shape) +
                                   "... more than 2^40 elements; the dims are corrupt");
        count *= d;
    }
    bool converted = false;
    StatusOr<DataType> typeOr = kilnTypeOf(t.data_type(), &converted);
    if (!typeOr.isOk()) return typeOr.status().withContext(what);
    const DataType type = *typeOr;
    if (converted && warnings)
        warnings->push_back(what + " is " + onnxTypeName(t.data_type()) + "; Kiln imports it as " +
                            dataTypeName(type) +
                            (t.data_type() == TensorProto::DOUBLE ? " (precision is lost)" : ""));
    // Types read as they are occupy what Kiln stores (packed for the 4- and 2-bit types); converted ones
    // (double, int16, ...) have a byte size of their own.
    const int64_t srcBytes = converted ? count * onnxTypeSize(t.data_type()) : storageBytes(type, count);
    std::vector<uint8_t> out(static_cast<size_t>(storageBytes(type, count)));

    if (t.data_location() == TensorProto::EXTERNAL) {
        KILN_ASSIGN_OR_RETURN(std::vector<uint8_t> raw, readExternal(t, srcBytes, external));
        KILN_RETURN_IF_ERROR(convertRaw(t.data_type(), raw.data(), count, type, out.data(), what));
        return ConstValue::make(type, shape, std::move(out));
    }
    if (t.has_raw_data()) {
        const std::string& raw = t.raw_data();
        if (static_cast<int64_t>(raw.size()) != srcBytes)
            return invalidArgument(what + " of shape " + toString(shape) + " and type " +
                                   onnxTypeName(t.data_type()) + " needs " + std::to_string(srcBytes) +
                                   " bytes of raw_data, found " + std::to_string(raw.size()));
        KILN_RETURN_IF_ERROR(convertRaw(t.data_type(), reinterpret_cast<const uint8_t*>(raw.data()), count,
                                        type, out.data(), what));
        return ConstValue::make(type, shape, std::move(out));
    }
    KILN_RETURN_IF_ERROR(convertTyped(t, t.data_type(), count, type, out.data()));
    return ConstValue::make(type, shape, std::move(out));
}

}  // namespace kiln::onnx
