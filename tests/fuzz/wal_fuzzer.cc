// Copyright hvdb authors. Fuzz target: the write-ahead log reader that every
// open runs before RocksDB (and salvage), on arbitrary bytes: it reports
// batches and damage, never crashes, and accounts for no more bytes than the
// file holds.
#include <cstdint>
#include <cstdlib>

#include "storage/wal_reader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = hvdb::fuzz::WriteScratch("000001.log", data, size);
  for (auto kind : {hvdb::storage::WalKind::kLog, hvdb::storage::WalKind::kManifest}) {
    hvdb::storage::WalContents contents;
    if (!hvdb::storage::ReadWal(path, &contents, kind, /*keep_batches=*/true).ok()) std::abort();
    if (contents.unreadable_bytes > size) std::abort();
    for (const auto& batch : contents.batches) {
      if (batch.offset >= size || batch.rep.size() > size) std::abort();
    }
  }
  return 0;
}
