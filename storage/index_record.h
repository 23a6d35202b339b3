// Copyright hvdb authors. The trained state of an ivf index, as stored in the
// `default` family (Store::PutIndexState): cereal portable binary behind a
// magic and a version, like every record hvdb writes.
#ifndef HVDB_STORAGE_INDEX_RECORD_H_
#define HVDB_STORAGE_INDEX_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/result.h"

namespace hvdb::storage {

inline constexpr uint32_t kIvfRecordVersion = 1;

struct IvfRecord {
  uint32_t nlist = 0;
  uint32_t words = 0;               // 64-bit words per centroid
  uint64_t trained_rows = 0;        // live rows when it was trained
  double trained_imbalance = 1.0;   // the lists' imbalance right after training
  std::vector<uint64_t> centroids;  // nlist x words
};

// "HVDBIVF1", version, then the cereal portable-binary fields.
std::string EncodeIvfRecord(const IvfRecord& record);
// Corruption naming what is wrong when the bytes are not a record this build
// reads or the centroids do not fill nlist x words.
Result<IvfRecord> DecodeIvfRecord(std::string_view bytes);

}  // namespace hvdb::storage

#endif  // HVDB_STORAGE_INDEX_RECORD_H_
