// Copyright hvdb authors. One collection's rows on the search devices: the
// GPU shards (docs/gpu.md).
//
// Layout: shard j holds rows [j x capacity, (j + 1) x capacity) on device
// j % devices; capacity is a multiple of 64 rows (so each shard's slice of the
// tombstone bitmap is whole words) and grows (everything re-uploaded) until
// it reaches what the memory budget allows. Rows beyond every shard are
// streamed through a staging buffer at each search. Writes mark rows and
// tombstones dirty; the next search uploads only what changed.
//
// Thread safety: RowsChanged/TombstonesChanged/Renumbered need the cache held
// exclusively (no search runs); searches hold it shared and take the
// mirror's own lock, so GPU searches of one collection run one at a time.
#ifndef HVDB_DB_GPU_MIRROR_H_
#define HVDB_DB_GPU_MIRROR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "kernels/device/search_device.h"
#include "kernels/hamming.h"

namespace hvdb::db {

struct GpuSearchInfo {
  size_t shards = 0;          // resident shards searched
  size_t streamed_rows = 0;   // rows streamed for this search
  uint64_t uploaded_bytes = 0;  // deltas and streamed rows copied
  std::string kernel;
};

class GpuMirror {
 public:
  // budget_bytes: device memory per device it may use (0: 90% of each).
  GpuMirror(std::vector<kernels::SearchDevice*> devices, size_t words, uint64_t budget_bytes);
  ~GpuMirror();
  GpuMirror(const GpuMirror&) = delete;
  GpuMirror& operator=(const GpuMirror&) = delete;

  // Writers (the cache held exclusively).
  void RowsChanged(size_t first, size_t count);
  void TombstonesChanged() { tombstones_dirty_ = true; }
  // Row numbers changed (compaction): everything is uploaded again.
  void Renumbered();

  // Fraction of n rows a search would find resident.
  double ResidentFraction(size_t n) const;
  // Device memory the shards hold, all devices together.
  uint64_t resident_bytes() HVDB_EXCLUDES(mu_);

  // As kernels::TopK over `host` (out: nq x k), after uploading what changed.
  // REQUIRES: 1 <= k <= kMaxK.
  Status TopK(const kernels::RowsView& host, const uint64_t* queries, size_t nq, size_t k, kernels::Neighbor* out,
              GpuSearchInfo* info) HVDB_EXCLUDES(mu_);
  // As kernels::WithinRadius (out: nq vectors, replaced).
  Status WithinRadius(const kernels::RowsView& host, const uint64_t* queries, size_t nq, uint32_t radius,
                      std::vector<kernels::Neighbor>* out, GpuSearchInfo* info) HVDB_EXCLUDES(mu_);

 private:
  struct Shard {
    kernels::SearchDevice* device = nullptr;
    size_t first = 0;      // first row
    size_t uploaded = 0;   // rows [first, first + uploaded) are current on the device
    kernels::DeviceBuffer rows, tombstones;
  };
  // What one shard, or one streamed chunk, contributes to a search.
  using Searcher = std::function<Status(kernels::SearchDevice* device, kernels::SearchDevice::Handle rows, size_t n,
                                        kernels::SearchDevice::Handle tombstones, size_t first_row)>;
  // Streams rows [first, n) through a device (top-k searches).
  using Streamer = std::function<Status(kernels::SearchDevice* device, size_t first)>;
  // Brings the shards in step with host, then calls search on every shard,
  // and on every streamed chunk unless a Streamer is set (stream_), which
  // then takes the rows beyond the shards.
  Status Run(const kernels::RowsView& host, const Searcher& search, GpuSearchInfo* info) HVDB_REQUIRES(mu_);
  Status Layout(size_t n) HVDB_REQUIRES(mu_);
  void FreeAll() HVDB_REQUIRES(mu_);
  size_t BudgetRows(const kernels::SearchDevice* device) const;
  // Rows per shard the budget allows on every device.
  size_t MaxCapacity() const;

  std::vector<kernels::SearchDevice*> devices_;
  const size_t words_;
  const uint64_t budget_bytes_;
  Mutex mu_;
  size_t capacity_ HVDB_GUARDED_BY(mu_) = 0;  // rows per shard; 0: no layout yet
  std::vector<Shard> shards_ HVDB_GUARDED_BY(mu_);
  kernels::DeviceBuffer staging_rows_ HVDB_GUARDED_BY(mu_);
  kernels::DeviceBuffer staging_tombstones_ HVDB_GUARDED_BY(mu_);
  size_t staging_capacity_ HVDB_GUARDED_BY(mu_) = 0;  // rows
  // Dirty rows (half-open ranges), and whether the tombstones changed.
  // Written by the writers without mu_ (the owner's cache lock held
  // exclusively: no search runs) and by searches under mu_ (the cache lock
  // held shared): "mu_ or the owner's lock exclusively" names a lock of
  // another class, which the analysis cannot, so these are not annotated.
  std::vector<std::pair<size_t, size_t>> dirty_;
  bool tombstones_dirty_ = true;
  bool relayout_ = false;
  const Streamer* stream_ HVDB_GUARDED_BY(mu_) = nullptr;  // set for one Run
};

}  // namespace hvdb::db

#endif  // HVDB_DB_GPU_MIRROR_H_
