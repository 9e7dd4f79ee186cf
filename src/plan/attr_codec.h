// Generic attribute encoding for plans: every Attrs struct is written and read through its own `visit`
// (src/ir/attrs.h), one fb::Attr entry per field (name, kind, ints/floats), so a new attribute field
// reaches the plan with no schema change. Constant bytes go to the weights section and are referenced by
// index; Bytes objects shared between nodes are stored once and shared again after reading.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ir/op.h"
#include "plan/plan_generated.h"

namespace kiln::plan {

using AttrVector = flatbuffers::Vector<flatbuffers::Offset<fb::Attr>>;

/// `s` in single quotes for an error message: non-printable bytes as \xNN, cut after `max` bytes, so
/// hostile names cannot flood a message.
std::string quoted(std::string_view s, size_t max = 64);

/// Collects the weights blobs met while encoding, in first-use order; the same Bytes object (same
/// pointer) gets the same index.
class WeightsTable {
public:
    int64_t indexOf(const ir::Bytes& bytes);
    const std::vector<ir::Bytes>& blobs() const { return mBlobs; }

private:
    std::vector<ir::Bytes> mBlobs;
    std::map<const std::vector<uint8_t>*, int64_t> mIndex;
};

/// Appends one fb::Attr per field of `attrs` (an ir::kOptionalField field only when it differs from its
/// default). Fails (naming the field) on a value the reader would
/// reject: an undeclared enum value, a Dims rank outside -1..8, a monostate (op-less) Attrs.
StatusOr<flatbuffers::Offset<AttrVector>> encodeAttrs(flatbuffers::FlatBufferBuilder& fbb,
                                                      const ir::Attrs& attrs, WeightsTable& weights);

/// Caps the bytes the reader copies out of strings and value vectors at the body size: a plan Kiln
/// writes never stores one string or vector twice, so a body decoding to more than its own size is
/// sharing data to blow up memory.
class DecodeBudget {
public:
    explicit DecodeBudget(size_t bytes) : mLeft(bytes) {}
    Status take(size_t bytes, const std::string& what);

private:
    size_t mLeft;
};

/// Decodes the entries of one node as the Attrs of `kind`: every field of the struct must appear exactly
/// once with its kind and value count (a field visited with ir::kOptionalField at most once, its default
/// when absent), no other entry may appear, enums must hold declared values, and
/// Bytes indices must name one of `weights` (`used` is set for each index met). Errors name the field.
StatusOr<ir::Attrs> decodeAttrs(ir::OpKind kind, const AttrVector* entries,
                                std::span<const ir::Bytes> weights, std::vector<bool>& used,
                                DecodeBudget& budget);

}  // namespace kiln::plan
