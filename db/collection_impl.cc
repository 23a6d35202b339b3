// Copyright hvdb authors.
#include "db/collection_impl.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <thread>

#include "index/flat.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/hamming.h"

namespace hvdb::db {
namespace {

std::string_view BitsOf(const Hypervector& v) {
  return {reinterpret_cast<const char*>(v.data()), v.words() * 8};
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string QuoteKey(std::string_view key) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < key.size() && i < 60; ++i) {
    const unsigned char c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (key.size() > 60) out += "...";
  out += "'";
  if (key.size() > 60) out += " (" + std::to_string(key.size()) + " bytes)";
  return out;
}

CollectionImpl::CollectionImpl(storage::Store* store, storage::CollectionDescriptor descriptor, bool pinned,
                               uint64_t gpu_memory_bytes)
    : store_(store),
      descriptor_(std::move(descriptor)),
      pinned_(pinned),
      words_(descriptor_.dim / 64),
      cache_(std::make_unique<HostCache>(words_, pinned)),
      index_options_(descriptor_.index),
      index_(std::make_unique<index::FlatIndex>()),  // until Load opens the collection's
      gpu_memory_bytes_(gpu_memory_bytes) {}

CollectionImpl::~CollectionImpl() = default;

Status CollectionImpl::ReloadLocked(const storage::CollectionDescriptor& stored) {
  CollectionImpl fresh(store_, stored, pinned_, gpu_memory_bytes_);
  HVDB_RETURN_IF_ERROR(fresh.Load());
  // No one else sees `fresh`: its locks are taken for the analysis only.
  MutexLock fresh_write(fresh.write_mu_);
  WriterLock fresh_cache(fresh.cache_mu_);
  WriterLock lock(cache_mu_);
  std::swap(cache_, fresh.cache_);
  index_options_ = fresh.index_options_;
  index_ = std::move(fresh.index_);
  next_id_ = fresh.next_id_;
  MutexLock gpu(gpu_mu_);
  gpu_.reset();  // rebuilt from the new cache at the next GPU search
  return Status::OK();
}

void CollectionImpl::MarkDroppedLocked() { ForgetRows(/*remove_files=*/store_->CheckWritable().ok()); }

void CollectionImpl::ForgetRows(bool remove_files) {
  {
    WriterLock lock(cache_mu_);
    dropped_.store(true, std::memory_order_release);
    cache_ = std::make_unique<HostCache>(words_, false);
    index_ = std::make_unique<index::FlatIndex>();
    MutexLock gpu(gpu_mu_);
    gpu_.reset();
  }
  if (remove_files) RemoveIndexFiles();
}

Status CollectionImpl::SetIndex(const IndexOptions& options, const ProgressCallback& progress) {
  HVDB_RETURN_IF_ERROR(options.Validate(descriptor_.dim).WithContext("collection '" + descriptor_.name + "'"));
  MutexLock write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  HVDB_RETURN_IF_ERROR(store_->CheckWritable());
  // Build beside the old index (searches go on), then switch in one step.
  std::unique_ptr<index::Index> built;
  const bool in_file = index::TypeOf(options.kind).state_home == index::StateHome::kFile;
  {
    ReaderLock lock(cache_mu_);
    index::BuildProgress build_progress;
    if (progress) {
      build_progress = [&progress](uint64_t done, uint64_t total) { return progress({done, total, 0, 0}); };
    }
    HVDB_RETURN_IF_ERROR(BuildIndex(options, &built, build_progress));
    if (in_file) HVDB_RETURN_IF_ERROR(WriteIndexFile(*built, store_->path()));
  }
  storage::CollectionDescriptor d = descriptor_;
  d.index = options;
  storage::StoreBatch batch;
  batch.PutDescriptor(d);
  batch.DeleteIndexState(descriptor_.id);  // a record earlier builds kept the ivf centroids in
  HVDB_RETURN_IF_ERROR(store_->Write(&batch, true));
  RemoveIndexFiles(in_file ? std::optional(options.kind) : std::nullopt);
  WriterLock lock(cache_mu_);
  index_options_ = options;
  index_ = std::move(built);
  return Status::OK();
}

IndexOptions CollectionImpl::index() const {
  ReaderLock lock(cache_mu_);
  return index_options_;
}

Status CollectionImpl::Load() {
  // Nothing else sees the collection yet: the locks, never waited for, let
  // the analysis check what follows.
  MutexLock write(write_mu_);
  WriterLock lock(cache_mu_);
  HostCache* const cache = cache_.get();  // for the scanning thread
  // Keys and bits are separate families scanned in the same row order: one
  // thread each, into buffers sized from RocksDB's estimate.
  const storage::FamilyBytes bytes = store_->EstimateBytes(descriptor_.id);
  const size_t estimated_rows = bytes.vectors / (words_ * 8 + 16) + 1;
  HVDB_RETURN_IF_ERROR(cache_->PrepareOpen(estimated_rows, bytes.keys));
  Status keys_status;
  std::vector<uint64_t> key_rows;
  key_rows.reserve(estimated_rows);
  std::thread keys([&] {
    keys_status = store_->ScanKeys(descriptor_.id, [&](uint64_t row, std::string_view key) {
      key_rows.push_back(row);
      return cache->AppendKeyForOpen(key);
    });
  });
  cache_->PopulateForOpen(estimated_rows);
  Status bits_status = store_->ScanBits(descriptor_.id, words_ * 8, [&](uint64_t row, std::string_view bits) {
    return cache->AppendBitsForOpen(row, bits.data());
  });
  keys.join();
  const std::string context = "loading collection '" + descriptor_.name + "'";
  HVDB_RETURN_IF_ERROR(bits_status.WithContext(context));
  HVDB_RETURN_IF_ERROR(keys_status.WithContext(context));
  for (size_t r = 0; r < key_rows.size() && r < cache_->key_rows(); ++r) {
    if (key_rows[r] != cache_->id(r)) {
      return Status::Corruption(context + ": the keys and vectors families disagree at row " + std::to_string(r));
    }
  }
  HVDB_RETURN_IF_ERROR(cache_->FinishOpen().WithContext(context));
  next_id_ = cache_->rows() == 0 ? 0 : cache_->id(cache_->rows() - 1) + 1;
  return OpenIndex();
}

Status CollectionImpl::CheckLive() const {
  if (dropped_.load(std::memory_order_acquire)) {
    return Status::NotFound("collection '" + descriptor_.name + "' was dropped");
  }
  return Status::OK();
}

Status CollectionImpl::CheckVector(const Hypervector& vector, std::string_view what) const {
  if (vector.dim() != descriptor_.dim) {
    return Status::InvalidArgument("collection '" + descriptor_.name + "' has dim " + std::to_string(descriptor_.dim) +
                                   ", " + std::string(what) + " has " + std::to_string(vector.dim()));
  }
  return Status::OK();
}

Status CollectionImpl::ReserveForWrite(size_t rows, size_t key_bytes) {
  WriterLock lock(cache_mu_);
  HVDB_RETURN_IF_ERROR(cache_->Grow(rows + cache_->rows() / 8, key_bytes + 10 * rows));
  return ReserveIndex(rows);
}

void CollectionImpl::MaybeCompact() {
  if (!cache_->ShouldCompact(descriptor_.compact_threshold)) return;
  index::RowsView before = View();
  const std::vector<uint64_t> tombstones(before.tombstones, before.tombstones + (before.n + 63) / 64);
  before.tombstones = tombstones.data();
  if (!cache_->Compact().ok()) return;
  {
    MutexLock gpu(gpu_mu_);
    if (gpu_ != nullptr) gpu_->Renumbered();
  }
  index_->Compacting(before);
}

Status CollectionImpl::Put(std::string_view key, const Hypervector& vector, const WriteOptions& options) {
  HVDB_RETURN_IF_ERROR(ValidateKey(key));
  HVDB_RETURN_IF_ERROR(CheckVector(vector, "the vector for key " + QuoteKey(key)));
  MutexLock write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const uint32_t row = writer_cache().Find(key);
  storage::StoreBatch batch;
  if (row != kNoRow32) {
    batch.PutBits(descriptor_.id, writer_cache().id(row), BitsOf(vector));
  } else {
    HVDB_RETURN_IF_ERROR(ReserveForWrite(1, key.size()));
    batch.PutRow(descriptor_.id, next_id_, key, BitsOf(vector));
  }
  HVDB_RETURN_IF_ERROR(store_->Write(&batch, options.sync));
  {
    WriterLock lock(cache_mu_);
    if (row != kNoRow32) {
      cache_->Overwrite(row, reinterpret_cast<const char*>(vector.data()));
      IndexOverwritten(row);
    } else {
      const uint64_t id = next_id_++;
      HVDB_RETURN_IF_ERROR(cache_->Insert(id, key, reinterpret_cast<const char*>(vector.data())));
      IndexAppended(cache_->rows() - 1);
    }
  }
  RebuildIndexIfDue();
  return Status::OK();
}

Result<Hypervector> CollectionImpl::Get(std::string_view key) const {
  HVDB_RETURN_IF_ERROR(ValidateKey(key));
  ReaderLock lock(cache_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const uint32_t row = cache_->Find(key);
  if (row == kNoRow32) {
    return Status::NotFound("key " + QuoteKey(key) + " not found in collection '" + descriptor_.name + "'");
  }
  return Hypervector::FromWords(descriptor_.dim, {cache_->row(row), words_});
}

Status CollectionImpl::Delete(std::string_view key, const WriteOptions& options) {
  HVDB_RETURN_IF_ERROR(ValidateKey(key));
  MutexLock write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const uint32_t row = writer_cache().Find(key);
  if (row == kNoRow32) return Status::OK();
  storage::StoreBatch batch;
  batch.DeleteRow(descriptor_.id, writer_cache().id(row));
  HVDB_RETURN_IF_ERROR(store_->Write(&batch, options.sync));
  {
    WriterLock lock(cache_mu_);
    IndexRemoving(row);
    cache_->Delete(row);
    MaybeCompact();
  }
  RebuildIndexIfDue();
  return Status::OK();
}

bool CollectionImpl::Contains(std::string_view key) const {
  if (!ValidateKey(key).ok()) return false;
  ReaderLock lock(cache_mu_);
  return !dropped_.load(std::memory_order_acquire) && cache_->Find(key) != kNoRow32;
}

uint64_t CollectionImpl::Count() const {
  ReaderLock lock(cache_mu_);
  return dropped_.load(std::memory_order_acquire) ? 0 : cache_->live();
}

Status CollectionImpl::Write(const WriteBatch& batch, const WriteOptions& options) {
  const auto& ops = batch.ops();
  for (size_t i = 0; i < ops.size(); ++i) {
    const std::string what =
        "batch operation " + std::to_string(i) + " (" + (ops[i].is_delete ? "delete " : "put ") + QuoteKey(ops[i].key) + ")";
    HVDB_RETURN_IF_ERROR(ValidateKey(ops[i].key).WithContext(what));
    if (!ops[i].is_delete) HVDB_RETURN_IF_ERROR(CheckVector(ops[i].vector, what));
  }
  if (ops.empty()) return Status::OK();

  MutexLock write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const HostCache& cache = writer_cache();
  // Replay the batch on each key's state. A key that becomes present where it
  // was absent (new, or deleted earlier in the batch) is inserted at the
  // position of that put, as if the operations had been applied one by one.
  struct KeyState {
    uint32_t row = kNoRow32;     // its row before the batch, if any
    bool present = false;
    bool reinserted = false;     // an existing key deleted, then put again
    size_t insert_at = 0;        // index of the put that (re)inserted it
    const WriteBatch::Op* value = nullptr;
  };
  std::unordered_map<std::string_view, KeyState> states;
  for (size_t i = 0; i < ops.size(); ++i) {
    auto [it, fresh] = states.try_emplace(ops[i].key);
    KeyState& st = it->second;
    if (fresh) {
      st.row = cache.Find(ops[i].key);
      st.present = st.row != kNoRow32;
    }
    if (ops[i].is_delete) {
      st.present = false;
      st.value = nullptr;
    } else {
      if (!st.present) {
        st.present = true;
        st.insert_at = i;
        st.reinserted = st.row != kNoRow32;
      }
      st.value = &ops[i];
    }
  }
  std::vector<uint32_t> deletes;                                         // rows
  std::vector<std::pair<uint32_t, const WriteBatch::Op*>> overwrites;    // row, value
  std::vector<std::pair<size_t, const WriteBatch::Op*>> inserts;         // position, value
  storage::StoreBatch store_batch;
  size_t insert_key_bytes = 0;
  for (const auto& [key, st] : states) {
    const bool existed = st.row != kNoRow32;
    if (existed && (!st.present || st.reinserted)) {
      store_batch.DeleteRow(descriptor_.id, cache.id(st.row));
      deletes.push_back(st.row);
    }
    if (existed && st.present && !st.reinserted) {
      store_batch.PutBits(descriptor_.id, cache.id(st.row), BitsOf(st.value->vector));
      overwrites.emplace_back(st.row, st.value);
    }
    if (st.present && (!existed || st.reinserted)) {
      inserts.emplace_back(st.insert_at, st.value);
      insert_key_bytes += key.size();
    }
  }
  std::sort(inserts.begin(), inserts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < inserts.size(); ++i) {
    store_batch.PutRow(descriptor_.id, next_id_ + i, inserts[i].second->key, BitsOf(inserts[i].second->vector));
  }
  if (store_batch.Count() == 0) return Status::OK();
  if (!inserts.empty()) HVDB_RETURN_IF_ERROR(ReserveForWrite(inserts.size(), insert_key_bytes));
  HVDB_RETURN_IF_ERROR(store_->Write(&store_batch, options.sync));

  {
    WriterLock lock(cache_mu_);
    for (uint32_t row : deletes) {
      IndexRemoving(row);
      cache_->Delete(row);
    }
    for (const auto& [row, op] : overwrites) {
      cache_->Overwrite(row, reinterpret_cast<const char*>(op->vector.data()));
      IndexOverwritten(row);
    }
    const size_t first = cache_->rows();
    Status inserted;
    for (size_t i = 0; i < inserts.size() && inserted.ok(); ++i) {
      inserted = cache_->Insert(next_id_++, inserts[i].second->key,
                                reinterpret_cast<const char*>(inserts[i].second->vector.data()));
    }
    IndexAppended(first);  // the rows that did go in, even after a failure: the index stays in step
    HVDB_RETURN_IF_ERROR(inserted);
    MaybeCompact();
  }
  RebuildIndexIfDue();
  return Status::OK();
}

Result<std::vector<SearchHit>> CollectionImpl::Search(const Hypervector& query, const SearchOptions& options,
                                                      SearchStats* stats) const {
  HVDB_RETURN_IF_ERROR(CheckVector(query, "the query"));
  HVDB_ASSIGN_OR_RETURN(auto lists, SearchBatch(query.data(), 1, options, stats));
  return std::move(lists[0]);
}

Result<SearchPlan> CollectionImpl::Plan(const index::SearchRequest& request, const SearchOptions& options,
                                        kernels::Simd simd) const {
  PlanInput input;
  input.index = index_.get();
  input.rows = View();
  input.request = &request;
  input.exact = options.exact;
  input.requested = options.device;
  input.simd = simd;
  {
    MutexLock lock(gpu_mu_);
    if (gpu_ != nullptr) input.resident = gpu_->ResidentFraction(cache_->rows());
  }
  return PlanSearch(input);
}

namespace {

index::SearchRequest RequestFor(const uint64_t* queries, size_t nq, const SearchOptions& options,
                                kernels::Simd simd) {
  index::SearchRequest request;
  request.queries = queries;
  request.nq = nq;
  request.k = options.k;
  request.max_distance = options.max_distance;
  request.candidates = options.candidates;
  request.nprobe = options.nprobe;
  request.ef = options.ef;
  request.scan.threads = options.threads;
  request.scan.simd = simd;
  return request;
}

}  // namespace

Result<hvdb::SearchPlan> CollectionImpl::ExplainSearch(size_t nq, const SearchOptions& options) const {
  HVDB_RETURN_IF_ERROR(options.Validate());
  HVDB_ASSIGN_OR_RETURN(const kernels::Simd simd, kernels::DefaultSimd());
  ReaderLock lock(cache_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  HVDB_ASSIGN_OR_RETURN(const SearchPlan plan, Plan(RequestFor(nullptr, nq, options, simd), options, simd));
  return plan.Describe();
}

namespace {

// (*out)[q] for queries [first, end): hits[q] with their keys from `cache`,
// in dimension `dim`.
void NameHits(const HostCache& cache, double dim, const kernels::HitLists& hits, size_t first, size_t end,
              std::vector<std::vector<SearchHit>>* out) {
  // The keys are looked up kKeysAhead hits behind their cache hints: a
  // lookup is two dependent misses (the row's key offset, then its bytes),
  // which took most of this loop's time before they overlapped.
  constexpr size_t kKeysAhead = 8;
  std::vector<uint64_t> rows;
  for (size_t q = first; q < end; ++q) {
    for (const kernels::Neighbor& n : hits[q]) rows.push_back(n.row);
  }
  for (size_t i = 0; i < std::min(rows.size(), 2 * kKeysAhead); ++i) cache.PrefetchKeyOffset(rows[i]);
  for (size_t i = 0; i < std::min(rows.size(), kKeysAhead); ++i) cache.PrefetchKey(rows[i]);
  size_t at = 0;
  for (size_t q = first; q < end; ++q) {
    std::vector<SearchHit>& named = (*out)[q];
    named.reserve(hits[q].size());
    for (const kernels::Neighbor& n : hits[q]) {
      if (at + 2 * kKeysAhead < rows.size()) cache.PrefetchKeyOffset(rows[at + 2 * kKeysAhead]);
      if (at + kKeysAhead < rows.size()) cache.PrefetchKey(rows[at + kKeysAhead]);
      ++at;
      named.push_back(SearchHit{std::string(cache.key(n.row)), n.distance, 1.0 - n.distance / dim});
    }
  }
}

}  // namespace

Result<std::vector<std::vector<SearchHit>>> CollectionImpl::SearchBatch(const uint64_t* queries, size_t nq,
                                                                        const SearchOptions& options,
                                                                        SearchStats* stats) const {
  const auto start = std::chrono::steady_clock::now();
  HVDB_RETURN_IF_ERROR(options.Validate());
  if (queries == nullptr && nq > 0) return Status::InvalidArgument("queries is null");
  HVDB_ASSIGN_OR_RETURN(const kernels::Simd simd, kernels::DefaultSimd());
  const index::SearchRequest request = RequestFor(queries, nq, options, simd);

  ReaderLock lock(cache_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  HVDB_ASSIGN_OR_RETURN(SearchPlan plan, Plan(request, options, simd));
  const index::RowsView rows = View();
  index::SearchResult found;
  bool answered = false;
  if (plan.device == Device::kGpu) {
    const Status on_devices = RunOnDevices(plan, request, &found);
    answered = on_devices.ok();
    if (!answered) {  // warned once by RunOnDevices; the CPU gives the same answer
      plan.device = Device::kCpu;
      plan.devices.clear();
      plan.kernel = kernels::SimdName(simd);
      plan.reason += "; the device failed (" + on_devices.ToString() + "): the CPU answered";
    }
  }
  if (!answered) HVDB_RETURN_IF_ERROR(plan.index->Search(rows, request, &found));

  std::vector<std::vector<SearchHit>> out(nq);
  // The hits' keys, on the search's threads in slices of queries: at a
  // fast index's rate, copying ten keys a query was a tenth of a batch's
  // time on one thread.
  constexpr size_t kQueriesPerSlice = 64;
  const size_t answered_queries = std::min(nq, found.hits.size());
  const HostCache& cache = *cache_;
  const double dim = static_cast<double>(descriptor_.dim);
  kernels::cpu::ThreadPool::Shared().Run(
      (answered_queries + kQueriesPerSlice - 1) / kQueriesPerSlice, kernels::ThreadsFor(request.scan),
      [&](size_t slice) {
        const size_t first = slice * kQueriesPerSlice;
        NameHits(cache, dim, found.hits, first, std::min(answered_queries, first + kQueriesPerSlice), &out);
      });
  if (stats != nullptr) {
    stats->queries = nq;
    stats->rows_scanned = nq == 0 ? 0 : found.rows_scanned / nq;
    stats->plan = plan.Describe();
    stats->candidates_reranked = found.candidates_reranked;
    stats->seconds = Seconds(start);
  }
  return out;
}

CollectionStats CollectionImpl::Stats() const {
  CollectionStats s;
  s.name = descriptor_.name;
  s.dim = descriptor_.dim;
  s.item_memory_seed = descriptor_.item_memory_seed;
  {
    ReaderLock lock(cache_mu_);
    if (dropped_.load()) return s;
    s.count = cache_->live();
    s.cache_rows = cache_->rows();
    s.deleted_rows = cache_->deleted();
    s.key_bytes = cache_->key_bytes();
    s.memory_bytes = cache_->memory_bytes();
    s.pinned = cache_->pinned();
    s.index = index_options_.kind;
    s.index_bytes = index_->memory_bytes();
    s.ivf_lists = index_->trained_lists();
  }
  {
    MutexLock lock(gpu_mu_);  // a drop or reload resets gpu_ under it too
    if (gpu_ != nullptr) s.gpu_bytes = gpu_->resident_bytes();
  }
  s.disk_bytes = store_->ApproximateBytes(descriptor_.id);
  return s;
}

Status CollectionImpl::Drop() {
  MutexLock write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  storage::StoreBatch batch;
  batch.DropCollection(descriptor_);
  HVDB_RETURN_IF_ERROR(store_->Write(&batch, true));
  ForgetRows(/*remove_files=*/true);
  return Status::OK();
}

Status CollectionImpl::Verify() const {
  MutexLock write(write_mu_);
  ReaderLock lock(cache_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const std::string where = "collection '" + descriptor_.name + "': ";
  auto cursor = store_->NewRowCursor(descriptor_.id, words_ * 8);
  size_t row = 0;
  for (; cursor->Valid(); cursor->Next(), ++row) {
    while (row < cache_->rows() && cache_->is_deleted(row)) ++row;
    if (row >= cache_->rows()) {
      return Status::Corruption(where + "RocksDB holds row id " + std::to_string(cursor->row()) +
                                " that the cache lacks");
    }
    if (cache_->id(row) != cursor->row()) {
      return Status::Corruption(where + "cache row " + std::to_string(row) + " has id " + std::to_string(cache_->id(row)) +
                                ", RocksDB " + std::to_string(cursor->row()));
    }
    if (cache_->key(row) != cursor->key()) {
      return Status::Corruption(where + "row id " + std::to_string(cursor->row()) + ": cache key " +
                                QuoteKey(cache_->key(row)) + ", RocksDB key " + QuoteKey(cursor->key()));
    }
    if (std::memcmp(cache_->row(row), cursor->bits().data(), words_ * 8) != 0) {
      return Status::Corruption(where + "key " + QuoteKey(cursor->key()) + ": cache and RocksDB bits differ");
    }
    if (cache_->Find(cursor->key()) != row) {
      return Status::Corruption(where + "key " + QuoteKey(cursor->key()) + " does not map to its row");
    }
  }
  HVDB_RETURN_IF_ERROR(cursor->status().WithContext(where));
  while (row < cache_->rows() && cache_->is_deleted(row)) ++row;
  if (row != cache_->rows()) {
    return Status::Corruption(where + "the cache holds row id " + std::to_string(cache_->id(row)) +
                              " that RocksDB lacks");
  }
  return Status::OK();
}

}  // namespace hvdb::db
