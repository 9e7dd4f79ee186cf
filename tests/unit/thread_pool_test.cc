// ThreadPool: every index visited exactly once, for many sizes and grains, also from several callers.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/thread_pool.h"

namespace kiln {
namespace {

TEST(ThreadPool, CoversEveryIndexOnce) {
    ThreadPool pool(3);
    for (int64_t n : {0, 1, 2, 7, 100, 1001}) {
        for (int64_t grain : {1, 3, 64}) {
            std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
            pool.parallelFor(n, grain, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
            });
            for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " grain=" << grain;
        }
    }
}

TEST(ThreadPool, SeveralCallersShareOnePool) {
    ThreadPool pool(2);
    std::atomic<int64_t> total{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&] {
            for (int k = 0; k < 20; ++k)
                pool.parallelFor(50, 1, [&](int64_t b, int64_t e) { total += e - b; });
        });
    for (auto& c : callers) c.join();
    EXPECT_EQ(total.load(), 4 * 20 * 50);
}

}  // namespace
}  // namespace kiln
