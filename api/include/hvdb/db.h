// Copyright hvdb authors. The embedded database: DB, Collection, Iterator.
//
//   std::unique_ptr<hvdb::DB> db;
//   hvdb::Status s = hvdb::DB::Open(hvdb::Options(), "/tmp/words", &db);
//   hvdb::Collection* words;
//   s = db->CreateCollection("words", {.dim = 2048});
//   s = db->GetCollection("words", &words);
//   s = words->Put("apple", hvdb::Hypervector::Random(2048, 1).value());
//   auto hits = words->Search(query, {.k = 5});   // key, distance, similarity
//
// Every collection is held whole in memory (the host cache) and in RocksDB;
// reads and searches are served from memory, writes go to RocksDB first and
// reach the cache only when RocksDB has acknowledged them.
#ifndef HVDB_DB_H_
#define HVDB_DB_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/hypervector.h"
#include "hvdb/options.h"
#include "hvdb/result.h"
#include "hvdb/status.h"
#include "hvdb/write_batch.h"

namespace hvdb {

// Keys are byte strings (any bytes, NUL included) of this many bytes.
inline constexpr size_t kMinKeyBytes = 1;
inline constexpr size_t kMaxKeyBytes = size_t{64} << 10;

// Collection names: 1 to 128 bytes of [A-Za-z0-9_.-], not starting with '.'.
inline constexpr size_t kMaxCollectionNameBytes = 128;
Status ValidateCollectionName(std::string_view name);
// OK when 1 <= key.size() <= kMaxKeyBytes.
Status ValidateKey(std::string_view key);

struct SearchHit {
  std::string key;
  uint32_t distance = 0;  // Hamming distance to the query
  double similarity = 0;  // 1 - distance / dim
  friend bool operator==(const SearchHit&, const SearchHit&) = default;
};

// How a search runs: what Collection::ExplainSearch says it would do, and
// SearchStats::plan says it did (a device that failed shows as the CPU that
// answered instead, the failure in reason).
struct SearchPlan {
  // The index that answers: the collection's, or flat when it declines
  // (exact asked, an ivf not trained yet, ...; reason says which).
  IndexKind index = IndexKind::kFlat;
  Device device = Device::kCpu;  // kCpu or kGpu
  std::string kernel;            // "avx512", "amx", "fake", "cuda-topk", ...
  std::string reason;            // why, in words, e.g. "cost model: cpu 1.2 ms, gpu 3.4 ms"
};

// What a search did.
struct SearchStats {
  size_t queries = 0;
  size_t rows_scanned = 0;   // rows one query was compared with (flat: every row, deleted ones included;
                             // ivf: centroids and probed lists; hnsw: distances the walk computed)
  SearchPlan plan;
  size_t candidates_reranked = 0;  // prefix: rows compared in full, all queries
  double seconds = 0;        // wall time inside the call
};

struct CollectionStats {
  std::string name;
  size_t dim = 0;
  uint64_t count = 0;          // live vectors
  uint64_t cache_rows = 0;     // rows in the host cache, deleted ones included
  uint64_t deleted_rows = 0;   // rows waiting for compaction
  uint64_t key_bytes = 0;      // bytes of the live keys
  uint64_t memory_bytes = 0;   // resident bytes of the host cache (arena, keys, maps)
  uint64_t disk_bytes = 0;     // approximate bytes in RocksDB files
  bool pinned = false;         // arena in page-locked (CUDA) memory
  uint64_t item_memory_seed = 0;
  IndexKind index = IndexKind::kFlat;  // IndexOptions::kind
  uint64_t index_bytes = 0;    // memory of the index beyond the rows (prefix array, lists, graph)
  uint64_t ivf_lists = 0;      // ivf: the lists trained (the nlist chosen when ivf_nlist is 0); 0 until trained
  uint64_t gpu_bytes = 0;      // device memory of its GPU shards (0 before a GPU search)
};

// Where a bulk load is.
struct BulkLoadProgress {
  uint64_t rows = 0;           // rows read so far
  uint64_t total_rows = 0;     // 0 when the source does not say (text)
  uint64_t bytes = 0;          // source bytes read so far
  uint64_t total_bytes = 0;    // size of the source file
};
// Return false to cancel the load (it then fails with Unavailable and loads nothing).
using ProgressCallback = std::function<bool(const BulkLoadProgress&)>;

struct BulkLoadResult {
  uint64_t rows = 0;        // vectors loaded
  uint64_t replaced = 0;    // of those, keys that existed before and were replaced
  // A source without keys: the number (and key, in decimal) of its row 0;
  // rows were numbered on from it (BulkLoadOptions::first_row_number).
  std::optional<uint64_t> first_row_number;
  double seconds = 0;
};

// Visits (key, vector) pairs of a collection in insertion order, as of the
// moment it was created (a consistent snapshot: later writes are not seen).
// LevelDB style: for (it->SeekToFirst(); it->Valid(); it->Next()) ...
// Not thread safe; the collection must outlive it.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual void SeekToFirst() = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual const Hypervector& vector() const = 0;
  // OK unless reading failed (then Valid() is false).
  virtual Status status() const = 0;
};

