// Copyright hvdb authors.
#include "storage/catalog.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <sstream>

namespace hvdb::storage {
namespace {

constexpr std::string_view kMagic = "HVDBCOL1";

}  // namespace

// A size_t field as a fixed-width integer (records read the same on every platform).
template <class Archive>
void Size(Archive& archive, size_t& value) {
  uint64_t wide = value;
  archive(wide);
  value = static_cast<size_t>(wide);
}

template <class Archive>
void Fields(Archive& archive, CollectionDescriptor& d, uint32_t version) {
  IndexOptions& x = d.index;
  archive(d.id, d.name, d.dim, d.item_memory_seed, d.compact_threshold, x.kind, d.created_unix_seconds);
  if (version >= 2) {
    uint32_t bits = static_cast<uint32_t>(x.prefix_bits), candidates = static_cast<uint32_t>(x.prefix_candidates);
    archive(bits, candidates);
    x.prefix_bits = bits;
    x.prefix_candidates = candidates;
  }
  if (version >= 3) {
    Size(archive, x.ivf_nlist);
    Size(archive, x.ivf_nprobe);
    Size(archive, x.ivf_iterations);
    archive(x.ivf_retrain_imbalance);
    Size(archive, x.hnsw_m);
    Size(archive, x.hnsw_ef_construction);
    Size(archive, x.hnsw_ef_search);
  }
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
