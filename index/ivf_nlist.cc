// Copyright hvdb authors.
#include "index/ivf_nlist.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "index/kmeans.h"

namespace hvdb::index {
namespace {

// The rows whose neighbours are looked at, and how many of each.
constexpr size_t kProbeRows = 256;
constexpr size_t kNeighbours = 10;
// Neighbours are looked for among this many live rows at most: a larger
// collection's are a random sample of it, where a probe's nearest rows are
// still those of its cluster unless clusters are of a few dozen rows.
constexpr size_t kNeighbourPool = size_t{1} << 18;
// Each candidate's centroids: k-means of one sample of 32768 rows (fewer
// when the pool is smaller), 5 Lloyd iterations. One sample for all, so
// that their shares compare: a sample growing with nlist (16 rows a list)
// favoured the larger candidate (on 1000 noisy clusters the share at 2048
// lists passed that at 1024, where 1024 lists give recall 0.99 at one probe
// and 2048 lists 0.87), and cost twice as much at 4096 lists. 8 rows a list
// and 3 iterations peaked at the wrong nlist.
constexpr size_t kCandidateSample = size_t{1} << 15;
constexpr size_t kCandidateIterations = 5;
// The measurement ends at the second candidate in a row below the best
// share, or at one kPastThePeak below a clustered peak (the shares of rows
// without clusters stay flat or fall as the lists shrink; those of clustered
// rows climb to their peak, with dips of a few hundredths on the way), which
// spares the largest candidates, the costliest to train.
constexpr size_t kCandidatesPastTheBest = 2;
constexpr double kPastThePeak = 0.03;
constexpr uint64_t kChoiceSeed = 0xc4005e;

size_t RootRule(size_t live) {
  const double root = std::sqrt(static_cast<double>(live));
  size_t nlist = size_t{1} << static_cast<int>(std::lround(std::log2(std::max(root, 1.0))));
  nlist = std::clamp(nlist, kMinChosenNlist, kMaxChosenNlist);
  return std::max<size_t>(1, std::min(nlist, live / 16));
}

}  // namespace

Result<NlistChoice> ChooseNlist(const RowsView& rows, const kernels::ScanOptions& scan, const BuildProgress& progress) {
  std::vector<uint32_t> pool;
  pool.reserve(rows.n);
  for (size_t r = 0; r < rows.n; ++r) {
    if (!rows.deleted(r)) pool.push_back(static_cast<uint32_t>(r));
  }
  const size_t live = pool.size();
  NlistChoice choice;
  choice.nlist = RootRule(live);
  if (live < 16 * kMinChosenNlist) return choice;

  // A random pool of live rows; its first rows are the probes, the next
  // ones each candidate's training sample.
  std::mt19937_64 rng(kChoiceSeed);
  const size_t m = std::min(live, kNeighbourPool);
  for (size_t i = 0; i < m; ++i) std::swap(pool[i], pool[std::uniform_int_distribution<size_t>(i, live - 1)(rng)]);
  pool.resize(m);
  const size_t words = rows.words;
  std::vector<uint64_t> bits(m * words);
  for (size_t i = 0; i < m; ++i) std::memcpy(&bits[i * words], rows.row(pool[i]), words * 8);

  // Each probe's kNeighbours nearest other rows of the pool (its own row, at
  // distance 0, is among the kNeighbours + 1 nearest unless kNeighbours + 1
  // copies of it come first; then the first kNeighbours are copies anyway).
  const size_t probes = kProbeRows;
  std::vector<kernels::Neighbor> nearest(probes * (kNeighbours + 1));
  HVDB_RETURN_IF_ERROR(
      kernels::TopK({bits.data(), probes, {bits.data(), m, words, nullptr}}, kNeighbours + 1, nearest.data(), scan));
  std::vector<uint64_t> points;  // per probe: itself, then its neighbours
  points.reserve(probes * (kNeighbours + 1) * words);
  for (size_t p = 0; p < probes; ++p) {
    points.insert(points.end(), &bits[p * words], &bits[(p + 1) * words]);
    size_t kept = 0;
    for (size_t j = 0; j <= kNeighbours && kept < kNeighbours; ++j) {
      const kernels::Neighbor& nb = nearest[p * (kNeighbours + 1) + j];
      if (nb.row == p) continue;
      points.insert(points.end(), &bits[nb.row * words], &bits[(nb.row + 1) * words]);
      ++kept;
    }
  }
  const size_t per_probe = kNeighbours + 1;
  std::vector<uint32_t> lists(probes * per_probe);

  const BuildProgress stop_only = [&](uint64_t, uint64_t) { return !Stopped(progress, 0, 0); };
  double best = -1;
  size_t since_best = 0;  // candidates measured since the best share
  for (size_t nlist = kMinChosenNlist; nlist <= kMaxChosenNlist && nlist * 16 <= live; nlist *= 2) {
    // The sample leaves the probes out: centroids fitted to them would
    // keep their neighbours together more often than for a query.
    const size_t sample = std::min(m - probes, kCandidateSample);
    HVDB_ASSIGN_OR_RETURN(std::vector<uint64_t> centroids,
                          BinaryKMeans(bits.data() + probes * words, sample, words,
                                       {nlist, kCandidateIterations, kChoiceSeed, progress ? stop_only : nullptr},
                                       scan));
    HVDB_RETURN_IF_ERROR(
        NearestCentroids(points.data(), probes * per_probe, centroids.data(), nlist, words, lists.data(), scan));
    size_t together = 0;
    for (size_t p = 0; p < probes; ++p) {
      for (size_t j = 1; j < per_probe; ++j) together += lists[p * per_probe + j] == lists[p * per_probe];
    }
    const double share = static_cast<double>(together) / static_cast<double>(probes * kNeighbours);
    choice.candidates.push_back({nlist, share});
    if (share > best) {
      best = share;
      since_best = 0;
      if (share >= kWholeClusters || (share >= kRisingFloor && share >= kRisingFactor * choice.candidates[0].together)) {
        choice.nlist = nlist;
        choice.clustered = true;
      }
    } else if (++since_best == kCandidatesPastTheBest || (choice.clustered && share < best - kPastThePeak)) {
      break;
    }
  }
  return choice;
}

}  // namespace hvdb::index
