// Greedy best-offset arena planner (see arena_planner.h).
#include "runtime/arena_planner.h"

#include <algorithm>
#include <numeric>

namespace kiln::runtime {

namespace {
int64_t alignUp(int64_t v) { return (v + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }
}  // namespace

ArenaPlan planArena(const std::vector<BufferRequest>& requests) {
    ArenaPlan plan;
    plan.offsets.assign(requests.size(), -1);
    std::vector<size_t> order(requests.size());
    std::iota(order.begin(), order.end(), 0);
    // Largest first; ties by earlier start then index, so the result is deterministic.
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (requests[a].size != requests[b].size) return requests[a].size > requests[b].size;
        return requests[a].first < requests[b].first;
    });
    struct Placed {
        int64_t offset, size;
        int32_t first, last;
    };
    std::vector<Placed> placed;
    for (size_t idx : order) {
        const BufferRequest& r = requests[idx];
        if (r.size <= 0) continue;
        int64_t size = alignUp(r.size);
        // Collect the intervals of buffers whose lifetimes overlap, sorted by offset, and take the first gap.
        std::vector<std::pair<int64_t, int64_t>> busy;
        for (const Placed& p : placed)
            if (p.first <= r.last && r.first <= p.last) busy.emplace_back(p.offset, p.offset + p.size);
        std::sort(busy.begin(), busy.end());
        int64_t offset = 0;
        for (const auto& [b, e] : busy) {
            if (offset + size <= b) break;
            offset = std::max(offset, e);
        }
        plan.offsets[idx] = offset;
        placed.push_back({offset, size, r.first, r.last});
        plan.totalSize = std::max(plan.totalSize, offset + size);
    }
    return plan;
}

}  // namespace kiln::runtime
