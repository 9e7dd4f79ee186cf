// The plan file's fixed 64-byte prefix (field offsets, magic, versions), the checksum rule, and the
// little-endian helpers that read and write it. Shared by the writer, the reader and tests that build
// deliberately damaged plans.
//
// Prefix layout (little-endian):
//   [0, 8)    magic "KILNPLAN"
//   [8, 12)   prefix version (kPrefixVersion): the layout of these 64 bytes and the checksum rule
//   [12, 16)  body format version (kPlanFormatVersion), repeated from the body's header so an
//             incompatible body is named as such before FlatBuffers verification can fail on it
//   [16, 24)  total file size
//   [24, 32)  checksum
//   [32, 40)  body offset (always kPrefixSize)      [40, 48)  body size
//   [48, 56)  weights offset (64-byte aligned)      [56, 64)  weights size
// Checksum: XXH64 over bytes [32, size) seeded with XXH64 over bytes [0, 24) (seed 0), i.e. every byte
// except the checksum field, in file order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln::plan {

constexpr size_t kPrefixSize = 64;
constexpr char kPlanMagic[8] = {'K', 'I', 'L', 'N', 'P', 'L', 'A', 'N'};
constexpr uint32_t kPrefixVersion = 1;
/// Alignment of the weights section and of every blob in it (absolute file offsets), so weights can be
/// used in place from a 64-byte-aligned mapping of the file.
constexpr uint64_t kWeightsAlignment = 64;

constexpr size_t kMagicAt = 0;
constexpr size_t kPrefixVersionAt = 8;
constexpr size_t kFormatVersionAt = 12;
constexpr size_t kTotalSizeAt = 16;
constexpr size_t kChecksumAt = 24;
constexpr size_t kBodyOffsetAt = 32;
constexpr size_t kBodySizeAt = 40;
constexpr size_t kWeightsOffsetAt = 48;
constexpr size_t kWeightsSizeAt = 56;

inline uint32_t loadLE32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline uint64_t loadLE64(const uint8_t* p) {
    return static_cast<uint64_t>(loadLE32(p)) | static_cast<uint64_t>(loadLE32(p + 4)) << 32;
}
inline void storeLE32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void storeLE64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

/// Rounds v up to a multiple of a power-of-two `a`; callers keep v far below 2^64.
constexpr uint64_t alignUp(uint64_t v, uint64_t a) {
    return (v + a - 1) & ~(a - 1);
}

/// The checksum of a whole plan file (size >= kPrefixSize) as defined above.
uint64_t computePlanChecksum(const uint8_t* data, size_t size);

/// Recomputes and stores the checksum of a plan file in place (size >= kPrefixSize).
void sealPlanChecksum(uint8_t* data, size_t size);

}  // namespace kiln::plan
