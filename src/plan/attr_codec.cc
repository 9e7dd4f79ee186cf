// Attribute encoding and decoding through each Attrs struct's `visit` (see attr_codec.h). The encoder
// and the decoder share one table of field kinds (kindOf), so what one writes the other expects.
#include "plan/attr_codec.h"

#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

#include "plan/enum_values.h"

namespace kiln::plan {

namespace {

template <class T>
constexpr bool kAlwaysFalse = false;

/// The kind tag stored for a C++ field type; a field type missing here fails to compile.
template <class T>
constexpr fb::AttrKind kindOf() {
    if constexpr (std::is_same_v<T, int32_t>)
        return fb::AttrKind::Int32;
    else if constexpr (std::is_same_v<T, int64_t>)
        return fb::AttrKind::Int64;
    else if constexpr (std::is_same_v<T, uint32_t>)
        return fb::AttrKind::UInt32;
    else if constexpr (std::is_same_v<T, float>)
        return fb::AttrKind::Float;
    else if constexpr (std::is_same_v<T, bool>)
        return fb::AttrKind::Bool;
    else if constexpr (std::is_same_v<T, DataType>)
        return fb::AttrKind::DataType;
    else if constexpr (std::is_enum_v<T>) {
        static_assert(std::is_same_v<std::underlying_type_t<T>, int32_t>, "plan enums are stored as int32");
        return fb::AttrKind::Enum;
    } else if constexpr (std::is_same_v<T, Dims>)
        return fb::AttrKind::Dims;
    else if constexpr (std::is_same_v<T, Permutation>)
        return fb::AttrKind::Permutation;
    else if constexpr (std::is_same_v<T, std::vector<float>>)
        return fb::AttrKind::FloatVector;
    else if constexpr (std::is_same_v<T, std::vector<int64_t>>)
        return fb::AttrKind::Int64Vector;
    else if constexpr (std::is_same_v<T, ir::Bytes>)
        return fb::AttrKind::Bytes;
    else
        static_assert(kAlwaysFalse<T>,
                      "attribute field type without a plan encoding: add it to plan.fbs AttrKind");
}

std::string kindName(fb::AttrKind kind) {
    switch (kind) {
        case fb::AttrKind::Int32:
            return "Int32";
        case fb::AttrKind::Int64:
            return "Int64";
        case fb::AttrKind::UInt32:
            return "UInt32";
        case fb::AttrKind::Float:
            return "Float";
        case fb::AttrKind::Bool:
            return "Bool";
        case fb::AttrKind::Enum:
            return "Enum";
        case fb::AttrKind::DataType:
            return "DataType";
        case fb::AttrKind::Dims:
            return "Dims";
        case fb::AttrKind::Permutation:
            return "Permutation";
        case fb::AttrKind::FloatVector:
            return "FloatVector";
        case fb::AttrKind::Bytes:
            return "Bytes";
        case fb::AttrKind::Int64Vector:
            return "Int64Vector";
    }
    return "unknown kind " + std::to_string(static_cast<int>(kind));
}

std::string attrsStructName(const ir::Attrs& attrs) {
    if (attrs.index() >= static_cast<size_t>(ir::kNbOpKinds)) return "no attributes (monostate)";
    return std::string(ir::opName(ir::opKindOf(attrs))) + "Attrs";
}

class Encoder {
public:
    Encoder(flatbuffers::FlatBufferBuilder& fbb, WeightsTable& weights) : mFbb(fbb), mWeights(weights) {}

    /// Left out at its default (ir::OptionalField): plans not using the field keep their bytes.
    template <class T>
    void operator()(const char* name, const T& value, ir::OptionalField) {
        if (!(value == T{})) (*this)(name, value);
    }

