// Copyright hvdb authors. What an index sees of a collection: the host
// cache's rows as they are now, addressed by row number.
#ifndef HVDB_INDEX_ROWS_VIEW_H_
#define HVDB_INDEX_ROWS_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <functional>

namespace hvdb::index {

inline constexpr uint32_t kNoRow32 = ~uint32_t{0};

// Called as an index is built, with the work done so far of the work to do
// (rows added to a graph, k-means iterations); false stops the build, which
// then fails with Unavailable and changes nothing. Null: never stopped.
using BuildProgress = std::function<bool(uint64_t done, uint64_t total)>;

// Whether progress says stop.
inline bool Stopped(const BuildProgress& progress, uint64_t done, uint64_t total) {
  return progress && !progress(done, total);
}

struct RowsView {
  const uint64_t* rows = nullptr;        // n x words
  size_t n = 0;
  size_t words = 0;
  const uint64_t* tombstones = nullptr;  // ceil(n / 64) words, or null: no row deleted
  const uint64_t* ids = nullptr;         // n row ids (RocksDB's), increasing

  const uint64_t* row(size_t r) const { return rows + r * words; }
  bool deleted(size_t r) const { return tombstones != nullptr && ((tombstones[r / 64] >> (r % 64)) & 1); }
};

// The row numbers rows keep when the cache slides its live rows together:
// out[r] for every row r < n, kNoRow32 for the deleted ones.
inline void CompactionMap(const RowsView& before, uint32_t* out) {
  uint32_t next = 0;
  for (size_t r = 0; r < before.n; ++r) out[r] = before.deleted(r) ? kNoRow32 : next++;
}

}  // namespace hvdb::index

#endif  // HVDB_INDEX_ROWS_VIEW_H_
