// Copyright hvdb authors. The checksum trailer of the files the index room
// writes itself (the hnsw graph, the ivf lists; docs/format.md): after the
// content, "HVDBSUM.", the content's length (u64) and its CRC-32C (u32),
// little endian. A reader checks it before it decodes a byte, so a damaged
// or truncated file is Corruption, never a wrong index.
#ifndef HVDB_INDEX_CHECKED_FILE_H_
#define HVDB_INDEX_CHECKED_FILE_H_

#include <cstdint>
#include <cstdio>
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

// Checks the trailer of the open file `f`: Corruption unless it holds the
// length and CRC-32C of the bytes before it, and that length is at least
// min_content. Reads the file once, in chunks; leaves it rewound to its
// start. *content: that length. what: names the file in messages ("ivf
// index file '...'").
Status CheckTrailer(FILE* f, const std::string& what, uint64_t min_content, uint64_t* content);

// Reads `bytes` bytes little endian from `f` into *value; false at the end.
bool ReadLittleEndian(FILE* f, size_t bytes, uint64_t* value);

}  // namespace hvdb::index

#endif  // HVDB_INDEX_CHECKED_FILE_H_
