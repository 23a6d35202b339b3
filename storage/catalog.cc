// Copyright hvdb authors.
#include "storage/catalog.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <sstream>

namespace hvdb::storage {
namespace {

constexpr std::string_view kMagic = "HVDBCOL1";

}  // namespace

template <class Archive>
void Fields(Archive& archive, CollectionDescriptor& d, uint32_t version) {
  archive(d.id, d.name, d.dim, d.item_memory_seed, d.compact_threshold, d.index, d.created_unix_seconds);
  if (version >= 2) archive(d.prefix_bits, d.prefix_candidates);
}

std::string EncodeDescriptor(const CollectionDescriptor& descriptor) {
  std::ostringstream out;
  out.write(kMagic.data(), kMagic.size());
  {
    cereal::PortableBinaryOutputArchive archive(out);
    archive(kDescriptorVersion);
    CollectionDescriptor copy = descriptor;
    Fields(archive, copy, kDescriptorVersion);
  }
  return std::move(out).str();
}

Result<CollectionDescriptor> DecodeDescriptor(std::string_view bytes) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return Status::Corruption("catalog record does not start with the magic HVDBCOL1");
  }
  std::istringstream in(std::string(bytes.substr(kMagic.size())));
  CollectionDescriptor descriptor;
  try {
    cereal::PortableBinaryInputArchive archive(in);
    uint32_t version = 0;
    archive(version);
    if (version == 0 || version > kDescriptorVersion) {
      return Status::Corruption("catalog record has format version " + std::to_string(version) +
                                "; this build reads versions 1 to " + std::to_string(kDescriptorVersion));
    }
    Fields(archive, descriptor, version);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("catalog record is truncated or malformed: ") + e.what());
  }
  return descriptor;
}

}  // namespace hvdb::storage
