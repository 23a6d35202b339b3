// Copyright hvdb authors.
#include "storage/store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <rocksdb/metadata.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>
#include <sys/uio.h>

#include "storage/key_codec.h"

namespace hvdb::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCatalogFamily = "catalog";
constexpr const char* kKeysFamily = "keys";
constexpr const char* kVectorsFamily = "vectors";
constexpr const char* kAccumulatorsFamily = "accumulators";
enum Family { kDefault = 0, kCatalog = 1, kKeys = 2, kVectors = 3, kAccumulators = 4, kFamilies = 5 };

// The `default` family's record of a collection's index state.
std::string IndexStateKey(uint32_t collection) {
  const auto prefix = CollectionPrefix(collection);
  return "index/" + std::string(prefix.data(), prefix.size());
}

// (collection id, accumulator name): the collection's prefix, then the name.
std::string AccumulatorKey(uint32_t collection, std::string_view name) {
  const auto prefix = CollectionPrefix(collection);
  std::string key(prefix.data(), prefix.size());
  key.append(name);
  return key;
}

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  std::string message = std::string(context) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(message);
  if (s.IsCorruption()) return Status::Corruption(message);
  if (s.IsInvalidArgument() || s.IsNotSupported()) return Status::InvalidArgument(message);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) return Status::Unavailable(message);
  if (s.IsNoSpace() || s.IsMemoryLimit()) return Status::ResourceExhausted(message);
  return Status::IOError(message);
}

std::string EncodeU32(uint32_t value) {
  std::string out(4, '\0');
  PutBigEndian(value, 4, out.data());
  return out;
}

rocksdb::Slice AsSlice(const RowKey& key) { return {key.data(), key.size()}; }

// Families holding rows are read in long sequential scans and never by point
// lookups: no filters, large blocks, no compression (random bits do not
// compress).
rocksdb::ColumnFamilyOptions RowFamilyOptions(const Options& options) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = options.write_buffer_bytes;
  cf.compression = rocksdb::kNoCompression;
  cf.bottommost_compression = rocksdb::kNoCompression;
  cf.level_compaction_dynamic_level_bytes = true;
  cf.target_file_size_base = 256 << 20;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 64 << 10;
  table.cache_index_and_filter_blocks = false;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

}  // namespace

// ---------------------------------------------------------------- StoreBatch

struct StoreBatch::Rep {
  // Column family handles are bound at Store::Write; until then operations
  // name their family by number.
  struct Op {
    enum Kind { kPut, kDelete, kDeleteRange } kind;
    Family family;
    std::string key, value;
  };
  std::vector<Op> ops;
};

StoreBatch::StoreBatch() : rep_(std::make_unique<Rep>()) {}
StoreBatch::~StoreBatch() = default;

void StoreBatch::PutRow(uint32_t collection, uint64_t row, std::string_view key, std::string_view bits) {
  const RowKey k = EncodeRowKey(collection, row);
  rep_->ops.push_back({Rep::Op::kPut, kKeys, std::string(k.data(), k.size()), std::string(key)});
  rep_->ops.push_back({Rep::Op::kPut, kVectors, std::string(k.data(), k.size()), std::string(bits)});
}

void StoreBatch::PutBits(uint32_t collection, uint64_t row, std::string_view bits) {
  const RowKey k = EncodeRowKey(collection, row);
  rep_->ops.push_back({Rep::Op::kPut, kVectors, std::string(k.data(), k.size()), std::string(bits)});
}

void StoreBatch::DeleteRow(uint32_t collection, uint64_t row) {
  const RowKey k = EncodeRowKey(collection, row);
  rep_->ops.push_back({Rep::Op::kDelete, kKeys, std::string(k.data(), k.size()), ""});
  rep_->ops.push_back({Rep::Op::kDelete, kVectors, std::string(k.data(), k.size()), ""});
}

