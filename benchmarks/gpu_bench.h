// Copyright hvdb authors. `hvdb-bench gpu`: GPU search through the DB API
// beside its roofs (docs/gpu.md, docs/perf.md).
#ifndef HVDB_BENCHMARKS_GPU_BENCH_H_
#define HVDB_BENCHMARKS_GPU_BENCH_H_

#include <cstddef>
#include <string>
#include <vector>

namespace hvdb::bench {

struct GpuBenchConfig {
  size_t n = 10000000;
  size_t bits = 2048;
  size_t k = 10;
  std::vector<size_t> batches = {1, 16, 256, 10000};
  // The CPU is timed on at most this many queries of a batch (its rate is
  // flat in the batch size beyond a few dozen).
  size_t cpu_queries = 64;
  std::string dir;
  unsigned long long seed = 1;
};

// Prints JSON lines; without a search device, one line saying why (exit 0).
int RunGpuBench(const GpuBenchConfig& config);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_GPU_BENCH_H_