// A named set of hypervectors of one dimension, keyed by byte strings.
//
// Thread safety: every method may be called from any number of threads at
// once. Writes to one collection are applied one at a time in a total order;
// a write is visible to every Get and Search that starts after it returns.
// Searches run concurrently with each other; a write waits for running
// searches to leave the cache before it changes it (readers never see a
// half-applied write or batch).
class Collection {
 public:
  virtual ~Collection() = default;

  virtual const std::string& name() const = 0;
  virtual size_t dim() const = 0;
  virtual uint64_t item_memory_seed() const = 0;

  // Inserts `key` or replaces its vector (a replaced key keeps its place in
  // insertion order). InvalidArgument on a bad key or a dimension mismatch;
  // nothing is written then.
  virtual Status Put(std::string_view key, const Hypervector& vector, const WriteOptions& options = {}) = 0;
  // NotFound naming the key and the collection when absent.
  virtual Result<Hypervector> Get(std::string_view key) const = 0;
  // Removes `key`. OK when the key was absent (nothing is written then).
  virtual Status Delete(std::string_view key, const WriteOptions& options = {}) = 0;
  virtual bool Contains(std::string_view key) const = 0;
  // Live vectors.
  virtual uint64_t Count() const = 0;
  // Applies every operation of `batch` atomically: all are durable and
  // visible, or (on any error, reported with the operation's index) none.
  virtual Status Write(const WriteBatch& batch, const WriteOptions& options = {}) = 0;

  // The k nearest vectors to `query` (distance then insertion order).
  // `stats`, when not null, is filled.
  virtual Result<std::vector<SearchHit>> Search(const Hypervector& query, const SearchOptions& options = {},
                                                SearchStats* stats = nullptr) const = 0;
  // nq queries of dim() bits: queries is nq x (dim / 64) words. One result
  // list per query, in query order.
  virtual Result<std::vector<std::vector<SearchHit>>> SearchBatch(const uint64_t* queries, size_t nq,
                                                                  const SearchOptions& options = {},
                                                                  SearchStats* stats = nullptr) const = 0;
  Result<std::vector<std::vector<SearchHit>>> SearchBatch(std::span<const Hypervector> queries,
                                                          const SearchOptions& options = {},
                                                          SearchStats* stats = nullptr) const;
  // The plan a SearchBatch of nq queries with `options` would run, without
  // running it (like SQL's EXPLAIN): the same planner, the same reason. The
  // first call may measure the CPU and the devices for the cost model (a few
  // milliseconds). InvalidArgument when the options are not usable;
  // Unavailable when device gpu is asked and there is none (as the search
  // would be); NotFound when the collection was dropped.
  virtual Result<SearchPlan> ExplainSearch(size_t nq, const SearchOptions& options = {}) const = 0;

  // Replaces the search index (rebuilt in memory now, persisted for the next
  // open). InvalidArgument when the options do not fit the dimension.
  // `progress`, when set, is called as the build goes (rows: graph rows
  // added, or k-means iterations, of total_rows); returning false cancels
  // it: Unavailable, and the collection keeps its old index, untouched.
  virtual Status SetIndex(const IndexOptions& index, const ProgressCallback& progress = nullptr) = 0;
  virtual IndexOptions index() const = 0;

