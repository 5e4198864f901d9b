// A small persistent thread pool for data-parallel loops. Workers spin briefly then sleep, so a
// parallel_for costs a few microseconds (decode issues hundreds per token).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tokcast::measure {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);  // total threads including the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Runs fn(thread_index, thread_count) on every thread and waits for all of them.
  void Run(const std::function<void(unsigned, unsigned)>& fn);

  // Splits [0, n) into contiguous chunks, one per thread: fn(begin, end).
  void ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn);

 private:
  void Worker(unsigned index);

  std::vector<std::thread> workers_;
  const std::function<void(unsigned, unsigned)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<unsigned> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace tokcast::measure
