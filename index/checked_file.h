// Copyright hvdb authors. The checksum trailer of the files the index room
// writes itself (the hnsw graph, the ivf lists; docs/format.md): after the
// content, "HVDBSUM.", the content's length (u64) and its CRC-32C (u32),
// little endian. A reader checks it before it decodes a byte, so a damaged
// or truncated file is Corruption, never a wrong index.
#ifndef HVDB_INDEX_CHECKED_FILE_H_
#define HVDB_INDEX_CHECKED_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "hvdb/result.h"
#include "index/index.h"

namespace hvdb::index {

inline constexpr std::string_view kTrailerMagic = "HVDBSUM.";
inline constexpr size_t kTrailerBytes = 20;

// Passes the content on to `sink`, counting its bytes and CRC-32C; Finish
// writes the trailer after it.
class ChecksummedSink {
 public:
  explicit ChecksummedSink(const ByteSink& sink) : sink_(sink) {}
  Status Append(std::string_view part);
  ByteSink AsSink() {
    return [this](std::string_view part) { return Append(part); };
  }
  Status Finish();

 private:
  const ByteSink& sink_;
  uint64_t bytes_ = 0;
  uint32_t crc_ = 0;
};

// The content of the file at `path` (its bytes before the trailer).
// NotFound when there is no file; Corruption when it is larger than
// max_bytes (so a damaged or foreign file cannot make it allocate at will),
// or its trailer is missing or does not match. what: names the file in
// messages ("ivf index file '...'").
Result<std::string> ReadChecksummedFile(const std::string& path, const std::string& what, uint64_t max_bytes);

}  // namespace hvdb::index

#endif  // HVDB_INDEX_CHECKED_FILE_H_
