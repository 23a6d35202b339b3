// Copyright hvdb authors. The number of ivf lists chosen from the data
// (IndexOptions::ivf_nlist = 0).
//
// An ivf finds a query's neighbours at few probes only when its lists hold
// whole clusters. Binary k-means with fewer lists than the data has clusters
// does not group several clusters per list: the clusters left without a
// centroid of their own are about equally far from every centroid and their
// rows scatter among the lists by noise (docs/perf.md, "ivf: recall over
// nlist"). So the count is measured: for each candidate nlist (powers of two
// from kMinChosenNlist), centroids are trained on a small sample, and the
// share of a few rows' ten nearest neighbours that land in the row's own list
// is counted (an estimate of recall@10 at nprobe 1, on the low side). When
// the best candidate shows clusters (kWholeClusters below) it is chosen;
// otherwise (no clusters a list can hold, as in sentence embeddings) the
// power of two nearest sqrt(rows), where the exact scan of the probed lists
// and the ranking of the centroids cost about the same.
#ifndef HVDB_INDEX_IVF_NLIST_H_
#define HVDB_INDEX_IVF_NLIST_H_

#include <cstddef>
#include <vector>

#include "hvdb/result.h"
#include "index/rows_view.h"
#include "kernels/hamming.h"

namespace hvdb::index {

// The smallest and largest nlist chosen; a candidate also keeps 16 live rows
// per list at least.
inline constexpr size_t kMinChosenNlist = 64;
inline constexpr size_t kMaxChosenNlist = 4096;
// The data is taken to have clusters that a candidate's lists hold whole
// when its share of neighbours kept in their row's list is kWholeClusters,
// or when it is kRisingFloor and kRisingFactor times the share at
// kMinChosenNlist: without clusters, finer lists only cut more neighbours
// apart (the share falls, or stays flat), so a share that climbs as the
// lists shrink is lists finding clusters (noisy ones, where the small
// training sample gives a low share).
inline constexpr double kWholeClusters = 0.8;
inline constexpr double kRisingFloor = 0.5;
inline constexpr double kRisingFactor = 2.0;

struct NlistChoice {
  struct Candidate {
    size_t nlist = 0;
    double together = 0;  // share of the sampled rows' 10 nearest neighbours in the row's own list
  };
  size_t nlist = 0;
  bool clustered = false;            // a candidate reached kWholeClusters
  std::vector<Candidate> candidates;  // in increasing nlist, as far as measured
};

// Chooses nlist for the live rows. Deterministic for given rows. With fewer
// than 16 x kMinChosenNlist live rows there is nothing to measure: the
// sqrt rule, capped at live / 16 (1 at least). progress: asked before each
// k-means iteration (done counts nothing); false stops with Unavailable.
Result<NlistChoice> ChooseNlist(const RowsView& rows, const kernels::ScanOptions& scan,
                                const BuildProgress& progress = nullptr);

}  // namespace hvdb::index

#endif  // HVDB_INDEX_IVF_NLIST_H_
