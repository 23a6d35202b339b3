// Copyright hvdb authors. `hvdb-bench load` and `hvdb-bench query`: the
// database end to end (bulk load, reopen, search through the DB API), each
// figure beside its roof and beside FAISS in the same run.
#ifndef HVDB_BENCHMARKS_DB_BENCH_H_
#define HVDB_BENCHMARKS_DB_BENCH_H_

#include <cstddef>
#include <string>
#include <vector>

namespace hvdb::bench {

struct DbBenchConfig {
  std::vector<size_t> n = {1000000, 10000000};  // rows (load); query uses the first
  size_t bits = 2048;
  size_t queries = 1000;                         // batch size (query)
  size_t k = 10;
  unsigned threads = 0;                          // 0: every core
  bool faiss = true;
  std::string dir;                               // scratch directory; empty: $TMPDIR or /tmp
  unsigned long long seed = 1;
};

// Both print JSON lines and return the process exit status.
int RunLoadBench(const DbBenchConfig& config);
int RunQueryBench(const DbBenchConfig& config);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_DB_BENCH_H_
