// Copyright hvdb authors. `hvdb-bench serve`: the server under load. C
// clients (half JSON lines, half HTTP/1.1 keep-alive) mix writes and searches
// against `hvdb serve` for a bounded time, beside slow clients (each answer
// read late) and stalled ones (requests sent, answers never read; or nothing
// sent at all); the same statement mix through the embedded API is the
// baseline, so the ratio is what the network costs. Also the server's RSS
// over the run and how long SIGTERM takes with the stalled clients still
// connected. Any error, or a server that does not stop within its grace
// period, fails the run.
#ifndef HVDB_BENCHMARKS_SERVE_BENCH_H_
#define HVDB_BENCHMARKS_SERVE_BENCH_H_

#include <cstddef>
#include <string>

namespace hvdb::bench {

struct ServeBenchConfig {
  size_t n = 100000;             // rows preloaded (BulkLoad) before the server starts
  size_t bits = 2048;
  size_t clients = 64;           // the measured clients: clients / 2 JSON lines, the rest HTTP
  double seconds = 10;           // each run (embedded, then the server)
  double write_fraction = 0.2;   // puts (half new keys, half existing); the rest searches
  size_t k = 10;
  size_t slow = 2;               // slow clients on each protocol (each answer read after slow_delay_ms)
  unsigned slow_delay_ms = 200;
  size_t stalled = 2;            // on each protocol: this many that never read and this many that never send
  unsigned workers = 0;          // the server's --workers; 0: its default (one per core, at least 2)
  unsigned embedded_threads = 0; // the baseline's threads; 0: as many as the measured clients
  unsigned grace_seconds = 10;   // the server's --grace
  std::string dir;               // scratch directory; empty: $TMPDIR or /tmp
  std::string hvdb;              // the hvdb program; empty: ../shell/hvdb beside hvdb-bench
  unsigned long long seed = 1;
};

// Prints JSON lines; returns 0, or 1 on any error or a server that did not stop.
int RunServeBench(const ServeBenchConfig& config);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_SERVE_BENCH_H_
