#include "measure/thread_pool.h"

#include <chrono>

#include "measure/fp_mode.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tokcast::measure {
namespace {

// A polite busy-wait step: tells the core it is spinning without giving up the time slice
// (a sched_yield system call per step costs more than the short waits of a forward pass).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

using Clock = std::chrono::steady_clock;
// How long a worker spins for the next job before it sleeps.
constexpr auto kSpin = std::chrono::milliseconds(2);

}  // namespace

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this, i] { Worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Worker(unsigned index) {
  FlushDenormalsForThisThread();
  uint64_t seen = 0;
  while (true) {
    // Spin a while (jobs come back to back in a forward pass), then sleep.
    uint64_t gen = generation_.load(std::memory_order_acquire);
    if (gen == seen) {
      const auto until = Clock::now() + kSpin;
      for (unsigned spin = 0; gen == seen; ++spin) {
        CpuRelax();
        gen = generation_.load(std::memory_order_acquire);
        if ((spin & 255) == 255 && Clock::now() > until) break;
      }
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      gen = generation_.load();
    }
    seen = gen;
    if (stop_.load()) return;
    (*job_)(index, size());
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::Run(const std::function<void(unsigned, unsigned)>& fn) {
  const ScopedFlushDenormals flush;  // the caller is thread 0: the same mode as the workers
  if (workers_.empty()) {
    fn(0, 1);
    return;
  }
  job_ = &fn;
  pending_.store(static_cast<unsigned>(workers_.size()), std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  wake_.notify_all();
  fn(0, size());
  for (unsigned spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if ((spin & 1023) == 1023) {
      std::this_thread::yield();  // a worker may have been descheduled: let it run
    } else {
      CpuRelax();
    }
  }
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn) {
  Run([&](unsigned i, unsigned count) {
    const size_t begin = n * i / count, end = n * (i + 1) / count;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace tokcast::measure
