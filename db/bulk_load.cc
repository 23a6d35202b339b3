// Copyright hvdb authors. Collection::BulkLoad, Export and NewIterator.
//
// A load streams the source once: each row goes into the cache beyond the
// published rows (invisible to searches) and into SST files; when the source
// is exhausted without error the files are ingested into RocksDB in one atomic
// step and the staged rows are published. Any error before that discards the
// staged rows and the files: the collection is exactly as before.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/mutex.h"
#include "db/collection_impl.h"
#include "storage/row_sink.h"
#include "storage/row_source.h"

namespace hvdb::db {
namespace {

// The keys of one load, to find a key given twice. Slots hold the row and 32
// bits of the key's hash, so a probe reads a key only on a tag match; each
// key is inserted kWindow rows after it was read, once its slot has been
// prefetched, which hides the cache miss of a table far larger than the caches.
class LoadKeySet {
 public:
  static constexpr size_t kWindow = 16;

  LoadKeySet(const HostCache* cache, size_t expected_rows) : cache_(cache) {
    size_t size = 1024;
    while (size * 3 < expected_rows * 4) size *= 2;
    slots_.assign(size, kEmpty);
    mask_ = size - 1;
  }

  // Adds the key of staged row `row`. When a row inserted earlier holds the
  // same key, returns {that row, the later row}; otherwise {kNoRow32, ...}.
  std::pair<uint32_t, uint32_t> Add(uint32_t row) {
    const uint64_t hash = HashKey(cache_->key(row));
    __builtin_prefetch(&slots_[hash & mask_], 1);
    Waiting& w = waiting_[count_++ % kWindow];
    std::pair<uint32_t, uint32_t> found{kNoRow32, 0};
    if (count_ > kWindow) found = Insert(w);
    w = {row, hash};
    return found;
  }
  // Inserts the rows still waiting; same result as Add.
  std::pair<uint32_t, uint32_t> Flush() {
    const size_t pending = std::min(count_, kWindow);
    for (size_t i = count_ - pending; i < count_; ++i) {
      const auto found = Insert(waiting_[i % kWindow]);
      if (found.first != kNoRow32) return found;
    }
    count_ = 0;
    return {kNoRow32, 0};
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Waiting {
    uint32_t row;
    uint64_t hash;
  };

  std::pair<uint32_t, uint32_t> Insert(const Waiting& w) {
    if ((inserted_ + 1) * 4 > slots_.size() * 3) Grow();
    const uint64_t tag = w.hash >> 32;
    size_t i = w.hash & mask_;
    for (; slots_[i] != kEmpty; i = (i + 1) & mask_) {
      const uint32_t other = static_cast<uint32_t>(slots_[i]);
      if ((slots_[i] >> 32) == tag && cache_->key(other) == cache_->key(w.row)) return {other, w.row};
    }
    slots_[i] = (tag << 32) | w.row;
    ++inserted_;
    return {kNoRow32, 0};
  }

  void Grow() {
    std::vector<uint64_t> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, kEmpty);
    mask_ = slots_.size() - 1;
    for (uint64_t s : old) {
      if (s == kEmpty) continue;
      size_t i = HashKey(cache_->key(static_cast<uint32_t>(s))) & mask_;
      while (slots_[i] != kEmpty) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  const HostCache* cache_;
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
  size_t inserted_ = 0;
  Waiting waiting_[kWindow];
  size_t count_ = 0;
};

// Writes staged rows to the SST files on a second thread while the caller
// reads and stages the next ones: the two halves of a load each get a core.
class RowWriterThread {
 public:
  // `move_mu` is held exclusively by the stager whenever the cache's buffers
  // may move; this thread holds it shared while it reads rows.
  RowWriterThread(const HostCache* cache, storage::Ingestion* ingestion, size_t base, SharedMutex* move_mu)
      : cache_(cache), ingestion_(ingestion), base_(base), move_mu_(move_mu), thread_([this] { Run(); }) {}
  ~RowWriterThread() {
    {
      MutexLock lock(mu_);
      stop_ = true;
    }
    cv_.Signal();
    thread_.join();
  }

  // Rows [0, rows) past `base` are staged and may be written.
  void Publish(size_t rows) HVDB_EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      staged_ = rows;
    }
    cv_.Signal();
  }
  bool failed() HVDB_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return !status_.ok();
  }
  // Waits until every published row is written.
  Status Finish() HVDB_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    finishing_ = true;
    cv_.Signal();
    while (!exited_) done_cv_.Wait(mu_);
    return status_;
  }