void StoreBatch::PutDescriptor(const CollectionDescriptor& descriptor) {
  rep_->ops.push_back({Rep::Op::kPut, kCatalog, descriptor.name, EncodeDescriptor(descriptor)});
}

void StoreBatch::DropCollection(const CollectionDescriptor& descriptor) {
  rep_->ops.push_back({Rep::Op::kDelete, kCatalog, descriptor.name, ""});
  DeleteIndexState(descriptor.id);
  const auto begin = CollectionPrefix(descriptor.id);
  const auto end = CollectionPrefix(descriptor.id + 1);
  for (Family f : {kKeys, kVectors, kAccumulators}) {
    rep_->ops.push_back({Rep::Op::kDeleteRange, f, std::string(begin.data(), 4), std::string(end.data(), 4)});
  }
}

void StoreBatch::PutIndexState(uint32_t collection, std::string_view value) {
  rep_->ops.push_back({Rep::Op::kPut, kDefault, IndexStateKey(collection), std::string(value)});
}

void StoreBatch::DeleteIndexState(uint32_t collection) {
  rep_->ops.push_back({Rep::Op::kDelete, kDefault, IndexStateKey(collection), ""});
}

void StoreBatch::PutAccumulator(uint32_t collection, std::string_view name, std::string_view value) {
  rep_->ops.push_back({Rep::Op::kPut, kAccumulators, AccumulatorKey(collection, name), std::string(value)});
}

void StoreBatch::DeleteAccumulator(uint32_t collection, std::string_view name) {
  rep_->ops.push_back({Rep::Op::kDelete, kAccumulators, AccumulatorKey(collection, name), ""});
}

void StoreBatch::PutNextCollectionId(uint32_t next) {
  rep_->ops.push_back({Rep::Op::kPut, kDefault, std::string(kNextCollectionIdKey), EncodeU32(next)});
}

size_t StoreBatch::Count() const { return rep_->ops.size(); }

// ---------------------------------------------------------------- Store::Rep

struct Store::Rep {
  std::string path;
  Options options;
  rocksdb::Options rocks_options;              // DB options + the row families' options
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;  // by Family
  std::atomic<uint64_t> ingest_serial{0};
  std::thread prefetcher;  // reads cold row files ahead of an open's scans

  ~Rep() {
    if (prefetcher.joinable()) prefetcher.join();
    if (db) {
      for (auto* h : families) db->DestroyColumnFamilyHandle(h);
      db->Close();
    }
  }

  rocksdb::ReadOptions ScanOptions(const rocksdb::Slice* lower, const rocksdb::Slice* upper) const {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 4 << 20;
    ro.verify_checksums = options.verify_checksums_on_open;
    ro.iterate_lower_bound = lower;
    ro.iterate_upper_bound = upper;
    return ro;
  }
};

