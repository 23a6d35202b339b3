// Copyright hvdb authors. `hvdb-bench kernels`.
#ifndef HVDB_BENCHMARKS_KERNEL_BENCH_H_
#define HVDB_BENCHMARKS_KERNEL_BENCH_H_

#include <cstddef>
#include <string>
#include <vector>

namespace hvdb::bench {

struct KernelBenchConfig {
  size_t n = 1000000;                     // rows
  std::vector<size_t> bits = {2048, 10048};
  size_t queries = 1000;                  // batch size
  size_t k = 10;
  unsigned threads = 0;                   // 0: every core
  std::vector<std::string> kernels;       // empty: every supported kernel
  bool faiss = true;
  double max_batch_seconds = 20;          // slower kernels run a smaller batch, reported as "nq"
  int one_query_reps = 15;
  unsigned long long seed = 1;
};

// Prints JSON lines; returns the process exit status.
int RunKernelBench(const KernelBenchConfig& config);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_KERNEL_BENCH_H_
