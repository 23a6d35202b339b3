// Copyright hvdb authors.
#include "shell/server/metrics.h"

#include <cstdio>
#include <sstream>

namespace hvdb::shell {
namespace {

// A label value, escaped as the text format wants (\\, \" and \n).
std::string Label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

}  // namespace

std::string_view StatementKindName(const Statement& statement) {
  using Kind = Statement::Kind;
  switch (statement.kind) {
    case Kind::kCreate: return "create";
    case Kind::kAlter: return "alter";
    case Kind::kDrop: return "drop";
    case Kind::kCollections: return "collections";
    case Kind::kPut: return "put";
    case Kind::kGet: return "get";
    case Kind::kDelete: return "delete";
    case Kind::kCount: return "count";
    case Kind::kLet: return "let";
    case Kind::kSearch: return "search";
    case Kind::kAccumulate: return "accumulate";
    case Kind::kCleanup: return "cleanup";
    case Kind::kDropAccumulator: return "drop_accumulator";
  }
  return "other";
}

void Metrics::Request(std::string_view protocol, std::string_view route, int status, double seconds) {
  MutexLock lock(mu_);
  ++requests_[{std::string(protocol), std::string(route), status}];
  Histogram& h = latency_[{std::string(protocol), std::string(route)}];
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  ++h.counts[bucket];
  h.sum += seconds;
  ++h.count;
}

void Metrics::Statement(const shell::Statement& statement, const SearchStats* search) {
  MutexLock lock(mu_);
  ++statements_[std::string(StatementKindName(statement))];
  if (search != nullptr) {
    ++searches_[{DeviceName(search->plan.device), IndexKindName(search->plan.index)}];
    rows_scanned_ += uint64_t{search->rows_scanned} * search->queries;
  }
}

void Metrics::ConnectionOpened(std::string_view protocol) {
  MutexLock lock(mu_);
  ++connections_[std::string(protocol)];
}

void Metrics::ConnectionClosed(std::string_view protocol) {
  MutexLock lock(mu_);
  --connections_[std::string(protocol)];
}

void Metrics::Refused(std::string_view reason) {
  MutexLock lock(mu_);
  ++refused_[std::string(reason)];
}

std::string Metrics::Render(DB* db) const {
  uint64_t cache_bytes = 0, gpu_bytes = 0, rows = 0;
  size_t collections = 0;
  for (const std::string& name : db->ListCollections()) {
    Collection* c = nullptr;
    if (!db->GetCollection(name, &c).ok()) continue;
    const CollectionStats s = c->Stats();
    cache_bytes += s.memory_bytes + s.index_bytes;
    gpu_bytes += s.gpu_bytes;
    rows += s.count;
    ++collections;
  }
  std::ostringstream out;
  MutexLock lock(mu_);
  out << "# HELP hvdb_requests_total Requests answered, by protocol, route and status.\n"
      << "# TYPE hvdb_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [protocol, route, status] = key;
    out << "hvdb_requests_total{protocol=\"" << Label(protocol) << "\",route=\"" << Label(route) << "\",status=\""
        << status << "\"} " << n << "\n";
  }
  out << "# HELP hvdb_request_seconds Time from a request read to its answer written, by protocol and route.\n"
      << "# TYPE hvdb_request_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    const std::string labels = "protocol=\"" + Label(key.first) + "\",route=\"" + Label(key.second) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.counts[b];
      out << "hvdb_request_seconds_bucket{" << labels << ",le=\"" << Number(kBuckets[b]) << "\"} " << cumulative << "\n";
    }
    out << "hvdb_request_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count << "\n"
        << "hvdb_request_seconds_sum{" << labels << "} " << Number(h.sum) << "\n"
        << "hvdb_request_seconds_count{" << labels << "} " << h.count << "\n";
  }
  out << "# HELP hvdb_statements_total Statements run, by kind.\n# TYPE hvdb_statements_total counter\n";
  for (const auto& [kind, n] : statements_) out << "hvdb_statements_total{kind=\"" << kind << "\"} " << n << "\n";
  out << "# HELP hvdb_searches_total Searches, by the device and index that answered.\n"
      << "# TYPE hvdb_searches_total counter\n";
  for (const auto& [key, n] : searches_) {
    out << "hvdb_searches_total{device=\"" << Label(key.first) << "\",index=\"" << Label(key.second) << "\"} " << n
        << "\n";
  }
  out << "# HELP hvdb_rows_scanned_total Rows compared with a query, all searches.\n"
      << "# TYPE hvdb_rows_scanned_total counter\nhvdb_rows_scanned_total " << rows_scanned_ << "\n";
  out << "# HELP hvdb_open_connections Connections open now, by protocol.\n# TYPE hvdb_open_connections gauge\n";
  for (const auto& [protocol, n] : connections_) {
    out << "hvdb_open_connections{protocol=\"" << Label(protocol) << "\"} " << n << "\n";
  }
  out << "# HELP hvdb_refused_total Connections and requests turned away, by reason.\n"
      << "# TYPE hvdb_refused_total counter\n";
  for (const auto& [reason, n] : refused_) out << "hvdb_refused_total{reason=\"" << Label(reason) << "\"} " << n << "\n";
  out << "# HELP hvdb_collections Collections in the database.\n# TYPE hvdb_collections gauge\nhvdb_collections "
      << collections << "\n"
      << "# HELP hvdb_rows Live vectors, all collections.\n# TYPE hvdb_rows gauge\nhvdb_rows " << rows << "\n"
      << "# HELP hvdb_cache_bytes Host memory of the collections (rows, keys, indexes).\n"
      << "# TYPE hvdb_cache_bytes gauge\nhvdb_cache_bytes " << cache_bytes << "\n"
      << "# HELP hvdb_gpu_bytes Device memory of the collections' GPU shards.\n"
      << "# TYPE hvdb_gpu_bytes gauge\nhvdb_gpu_bytes " << gpu_bytes << "\n";
  return out.str();
}

}  // namespace hvdb::shell
