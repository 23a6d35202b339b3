// Copyright hvdb authors. Reading and writing hypervectors in files: .npy for
// numpy users (2-D uint8, one packed row per vector, numpy.packbits(bits,
// axis=1, bitorder="little") giving hvdb's layout; or 2-D bool, one bit per
// element), and what a bulk load reads.
#ifndef HVDB_IO_H_
#define HVDB_IO_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hvdb/hypervector.h"
#include "hvdb/options.h"
#include "hvdb/result.h"

namespace hvdb {

// Every row of a .npy file as a hypervector: 8 bits per byte of a uint8 row,
// one bit per element of a bool row (or of a uint8 row with
// options.unpacked), padded as options.pad says. InvalidArgument naming the
// file and the problem (dtype, shape, a bit count that is not a multiple of
// 64, an element that is not 0/1, truncation).
Result<std::vector<Hypervector>> ReadNpy(const std::string& path, const NpyReadOptions& options = {});
// Writes `vectors` (all of one dimension) as a .npy file, replacing `path`.
Status WriteNpy(const std::string& path, std::span<const Hypervector> vectors);

// The keys file an export to `path` writes beside it (.npy), or nullopt
// (the format carries its keys).
std::optional<std::string> ExportKeysPath(const std::string& path, const ExportOptions& options = {});

// The keys file beside a .npy that an export wrote (ExportKeysPath's
// default: "rows.keys" for "rows.npy") when it exists and `path` is an .npy
// (by name or options.format); else nullopt. hvdb load and .import pair them
// unless told otherwise (--keys, --first-row, --no-keys).
std::optional<std::string> KeysBeside(const std::string& path, const BulkLoadOptions& options = {});

// The dimension of the vectors in a bulk-load source, from its header (.npy,
// .hvdb) or its first line (text), without reading the rest.
Result<uint64_t> SourceDim(const std::string& path, const BulkLoadOptions& options = {});

}  // namespace hvdb

#endif  // HVDB_IO_H_
