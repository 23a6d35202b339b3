// Copyright hvdb authors. Salvage of a database whose write-ahead log is
// damaged (hvdb salvage, hvdb::SalvageDatabase): RocksDB's point-in-time
// recovery keeps every write before the first damage and drops the rest;
// this says exactly what was dropped, in hvdb's terms, after copying the logs
// aside so that nothing is destroyed.
#ifndef HVDB_STORAGE_SALVAGE_H_
#define HVDB_STORAGE_SALVAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "hvdb/status.h"

namespace hvdb::storage {

struct SalvageResult {
  bool salvaged = false;        // false: no log is damaged, nothing was done
  std::string damaged_log;      // the first damaged log
  uint64_t damage_offset = 0;   // and where in it
  std::string damage;           // what is wrong there
  std::string copy_dir;         // where every log was copied first
  uint64_t kept_batches = 0;    // write batches replayed from the logs
  uint64_t dropped_batches = 0; // readable batches after the damage, dropped
  uint64_t dropped_operations = 0;
  uint64_t unreadable_bytes = 0;
  std::vector<std::string> dropped;  // what they held, one line per collection or record
};

// REQUIRES: nothing has the database at `path` open.
Status SalvageLogs(const std::string& path, SalvageResult* result);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_SALVAGE_H_
