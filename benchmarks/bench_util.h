// Copyright hvdb authors. What every hvdb-bench subcommand needs: a clock
// and a scratch directory.
#ifndef HVDB_BENCHMARKS_BENCH_UTIL_H_
#define HVDB_BENCHMARKS_BENCH_UTIL_H_

#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace hvdb::bench {

// Seconds on the steady clock.
inline double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A new directory `name`-XXXXXX under `base` (empty: $TMPDIR, else /tmp);
// empty when it cannot be made. The caller removes it.
inline std::string MakeScratchDir(const std::string& base, const std::string& name) {
  std::string root = base;
  if (root.empty()) root = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string pattern = root + "/" + name + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_BENCH_UTIL_H_
