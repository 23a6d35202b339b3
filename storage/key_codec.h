// Copyright hvdb authors. Keys of the RocksDB column families (docs/format.md).
//
// Row keys in the `keys` and `vectors` families are 12 bytes: the collection
// id (uint32) then the row id (uint64), both big-endian, so that a collection
// is one contiguous key range and its rows sort in insertion order.
#ifndef HVDB_STORAGE_KEY_CODEC_H_
#define HVDB_STORAGE_KEY_CODEC_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "storage/endian.h"

namespace hvdb::storage {

inline constexpr size_t kRowKeyBytes = 12;
using RowKey = std::array<char, kRowKeyBytes>;

inline RowKey EncodeRowKey(uint32_t collection_id, uint64_t row_id) {
  RowKey key;
  PutBigEndian(collection_id, 4, key.data());
  PutBigEndian(row_id, 8, key.data() + 4);
  return key;
}

// REQUIRES: key.size() == kRowKeyBytes.
inline uint64_t RowKeyId(std::string_view key) { return GetBigEndian(key.data() + 4, 8); }

// First key of collection_id's range; the range ends at CollectionPrefix(id + 1).
inline std::array<char, 4> CollectionPrefix(uint32_t collection_id) {
  std::array<char, 4> prefix;
  PutBigEndian(collection_id, 4, prefix.data());
  return prefix;
}

// Keys of the default family.
inline constexpr std::string_view kFormatKey = "hvdb.format";
inline constexpr std::string_view kNextCollectionIdKey = "hvdb.next_collection_id";
inline constexpr std::string_view kItemMemorySeedKey = "hvdb.item_memory_seed";

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_KEY_CODEC_H_
