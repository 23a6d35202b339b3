// Copyright hvdb authors. The ivf index: rows grouped in lists around binary
// k-means centroids; a search scans the lists of the nprobe centroids nearest
// the query. IvfLists is the trained state; IvfIndex the Index over it, which
// trains once the collection holds 4 x nlist rows (until then it declines
// and the flat scan answers) and asks to be retrained when its lists drift.
//
// Each list holds its rows' numbers (increasing) and a copy of their bits
// (rows x words, contiguous), so a probe is one sequential scan with the
// ordinary kernels and ties still go to the smaller row. The copy doubles the
// memory of the indexed vectors; that is the price of contiguous lists. Over
// rows of at most 512 bits a list also keeps its bits transposed (ivf.cc,
// kTransposedMaxWords), which triples it.
//
// Persistence: the centroids and each row's list are a file (Save, Open),
// so that an open does not assign every row again; rows the file does not
// describe as they are (written after it, their bits changed since) are
// assigned at open, so an older file costs time, never a wrong list.
//
// Thread safety: const methods may run concurrently; the others need
// exclusive access (the collection's cache lock).
#ifndef HVDB_INDEX_IVF_H_
#define HVDB_INDEX_IVF_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/mutex.h"
#include "hvdb/result.h"
#include "index/index.h"
#include "index/ivf_nlist.h"
#include "kernels/device/search_device.h"
#include "kernels/hamming.h"

namespace hvdb::index {

// The lists' codes on a search device for IvfLists::Search, each uploaded
// again only when its list changed. Owned by the caller; one search at a time.
class IvfDeviceLists {
 public:
  explicit IvfDeviceLists(kernels::SearchDevice* device) : device_(device) {}
  IvfDeviceLists(const IvfDeviceLists&) = delete;
  IvfDeviceLists& operator=(const IvfDeviceLists&) = delete;
  kernels::SearchDevice* device() const { return device_; }

 private:
  friend class IvfLists;
  struct Entry {
    kernels::DeviceBuffer codes;
    size_t capacity = 0;  // rows
    uint64_t version = 0; // of the list uploaded; 0: none
  };
  kernels::SearchDevice* device_;
  std::vector<Entry> lists_;
};

class IvfLists {
 public:
  // Trains nlist centroids on a sample of the live rows (64 x nlist of them at
  // most) and assigns every live row. InvalidArgument when fewer live rows
  // than nlist.
  // progress: asked before each k-means iteration; false stops with Unavailable.
  static Result<std::unique_ptr<IvfLists>> Train(const RowsView& rows, size_t nlist, size_t iterations,
                                                 const kernels::ScanOptions& scan, const BuildProgress& progress = nullptr);
  // An index over `centroids` (nlist x rows.words) with every live row in a
  // list (an open): row r in known[r] (each below nlist) when known is set
  // and that is not kNoRow32, else in the list of its nearest centroid;
  // trained_rows and trained_imbalance as recorded at training.
  static Result<std::unique_ptr<IvfLists>> FromCentroids(std::vector<uint64_t> centroids, size_t nlist,
                                                         uint64_t trained_rows, double trained_imbalance,
                                                         const RowsView& rows, const kernels::ScanOptions& scan,
                                                         const uint32_t* known = nullptr);

  size_t nlist() const { return nlist_; }
  size_t words() const { return words_; }
  const std::vector<uint64_t>& centroids() const { return centroids_; }
  uint64_t rows() const { return rows_; }
  uint64_t trained_rows() const { return trained_rows_; }
  double trained_imbalance() const { return trained_imbalance_; }
  // nlist x sum of squared list sizes / rows^2: 1 when every list is equal.
  double Imbalance() const;
  uint64_t memory_bytes() const;
  size_t list_size(size_t list) const { return lists_[list].rows.size(); }
  // The list holding `row`; kNoRow32 when it holds none.
  uint32_t list_of(uint32_t row) const { return row < list_of_row_.size() ? list_of_row_[row] : kNoRow32; }

  // The nearest list of each of n vectors (n x words).
  Status Assign(const uint64_t* vectors, size_t n, uint32_t* lists, const kernels::ScanOptions& scan) const;

  // Writers. Add puts `row` (not held) with its bits in `list`; Remove takes a
  // held row out (no-op for a row not held).
  void Add(uint32_t row, const uint64_t* bits, uint32_t list);
  void Remove(uint32_t row);
  // Renumbers the rows held as the cache's compaction does (before: the cache
  // just before it compacts; every row held is live there).
  void Compact(const RowsView& before);

  // For each query (nq x words) the k nearest rows held (k = 0: every row
  // within max_distance) among the nprobe lists nearest to it, nearest first,
  // ties to the smaller row; only hits within max_distance when set.
  // nprobe >= nlist scans every list: the exact answer. rows_scanned: rows
  // compared, centroids included.
  // With `device`, the probed lists are scanned there (same answers; the
  // centroids are still ranked on the CPU).
  Status Search(const uint64_t* queries, size_t nq, size_t k, std::optional<uint32_t> max_distance, size_t nprobe,
                const kernels::ScanOptions& scan, std::vector<std::vector<kernels::Neighbor>>* out,
                uint64_t* rows_scanned, IvfDeviceLists* device = nullptr) const;

