// Activation memory planning: given each buffer's size and lifetime (first and last step that touches
// it), assign offsets in one arena so that buffers alive at the same time never overlap. Greedy by
// decreasing size, each buffer placed at the lowest offset that fits (a standard, near-optimal heuristic).
#pragma once

#include <cstdint>
#include <vector>

namespace kiln::runtime {

struct BufferRequest {
    int64_t size{0};   ///< bytes
    int32_t first{0};  ///< first step using it (its producer)
    int32_t last{0};   ///< last step using it
};

struct ArenaPlan {
    std::vector<int64_t> offsets;  ///< per request; -1 for zero-size requests
    int64_t totalSize{0};
};

constexpr int64_t kArenaAlignment = 64;

ArenaPlan planArena(const std::vector<BufferRequest>& requests);

}  // namespace kiln::runtime
