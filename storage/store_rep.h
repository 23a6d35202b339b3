// Copyright hvdb authors. The inside of storage::Store, shared by its files
// (store.cc: open, writes, resume; store_read.cc: scans and reads;
// store_ingest.cc: bulk ingestion; durable_file.cc). Private to storage/.
#ifndef HVDB_STORAGE_STORE_REP_H_
#define HVDB_STORAGE_STORE_REP_H_

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/wal_filter.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "storage/store.h"

namespace hvdb::storage {

enum Family { kDefault = 0, kCatalog = 1, kKeys = 2, kVectors = 3, kAccumulators = 4, kFamilies = 5 };
inline constexpr const char* kFamilyNames[kFamilies] = {"default", "catalog", "keys", "vectors", "accumulators"};

// hvdb's Status for a RocksDB one, with `context` in front of its message.
Status FromRocks(const rocksdb::Status& s, std::string_view context);

// The `default` family's record of a collection's index state.
std::string IndexStateKey(uint32_t collection);
// (collection id, accumulator name): the collection's prefix, then the name.
std::string AccumulatorKey(uint32_t collection, std::string_view name);

// What Store::Open does not do for everyone.
struct StoreOpenHooks {
  std::shared_ptr<FaultFileSystem> faults;   // the tests' file system
  rocksdb::WalFilter* wal_filter = nullptr;  // salvage: sees every batch replayed from the logs
  bool point_in_time = false;                // salvage: replay the logs up to their first damage
};
Status OpenStore(const Options& options, const std::string& path, const StoreOpenHooks& hooks,
                 std::unique_ptr<Store>* store);

struct Store::Rep {
  std::string path;
  Options options;
  bool read_only = false;
  std::shared_ptr<rocksdb::FileSystem> file_system;  // the tests' faults, or the default one
  std::unique_ptr<rocksdb::Env> env;                 // over file_system, when it is not the default
  std::shared_ptr<rocksdb::EventListener> listener;  // records background errors
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;  // by Family
  rocksdb::Options rocks_options;  // DB options + the row families' options (SST writers)

  // Taken shared by every use of `db` and `families`, exclusively by Resume
  // while it reopens them. They are not HVDB_GUARDED_BY(db_mu): Open, the
  // destructor and salvage use them while no other thread can (before the
  // store is handed out, after the last user), which the analysis cannot
  // tell from a race; every use after Open takes db_mu.
  mutable SharedMutex db_mu;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;  // by Family
  std::atomic<int> pins{0};  // live RowCursors and Ingestions, which hold `db`'s handles

  mutable Mutex error_mu;
  Status write_error HVDB_GUARDED_BY(error_mu);  // the first error that stopped writing

  std::atomic<uint64_t> ingest_serial{0};
  std::thread prefetcher;  // reads cold row files ahead of an open's scans

  ~Rep();

  // Opens `db` and `families` (read-only or not); the error in hvdb's terms.
  Status OpenRocks(bool as_read_only);
  void CloseRocks();
  // After an open failed: the first table file that fails its checks (its
  // blocks, or the whole file against the MANIFEST), and why; empty if none.
  std::string DamagedTableFile() const;
  // Records the first error that stops writing.
  void StopWriting(const Status& error);
  Status CheckWritable() const;

  rocksdb::ReadOptions ScanOptions(const rocksdb::Slice* lower, const rocksdb::Slice* upper) const {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 4 << 20;
    ro.verify_checksums = true;  // a damaged block is reported, never loaded into the cache
    // Range deletions only ever drop a whole collection, whose id is never
    // used again: none covers a live collection's rows.
    ro.ignore_range_deletions = true;
    ro.iterate_lower_bound = lower;
    ro.iterate_upper_bound = upper;
    return ro;
  }
};

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_STORE_REP_H_
