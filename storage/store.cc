// Copyright hvdb authors. Store: opening RocksDB, atomic writes, the state
// that stops writes after an error and Resume, checkpoints, durable files and
// the file check.
#include "storage/store.h"

#include <rocksdb/file_checksum.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/metadata.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <regex>
#include <system_error>
#include <thread>

#include "kernels/crc32c.h"

#include "storage/fault_file_system.h"
#include "storage/key_codec.h"
#include "storage/store_rep.h"
#include "storage/wal_reader.h"

namespace hvdb::storage {

// fault_file_system.cc: the RocksDB file system of the tests' faults.
std::shared_ptr<void> RocksFileSystemOf(const FaultFileSystem& faults);

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

std::string IndexStateKey(uint32_t collection) {
  const auto prefix = CollectionPrefix(collection);
  return "index/" + std::string(prefix.data(), prefix.size());
}

std::string AccumulatorKey(uint32_t collection, std::string_view name) {
  const auto prefix = CollectionPrefix(collection);
  std::string key(prefix.data(), prefix.size());
  key.append(name);
  return key;
}

namespace {

namespace fs = std::filesystem;

// Whether the directory at `path` holds anything but what a database being
// created leaves before its CURRENT file (a creation that died half way may
// be tried again): a database is never created over someone's files.
bool HoldsOtherFiles(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return false;
  // RocksDB's own names, exactly: a user's app.log or LOGBOOK is not one.
  static const std::regex kRocksDbFile(
      R"(LOCK|IDENTITY|CURRENT\.dbtmp|LOG(\.old\.\d+)?|MANIFEST-\d+|OPTIONS-\d+(\.dbtmp)?|\d+\.(log|sst|dbtmp))");
  for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
    if (!std::regex_match(entry.path().filename().string(), kRocksDbFile)) return true;
  }
  return false;
}

std::string EncodeBigEndian(uint64_t value, int bytes) {
  std::string out(static_cast<size_t>(bytes), '\0');
  PutBigEndian(value, bytes, out.data());
  return out;
}
std::string EncodeU32(uint32_t value) { return EncodeBigEndian(value, 4); }

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

// Stops hvdb's writes at RocksDB's first background error (a failed flush,
// compaction or log write), and keeps RocksDB from recovering by itself:
// recovery is DB::Resume's, after every writer has stopped.
class ErrorListener : public rocksdb::EventListener {
 public:
  explicit ErrorListener(Store::Rep* rep) : rep_(rep) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || error->ok()) return;
    static constexpr const char* kReasons[] = {"flushing", "compacting", "writing the log", "writing a memtable"};
    const auto r = static_cast<size_t>(reason);
    rep_->StopWriting(FromRocks(*error, r < std::size(kReasons) ? kReasons[r] : "in the background"));
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
    *auto_recovery = false;
  }

 private:
  Store::Rep* rep_;
};

// RocksDB's info log, written by hvdb with stdio: a message that cannot be
// written (a full disk) is dropped. RocksDB's own log file writer asserts on
// the first message after a failed one, which ended the process on a full
// disk. Warnings and errors only.
class InfoLog : public rocksdb::Logger {
 public:
  explicit InfoLog(const std::string& path)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), file_(std::fopen(path.c_str(), "a")) {}
  ~InfoLog() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (file_ == nullptr) return;
    std::lock_guard lock(mu_);
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
    std::fprintf(file_, "%s %s\n", when, line);
    std::fflush(file_);
  }

 private:
  std::mutex mu_;
  std::FILE* file_;
};

// The CRC-32C of a whole file.
Result<uint32_t> FileCrc32c(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) return Status::IOError("cannot read '" + path + "': " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  uint32_t crc = 0;
  for (size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), f.get())) > 0;) {
    crc = kernels::Crc32c(buffer.data(), n, crc);
  }
  if (std::ferror(f.get())) return Status::IOError("reading '" + path + "': " + std::strerror(errno));
  return crc;
}