    template <class T>
    void operator()(const char* name, const T& value) {
        if (!mStatus.isOk()) return;
        std::vector<int64_t> ints;
        std::vector<float> floats;
        constexpr fb::AttrKind kind = kindOf<T>();
        if constexpr (std::is_same_v<T, bool>) {
            ints.push_back(value ? 1 : 0);
        } else if constexpr (std::is_integral_v<T>) {
            ints.push_back(static_cast<int64_t>(value));
        } else if constexpr (std::is_same_v<T, float>) {
            floats.push_back(value);
        } else if constexpr (std::is_enum_v<T>) {
            if (!isDeclared(value)) {
                mStatus = invalidArgument("attribute '" + std::string(name) + "': " + enumTypeName(value) +
                                          " value " + std::to_string(static_cast<int32_t>(value)) +
                                          " is not declared");
                return;
            }
            ints.push_back(static_cast<int32_t>(value));
        } else if constexpr (std::is_same_v<T, Dims>) {
            if (value.nbDims < -1 || value.nbDims > kMAX_DIMS) {
                mStatus =
                    invalidArgument("attribute '" + std::string(name) + "': expected a rank in -1.." +
                                    std::to_string(kMAX_DIMS) + ", found " + std::to_string(value.nbDims));
                return;
            }
            ints.push_back(value.nbDims);
            for (int i = 0; i < value.nbDims; ++i) ints.push_back(value.d[i]);
        } else if constexpr (std::is_same_v<T, Permutation>) {
            for (int32_t v : value.order) ints.push_back(v);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
            floats = value;
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
            ints = value;
        } else if constexpr (std::is_same_v<T, ir::Bytes>) {
            if (value) ints.push_back(mWeights.indexOf(value));
        }
        auto nameOff = mFbb.CreateString(name);
        flatbuffers::Offset<flatbuffers::Vector<int64_t>> intsOff;
        flatbuffers::Offset<flatbuffers::Vector<float>> floatsOff;
        if (!ints.empty()) intsOff = mFbb.CreateVector(ints);
        if (!floats.empty()) floatsOff = mFbb.CreateVector(floats);
        mEntries.push_back(fb::CreateAttr(mFbb, nameOff, kind, intsOff, floatsOff));
    }