  // Loads every row of the file at `path` (.npy of packed uint8 rows or of
  // one bit per element, an hvdb vector file written by Export, or text lines
  // "key<TAB>hex"); see docs/format.md. Existing keys are replaced; rows of a
  // keyless .npy are numbered after the collection's largest decimal key
  // (BulkLoadOptions::first_row_number). All or nothing: on any error (bad
  // row, wrong dimension, a key twice in the file, I/O) the Status names the
  // file, the row and the reason, and the collection is as it was. Other
  // writers to this collection wait while a load runs; searches do not.
  virtual Result<BulkLoadResult> BulkLoad(const std::string& path, const BulkLoadOptions& options = {},
                                          const ProgressCallback& progress = nullptr) = 0;
  // Loads `rows` vectors held in memory, as BulkLoad loads a file, without
  // writing one: `bits` is rows x (dim() / 8) bytes, row after row, bit i of
  // a row in bit i % 8 of byte i / 8 (the .npy layout, numpy's
  // packbits(bitorder="little")). keys[i] names row i; with no keys the rows
  // are numbered in decimal as a keyless .npy's (options.first_row_number).
  // Borrowed, not copied: both must stay unchanged until the call returns.
  // options.format, keys_path and npy do not apply (InvalidArgument when
  // set). All or nothing, errors naming the row, as BulkLoad; InvalidArgument
  // when keys is neither empty nor `rows` long.
  virtual Result<BulkLoadResult> BulkLoadRows(const uint8_t* bits, size_t rows, std::span<const std::string_view> keys,
                                              const BulkLoadOptions& options = {},
                                              const ProgressCallback& progress = nullptr) = 0;
  // Writes every live (key, vector), in insertion order, from a consistent
  // snapshot, to `path` (replaced if present, atomically and durably) in the
  // format its name or options.format says: .npy (packed uint8 rows, numpy's
  // packbits(bitorder="little") layout) with the keys in a text file beside
  // it, .hvdb (keys, vectors and a CRC-32C), or text lines "key<TAB>hex".
  // BulkLoad reads each back. InvalidArgument, and no file written, for a key
  // the format cannot hold (a line break; a TAB in text).
  virtual Status Export(const std::string& path, const ExportOptions& options = {},
                        const ProgressCallback& progress = nullptr) const = 0;

  // ---- Accumulators: named, persistent bundles kept as per-bit counters
  // (class prototypes, "everything tagged X"). Names are 1 to 1024 bytes.
  //
  // Adds each of `members` with `weight` (negative subtracts) to the
  // accumulator `name`, creating it on first use. Atomic and durable per call
  // (WriteOptions::sync); InvalidArgument on a dimension mismatch, weight 0 or
  // no members; ResourceExhausted when a counter would pass 2^31.
  virtual Status Accumulate(std::string_view name, std::span<const Hypervector> members, int32_t weight = 1,
                            const WriteOptions& options = {}) = 0;
  // The majority vector (exact ties broken as hdc::Bundle breaks them):
  // usable as a query or stored with Put. NotFound when absent.
  virtual Result<Hypervector> ReadAccumulator(std::string_view name) const = 0;
  // The sum of the weights added so far. NotFound when absent.
  virtual Result<int64_t> AccumulatorMembers(std::string_view name) const = 0;
  // Removes it; OK when absent.
  virtual Status DropAccumulator(std::string_view name, const WriteOptions& options = {}) = 0;
  // Names, sorted by their bytes.
  virtual std::vector<std::string> ListAccumulators() const = 0;

  // Cleanup memory: the nearest stored vector when it is significantly nearer
  // than chance (z-score >= min_sigmas, hdc::ZScore); otherwise NotFound
  // saying how near the best one was, instead of returning noise.
  virtual Result<SearchHit> Cleanup(const Hypervector& query, double min_sigmas = 4.0) const = 0;

  // A snapshot iterator; the caller owns it.
  virtual std::unique_ptr<Iterator> NewIterator() const = 0;
  virtual CollectionStats Stats() const = 0;
};

// A database: a directory holding any number of collections.
//
// Thread safety: every method may be called from any number of threads.
// Only one process (and one DB object) may have a path open at a time; a
// second Open fails with Unavailable naming the path.
class DB {
 public:
  // Opens (or creates, per Options) the database at `path` and streams every
  // collection into memory. On success *db owns it; on failure *db is reset.
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  virtual ~DB() = default;

