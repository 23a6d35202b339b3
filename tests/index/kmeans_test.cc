// Copyright hvdb authors. Binary k-means (index/kmeans.h) against a plain
// scalar reference: nearest centroids with ties (the smaller centroid wins),
// planted clusters recovered exactly, centroids that are the majority of
// their members, the same answer from every kernel and thread count.
#include "index/kmeans.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/test_seed.h"

namespace hvdb::index {
namespace {

using Vectors = std::vector<uint64_t>;

uint32_t Distance(const uint64_t* a, const uint64_t* b, size_t words) {
  uint32_t d = 0;
  for (size_t w = 0; w < words; ++w) d += static_cast<uint32_t>(std::popcount(a[w] ^ b[w]));
  return d;
}

// The reference: a plain scan, the first (smallest) centroid among the nearest.
std::vector<uint32_t> ReferenceNearest(const Vectors& vectors, const Vectors& centroids, size_t words) {
  const size_t n = vectors.size() / words, clusters = centroids.size() / words;
  std::vector<uint32_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t best = ~uint32_t{0}, best_c = 0;
    for (size_t c = 0; c < clusters; ++c) {
      const uint32_t d = Distance(&vectors[i * words], &centroids[c * words], words);
      if (d < best) {
        best = d;
        best_c = static_cast<uint32_t>(c);
      }
    }
    out[i] = best_c;
  }
  return out;
}

Vectors Random(size_t n, size_t words, std::mt19937_64& rng) {
  Vectors v(n * words);
  for (uint64_t& w : v) w = rng();
  return v;
}

void FlipBits(uint64_t* v, size_t words, size_t flips, std::mt19937_64& rng) {
  for (size_t f = 0; f < flips; ++f) {
    const size_t bit = rng() % (words * 64);
    v[bit / 64] ^= uint64_t{1} << (bit % 64);
  }
}

std::vector<kernels::ScanOptions> EveryKernelAndThreadCount() {
  std::vector<kernels::ScanOptions> out;
  for (kernels::Simd simd : kernels::kAllSimd) {
    if (!kernels::SimdSupported(simd)) continue;
    for (unsigned threads : {1u, 3u, 0u}) out.push_back({.simd = simd, .threads = threads});
  }
  return out;
}

std::string Describe(const kernels::ScanOptions& scan) {
  return std::string(kernels::SimdName(*scan.simd)) + ", " + std::to_string(scan.threads) + " threads";
}

TEST(NearestCentroidsTest, MatchesAScalarScanWithTies) {
  std::mt19937_64 rng(testing::ProcessSeed());
  constexpr size_t kWords = 4, kClusters = 13, kN = 9000;  // more than one 8,192-vector chunk
  Vectors centroids = Random(kClusters, kWords, rng);
  // Exact copies: ties at every distance, which the smaller centroid must win.
  std::copy_n(&centroids[2 * kWords], kWords, &centroids[7 * kWords]);
  std::copy_n(&centroids[0 * kWords], kWords, &centroids[12 * kWords]);
  Vectors vectors = Random(kN, kWords, rng);
  size_t planted_ties = 0;
  for (size_t i = 0; i < kN; ++i) {
    uint64_t* v = &vectors[i * kWords];
    const uint64_t kind = rng() % 4;
    if (kind == 0) {  // near one centroid
      std::copy_n(&centroids[(rng() % kClusters) * kWords], kWords, v);
      FlipBits(v, kWords, rng() % 20, rng);
    } else if (kind == 1) {  // halfway between two distinct centroids: a tie between them
      size_t a = rng() % kClusters, b = rng() % kClusters;
      while (b == a || Distance(&centroids[a * kWords], &centroids[b * kWords], kWords) == 0) b = rng() % kClusters;
      const uint64_t* ca = &centroids[a * kWords];
      const uint64_t* cb = &centroids[b * kWords];
      bool take_b = false;
      for (size_t w = 0; w < kWords; ++w) {
        uint64_t word = ca[w];
        for (uint64_t diff = ca[w] ^ cb[w]; diff != 0; diff &= diff - 1) {
          if (take_b) word ^= diff & -diff;  // every other differing bit from b
          take_b = !take_b;
        }
        v[w] = word;
      }
      const uint32_t da = Distance(v, ca, kWords), db = Distance(v, cb, kWords);
      if (da == db) ++planted_ties;
    }
  }
  ASSERT_GT(planted_ties, kN / 20) << "the data must hold many two-way ties";  // |D| even: half of kind 1
  const std::vector<uint32_t> expected = ReferenceNearest(vectors, centroids, kWords);
  size_t to_later_copy = 0;
  for (uint32_t c : expected) to_later_copy += c == 7 || c == 12;
  ASSERT_EQ(to_later_copy, 0u) << "the reference never picks the later copy";
  for (const kernels::ScanOptions& scan : EveryKernelAndThreadCount()) {
    std::vector<uint32_t> out(kN, ~uint32_t{0});
    ASSERT_TRUE(NearestCentroids(vectors.data(), kN, centroids.data(), kClusters, kWords, out.data(), scan).ok());
    for (size_t i = 0; i < kN; ++i) {
      ASSERT_EQ(out[i], expected[i]) << "vector " << i << ", " << Describe(scan);
    }
  }
}

TEST(NearestCentroidsTest, OneCentroidAndNoVectors) {
  std::mt19937_64 rng(testing::ProcessSeed());
  const Vectors centroid = Random(1, 2, rng);
  const Vectors vectors = Random(5, 2, rng);
  std::vector<uint32_t> out(5, 99);
  ASSERT_TRUE(NearestCentroids(vectors.data(), 5, centroid.data(), 1, 2, out.data(), {}).ok());
  EXPECT_EQ(out, std::vector<uint32_t>(5, 0));
  ASSERT_TRUE(NearestCentroids(vectors.data(), 0, centroid.data(), 1, 2, out.data(), {}).ok());
}

// Clusters around `centers` (clusters x words): `per` members each, each
// member a center with up to max_flips bits flipped, in shuffled order.
struct Planted {
  Vectors points;
  std::vector<uint32_t> truth;  // each point's cluster
};
Planted MakeClusters(const Vectors& centers, size_t words, size_t per, size_t max_flips, std::mt19937_64& rng) {
  const size_t clusters = centers.size() / words;
  std::vector<uint32_t> order;
  for (size_t c = 0; c < clusters; ++c) order.insert(order.end(), per, static_cast<uint32_t>(c));
  std::shuffle(order.begin(), order.end(), rng);
  Planted p;
  p.truth = order;
  p.points.resize(order.size() * words);
  for (size_t i = 0; i < order.size(); ++i) {
    std::copy_n(&centers[order[i] * words], words, &p.points[i * words]);
    if (max_flips > 0) FlipBits(&p.points[i * words], words, rng() % (max_flips + 1), rng);
  }
  return p;
}

// Every planted center is one of the centroids, each once, and every point's
// nearest centroid is its own cluster's.
void ExpectRecovered(const Vectors& centroids, const Vectors& centers, const Planted& p, size_t words) {
  const size_t clusters = centers.size() / words;
  ASSERT_EQ(centroids.size(), centers.size());
  std::vector<uint32_t> centroid_of(clusters);
  std::set<uint32_t> used;
  for (size_t c = 0; c < clusters; ++c) {
    size_t found = clusters;
    for (size_t j = 0; j < clusters; ++j) {
      if (std::equal(&centers[c * words], &centers[c * words] + words, &centroids[j * words])) found = j;
    }
    ASSERT_LT(found, clusters) << "planted center " << c << " is no centroid";
    centroid_of[c] = static_cast<uint32_t>(found);
    used.insert(static_cast<uint32_t>(found));
  }
  ASSERT_EQ(used.size(), clusters);
  const std::vector<uint32_t> nearest = ReferenceNearest(p.points, centroids, words);
  for (size_t i = 0; i < p.truth.size(); ++i) ASSERT_EQ(nearest[i], centroid_of[p.truth[i]]) << "point " << i;
}

// Members that are exact copies of their center: k-means++ can only seed one
// per cluster (a covered point weighs 0), so recovery is certain on any data.
TEST(BinaryKMeansTest, RecoversExactClusters) {
  std::mt19937_64 rng(testing::ProcessSeed());
  constexpr size_t kWords = 4, kClusters = 9;
  const Vectors centers = Random(kClusters, kWords, rng);
  const Planted p = MakeClusters(centers, kWords, 25, 0, rng);
  KMeansParams params{.clusters = kClusters, .iterations = 10, .seed = rng()};
  auto centroids = BinaryKMeans(p.points.data(), p.truth.size(), kWords, params, {});
  ASSERT_TRUE(centroids.ok()) << centroids.status().ToString();
  ASSERT_NO_FATAL_FAILURE(ExpectRecovered(*centroids, centers, p, kWords));
}

// Noisy members, well apart: the centers come back exactly as the members'
// majority. Fixed seeds: k-means++ may (rarely, by design) seed twice in one
// cluster, so random ones would make a flaky test; these are deterministic.
TEST(BinaryKMeansTest, RecoversNoisyClustersAsTheirMajority) {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    std::mt19937_64 rng(seed);
    constexpr size_t kWords = 8, kClusters = 6;
    const Vectors centers = Random(kClusters, kWords, rng);
    const Planted p = MakeClusters(centers, kWords, 41, 12, rng);
    KMeansParams params{.clusters = kClusters, .iterations = 20, .seed = seed};
    auto centroids = BinaryKMeans(p.points.data(), p.truth.size(), kWords, params, {});
    ASSERT_TRUE(centroids.ok()) << centroids.status().ToString();
    ASSERT_NO_FATAL_FAILURE(ExpectRecovered(*centroids, centers, p, kWords)) << "seed " << seed;
  }
}

