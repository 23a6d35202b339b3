// Copyright hvdb authors. The worker threads that split one scan across cores.
#ifndef HVDB_KERNELS_CPU_THREAD_POOL_H_
#define HVDB_KERNELS_CPU_THREAD_POOL_H_

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

#include "base/mutex.h"

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
  // (the caller included), and returns when every call has returned. When a
  // call throws (std::bad_alloc in a task that allocates), the tasks not yet
  // started are skipped and Run rethrows the first exception on the calling
  // thread once every call has returned, leaving the pool usable.
  void Run(size_t tasks, unsigned threads, const std::function<void(size_t)>& fn) HVDB_EXCLUDES(mu_);

 private:
  void WorkerLoop(unsigned id) HVDB_EXCLUDES(mu_);
  // Runs the loop's tasks not yet taken (by any thread); the first exception
  // is kept in error_ and ends the loop.
  void Drain(const std::function<void(size_t)>& fn, size_t tasks) HVDB_EXCLUDES(mu_);

  Mutex run_mu_ HVDB_ACQUIRED_BEFORE(mu_);  // held by the caller whose loop owns the workers

  Mutex mu_;
  CondVar wake_;
  CondVar done_;
  const std::function<void(size_t)>* fn_ HVDB_GUARDED_BY(mu_) = nullptr;
  size_t tasks_ HVDB_GUARDED_BY(mu_) = 0;
  unsigned active_workers_ HVDB_GUARDED_BY(mu_) = 0;  // workers that take part in the current loop
  unsigned busy_workers_ HVDB_GUARDED_BY(mu_) = 0;    // of those, the ones not yet finished
  uint64_t generation_ HVDB_GUARDED_BY(mu_) = 0;
  bool stop_ HVDB_GUARDED_BY(mu_) = false;
  std::exception_ptr error_ HVDB_GUARDED_BY(mu_);  // the current loop's first exception

  std::atomic<size_t> next_{0};
  std::vector<std::thread> threads_;
};

}  // namespace hvdb::kernels::cpu

#endif  // HVDB_KERNELS_CPU_THREAD_POOL_H_