 private:
  struct List {
    std::vector<uint32_t> rows;   // increasing
    std::vector<uint64_t> codes;  // rows.size() x words
    kernels::TransposedRows transposed;  // codes again, over narrow rows only (ivf.cc)
    uint64_t version = 0;         // a process-wide fresh number at every change of codes
  };
  IvfLists(std::vector<uint64_t> centroids, size_t nlist, size_t words);
  // The nprobe centroids nearest to each query (nq x words), nearest first,
  // ties to the smaller list: probes[q * nprobe, +nprobe).
  Status RankLists(const uint64_t* queries, size_t nq, size_t nprobe, const kernels::ScanOptions& scan,
                   kernels::Neighbor* probes) const;
  // Search's device half, given each query's probes (nq x nprobe).
  Status SearchOnDevice(const uint64_t* queries, size_t nq, size_t k, std::optional<uint32_t> max_distance,
                        size_t nprobe, const std::vector<kernels::Neighbor>& probes,
                        std::vector<std::vector<kernels::Neighbor>>* out, IvfDeviceLists* device) const;
  // Adds every live row: to known[r] when set (see FromCentroids), else to
  // the list of its nearest centroid.
  Status AssignAll(const RowsView& rows, const kernels::ScanOptions& scan, const uint32_t* known);

  size_t nlist_;
  size_t words_;
  std::vector<uint64_t> centroids_;  // nlist x words
  kernels::TransposedRows centroid_groups_;  // centroids_ again, transposed, over narrow rows only (ivf.cc)
  std::vector<List> lists_;
  std::vector<uint32_t> list_of_row_;  // per cache row; kNoRow32 when not held
  uint64_t rows_ = 0;
  uint64_t trained_rows_ = 0;
  double trained_imbalance_ = 1.0;
};

class IvfIndex final : public Index {
 public:
  // Untrained; options: the collection's (ivf_* fields); upkeep: the scan
  // the write hooks assign rows to lists with.
  IvfIndex(const IndexOptions& options, const kernels::ScanOptions& upkeep) : options_(options), upkeep_(upkeep) {}

  IndexKind kind() const override { return IndexKind::kIvf; }
  uint64_t memory_bytes() const override { return trained_ ? trained_->memory_bytes() : 0; }
  uint64_t trained_lists() const override { return trained_ ? trained_->nlist() : 0; }
  const IvfLists* trained() const { return trained_.get(); }
  // Live rows it needs before it trains.
  // nlist 0 (chosen from the data at each training, index/ivf_nlist.h): 16
  // rows per list of the fewest lists it chooses.
  uint64_t training_rows() const {
    return options_.ivf_nlist == 0 ? 16 * uint64_t{kMinChosenNlist} : 4 * uint64_t{options_.ivf_nlist};
  }
  // "ivf index (nlist 1024, chosen from the data)" once trained.
  std::string Summary() const override;

  // Declines while untrained.
  std::string Declines(const RowsView& rows, const SearchRequest& request) const override;
  bool SearchesOnDevice() const override { return true; }
  // On request.device: the probed lists scanned there, from copies kept
  // while the lists do not change (one device search at a time).
  Status Search(const RowsView& rows, const SearchRequest& request, SearchResult* result) const override
      HVDB_EXCLUDES(device_mu_);

  void Appended(const RowsView& rows, size_t first) override;
  void Overwritten(const RowsView& rows, uint32_t row) override;
  void Removing(const RowsView& rows, uint32_t row) override;
  void Compacting(const RowsView& before) override;
  // Untrained with enough live rows, or trained and the rows have doubled
  // or the lists' imbalance passed ivf_retrain_imbalance x its trained value.
  bool RebuildDue(const RowsView& rows) const override;

  // The file (when trained; nothing otherwise): "HVDBIVFL", version, nlist,
  // words, trained_rows, trained_imbalance, the number of rows, the
  // centroids, then per row held, in row order: its id, its list and the
  // CRC-32C of its bits; then the checksum trailer (index/checked_file.h),
  // all little endian (docs/format.md). REQUIRES: rows.ids.
  Status Save(const ByteSink& sink, const RowsView& rows) const override;
  bool dirty() const override { return dirty_; }
  void MarkSaved() const override { dirty_ = false; }

  // The table's entries (registry.cc): trained when there are enough live
  // rows; opened from the file, which is reconciled with the rows: a row
  // keeps its saved list when the file names its id with the checksum of
  // the bits it holds, the others go to their nearest centroid. NotFound
  // when there is no file or it is for another nlist or dimension;
  // Corruption naming the problem when it is damaged.
  static Result<std::unique_ptr<Index>> Build(const IndexOptions& options, const RowsView& rows,
                                              const kernels::ScanOptions& scan, const BuildProgress& progress);
  static Result<std::unique_ptr<Index>> Open(const IndexOptions& options, const SavedState& state,
                                             const RowsView& rows, const kernels::ScanOptions& scan);
  static const IndexType kType;

 private:

  IndexOptions options_;
  kernels::ScanOptions upkeep_;
  std::unique_ptr<IvfLists> trained_;  // null until trained, or after an upkeep failure
  mutable Mutex device_mu_;
  mutable std::unique_ptr<IvfDeviceLists> device_lists_ HVDB_GUARDED_BY(device_mu_);
  mutable std::atomic<bool> dirty_{true};  // MarkSaved (const, at close or checkpoint) clears it
};

}  // namespace hvdb::index

#endif  // HVDB_INDEX_IVF_H_
