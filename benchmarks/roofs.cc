// Copyright hvdb authors.
#include "benchmarks/roofs.h"

#include "benchmarks/bench_util.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "kernels/hamming.h"

namespace hvdb::bench {
namespace {

// Runs fn(t) on `threads` threads started together; returns the wall time.
template <typename Fn>
double TimeOnThreads(unsigned threads, Fn fn) {
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) {
      }
      fn(t);
    });
  }
  while (ready.load() != threads) {
  }
  const double start = Now();
  go.store(true);
  for (auto& th : pool) th.join();
  return Now() - start;
}

uint64_t SumWords(const uint64_t* p, size_t words) {
  // Eight independent chains so the loop is bound by loads, not by latency.
  uint64_t s[8] = {};
  size_t w = 0;
  for (; w + 8 <= words; w += 8) {
    for (int j = 0; j < 8; ++j) s[j] ^= p[w + j];
  }
  for (; w < words; ++w) s[0] ^= p[w];
  uint64_t total = 0;
  for (uint64_t v : s) total ^= v;
  return total;
}

}  // namespace

double MeasureReadGbs(const uint64_t* data, size_t bytes, unsigned threads) {
  const size_t words = bytes / sizeof(uint64_t);
  const size_t per = (words + threads - 1) / threads;
  std::atomic<uint64_t> sink{0};
  double best = 1e30;
  for (int pass = 0; pass < 3; ++pass) {
    const double t = TimeOnThreads(threads, [&](unsigned i) {
      const size_t begin = std::min(words, i * per), end = std::min(words, begin + per);
      sink.fetch_xor(SumWords(data + begin, end - begin));
    });
    best = std::min(best, t);
  }
  return static_cast<double>(words * sizeof(uint64_t)) / best / 1e9;
}

PopcountRoof MeasurePopcountRoof(unsigned threads) {
  PopcountRoof roof;
  const bool vector = kernels::SimdSupported(kernels::Simd::kAvx512);
  roof.instruction = vector ? "vpopcntq" : "popcnt";
  roof.bits_per_instruction = vector ? 512 : 64;
  const uint64_t iterations = uint64_t{1} << 26;
  std::atomic<uint64_t> executed{0};
  double best = 1e30;
  for (int pass = 0; pass < 3; ++pass) {
    executed.store(0);
    const double t = TimeOnThreads(threads, [&](unsigned) {
      executed.fetch_add(vector ? RunVpopcntqLoop(iterations) : RunPopcntLoop(iterations));
    });
    best = std::min(best, t);
  }
  roof.per_second = static_cast<double>(executed.load()) / best;
  return roof;
}

double MeasureAvx2LookupRoof(unsigned threads) {
  if (!kernels::SimdSupported(kernels::Simd::kAvx2)) return 0;
  const uint64_t iterations = uint64_t{1} << 24;
  std::atomic<uint64_t> vectors{0};
  double best = 1e30;
  for (int pass = 0; pass < 5; ++pass) {  // 0.1 s each; this VM's neighbours blur fewer
    vectors.store(0);
    const double t = TimeOnThreads(threads, [&](unsigned) { vectors.fetch_add(RunAvx2LookupLoop(iterations)); });
    best = std::min(best, t);
  }
  return static_cast<double>(vectors.load()) / best;
}

double MeasureAvx2HarleySealRoof(unsigned threads, size_t bits) {
  if (!kernels::SimdSupported(kernels::Simd::kAvx2)) return 0;
  const size_t vectors_per_pair = (bits + 255) / 256;
  const uint64_t pairs = (uint64_t{1} << 24) / vectors_per_pair;  // about as long as the lookup loop
  std::atomic<uint64_t> done{0};
  double best = 1e30;
  for (int pass = 0; pass < 5; ++pass) {
    done.store(0);
    const double t = TimeOnThreads(threads, [&](unsigned) { done.fetch_add(RunAvx2HarleySealLoop(pairs, vectors_per_pair)); });
    best = std::min(best, t);
  }
  return static_cast<double>(done.load()) / best;
}

}  // namespace hvdb::bench
