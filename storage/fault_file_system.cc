// Copyright hvdb authors.
#include "storage/fault_file_system.h"

#include <rocksdb/file_system.h>

#include <filesystem>
#include <map>
#include <optional>

#include "base/mutex.h"

namespace hvdb::storage {
namespace {

namespace fs = std::filesystem;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

std::string ParentOf(const std::string& path) { return fs::path(path).parent_path().string(); }

}  // namespace

// What the file system knows of one file it wrote.
struct FileState {
  uint64_t size = 0;    // bytes appended (that reached the file)
  uint64_t synced = 0;  // size at the last successful sync
  bool fresh = false;   // created since its directory was last synced
};

struct FaultFileSystem::Rep {
  std::shared_ptr<rocksdb::FileSystem> file_system;  // the wrapper below, over the default one

  Mutex mu;
  std::optional<Fault> fault HVDB_GUARDED_BY(mu);
  uint64_t seen[kOps] HVDB_GUARDED_BY(mu) = {};  // matching operations since armed
  uint64_t failed HVDB_GUARDED_BY(mu) = 0;       // faults of the armed one so far
  uint64_t injected HVDB_GUARDED_BY(mu) = 0;
  bool power HVDB_GUARDED_BY(mu) = true;
  std::map<std::string, FileState> files HVDB_GUARDED_BY(mu);

  // OK, or the armed fault's error for this operation on `path`.
  // *partial: half of a write goes through first.
  IOStatus Check(Op op, const std::string& path, bool* partial = nullptr) {
    MutexLock lock(mu);
    if (!fault) {
      ++seen[static_cast<int>(op)];
      return IOStatus::OK();
    }
    if (!fault->match.empty() && path.find(fault->match) == std::string::npos) return IOStatus::OK();
    const uint64_t n = seen[static_cast<int>(op)]++;
    if (op != fault->op || n < fault->after || failed >= fault->count) return IOStatus::OK();
    ++failed;
    ++injected;
    if (partial != nullptr) *partial = fault->partial;
    const std::string what = "injected fault on '" + path + "'";
    return fault->error == Error::kNoSpace ? IOStatus::NoSpace(what + ": No space left on device")
                                           : IOStatus::IOError(what + ": Input/output error");
  }
  bool powered() {
    MutexLock lock(mu);
    return power;
  }
  void Track(const std::string& path, FileState state) {
    MutexLock lock(mu);
    files[path] = state;
  }
  void Appended(const std::string& path, uint64_t n) {
    MutexLock lock(mu);
    files[path].size += n;
  }
  void Synced(const std::string& path) {
    MutexLock lock(mu);
    FileState& f = files[path];
    f.synced = f.size;
  }
  void DirectorySynced(const std::string& dir) {
    MutexLock lock(mu);
    for (auto& [path, state] : files) {
      if (ParentOf(path) == dir) state.fresh = false;
    }
  }
};

namespace {

using Rep = FaultFileSystem::Rep;
using Op = FaultFileSystem::Op;

class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> target, Rep* rep, std::string path)
      : FSWritableFileOwnerWrapper(std::move(target)), rep_(rep), path_(std::move(path)) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (!rep_->powered()) return IOStatus::OK();
    bool partial = false;
    if (IOStatus s = rep_->Check(Op::kWrite, path_, &partial); !s.ok()) {
      if (partial && data.size() > 1) {
        const Slice half(data.data(), data.size() / 2);
        if (target()->Append(half, options, dbg).ok()) rep_->Appended(path_, half.size());
      }
      return s;
    }
    IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) rep_->Appended(path_, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options, const rocksdb::DataVerificationInfo&,
                  IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Sync(options, dbg); });
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Fsync(options, dbg); });
  }

 private:
  template <typename F>
  IOStatus SyncWith(F sync) {
    if (!rep_->powered()) return IOStatus::OK();
    if (IOStatus s = rep_->Check(Op::kSync, path_); !s.ok()) return s;
    IOStatus s = sync();
    if (s.ok()) rep_->Synced(path_);
    return s;
  }

  Rep* rep_;
  std::string path_;
};

class FaultRandomAccessFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultRandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile> target, Rep* rep, std::string path)
      : FSRandomAccessFileOwnerWrapper(std::move(target)), rep_(rep), path_(std::move(path)) {}

  IOStatus Read(uint64_t offset, size_t n, const IOOptions& options, Slice* result, char* scratch,
                IODebugContext* dbg) const override {
    if (IOStatus s = rep_->Check(Op::kRead, path_); !s.ok()) return s;
    return target()->Read(offset, n, options, result, scratch, dbg);
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs, const IOOptions& options,
                     IODebugContext* dbg) override {
    if (IOStatus s = rep_->Check(Op::kRead, path_); !s.ok()) return s;
    return target()->MultiRead(reqs, num_reqs, options, dbg);
  }

 private:
  Rep* rep_;
  std::string path_;
};

class FaultSequentialFile : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  FaultSequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> target, Rep* rep, std::string path)
      : FSSequentialFileOwnerWrapper(std::move(target)), rep_(rep), path_(std::move(path)) {}

  IOStatus Read(size_t n, const IOOptions& options, Slice* result, char* scratch, IODebugContext* dbg) override {
    if (IOStatus s = rep_->Check(Op::kRead, path_); !s.ok()) return s;
    return target()->Read(n, options, result, scratch, dbg);
  }

 private:
  Rep* rep_;
  std::string path_;
};

class FaultDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<rocksdb::FSDirectory> target, Rep* rep, std::string path)
      : FSDirectoryWrapper(std::move(target)), rep_(rep), path_(std::move(path)) {}

  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return Synced(FSDirectoryWrapper::Fsync(options, dbg));
  }
  IOStatus FsyncWithDirOptions(const IOOptions& options, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& dir_options) override {
    return Synced(FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options));
  }

 private:
  IOStatus Synced(IOStatus s) {
    if (s.ok() && rep_->powered()) rep_->DirectorySynced(path_);
    return s;
  }
  Rep* rep_;
  std::string path_;
};

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFs(Rep* rep) : FileSystemWrapper(rocksdb::FileSystem::Default()), rep_(rep) {}
  const char* Name() const override { return "HvdbFaultFileSystem"; }

  IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                           std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) override {
    if (IOStatus s = rep_->Check(Op::kCreate, f); !s.ok()) return s;
    const bool existed = fs::exists(f);
    std::unique_ptr<rocksdb::FSWritableFile> file;
    IOStatus s = target()->NewWritableFile(f, options, &file, dbg);
    if (!s.ok()) return s;
    rep_->Track(f, {.size = 0, .synced = 0, .fresh = !existed || !rep_->powered()});
    result->reset(new FaultWritableFile(std::move(file), rep_, f));
    return s;
  }
  IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                              std::unique_ptr<rocksdb::FSWritableFile>* result, IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    IOStatus s = target()->ReopenWritableFile(f, options, &file, dbg);
    if (!s.ok()) return s;
    std::error_code ec;
    const uint64_t size = fs::file_size(f, ec);
    {
      MutexLock lock(rep_->mu);
      if (rep_->files.count(f) == 0) rep_->files[f] = {.size = ec ? 0 : size, .synced = ec ? 0 : size};
    }
    result->reset(new FaultWritableFile(std::move(file), rep_, f));
    return s;
  }
  IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& options,
                               std::unique_ptr<rocksdb::FSRandomAccessFile>* result, IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSRandomAccessFile> file;
    IOStatus s = target()->NewRandomAccessFile(f, options, &file, dbg);
    if (s.ok()) result->reset(new FaultRandomAccessFile(std::move(file), rep_, f));
    return s;
  }
  IOStatus NewSequentialFile(const std::string& f, const rocksdb::FileOptions& options,
                             std::unique_ptr<rocksdb::FSSequentialFile>* result, IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSSequentialFile> file;
    IOStatus s = target()->NewSequentialFile(f, options, &file, dbg);
    if (s.ok()) result->reset(new FaultSequentialFile(std::move(file), rep_, f));
    return s;
  }
  IOStatus NewDirectory(const std::string& name, const IOOptions& options,
                        std::unique_ptr<rocksdb::FSDirectory>* result, IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    IOStatus s = target()->NewDirectory(name, options, &dir, dbg);
    if (s.ok()) result->reset(new FaultDirectory(std::move(dir), rep_, fs::path(name).lexically_normal().string()));
    return s;
  }
  IOStatus DeleteFile(const std::string& f, const IOOptions& options, IODebugContext* dbg) override {
    if (!rep_->powered()) return IOStatus::OK();
    IOStatus s = target()->DeleteFile(f, options, dbg);
    if (s.ok()) {
      MutexLock lock(rep_->mu);
      rep_->files.erase(f);
    }
    return s;
  }
  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& options,
                      IODebugContext* dbg) override {
    if (!rep_->powered()) return IOStatus::OK();
    if (IOStatus s = rep_->Check(Op::kRename, to); !s.ok()) return s;
    IOStatus s = target()->RenameFile(from, to, options, dbg);
    if (s.ok()) {
      MutexLock lock(rep_->mu);
      auto it = rep_->files.find(from);
      if (it != rep_->files.end()) {
        rep_->files[to] = it->second;
        rep_->files.erase(from);
      } else {
        rep_->files.erase(to);
      }
    }
    return s;
  }
  IOStatus LinkFile(const std::string& from, const std::string& to, const IOOptions& options,
                    IODebugContext* dbg) override {
    if (!rep_->powered()) return IOStatus::OK();
    IOStatus s = target()->LinkFile(from, to, options, dbg);
    if (s.ok()) {
      MutexLock lock(rep_->mu);
      auto it = rep_->files.find(from);
      FileState state = it != rep_->files.end() ? it->second : FileState{};
      if (it == rep_->files.end()) {
        std::error_code ec;
        state.size = state.synced = fs::file_size(from, ec);
      }
      state.fresh = true;
      rep_->files[to] = state;
    }
    return s;
  }

 private:
  Rep* rep_;
};

}  // namespace

