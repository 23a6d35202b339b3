// Copyright hvdb authors. Fixed-width integers in bytes, both byte orders:
// big-endian in RocksDB keys (so they sort as numbers), little-endian in
// hvdb's own files and records (docs/format.md).
#ifndef HVDB_STORAGE_ENDIAN_H_
#define HVDB_STORAGE_ENDIAN_H_

#include <cstdint>

namespace hvdb::storage {

inline void PutBigEndian(uint64_t value, int bytes, char* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

inline uint64_t GetBigEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

inline void PutLittleEndian(uint64_t value, int bytes, char* out) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

inline uint64_t GetLittleEndian(const void* in, int bytes) {
  const unsigned char* p = static_cast<const unsigned char*>(in);
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_ENDIAN_H_
