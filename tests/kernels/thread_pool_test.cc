// Copyright hvdb authors.
#include "kernels/cpu/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
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