// Converged centroids are the bitwise majority of the points nearest them
// (the scalar reference's assignment); tied bits are not checked.
TEST(BinaryKMeansTest, ConvergedCentroidsAreTheMajorityOfTheirMembers) {
  std::mt19937_64 rng(testing::ProcessSeed());
  constexpr size_t kWords = 2, kClusters = 5;
  const Vectors centers = Random(kClusters, kWords, rng);
  // Wide clusters (up to 40 of 128 bits flipped): members disagree often,
  // so the majority is a real vote.
  const Planted p = MakeClusters(centers, kWords, 30, 40, rng);
  const size_t n = p.truth.size();
  KMeansParams params{.clusters = kClusters, .iterations = 100, .seed = rng()};
  auto result = BinaryKMeans(p.points.data(), n, kWords, params, {});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Vectors& centroids = *result;
  const std::vector<uint32_t> assignment = ReferenceNearest(p.points, centroids, kWords);
  size_t checked = 0;
  for (size_t c = 0; c < kClusters; ++c) {
    size_t members = 0;
    std::vector<size_t> ones(kWords * 64, 0);
    for (size_t i = 0; i < n; ++i) {
      if (assignment[i] != c) continue;
      ++members;
      for (size_t b = 0; b < kWords * 64; ++b) ones[b] += (p.points[i * kWords + b / 64] >> (b % 64)) & 1;
    }
    if (members == 0) continue;  // a restarted cluster that lost its members again
    for (size_t b = 0; b < kWords * 64; ++b) {
      if (2 * ones[b] == members) continue;
      const bool bit = (centroids[c * kWords + b / 64] >> (b % 64)) & 1;
      ASSERT_EQ(bit, 2 * ones[b] > members) << "centroid " << c << ", bit " << b << ": " << ones[b] << " of "
                                             << members << " members set";
      ++checked;
    }
  }
  EXPECT_GT(checked, kWords * 64 * 3);
}