Store::Store(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Store::~Store() = default;
const std::string& Store::path() const { return rep_->path; }

Status Store::Open(const Options& options, const std::string& path, std::unique_ptr<Store>* store) {
  store->reset();
  if (std::string problem = options.Validate(); !problem.empty()) return Status::InvalidArgument(problem);
  if (path.empty()) return Status::InvalidArgument("database path is empty");
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return Status::InvalidArgument("database path '" + path + "' exists and is not a directory");
  }
  const bool exists = fs::exists(fs::path(path) / "CURRENT", ec);
  if (!exists && !options.create_if_missing) {
    return Status::NotFound("no database at '" + path + "' (Options::create_if_missing is false)");
  }
  if (exists && options.error_if_exists) {
    return Status::InvalidArgument("a database already exists at '" + path + "' (Options::error_if_exists)");
  }

  auto rep = std::make_unique<Rep>();
  rep->path = path;
  rep->options = options;
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = options.background_jobs;
  db_options.max_open_files = -1;
  // Opens stream whole families: reading through a mapping saves two copies.
  db_options.allow_mmap_reads = true;
  db_options.advise_random_on_open = false;  // scans, not point lookups: keep readahead
  db_options.keep_log_file_num = 4;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  const rocksdb::ColumnFamilyOptions row_family = RowFamilyOptions(options);
  rocksdb::ColumnFamilyOptions small_family;
  small_family.write_buffer_size = 4 << 20;
  small_family.compression = rocksdb::kNoCompression;  // a few small records: nothing to gain
  rep->rocks_options = rocksdb::Options(db_options, row_family);

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, small_family},
      {kCatalogFamily, small_family},
      {kKeysFamily, row_family},
      {kVectorsFamily, row_family},
      {kAccumulatorsFamily, small_family},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &rep->families, &raw);
  if (!s.ok()) {
    const std::string text = s.ToString();
    if (s.IsIOError() && text.find("lock") != std::string::npos) {
      return Status::Unavailable("database '" + path + "' is already open in another process or DB object (" +
                                 text + ")");
    }
    if (s.IsInvalidArgument() && text.find("olumn famil") != std::string::npos) {
      return Status::InvalidArgument("'" + path + "' is a RocksDB database but not an hvdb one: " + text);
    }
    return FromRocks(s, "opening database '" + path + "'");
  }
  rep->db.reset(raw);

  std::string format;
  s = rep->db->Get(rocksdb::ReadOptions(), rep->families[kDefault], kFormatKey, &format);
  if (s.IsNotFound()) {
    rocksdb::WriteBatch batch;
    batch.Put(rep->families[kDefault], kFormatKey, EncodeU32(kStoreFormatVersion));
    batch.Put(rep->families[kDefault], kNextCollectionIdKey, EncodeU32(1));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    HVDB_RETURN_IF_ERROR(FromRocks(rep->db->Write(wo, &batch), "initializing database '" + path + "'"));
  } else if (!s.ok()) {
    return FromRocks(s, "reading the format of '" + path + "'");
  } else {
    if (format.size() != 4) return Status::Corruption("database '" + path + "' has a malformed format record");
    const uint32_t version = static_cast<uint32_t>(GetBigEndian(format.data(), 4));
    if (version != kStoreFormatVersion) {
      return Status::InvalidArgument("database '" + path + "' has format version " + std::to_string(version) +
                                     "; this build reads version " + std::to_string(kStoreFormatVersion));
    }
  }
  store->reset(new Store(std::move(rep)));
  return Status::OK();
}

