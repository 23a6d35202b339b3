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
#ifndef HVDB_DB_COLLECTION_IMPL_H_
#define HVDB_DB_COLLECTION_IMPL_H_

#include <atomic>
#include <optional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

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
  Status Load();
  // Removes it from RocksDB (with the descriptor) and empties the cache; every
  // later call fails with NotFound.
  Status Drop();

  const std::string& name() const override { return descriptor_.name; }
  size_t dim() const override { return descriptor_.dim; }
  uint64_t item_memory_seed() const override { return descriptor_.item_memory_seed; }

  Status Put(std::string_view key, const Hypervector& vector, const WriteOptions& options) override;
  Result<Hypervector> Get(std::string_view key) const override;
  Status Delete(std::string_view key, const WriteOptions& options) override;
  bool Contains(std::string_view key) const override;
  uint64_t Count() const override;
  Status Write(const WriteBatch& batch, const WriteOptions& options) override;

  Result<std::vector<SearchHit>> Search(const Hypervector& query, const SearchOptions& options,
                                        SearchStats* stats) const override;
  using Collection::SearchBatch;
  Result<std::vector<std::vector<SearchHit>>> SearchBatch(const uint64_t* queries, size_t nq,
                                                          const SearchOptions& options,
                                                          SearchStats* stats) const override;
  Result<hvdb::SearchPlan> ExplainSearch(size_t nq, const SearchOptions& options) const override;

  Status SetIndex(const IndexOptions& index, const ProgressCallback& progress) override;
  IndexOptions index() const override;

  Result<BulkLoadResult> BulkLoad(const std::string& path, const BulkLoadOptions& options,
                                  const ProgressCallback& progress) override;
  Status Export(const std::string& path, const ExportOptions& options,
                const ProgressCallback& progress) const override;
  Status Accumulate(std::string_view name, std::span<const Hypervector> members, int32_t weight,
                    const WriteOptions& options) override;
  Result<Hypervector> ReadAccumulator(std::string_view name) const override;
  Result<int64_t> AccumulatorMembers(std::string_view name) const override;
  Status DropAccumulator(std::string_view name, const WriteOptions& options) override;
  std::vector<std::string> ListAccumulators() const override;
  Result<SearchHit> Cleanup(const Hypervector& query, double min_sigmas) const override;

  std::unique_ptr<Iterator> NewIterator() const override;
  CollectionStats Stats() const override;

  // Compares the cache with RocksDB; Corruption naming the first difference.
  Status Verify() const;
  // Reads back what the index keeps in a file (the hnsw graph): Corruption
  // naming it when it is damaged (an open then rebuilds it).
  Status CheckIndexFiles() const;
  // Writes what the index keeps in a file (the hnsw graph) when it changed;
  // called when the DB closes. `dir`: the database directory, or a
  // checkpoint's.
  Status SaveIndex(const std::string& dir) const;

  // For DB::Resume. Holds the collection's writers out while it lives.
  std::unique_lock<std::mutex> LockWrites() const { return std::unique_lock(write_mu_); }
  // REQUIRES: LockWrites held. Replaces the cache and the index with what
  // the store holds now under `stored` (its descriptor in the catalog).
  Status ReloadLocked(const storage::CollectionDescriptor& stored);
  // REQUIRES: LockWrites held. The collection is gone from the store (a
  // drop that failed had reached it): later calls fail with NotFound.
  void MarkDroppedLocked();

 private:
  Status CheckLive() const;
  // REQUIRES: write_mu_ held. Marks the collection dropped and frees its
  // rows and indexes; remove_files: its hnsw graph file too.
  void ForgetRows(bool remove_files);
  Status CheckVector(const Hypervector& vector, std::string_view what) const;
  // REQUIRES: write_mu_ held. Capacity for `rows` more rows, taken before
  // RocksDB is written so that applying the write to the cache cannot fail.
  Status ReserveForWrite(size_t rows, size_t key_bytes);
  // REQUIRES: write_mu_ and cache_mu_ (exclusive) held.
  void MaybeCompact();
  Status CheckAccumulatorName(std::string_view name) const;
  // The index (collection_index.cc; index/index.h).
  // REQUIRES: cache_mu_ held.
  index::RowsView View() const;
  // Where an index of `kind` keeps its file in `dir` (the database's
  // directory or a checkpoint's): indexes/<collection id>.<kind name>.
  std::string IndexFilePath(const std::string& dir, IndexKind kind) const;
  // Removes the index files of every kind but `keep`.
  void RemoveIndexFiles(std::optional<IndexKind> keep = std::nullopt) const;
  // Writes `index`'s file into `dir` (atomic and durable, through the
  // store). REQUIRES: cache_mu_ held.
  Status WriteIndexFile(const index::Index& index, const std::string& dir) const;
  // Opens the index after the rows are loaded (open; nothing else sees it):
  // from its saved state, else built from the rows.
  Status OpenIndex();
  // Builds the index `options` asks for over the rows as they are, with its
  // record for the store when its kind keeps one (else *record is empty);
  // progress (optional) may cancel it (index::BuildProgress). REQUIRES:
  // write_mu_ held and cache_mu_ held shared (writers are out, searches go
  // on meanwhile).
  Status BuildIndex(const IndexOptions& options, std::unique_ptr<index::Index>* built, std::string* record,
                    const index::BuildProgress& progress = nullptr) const;
  // REQUIRES: write_mu_ and cache_mu_ (exclusive) held. Room in the index
  // for extra_rows more rows, before the write reaches RocksDB.
  Status ReserveIndex(size_t extra_rows);
  // REQUIRES: write_mu_ and cache_mu_ (exclusive) held; the cache already
  // changed (appended rows [first, rows), an overwritten row) or is about to
  // (a removed row). Tells the index and the GPU mirror.
  void IndexAppended(size_t first);
  void IndexOverwritten(uint32_t row);
  void IndexRemoving(uint32_t row);
  // REQUIRES: write_mu_ held, cache_mu_ not held. Builds the index again
  // when it says it is due (ivf: trained once there are enough rows,
  // retrained when its lists drift).
  void RebuildIndexIfDue();
  // The plan for a search (db/planner.h). REQUIRES: cache_mu_ held (shared).
  Result<SearchPlan> Plan(const index::SearchRequest& request, const SearchOptions& options, kernels::Simd simd) const;
  // Runs a kGpu plan (collection_gpu.cc): the flat scan on the GPU mirror's
  // shards, or the plan's index scanning on the first device. A device
  // failure is warned about once and returned (the caller then answers on
  // the CPU). REQUIRES: cache_mu_ held (shared).
  Status RunOnDevices(const SearchPlan& plan, const index::SearchRequest& request, index::SearchResult* result) const;
  Status LoadRows(storage::RowSource* source, const std::string& path, const BulkLoadOptions& options,
                  const ProgressCallback& progress, BulkLoadResult* result);
  // One past the largest live decimal key ("0", "17"; not "017"), 0 when
  // there is none: where a keyless load numbers its rows from;
  // InvalidArgument when a key is 2^64 - 1. REQUIRES: write_mu_ held.
  Result<uint64_t> NextRowNumber() const;

  storage::Store* store_;
  const storage::CollectionDescriptor descriptor_;
  const bool pinned_;
  const size_t words_;

  mutable std::mutex write_mu_;
  mutable std::shared_mutex cache_mu_;
  std::unique_ptr<HostCache> cache_;  // guarded by cache_mu_ (see the class comment)
  IndexOptions index_options_;           // guarded by cache_mu_; changed with write_mu_ held too
  std::unique_ptr<index::Index> index_;  // guarded like index_options_; never null
  const uint64_t gpu_memory_bytes_;
  // The rows on the search devices, made at the first GPU search (under
  // gpu_mu_ with cache_mu_ shared); writers (cache_mu_ exclusive) tell it
  // what changed.
  mutable std::mutex gpu_mu_;
  mutable std::unique_ptr<GpuMirror> gpu_;
  mutable std::atomic<bool> gpu_warned_{false};
  uint64_t next_id_ = 0;     // guarded by write_mu_
  std::atomic<bool> dropped_{false};
};

}  // namespace hvdb::db

#endif  // HVDB_DB_COLLECTION_IMPL_H_
