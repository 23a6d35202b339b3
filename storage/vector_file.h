// Copyright hvdb authors. hvdb's own vector file (".hvdb"): what Export writes
// and BulkLoad reads. Layout (little-endian, docs/format.md):
//   header  "HVDBVECS" u32 version=1 u32 flags=0 u64 dim u64 rows
//   rows    u32 key_bytes, key, dim/8 bytes of packed bits   (rows times)
//   trailer "HVDBEND." u64 rows
#ifndef HVDB_STORAGE_VECTOR_FILE_H_
#define HVDB_STORAGE_VECTOR_FILE_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "hvdb/status.h"

namespace hvdb::storage {

inline constexpr char kVectorFileMagic[8] = {'H', 'V', 'D', 'B', 'V', 'E', 'C', 'S'};
inline constexpr char kVectorFileTrailer[8] = {'H', 'V', 'D', 'B', 'E', 'N', 'D', '.'};
inline constexpr uint32_t kVectorFileVersion = 1;
inline constexpr size_t kVectorFileHeaderBytes = 32;

// Writes a vector file. The row count in the header is patched by Finish, so
// rows may be streamed without knowing their number. Not thread safe.
class VectorFileWriter {
 public:
  VectorFileWriter() = default;
  VectorFileWriter(const VectorFileWriter&) = delete;
  VectorFileWriter& operator=(const VectorFileWriter&) = delete;
  // Removes the file unless Finish succeeded.
  ~VectorFileWriter();

  Status Open(const std::string& path, uint64_t dim);
  // REQUIRES: bits.size() == dim / 8.
  Status Add(std::string_view key, std::string_view bits);
  // Writes the trailer, patches the header, fsyncs and closes.
  Status Finish();

 private:
  Status Fail(const std::string& what);
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t dim_ = 0;
  uint64_t rows_ = 0;
  bool finished_ = false;
};

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_VECTOR_FILE_H_
