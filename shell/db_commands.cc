// Copyright hvdb authors.
#include "shell/db_commands.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "hvdb/hvdb.h"
#include "shell/info_command.h"
#include "shell/json_writer.h"
#include "shell/progress.h"

namespace hvdb::shell {
namespace {

// Positional arguments and --flags; a flag in `with_value` takes the next argument.
struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
};

std::optional<Parsed> Parse(const Args& args, const std::vector<std::string>& with_value,
                            const std::vector<std::string>& switches, const std::string& usage, std::ostream& err) {
  Parsed p;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 1 && a[0] == '-') {
      bool known = false;
      for (const auto& f : with_value) {
        if (a == f) {
          if (i + 1 == args.size()) {
            err << "hvdb: " << a << " needs a value\nusage: " << usage << "\n";
            return std::nullopt;
          }
          p.flags[a] = args[++i];
          known = true;
        }
      }
      for (const auto& f : switches) {
        if (a == f) {
          p.flags[a] = "";
          known = true;
        }
      }
      if (!known) {
        err << "hvdb: unknown option '" << a << "'\nusage: " << usage << "\n";
        return std::nullopt;
      }
    } else {
      p.positional.push_back(a);
    }
  }
  return p;
}

std::optional<uint64_t> ParseNumber(const std::string& text, const std::string& flag, std::ostream& err) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    err << "hvdb: " << flag << " needs a non-negative integer, got '" << text << "'\n";
    return std::nullopt;
  }
  return v;
}

int Fail(const Status& s, std::ostream& err) {
  err << "hvdb: " << s.ToString() << "\n";
  return 1;
}

Status OpenExisting(const std::string& path, std::unique_ptr<DB>* db) {
  return DB::Open({.create_if_missing = false}, path, db);
}

}  // namespace

int LoadCommand(const Args& args, std::ostream& out, std::ostream& err) {
  const std::string usage =
      "hvdb load PATH COLLECTION FILE [--keys FILE] [--dim D] [--create] [--format npy|hvdb|text]";
  auto p = Parse(args, {"--keys", "--dim", "--format"}, {"--create", "--help"}, usage, err);
  if (!p) return 2;
  if (p->flags.count("--help")) {
    out << "usage: " << usage
        << "\n  Loads every row of FILE (.npy of packed uint8 rows, an .hvdb file from export, or text\n"
           "  lines key<TAB>hex) into COLLECTION, replacing keys that exist. All or nothing.\n"
           "  --keys FILE   .npy only: one key per line (default: row numbers)\n"
           "  --create      create the database and the collection when missing\n"
           "  --dim D       dimension for --create (default: from FILE)\n";
    return 0;
  }
  if (p->positional.size() != 3) {
    err << "usage: " << usage << "\n";
    return 2;
  }
  const std::string &path = p->positional[0], &name = p->positional[1], &file = p->positional[2];
  BulkLoadOptions options;
  if (p->flags.count("--keys")) options.keys_path = p->flags["--keys"];
  if (p->flags.count("--format")) {
    const std::string& f = p->flags["--format"];
    if (f == "npy") options.format = BulkLoadOptions::Format::kNpy;
    else if (f == "hvdb") options.format = BulkLoadOptions::Format::kHvdb;
    else if (f == "text") options.format = BulkLoadOptions::Format::kText;
    else {
      err << "hvdb load: --format must be npy, hvdb or text, got '" << f << "'\n";
      return 2;
    }
  }
  const bool create = p->flags.count("--create") > 0;
  std::unique_ptr<DB> db;
  if (Status s = DB::Open({.create_if_missing = create}, path, &db); !s.ok()) return Fail(s, err);
  Collection* collection = nullptr;
  Status s = db->GetCollection(name, &collection);
  if (s.IsNotFound() && create) {
    uint64_t dim = 0;
    if (p->flags.count("--dim")) {
      auto d = ParseNumber(p->flags["--dim"], "--dim", err);
      if (!d) return 2;
      dim = *d;
    } else {
      auto probed = SourceDim(file, options);
      if (!probed.ok()) return Fail(probed.status(), err);
      dim = *probed;
    }
    if (s = db->CreateCollection(name, {.dim = dim}); !s.ok()) return Fail(s, err);
    s = db->GetCollection(name, &collection);
  }
  if (!s.ok()) return Fail(s, err);
  if (p->flags.count("--dim") && !create) {
    auto d = ParseNumber(p->flags["--dim"], "--dim", err);
    if (!d) return 2;
    if (*d != collection->dim()) {
      return Fail(Status::InvalidArgument("--dim " + std::to_string(*d) + " but collection '" + name + "' has dim " +
                                          std::to_string(collection->dim())),
                  err);
    }
  }
  ProgressBar bar(err, StderrIsTerminal(), "loading");
  auto result = collection->BulkLoad(file, options, [&](const BulkLoadProgress& pr) { return bar.Update(pr); });
  bar.Done();
  if (!result.ok()) return Fail(result.status(), err);
  char line[256];
  std::snprintf(line, sizeof line, "loaded %llu vectors (%llu replaced) into '%s' in %.2f s: %.0f vectors/s\n",
                static_cast<unsigned long long>(result->rows), static_cast<unsigned long long>(result->replaced),
                name.c_str(), result->seconds, result->seconds > 0 ? result->rows / result->seconds : 0.0);
  out << line;
  return 0;
}

