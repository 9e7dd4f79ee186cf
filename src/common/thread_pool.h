// A fixed pool of worker threads with a blocking parallelFor, used by CPU kernels. One pool per
// execution context keeps concurrent contexts from contending on a global queue.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {

class ThreadPool {
public:
    /// `nbThreads` workers in total, the calling thread included; 0 means hardware concurrency.
    explicit ThreadPool(int nbThreads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(mWorkers.size()) + 1; }

    /// Calls fn(begin, end) over [0, n) split in contiguous chunks of at least `grain` items; returns when
    /// all chunks are done. Runs inline when n is small or the pool has one thread.
    void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

private:
    void workerLoop();

    std::vector<std::thread> mWorkers;
    std::mutex mMutex;
    std::condition_variable mWake;
    std::condition_variable mDone;
    const std::function<void(int64_t, int64_t)>* mJob{nullptr};
    int64_t mN{0};
    int64_t mChunk{0};
    int64_t mNextChunk{0};
    int64_t mNbChunks{0};
    int64_t mChunksDone{0};
    uint64_t mGeneration{0};
    bool mStop{false};
    std::mutex mCallMutex;  // one parallelFor at a time per pool
};

}  // namespace kiln