// Corruption naming the first damaged log or MANIFEST in `path` (both are
// in RocksDB's log format) and where.
Status CheckLogs(const std::string& path) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".log" || name.rfind("MANIFEST-", 0) == 0) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    WalContents contents;
    const bool log = fs::path(file).extension() == ".log";
    const Status read = ReadWal(file, &contents, log ? WalKind::kLog : WalKind::kManifest, /*keep_batches=*/false);
    if (read.IsNotFound()) continue;  // deleted as it was listed (a writer beside a read-only open)
    HVDB_RETURN_IF_ERROR(read);
    if (!contents.damaged) continue;
    const std::string where = "' is damaged at byte " + std::to_string(contents.damage_offset) + " (" +
                              contents.damage + "). Nothing was changed; ";
    if (fs::path(file).extension() != ".log") {
      return Status::Corruption("opening database '" + path + "': the MANIFEST '" + file + where +
                                "restore the database from a checkpoint");
    }
    return Status::Corruption("opening database '" + path + "': the write-ahead log '" + file + where +
                              "`hvdb salvage " + path +
                              "` recovers the database up to the damage and reports what it drops");
  }
  return Status::OK();
}

// The write-ahead logs in `path`, for a message about a damaged one.
std::string LogFiles(const std::string& path) {
  std::string names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.path().extension() == ".log") names += (names.empty() ? "" : ", ") + entry.path().filename().string();
  }
  return names.empty() ? "none found" : names;
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

Store::Rep::~Rep() {
  if (prefetcher.joinable()) prefetcher.join();
  CloseRocks();
}

Status Store::Rep::OpenRocks(bool as_read_only) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  // A read-only open beside a live writer reads the MANIFEST, then the table
  // files it lists; a compaction or flush of the writer may delete one in
  // between. Such a file is gone because a newer MANIFEST no longer lists
  // it, so the open is tried again (a file missing for good, damage, still
  // fails the last try and is reported below).
  for (int attempt = 0;; ++attempt) {
    families.clear();
    s = as_read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &families, &raw)
                     : rocksdb::DB::Open(db_options, path, descriptors, &families, &raw);
    const bool vanished = !s.ok() && s.ToString().find("No such file or directory") != std::string::npos;
    if (!as_read_only || !vanished || attempt == 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20 << attempt));
  }
  if (s.ok()) {
    db.reset(raw);
    return Status::OK();
  }
  const std::string text = s.ToString();
  if (s.IsIOError() && text.find("/LOCK") != std::string::npos) {
    // RocksDB's lock text names its LOCK file; what the user needs is what to do.
    return Status::Unavailable("database '" + path + "' is in use by another process or another DB object of "
                               "this one; read-only commands (hvdb info, search, export, check) work beside it, "
                               "and hvdb serve shares it with hvdb shell --connect");
  }
  if ((s.IsIOError() || s.IsNotFound()) && text.find("/MANIFEST-") != std::string::npos &&
      text.find("No such file") != std::string::npos) {
    std::string present;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("MANIFEST-", 0) == 0) present += (present.empty() ? "" : ", ") + name;
    }
    return Status::Corruption("opening database '" + path + "': the file CURRENT names a MANIFEST that does not " +
                              "exist (" + text + "; present: " + (present.empty() ? "none" : present) +
                              "): CURRENT is damaged, or the MANIFEST was lost");
  }
  if (s.IsInvalidArgument() && text.find("olumn famil") != std::string::npos) {
    return Status::InvalidArgument("'" + path + "' is a RocksDB database but not an hvdb one" +
                                   (as_read_only ? " (or one that a read-write open must upgrade first)" : "") + ": " +
                                   text);
  }
  // Damage in a table file may surface as an I/O error, or as Corruption
  // in the MANIFEST (a damaged properties block): the table files are
  // checked to name the one at fault.
  if (s.IsCorruption() || (s.IsIOError() && !s.IsNoSpace())) {
    if (std::string damaged = DamagedTableFile(); !damaged.empty()) {
      return Status::Corruption("opening database '" + path + "': " + text + " (" + damaged + ")");
    }
  }
  // Damage in a log names no file, and recovery would drop acknowledged
  // writes after it.
  if (s.IsCorruption() && text.find(".sst") == std::string::npos && text.find("MANIFEST") == std::string::npos) {
    return Status::Corruption("opening database '" + path + "': the write-ahead log is damaged (" + text +
                              "; logs: " + LogFiles(path) + "). Nothing was changed; `hvdb salvage " + path +
                              "` recovers the database up to the damage and reports what it drops");
  }
  return FromRocks(s, "opening database '" + path + "'");
}

