// Copyright hvdb authors. The server's counters, rendered at /metrics in
// Prometheus' text format (docs/server.md). Thread safe.
#ifndef HVDB_SHELL_SERVER_METRICS_H_
#define HVDB_SHELL_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "base/mutex.h"
#include "hvdb/hvdb.h"
#include "shell/lang/parser.h"

namespace hvdb::shell {

class Metrics {
 public:
  // One request answered: protocol "http" or "lines", its route (HTTP: the
  // route's pattern; lines: "statement", "dot-command" or "auth"), its
  // status (HTTP code; lines: 200 or the code its error maps to).
  void Request(std::string_view protocol, std::string_view route, int status, double seconds);
  // One statement run: its kind; a search's device, index and rows.
  void Statement(const Statement& statement, const SearchStats* search);
  void ConnectionOpened(std::string_view protocol);
  void ConnectionClosed(std::string_view protocol);
  // A connection or request turned away: "connections", "auth", "stopping".
  void Refused(std::string_view reason);
  // Prometheus text format, with the collections' cache and GPU bytes read now.
  std::string Render(DB* db) const;

 private:
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  struct Histogram {
    std::array<uint64_t, kBuckets.size() + 1> counts{};  // the last: above every bucket
    double sum = 0;
    uint64_t count = 0;
  };
  mutable Mutex mu_;
  // protocol, route, status
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_ HVDB_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, Histogram> latency_ HVDB_GUARDED_BY(mu_);  // protocol, route
  std::map<std::string, uint64_t> statements_ HVDB_GUARDED_BY(mu_);                        // kind
  std::map<std::pair<std::string, std::string>, uint64_t> searches_ HVDB_GUARDED_BY(mu_);  // device, index
  uint64_t rows_scanned_ HVDB_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> connections_ HVDB_GUARDED_BY(mu_);   // protocol
  std::map<std::string, uint64_t> refused_ HVDB_GUARDED_BY(mu_);      // reason
};

// The name of a statement's kind, as the metrics and the plan call it.
std::string_view StatementKindName(const Statement& statement);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_METRICS_H_
