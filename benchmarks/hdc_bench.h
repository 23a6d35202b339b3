// Copyright hvdb authors. `hvdb-bench hdc`: the batch forms of the algebra.
#ifndef HVDB_BENCHMARKS_HDC_BENCH_H_
#define HVDB_BENCHMARKS_HDC_BENCH_H_

#include <cstddef>
#include <vector>

namespace hvdb::bench {

struct HdcBenchConfig {
  size_t n = 200000;                     // rows per batch
  std::vector<size_t> bits = {2048, 10048};
  size_t bundle_members = 16;            // members per bundle group
  size_t texts = 20000;                  // sentences for the text encoder
  unsigned threads = 0;                  // 0: every core
};

// Prints one JSON line per operation and dimension; returns the exit status.
int RunHdcBench(const HdcBenchConfig& config);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_HDC_BENCH_H_
