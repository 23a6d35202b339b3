// Copyright hvdb authors.
#include "shell/db_commands.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "hvdb/hvdb.h"
#include "shell/command_line.h"
#include "shell/info_command.h"
#include "shell/json_writer.h"
#include "shell/printable.h"
#include "shell/progress.h"

namespace hvdb::shell {
namespace {

int Fail(const Status& s, std::ostream& err) {
  err << "hvdb: " << s.ToString() << "\n";
  return 1;
}

// search, export and info only read: they write nothing (a full disk, a
// database another process writes), and take no lock.
Status OpenExisting(const std::string& path, std::unique_ptr<DB>* db) {
  return DB::Open({.read_only = true}, path, db);
}

}  // namespace

namespace {

FileFormat FormatNamed(const std::string& name) {
  if (name == "npy") return FileFormat::kNpy;
  if (name == "hvdb") return FileFormat::kHvdb;
  if (name == "text") return FileFormat::kText;
  return FileFormat::kAuto;
}

// What `hvdb load --create` made, removed again when the load fails: a failed
// load leaves nothing behind. Only a database this load opened (so holds the
// lock of) and found without collections counts as made by it: a database
// another process made meanwhile is never touched. A directory that existed
// (empty) stays, empty.
class CreatedByLoad {
 public:
  explicit CreatedByLoad(const std::string& path) : path_(path) {
    std::error_code ec;
    existed_ = std::filesystem::exists(path, ec);
    was_empty_dir_ = existed_ && std::filesystem::is_directory(path, ec) && std::filesystem::is_empty(path, ec);
  }
  // Before the open: whether PATH held nothing.
  bool held_nothing() const { return !existed_ || was_empty_dir_; }
  // After a successful open: whether this load made the database.
  void Opened(const DB& db) { made_database_ = held_nothing() && db.ListCollections().empty(); }
  void MadeCollection(const std::string& name) { collection_ = name; }
  // Closes `db` and removes what this load made.
  void Undo(std::unique_ptr<DB>* db) {
    if (!made_database_) {
      if (!collection_.empty() && *db) (void)(*db)->DropCollection(collection_);
      return;
    }
    db->reset();
    std::error_code ec;
    if (!existed_) {
      std::filesystem::remove_all(path_, ec);
      return;
    }
    for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) std::filesystem::remove_all(entry, ec);
  }

 private:
  std::string path_;
  bool existed_ = false, was_empty_dir_ = false, made_database_ = false;
  std::string collection_;
};

}  // namespace

int LoadCommand(const Args& args, std::ostream& out, std::ostream& err) {
  std::string path, name, file, format;
  std::optional<uint64_t> dim, first_row;
  bool create = false;
  BulkLoadOptions options;
  CommandLine flags("load",
                    "Loads every row of FILE (.npy of packed uint8 or bool rows, an .hvdb file from export,\n"
                    "or text lines key<TAB>hex) into COLLECTION, replacing keys that exist. All or nothing.");
  flags.DatabasePath(&path);
  flags.Positional("COLLECTION", &name, "the collection to load into");
  flags.Positional("FILE", &file, "the rows");
  bool no_keys = false;
  flags.Text("--keys", "FILE", &options.keys_path,
             ".npy only: one key per line (default: FILE's .keys beside it when there is one, as export writes)");
  flags.Switch("--no-keys", &no_keys, ".npy only: number the rows even when a .keys file is beside FILE");
  flags.Integer("--first-row", "N", &first_row, 0, UINT64_MAX,
                ".npy numbered: the key of row 0 (default: one past the largest decimal key)");
  flags.Switch("--unpacked", &options.npy.unpacked, ".npy only: uint8 rows hold one bit (0/1) per element");
  flags.Switch("--pad", &options.npy.pad, ".npy only: append zero bits up to a multiple of 64");
  flags.Integer("--dim", "D", &dim, kMinDim, kMaxDim, "dimension for --create (default: from FILE)");
  flags.Switch("--create", &create, "create the database and the collection when missing");
  flags.Choice("--format", {"npy", "hvdb", "text"}, &format, "the format of FILE (default: from its name)");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  options.format = FormatNamed(format);
  options.first_row_number = first_row;
  if (no_keys && !options.keys_path.empty()) return flags.UsageError("--keys and --no-keys exclude each other", err);
  // An exported .npy loads back with its keys (FILE.keys), unless numbered on purpose.
  std::optional<std::string> paired;
  if (options.keys_path.empty() && !no_keys && !first_row) paired = KeysBeside(file, options);
  if (paired) options.keys_path = *paired;
  CreatedByLoad created(path);
  std::unique_ptr<DB> db;
  if (Status s = DB::Open({.create_if_missing = create}, path, &db); !s.ok()) {
    // Nothing is removed after a failed open: it may be another process's.
    if (!create && created.held_nothing()) {
      return Fail(Status::NotFound("no database at '" + path + "' (add --create to make one)"), err);
    }
    return Fail(s, err);
  }
  created.Opened(*db);
  auto fail = [&](const Status& s) {
    created.Undo(&db);
    return Fail(s, err);
  };
  Collection* collection = nullptr;
  Status s = db->GetCollection(name, &collection);
  if (s.IsNotFound() && create) {
    if (!dim) {
      auto probed = SourceDim(file, options);
      if (!probed.ok()) return fail(probed.status());
      dim = *probed;
    }
    if (s = db->CreateCollection(name, {.dim = *dim}); !s.ok()) return fail(s);
    created.MadeCollection(name);
    s = db->GetCollection(name, &collection);
  }
  if (s.IsNotFound()) return fail(Status::NotFound(s.message() + "; add --create to make it"));
  if (!s.ok()) return fail(s);
  if (dim && *dim != collection->dim()) {
    return fail(Status::InvalidArgument("--dim " + std::to_string(*dim) + " but collection '" + name +
                                        "' has dim " + std::to_string(collection->dim())));
  }
  ProgressBar bar(err, StderrIsTerminal(), "loading");
  auto result = collection->BulkLoad(file, options, [&](const BulkLoadProgress& pr) { return bar.Update(pr); });
  bar.Done();
  if (!result.ok()) return fail(result.status());
  char line[256];
  std::snprintf(line, sizeof line, "loaded %llu vectors (%llu replaced) into '%s' in %.2f s: %.0f vectors/s\n",
                static_cast<unsigned long long>(result->rows), static_cast<unsigned long long>(result->replaced),
                name.c_str(), result->seconds, result->seconds > 0 ? result->rows / result->seconds : 0.0);
  out << line;
  if (paired) out << "keys from '" << *paired << "' (--no-keys numbers the rows instead)\n";
  if (result->first_row_number && result->rows > 0) {
    out << "keys " << *result->first_row_number << " to " << *result->first_row_number + (result->rows - 1)
        << " (the row numbers; --first-row N chooses, --keys FILE names them)\n";
  }
  return 0;
}

