// Copyright hvdb authors. hvdb's own vector file (".hvdb"): what Export writes
// and BulkLoad reads. Layout (little-endian, docs/format.md):
//   header  "HVDBVECS" u32 version=2 u32 flags=0 u64 dim u64 rows
//   rows    u32 key_bytes, key, dim/8 bytes of packed bits   (rows times)
//   trailer "HVDBEND." u64 rows u32 crc32c
// The CRC-32C covers every byte before the trailer. Version 1 (still read)
// had no CRC in its trailer.
#ifndef HVDB_STORAGE_VECTOR_FILE_H_
#define HVDB_STORAGE_VECTOR_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "hvdb/status.h"
#include "storage/durable_file.h"

namespace hvdb::storage {

inline constexpr char kVectorFileMagic[8] = {'H', 'V', 'D', 'B', 'V', 'E', 'C', 'S'};
inline constexpr char kVectorFileTrailer[8] = {'H', 'V', 'D', 'B', 'E', 'N', 'D', '.'};
inline constexpr uint32_t kVectorFileVersion = 2;
inline constexpr size_t kVectorFileHeaderBytes = 32;
// Trailer bytes by version: 1 had rows only, 2 adds the CRC-32C.
inline constexpr size_t VectorFileTrailerBytes(uint32_t version) { return version >= 2 ? 20 : 16; }

// Writes a vector file of exactly `rows` rows into `file`; Finish writes the
// trailer and commits the file (atomic and durable). Not thread safe.
class VectorFileWriter {
 public:
  VectorFileWriter(std::unique_ptr<DurableFile> file, uint64_t dim, uint64_t rows);
  Status Start();  // the header
  // REQUIRES: bits.size() == dim / 8.
  Status Add(std::string_view key, std::string_view bits);
  // InvalidArgument when the rows added differ from the rows promised.
  Status Finish();

 private:
  std::unique_ptr<DurableFile> file_;
  uint64_t dim_;
  uint64_t rows_;
  uint64_t added_ = 0;
};

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_VECTOR_FILE_H_