std::string Store::Rep::DamagedTableFile() const {
  // The live table files and their whole-file checksums, from the MANIFEST
  // read by an open that opens no table file until asked; every table file
  // in the directory when even that fails.
  std::vector<std::pair<std::string, std::string>> tables;  // path, whole-file CRC-32C (4 bytes BE) or empty
  rocksdb::DBOptions lenient = db_options;
  lenient.max_open_files = 16;
  lenient.paranoid_checks = false;
  lenient.skip_stats_update_on_db_open = true;
  lenient.listeners.clear();
  lenient.wal_filter = nullptr;
  // Only the MANIFEST matters here: a damaged log must not stop this open.
  lenient.wal_recovery_mode = rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (rocksdb::DB::OpenForReadOnly(lenient, path, descriptors, &handles, &raw).ok()) {
    std::unique_ptr<rocksdb::DB> manifest(raw);
    std::vector<rocksdb::LiveFileMetaData> files;
    manifest->GetLiveFilesMetaData(&files);
    for (auto* h : handles) manifest->DestroyColumnFamilyHandle(h);
    for (const rocksdb::LiveFileMetaData& f : files) {
      const bool has_crc = f.file_checksum_func_name == "FileChecksumCrc32c" && f.file_checksum.size() == 4;
      tables.emplace_back(f.directory + "/" + f.relative_filename, has_crc ? f.file_checksum : "");
    }
  } else {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.path().extension() == ".sst") tables.emplace_back(entry.path().string(), "");
    }
  }
  std::sort(tables.begin(), tables.end());
  rocksdb::Options reading = rocks_options;
  reading.allow_mmap_reads = false;
  for (const auto& [table, checksum] : tables) {
    // Damage only: a file that cannot be read now (a passing EIO) is not blamed.
    if (!checksum.empty()) {
      Result<uint32_t> crc = FileCrc32c(table);
      if (crc.ok() && GetBigEndian(checksum.data(), 4) != *crc) {
        return "table file '" + table + "' is damaged: its CRC-32C does not match the one recorded when it was written";
      }
    }
    rocksdb::SstFileReader reader(reading);
    rocksdb::Status s = reader.Open(table);
    if (s.ok()) s = reader.VerifyChecksum();
    if (s.IsCorruption()) return "table file '" + table + "' is damaged: " + s.ToString();
  }
  return {};
}

void Store::Rep::CloseRocks() {
  if (!db) return;
  for (auto* h : families) db->DestroyColumnFamilyHandle(h);
  families.clear();
  // After a write error Close reports that error again: nothing to add.
  (void)db->Close();
  db.reset();
}

void Store::Rep::StopWriting(const Status& error) {
  MutexLock lock(error_mu);
  if (write_error.ok()) write_error = error;
}

Status Store::Rep::CheckWritable() const {
  if (read_only) return Status::InvalidArgument("database '" + path + "' is open read-only");
  MutexLock lock(error_mu);
  if (write_error.ok()) return Status::OK();
  return write_error.WithContext("database '" + path + "' stopped writing after an error (DB::Resume, or .resume in "
                                 "the shell, writes again once its cause is fixed)");
}

// ---------------------------------------------------------------- Store

