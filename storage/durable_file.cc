// Copyright hvdb authors.
#include "storage/durable_file.h"

#include <unistd.h>

#include <filesystem>

#include "kernels/crc32c.h"
#include "storage/store_rep.h"

namespace hvdb::storage {
namespace {

namespace fs = std::filesystem;

class FsDurableFile : public DurableFile {
 public:
  FsDurableFile(std::shared_ptr<rocksdb::FileSystem> file_system, std::string path, std::string temp,
                std::unique_ptr<rocksdb::FSWritableFile> file)
      : fs_(std::move(file_system)), path_(std::move(path)), temp_(std::move(temp)), file_(std::move(file)) {}

  ~FsDurableFile() override {
    if (committed_) return;
    if (file_ != nullptr) (void)file_->Close(rocksdb::IOOptions(), nullptr);
    (void)fs_->DeleteFile(temp_, rocksdb::IOOptions(), nullptr);
  }

  Status Append(std::string_view bytes) override {
    HVDB_RETURN_IF_ERROR(failed_);
    if (file_ == nullptr) return Status::IOError("writing '" + path_ + "': the file is closed");
    crc_ = kernels::Crc32c(bytes.data(), bytes.size(), crc_);
    size_ += bytes.size();
    buffer_.append(bytes);
    return buffer_.size() >= kBufferBytes ? Flush() : Status::OK();
  }
  uint64_t size() const override { return size_; }
  uint32_t crc32c() const override { return crc_; }
  const std::string& path() const override { return path_; }

  Status Commit() override {
    HVDB_RETURN_IF_ERROR(failed_);
    if (file_ == nullptr) return Status::IOError("writing '" + path_ + "': the file is closed");
    const rocksdb::IOOptions io;
    HVDB_RETURN_IF_ERROR(Flush());
    HVDB_RETURN_IF_ERROR(Fail(FromRocks(file_->Fsync(io, nullptr), Where("syncing"))));
    HVDB_RETURN_IF_ERROR(Fail(FromRocks(file_->Close(io, nullptr), Where("closing"))));
    file_.reset();
    HVDB_RETURN_IF_ERROR(Fail(FromRocks(fs_->RenameFile(temp_, path_, io, nullptr), Where("renaming"))));
    committed_ = true;
    // The rename is durable once the directory is. If syncing it fails the
    // target already holds the new file, which a power cut may undo.
    std::unique_ptr<rocksdb::FSDirectory> dir;
    const std::string parent = fs::path(path_).parent_path().string();
    HVDB_RETURN_IF_ERROR(FromRocks(fs_->NewDirectory(parent.empty() ? "." : parent, io, &dir, nullptr),
                                   "'" + path_ + "' was written, but opening its directory to sync it"));
    return FromRocks(dir->Fsync(io, nullptr), "'" + path_ + "' was written, but syncing its directory");
  }

 private:
  static constexpr size_t kBufferBytes = size_t{1} << 20;

  Status Flush() {
    if (buffer_.empty()) return Status::OK();
    const Status s = FromRocks(file_->Append(rocksdb::Slice(buffer_), rocksdb::IOOptions(), nullptr), Where("writing"));
    buffer_.clear();
    return Fail(s);
  }
  // The first error sticks: a file with a hole is never committed.
  Status Fail(const Status& s) {
    if (!s.ok() && failed_.ok()) failed_ = s;
    return s;
  }
  std::string Where(const std::string& doing) const {
    return doing + " '" + path_ + "' (through its temporary file '" + temp_ + "')";
  }

  std::shared_ptr<rocksdb::FileSystem> fs_;
  std::string path_, temp_;
  std::unique_ptr<rocksdb::FSWritableFile> file_;
  std::string buffer_;
  uint64_t size_ = 0;
  uint32_t crc_ = 0;
  bool committed_ = false;
  Status failed_;
};

Result<std::unique_ptr<DurableFile>> CreateDurableFileOn(std::shared_ptr<rocksdb::FileSystem> file_system,
                                                        const std::string& path) {
  static std::atomic<uint64_t> serial{0};
  const std::string temp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  HVDB_RETURN_IF_ERROR(FromRocks(file_system->NewWritableFile(temp, rocksdb::FileOptions(), &file, nullptr),
                                 "creating '" + temp + "'"));
  return std::unique_ptr<DurableFile>(new FsDurableFile(std::move(file_system), path, temp, std::move(file)));
}

}  // namespace

Result<std::unique_ptr<DurableFile>> CreateDurableFile(const std::string& path) {
  return CreateDurableFileOn(rocksdb::FileSystem::Default(), path);
}

Result<std::unique_ptr<DurableFile>> Store::CreateDurableFile(const std::string& path) const {
  return CreateDurableFileOn(rep_->file_system, path);
}

}  // namespace hvdb::storage
