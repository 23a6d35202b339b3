// Copyright hvdb authors. Fixed-width little-endian integers in the files
// the index room writes itself (the hnsw graph file, the ivf lists file;
// docs/format.md). Private to index/ (storage has its own, storage/endian.h).
#ifndef HVDB_INDEX_LITTLE_ENDIAN_H_
#define HVDB_INDEX_LITTLE_ENDIAN_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace hvdb::index {

// The low `bytes` bytes of value, least significant first.
inline std::string LittleEndian(uint64_t value, size_t bytes) {
  std::string b(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) b[i] = static_cast<char>(value >> (8 * i));
  return b;
}

// The value of `bytes` bytes at b, least significant first.
inline uint64_t FromLittleEndian(const unsigned char* b, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value |= uint64_t{b[i]} << (8 * i);
  return value;
}

}  // namespace hvdb::index

#endif  // HVDB_INDEX_LITTLE_ENDIAN_H_
