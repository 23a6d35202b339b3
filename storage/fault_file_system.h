// Copyright hvdb authors. Fault injection for the tests: a file system under
// RocksDB and hvdb's own files (db/open.h takes it) that fails chosen
// operations with ENOSPC or EIO, and simulates a power cut, after which every
// file holds only what had been synced. hvdb itself never uses it.
//
// Thread safety: every method may be called from any thread, also while a
// database writes through it.
#ifndef HVDB_STORAGE_FAULT_FILE_SYSTEM_H_
#define HVDB_STORAGE_FAULT_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "hvdb/status.h"

namespace hvdb::storage {

class FaultFileSystem {
 public:
  enum class Op : uint8_t {
    kWrite,   // appending to a file (a partial write is possible, see Fault)
    kSync,    // fsync of a file (directories are synced without faults)
    kRead,    // reading a file RocksDB opened (tables, logs, MANIFEST)
    kRename,  // renaming a file (CURRENT, hvdb's own files)
    kCreate,  // creating a file for writing
  };
  enum class Error : uint8_t { kNoSpace, kIO };
  static constexpr int kOps = 5;

  struct Fault {
    Op op = Op::kWrite;
    Error error = Error::kIO;
    // Operations of this kind (on matching files) that succeed first.
    uint64_t after = 0;
    // Then this many fail; after them the operations succeed again.
    uint64_t count = UINT64_MAX;
    // Only files whose path contains this; empty: every file.
    std::string match;
    // kWrite: half of the bytes reach the file before the error, as on a
    // disk that fills up in the middle of a write.
    bool partial = false;
  };

  FaultFileSystem();
  ~FaultFileSystem();
  FaultFileSystem(const FaultFileSystem&) = delete;
  FaultFileSystem& operator=(const FaultFileSystem&) = delete;

  // Arms `fault`, replacing the one armed before; the count of operations
  // seen for `after` starts now.
  void Inject(const Fault& fault);
  // Disarms it: every operation succeeds from now on.
  void Heal();
  // Faults injected since this object was made.
  uint64_t injected() const;
  // Operations of kind `op` on files matching the armed fault's `match`
  // since it was armed (or since construction when none is armed).
  uint64_t operations(Op op) const;

  // The power goes: from now on nothing reaches the files (writes, syncs,
  // renames and deletions succeed and do nothing). Destroy the database
  // objects, then RestorePower.
  void CutPower();
  // The machine comes back: every file written through this file system
  // keeps only the bytes it held at its last sync, and files created since
  // their directory was last synced are gone. Renames are kept (a renamed
  // file whose directory was not synced may survive a real power cut).
  Status RestorePower();

  struct Rep;

 private:
  friend std::shared_ptr<void> RocksFileSystemOf(const FaultFileSystem& faults);
  std::shared_ptr<Rep> rep_;
};

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_FAULT_FILE_SYSTEM_H_
