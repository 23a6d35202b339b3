// Copyright hvdb authors. Where an export writes rows, mirroring row_source.h:
// an .npy of packed uint8 rows with its keys file, an hvdb vector file, or
// text lines "key<TAB>hex". Each file is a DurableFile: nothing is replaced
// until Finish. See docs/format.md.
#ifndef HVDB_STORAGE_ROW_SINK_H_
#define HVDB_STORAGE_ROW_SINK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hvdb/options.h"
#include "hvdb/result.h"
#include "storage/durable_file.h"

namespace hvdb::storage {

class RowSink {
 public:
  virtual ~RowSink() = default;
  // Appends one row; `bits` is dim / 8 bytes. InvalidArgument (the reason
  // only: the caller names the row) for a key the format cannot hold.
  virtual Status Add(std::string_view key, std::string_view bits) = 0;
  // Commits every file; InvalidArgument when the rows added differ from the
  // rows promised. Without it, no file is replaced.
  virtual Status Finish() = 0;
};

using DurableFileFactory = std::function<Result<std::unique_ptr<DurableFile>>(const std::string& path)>;

// A sink for exactly `rows` rows of `dim` bits at `path`, in options.format
// or, with kAuto, the format DetectFormat (row_source.h) reads back.
Result<std::unique_ptr<RowSink>> OpenRowSink(const std::string& path, const ExportOptions& options, uint64_t dim,
                                             uint64_t rows, const DurableFileFactory& create);

// Where the keys of an .npy export go by default: `npy_path` with ".keys" in
// place of ".npy", or appended.
std::string DefaultKeysPath(const std::string& npy_path);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_ROW_SINK_H_
