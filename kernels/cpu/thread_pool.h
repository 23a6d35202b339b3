// Copyright hvdb authors. The worker threads that split one scan across cores.
#ifndef HVDB_KERNELS_CPU_THREAD_POOL_H_
#define HVDB_KERNELS_CPU_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hvdb::kernels::cpu {

// A fixed set of worker threads that run one parallel loop at a time.
//
// Thread safety: Run may be called from any thread. While one loop runs, a
// concurrent Run (another searching thread) does not wait for the pool: it runs
// its loop on its own thread, so callers never block one another.
class ThreadPool {
 public:
  // `workers` threads besides the callers.
  explicit ThreadPool(unsigned workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The process-wide pool: one thread per core, the caller counted.
  static ThreadPool& Shared();

  // Calls fn(i) once for each i in [0, tasks), on at most `threads` threads
  // (the caller included), and returns when every call has returned.
  // fn must not throw.
  void Run(size_t tasks, unsigned threads, const std::function<void(size_t)>& fn);

 private:
  void WorkerLoop(unsigned id);
  void Drain();

  std::mutex run_mu_;  // held by the caller whose loop owns the workers

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // REQUIRES mu_ held to read or write the four below.
  const std::function<void(size_t)>* fn_ = nullptr;
  unsigned active_workers_ = 0;  // workers that take part in the current loop
  unsigned busy_workers_ = 0;    // of those, the ones not yet finished
  uint64_t generation_ = 0;
  bool stop_ = false;

  std::atomic<size_t> next_{0};
  size_t tasks_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace hvdb::kernels::cpu

#endif  // HVDB_KERNELS_CPU_THREAD_POOL_H_