 private:
  void Run() HVDB_EXCLUDES(mu_) {
    size_t written = 0;
    mu_.Lock();
    while (true) {
      while (!(stop_ || finishing_ || staged_ > written)) cv_.Wait(mu_);
      if (stop_ || (finishing_ && staged_ == written)) break;
      const size_t until = staged_;
      mu_.Unlock();
      Status s;
      {
        ReaderLock rows(*move_mu_);
        for (; written < until && s.ok(); ++written) {
          const size_t r = base_ + written;
          s = ingestion_->AddRow(cache_->id(r), cache_->key(r),
                                 {reinterpret_cast<const char*>(cache_->row(r)), cache_->words() * 8});
        }
      }
      mu_.Lock();
      if (!s.ok()) {
        status_ = s;
        break;
      }
    }
    exited_ = true;
    done_cv_.SignalAll();
    mu_.Unlock();
  }

  const HostCache* cache_;  // its rows read under *move_mu_ shared
  storage::Ingestion* ingestion_;
  const size_t base_;
  SharedMutex* move_mu_;
  Mutex mu_;
  CondVar cv_, done_cv_;
  size_t staged_ HVDB_GUARDED_BY(mu_) = 0;
  bool stop_ HVDB_GUARDED_BY(mu_) = false;
  bool finishing_ HVDB_GUARDED_BY(mu_) = false;
  bool exited_ HVDB_GUARDED_BY(mu_) = false;
  Status status_ HVDB_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace

Result<BulkLoadResult> CollectionImpl::BulkLoad(const std::string& path, const BulkLoadOptions& options,
                                                const ProgressCallback& progress) {
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<storage::RowSource> source,
                        storage::OpenRowSource(path, options, descriptor_.dim));
  return Load(std::move(source), "'" + path + "'", options, progress);
}

Result<BulkLoadResult> CollectionImpl::BulkLoadRows(const uint8_t* bits, size_t rows,
                                                    std::span<const std::string_view> keys,
                                                    const BulkLoadOptions& options, const ProgressCallback& progress) {
  if (options.format != FileFormat::kAuto || !options.keys_path.empty() || options.npy.unpacked || options.npy.pad) {
    return Status::InvalidArgument("a bulk load from memory takes packed rows and keys; format, keys_path, unpacked "
                                   "and pad apply to files");
  }
  if (options.first_row_number && !keys.empty()) {
    return Status::InvalidArgument("a first row number numbers rows loaded without keys; these rows have keys");
  }
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<storage::RowSource> source,
                        storage::MemoryRowSource(bits, rows, descriptor_.dim, keys));
  return Load(std::move(source), "rows in memory", options, progress);
}

