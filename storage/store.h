// Copyright hvdb authors. The RocksDB database under hvdb: column families,
// atomic write batches, ordered scans, bulk ingestion and checkpoints. Nothing
// above storage/ sees a RocksDB type.
//
// Column families (docs/format.md):
//   default  - database records: format version, next collection id, each
//              collection's index state ("index/" + collection id)
//   catalog  - collection name -> CollectionDescriptor
//   keys     - (collection id, row id) -> user key
//   vectors  - (collection id, row id) -> dim / 8 bytes of packed bits
//   accumulators - (collection id, name) -> per-bit counters (db/accumulator.h)
// A row is always written to `keys` and `vectors` together, in one batch or
// one ingestion, so both families hold the same row ids.
#ifndef HVDB_STORAGE_STORE_H_
#define HVDB_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/options.h"
#include "hvdb/result.h"
#include "hvdb/status.h"
#include "storage/catalog.h"
#include "storage/durable_file.h"

namespace hvdb::storage {

struct FamilyBytes {
  uint64_t keys = 0;     // approximate bytes of the collection in `keys`
  uint64_t vectors = 0;  // and in `vectors`
};

// Version of the on-disk layout as a whole (families, key codec).
inline constexpr uint32_t kStoreFormatVersion = 1;

// Writes collected for one atomic Store::Write.
class StoreBatch {
 public:
  StoreBatch();
  ~StoreBatch();
  StoreBatch(const StoreBatch&) = delete;
  StoreBatch& operator=(const StoreBatch&) = delete;

  // A new row: its key and its bits.
  void PutRow(uint32_t collection, uint64_t row, std::string_view key, std::string_view bits);
  // New bits for an existing row.
  void PutBits(uint32_t collection, uint64_t row, std::string_view bits);
  void DeleteRow(uint32_t collection, uint64_t row);
  void PutDescriptor(const CollectionDescriptor& descriptor);
  // Removes the descriptor and every row of the collection.
  void DropCollection(const CollectionDescriptor& descriptor);
  // Deletes the record in which earlier builds kept the collection's ivf
  // centroids (the index keeps a file now; docs/format.md).
  void DeleteIndexState(uint32_t collection);
  void PutAccumulator(uint32_t collection, std::string_view name, std::string_view value);
  void DeleteAccumulator(uint32_t collection, std::string_view name);
  void PutNextCollectionId(uint32_t next);
  size_t Count() const;

 private:
  friend class Store;
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// Reads one collection's rows in row-id order from a consistent snapshot.
class RowCursor {
 public:
  virtual ~RowCursor() = default;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual uint64_t row() const = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view bits() const = 0;
  // Corruption when the families disagree or a value has the wrong size.
  virtual Status status() const = 0;
};

// Builds SST files of new rows (row ids increasing) and deletions of old rows
// (row ids increasing, all below the new rows), then ingests them into the
// `keys` and `vectors` families in one atomic step. Destroying it without a
// successful Ingest deletes the files and leaves the database untouched.
class Ingestion {
 public:
  virtual ~Ingestion() = default;
  virtual Status AddRow(uint64_t row, std::string_view key, std::string_view bits) = 0;
  // REQUIRES: rows sorted increasing, below every row given to AddRow.
  virtual Status AddDeletions(const std::vector<uint64_t>& rows) = 0;
  // The files are fsync'ed and moved into the database; atomic across both families.
  virtual Status Ingest() = 0;
};

class FaultFileSystem;
struct StoreOpenHooks;  // store_rep.h

// What VerifyFiles read.
struct FileCheckStats {
  uint64_t files = 0;  // table files checked
  uint64_t bytes = 0;  // their bytes
};

class Store {
 public:
  // Opens or creates the RocksDB database at `path` (Options::read_only:
  // opens an existing one without writing). Unavailable when another process
  // (or DB object) holds it; InvalidArgument on a format this build does not
  // read; Corruption naming the file when a file is damaged, including a
  // write-ahead log damaged anywhere but in its last, incomplete record
  // (hvdb salvage recovers up to the damage). `faults`: the tests' file
  // system (null: the real one). REQUIRES: options.Validate() is OK (the
  // caller checks: Validate lives in db/, above storage).
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<Store>* store,
                     std::shared_ptr<FaultFileSystem> faults = nullptr);
  ~Store();

