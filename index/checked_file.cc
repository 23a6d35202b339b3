// Copyright hvdb authors.
#include "index/checked_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "index/little_endian.h"
#include "kernels/crc32c.h"

namespace hvdb::index {

Status ChecksummedSink::Append(std::string_view part) {
  crc_ = kernels::Crc32c(part.data(), part.size(), crc_);
  bytes_ += part.size();
  return sink_(part);
}

Status ChecksummedSink::Finish() {
  return sink_(std::string(kTrailerMagic) + LittleEndian(bytes_, 8) + LittleEndian(crc_, 4));
}

Status CheckTrailer(FILE* f, const std::string& what, uint64_t min_content, uint64_t* content) {
  struct stat st;
  if (::fstat(fileno(f), &st) != 0) return Status::IOError(what + ": cannot read its size: " + std::strerror(errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < min_content + kTrailerBytes) return Status::Corruption(what + " is truncated (" + std::to_string(size) + " bytes)");
  unsigned char trailer[kTrailerBytes];
  if (std::fseek(f, static_cast<long>(size - kTrailerBytes), SEEK_SET) != 0 ||
      std::fread(trailer, 1, kTrailerBytes, f) != kTrailerBytes ||
      std::string_view(reinterpret_cast<const char*>(trailer), 8) != kTrailerMagic ||
      FromLittleEndian(trailer + 8, 8) != size - kTrailerBytes) {
    return Status::Corruption(what + " has no valid trailer (truncated or damaged)");
  }
  *content = size - kTrailerBytes;
  std::vector<char> buffer(1 << 20);
  uint32_t crc = 0;
  std::rewind(f);
  for (uint64_t done = 0; done < *content;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.size(), *content - done));
    if (std::fread(buffer.data(), 1, n, f) != n) return Status::Corruption(what + " could not be read back");
    crc = kernels::Crc32c(buffer.data(), n, crc);
    done += n;
  }
  if (crc != static_cast<uint32_t>(FromLittleEndian(trailer + 16, 4))) {
    return Status::Corruption(what + " is damaged (its CRC-32C does not match)");
  }
  std::rewind(f);
  return Status::OK();
}

bool ReadLittleEndian(FILE* f, size_t bytes, uint64_t* value) {
  unsigned char b[8];
  if (bytes > 8 || std::fread(b, 1, bytes, f) != bytes) return false;
  *value = FromLittleEndian(b, bytes);
  return true;
}

}  // namespace hvdb::index
