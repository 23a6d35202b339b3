// Copyright hvdb authors.
#include "index/checked_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

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

Result<std::string> ReadChecksummedFile(const std::string& path, const std::string& what, uint64_t max_bytes) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (f == nullptr) {
    if (errno == ENOENT) return Status::NotFound(what + ": no file");
    return Status::IOError(what + ": cannot open it: " + std::strerror(errno));
  }
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(what + ": cannot read its size: " + ec.message());
  if (size < kTrailerBytes) return Status::Corruption(what + " is truncated (" + std::to_string(size) + " bytes)");
  if (size > max_bytes) {
    return Status::Corruption(what + " has " + std::to_string(size) + " bytes, more than the " +
                              std::to_string(max_bytes) + " an index of these rows can take");
  }
  std::string bytes(size, '\0');
  if (std::fread(bytes.data(), 1, size, f.get()) != size) return Status::Corruption(what + " could not be read back");
  const auto* trailer = reinterpret_cast<const unsigned char*>(bytes.data() + size - kTrailerBytes);
  const uint64_t content = size - kTrailerBytes;
  if (std::string_view(bytes).substr(content, 8) != kTrailerMagic || FromLittleEndian(trailer + 8, 8) != content) {
    return Status::Corruption(what + " has no valid trailer (truncated or damaged)");
  }
  if (kernels::Crc32c(bytes.data(), content, 0) != static_cast<uint32_t>(FromLittleEndian(trailer + 16, 4))) {
    return Status::Corruption(what + " is damaged (its CRC-32C does not match)");
  }
  bytes.resize(content);
  return bytes;
}

}  // namespace hvdb::index
