// Copyright hvdb authors.
#include "db/collection_impl.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <thread>

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
      gpu_memory_bytes_(gpu_memory_bytes) {
  index_ = descriptor_.index;
  if (index_.kind == "prefix") (void)cache_->SetPrefixWords(index_.prefix_bits / 64);
}

CollectionImpl::~CollectionImpl() = default;

Status CollectionImpl::ReloadLocked(const storage::CollectionDescriptor& stored) {
  CollectionImpl fresh(store_, stored, pinned_, gpu_memory_bytes_);
  HVDB_RETURN_IF_ERROR(fresh.Load());
  std::unique_lock lock(cache_mu_);
  std::swap(cache_, fresh.cache_);
  index_ = fresh.index_;
  ivf_ = std::move(fresh.ivf_);
  hnsw_ = std::move(fresh.hnsw_);
  next_id_ = fresh.next_id_;
  gpu_.reset();  // rebuilt from the new cache at the next GPU search
  std::lock_guard ivf_gpu(ivf_gpu_mu_);
  ivf_gpu_.reset();
  return Status::OK();
}

void CollectionImpl::MarkDroppedLocked() { ForgetRows(/*remove_files=*/store_->CheckWritable().ok()); }

void CollectionImpl::ForgetRows(bool remove_files) {
  {
    std::unique_lock lock(cache_mu_);
    dropped_.store(true, std::memory_order_release);
    cache_ = std::make_unique<HostCache>(words_, false);
    ivf_.reset();
    hnsw_.reset();
    gpu_.reset();
  }
  std::lock_guard ivf_gpu(ivf_gpu_mu_);
  ivf_gpu_.reset();
  if (remove_files) {
    std::error_code ec;
    std::filesystem::remove(HnswPath(store_->path()), ec);
  }
}

Status CollectionImpl::SetIndex(const IndexOptions& index, const ProgressCallback& progress) {
  if (std::string problem = index.Validate(descriptor_.dim); !problem.empty()) {
    return Status::InvalidArgument("collection '" + descriptor_.name + "': " + problem);
  }
  std::lock_guard write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  HVDB_RETURN_IF_ERROR(store_->CheckWritable());
  // Build beside the old index (searches go on), then switch in one step.
  std::unique_ptr<index::IvfIndex> ivf;
  std::unique_ptr<index::HnswIndex> hnsw;
  std::string record;
  {
    std::shared_lock lock(cache_mu_);
    index::BuildProgress build_progress;
    if (progress) {
      build_progress = [&progress](uint64_t done, uint64_t total) { return progress({done, total, 0, 0}); };
    }
    HVDB_RETURN_IF_ERROR(BuildIndex(index, &ivf, &hnsw, &record, build_progress));
    if (hnsw != nullptr) HVDB_RETURN_IF_ERROR(WriteHnswFile(*hnsw, store_->path()));
  }
  storage::CollectionDescriptor d = descriptor_;
  d.index = index;
  storage::StoreBatch batch;
  batch.PutDescriptor(d);
  if (record.empty()) {
    batch.DeleteIndexState(descriptor_.id);
  } else {
    batch.PutIndexState(descriptor_.id, record);
  }
  HVDB_RETURN_IF_ERROR(store_->Write(&batch, true));
  if (hnsw == nullptr) {
    std::error_code ec;
    std::filesystem::remove(HnswPath(store_->path()), ec);
  }
  std::unique_lock lock(cache_mu_);
  HVDB_RETURN_IF_ERROR(cache_->SetPrefixWords(index.kind == "prefix" ? index.prefix_bits / 64 : 0));
  index_ = index;
  ivf_ = std::move(ivf);
  hnsw_ = std::move(hnsw);
  return Status::OK();
}

IndexOptions CollectionImpl::index() const {
  std::shared_lock lock(cache_mu_);
  return index_;
}

