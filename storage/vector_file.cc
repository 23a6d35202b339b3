// Copyright hvdb authors.
#include "storage/vector_file.h"

#include <cstring>

#include "storage/endian.h"

namespace hvdb::storage {

VectorFileWriter::VectorFileWriter(std::unique_ptr<DurableFile> file, uint64_t dim, uint64_t rows)
    : file_(std::move(file)), dim_(dim), rows_(rows) {}

Status VectorFileWriter::Start() {
  char header[kVectorFileHeaderBytes] = {};
  std::memcpy(header, kVectorFileMagic, 8);
  PutLittleEndian(kVectorFileVersion, 4, header + 8);
  PutLittleEndian(dim_, 8, header + 16);
  PutLittleEndian(rows_, 8, header + 24);
  return file_->Append({header, sizeof header});
}

Status VectorFileWriter::Add(std::string_view key, std::string_view bits) {
  char len[4];
  PutLittleEndian(key.size(), 4, len);
  HVDB_RETURN_IF_ERROR(file_->Append({len, 4}));
  HVDB_RETURN_IF_ERROR(file_->Append(key));
  ++added_;
  return file_->Append(bits);
}

Status VectorFileWriter::Finish() {
  if (added_ != rows_) {
    return Status::InvalidArgument("'" + file_->path() + "': " + std::to_string(added_) + " rows written, " +
                                   std::to_string(rows_) + " promised in the header");
  }
  char trailer[20];
  std::memcpy(trailer, kVectorFileTrailer, 8);
  PutLittleEndian(rows_, 8, trailer + 8);
  PutLittleEndian(file_->crc32c(), 4, trailer + 16);
  HVDB_RETURN_IF_ERROR(file_->Append({trailer, sizeof trailer}));
  return file_->Commit();
}

}  // namespace hvdb::storage
