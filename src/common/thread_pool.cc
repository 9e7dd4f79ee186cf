// ThreadPool implementation: workers wait for a generation counter to change, then pull chunks.
#include "common/thread_pool.h"

#include <algorithm>

namespace kiln {

ThreadPool::ThreadPool(int nbThreads) {
    int n = nbThreads > 0 ? nbThreads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < n; ++i) mWorkers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mMutex);
        mStop = true;
    }
    mWake.notify_all();
    for (auto& t : mWorkers) t.join();
}

void ThreadPool::workerLoop() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mMutex);
    while (true) {
        mWake.wait(lock, [&] { return mStop || mGeneration != seen; });
        if (mStop) return;
        seen = mGeneration;
        while (mNextChunk < mNbChunks) {
            int64_t c = mNextChunk++;
            const auto* job = mJob;
            int64_t b = c * mChunk, e = std::min(mN, b + mChunk);
            lock.unlock();
            (*job)(b, e);
            lock.lock();
            if (++mChunksDone == mNbChunks) mDone.notify_all();
        }
    }
}

void ThreadPool::parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(grain, 1);
    int64_t maxChunks = std::min<int64_t>((n + grain - 1) / grain, static_cast<int64_t>(size()) * 4);
    if (mWorkers.empty() || maxChunks <= 1) {
        fn(0, n);
        return;
    }
    std::lock_guard<std::mutex> callLock(mCallMutex);
    std::unique_lock<std::mutex> lock(mMutex);
    mJob = &fn;
    mN = n;
    mChunk = (n + maxChunks - 1) / maxChunks;
    mNbChunks = (n + mChunk - 1) / mChunk;
    mNextChunk = 0;
    mChunksDone = 0;
    ++mGeneration;
    mWake.notify_all();
    // The caller works too.
    while (mNextChunk < mNbChunks) {
        int64_t c = mNextChunk++;
        int64_t b = c * mChunk, e = std::min(mN, b + mChunk);
        lock.unlock();
        fn(b, e);
        lock.lock();
        ++mChunksDone;
    }
    mDone.wait(lock, [&] { return mChunksDone == mNbChunks; });
    mJob = nullptr;
}

}  // namespace kiln
