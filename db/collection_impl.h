// Copyright hvdb authors. Collection: the write path (RocksDB first, then the
// host cache), search over the cache, bulk load, export and iteration.
//
// Locks, always taken in this order:
//   write_mu_  serializes writers (Put, Delete, Write, BulkLoad, Drop, Verify);
//              a writer reads the key map without cache_mu_ because only
//              writers change it.
//   cache_mu_  shared by readers (Get, Contains, Search, Stats); a writer
//              holds it exclusively only while it changes the cache, after
//              RocksDB has acknowledged the write.
//   gpu_mu_    the GPU mirror's pointer (gpu_); taken last, or alone.
// The compiler checks these rules (base/mutex.h; make thread-safety) except
// "read under either lock", which it cannot express: writers read the cache
// through writer_cache() (see there).
#ifndef HVDB_DB_COLLECTION_IMPL_H_
#define HVDB_DB_COLLECTION_IMPL_H_

#include <atomic>
#include <optional>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "db/gpu_mirror.h"
#include "db/host_cache.h"
#include "db/planner.h"
#include "index/index.h"
#include "hvdb/db.h"
#include "storage/catalog.h"
#include "storage/row_source.h"
#include "kernels/hamming.h"
#include "storage/store.h"

namespace hvdb::db {

// 'key' with non-printable bytes escaped (\xNN), shortened past 60 bytes.
std::string QuoteKey(std::string_view key);

class CollectionImpl final : public Collection {
 public:
  // gpu_memory_bytes: Options::gpu_memory_bytes.
  CollectionImpl(storage::Store* store, storage::CollectionDescriptor descriptor, bool pinned,
                 uint64_t gpu_memory_bytes = 0);
  ~CollectionImpl() override;

  // Streams the collection's rows from RocksDB into the cache (open).
  Status Load() HVDB_EXCLUDES(write_mu_, cache_mu_);
  // Removes it from RocksDB (with the descriptor) and empties the cache; every
  // later call fails with NotFound.
  Status Drop() HVDB_EXCLUDES(write_mu_, cache_mu_);

  const std::string& name() const override { return descriptor_.name; }
  size_t dim() const override { return descriptor_.dim; }
  uint64_t item_memory_seed() const override { return descriptor_.item_memory_seed; }

  Status Put(std::string_view key, const Hypervector& vector, const WriteOptions& options) override
      HVDB_EXCLUDES(write_mu_, cache_mu_);
  Result<Hypervector> Get(std::string_view key) const override HVDB_EXCLUDES(cache_mu_);
  Status Delete(std::string_view key, const WriteOptions& options) override HVDB_EXCLUDES(write_mu_, cache_mu_);
  bool Contains(std::string_view key) const override HVDB_EXCLUDES(cache_mu_);
  uint64_t Count() const override HVDB_EXCLUDES(cache_mu_);
  Status Write(const WriteBatch& batch, const WriteOptions& options) override HVDB_EXCLUDES(write_mu_, cache_mu_);

  Result<std::vector<SearchHit>> Search(const Hypervector& query, const SearchOptions& options,
                                        SearchStats* stats) const override HVDB_EXCLUDES(cache_mu_);
  using Collection::SearchBatch;
  Result<std::vector<std::vector<SearchHit>>> SearchBatch(const uint64_t* queries, size_t nq,
                                                          const SearchOptions& options,
                                                          SearchStats* stats) const override
      HVDB_EXCLUDES(cache_mu_, gpu_mu_);
  Result<hvdb::SearchPlan> ExplainSearch(size_t nq, const SearchOptions& options) const override
      HVDB_EXCLUDES(cache_mu_, gpu_mu_);

  Status SetIndex(const IndexOptions& index, const ProgressCallback& progress) override
      HVDB_EXCLUDES(write_mu_, cache_mu_);
  IndexOptions index() const override HVDB_EXCLUDES(cache_mu_);

  Result<BulkLoadResult> BulkLoad(const std::string& path, const BulkLoadOptions& options,
                                  const ProgressCallback& progress) override HVDB_EXCLUDES(write_mu_, cache_mu_);
  Result<BulkLoadResult> BulkLoadRows(const uint8_t* bits, size_t rows, std::span<const std::string_view> keys,
                                      const BulkLoadOptions& options, const ProgressCallback& progress) override
      HVDB_EXCLUDES(write_mu_, cache_mu_);
  Status Export(const std::string& path, const ExportOptions& options,
                const ProgressCallback& progress) const override HVDB_EXCLUDES(write_mu_, cache_mu_);
  Status Accumulate(std::string_view name, std::span<const Hypervector> members, int32_t weight,
                    const WriteOptions& options) override HVDB_EXCLUDES(write_mu_);
  Result<Hypervector> ReadAccumulator(std::string_view name) const override;
  Result<int64_t> AccumulatorMembers(std::string_view name) const override;
  Status DropAccumulator(std::string_view name, const WriteOptions& options) override HVDB_EXCLUDES(write_mu_);
  std::vector<std::string> ListAccumulators() const override;
  Result<SearchHit> Cleanup(const Hypervector& query, double min_sigmas) const override HVDB_EXCLUDES(cache_mu_);

