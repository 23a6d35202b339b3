// Copyright hvdb authors. Fuzz target: every reader of user files: the .npy
// header and rows (hvdb::ReadNpy and bulk-load sources with and without a
// keys file, packed and one bit per element, padded or not), hvdb vector files (.hvdb) and key<TAB>hex text, for the
// dimension the first byte picks. Whatever the bytes, a reader returns rows
// or an error: never a crash, a hang or an allocation the file cannot back.
#include <cstdint>
#include <string>

#include "hvdb/hvdb.h"
#include "storage/row_source.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void Drain(const std::string& path, const hvdb::BulkLoadOptions& options, uint64_t dim) {
  auto source = hvdb::storage::OpenRowSource(path, options, dim);
  if (!source.ok()) return;
  std::string key;
  std::string bits(dim / 8, '\0');
  for (int rows = 0; rows < 100000; ++rows) {
    auto more = (*source)->Next(&key, bits.data());
    if (!more.ok() || !*more) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return -1;
  const uint64_t dim = 64 * (1 + data[0] % 16);
  const uint8_t split = data[1];
  data += 2;
  size -= 2;
  using Format = hvdb::BulkLoadOptions::Format;
  const std::string npy = hvdb::fuzz::WriteScratch("f.npy", data, size);
  (void)hvdb::ReadNpy(npy);
  (void)hvdb::SourceDim(npy);
  Drain(npy, {.format = Format::kNpy}, dim);
  // One bit per element (bool rows always, uint8 0/1 rows when asked), padded.
  const hvdb::NpyReadOptions bits{.unpacked = (split & 1) != 0, .pad = (split & 2) != 0};
  (void)hvdb::ReadNpy(npy, bits);
  (void)hvdb::SourceDim(npy, {.npy = bits});
  Drain(npy, {.format = Format::kNpy, .npy = bits}, dim);
  // The same bytes as the other formats.
  const std::string hvdb_file = hvdb::fuzz::WriteScratch("f.hvdb", data, size);
  (void)hvdb::SourceDim(hvdb_file);
  Drain(hvdb_file, {.format = Format::kHvdb}, dim);
  const std::string text = hvdb::fuzz::WriteScratch("f.tsv", data, size);
  (void)hvdb::SourceDim(text);
  Drain(text, {.format = Format::kText}, dim);
  // A .npy and a keys file cut from the same bytes.
  const size_t at = size * split / 256;
  const std::string rows = hvdb::fuzz::WriteScratch("g.npy", data, at);
  const std::string keys = hvdb::fuzz::WriteScratch("g.keys", data + at, size - at);
  Drain(rows, {.format = Format::kNpy, .keys_path = keys}, dim);
  return 0;
}
