// Copyright hvdb authors. SearchDevice's default streaming: one chunk at a time.
#include "kernels/device/search_device.h"

#include <algorithm>

namespace hvdb::kernels {

Status SearchDevice::StreamTopK(const uint64_t* host_rows, size_t n, size_t words, const uint64_t* host_tombstones,
                                size_t chunk_rows, const uint64_t* queries, size_t nq, size_t k,
                                std::vector<std::vector<Neighbor>>* out, uint64_t* uploaded_bytes) {
  if (chunk_rows == 0 || chunk_rows % 64 != 0) return Status::InvalidArgument("StreamTopK: chunk_rows not a multiple of 64");
  HVDB_ASSIGN_OR_RETURN(const Handle rows, Allocate(chunk_rows * words * 8));
  auto tombstones = Allocate(chunk_rows / 64 * 8);
  if (!tombstones.ok()) {
    Free(rows);
    return tombstones.status();
  }
  Status s;
  std::vector<Neighbor> found;
  for (size_t first = 0; s.ok() && first < n; first += chunk_rows) {
    const size_t count = std::min(chunk_rows, n - first);
    s = Upload(rows, 0, host_rows + first * words, count * words * 8);
    if (s.ok() && host_tombstones != nullptr) s = Upload(*tombstones, 0, host_tombstones + first / 64, (count + 63) / 64 * 8);
    if (!s.ok()) break;
    *uploaded_bytes += count * words * 8;
    const size_t kk = std::min(k, count);
    found.assign(nq * kk, {});
    s = TopK(rows, count, words, host_tombstones ? *tombstones : 0, queries, nq, kk, found.data());
    for (size_t q = 0; s.ok() && q < nq; ++q) {
      for (size_t i = 0; i < kk; ++i) {
        const Neighbor& hit = found[q * kk + i];
        if (hit.row != kNoRow) (*out)[q].push_back({hit.row + first, hit.distance});
      }
    }
  }
  Free(rows);
  Free(*tombstones);
  return s;
}

}  // namespace hvdb::kernels
