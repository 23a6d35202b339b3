// Copyright hvdb authors. Collection descriptors: the records of the `catalog`
// column family, serialized with cereal behind a magic and a format version.
#ifndef HVDB_STORAGE_CATALOG_H_
#define HVDB_STORAGE_CATALOG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "hvdb/options.h"
#include "hvdb/result.h"

namespace hvdb::storage {

// Layout version of CollectionDescriptor records; readers reject newer ones.
inline constexpr uint32_t kDescriptorVersion = 3;  // 2 added the prefix fields, 3 the ivf and hnsw ones

struct CollectionDescriptor {
  uint32_t id = 0;              // prefix of the collection's rows; never reused
  std::string name;
  uint32_t dim = 0;
  uint64_t item_memory_seed = 0;
  double compact_threshold = 0.1;
  IndexOptions index;           // kind (version 1), prefix fields (2), ivf and hnsw fields (3)
  uint64_t created_unix_seconds = 0;

};

// "HVDBCOL1" magic, version, then the cereal portable-binary fields.
std::string EncodeDescriptor(const CollectionDescriptor& descriptor);
// Corruption naming the record when the bytes are not a descriptor this build reads.
Result<CollectionDescriptor> DecodeDescriptor(std::string_view bytes);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_CATALOG_H_
