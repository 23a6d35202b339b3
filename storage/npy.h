// Copyright hvdb authors. .npy files of 2-D uint8 or bool arrays: n rows of
// packed bits (numpy.packbits(bits, axis=1, bitorder="little") gives hvdb's
// bit layout) or of one bit per element. Only what hvdb reads and writes;
// see docs/format.md.
#ifndef HVDB_STORAGE_NPY_H_
#define HVDB_STORAGE_NPY_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "hvdb/options.h"
#include "hvdb/result.h"
#include "hvdb/status.h"

namespace hvdb::storage {

struct NpyShape {
  uint64_t rows = 0;
  uint64_t row_bytes = 0;     // elements per row, one byte each
  bool bools = false;         // dtype bool ('|b1'); else uint8
  uint64_t data_offset = 0;   // where row 0 starts in the file
};

// Parses the header at the start of `file` (left positioned at row 0).
// InvalidArgument naming `name` and what is wrong (magic, version, dtype,
// Fortran order, shape, a truncated file).
Result<NpyShape> ReadNpyHeader(std::FILE* file, const std::string& name);

// How the rows of an .npy file become vectors: packed (8 bits a byte) or one
// bit per element, padded or not. Immutable; cheap to copy.
class NpyRowFormat {
 public:
  // InvalidArgument naming `name` when the bits per row are not a multiple of
  // 64 and options.pad is not set (the message says how to pad).
  static Result<NpyRowFormat> Make(const NpyShape& shape, const NpyReadOptions& options, const std::string& name);

  uint64_t dim() const { return dim_; }              // bits per vector, padding included
  uint64_t row_bytes() const { return row_bytes_; }  // bytes per row in the file
  // "rows of 1000 bits (bool, one bit per element), padded to 1024", for messages.
  std::string Describe() const;
  // Turns one row of the file (row_bytes() bytes at `in`) into dim() / 8
  // bytes of packed bits at `bits`. InvalidArgument naming `name`, the row
  // and the column of an unpacked element that is neither 0 nor 1.
  Status Decode(const unsigned char* in, uint64_t row, const std::string& name, char* bits) const;

 private:
  uint64_t row_bytes_ = 0;
  uint64_t file_bits_ = 0;
  uint64_t dim_ = 0;
  bool unpacked_ = false;
  bool bools_ = false;
  bool padded_ = false;
};

// The header of a version 1.0 .npy file of a C-order uint8 array of rows x
// row_bytes, padded so that the data starts at a multiple of 64 bytes.
std::string NpyHeader(uint64_t rows, uint64_t row_bytes);
// Writes NpyHeader(rows, row_bytes) to `file`; IOError naming `name`.
Status WriteNpyHeader(std::FILE* file, uint64_t rows, uint64_t row_bytes, const std::string& name);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_NPY_H_