Result<std::vector<CollectionDescriptor>> Store::ReadCatalog() const {
  std::vector<CollectionDescriptor> out;
  std::unique_ptr<rocksdb::Iterator> it(rep_->db->NewIterator(rocksdb::ReadOptions(), rep_->families[kCatalog]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto descriptor = DecodeDescriptor(std::string_view(it->value().data(), it->value().size()));
    if (!descriptor.ok()) return descriptor.status().WithContext("collection '" + it->key().ToString() + "'");
    out.push_back(std::move(*descriptor));
  }
  HVDB_RETURN_IF_ERROR(FromRocks(it->status(), "reading the catalog"));
  return out;
}

Result<uint32_t> Store::ReadNextCollectionId() const {
  std::string value;
  HVDB_RETURN_IF_ERROR(FromRocks(
      rep_->db->Get(rocksdb::ReadOptions(), rep_->families[kDefault], kNextCollectionIdKey, &value),
      "reading the next collection id"));
  if (value.size() != 4) return Status::Corruption("malformed next collection id record");
  return static_cast<uint32_t>(GetBigEndian(value.data(), 4));
}

Status Store::Write(StoreBatch* batch, bool sync) {
  rocksdb::WriteBatch wb;
  for (const StoreBatch::Rep::Op& op : batch->rep_->ops) {
    rocksdb::ColumnFamilyHandle* h = rep_->families[op.family];
    rocksdb::Status s;
    switch (op.kind) {
      case StoreBatch::Rep::Op::kPut: s = wb.Put(h, op.key, op.value); break;
      case StoreBatch::Rep::Op::kDelete: s = wb.Delete(h, op.key); break;
      case StoreBatch::Rep::Op::kDeleteRange: s = wb.DeleteRange(h, op.key, op.value); break;
    }
    HVDB_RETURN_IF_ERROR(FromRocks(s, "building a write batch"));
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(rep_->db->Write(wo, &wb), "writing to '" + rep_->path + "'");
}

namespace {

Status ScanFamily(const Store::Rep& rep, rocksdb::ColumnFamilyHandle* family, uint32_t collection,
                  const std::function<Status(uint64_t, std::string_view)>& fn) {
  const auto begin = CollectionPrefix(collection), end = CollectionPrefix(collection + 1);
  const rocksdb::Slice lower(begin.data(), 4), upper(end.data(), 4);
  std::unique_ptr<rocksdb::Iterator> it(rep.db->NewIterator(rep.ScanOptions(&lower, &upper), family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() != kRowKeyBytes) {
      return Status::Corruption("row key of " + std::to_string(k.size()) + " bytes in family '" + family->GetName() +
                                "' of collection id " + std::to_string(collection));
    }
    HVDB_RETURN_IF_ERROR(fn(RowKeyId({k.data(), k.size()}), {it->value().data(), it->value().size()}));
  }
  return FromRocks(it->status(), "scanning family '" + family->GetName() + "'");
}

}  // namespace

namespace {

// Whether the start, middle and end of the file are in the page cache.
bool LooksCached(int fd, uint64_t size) {
  char probe[4096];
  for (uint64_t at : {uint64_t{0}, size / 2, size > sizeof probe ? size - sizeof probe : 0}) {
    iovec v{probe, sizeof probe};
    if (::preadv2(fd, &v, 1, static_cast<off_t>(at), RWF_NOWAIT) < 0) return false;
  }
  return true;
}

}  // namespace

void Store::PrefetchRowFiles() {
  // Scans read through a mapping (allow_mmap_reads), where page faults on a
  // cold file read little at a time. Files not in the page cache are read
  // ahead on a background thread, in large sequential reads, so a cold open
  // runs near disk speed; cached files cost three 4 KiB probes.
  FinishPrefetch();
  std::vector<rocksdb::LiveFileMetaData> files;
  rep_->db->GetLiveFilesMetaData(&files);
  std::vector<std::string> cold;
  for (const auto& f : files) {
    if (f.column_family_name != kKeysFamily && f.column_family_name != kVectorsFamily) continue;
    const std::string file = f.directory + "/" + f.relative_filename;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (!LooksCached(fd, f.size)) cold.push_back(file);
    ::close(fd);
  }
  if (cold.empty()) return;
  rep_->prefetcher = std::thread([files = std::move(cold)] {
    // readahead(2) fills the page cache without copying into this process,
    // 32 MiB at a time, in file order (what the scans read first comes first).
    constexpr off_t kChunk = off_t{32} << 20;
    for (const std::string& file : files) {
      const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      const off_t size = ::lseek(fd, 0, SEEK_END);
      for (off_t at = 0; at < size; at += kChunk) (void)::readahead(fd, at, static_cast<size_t>(kChunk));
      ::close(fd);
    }
  });
}

void Store::FinishPrefetch() {
  if (rep_->prefetcher.joinable()) rep_->prefetcher.join();
}

Status Store::ScanBits(uint32_t collection, size_t bits_bytes,
                       const std::function<Status(uint64_t, std::string_view)>& fn) const {
  return ScanFamily(*rep_, rep_->families[kVectors], collection, [&](uint64_t row, std::string_view bits) {
    if (bits.size() != bits_bytes) {
      return Status::Corruption("row " + std::to_string(row) + " holds " + std::to_string(bits.size()) +
                                " bytes of bits, expected " + std::to_string(bits_bytes));
    }
    return fn(row, bits);
  });
}

Status Store::ScanKeys(uint32_t collection, const std::function<Status(uint64_t, std::string_view)>& fn) const {
  return ScanFamily(*rep_, rep_->families[kKeys], collection, fn);
}

// ---------------------------------------------------------------- RowCursor

namespace {

class SnapshotRowCursor : public RowCursor {
 public:
  SnapshotRowCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* keys, rocksdb::ColumnFamilyHandle* vectors,
                    uint32_t collection, size_t bits_bytes)
      : db_(db), snapshot_(db->GetSnapshot()), bits_bytes_(bits_bytes) {
    begin_ = CollectionPrefix(collection);
    end_ = CollectionPrefix(collection + 1);
    lower_ = rocksdb::Slice(begin_.data(), 4);
    upper_ = rocksdb::Slice(end_.data(), 4);
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    ro.iterate_lower_bound = &lower_;
    ro.iterate_upper_bound = &upper_;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    keys_.reset(db->NewIterator(ro, keys));
    vectors_.reset(db->NewIterator(ro, vectors));
    keys_->SeekToFirst();
    vectors_->SeekToFirst();
    Check();
  }
  ~SnapshotRowCursor() override {
    keys_.reset();
    vectors_.reset();
    db_->ReleaseSnapshot(snapshot_);
  }

  bool Valid() const override { return status_.ok() && keys_->Valid(); }
  void Next() override {
    keys_->Next();
    vectors_->Next();
    Check();
  }
  uint64_t row() const override { return RowKeyId({keys_->key().data(), keys_->key().size()}); }
  std::string_view key() const override { return {keys_->value().data(), keys_->value().size()}; }
  std::string_view bits() const override { return {vectors_->value().data(), vectors_->value().size()}; }
  Status status() const override { return status_; }

 private:
  void Check() {
    if (!keys_->status().ok()) { status_ = FromRocks(keys_->status(), "reading keys"); return; }
    if (!vectors_->status().ok()) { status_ = FromRocks(vectors_->status(), "reading vectors"); return; }
    if (keys_->Valid() != vectors_->Valid() || (keys_->Valid() && keys_->key() != vectors_->key())) {
      status_ = Status::Corruption("the keys and vectors families hold different rows");
      return;
    }
    if (vectors_->Valid() && vectors_->value().size() != bits_bytes_) {
      status_ = Status::Corruption("row " + std::to_string(row()) + " holds " +
                                   std::to_string(vectors_->value().size()) + " bytes of bits, expected " +
                                   std::to_string(bits_bytes_));
    }
  }

  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  size_t bits_bytes_;
  std::array<char, 4> begin_, end_;
  rocksdb::Slice lower_, upper_;
  std::unique_ptr<rocksdb::Iterator> keys_, vectors_;
  Status status_;
};

}  // namespace

std::unique_ptr<RowCursor> Store::NewRowCursor(uint32_t collection, size_t bits_bytes) const {
  return std::make_unique<SnapshotRowCursor>(rep_->db.get(), rep_->families[kKeys], rep_->families[kVectors],
                                             collection, bits_bytes);
}

// ---------------------------------------------------------------- Ingestion

namespace {

class SstIngestion : public Ingestion {
 public:
  SstIngestion(Store::Rep* rep, rocksdb::ColumnFamilyHandle* keys, rocksdb::ColumnFamilyHandle* vectors,
               uint32_t collection, std::string stem)
      : rep_(rep), keys_family_(keys), vectors_family_(vectors), collection_(collection), stem_(std::move(stem)) {}

  ~SstIngestion() override {
    std::error_code ec;
    for (const std::string& f : files_) fs::remove(f, ec);
  }

  Status AddRow(uint64_t row, std::string_view key, std::string_view bits) override {
    if (!puts_open_) {
      HVDB_RETURN_IF_ERROR(OpenPair("put", &put_keys_, &put_vectors_));
      puts_open_ = true;
    }
    const RowKey k = EncodeRowKey(collection_, row);
    HVDB_RETURN_IF_ERROR(FromRocks(put_keys_->Put(AsSlice(k), rocksdb::Slice(key.data(), key.size())),
                                   "writing " + files_[files_.size() - 2]));
    return FromRocks(put_vectors_->Put(AsSlice(k), rocksdb::Slice(bits.data(), bits.size())),
                     "writing " + files_.back());
  }

  Status AddDeletions(const std::vector<uint64_t>& rows) override {
    if (rows.empty()) return Status::OK();
    HVDB_RETURN_IF_ERROR(OpenPair("delete", &del_keys_, &del_vectors_));
    for (uint64_t row : rows) {
      const RowKey k = EncodeRowKey(collection_, row);
      HVDB_RETURN_IF_ERROR(FromRocks(del_keys_->Delete(AsSlice(k)), "writing deletions"));
      HVDB_RETURN_IF_ERROR(FromRocks(del_vectors_->Delete(AsSlice(k)), "writing deletions"));
    }
    return Status::OK();
  }

  Status Ingest() override {
    std::vector<std::string> key_files, vector_files;
    // Deletions hold smaller row ids than the new rows, so files do not overlap.
    if (del_keys_) {
      HVDB_RETURN_IF_ERROR(Finish(del_keys_.get(), del_key_file_, &key_files));
      HVDB_RETURN_IF_ERROR(Finish(del_vectors_.get(), del_vector_file_, &vector_files));
    }
    if (put_keys_) {
      HVDB_RETURN_IF_ERROR(Finish(put_keys_.get(), put_key_file_, &key_files));
      HVDB_RETURN_IF_ERROR(Finish(put_vectors_.get(), put_vector_file_, &vector_files));
    }
    if (key_files.empty()) return Status::OK();
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;
    io.failed_move_fall_back_to_copy = true;
    io.snapshot_consistency = true;
    io.allow_global_seqno = true;
    io.allow_blocking_flush = true;
    std::vector<rocksdb::IngestExternalFileArg> args(2);
    args[0].column_family = keys_family_;
    args[0].external_files = key_files;
    args[0].options = io;
    args[1].column_family = vectors_family_;
    args[1].external_files = vector_files;
    args[1].options = io;
    return FromRocks(rep_->db->IngestExternalFiles(args), "ingesting the loaded rows");
  }

 private:
  Status OpenPair(const std::string& kind, std::unique_ptr<rocksdb::SstFileWriter>* keys,
                  std::unique_ptr<rocksdb::SstFileWriter>* vectors) {
    const std::string key_file = stem_ + "-" + kind + "-keys.sst";
    const std::string vector_file = stem_ + "-" + kind + "-vectors.sst";
    files_.push_back(key_file);
    files_.push_back(vector_file);
    (kind == "put" ? put_key_file_ : del_key_file_) = key_file;
    (kind == "put" ? put_vector_file_ : del_vector_file_) = vector_file;
    rocksdb::EnvOptions env;
    *keys = std::make_unique<rocksdb::SstFileWriter>(env, rep_->rocks_options, keys_family_);
    *vectors = std::make_unique<rocksdb::SstFileWriter>(env, rep_->rocks_options, vectors_family_);
    HVDB_RETURN_IF_ERROR(FromRocks((*keys)->Open(key_file), "creating " + key_file));
    return FromRocks((*vectors)->Open(vector_file), "creating " + vector_file);
  }

  static Status Finish(rocksdb::SstFileWriter* writer, const std::string& file, std::vector<std::string>* out) {
    HVDB_RETURN_IF_ERROR(FromRocks(writer->Finish(), "finishing " + file));
    out->push_back(file);
    return Status::OK();
  }

  Store::Rep* rep_;
  rocksdb::ColumnFamilyHandle* keys_family_;
  rocksdb::ColumnFamilyHandle* vectors_family_;
  uint32_t collection_;
  std::string stem_;
  std::vector<std::string> files_;
  bool puts_open_ = false;
  std::string put_key_file_, put_vector_file_, del_key_file_, del_vector_file_;
  std::unique_ptr<rocksdb::SstFileWriter> put_keys_, put_vectors_, del_keys_, del_vectors_;
};

}  // namespace

Result<std::unique_ptr<Ingestion>> Store::NewIngestion(uint32_t collection, const std::string& temp_dir) {
  const fs::path dir = temp_dir.empty() ? fs::path(rep_->path) / "ingest" : fs::path(temp_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("creating directory '" + dir.string() + "': " + ec.message());
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::string stem = (dir / ("load-" + std::to_string(now) + "-" + std::to_string(rep_->ingest_serial++))).string();
  return std::unique_ptr<Ingestion>(
      new SstIngestion(rep_.get(), rep_->families[kKeys], rep_->families[kVectors], collection, stem));
}

Result<std::string> Store::GetIndexState(uint32_t collection) const {
  std::string value;
  const rocksdb::Status s =
      rep_->db->Get(rocksdb::ReadOptions(), rep_->families[kDefault], IndexStateKey(collection), &value);
  if (s.IsNotFound()) return Status::NotFound("no index state for collection id " + std::to_string(collection));
  HVDB_RETURN_IF_ERROR(FromRocks(s, "reading the index state of collection id " + std::to_string(collection)));
  return value;
}

Result<std::string> Store::GetAccumulator(uint32_t collection, std::string_view name) const {
  std::string value;
  const rocksdb::Status s =
      rep_->db->Get(rocksdb::ReadOptions(), rep_->families[kAccumulators], AccumulatorKey(collection, name), &value);
  if (s.IsNotFound()) return Status::NotFound("no accumulator '" + std::string(name) + "'");
  HVDB_RETURN_IF_ERROR(FromRocks(s, "reading accumulator '" + std::string(name) + "'"));
  return value;
}

std::vector<std::string> Store::ListAccumulators(uint32_t collection) const {
  const auto begin = CollectionPrefix(collection), end = CollectionPrefix(collection + 1);
  const rocksdb::Slice lower(begin.data(), 4), upper(end.data(), 4);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(rep_->db->NewIterator(ro, rep_->families[kAccumulators]));
  std::vector<std::string> names;
  for (it->SeekToFirst(); it->Valid(); it->Next()) names.emplace_back(it->key().data() + 4, it->key().size() - 4);
  return names;
}

Status Store::Checkpoint(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) return Status::InvalidArgument("checkpoint directory '" + dir + "' already exists");
  rocksdb::Checkpoint* raw = nullptr;
  HVDB_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(rep_->db.get(), &raw), "creating a checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), "writing checkpoint '" + dir + "'");
}

uint64_t Store::ApproximateBytes(uint32_t collection) const {
  const FamilyBytes bytes = EstimateBytes(collection);
  return bytes.keys + bytes.vectors;
}

FamilyBytes Store::EstimateBytes(uint32_t collection) const {
  const auto begin = CollectionPrefix(collection), end = CollectionPrefix(collection + 1);
  rocksdb::Range range(rocksdb::Slice(begin.data(), 4), rocksdb::Slice(end.data(), 4));
  rocksdb::SizeApproximationOptions so;
  so.include_memtables = true;
  so.include_files = true;
  FamilyBytes bytes;
  if (!rep_->db->GetApproximateSizes(so, rep_->families[kKeys], &range, 1, &bytes.keys).ok()) bytes.keys = 0;
  if (!rep_->db->GetApproximateSizes(so, rep_->families[kVectors], &range, 1, &bytes.vectors).ok()) bytes.vectors = 0;
  return bytes;
}

}  // namespace hvdb::storage
