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
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

ThreadPool& ThreadPool::Shared() {
  static ThreadPool* pool = [] {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return new ThreadPool(cores - 1);  // never destroyed: workers may outlive static destructors' users
  }();
  return *pool;
}

void ThreadPool::Drain() {
  for (size_t i = next_.fetch_add(1); i < tasks_; i = next_.fetch_add(1)) (*fn_)(i);
}

void ThreadPool::WorkerLoop(unsigned id) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || (generation_ != seen && id < active_workers_); });
      if (stop_) return;
      seen = generation_;
    }
    Drain();
    std::lock_guard<std::mutex> lock(mu_);
    if (--busy_workers_ == 0) done_.notify_one();
  }
}

void ThreadPool::Run(size_t tasks, unsigned threads, const std::function<void(size_t)>& fn) {
  const unsigned helpers =
      static_cast<unsigned>(std::min<size_t>({threads_.size(), threads > 0 ? threads - 1 : 0, tasks - std::min<size_t>(tasks, 1)}));
  std::unique_lock<std::mutex> owner(run_mu_, std::try_to_lock);
  if (helpers == 0 || !owner.owns_lock()) {
    for (size_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    active_workers_ = helpers;
    busy_workers_ = helpers;
    ++generation_;
  }
  wake_.notify_all();
  Drain();
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return busy_workers_ == 0; });
  fn_ = nullptr;
  active_workers_ = 0;
}

}  // namespace hvdb::kernels::cpu