// Points wider than 2048 bits: Lloyd's iterations compare sketches of them
// (32 of their words, spread evenly), but the centroids are the majority of
// their members' whole rows, a tied bit taking its first member's. The data
// groups one way on the sketched words (4 groups, identical there) and
// another on the other words (two far centers, a little noise), which hold
// four times the bits: k-means over whole rows would follow the second
// grouping; this one must follow the sketch. 8 members a group, half from
// each far center, so the unsketched bits where those differ are ties.
TEST(BinaryKMeansTest, WidePointsClusterOnSketchesAndGetFullWidthCentroids) {
  std::mt19937_64 rng(testing::ProcessSeed());
  constexpr size_t kWords = 157, kGroups = 4, kPer = 8;  // 10048 bits
  std::vector<bool> sketched(kWords, false);
  for (size_t j = 0; j < 32; ++j) sketched[j * kWords / 32] = true;
  const Vectors groups = Random(kGroups, kWords, rng), far = Random(2, kWords, rng);
  std::vector<uint32_t> group_of;
  for (size_t g = 0; g < kGroups; ++g) {
    for (size_t m = 0; m < kPer; ++m) group_of.push_back(static_cast<uint32_t>(g * 2 + m % 2));
  }
  std::shuffle(group_of.begin(), group_of.end(), rng);
  const size_t n = group_of.size();
  Vectors points(n * kWords);
  for (size_t i = 0; i < n; ++i) {
    const size_t g = group_of[i] / 2, f = group_of[i] % 2;
    for (size_t w = 0; w < kWords; ++w) {
      points[i * kWords + w] = sketched[w] ? groups[g * kWords + w] : far[f * kWords + w] ^ (rng() & rng() & rng());
    }
    group_of[i] = static_cast<uint32_t>(g);
  }
  KMeansParams params{.clusters = kGroups, .iterations = 10, .seed = 7};
  for (const kernels::ScanOptions& scan : EveryKernelAndThreadCount()) {
    auto result = BinaryKMeans(points.data(), n, kWords, params, scan);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    const Vectors& centroids = *result;
    ASSERT_EQ(centroids.size(), kGroups * kWords);
    size_t ties = 0;
    std::set<size_t> used;
    for (size_t g = 0; g < kGroups; ++g) {
      // The group's centroid: the one whose sketched words are the group's.
      size_t found = kGroups;
      for (size_t c = 0; c < kGroups; ++c) {
        bool same = true;
        for (size_t w = 0; w < kWords; ++w) same = same && (!sketched[w] || centroids[c * kWords + w] == groups[g * kWords + w]);
        if (same) found = c;
      }
      ASSERT_LT(found, kGroups) << "group " << g << " has no centroid, " << Describe(scan);
      used.insert(found);
      size_t first = n;
      for (size_t i = n; i-- > 0;) {
        if (group_of[i] == g) first = i;
      }
      for (size_t b = 0; b < kWords * 64; ++b) {
        size_t ones = 0;
        for (size_t i = 0; i < n; ++i) {
          if (group_of[i] == g) ones += (points[i * kWords + b / 64] >> (b % 64)) & 1;
        }
        const bool bit = (centroids[found * kWords + b / 64] >> (b % 64)) & 1;
        const bool first_bit = (points[first * kWords + b / 64] >> (b % 64)) & 1;
        ties += 2 * ones == kPer;
        ASSERT_EQ(bit, 2 * ones == kPer ? first_bit : 2 * ones > kPer)
            << "group " << g << ", bit " << b << ": " << ones << " of " << kPer << ", " << Describe(scan);
      }
    }
    EXPECT_EQ(used.size(), kGroups) << Describe(scan);
    EXPECT_GT(ties, kGroups * 1000) << "the far centers differ in half the unsketched bits";
  }
}

