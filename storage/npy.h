// Copyright hvdb authors. The .npy header of a 2-D uint8 array: n rows of
// packed bits (numpy.packbits(bits, axis=1, bitorder="little") gives hvdb's
// bit layout). Only what hvdb reads and writes; see docs/format.md.
#ifndef HVDB_STORAGE_NPY_H_
#define HVDB_STORAGE_NPY_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "hvdb/result.h"
#include "hvdb/status.h"

namespace hvdb::storage {

struct NpyShape {
  uint64_t rows = 0;
  uint64_t row_bytes = 0;
  uint64_t data_offset = 0;  // where row 0 starts in the file
};

// Parses the header at the start of `file` (left positioned at row 0).
// InvalidArgument naming `name` and what is wrong (magic, version, dtype,
// Fortran order, shape, a truncated file).
Result<NpyShape> ReadNpyHeader(std::FILE* file, const std::string& name);

// Writes a version 1.0 header for a C-order uint8 array of rows x row_bytes.
Status WriteNpyHeader(std::FILE* file, uint64_t rows, uint64_t row_bytes, const std::string& name);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_NPY_H_
