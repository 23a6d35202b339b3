// Copyright hvdb authors. What an index sees of a collection: the host
// cache's rows as they are now, addressed by row number; how a build reports
// progress; how compaction renumbers rows.
#ifndef HVDB_INDEX_ROWS_VIEW_H_
#define HVDB_INDEX_ROWS_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "kernels/hamming.h"

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

// The rows an index is built over and searched: the host cache's, as they
// are now (kernels/hamming.h).
using kernels::RowsView;

// Rows of the view that are not deleted: the owner's count, else the
// tombstones counted (O(n / 64)).
inline uint64_t LiveRows(const RowsView& rows) {
  if (rows.tombstones == nullptr) return rows.n;
  if (rows.live != RowsView::kUnknownLive) return rows.live;
  uint64_t deleted = 0;
  for (size_t w = 0; w < (rows.n + 63) / 64; ++w) deleted += static_cast<uint64_t>(__builtin_popcountll(rows.tombstones[w]));
  return rows.n - deleted;
}

// The row numbers rows keep when the cache slides its live rows together:
// out[r] for every row r < n, kNoRow32 for the deleted ones.
inline void CompactionMap(const RowsView& before, uint32_t* out) {
  uint32_t next = 0;
  for (size_t r = 0; r < before.n; ++r) out[r] = before.deleted(r) ? kNoRow32 : next++;
}

}  // namespace hvdb::index

#endif  // HVDB_INDEX_ROWS_VIEW_H_
