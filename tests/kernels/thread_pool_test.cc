// Copyright hvdb authors.
#include "kernels/cpu/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace hvdb::kernels::cpu {
namespace {

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  ThreadPool pool(3);
  for (size_t tasks : {0, 1, 2, 7, 100}) {
    for (unsigned threads : {1u, 2u, 4u, 16u}) {
      std::vector<std::atomic<int>> hits(tasks);
      pool.Run(tasks, threads, [&](size_t i) { hits[i].fetch_add(1); });
      for (size_t i = 0; i < tasks; ++i) ASSERT_EQ(hits[i].load(), 1) << tasks << " tasks, " << threads << " threads";
    }
  }
}

// A task that throws (a search's std::bad_alloc) ends its loop: Run rethrows
// it on the caller once every started task has returned, and the next loop
// runs every task again, on the workers too.
TEST(ThreadPool, AThrowingTaskIsRethrownOnTheCallerAndThePoolStaysUsable) {
  ThreadPool pool(3);
  for (unsigned threads : {1u, 4u}) {
    std::vector<std::atomic<int>> hits(100);
    EXPECT_THROW(pool.Run(hits.size(), threads,
                          [&](size_t i) {
                            hits[i].fetch_add(1);
                            if (i == 37) throw std::runtime_error("task 37");
                          }),
                 std::runtime_error)
        << threads << " threads";
    EXPECT_EQ(hits[37].load(), 1);
    for (auto& h : hits) EXPECT_LE(h.load(), 1);
    std::vector<std::atomic<int>> again(100);
    std::atomic<int> on_workers{0};
    const std::thread::id caller = std::this_thread::get_id();
    pool.Run(again.size(), threads, [&](size_t i) {
      again[i].fetch_add(1);
      if (std::this_thread::get_id() != caller) {
        on_workers.fetch_add(1);
      } else if (threads > 1) {  // the caller's task waits (10 s at most) for a worker to take one
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (on_workers.load() == 0 && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
      }
    });
    for (size_t i = 0; i < again.size(); ++i) ASSERT_EQ(again[i].load(), 1) << threads << " threads, task " << i;
    if (threads > 1) {
      EXPECT_GT(on_workers.load(), 0) << "the workers no longer take part";
    }
  }
}

TEST(ThreadPool, ConcurrentCallersDoNotBlockOrMix) {
  ThreadPool pool(2);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < 6; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 200; ++round) {
        std::vector<std::atomic<int>> hits(13);
        pool.Run(hits.size(), 3, [&](size_t i) { hits[i].fetch_add(c + 1); });
        for (auto& h : hits) {
          if (h.load() != c + 1) failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace hvdb::kernels::cpu