Status CollectionImpl::PrefixSearch(const uint64_t* queries, size_t nq, size_t k,
                                    std::optional<uint32_t> max_distance, size_t candidates,
                                    const kernels::ScanOptions& scan,
                                    std::vector<std::vector<kernels::Neighbor>>* out) const {
  const size_t pwords = cache_->prefix_words();
  // Stage 1: the nearest `candidates` rows by their prefixes.
  std::vector<uint64_t> prefixes(nq * pwords);
  for (size_t q = 0; q < nq; ++q) {
    std::memcpy(prefixes.data() + q * pwords, queries + q * words_, pwords * 8);
  }
  const kernels::ScanInput input{prefixes.data(), nq, cache_->prefix_rows(), cache_->rows(), pwords,
                                 cache_->tombstones()};
  std::vector<kernels::Neighbor> found(nq * candidates);
  HVDB_RETURN_IF_ERROR(kernels::TopK(input, candidates, found.data(), scan));
  // Stage 2: rerank them by the full vectors, same order as every scan.
  for (size_t q = 0; q < nq; ++q) {
    std::vector<kernels::Neighbor>& hits = (*out)[q];
    hits.clear();
    for (size_t i = 0; i < candidates; ++i) {
      const uint64_t row = found[q * candidates + i].row;
      if (row == kernels::kNoRow) break;
      const uint32_t d = kernels::HammingDistance(queries + q * words_, cache_->row(row), words_, *scan.simd);
      if (!max_distance || d <= *max_distance) hits.push_back({row, d});
    }
    std::sort(hits.begin(), hits.end(), kernels::NearerFirst);
    if (hits.size() > k) hits.resize(k);
  }
  return Status::OK();
}

