// The arena planner: no two buffers alive at the same step overlap, reuse happens, offsets are aligned.
#include <gtest/gtest.h>

#include <random>

#include "runtime/arena_planner.h"

namespace kiln::runtime {
namespace {

TEST(ArenaPlanner, ChainReusesMemory) {
    // A chain a->b->c->d: each buffer lives two steps, so two slots suffice.
    std::vector<BufferRequest> r = {{100, 0, 1}, {100, 1, 2}, {100, 2, 3}, {100, 3, 4}};
    ArenaPlan p = planArena(r);
    EXPECT_EQ(p.totalSize, 2 * 128);  // 100 rounds up to 128
    EXPECT_NE(p.offsets[0], p.offsets[1]);
    EXPECT_EQ(p.offsets[0], p.offsets[2]);
}

TEST(ArenaPlanner, RandomLifetimesNeverOverlap) {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<BufferRequest> r;
        for (int i = 0; i < 40; ++i) {
            int a = static_cast<int>(rng() % 30), b = a + static_cast<int>(rng() % 8);
            r.push_back({static_cast<int64_t>(rng() % 5000), a, b});
        }
        ArenaPlan p = planArena(r);
        int64_t sum = 0;
        for (size_t i = 0; i < r.size(); ++i) {
            sum += (r[i].size + 63) / 64 * 64;
            if (r[i].size == 0) continue;
            EXPECT_EQ(p.offsets[i] % kArenaAlignment, 0);
            EXPECT_LE(p.offsets[i] + r[i].size, p.totalSize);
            for (size_t j = 0; j < i; ++j) {
                if (r[j].size == 0) continue;
                bool liveTogether = r[i].first <= r[j].last && r[j].first <= r[i].last;
                bool overlap = p.offsets[i] < p.offsets[j] + r[j].size && p.offsets[j] < p.offsets[i] + r[i].size;
                ASSERT_FALSE(liveTogether && overlap) << "trial " << trial << " buffers " << i << "," << j;
            }
        }
        EXPECT_LE(p.totalSize, sum);
    }
}

}  // namespace
}  // namespace kiln::runtime