// Wide copies of A (11) and B (10), three clusters: the third restarts, at
// full width, at a member of the largest, as narrow points do.
TEST(BinaryKMeansTest, AnEmptyWideClusterRestartsAtAWholeMember) {
  std::mt19937_64 rng(testing::ProcessSeed());
  constexpr size_t kWords = 40;
  const Vectors a = Random(1, kWords, rng), b = Random(1, kWords, rng);
  Vectors points;
  for (int i = 0; i < 11; ++i) points.insert(points.end(), a.begin(), a.end());
  for (int i = 0; i < 10; ++i) points.insert(points.end(), b.begin(), b.end());
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    auto centroids = BinaryKMeans(points.data(), 21, kWords, {.clusters = 3, .iterations = 5, .seed = seed}, {});
    ASSERT_TRUE(centroids.ok()) << centroids.status().ToString();
    const Vectors c0(centroids->begin(), centroids->begin() + kWords),
        c1(centroids->begin() + kWords, centroids->begin() + 2 * kWords), c2(centroids->begin() + 2 * kWords, centroids->end());
    EXPECT_TRUE((c0 == a && c1 == b) || (c0 == b && c1 == a)) << "seed " << seed;
    EXPECT_EQ(c2, a) << "seed " << seed;
  }
}

TEST(BinaryKMeansTest, SameAnswerFromEveryKernelThreadCountAndRun) {
  std::mt19937_64 rng(testing::ProcessSeed());
  constexpr size_t kWords = 3, kN = 700, kClusters = 7;
  Vectors points = Random(kN, kWords, rng);
  // Duplicates: ties between points and, once seeded, between centroids.
  for (size_t i = 0; i < 100; ++i) std::copy_n(&points[(rng() % kN) * kWords], kWords, &points[(rng() % kN) * kWords]);
  KMeansParams params{.clusters = kClusters, .iterations = 6, .seed = rng()};
  std::optional<Vectors> first;
  for (const kernels::ScanOptions& scan : EveryKernelAndThreadCount()) {
    auto centroids = BinaryKMeans(points.data(), kN, kWords, params, scan);
    ASSERT_TRUE(centroids.ok()) << centroids.status().ToString();
    ASSERT_EQ(centroids->size(), kClusters * kWords);
    if (!first) {
      first = *centroids;
    } else {
      ASSERT_EQ(*centroids, *first) << Describe(scan);
    }
  }
  params.seed += 1;
  auto other = BinaryKMeans(points.data(), kN, kWords, params, {});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *first) << "another seed, other centroids (700 random points)";
}