  std::unique_ptr<Iterator> NewIterator() const override;
  CollectionStats Stats() const override HVDB_EXCLUDES(cache_mu_, gpu_mu_);

  // Compares the cache with RocksDB; Corruption naming the first difference.
  Status Verify() const HVDB_EXCLUDES(write_mu_, cache_mu_);
  // Reads back what the index keeps in a file (the hnsw graph): Corruption
  // naming it when it is damaged (an open then rebuilds it).
  Status CheckIndexFiles() const HVDB_EXCLUDES(cache_mu_);
  // Writes what the index keeps in a file (the hnsw graph) when it changed;
  // called when the DB closes. `dir`: the database directory, or a
  // checkpoint's.
  Status SaveIndex(const std::string& dir) const HVDB_EXCLUDES(cache_mu_);

  // For DB::Resume: held (hvdb::MutexLock), it keeps the collection's
  // writers out.
  Mutex& write_mutex() const HVDB_RETURN_CAPABILITY(write_mu_) { return write_mu_; }
  // Replaces the cache and the index with what the store holds now under
  // `stored` (its descriptor in the catalog).
  Status ReloadLocked(const storage::CollectionDescriptor& stored) HVDB_REQUIRES(write_mu_)
      HVDB_EXCLUDES(cache_mu_, gpu_mu_);
  // The collection is gone from the store (a drop that failed had reached
  // it): later calls fail with NotFound.
  void MarkDroppedLocked() HVDB_REQUIRES(write_mu_) HVDB_EXCLUDES(cache_mu_, gpu_mu_);

