// Copyright hvdb authors. Reads a RocksDB write-ahead log file record by
// record, checking each fragment's CRC-32C, and keeps reading past damage
// (from the next 32 KiB block) so that salvage can say what follows it.
// The layout is RocksDB's log format (db/log_format.h in RocksDB): 32 KiB
// blocks of fragments, each "masked CRC-32C (4), length (2), type (1)"
// (recyclable fragments add the log number (4)), then its bytes; a logical
// record is a write batch: sequence (8), count (4), operations.
#ifndef HVDB_STORAGE_WAL_READER_H_
#define HVDB_STORAGE_WAL_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "hvdb/status.h"

namespace hvdb::storage {

struct WalBatch {
  uint64_t offset = 0;    // of its first fragment in the file
  uint64_t sequence = 0;  // of its first operation
  uint32_t count = 0;     // operations
  std::string rep;        // the write batch's bytes (rocksdb::WriteBatch(rep) reads it)
};

struct WalContents {
  std::vector<WalBatch> batches;  // every readable batch, in file order (when kept)
  uint64_t batch_count = 0;       // readable batches, kept or not
  bool damaged = false;           // a fragment failed its checks (not a torn end)
  uint64_t damage_offset = 0;     // where the first damage is
  std::string damage;             // what it is
  uint64_t unreadable_bytes = 0;  // bytes skipped as damaged
  bool torn_end = false;          // the file ends inside a record (a crash while writing it)
};

enum class WalKind {
  kLog,       // a write-ahead log: every record is a write batch
  kManifest,  // a MANIFEST: records are checked as fragments only
};

// Reads the file through a mapping (no copy). NotFound when it does not
// exist (a log deleted as it was listed), IOError when it cannot be read;
// damage is reported in *contents. keep_batches: whether *contents gets each
// batch's bytes (salvage) or only their count (the check before an open).
// hvdb never recycles logs; a recycled log's 7-10 byte block trailers would
// be misread.
Status ReadWal(const std::string& path, WalContents* contents, WalKind kind = WalKind::kLog,
               bool keep_batches = true);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_WAL_READER_H_
