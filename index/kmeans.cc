// Copyright hvdb authors.
#include "index/kmeans.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>
#include <random>
#include <string>

#include "kernels/cpu/thread_pool.h"

namespace hvdb::index {
namespace {

// Lloyd's iterations compare points over at most this many words of each,
// spread evenly over the row. A Hamming distance over a subset of the bits
// estimates the whole one (each bit of an HDC code disagrees with the same
// probability), and 2048 bits separate the clusters of 10048-bit Fashion-MNIST
// codes nearly as well as all of them do (the same recall at nprobe 16, 0.933
// against 0.945 at nprobe 4; docs/perf.md, "ivf training on a sketch"), at a
// fifth of the cost. The centroids returned are still full rows.
constexpr size_t kSketchWords = 32;

// Words j x words / sketch_words (j < sketch_words) of each of n points.
std::vector<uint64_t> Sketch(const uint64_t* points, size_t n, size_t words, size_t sketch_words) {
  std::vector<uint64_t> out(n * sketch_words);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < sketch_words; ++j) out[i * sketch_words + j] = points[i * words + j * words / sketch_words];
  }
  return out;
}

// k-means++ seeds from points (m x words).
Status SeedPlusPlus(const uint64_t* points, size_t m, size_t words, size_t clusters, std::mt19937_64& rng,
                    const kernels::ScanOptions& scan, uint64_t* centroids) {
  std::vector<double> nearest(m, 0);
  std::vector<uint32_t> d(m);
  size_t pick = std::uniform_int_distribution<size_t>(0, m - 1)(rng);
  for (size_t c = 0; c < clusters; ++c) {
    std::memcpy(centroids + c * words, points + pick * words, words * 8);
    HVDB_RETURN_IF_ERROR(kernels::HammingDistances(centroids + c * words, points, m, words, d.data(), scan));
    double total = 0;
    for (size_t i = 0; i < m; ++i) {
      const double squared = static_cast<double>(d[i]) * d[i];
      if (c == 0 || squared < nearest[i]) nearest[i] = squared;
      total += nearest[i];
    }
    if (total == 0) {  // every point equals a seed: the rest are random points
      pick = std::uniform_int_distribution<size_t>(0, m - 1)(rng);
      continue;
    }
    double target = std::uniform_real_distribution<double>(0, total)(rng);
    pick = m - 1;
    for (size_t i = 0; i < m; ++i) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  return Status::OK();
}

// Every centroid to the majority of its members; returns the cluster sizes.
std::vector<size_t> MajorityUpdate(const uint64_t* points, size_t n, size_t words, const uint32_t* assignment,
                                   size_t clusters, unsigned threads, uint64_t* centroids) {
  std::vector<size_t> sizes(clusters, 0);
  for (size_t i = 0; i < n; ++i) ++sizes[assignment[i]];
  std::vector<size_t> start(clusters + 1, 0);
  for (size_t c = 0; c < clusters; ++c) start[c + 1] = start[c] + sizes[c];
  std::vector<uint32_t> members(n);
  {
    std::vector<size_t> at(start.begin(), start.end() - 1);
    for (size_t i = 0; i < n; ++i) members[at[assignment[i]]++] = static_cast<uint32_t>(i);
  }
  const size_t bits = words * 64;
  kernels::cpu::ThreadPool::Shared().Run(threads, threads, [&](size_t t) {
    std::vector<uint32_t> count(bits);
    for (size_t c = t; c < clusters; c += threads) {
      if (sizes[c] == 0) continue;
      std::fill(count.begin(), count.end(), 0);
      for (size_t j = start[c]; j < start[c + 1]; ++j) {
        const uint64_t* p = points + size_t{members[j]} * words;
        for (size_t w = 0; w < words; ++w) {
          for (uint64_t x = p[w]; x != 0; x &= x - 1) ++count[w * 64 + std::countr_zero(x)];
        }
      }
      uint64_t* centroid = centroids + c * words;
      for (size_t w = 0; w < words; ++w) {
        uint64_t word = centroid[w];
        for (size_t b = 0; b < 64; ++b) {
          const uint64_t twice = 2 * uint64_t{count[w * 64 + b]};
          if (twice > sizes[c]) word |= uint64_t{1} << b;
          if (twice < sizes[c]) word &= ~(uint64_t{1} << b);
        }
        centroid[w] = word;
      }
    }
  });
  return sizes;
}

// An empty cluster restarts at a random member of the largest (assignment:
// n entries; points: n x words; centroids: sizes.size() x words).
void RestartEmpty(const std::vector<size_t>& sizes, const uint32_t* assignment, size_t n, const uint64_t* points,
                  size_t words, std::mt19937_64& rng, uint64_t* centroids) {
  for (size_t c = 0; c < sizes.size(); ++c) {
    if (sizes[c] != 0) continue;
    const size_t largest = static_cast<size_t>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
    std::vector<uint32_t> candidates;
    for (size_t i = 0; i < n; ++i) {
      if (assignment[i] == largest) candidates.push_back(static_cast<uint32_t>(i));
    }
    const uint32_t chosen = candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng)];
    std::memcpy(centroids + c * words, points + size_t{chosen} * words, words * 8);
  }
}

}  // namespace