Store::Store(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Store::~Store() = default;
const std::string& Store::path() const { return rep_->path; }
bool Store::read_only() const { return rep_->read_only; }
Status Store::CheckWritable() const { return rep_->CheckWritable(); }

Status Store::Open(const Options& options, const std::string& path, std::unique_ptr<Store>* store,
                   std::shared_ptr<FaultFileSystem> faults) {
  return OpenStore(options, path, {.faults = std::move(faults)}, store);
}

Status OpenStore(const Options& options, const std::string& path, const StoreOpenHooks& hooks,
                 std::unique_ptr<Store>* store) {
  store->reset();
  if (path.empty()) return Status::InvalidArgument("database path is empty");
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return Status::InvalidArgument("database path '" + path + "' exists and is not a directory");
  }
  const bool exists = fs::exists(fs::path(path) / "CURRENT", ec);
  if (!exists && options.read_only) {
    return Status::NotFound("no database at '" + path + "' (a read-only open needs an existing one)");
  }
  if (!exists && !options.create_if_missing) {
    return Status::NotFound("no database at '" + path + "' (Options::create_if_missing is false)");
  }
  if (exists && options.error_if_exists) {
    return Status::AlreadyExists("a database already exists at '" + path + "' (Options::error_if_exists)");
  }
  if (!exists && HoldsOtherFiles(path)) {
    return Status::InvalidArgument("'" + path +
                                   "' is a directory of other files, not an hvdb database; give a new or empty "
                                   "directory");
  }

  auto rep = std::make_unique<Store::Rep>();
  rep->path = path;
  rep->options = options;
  rep->read_only = options.read_only;
  rocksdb::DBOptions& db_options = rep->db_options;
  if (hooks.faults != nullptr) {
    rep->file_system = std::static_pointer_cast<rocksdb::FileSystem>(RocksFileSystemOf(*hooks.faults));
    rep->env = rocksdb::NewCompositeEnv(rep->file_system);
    db_options.env = rep->env.get();
  } else {
    rep->file_system = rocksdb::FileSystem::Default();
  }
  db_options.create_if_missing = options.create_if_missing && !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  db_options.max_background_jobs = options.background_jobs;
  db_options.max_open_files = -1;
  // Opens stream whole families: reading through a mapping saves two copies.
  db_options.allow_mmap_reads = true;
  db_options.advise_random_on_open = false;  // scans, not point lookups: keep readahead
  db_options.keep_log_file_num = 4;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  if (!options.read_only) {
    std::error_code made;
    fs::create_directories(path, made);
    db_options.info_log = std::make_shared<InfoLog>(path + "/LOG");
  }
  // A crash can leave the last log record incomplete, and only that is
  // forgiven: damage anywhere else in a log fails the open instead of
  // silently dropping the acknowledged writes after it (hvdb salvage).
  db_options.wal_recovery_mode = hooks.point_in_time ? rocksdb::WALRecoveryMode::kPointInTimeRecovery
                                                     : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.wal_filter = hooks.wal_filter;
  // Whole-file checksums of every table file, kept in the MANIFEST (hvdb check).
  db_options.file_checksum_gen_factory = rocksdb::GetFileChecksumGenCrc32cFactory();
  // No automatic resume after an error: writes stay stopped until DB::Resume.
  db_options.max_bgerror_resume_count = 0;
  rep->listener = std::make_shared<ErrorListener>(rep.get());
  db_options.listeners.push_back(rep->listener);
  const rocksdb::ColumnFamilyOptions row_family = RowFamilyOptions(options);
  rocksdb::ColumnFamilyOptions small_family;
  small_family.write_buffer_size = 4 << 20;
  small_family.compression = rocksdb::kNoCompression;  // a few small records: nothing to gain
  rep->rocks_options = rocksdb::Options(db_options, row_family);
  rep->descriptors = {
      {kFamilyNames[kDefault], small_family}, {kFamilyNames[kCatalog], small_family},
      {kFamilyNames[kKeys], row_family},      {kFamilyNames[kVectors], row_family},
      {kFamilyNames[kAccumulators], small_family},
  };
  // RocksDB forgives some damage in a log as if it were the torn end a crash
  // leaves (a record's type bit flipped to "recycled" ends the log there,
  // silently dropping every acknowledged write after it): hvdb reads the
  // logs first and refuses damage anywhere but at the very end.
  if (!hooks.point_in_time) HVDB_RETURN_IF_ERROR(CheckLogs(path));
  HVDB_RETURN_IF_ERROR(rep->OpenRocks(rep->read_only));

  std::string format;
  rocksdb::Status s = rep->db->Get(rocksdb::ReadOptions(), rep->families[kDefault], kFormatKey, &format);
  if (s.IsNotFound() && rep->read_only) {
    return Status::InvalidArgument("'" + path + "' is a RocksDB database but not an initialized hvdb one");
  }
  if (s.IsNotFound()) {
    rocksdb::WriteBatch batch;
    batch.Put(rep->families[kDefault], kFormatKey, EncodeU32(kStoreFormatVersion));
    batch.Put(rep->families[kDefault], kNextCollectionIdKey, EncodeU32(1));
    batch.Put(rep->families[kDefault], kItemMemorySeedKey,
              EncodeBigEndian(options.item_memory_seed.value_or(kDefaultItemMemorySeed), 8));
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

Status Store::Write(StoreBatch* batch, bool sync) {
  HVDB_RETURN_IF_ERROR(CheckWritable());
  ReaderLock lock(rep_->db_mu);
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
  const Status s = FromRocks(rep_->db->Write(wo, &wb), "writing to '" + rep_->path + "'");
  // The log file that failed must not be written again: stop until Resume.
  if (s.IsIOError() || s.IsResourceExhausted() || s.IsCorruption()) rep_->StopWriting(s);
  return s;
}

Status Store::Resume(bool* reopened) {
  *reopened = false;
  WriterLock lock(rep_->db_mu);
  if (rep_->read_only) return Status::OK();
  Status stopped_by;
  {
    MutexLock error(rep_->error_mu);
    if (rep_->write_error.ok()) return Status::OK();
    stopped_by = rep_->write_error;
  }
  if (const int pins = rep_->pins.load(); pins > 0) {
    return Status::Unavailable("cannot resume writing to '" + rep_->path + "' while " + std::to_string(pins) +
                               " iterators, exports or loads use it; finish them first");
  }
  HVDB_RETURN_IF_ERROR(CheckLogs(rep_->path).WithContext("resuming"));
  // A read-only instance first: if the read-write one cannot open (the disk
  // is still full), reads go on through it.
  std::unique_ptr<rocksdb::DB> stopped = std::move(rep_->db);
  std::vector<rocksdb::ColumnFamilyHandle*> stopped_families = rep_->families;
  Status fallback = rep_->OpenRocks(/*as_read_only=*/true);
  if (!fallback.ok()) {
    rep_->db = std::move(stopped);
    rep_->families = std::move(stopped_families);
    return fallback.WithContext("resuming");
  }
  std::unique_ptr<rocksdb::DB> read_only = std::move(rep_->db);
  std::vector<rocksdb::ColumnFamilyHandle*> read_only_families = rep_->families;
  rep_->db = std::move(stopped);
  rep_->families = std::move(stopped_families);
  rep_->CloseRocks();
  *reopened = true;
  {
    // Cleared before the reopen: an error the new instance meets is kept.
    MutexLock error(rep_->error_mu);
    rep_->write_error = Status::OK();
  }
  const Status reopened_status = rep_->OpenRocks(/*as_read_only=*/false);
  if (!reopened_status.ok()) {
    // Reads go on through the read-only instance; writes stay stopped.
    rep_->db = std::move(read_only);
    rep_->families = std::move(read_only_families);
    const Status failed = reopened_status.WithContext("resuming after '" + stopped_by.message() + "'");
    rep_->StopWriting(failed);
    return failed;
  }
  for (auto* h : read_only_families) read_only->DestroyColumnFamilyHandle(h);
  (void)read_only->Close();
  return CheckWritable();
}

void Store::StopWriting(const Status& error) { rep_->StopWriting(error); }

Status Store::Checkpoint(const std::string& dir) {
  HVDB_RETURN_IF_ERROR(CheckWritable());  // a checkpoint flushes the memtables first
  std::error_code ec;
  if (fs::exists(dir, ec)) return Status::AlreadyExists("checkpoint directory '" + dir + "' already exists");
  ReaderLock lock(rep_->db_mu);
  rocksdb::Checkpoint* raw = nullptr;
  HVDB_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(rep_->db.get(), &raw), "creating a checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), "writing checkpoint '" + dir + "'");
}

Status Store::VerifyFiles(std::vector<std::string>* problems, FileCheckStats* stats) const {
  ReaderLock lock(rep_->db_mu);
  std::vector<rocksdb::LiveFileMetaData> files;
  rep_->db->GetLiveFilesMetaData(&files);
  rocksdb::Options reading = rep_->rocks_options;
  reading.allow_mmap_reads = false;
  for (const rocksdb::LiveFileMetaData& f : files) {
    const std::string file = f.directory + "/" + f.relative_filename;
    ++stats->files;
    stats->bytes += f.size;
    // The whole file against the checksum recorded when it was written
    // (files written before hvdb recorded them have none).
    if (f.file_checksum_func_name == "FileChecksumCrc32c" && f.file_checksum.size() == 4) {
      Result<uint32_t> crc = FileCrc32c(file);
      if (!crc.ok()) {
        problems->push_back(crc.status().ToString());
        continue;
      }
      if (GetBigEndian(f.file_checksum.data(), 4) != *crc) {
        problems->push_back("Corruption: table file '" + file + "' is damaged: its CRC-32C does not match the one "
                            "recorded when it was written");
        continue;
      }
    }
    // Every block against its own checksum.
    rocksdb::SstFileReader reader(reading);
    rocksdb::Status s = reader.Open(file);
    if (s.ok()) s = reader.VerifyChecksum();
    if (!s.ok()) problems->push_back(FromRocks(s, "table file '" + file + "'").ToString());
  }
  return Status::OK();
}

}  // namespace hvdb::storage
