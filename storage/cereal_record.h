// Copyright hvdb authors. The frame of every cereal record hvdb stores: an
// 8-byte magic, then cereal portable binary holding a uint32 record version
// and the fields. Private to storage/ (cereal stays here).
#ifndef HVDB_STORAGE_CEREAL_RECORD_H_
#define HVDB_STORAGE_CEREAL_RECORD_H_

#include <cereal/archives/portable_binary.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "hvdb/status.h"

namespace hvdb::storage {

// fields(archive) writes the fields of record version `version`.
template <class Fields>
std::string EncodeCerealRecord(std::string_view magic, uint32_t version, Fields&& fields) {
  std::ostringstream out;
  out.write(magic.data(), static_cast<std::streamsize>(magic.size()));
  {
    cereal::PortableBinaryOutputArchive archive(out);
    archive(version);
    fields(archive);
  }
  return std::move(out).str();
}

// fields(archive, version) reads the fields of `version` (1 to max_version).
// Corruption naming `what` on a wrong magic, a version this build does not
// read, or a truncated or malformed record.
template <class Fields>
Status DecodeCerealRecord(std::string_view bytes, std::string_view magic, uint32_t max_version, const std::string& what,
                          Fields&& fields) {
  if (bytes.size() < magic.size() || bytes.substr(0, magic.size()) != magic) {
    return Status::Corruption(what + " does not start with the magic " + std::string(magic));
  }
  std::istringstream in(std::string(bytes.substr(magic.size())));
  try {
    cereal::PortableBinaryInputArchive archive(in);
    uint32_t version = 0;
    archive(version);
    if (version == 0 || version > max_version) {
      return Status::Corruption(what + " has format version " + std::to_string(version) +
                                "; this build reads versions 1 to " + std::to_string(max_version));
    }
    fields(archive, version);
  } catch (const std::exception& e) {
    return Status::Corruption(what + " is truncated or malformed: " + e.what());
  }
  return Status::OK();
}

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_CEREAL_RECORD_H_
