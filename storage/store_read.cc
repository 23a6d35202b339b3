// Copyright hvdb authors. Store's reads: the catalog, full scans at open, row
// cursors (snapshots), point reads and size estimates. Every read takes the
// store's lock shared, so Resume never swaps RocksDB under it.
#include <fcntl.h>
#include <rocksdb/iterator.h>
#include <rocksdb/metadata.h>
#include <rocksdb/perf_level.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>

#include "storage/key_codec.h"
#include "storage/store_rep.h"

namespace hvdb::storage {
namespace {

Status ScanFamily(const Store::Rep& rep, Family family, uint32_t collection,
                  const std::function<Status(uint64_t, std::string_view)>& fn) {
  const auto begin = CollectionPrefix(collection), end = CollectionPrefix(collection + 1);
  const rocksdb::Slice lower(begin.data(), 4), upper(end.data(), 4);
  // RocksDB counts every step of an iterator in thread-local perf counters
  // unless told not to: 5-10% of a full scan.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  ReaderLock lock(rep.db_mu);
  std::unique_ptr<rocksdb::Iterator> it(rep.db->NewIterator(rep.ScanOptions(&lower, &upper), rep.families[family]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() != kRowKeyBytes) {
      return Status::Corruption("row key of " + std::to_string(k.size()) + " bytes in family '" +
                                kFamilyNames[family] + "' of collection id " + std::to_string(collection));
    }
    HVDB_RETURN_IF_ERROR(fn(RowKeyId({k.data(), k.size()}), {it->value().data(), it->value().size()}));
  }
  return FromRocks(it->status(), std::string("scanning family '") + kFamilyNames[family] + "'");
}

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

Result<std::vector<CollectionDescriptor>> Store::ReadCatalog() const {
  ReaderLock lock(rep_->db_mu);
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
  ReaderLock lock(rep_->db_mu);
  std::string value;
  HVDB_RETURN_IF_ERROR(FromRocks(
      rep_->db->Get(rocksdb::ReadOptions(), rep_->families[kDefault], kNextCollectionIdKey, &value),
      "reading the next collection id"));
  if (value.size() != 4) return Status::Corruption("malformed next collection id record");
  return static_cast<uint32_t>(GetBigEndian(value.data(), 4));
}

Result<uint64_t> Store::ReadItemMemorySeed() const {
  ReaderLock lock(rep_->db_mu);
  std::string value;
  const rocksdb::Status s = rep_->db->Get(rocksdb::ReadOptions(), rep_->families[kDefault], kItemMemorySeedKey, &value);
  if (s.IsNotFound()) return kDefaultItemMemorySeed;
  HVDB_RETURN_IF_ERROR(FromRocks(s, "reading the item memory seed"));
  if (value.size() != 8) return Status::Corruption("malformed item memory seed record");
  return GetBigEndian(value.data(), 8);
}

void Store::PrefetchRowFiles() {
  // Scans read through a mapping (allow_mmap_reads), where page faults on a
  // cold file read little at a time. Files not in the page cache are read
  // ahead on a background thread, in large sequential reads, so a cold open
  // runs near disk speed; cached files cost three 4 KiB probes.
  FinishPrefetch();
  std::vector<rocksdb::LiveFileMetaData> files;
  {
    ReaderLock lock(rep_->db_mu);
    rep_->db->GetLiveFilesMetaData(&files);
  }
  std::vector<std::string> cold;
  for (const auto& f : files) {
    if (f.column_family_name != kFamilyNames[kKeys] && f.column_family_name != kFamilyNames[kVectors]) continue;
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
  return ScanFamily(*rep_, kVectors, collection, [&](uint64_t row, std::string_view bits) {
    if (bits.size() != bits_bytes) {
      return Status::Corruption("row " + std::to_string(row) + " holds " + std::to_string(bits.size()) +
                                " bytes of bits, expected " + std::to_string(bits_bytes));
    }
    return fn(row, bits);
  });
}

Status Store::ScanKeys(uint32_t collection, const std::function<Status(uint64_t, std::string_view)>& fn) const {
  return ScanFamily(*rep_, kKeys, collection, fn);
}

namespace {

// Reads one collection's rows from a snapshot. It pins the RocksDB instance
// it was made on: Store::Resume waits for none and refuses while any lives.
class SnapshotRowCursor : public RowCursor {
 public:
  SnapshotRowCursor(Store::Rep* rep, uint32_t collection, size_t bits_bytes)
      : rep_(rep), db_(rep->db.get()), snapshot_(db_->GetSnapshot()), bits_bytes_(bits_bytes) {
    ++rep_->pins;
    begin_ = CollectionPrefix(collection);
    end_ = CollectionPrefix(collection + 1);
    lower_ = rocksdb::Slice(begin_.data(), 4);
    upper_ = rocksdb::Slice(end_.data(), 4);
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    ro.iterate_lower_bound = &lower_;
    ro.iterate_upper_bound = &upper_;
    ro.fill_cache = false;
    ro.verify_checksums = true;
    ro.readahead_size = 2 << 20;
    keys_.reset(db_->NewIterator(ro, rep->families[kKeys]));
    vectors_.reset(db_->NewIterator(ro, rep->families[kVectors]));
    keys_->SeekToFirst();
    vectors_->SeekToFirst();
    Check();
  }
  ~SnapshotRowCursor() override {
    keys_.reset();
    vectors_.reset();
    db_->ReleaseSnapshot(snapshot_);
    --rep_->pins;
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
    if (keys_->Valid() && keys_->key().size() != kRowKeyBytes) {
      status_ = Status::Corruption("row key of " + std::to_string(keys_->key().size()) + " bytes");
      return;
    }
    if (vectors_->Valid() && vectors_->value().size() != bits_bytes_) {
      status_ = Status::Corruption("row " + std::to_string(row()) + " holds " +
                                   std::to_string(vectors_->value().size()) + " bytes of bits, expected " +
                                   std::to_string(bits_bytes_));
    }
  }

  Store::Rep* rep_;
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
  ReaderLock lock(rep_->db_mu);
  return std::make_unique<SnapshotRowCursor>(rep_.get(), collection, bits_bytes);
}

Result<std::string> Store::GetAccumulator(uint32_t collection, std::string_view name) const {
  ReaderLock lock(rep_->db_mu);
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
  ReaderLock lock(rep_->db_mu);
  std::unique_ptr<rocksdb::Iterator> it(rep_->db->NewIterator(ro, rep_->families[kAccumulators]));
  std::vector<std::string> names;
  for (it->SeekToFirst(); it->Valid(); it->Next()) names.emplace_back(it->key().data() + 4, it->key().size() - 4);
  return names;
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
  ReaderLock lock(rep_->db_mu);
  if (!rep_->db->GetApproximateSizes(so, rep_->families[kKeys], &range, 1, &bytes.keys).ok()) bytes.keys = 0;
  if (!rep_->db->GetApproximateSizes(so, rep_->families[kVectors], &range, 1, &bytes.vectors).ok()) bytes.vectors = 0;
  return bytes;
}

}  // namespace hvdb::storage