    const Status& status() const { return mStatus; }
    const std::vector<flatbuffers::Offset<fb::Attr>>& entries() const { return mEntries; }

private:
    flatbuffers::FlatBufferBuilder& mFbb;
    WeightsTable& mWeights;
    std::vector<flatbuffers::Offset<fb::Attr>> mEntries;
    Status mStatus;
};

bool isAligned(const void* p, size_t alignment) {
    return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

class Decoder {
public:
    Decoder(const AttrVector* entries, std::span<const ir::Bytes> weights, std::vector<bool>& used,
            DecodeBudget& budget)
        : mEntries(entries), mWeights(weights), mUsed(used), mBudget(budget) {}

    template <class T>
    void operator()(const char* name, T& field) {
        if (!mStatus.isOk()) return;
        mFieldNames.push_back(name);
        mStatus = decodeField(name, field);
        if (mStatus.isOk()) ++mFound;
    }

    /// Absent means its default (ir::OptionalField): plans written before the field existed still load.
    template <class T>
    void operator()(const char* name, T& field, ir::OptionalField) {
        if (!mStatus.isOk()) return;
        if (find(name) != nullptr) {
            (*this)(name, field);
        } else {
            mFieldNames.push_back(name);
            field = T{};
        }
    }

    const Status& status() const { return mStatus; }
    const std::vector<std::string_view>& fieldNames() const { return mFieldNames; }
    /// How many entries named a field (each exactly once); fewer than the entries means an unknown entry.
    size_t found() const { return mFound; }

private:
    /// The first entry named `name`, or null.
    const fb::Attr* find(std::string_view name) const {
        for (flatbuffers::uoffset_t i = 0; i < mEntries->size(); ++i)
            if (mEntries->Get(i)->name()->string_view() == name) return mEntries->Get(i);
        return nullptr;
    }

    template <class T>
    Status decodeField(std::string_view name, T& field) {
        const std::string what = "attribute '" + std::string(name) + "'";
        constexpr fb::AttrKind expected = kindOf<T>();
        const fb::Attr* entry = nullptr;
        for (flatbuffers::uoffset_t i = 0; i < mEntries->size(); ++i) {
            const fb::Attr* e = mEntries->Get(i);
            if (e->name()->string_view() != name) continue;
            if (entry) return invalidArgument(what + " appears more than once");
            entry = e;
        }
        if (!entry) return invalidArgument(what + " (" + kindName(expected) + ") is missing");
        if (entry->kind() != expected)
            return invalidArgument(what + ": expected kind " + kindName(expected) + ", found " +
                                   kindName(entry->kind()));
        const flatbuffers::Vector<int64_t>* ints = entry->ints();
        const flatbuffers::Vector<float>* floats = entry->floats();
        const size_t nInts = ints ? ints->size() : 0;
        const size_t nFloats = floats ? floats->size() : 0;
        // The Verifier checks 4-byte alignment of vector data only; int64 reads need 8 (the body itself is
        // 8-aligned in memory, and FlatBuffers aligns non-empty int64 vectors).
        if (nInts > 0 && !isAligned(ints->data(), alignof(int64_t)))
            return invalidArgument(what + ": its int64 values are not 8-byte aligned");
        auto counts = [&](size_t wantInts, size_t wantFloats) -> Status {
            if (nInts == wantInts && nFloats == wantFloats) return Status::ok();
            return invalidArgument(what + " (" + kindName(expected) + "): expected " +
                                   std::to_string(wantInts) + " int and " + std::to_string(wantFloats) +
                                   " float values, found " + std::to_string(nInts) + " and " +
                                   std::to_string(nFloats));
        };
        auto inRange = [&](int64_t v, int64_t lo, int64_t hi) -> Status {
            if (v >= lo && v <= hi) return Status::ok();
            return invalidArgument(what + " (" + kindName(expected) + "): expected a value in " +
                                   std::to_string(lo) + ".." + std::to_string(hi) + ", found " +
                                   std::to_string(v));
        };
        constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
        constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
        if constexpr (std::is_same_v<T, bool>) {
            KILN_RETURN_IF_ERROR(counts(1, 0));
            KILN_RETURN_IF_ERROR(inRange(ints->Get(0), 0, 1));
            field = ints->Get(0) != 0;
        } else if constexpr (std::is_same_v<T, int32_t>) {
            KILN_RETURN_IF_ERROR(counts(1, 0));
            KILN_RETURN_IF_ERROR(inRange(ints->Get(0), kI32Min, kI32Max));
            field = static_cast<int32_t>(ints->Get(0));
        } else if constexpr (std::is_same_v<T, uint32_t>) {
            KILN_RETURN_IF_ERROR(counts(1, 0));
            KILN_RETURN_IF_ERROR(inRange(ints->Get(0), 0, std::numeric_limits<uint32_t>::max()));
            field = static_cast<uint32_t>(ints->Get(0));
        } else if constexpr (std::is_same_v<T, int64_t>) {
            KILN_RETURN_IF_ERROR(counts(1, 0));
            field = ints->Get(0);
        } else if constexpr (std::is_same_v<T, float>) {
            KILN_RETURN_IF_ERROR(counts(0, 1));
            field = floats->Get(0);
        } else if constexpr (std::is_enum_v<T>) {
            KILN_RETURN_IF_ERROR(counts(1, 0));
            KILN_RETURN_IF_ERROR(inRange(ints->Get(0), kI32Min, kI32Max));
            auto v = static_cast<T>(static_cast<int32_t>(ints->Get(0)));
            if (!isDeclared(v))
                return invalidArgument(what + ": " + enumTypeName(v) + " has no value " +
                                       std::to_string(ints->Get(0)));
            field = v;
        } else if constexpr (std::is_same_v<T, Dims>) {
            if (nInts < 1 || nFloats != 0)
                return invalidArgument(
                    what + " (Dims): expected [rank, extents...] and no float values, found " +
                    std::to_string(nInts) + " int and " + std::to_string(nFloats) + " float values");
            KILN_RETURN_IF_ERROR(inRange(ints->Get(0), -1, kMAX_DIMS));
            Dims d;
            d.nbDims = static_cast<int32_t>(ints->Get(0));
            KILN_RETURN_IF_ERROR(counts(1 + static_cast<size_t>(d.nbDims < 0 ? 0 : d.nbDims), 0));
            for (int i = 0; i < d.nbDims; ++i) d.d[i] = ints->Get(static_cast<flatbuffers::uoffset_t>(1 + i));
            field = d;
        } else if constexpr (std::is_same_v<T, Permutation>) {
            KILN_RETURN_IF_ERROR(counts(8, 0));
            for (flatbuffers::uoffset_t i = 0; i < 8; ++i) {
                KILN_RETURN_IF_ERROR(inRange(ints->Get(i), kI32Min, kI32Max));
                field.order[i] = static_cast<int32_t>(ints->Get(i));
            }
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
            KILN_RETURN_IF_ERROR(counts(0, nFloats));
            KILN_RETURN_IF_ERROR(mBudget.take(nFloats * sizeof(float), what));
            field.resize(nFloats);
            if (nFloats) std::memcpy(field.data(), floats->data(), nFloats * sizeof(float));
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
            KILN_RETURN_IF_ERROR(counts(nInts, 0));
            KILN_RETURN_IF_ERROR(mBudget.take(nInts * sizeof(int64_t), what));
            field.resize(nInts);
            for (size_t i = 0; i < nInts; ++i) field[i] = ints->Get(static_cast<flatbuffers::uoffset_t>(i));
        } else if constexpr (std::is_same_v<T, ir::Bytes>) {
            if (nInts > 1 || nFloats != 0)
                return invalidArgument(
                    what + " (Bytes): expected no value (no data) or one weights index, found " +
                    std::to_string(nInts) + " int and " + std::to_string(nFloats) + " float values");
            field.reset();
            if (nInts == 1) {
                int64_t index = ints->Get(0);
                if (index < 0 || static_cast<uint64_t>(index) >= mWeights.size())
                    return invalidArgument(what + ": weights index " + std::to_string(index) +
                                           " is out of range (the plan has " +
                                           std::to_string(mWeights.size()) + " weights entries)");
                field = mWeights[static_cast<size_t>(index)];
                mUsed[static_cast<size_t>(index)] = true;
            }
        }
        return Status::ok();
    }

    const AttrVector* mEntries;
    std::span<const ir::Bytes> mWeights;
    std::vector<bool>& mUsed;
    DecodeBudget& mBudget;
    std::vector<std::string_view> mFieldNames;
    size_t mFound{0};
    Status mStatus;
};

ir::Attrs defaultAttrs(ir::OpKind kind) {
    switch (kind) {
#define KILN_OP(Name, minIn, maxIn, minOut, maxOut, family) \
    case ir::OpKind::k##Name:                               \
        return ir::Name##Attrs{};
#include "ir/ops.def"
#undef KILN_OP
    }
    return std::monostate{};
}

}  // namespace

std::string quoted(std::string_view s, size_t max) {
    static const char* kHex = "0123456789abcdef";
    std::string out = "'";
    for (size_t i = 0; i < s.size() && i < max; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    out += "'";
    if (s.size() > max) out += " (" + std::to_string(s.size()) + " bytes, cut)";
    return out;
}

int64_t WeightsTable::indexOf(const ir::Bytes& bytes) {
    auto [it, inserted] = mIndex.emplace(bytes.get(), static_cast<int64_t>(mBlobs.size()));
    if (inserted) mBlobs.push_back(bytes);
    return it->second;
}

StatusOr<flatbuffers::Offset<AttrVector>> encodeAttrs(flatbuffers::FlatBufferBuilder& fbb,
                                                      const ir::Attrs& attrs, WeightsTable& weights) {
    Encoder enc(fbb, weights);
    bool hasOp = std::visit(
        [&](const auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, std::monostate>) {
                return false;
            } else {
                A copy = a;  // visit() is non-const; copying shares Bytes rather than duplicating them
                copy.visit(enc);
                return true;
            }
        },
        attrs);
    if (!hasOp) return invalidArgument("the node holds no attributes (monostate), so it names no op");
    KILN_RETURN_IF_ERROR(enc.status());
    return fbb.CreateVector(enc.entries());
}

Status DecodeBudget::take(size_t bytes, const std::string& what) {
    if (bytes > mLeft)
        return invalidArgument(
            what + ": decoding needs " + std::to_string(bytes) + " more bytes but only " +
            std::to_string(mLeft) +
            " are left of the body size: the body shares data between fields, which Kiln never writes");
    mLeft -= bytes;
    return Status::ok();
}

StatusOr<ir::Attrs> decodeAttrs(ir::OpKind kind, const AttrVector* entries,
                                std::span<const ir::Bytes> weights, std::vector<bool>& used,
                                DecodeBudget& budget) {
    if (!entries) return invalidArgument("the attribute list is missing");
    // Each entry is its own table of at least 8 bytes (offsets to its vtable and name) in a Kiln plan.
    KILN_RETURN_IF_ERROR(budget.take(8 * static_cast<size_t>(entries->size()), "the attribute list"));
    for (flatbuffers::uoffset_t i = 0; i < entries->size(); ++i)
        if (!entries->Get(i)->name())
            return invalidArgument("attribute entry #" + std::to_string(i) + " has no name");
    ir::Attrs attrs = defaultAttrs(kind);
    Decoder dec(entries, weights, used, budget);
    std::visit(
        [&](auto& a) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(a)>, std::monostate>) a.visit(dec);
        },
        attrs);
    KILN_RETURN_IF_ERROR(dec.status());
    if (entries->size() != dec.found()) {
        // Every entry naming a field was taken exactly once, so some entry names no field.
        std::string fields;
        for (std::string_view f : dec.fieldNames()) fields += (fields.empty() ? "" : ", ") + std::string(f);
        for (flatbuffers::uoffset_t i = 0; i < entries->size(); ++i) {
            std::string_view n = entries->Get(i)->name()->string_view();
            bool known = false;
            for (std::string_view f : dec.fieldNames()) known = known || f == n;
            if (!known)
                return invalidArgument("attribute " + quoted(n) + " is not a field of " +
                                       attrsStructName(attrs) +
                                       " (its fields: " + (fields.empty() ? "none" : fields) + ")");
        }
    }
    return attrs;
}

}  // namespace kiln::plan