Status NearestCentroids(const uint64_t* vectors, size_t n, const uint64_t* centroids, size_t clusters, size_t words,
                        uint32_t* out, const kernels::ScanOptions& scan) {
  constexpr size_t kChunk = 8192;
  std::vector<kernels::Neighbor> nearest(std::min(n, kChunk));
  for (size_t first = 0; first < n; first += kChunk) {
    const size_t count = std::min(kChunk, n - first);
    const kernels::ScanInput input{vectors + first * words, count, {centroids, clusters, words, nullptr}};
    HVDB_RETURN_IF_ERROR(kernels::TopK(input, 1, nearest.data(), scan));
    for (size_t i = 0; i < count; ++i) out[first + i] = static_cast<uint32_t>(nearest[i].row);
  }
  return Status::OK();
}

Result<std::vector<uint64_t>> BinaryKMeans(const uint64_t* points, size_t n, size_t words, const KMeansParams& params,
                                           const kernels::ScanOptions& scan) {
  const size_t clusters = params.clusters;
  if (clusters == 0) return Status::InvalidArgument("k-means: 0 clusters");
  if (n < clusters) {
    return Status::InvalidArgument("k-means: " + std::to_string(n) + " points for " + std::to_string(clusters) +
                                   " clusters; at least one point per cluster is needed");
  }
  std::mt19937_64 rng(params.seed);
  // Seeding and Lloyd's iterations run on sketches of wide points.
  const size_t lloyd_words = std::min(words, kSketchWords);
  std::vector<uint64_t> sketch;
  if (lloyd_words < words) sketch = Sketch(points, n, words, lloyd_words);
  const uint64_t* lloyd = sketch.empty() ? points : sketch.data();
  std::vector<uint64_t> centroids(clusters * lloyd_words);
  // Seed on a random subset: k-means++ costs clusters x subset distances.
  const size_t seeding = std::min(n, std::max<size_t>(16 * clusters, 4096));
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  for (size_t i = 0; i < seeding; ++i) {
    std::swap(order[i], order[std::uniform_int_distribution<size_t>(i, n - 1)(rng)]);
  }
  std::vector<uint64_t> subset(seeding * lloyd_words);
  for (size_t i = 0; i < seeding; ++i) {
    std::memcpy(&subset[i * lloyd_words], lloyd + size_t{order[i]} * lloyd_words, lloyd_words * 8);
  }
  HVDB_RETURN_IF_ERROR(SeedPlusPlus(subset.data(), seeding, lloyd_words, clusters, rng, scan, centroids.data()));
  subset = {};

  std::vector<uint32_t> assignment(n), previous;
  for (size_t it = 0; it < params.iterations; ++it) {
    if (Stopped(params.progress, it, params.iterations)) return Status::Unavailable("training the ivf lists was cancelled");
    HVDB_RETURN_IF_ERROR(NearestCentroids(lloyd, n, centroids.data(), clusters, lloyd_words, assignment.data(), scan));
    if (assignment == previous) break;
    const std::vector<size_t> sizes = MajorityUpdate(lloyd, n, lloyd_words, assignment.data(), clusters,
                                                     kernels::ThreadsFor(scan), centroids.data());
    RestartEmpty(sizes, assignment.data(), n, lloyd, lloyd_words, rng, centroids.data());
    previous = assignment;
  }
  if (sketch.empty()) return centroids;
  // Full rows: every centroid the majority of its members' whole points (a
  // tied bit: its first member's), under the sketches' final assignment.
  HVDB_RETURN_IF_ERROR(NearestCentroids(lloyd, n, centroids.data(), clusters, lloyd_words, assignment.data(), scan));
  std::vector<uint64_t> full(clusters * words);
  std::vector<bool> seen(clusters, false);
  for (size_t i = 0; i < n; ++i) {
    if (seen[assignment[i]]) continue;
    seen[assignment[i]] = true;
    std::memcpy(&full[assignment[i] * words], points + i * words, words * 8);
  }
  const std::vector<size_t> sizes =
      MajorityUpdate(points, n, words, assignment.data(), clusters, kernels::ThreadsFor(scan), full.data());
  RestartEmpty(sizes, assignment.data(), n, points, words, rng, full.data());
  return full;
}

}  // namespace hvdb::index