int SearchCommand(const Args& args, std::ostream& out, std::ostream& err) {
  std::string path, name, queries_path;
  bool json = false;
  SearchOptions options;
  NpyReadOptions npy;
  CommandLine flags("search",
                    "For each row of FILE.npy (packed uint8 or bool rows), the K nearest vectors, nearest\n"
                    "first, ties in insertion order.");
  flags.DatabasePath(&path);
  flags.Positional("COLLECTION", &name, "the collection to search");
  flags.Text("--queries", "FILE.npy", &queries_path, "the query rows", /*required=*/true);
  flags.Switch("--unpacked", &npy.unpacked, "uint8 query rows hold one bit (0/1) per element");
  flags.Switch("--pad", &npy.pad, "append zero bits to query rows up to a multiple of 64");
  flags.Integer("-k", "K", &options.k, 0, UINT64_MAX, "hits per query (default 10; 0: all within --radius)");
  flags.Integer("--radius", "R", &options.max_distance, 0, UINT32_MAX, "only hits within Hamming distance R");
  flags.Switch("--json", &json, "one JSON array per query, one line each, of {\"key\",\"distance\",\"similarity\"}");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  auto queries = ReadNpy(queries_path, npy);
  if (!queries.ok()) return Fail(queries.status(), err);
  std::unique_ptr<DB> db;
  if (Status s = OpenExisting(path, &db); !s.ok()) return Fail(s, err);
  Collection* collection = nullptr;
  if (Status s = db->GetCollection(name, &collection); !s.ok()) return Fail(s, err);
  if (!queries->empty() && (*queries)[0].dim() != collection->dim()) {
    return Fail(Status::InvalidArgument("'" + queries_path + "' holds queries of dim " +
                                        std::to_string((*queries)[0].dim()) + "; collection '" + name +
                                        "' has dim " + std::to_string(collection->dim())),
                err);
  }
  auto results = collection->SearchBatch(std::span<const Hypervector>(*queries), options);
  if (!results.ok()) return Fail(results.status(), err);
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
        out << "  " << Printable(h.key) << line;
      }
    }
  }
  return 0;
}

int ExportCommand(const Args& args, std::ostream& out, std::ostream& err) {
  std::string path, name, file, format;
  ExportOptions options;
  CommandLine flags("export",
                    "Writes every (key, vector) of COLLECTION, in insertion order, to FILE in the format its\n"
                    "name says: .npy (packed uint8 rows, numpy.unpackbits(..., bitorder=\"little\") unpacks\n"
                    "them) with the keys one per line beside it, .hvdb (any key, CRC-checked), or text\n"
                    "lines key<TAB>hex. hvdb load reads each back.");
  flags.DatabasePath(&path);
  flags.Positional("COLLECTION", &name, "the collection to write");
  flags.Positional("FILE", &file, "the file to write (replaced atomically)");
  flags.Choice("--format", {"npy", "hvdb", "text"}, &format, "the format of FILE (default: from its name)");
  flags.Text("--keys", "FILE", &options.keys_path, ".npy only: where the keys go (default: FILE's .npy as .keys)");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  options.format = FormatNamed(format);
  std::unique_ptr<DB> db;
  if (Status s = OpenExisting(path, &db); !s.ok()) return Fail(s, err);
  Collection* collection = nullptr;
  if (Status s = db->GetCollection(name, &collection); !s.ok()) return Fail(s, err);
  ProgressBar bar(err, StderrIsTerminal(), "exporting");
  const Status s =
      collection->Export(file, options, [&](const BulkLoadProgress& pr) { return bar.Update(pr); });
  bar.Done();
  if (!s.ok()) return Fail(s, err);
  out << "exported " << collection->Count() << " vectors to '" << file << "'";
  if (ExportKeysPath(file, options)) out << " (keys in '" << *ExportKeysPath(file, options) << "')";
  out << "\n";
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
