// Copyright hvdb authors.
#include "storage/catalog.h"

#include <stdexcept>

#include <cereal/types/string.hpp>

#include "storage/cereal_record.h"

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
  // The kind by its name (IndexKindName), so the record does not hang on the enum's values.
  std::string kind = IndexKindName(x.kind);
  archive(d.id, d.name, d.dim, d.item_memory_seed, d.compact_threshold, kind, d.created_unix_seconds);
  if constexpr (Archive::is_loading::value) {
    Result<IndexKind> parsed = ParseIndexKind(kind);
    if (!parsed.ok()) throw std::runtime_error(parsed.status().message());  // Corruption, by DecodeCerealRecord
    x.kind = *parsed;
  }
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
  CollectionDescriptor copy = descriptor;
  return EncodeCerealRecord(kMagic, kDescriptorVersion,
                            [&](auto& archive) { Fields(archive, copy, kDescriptorVersion); });
}

Result<CollectionDescriptor> DecodeDescriptor(std::string_view bytes) {
  CollectionDescriptor descriptor;
  HVDB_RETURN_IF_ERROR(DecodeCerealRecord(bytes, kMagic, kDescriptorVersion, "catalog record",
                                          [&](auto& archive, uint32_t version) { Fields(archive, descriptor, version); }));
  return descriptor;
}

}  // namespace hvdb::storage