  // InvalidArgument on a bad name or options; AlreadyExists when it exists.
  virtual Status CreateCollection(const std::string& name, const CollectionOptions& options) = 0;
  // Removes the collection and every vector in it. NotFound when absent.
  // Collection pointers to it stay valid until the DB closes, but every call
  // on them then fails with NotFound.
  virtual Status DropCollection(const std::string& name) = 0;
  // Names, sorted.
  virtual std::vector<std::string> ListCollections() const = 0;
  // *collection is owned by the DB and valid until it is destroyed.
  // NotFound naming the collection when absent.
  virtual Status GetCollection(const std::string& name, Collection** collection) const = 0;

  // A consistent copy of the whole database in `dir` (which must not exist:
  // AlreadyExists),
  // openable with DB::Open, taken while writes continue. Uses hard links where
  // dir is on the same file system.
  virtual Status Checkpoint(const std::string& dir) = 0;

  // Compares every collection's host cache with what RocksDB holds (keys,
  // vectors, order, counts). Corruption naming the first difference.
  virtual Status Verify() const = 0;

  // After a write error (a full disk, a failed fsync, a failed flush) the
  // database stops writing: every write returns the error that stopped it,
  // named, while Get, Search and iterators go on. Resume waits for running
  // writes, reopens the storage and reloads every collection from what it
  // holds (a write that failed may have reached the disk: it is then there
  // whole, never in part), then accepts writes again. OK at once when writes
  // were not stopped; the error again when its cause persists (writes stay
  // stopped, reads go on); Unavailable while iterators or exports are open.
  // Collection pointers stay valid (a collection whose failed drop reached
  // the disk answers NotFound, as after DropCollection).
  virtual Status Resume() = 0;

  virtual const std::string& path() const = 0;
  // The database's item memory seed (Options::item_memory_seed): every
  // collection's unless it was created with its own.
  virtual uint64_t item_memory_seed() const = 0;
};

// What CheckDatabase found (hvdb check).
struct CheckReport {
  std::vector<std::string> problems;  // one line each, naming the file or collection; empty: all is well
  uint64_t table_files = 0;           // RocksDB table files checked
  uint64_t table_bytes = 0;           // and their bytes
  uint64_t collections = 0;
  uint64_t rows = 0;                  // rows read back and compared
};

// Verifies the whole database at `path`, like sqlite3's PRAGMA
// integrity_check, without changing anything (it opens read-only, so it may
// run beside the process that writes): every table file block by block and
// whole against the checksum recorded when it was written, the logs as an
// open replays them, every collection's rows read back through their
// checksums and compared across the keys and vectors families and with the
// key map, index records, hnsw graph files and accumulators. OK with
// report->problems empty when all is well, OK with the problems listed when
// it found damage; an error only when it could not run (no database there).
Status CheckDatabase(const std::string& path, CheckReport* report);

// What SalvageDatabase did (hvdb salvage).
struct SalvageReport {
  bool salvaged = false;          // false: the database opens as it is; nothing was done
  std::string damaged_log;        // the first damaged write-ahead log
  uint64_t damage_offset = 0;     // the byte where its damage starts
  std::string damage;             // what is wrong there
  std::string log_copy_dir;       // every log, copied here before anything changed
  uint64_t kept_batches = 0;      // write batches recovered from the logs
  uint64_t dropped_batches = 0;   // readable write batches after the damage, dropped
  uint64_t dropped_operations = 0;
  uint64_t unreadable_bytes = 0;  // log bytes too damaged to read
  std::vector<std::string> dropped;  // what the dropped batches held, per collection
};

// Recovers a database that does not open because a write-ahead log is
// damaged (Corruption "the write-ahead log ... is damaged at byte N"): RocksDB's
// point-in-time recovery keeps every write before the first damage and drops
// every write after it; the report says exactly what was dropped (keys,
// deletions, accumulators, per collection), and the logs are first copied
// into PATH/salvage-<time>/, so nothing is destroyed. It repairs logs only: a
// damaged table file is returned as the Corruption it is (restore a
// checkpoint). OK with report->salvaged false when the database opens as it
// is. REQUIRES: no other process has the database open.
Status SalvageDatabase(const std::string& path, SalvageReport* report);

}  // namespace hvdb

#endif  // HVDB_DB_H_
