// Copyright hvdb authors.
#include "kernels/cpu/thread_pool.h"

#include <algorithm>

namespace hvdb::kernels::cpu {

ThreadPool::ThreadPool(unsigned workers) {
  threads_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  for (std::thread& t : threads_) t.join();
}

ThreadPool& ThreadPool::Shared() {
  static ThreadPool* pool = [] {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return new ThreadPool(cores - 1);  // never destroyed: workers may outlive static destructors' users
  }();
  return *pool;
}

void ThreadPool::Drain(const std::function<void(size_t)>& fn, size_t tasks) {
  for (size_t i = next_.fetch_add(1); i < tasks; i = next_.fetch_add(1)) {
    try {
      fn(i);
    } catch (...) {
      next_.store(tasks);  // no thread starts another task of this loop
      MutexLock lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void ThreadPool::WorkerLoop(unsigned id) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(size_t)>* fn = nullptr;
    size_t tasks = 0;
    {
      MutexLock lock(mu_);
      while (!stop_ && (generation_ == seen || id >= active_workers_)) wake_.Wait(mu_);
      if (stop_) return;
      seen = generation_;
      fn = fn_;
      tasks = tasks_;
    }
    Drain(*fn, tasks);
    MutexLock lock(mu_);
    if (--busy_workers_ == 0) done_.Signal();
  }
}

void ThreadPool::Run(size_t tasks, unsigned threads, const std::function<void(size_t)>& fn) {
  const unsigned helpers =
      static_cast<unsigned>(std::min<size_t>({threads_.size(), threads > 0 ? threads - 1 : 0, tasks - std::min<size_t>(tasks, 1)}));
  // Without helpers, or while another caller's loop owns the workers, the
  // loop runs on this thread alone.
  if (helpers == 0 || !run_mu_.TryLock()) {
    for (size_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  {
    MutexLock lock(mu_);
    fn_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    active_workers_ = helpers;
    busy_workers_ = helpers;
    ++generation_;
  }
  wake_.SignalAll();
  Drain(fn, tasks);
  std::exception_ptr error;
  {
    MutexLock lock(mu_);
    while (busy_workers_ != 0) done_.Wait(mu_);
    fn_ = nullptr;
    active_workers_ = 0;
    std::swap(error, error_);
  }
  run_mu_.Unlock();
  if (error) std::rethrow_exception(error);
}

}  // namespace hvdb::kernels::cpu