  // Writes are refused (with this status) when the store is read-only, or
  // after a write error until Resume succeeds: the first error that stopped
  // writing, RocksDB's own or a background flush's or compaction's. OK when
  // writes may go on. Every write below checks it first, so that a failed
  // log or table file is never written again (librocksdb asserts on that).
  Status CheckWritable() const;
  bool read_only() const;
  // After a write error: closes RocksDB and opens it again, which replays the
  // log (a write that failed may be in it) and starts a fresh one; OK at once
  // when writes were not stopped. *reopened: RocksDB was opened again (the
  // callers' caches must be reloaded from the store), also when the
  // read-write open failed and a read-only instance serves the reads (writes
  // then stay stopped, with that error). Unavailable while row cursors are open.
  Status Resume(bool* reopened);
  // Stops writes with `error` (the callers' own, e.g. a reload that failed
  // after Resume), as a write error does.
  void StopWriting(const Status& error);

  Result<std::vector<CollectionDescriptor>> ReadCatalog() const;
  Result<uint32_t> ReadNextCollectionId() const;
  // The database's item memory seed; kDefaultItemMemorySeed for a database
  // created before it was stored.
  Result<uint64_t> ReadItemMemorySeed() const;

  Status Write(StoreBatch* batch, bool sync);

  // Reads the `keys` and `vectors` files that are not in the page cache on a
  // background thread (before full scans). A hint; never fails.
  void PrefetchRowFiles();
  // Waits for the reading started by PrefetchRowFiles.
  void FinishPrefetch();

  // Call fn(row, bits) / fn(row, key) for every row of `collection` in row
  // order. Each is one sequential pass; the two may run on different threads
  // at once. An error from fn stops the scan and is returned.
  Status ScanBits(uint32_t collection, size_t bits_bytes,
                  const std::function<Status(uint64_t row, std::string_view bits)>& fn) const;
  Status ScanKeys(uint32_t collection, const std::function<Status(uint64_t row, std::string_view key)>& fn) const;

  std::unique_ptr<RowCursor> NewRowCursor(uint32_t collection, size_t bits_bytes) const;
  // Files go to temp_dir (created; empty: <path>/ingest).
  Result<std::unique_ptr<Ingestion>> NewIngestion(uint32_t collection, const std::string& temp_dir);

  // The stored value of an accumulator; NotFound naming it when absent.
  Result<std::string> GetAccumulator(uint32_t collection, std::string_view name) const;
  // Names, sorted by their bytes.
  std::vector<std::string> ListAccumulators(uint32_t collection) const;

  Status Checkpoint(const std::string& dir);
  // A file written through the store's file system (see DurableFile).
  Result<std::unique_ptr<DurableFile>> CreateDurableFile(const std::string& path) const;
  // Checks every table file: each block against its checksum, and the whole
  // file against the checksum recorded when it was written. One line per
  // damaged file goes to *problems; an error when the check could not run.
  Status VerifyFiles(std::vector<std::string>* problems, FileCheckStats* stats) const;
  // Approximate bytes of the collection's rows in files and memtables.
  uint64_t ApproximateBytes(uint32_t collection) const;
  FamilyBytes EstimateBytes(uint32_t collection) const;

  const std::string& path() const;

  struct Rep;  // store_rep.h, private to storage/
  Rep& rep() const { return *rep_; }

 private:
  friend Status OpenStore(const Options& options, const std::string& path, const StoreOpenHooks& hooks,
                          std::unique_ptr<Store>* store);
  explicit Store(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_STORE_H_
