// Copyright hvdb authors. `hvdb-bench index`: recall@10 against the exact
// scan and queries/s for each index and a sweep of its knobs.
#ifndef HVDB_BENCHMARKS_INDEX_BENCH_H_
#define HVDB_BENCHMARKS_INDEX_BENCH_H_

#include <cstddef>
#include <string>
#include <vector>

namespace hvdb::bench {

struct IndexBenchConfig {
  size_t n = 1000000;
  size_t bits = 2048;
  size_t queries = 1000;
  std::vector<size_t> prefix_bits = {256, 512};
  std::vector<size_t> candidates = {1, 2, 4, 8, 16, 32, 64};
  std::string dir;   // scratch; empty: $TMPDIR or /tmp
  unsigned long long seed = 1;
};

// Prints JSON lines; returns the exit status.
int RunIndexBench(const IndexBenchConfig& config);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_INDEX_BENCH_H_
