// XXH64, the 64-bit hash the plan's checksum is built from. Written from the public xxHash
// specification (four 64-bit lanes over 32-byte stripes, then a tail and an avalanche), so the plan
// format depends on no hashing library, yet any xxhash tool can recompute a plan's checksum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln::plan {

/// XXH64 of `size` bytes at `data` with `seed`; `data` may be unaligned (and null when size is 0).
uint64_t xxh64(const void* data, size_t size, uint64_t seed);

}  // namespace kiln::plan