// Every point the same: seeding finds nothing left to cover, clusters beyond
// the first stay empty and restart at a member; every centroid is the point.
TEST(BinaryKMeansTest, IdenticalPointsGiveIdenticalCentroids) {
  std::mt19937_64 rng(testing::ProcessSeed());
  const Vectors one = Random(1, 2, rng);
  Vectors points;
  for (int i = 0; i < 10; ++i) points.insert(points.end(), one.begin(), one.end());
  KMeansParams params{.clusters = 3, .iterations = 5, .seed = rng()};
  auto centroids = BinaryKMeans(points.data(), 10, 2, params, {});
  ASSERT_TRUE(centroids.ok()) << centroids.status().ToString();
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_TRUE(std::equal(one.begin(), one.end(), centroids->begin() + static_cast<long>(c * 2))) << "centroid " << c;
  }
  // And the nearest of a point among equal centroids is the first.
  std::vector<uint32_t> out(10, 99);
  ASSERT_TRUE(NearestCentroids(points.data(), 10, centroids->data(), 3, 2, out.data(), {}).ok());
  EXPECT_EQ(out, std::vector<uint32_t>(10, 0));
}

// Two points, one cluster: the seed is one of them, and every bit where they
// differ is a tie, which keeps the seed's value: the centroid is that point.
TEST(BinaryKMeansTest, ATiedBitKeepsItsValue) {
  std::mt19937_64 rng(testing::ProcessSeed());
  for (int trial = 0; trial < 8; ++trial) {
    const Vectors points = Random(2, 2, rng);
    KMeansParams params{.clusters = 1, .iterations = 4, .seed = rng()};
    auto centroids = BinaryKMeans(points.data(), 2, 2, params, {});
    ASSERT_TRUE(centroids.ok()) << centroids.status().ToString();
    const bool first = std::equal(points.begin(), points.begin() + 2, centroids->begin());
    const bool second = std::equal(points.begin() + 2, points.end(), centroids->begin());
    EXPECT_TRUE(first || second) << "the centroid of two points must be one of them";
  }
}