int SearchCommand(const Args& args, std::ostream& out, std::ostream& err) {
  const std::string usage = "hvdb search PATH COLLECTION --queries FILE.npy [-k K] [--radius R] [--json]";
  auto p = Parse(args, {"--queries", "-k", "--radius"}, {"--json", "--help"}, usage, err);
  if (!p) return 2;
  if (p->flags.count("--help")) {
    out << "usage: " << usage
        << "\n  For each row of FILE.npy (packed uint8 rows), the K nearest vectors (default 10), nearest\n"
           "  first, ties in insertion order. --radius R: only hits within distance R (-k 0: all of them).\n"
           "  --json: one JSON array per query, one line each, of {\"key\",\"distance\",\"similarity\"}.\n";
    return 0;
  }
  if (p->positional.size() != 2 || !p->flags.count("--queries")) {
    err << "usage: " << usage << "\n";
    return 2;
  }
  SearchOptions options;
  if (p->flags.count("-k")) {
    auto k = ParseNumber(p->flags["-k"], "-k", err);
    if (!k) return 2;
    options.k = *k;
  }
  if (p->flags.count("--radius")) {
    auto r = ParseNumber(p->flags["--radius"], "--radius", err);
    if (!r) return 2;
    options.max_distance = static_cast<uint32_t>(*r);
  }
  auto queries = ReadNpy(p->flags["--queries"]);
  if (!queries.ok()) return Fail(queries.status(), err);
  std::unique_ptr<DB> db;
  if (Status s = OpenExisting(p->positional[0], &db); !s.ok()) return Fail(s, err);
  Collection* collection = nullptr;
  if (Status s = db->GetCollection(p->positional[1], &collection); !s.ok()) return Fail(s, err);
  auto results = collection->SearchBatch(std::span<const Hypervector>(*queries), options);
  if (!results.ok()) return Fail(results.status(), err);
  const bool json = p->flags.count("--json") > 0;
  for (size_t q = 0; q < results->size(); ++q) {
    const auto& hits = (*results)[q];
    if (json) {
      out << "[";
      for (size_t i = 0; i < hits.size(); ++i) {
        char sim[32];
        std::snprintf(sim, sizeof sim, "%.6f", hits[i].similarity);
        out << (i ? "," : "") << "{\"key\":" << JsonString(hits[i].key) << ",\"distance\":" << hits[i].distance
            << ",\"similarity\":" << sim << "}";
      }
      out << "]\n";
    } else {
      out << "query " << q << ":\n";
      for (const SearchHit& h : hits) {
        char line[64];
        std::snprintf(line, sizeof line, "\t%u\t%.6f\n", h.distance, h.similarity);
        out << "  " << h.key << line;
      }
    }
  }
  return 0;
}

int ExportCommand(const Args& args, std::ostream& out, std::ostream& err) {
  const std::string usage = "hvdb export PATH COLLECTION FILE";
  auto p = Parse(args, {}, {"--help"}, usage, err);
  if (!p) return 2;
  if (p->flags.count("--help")) {
    out << "usage: " << usage << "\n  Writes every (key, vector) of COLLECTION, in insertion order, to an hvdb\n"
        << "  vector file that hvdb load reads back.\n";
    return 0;
  }
  if (p->positional.size() != 3) {
    err << "usage: " << usage << "\n";
    return 2;
  }
  std::unique_ptr<DB> db;
  if (Status s = OpenExisting(p->positional[0], &db); !s.ok()) return Fail(s, err);
  Collection* collection = nullptr;
  if (Status s = db->GetCollection(p->positional[1], &collection); !s.ok()) return Fail(s, err);
  ProgressBar bar(err, StderrIsTerminal(), "exporting");
  const Status s = collection->Export(p->positional[2], [&](const BulkLoadProgress& pr) { return bar.Update(pr); });
  bar.Done();
  if (!s.ok()) return Fail(s, err);
  out << "exported " << collection->Count() << " vectors to '" << p->positional[2] << "'\n";
  return 0;
}

int InfoPathCommand(const std::string& path, bool json, std::ostream& out, std::ostream& err) {
  std::unique_ptr<DB> db;
  if (Status s = OpenExisting(path, &db); !s.ok()) return Fail(s, err);
  const SystemInfo system = GetSystemInfo();
  std::vector<CollectionStats> stats;
  for (const std::string& name : db->ListCollections()) {
    Collection* c = nullptr;
    if (db->GetCollection(name, &c).ok()) stats.push_back(c->Stats());
  }
  const std::string device = system.cuda_devices.empty() ? "cpu" : "cpu, gpu";
  if (json) {
    out << "{\"path\":" << JsonString(path) << ",\"kernel\":" << JsonString(system.cpu_kernel)
        << ",\"devices\":" << JsonString(device) << ",\"collections\":[";
    for (size_t i = 0; i < stats.size(); ++i) {
      const CollectionStats& s = stats[i];
      out << (i ? "," : "") << "{\"name\":" << JsonString(s.name) << ",\"dim\":" << s.dim << ",\"count\":" << s.count
          << ",\"deleted_rows\":" << s.deleted_rows << ",\"disk_bytes\":" << s.disk_bytes
          << ",\"memory_bytes\":" << s.memory_bytes << ",\"pinned\":" << (s.pinned ? "true" : "false") << "}";
    }
    out << "]}\n";
    return 0;
  }
  PrintInfoText(system, out);
  out << "database: " << path << "\n";
  if (stats.empty()) out << "  no collections\n";
  for (const CollectionStats& s : stats) {
    char line[256];
    std::snprintf(line, sizeof line, "  %s: dim %zu, %llu vectors, %.1f MiB on disk, %.1f MiB in memory%s\n",
                  s.name.c_str(), s.dim, static_cast<unsigned long long>(s.count), s.disk_bytes / 1048576.0,
                  s.memory_bytes / 1048576.0, s.pinned ? " (pinned)" : "");
    out << line;
  }
  return 0;
}

}  // namespace hvdb::shell