Status CollectionImpl::Load() {
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
      return cache_->AppendKeyForOpen(key);
    });
  });
  cache_->PopulateForOpen(estimated_rows);
  Status bits_status = store_->ScanBits(descriptor_.id, words_ * 8, [&](uint64_t row, std::string_view bits) {
    return cache_->AppendBitsForOpen(row, bits.data());
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
  std::unique_lock lock(cache_mu_);
  return cache_->Grow(rows + cache_->rows() / 8, key_bytes + 10 * rows);
}

void CollectionImpl::MaybeCompact() {
  if (!cache_->ShouldCompact(descriptor_.compact_threshold)) return;
  index::RowsView before = View();
  const std::vector<uint64_t> tombstones(before.tombstones, before.tombstones + (before.n + 63) / 64);
  before.tombstones = tombstones.data();
  if (!cache_->Compact().ok()) return;
  if (gpu_ != nullptr) gpu_->Renumbered();
  if (ivf_ != nullptr) ivf_->Compact(before);
  if (hnsw_ != nullptr) hnsw_->Compact(before);
}

Status CollectionImpl::Put(std::string_view key, const Hypervector& vector, const WriteOptions& options) {
  HVDB_RETURN_IF_ERROR(ValidateKey(key));
  HVDB_RETURN_IF_ERROR(CheckVector(vector, "the vector for key " + QuoteKey(key)));
  std::lock_guard write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const uint32_t row = cache_->Find(key);
  storage::StoreBatch batch;
  if (row != kNoRow32) {
    batch.PutBits(descriptor_.id, cache_->id(row), BitsOf(vector));
  } else {
    HVDB_RETURN_IF_ERROR(ReserveForWrite(1, key.size()));
    batch.PutRow(descriptor_.id, next_id_, key, BitsOf(vector));
  }
  HVDB_RETURN_IF_ERROR(store_->Write(&batch, options.sync));
  {
    std::unique_lock lock(cache_mu_);
    if (row != kNoRow32) {
      cache_->Overwrite(row, reinterpret_cast<const char*>(vector.data()));
      IndexOverwritten(row);
    } else {
      const uint64_t id = next_id_++;
      HVDB_RETURN_IF_ERROR(cache_->Insert(id, key, reinterpret_cast<const char*>(vector.data())));
      IndexAppended(cache_->rows() - 1);
    }
  }
  RetrainIfDue();
  return Status::OK();
}

Result<Hypervector> CollectionImpl::Get(std::string_view key) const {
  HVDB_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(cache_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const uint32_t row = cache_->Find(key);
  if (row == kNoRow32) {
    return Status::NotFound("key " + QuoteKey(key) + " not found in collection '" + descriptor_.name + "'");
  }
  return Hypervector::FromWords(descriptor_.dim, {cache_->row(row), words_});
}

Status CollectionImpl::Delete(std::string_view key, const WriteOptions& options) {
  HVDB_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const uint32_t row = cache_->Find(key);
  if (row == kNoRow32) return Status::OK();
  storage::StoreBatch batch;
  batch.DeleteRow(descriptor_.id, cache_->id(row));
  HVDB_RETURN_IF_ERROR(store_->Write(&batch, options.sync));
  {
    std::unique_lock lock(cache_mu_);
    IndexRemoving(row);
    cache_->Delete(row);
    MaybeCompact();
  }
  RetrainIfDue();
  return Status::OK();
}

bool CollectionImpl::Contains(std::string_view key) const {
  if (!ValidateKey(key).ok()) return false;
  std::shared_lock lock(cache_mu_);
  return !dropped_.load(std::memory_order_acquire) && cache_->Find(key) != kNoRow32;
}

uint64_t CollectionImpl::Count() const {
  std::shared_lock lock(cache_mu_);
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

  std::lock_guard write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
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
      st.row = cache_->Find(ops[i].key);
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
      store_batch.DeleteRow(descriptor_.id, cache_->id(st.row));
      deletes.push_back(st.row);
    }
    if (existed && st.present && !st.reinserted) {
      store_batch.PutBits(descriptor_.id, cache_->id(st.row), BitsOf(st.value->vector));
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
    std::unique_lock lock(cache_mu_);
    for (uint32_t row : deletes) {
      IndexRemoving(row);
      cache_->Delete(row);
    }
    for (const auto& [row, op] : overwrites) {
      cache_->Overwrite(row, reinterpret_cast<const char*>(op->vector.data()));
      IndexOverwritten(row);
    }
    const size_t first = cache_->rows();
    for (const auto& [at, op] : inserts) {
      HVDB_RETURN_IF_ERROR(cache_->Insert(next_id_++, op->key, reinterpret_cast<const char*>(op->vector.data())));
    }
    IndexAppended(first);
    MaybeCompact();
  }
  RetrainIfDue();
  return Status::OK();
}

Result<std::vector<SearchHit>> CollectionImpl::Search(const Hypervector& query, const SearchOptions& options,
                                                      SearchStats* stats) const {
  HVDB_RETURN_IF_ERROR(CheckVector(query, "the query"));
  HVDB_ASSIGN_OR_RETURN(auto lists, SearchBatch(query.data(), 1, options, stats));
  return std::move(lists[0]);
}

Result<std::vector<std::vector<SearchHit>>> CollectionImpl::SearchBatch(const uint64_t* queries, size_t nq,
                                                                        const SearchOptions& options,
                                                                        SearchStats* stats) const {
  const auto start = std::chrono::steady_clock::now();
  if (std::string problem = options.Validate(); !problem.empty()) return Status::InvalidArgument(problem);
  if (queries == nullptr && nq > 0) return Status::InvalidArgument("queries is null");
  kernels::ScanOptions scan;
  scan.threads = options.threads;
  HVDB_ASSIGN_OR_RETURN(const kernels::Simd simd, kernels::DefaultSimd());
  scan.simd = simd;

  std::vector<std::vector<SearchHit>> out(nq);
  std::shared_lock lock(cache_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  const kernels::ScanInput input{queries, nq, cache_->arena(), cache_->rows(), words_, cache_->tombstones()};
  const double dim = static_cast<double>(descriptor_.dim);
  auto to_hit = [&](const kernels::Neighbor& n) {
    return SearchHit{std::string(cache_->key(n.row)), n.distance, 1.0 - n.distance / dim};
  };
  const size_t candidates = options.k * (options.candidates ? options.candidates : index_.prefix_candidates);
  bool two_stage = index_.kind == "prefix" && !options.exact && options.k > 0 && candidates < cache_->live() &&
                   candidates <= kernels::kMaxK;
  size_t reranked = 0;
  uint64_t rows_scanned = uint64_t{nq} * cache_->rows();
  std::vector<std::vector<kernels::Neighbor>> indexed;
  bool by_gpu = false, by_index = false, exact_fallback = false;
  std::string gpu_kernel;
  // device gpu over a trained ivf index: the ivf search with its lists on
  // the device; otherwise GpuSearch decides between the exact scan on the
  // devices and the CPU.
  HVDB_ASSIGN_OR_RETURN(const Device requested, kernels::RequestedDevice(options.device));
  const bool ivf_on_gpu = ivf_ != nullptr && !options.exact && requested == Device::kGpu;
  if (ivf_on_gpu && kernels::SearchDevices().empty()) return kernels::NoSearchDevice();
  if (nq > 0 && cache_->rows() > 0 && !ivf_on_gpu) {
    const bool index_would_answer =
        !options.exact && (two_stage || ivf_ != nullptr || (hnsw_ != nullptr && !hnsw_->broken() && options.k > 0));
    HVDB_ASSIGN_OR_RETURN(const GpuOutcome outcome,
                          GpuSearch(queries, nq, options, requested, index_would_answer, &indexed, &gpu_kernel));
    by_gpu = outcome == GpuOutcome::kAnswered;
    exact_fallback = outcome == GpuOutcome::kExactOnCpu;
    if (exact_fallback) two_stage = false;
  }
  if (nq > 0 && cache_->rows() > 0 && !two_stage && !by_gpu && !exact_fallback) {
    HVDB_ASSIGN_OR_RETURN(by_index,
                          IndexSearch(queries, nq, options, scan, &indexed, &rows_scanned, ivf_on_gpu, &gpu_kernel));
    by_gpu = by_index && !gpu_kernel.empty();
  }
  if (by_gpu || by_index) {
    for (size_t q = 0; q < nq; ++q) {
      out[q].reserve(indexed[q].size());
      for (const auto& n : indexed[q]) out[q].push_back(to_hit(n));
    }
  } else if (nq > 0 && cache_->rows() > 0 && two_stage) {
    std::vector<std::vector<kernels::Neighbor>> found(nq);
    HVDB_RETURN_IF_ERROR(PrefixSearch(queries, nq, options.k, options.max_distance, candidates, scan, &found));
    for (size_t q = 0; q < nq; ++q) {
      for (const auto& n : found[q]) out[q].push_back(to_hit(n));
    }
    reranked = nq * candidates;
  } else if (nq > 0 && cache_->rows() > 0) {
    if (options.k == 0) {
      std::vector<std::vector<kernels::Neighbor>> found(nq);
      HVDB_RETURN_IF_ERROR(kernels::WithinRadius(input, *options.max_distance, found.data(), scan));
      for (size_t q = 0; q < nq; ++q) {
        out[q].reserve(found[q].size());
        for (const auto& n : found[q]) out[q].push_back(to_hit(n));
      }
    } else {
      const size_t k = std::min<size_t>(options.k, cache_->rows());
      std::vector<kernels::Neighbor> found(nq * k);
      HVDB_RETURN_IF_ERROR(kernels::TopK(input, k, found.data(), scan));
      const uint32_t limit = options.max_distance.value_or(kernels::kNoDistance - 1);
      for (size_t q = 0; q < nq; ++q) {
        out[q].reserve(k);
        for (size_t i = 0; i < k; ++i) {
          const kernels::Neighbor& n = found[q * k + i];
          if (n.row == kernels::kNoRow || n.distance > limit) break;
          out[q].push_back(to_hit(n));
        }
      }
    }
  }
  if (stats != nullptr) {
    stats->queries = nq;
    stats->rows_scanned = nq == 0 ? 0 : rows_scanned / nq;
    stats->device = by_gpu ? "gpu" : "cpu";
    stats->kernel = by_gpu ? gpu_kernel : kernels::SimdName(simd);
    stats->index = by_index ? index_.kind : by_gpu ? "flat" : two_stage ? "prefix" : "flat";
    stats->candidates_reranked = reranked;
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
    std::shared_lock lock(cache_mu_);
    if (dropped_.load()) return s;
    s.count = cache_->live();
    s.cache_rows = cache_->rows();
    s.deleted_rows = cache_->deleted();
    s.key_bytes = cache_->key_bytes();
    s.memory_bytes = cache_->memory_bytes();
    s.pinned = cache_->pinned();
    s.index = index_.kind;
    s.index_bytes = cache_->prefix_bytes() + (ivf_ ? ivf_->memory_bytes() : 0) + (hnsw_ ? hnsw_->memory_bytes() : 0);
  }
  {
    std::lock_guard lock(gpu_mu_);
    if (gpu_ != nullptr) s.gpu_bytes = gpu_->resident_bytes();
  }
  s.disk_bytes = store_->ApproximateBytes(descriptor_.id);
  return s;
}

Status CollectionImpl::Drop() {
  std::lock_guard write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  storage::StoreBatch batch;
  batch.DropCollection(descriptor_);
  HVDB_RETURN_IF_ERROR(store_->Write(&batch, true));
  ForgetRows(/*remove_files=*/true);
  return Status::OK();
}

Status CollectionImpl::Verify() const {
  std::lock_guard write(write_mu_);
  std::shared_lock lock(cache_mu_);
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