// 11 copies of A and 10 of B, three clusters: the third seed duplicates A or
// B, loses every tie to the smaller centroid, and so restarts, every time, at
// a member of the largest cluster: it ends as A.
TEST(BinaryKMeansTest, AnEmptyClusterRestartsInTheLargest) {
  std::mt19937_64 rng(testing::ProcessSeed());
  const Vectors a = Random(1, 2, rng), b = Random(1, 2, rng);
  Vectors points;
  for (int i = 0; i < 11; ++i) points.insert(points.end(), a.begin(), a.end());
  for (int i = 0; i < 10; ++i) points.insert(points.end(), b.begin(), b.end());
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    KMeansParams params{.clusters = 3, .iterations = 5, .seed = seed};
    auto centroids = BinaryKMeans(points.data(), 21, 2, params, {});
    ASSERT_TRUE(centroids.ok()) << centroids.status().ToString();
    const Vectors c0(centroids->begin(), centroids->begin() + 2), c1(centroids->begin() + 2, centroids->begin() + 4),
        c2(centroids->begin() + 4, centroids->end());
    EXPECT_TRUE((c0 == a && c1 == b) || (c0 == b && c1 == a)) << "seed " << seed;
    EXPECT_EQ(c2, a) << "seed " << seed;
  }
}

TEST(BinaryKMeansTest, RefusesTooFewPointsOrNoClusters) {
  std::mt19937_64 rng(testing::ProcessSeed());
  const Vectors points = Random(4, 2, rng);
  auto none = BinaryKMeans(points.data(), 4, 2, {.clusters = 0}, {});
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(none.status().IsInvalidArgument()) << none.status().ToString();
  auto few = BinaryKMeans(points.data(), 4, 2, {.clusters = 5}, {});
  ASSERT_FALSE(few.ok());
  EXPECT_TRUE(few.status().IsInvalidArgument()) << few.status().ToString();
  EXPECT_NE(few.status().message().find("4 points for 5 clusters"), std::string::npos) << few.status().message();
  auto exact = BinaryKMeans(points.data(), 4, 2, {.clusters = 4}, {});
  EXPECT_TRUE(exact.ok()) << exact.status().ToString();
}

TEST(BinaryKMeansTest, ProgressIsAskedEachIterationAndCanStop) {
  std::mt19937_64 rng(testing::ProcessSeed());
  const Vectors points = Random(300, 2, rng);
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  KMeansParams params{.clusters = 4, .iterations = 5, .seed = 1};
  params.progress = [&](uint64_t done, uint64_t total) {
    calls.emplace_back(done, total);
    return done < 1;  // the second iteration always comes: the first has nothing to compare with
  };
  auto stopped = BinaryKMeans(points.data(), 300, 2, params, {});
  ASSERT_FALSE(stopped.ok());
  EXPECT_TRUE(stopped.status().IsUnavailable()) << stopped.status().ToString();
  ASSERT_EQ(calls.size(), 2u);
  for (uint64_t i = 0; i < 2; ++i) EXPECT_EQ(calls[i], std::make_pair(i, uint64_t{5}));
  // Never stopped: asked once an iteration, in order, until it converges.
  calls.clear();
  params.progress = [&](uint64_t done, uint64_t total) {
    calls.emplace_back(done, total);
    return true;
  };
  EXPECT_TRUE(BinaryKMeans(points.data(), 300, 2, params, {}).ok());
  ASSERT_GE(calls.size(), 2u);
  ASSERT_LE(calls.size(), 5u);
  for (uint64_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i], std::make_pair(i, uint64_t{5}));
}

}  // namespace
}  // namespace hvdb::index
