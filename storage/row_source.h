// Copyright hvdb authors. Sources of rows for a bulk load, read sequentially
// with bounded memory: .npy (with an optional keys file), hvdb vector files
// and text lines "key<TAB>hex". See docs/format.md.
#ifndef HVDB_STORAGE_ROW_SOURCE_H_
#define HVDB_STORAGE_ROW_SOURCE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hvdb/options.h"
#include "hvdb/result.h"

namespace hvdb::storage {

class RowSource {
 public:
  virtual ~RowSource() = default;
  // Rows in the source; 0 when the format does not say (text).
  virtual uint64_t total_rows() const = 0;
  virtual uint64_t total_bytes() const = 0;
  virtual uint64_t bytes_read() const = 0;
  // Reads the next row: *key is replaced and `bits` (dim / 8 bytes) filled.
  // false at the end. Errors are InvalidArgument (or IOError) and name the
  // file, the row (0-based; text: the 1-based line) and the reason.
  virtual Result<bool> Next(std::string* key, char* bits) = 0;
  // A source without keys (.npy without a keys file) names its rows by
  // number in decimal, from `first` (0 until told otherwise).
  virtual bool numbers_rows() const { return false; }
  virtual void NumberRowsFrom(uint64_t /*first*/) {}
};

// Opens `path` for rows of `dim` bits. The format comes from options.format,
// or with kAuto from the extension (.npy, .hvdb, anything else: text).
// A dimension mismatch is reported here when the header shows it.
Result<std::unique_ptr<RowSource>> OpenRowSource(const std::string& path, const BulkLoadOptions& options,
                                                 uint64_t dim);

// Rows held in memory (Collection::BulkLoadRows): `bits` is rows x (dim / 8)
// bytes, read in place (it must outlive the source); keys[i] names row i, or
// with no keys the rows are numbered as a keyless .npy's. The views are
// borrowed, not copied. InvalidArgument when keys is neither empty nor
// rows long, or bits is null with rows > 0.
Result<std::unique_ptr<RowSource>> MemoryRowSource(const uint8_t* bits, uint64_t rows, uint64_t dim,
                                                   std::span<const std::string_view> keys);

// The dimension of the rows in `path`: from the header (.npy, .hvdb) or the
// first non-blank line (text).
Result<uint64_t> ProbeSourceDim(const std::string& path, const BulkLoadOptions& options);

// The format OpenRowSource would use for `path`.
BulkLoadOptions::Format DetectFormat(const std::string& path, BulkLoadOptions::Format requested);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_ROW_SOURCE_H_
