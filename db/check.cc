// Copyright hvdb authors. hvdb::CheckDatabase and hvdb::SalvageDatabase (hvdb
// check, hvdb salvage).
#include <chrono>
#include <memory>
#include <thread>

#include "db/collection_impl.h"
#include "storage/salvage.h"

namespace hvdb {

namespace {

Status CheckOnce(const std::string& path, CheckReport* report) {
  *report = CheckReport();
  // The files first: a table file may be damaged where no open reads it.
  {
    std::unique_ptr<storage::Store> store;
    const Status opened = storage::Store::Open({.read_only = true}, path, &store);
    if (opened.IsNotFound()) return opened;
    if (!opened.ok()) {
      report->problems.push_back(opened.ToString());
      return Status::OK();
    }
    storage::FileCheckStats stats;
    HVDB_RETURN_IF_ERROR(store->VerifyFiles(&report->problems, &stats));
    report->table_files = stats.files;
    report->table_bytes = stats.bytes;
  }
  // Then every collection, read back as an open reads it and compared.
  std::unique_ptr<DB> db;
  if (const Status opened = DB::Open({.read_only = true}, path, &db); !opened.ok()) {
    report->problems.push_back(opened.ToString());
    return Status::OK();
  }
  for (const std::string& name : db->ListCollections()) {
    Collection* c = nullptr;
    if (!db->GetCollection(name, &c).ok()) continue;
    auto* impl = static_cast<db::CollectionImpl*>(c);
    ++report->collections;
    report->rows += impl->Stats().count;
    if (Status s = impl->Verify(); !s.ok()) report->problems.push_back(s.ToString());
    if (Status s = impl->CheckIndexFiles(); !s.ok()) report->problems.push_back(s.ToString());
    for (const std::string& accumulator : impl->ListAccumulators()) {
      if (auto v = impl->ReadAccumulator(accumulator); !v.ok()) {
        report->problems.push_back("collection '" + name + "': " + v.status().ToString());
      }
    }
  }
  return Status::OK();
}

}  // namespace

Status CheckDatabase(const std::string& path, CheckReport* report) {
  // Beside a live writer, a table file the check was reading may be deleted
  // by a compaction (it is then in no current MANIFEST): the check runs again
  // on the new set of files. A file missing for good is reported every time.
  for (int attempt = 0;; ++attempt) {
    HVDB_RETURN_IF_ERROR(CheckOnce(path, report));
    bool vanished = false;
    for (const std::string& problem : report->problems) {
      vanished = vanished || problem.find("No such file or directory") != std::string::npos;
    }
    if (!vanished || attempt == 3) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
  }
}

Status SalvageDatabase(const std::string& path, SalvageReport* report) {
  *report = SalvageReport();
  Status opened;
  {
    std::unique_ptr<DB> db;
    opened = DB::Open({.read_only = true}, path, &db);
  }
  if (opened.ok() || !opened.IsCorruption()) return opened;
  storage::SalvageResult r;
  HVDB_RETURN_IF_ERROR(storage::SalvageLogs(path, &r));
  if (!r.salvaged) return opened.WithContext("no write-ahead log is damaged, so salvage cannot help");
  report->salvaged = true;
  report->damaged_log = r.damaged_log;
  report->damage_offset = r.damage_offset;
  report->damage = r.damage;
  report->log_copy_dir = r.copy_dir;
  report->kept_batches = r.kept_batches;
  report->dropped_batches = r.dropped_batches;
  report->dropped_operations = r.dropped_operations;
  report->unreadable_bytes = r.unreadable_bytes;
  report->dropped = std::move(r.dropped);
  std::unique_ptr<DB> db;
  return DB::Open({.create_if_missing = false}, path, &db).WithContext("opening the salvaged database");
}

}  // namespace hvdb