// store.cc's way to the RocksDB file system (a std::shared_ptr<rocksdb::FileSystem>).
std::shared_ptr<void> RocksFileSystemOf(const FaultFileSystem& faults) { return faults.rep_->file_system; }

FaultFileSystem::FaultFileSystem() : rep_(std::make_shared<Rep>()) {
  rep_->file_system = std::make_shared<FaultFs>(rep_.get());
}

FaultFileSystem::~FaultFileSystem() = default;

void FaultFileSystem::Inject(const Fault& fault) {
  MutexLock lock(rep_->mu);
  rep_->fault = fault;
  for (uint64_t& n : rep_->seen) n = 0;
  rep_->failed = 0;
}

void FaultFileSystem::Heal() {
  MutexLock lock(rep_->mu);
  rep_->fault.reset();
}

uint64_t FaultFileSystem::injected() const {
  MutexLock lock(rep_->mu);
  return rep_->injected;
}

uint64_t FaultFileSystem::operations(Op op) const {
  MutexLock lock(rep_->mu);
  return rep_->seen[static_cast<int>(op)];
}

void FaultFileSystem::CutPower() {
  MutexLock lock(rep_->mu);
  rep_->power = false;
}

Status FaultFileSystem::RestorePower() {
  MutexLock lock(rep_->mu);
  for (auto it = rep_->files.begin(); it != rep_->files.end();) {
    const auto& [path, state] = *it;
    std::error_code ec;
    if (state.fresh) {
      fs::remove(path, ec);
      it = rep_->files.erase(it);
      continue;
    }
    if (fs::exists(path, ec) && fs::file_size(path, ec) > state.synced) fs::resize_file(path, state.synced, ec);
    if (ec) return Status::IOError("restoring '" + path + "' after the power cut: " + ec.message());
    it->second.size = state.synced;
    ++it;
  }
  rep_->power = true;
  return Status::OK();
}

}  // namespace hvdb::storage
