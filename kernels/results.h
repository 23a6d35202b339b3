// Copyright hvdb authors. The result plumbing every search path shares: the
// nq x k slots of a top-k scan turned into hit lists, and hits found in
// several parts (device shards, ivf lists, a graph and its tail, prefix
// candidates) merged into the one order of kernels/hamming.h.
#ifndef HVDB_KERNELS_RESULTS_H_
#define HVDB_KERNELS_RESULTS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "kernels/hamming.h"

namespace hvdb::kernels {

// One hit list per query, nearest first.
using HitLists = std::vector<std::vector<Neighbor>>;

// Appends one query's top-k slots (sorted, unused ones {kNoRow, ...} at the
// end) to *hits, each row shifted by row_offset (the part's first row), up
// to the first unused slot or the first beyond max_distance when set.
inline void AppendTopK(const Neighbor* slots, size_t k, std::optional<uint32_t> max_distance, uint64_t row_offset,
                       std::vector<Neighbor>* hits) {
  for (size_t i = 0; i < k; ++i) {
    const Neighbor& n = slots[i];
    if (n.row == kNoRow || (max_distance && n.distance > *max_distance)) break;
    hits->push_back({n.row + row_offset, n.distance});
  }
}

// nq queries' top-k slots (nq x k, as kernels::TopK fills them) as hit lists.
inline HitLists UnpackTopK(const Neighbor* slots, size_t nq, size_t k, std::optional<uint32_t> max_distance = {}) {
  HitLists out(nq);
  for (size_t q = 0; q < nq; ++q) {
    out[q].reserve(k);
    AppendTopK(slots + q * k, k, max_distance, 0, &out[q]);
  }
  return out;
}

// Sorts hits gathered from several parts into the one order (nearer first,
// ties to the smaller row) and keeps the first k (k == 0: all of them).
inline void MergeHits(std::vector<Neighbor>* hits, size_t k) {
  if (k != 0 && hits->size() > k) {
    std::partial_sort(hits->begin(), hits->begin() + static_cast<std::ptrdiff_t>(k), hits->end(), kNearerFirst);
    hits->resize(k);
  } else {
    std::sort(hits->begin(), hits->end(), kNearerFirst);
  }
}

// Writes a merged list into one query's k slots, the rest unused.
inline void FillTopK(const std::vector<Neighbor>& hits, size_t k, Neighbor* slots) {
  const size_t n = std::min(k, hits.size());
  std::copy_n(hits.begin(), n, slots);
  std::fill(slots + n, slots + k, Neighbor{});
}

}  // namespace hvdb::kernels

#endif  // HVDB_KERNELS_RESULTS_H_
