// Copyright hvdb authors. The one way hvdb writes a file of its own (the hnsw
// graph, an exported .hvdb file): wholly or not at all, and durably. Bytes go
// to a temporary file beside the target; Commit fsyncs it, renames it over
// the target and fsyncs the directory. Until Commit succeeds the target is
// untouched, and an uncommitted DurableFile removes its temporary file when
// destroyed. Writes go through the store's file system (fault injection in
// the tests). Not thread safe.
#ifndef HVDB_STORAGE_DURABLE_FILE_H_
#define HVDB_STORAGE_DURABLE_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "hvdb/result.h"
#include "hvdb/status.h"

namespace hvdb::storage {

class DurableFile {
 public:
  virtual ~DurableFile() = default;
  // Appends bytes (buffered). IOError naming the file when the write fails;
  // the first error sticks (later calls and Commit return it).
  virtual Status Append(std::string_view bytes) = 0;
  // Bytes appended so far, and their CRC-32C (kernels/crc32c.h).
  virtual uint64_t size() const = 0;
  virtual uint32_t crc32c() const = 0;
  // Makes the file the target, durably. After an error the target is as
  // before, except when only the final fsync of the directory failed (the
  // message says the file was written): the target then holds the new file,
  // which a power cut may still undo.
  virtual Status Commit() = 0;
  virtual const std::string& path() const = 0;
};

// A durable file at `path` outside any database (the public WriteNpy), on
// the process's own file system; a database's files go through
// Store::CreateDurableFile, which uses the store's (fault injection).
Result<std::unique_ptr<DurableFile>> CreateDurableFile(const std::string& path);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_DURABLE_FILE_H_