Result<BulkLoadResult> CollectionImpl::Load(std::unique_ptr<storage::RowSource> source, const std::string& name,
                                            const BulkLoadOptions& options, const ProgressCallback& progress) {
  const auto start = std::chrono::steady_clock::now();
  MutexLock write(write_mu_);
  HVDB_RETURN_IF_ERROR(CheckLive());
  BulkLoadResult result;
  if (source->numbers_rows()) {
    uint64_t first = 0;
    if (options.first_row_number) {
      first = *options.first_row_number;
    } else {
      HVDB_ASSIGN_OR_RETURN(first, NextRowNumber());
    }
    if (source->total_rows() > 0 && first > UINT64_MAX - (source->total_rows() - 1)) {
      return Status::InvalidArgument(name + ": numbering its " + std::to_string(source->total_rows()) +
                                     " rows from " + std::to_string(first) +
                                     " passes 2^64 - 1; give the first number (--first-row N) or the keys (--keys FILE)");
    }
    source->NumberRowsFrom(first);
    result.first_row_number = first;
  }
  Status s = LoadRows(source.get(), name, options, progress, &result);
  if (!s.ok()) {
    WriterLock lock(cache_mu_);
    cache_->DiscardStaged();
    return s;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Status CollectionImpl::LoadRows(storage::RowSource* source, const std::string& name, const BulkLoadOptions& options,
                                const ProgressCallback& progress, BulkLoadResult* result) {
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<storage::Ingestion> ingestion,
                        store_->NewIngestion(descriptor_.id, options.temp_dir));
  // Staging writes past the published rows, with write_mu_ alone.
  HostCache& cache = writer_cache();
  const size_t base = cache.rows();
  SharedMutex move_mu;
  // Takes the locks under which the cache's buffers may move.
  auto grow = [&](size_t rows, size_t key_bytes) {
    WriterLock moving(move_mu);
    WriterLock lock(cache_mu_);
    return cache_->Grow(rows, key_bytes);
  };
  {
    // Sources that know their size get all the room up front.
    WriterLock lock(cache_mu_);
    HVDB_RETURN_IF_ERROR(cache_->Grow(std::max<uint64_t>(source->total_rows(), 1024), 1 << 20));
  }
  cache.PopulateStaged(source->total_rows());
  LoadKeySet staged(&cache, source->total_rows());
  auto twice = [&](std::pair<uint32_t, uint32_t> found) {
    return Status::InvalidArgument(name + ", row " + std::to_string(found.second - base) + ": key " +
                                   QuoteKey(cache.key(found.second)) + " appears twice in the load (first at row " +
                                   std::to_string(found.first - base) + ")");
  };
  std::vector<uint64_t> replaced_ids;
  std::vector<uint32_t> replaced_rows;
  std::string key;
  const size_t every = std::max<size_t>(options.progress_every, 1);
  RowWriterThread writer(&cache, ingestion.get(), base, &move_mu);
  for (uint64_t n = 0;; ++n) {
    if (n % 256 == 0) {
      writer.Publish(n);
      if (writer.failed()) break;
    }
    if (cache.NeedsGrowth(0)) HVDB_RETURN_IF_ERROR(grow(std::max<size_t>(n / 4, 4096), 1 << 20));
    HVDB_ASSIGN_OR_RETURN(const bool more, source->Next(&key, cache.NextStagedRow()));
    if (!more) break;
    auto where = [&] { return name + ", row " + std::to_string(n) + ": "; };
    if (Status k = ValidateKey(key); !k.ok()) return Status::InvalidArgument(where() + k.message());
    if (cache.NeedsGrowth(key.size())) {
      HVDB_RETURN_IF_ERROR(grow(std::max<size_t>(n / 4, 4096), std::max<size_t>(key.size() * 2, 1 << 20)));
    }
    const uint64_t id = next_id_ + n;
    cache.StageKey(id, key);
    if (auto found = staged.Add(static_cast<uint32_t>(base + n)); found.first != kNoRow32) return twice(found);
    if (base > 0) {
      const uint32_t existing = cache.Find(key);
      if (existing != kNoRow32) {
        replaced_ids.push_back(cache.id(existing));
        replaced_rows.push_back(existing);
      }
    }
    if (progress && (n + 1) % every == 0) {
      if (!progress({n + 1, source->total_rows(), source->bytes_read(), source->total_bytes()})) {
        return Status::Unavailable("bulk load of " + name + " cancelled at row " + std::to_string(n + 1));
      }
    }
  }
  if (auto found = staged.Flush(); found.first != kNoRow32) return twice(found);
  const size_t rows = cache.staged();
  writer.Publish(rows);
  HVDB_RETURN_IF_ERROR(writer.Finish().WithContext("bulk load of " + name));
  {
    WriterLock lock(cache_mu_);
    HVDB_RETURN_IF_ERROR(ReserveIndex(rows).WithContext("bulk load of " + name));
  }
  std::sort(replaced_ids.begin(), replaced_ids.end());
  HVDB_RETURN_IF_ERROR(ingestion->AddDeletions(replaced_ids));
  HVDB_RETURN_IF_ERROR(ingestion->Ingest().WithContext("bulk load of " + name));
  {
    WriterLock lock(cache_mu_);
    for (uint32_t row : replaced_rows) IndexRemoving(row);
    const size_t first = cache_->rows();
    cache_->PublishStaged(replaced_rows);
    IndexAppended(first);
    next_id_ += rows;
    MaybeCompact();
  }
  RebuildIndexIfDue();
  if (progress) progress({rows, source->total_rows(), source->bytes_read(), source->total_bytes()});
  result->rows = rows;
  result->replaced = replaced_ids.size();
  return Status::OK();
}

Status CollectionImpl::Export(const std::string& path, const ExportOptions& options,
                              const ProgressCallback& progress) const {
  HVDB_RETURN_IF_ERROR(CheckLive());
  // The snapshot and the count it holds, taken while no writer runs.
  uint64_t total = 0;
  std::unique_ptr<storage::RowCursor> cursor;
  {
    MutexLock write(write_mu_);
    total = Count();
    cursor = store_->NewRowCursor(descriptor_.id, words_ * 8);
  }
  HVDB_ASSIGN_OR_RETURN(
      std::unique_ptr<storage::RowSink> sink,
      storage::OpenRowSink(path, options, descriptor_.dim, total,
                           [this](const std::string& file) { return store_->CreateDurableFile(file); }));
  uint64_t n = 0;
  for (; cursor->Valid(); cursor->Next()) {
    if (Status s = sink->Add(cursor->key(), cursor->bits()); !s.ok()) {
      if (!s.IsInvalidArgument()) return s;
      return Status::InvalidArgument("export to '" + path + "', row " + std::to_string(n) + ", key " +
                                     QuoteKey(cursor->key()) + ": " + s.message());
    }
    if (progress && ++n % 65536 == 0 && !progress({n, total, 0, 0})) {
      return Status::Unavailable("export to '" + path + "' cancelled at row " + std::to_string(n));
    }
  }
  HVDB_RETURN_IF_ERROR(cursor->status());
  HVDB_RETURN_IF_ERROR(sink->Finish());
  if (progress) progress({total, total, 0, 0});
  return Status::OK();
}

Result<uint64_t> CollectionImpl::NextRowNumber() const {
  // Decimal keys as a keyless load writes them: digits only, no leading zero
  // (but "0"), at most 2^64 - 1.
  const HostCache& cache = writer_cache();
  uint64_t next = 0;
  for (size_t r = 0; r < cache.rows(); ++r) {
    const std::string_view key = cache.key(r);
    if (key.empty() || key.size() > 20 || (key.size() > 1 && key[0] == '0') || cache.is_deleted(r)) continue;
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), value);
    if (ec != std::errc() || end != key.data() + key.size()) continue;
    if (value == UINT64_MAX) {
      return Status::InvalidArgument("collection '" + descriptor_.name +
                                     "' holds the key 18446744073709551615, so no row number comes after it; "
                                     "give the first number (--first-row N) or the keys (--keys FILE)");
    }
    next = std::max(next, value + 1);
  }
  return next;
}

