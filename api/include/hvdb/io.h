// Copyright hvdb authors. Reading and writing hypervectors in files: .npy for
// numpy users (2-D uint8, one packed row per vector; numpy.packbits(bits,
// axis=1, bitorder="little") gives hvdb's layout), and what a bulk load reads.
#ifndef HVDB_IO_H_
#define HVDB_IO_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hvdb/hypervector.h"
#include "hvdb/options.h"
#include "hvdb/result.h"

namespace hvdb {

// Every row of a .npy file, as hypervectors of 8 x row-bytes bits.
// InvalidArgument naming the file and the problem (dtype, shape, truncation).
Result<std::vector<Hypervector>> ReadNpy(const std::string& path);
// Writes `vectors` (all of one dimension) as a .npy file, replacing `path`.
Status WriteNpy(const std::string& path, std::span<const Hypervector> vectors);

// The dimension of the vectors in a bulk-load source, from its header (.npy,
// .hvdb) or its first line (text), without reading the rest.
Result<uint64_t> SourceDim(const std::string& path, const BulkLoadOptions& options = {});

}  // namespace hvdb

#endif  // HVDB_IO_H_
