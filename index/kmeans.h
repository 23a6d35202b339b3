// Copyright hvdb authors. Binary k-means: centroids that are the bitwise
// majority (the HDC bundle) of their members, seeded by k-means++ on Hamming
// distance.
#ifndef HVDB_INDEX_KMEANS_H_
#define HVDB_INDEX_KMEANS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hvdb/result.h"
#include "index/rows_view.h"
#include "kernels/hamming.h"

namespace hvdb::index {

struct KMeansParams {
  size_t clusters = 0;
  size_t iterations = 10;
  uint64_t seed = 0;
  // Asked before each iteration (done: iterations so far); false stops the
  // training with Unavailable.
  BuildProgress progress;
};

// Centroids (clusters x words) of the n points (n x words). k-means++ seeding
// (each next seed drawn with probability proportional to its squared distance
// to the nearest seed so far) on max(16 x clusters, 4096) of the points, then
// Lloyd iterations: every point to its nearest centroid (ties: the smaller
// centroid), every centroid to the majority of its members (a tied bit keeps
// its value; an empty cluster restarts at a random member of the largest).
// Points wider than 2048 bits are seeded and iterated on sketches of 32 of
// their words, spread evenly; then every point goes to its nearest final
// sketch centroid once more, and the centroids returned are the majority of
// their members' whole points (a tied bit: the first member's; a cluster
// left empty: a random member of the largest, whole).
// Deterministic for a given seed, input and kernel-independent (every kernel
// gives the same distances). InvalidArgument when n < clusters or clusters = 0.
Result<std::vector<uint64_t>> BinaryKMeans(const uint64_t* points, size_t n, size_t words, const KMeansParams& params,
                                           const kernels::ScanOptions& scan);

// The nearest centroid of each of n vectors (n x words); ties: the smaller
// centroid. out: n entries.
Status NearestCentroids(const uint64_t* vectors, size_t n, const uint64_t* centroids, size_t clusters, size_t words,
                        uint32_t* out, const kernels::ScanOptions& scan);

}  // namespace hvdb::index

#endif  // HVDB_INDEX_KMEANS_H_