namespace {

class CollectionIterator : public Iterator {
 public:
  CollectionIterator(const storage::Store* store, uint32_t collection, size_t dim)
      : store_(store), collection_(collection), dim_(dim) {
    SeekToFirst();
  }
  void SeekToFirst() override {
    cursor_ = store_->NewRowCursor(collection_, dim_ / 8);
    Load();
  }
  bool Valid() const override { return cursor_->Valid() && status_.ok(); }
  void Next() override {
    cursor_->Next();
    Load();
  }
  std::string_view key() const override { return cursor_->key(); }
  const Hypervector& vector() const override { return vector_; }
  Status status() const override { return status_.ok() ? cursor_->status() : status_; }

 private:
  void Load() {
    if (!cursor_->Valid()) return;
    const std::string_view bits = cursor_->bits();
    if (vector_.dim() != dim_) vector_ = Hypervector::Zeros(dim_).value();
    std::memcpy(vector_.data(), bits.data(), bits.size());
  }

  const storage::Store* store_;
  uint32_t collection_;
  size_t dim_;
  std::unique_ptr<storage::RowCursor> cursor_;
  Hypervector vector_;
  Status status_;
};

}  // namespace

std::unique_ptr<Iterator> CollectionImpl::NewIterator() const {
  return std::make_unique<CollectionIterator>(store_, descriptor_.id, descriptor_.dim);
}

}  // namespace hvdb::db
