// Copyright hvdb authors.
#include "storage/vector_file.h"

#include "storage/endian.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace hvdb::storage {
VectorFileWriter::~VectorFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
  if (!finished_ && !path_.empty()) std::remove(path_.c_str());
}

Status VectorFileWriter::Fail(const std::string& what) {
  return Status::IOError("writing '" + path_ + "': " + what + ": " + std::strerror(errno));
}

Status VectorFileWriter::Open(const std::string& path, uint64_t dim) {
  path_ = path;
  dim_ = dim;
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return Status::IOError("creating '" + path + "': " + std::strerror(errno));
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  char header[kVectorFileHeaderBytes] = {};
  std::memcpy(header, kVectorFileMagic, 8);
  PutLittleEndian(kVectorFileVersion, 4, header + 8);
  PutLittleEndian(dim, 8, header + 16);
  if (std::fwrite(header, 1, sizeof header, file_) != sizeof header) return Fail("header");
  return Status::OK();
}

Status VectorFileWriter::Add(std::string_view key, std::string_view bits) {
  char len[4];
  PutLittleEndian(key.size(), 4, len);
  if (std::fwrite(len, 1, 4, file_) != 4 || std::fwrite(key.data(), 1, key.size(), file_) != key.size() ||
      std::fwrite(bits.data(), 1, bits.size(), file_) != bits.size()) {
    return Fail("row " + std::to_string(rows_));
  }
  ++rows_;
  return Status::OK();
}

Status VectorFileWriter::Finish() {
  char trailer[16];
  std::memcpy(trailer, kVectorFileTrailer, 8);
  PutLittleEndian(rows_, 8, trailer + 8);
  if (std::fwrite(trailer, 1, 16, file_) != 16) return Fail("trailer");
  char count[8];
  PutLittleEndian(rows_, 8, count);
  if (std::fseek(file_, 24, SEEK_SET) != 0 || std::fwrite(count, 1, 8, file_) != 8) return Fail("header");
  if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) return Fail("flush");
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) return Fail("close");
  finished_ = true;
  return Status::OK();
}

}  // namespace hvdb::storage