 private:
  Status CheckLive() const;
  // Marks the collection dropped and frees its rows and indexes;
  // remove_files: its hnsw graph file too.
  void ForgetRows(bool remove_files) HVDB_REQUIRES(write_mu_) HVDB_EXCLUDES(cache_mu_, gpu_mu_);
  Status CheckVector(const Hypervector& vector, std::string_view what) const;
  // The cache as a writer reads it with write_mu_ alone (Put, Delete and
  // Write find their rows, a bulk load stages rows past the published ones,
  // invisible to readers): only writers change the cache, and they change
  // its published rows (and cache_ itself) with cache_mu_ held exclusively
  // too. Reading under either lock is a rule the analysis cannot express, so
  // cache_ is HVDB_GUARDED_BY(cache_mu_) and this one accessor, unchecked
  // inside, stands for the other half: its callers must hold write_mu_.
  HostCache& writer_cache() const HVDB_REQUIRES(write_mu_) HVDB_NO_THREAD_SAFETY_ANALYSIS { return *cache_; }
  // Capacity for `rows` more rows, taken before RocksDB is written so that
  // applying the write to the cache cannot fail.
  Status ReserveForWrite(size_t rows, size_t key_bytes) HVDB_REQUIRES(write_mu_) HVDB_EXCLUDES(cache_mu_);
  void MaybeCompact() HVDB_REQUIRES(write_mu_, cache_mu_);
  Status CheckAccumulatorName(std::string_view name) const;
  // The index (collection_index.cc; index/index.h).
  index::RowsView View() const HVDB_REQUIRES_SHARED(cache_mu_);
  // Where an index of `kind` keeps its file in `dir` (the database's
  // directory or a checkpoint's): indexes/<collection id>.<kind name>.
  std::string IndexFilePath(const std::string& dir, IndexKind kind) const;
  // Removes the index files of every kind but `keep`.
  void RemoveIndexFiles(std::optional<IndexKind> keep = std::nullopt) const;
  // Writes `index`'s file into `dir` (atomic and durable, through the
  // store); removes it when the index has nothing to keep.
  Status WriteIndexFile(const index::Index& index, const std::string& dir) const HVDB_REQUIRES_SHARED(cache_mu_);
  // Opens the index after the rows are loaded (open; nothing else sees it,
  // the locks are held for the analysis): from its saved state, else built
  // from the rows.
  Status OpenIndex() HVDB_REQUIRES(write_mu_, cache_mu_);
  // Builds the index `options` asks for over the rows as they are;
  // progress (optional) may cancel it (index::BuildProgress). Writers are
  // out (write_mu_), searches go on meanwhile (cache_mu_ shared).
  Status BuildIndex(const IndexOptions& options, std::unique_ptr<index::Index>* built,
                    const index::BuildProgress& progress = nullptr) const
      HVDB_REQUIRES(write_mu_) HVDB_REQUIRES_SHARED(cache_mu_);
  // Room in the index for extra_rows more rows, before the write reaches
  // RocksDB.
  Status ReserveIndex(size_t extra_rows) HVDB_REQUIRES(write_mu_, cache_mu_);
  // The cache already changed (appended rows [first, rows), an overwritten
  // row) or is about to (a removed row). Tells the index and the GPU mirror.
  void IndexAppended(size_t first) HVDB_REQUIRES(write_mu_, cache_mu_);
  void IndexOverwritten(uint32_t row) HVDB_REQUIRES(write_mu_, cache_mu_);
  void IndexRemoving(uint32_t row) HVDB_REQUIRES(write_mu_, cache_mu_);
  // Builds the index again when it says it is due (ivf: trained once there
  // are enough rows, retrained when its lists drift).
  void RebuildIndexIfDue() HVDB_REQUIRES(write_mu_) HVDB_EXCLUDES(cache_mu_);
  // The plan for a search (db/planner.h).
  Result<SearchPlan> Plan(const index::SearchRequest& request, const SearchOptions& options, kernels::Simd simd) const
      HVDB_REQUIRES_SHARED(cache_mu_) HVDB_EXCLUDES(gpu_mu_);
  // Runs a kGpu plan (collection_gpu.cc): the flat scan on the GPU mirror's
  // shards, or the plan's index scanning on the first device. A device
  // failure is warned about once and returned (the caller then answers on
  // the CPU).
  Status RunOnDevices(const SearchPlan& plan, const index::SearchRequest& request, index::SearchResult* result) const
      HVDB_REQUIRES_SHARED(cache_mu_) HVDB_EXCLUDES(gpu_mu_);
  // BulkLoad and BulkLoadRows from the opened source; `name` says what it is
  // in errors ("'rows.npy'", "rows in memory").
  Result<BulkLoadResult> Load(std::unique_ptr<storage::RowSource> source, const std::string& name,
                              const BulkLoadOptions& options, const ProgressCallback& progress)
      HVDB_EXCLUDES(write_mu_, cache_mu_);
  Status LoadRows(storage::RowSource* source, const std::string& name, const BulkLoadOptions& options,
                  const ProgressCallback& progress, BulkLoadResult* result)
      HVDB_REQUIRES(write_mu_) HVDB_EXCLUDES(cache_mu_);
  // One past the largest live decimal key ("0", "17"; not "017"), 0 when
  // there is none: where a keyless load numbers its rows from;
  // InvalidArgument when a key is 2^64 - 1.
  Result<uint64_t> NextRowNumber() const HVDB_REQUIRES(write_mu_);

  storage::Store* store_;
  const storage::CollectionDescriptor descriptor_;
  const bool pinned_;
  const size_t words_;

  mutable Mutex write_mu_;
  mutable SharedMutex cache_mu_ HVDB_ACQUIRED_AFTER(write_mu_);
  // Writers also read it with write_mu_ alone: writer_cache(). The analysis
  // checks the pointer; which of HostCache's methods run under a shared
  // cache_mu_ (the const ones, and a bulk load's staging) it cannot tell.
  std::unique_ptr<HostCache> cache_ HVDB_GUARDED_BY(cache_mu_);
  IndexOptions index_options_ HVDB_GUARDED_BY(cache_mu_);  // changed with write_mu_ held too
  // Never null. Changed (and told of writes) with write_mu_ held too.
  std::unique_ptr<index::Index> index_ HVDB_GUARDED_BY(cache_mu_) HVDB_PT_GUARDED_BY(cache_mu_);
  const uint64_t gpu_memory_bytes_;
  // The rows on the search devices, made at the first GPU search (under
  // gpu_mu_ with cache_mu_ shared), dropped with both held (cache_mu_
  // exclusive); writers (cache_mu_ exclusive: no search runs) tell it what
  // changed under gpu_mu_ too, which only Stats contends for.
  mutable Mutex gpu_mu_ HVDB_ACQUIRED_AFTER(cache_mu_);
  mutable std::unique_ptr<GpuMirror> gpu_ HVDB_GUARDED_BY(gpu_mu_);
  mutable std::atomic<bool> gpu_warned_{false};
  uint64_t next_id_ HVDB_GUARDED_BY(write_mu_) = 0;
  std::atomic<bool> dropped_{false};
};

}  // namespace hvdb::db

#endif  // HVDB_DB_COLLECTION_IMPL_H_
