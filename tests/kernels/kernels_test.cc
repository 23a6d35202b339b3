// Copyright hvdb authors. Every CPU kernel returns exactly what the plain scalar
// scan returns, on fresh random data with planted neighbours and ties.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cpu/kernel_table.h"
#include "kernels/hamming.h"
#include "kernels/results.h"
#include "tests/kernels/reference.h"
#include "tests/test_seed.h"

namespace hvdb::kernels {
namespace {

using testing::MakePlanted;
using testing::PlantedData;
using testing::RandomTombstones;
using testing::ReferenceDead;
using testing::ReferenceAll;
using testing::ReferenceDistance;

std::vector<Simd> SupportedKernels() {
  std::vector<Simd> out;
  for (Simd s : kAllSimd) {
    if (SimdSupported(s)) out.push_back(s);
  }
  return out;
}

// A fresh seed per run, printed so a failure can be replayed with HVDB_TEST_SEED.
uint64_t TestSeed() { return testing::ProcessSeed(); }

struct Shape {
  size_t bits;
  size_t n;
  size_t nq;
};

class KernelTest : public ::testing::TestWithParam<Simd> {
 protected:
  void SetUp() override {
    ::testing::Test::RecordProperty("seed", std::to_string(TestSeed()));
    std::cerr << "[ seed ] HVDB_TEST_SEED=" << TestSeed() << "\n";
  }
  ScanOptions Options(unsigned threads, size_t block_bytes = 0) const {
    ScanOptions o;
    o.simd = GetParam();
    o.threads = threads;
    o.block_bytes = block_bytes;
    return o;
  }
};

void ExpectTopKMatches(const PlantedData& d, const std::vector<uint64_t>& tombstones, size_t k,
                       const ScanOptions& options, const std::string& what) {
  ScanInput in{d.queries.data(), d.nq(), {d.rows.data(), d.n(), d.words,
               tombstones.empty() ? nullptr : tombstones.data()}};
  std::vector<Neighbor> got(d.nq() * k);
  ASSERT_TRUE(TopK(in, k, got.data(), options).ok()) << what;
  for (size_t q = 0; q < d.nq(); ++q) {
    std::vector<Neighbor> want = ReferenceAll(d.queries.data() + q * d.words, d.rows, d.words, tombstones);
    want.resize(std::min(want.size(), k));
    want.resize(k, Neighbor{});
    const std::vector<Neighbor> have(got.begin() + static_cast<std::ptrdiff_t>(q * k),
                                     got.begin() + static_cast<std::ptrdiff_t>((q + 1) * k));
    ASSERT_EQ(have, want) << what << " query " << q;
  }
}

void ExpectRadiusMatches(const PlantedData& d, const std::vector<uint64_t>& tombstones, uint32_t radius,
                         const ScanOptions& options, const std::string& what) {
  ScanInput in{d.queries.data(), d.nq(), {d.rows.data(), d.n(), d.words,
               tombstones.empty() ? nullptr : tombstones.data()}};
  std::vector<std::vector<Neighbor>> got(d.nq());
  ASSERT_TRUE(WithinRadius(in, radius, got.data(), options).ok()) << what;
  for (size_t q = 0; q < d.nq(); ++q) {
    std::vector<Neighbor> want = ReferenceAll(d.queries.data() + q * d.words, d.rows, d.words, tombstones);
    std::erase_if(want, [&](const Neighbor& nb) { return nb.distance > radius; });
    ASSERT_EQ(got[q], want) << what << " query " << q;
  }
}

std::string Describe(Simd simd, const Shape& s, size_t k, unsigned threads) {
  return std::string(SimdName(simd)) + " bits=" + std::to_string(s.bits) + " n=" + std::to_string(s.n) +
         " nq=" + std::to_string(s.nq) + " k=" + std::to_string(k) + " threads=" + std::to_string(threads);
}

// Dimensions the issue names; n never a multiple of 8 or of a block; nq both
// below and above the batch sizes at which kernels change layout (16 for the
// transposed AVX-512 path, 32 for AMX tiles), and one batch that the AMX
// kernel splits into several query passes (6144 bits: its widest tile case).
// 256, 384 and 512 bits: the widths the transposed passes unroll (queries
// in passes of 4 and a remainder of 2, 3 and 1, each remainder at 384 and at
// 512 bits, where avx2 prepares its queries once a pass; at least 16, so
// that a batch scan transposes, and a set shown two thirds of them keeps a
// remainder).
const Shape kShapes[] = {
    {64, 2051, 3},    {64, 1999, 37},  {256, 1501, 18},  {384, 2003, 23},  {384, 1409, 22},
    {512, 1203, 17},  {512, 1111, 22}, {1024, 2053, 5},  {1024, 1501, 33}, {2048, 2501, 2},
    {2048, 2113, 40}, {8192, 777, 4},  {8192, 913, 21},  {10048, 1203, 3}, {10048, 1117, 19},
};

TEST_P(KernelTest, PairDistanceEqualsReference) {
  std::mt19937_64 rng(TestSeed());
  for (size_t words : {1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 128, 157, 1024}) {
    std::vector<uint64_t> a(words), b(words);
    for (auto& w : a) w = rng();
    for (auto& w : b) w = rng();
    EXPECT_EQ(HammingDistance(a.data(), b.data(), words, GetParam()), ReferenceDistance(a.data(), b.data(), words))
        << "words=" << words;
    EXPECT_EQ(HammingDistance(a.data(), a.data(), words, GetParam()), 0u);
    std::vector<uint64_t> c(a);
    for (auto& w : c) w = ~w;
    EXPECT_EQ(HammingDistance(a.data(), c.data(), words, GetParam()), words * 64);
  }
}

TEST_P(KernelTest, OneQueryDistancesEqualReference) {
  for (const Shape& s : kShapes) {
    const PlantedData d = MakePlanted(s.n, 1, s.bits / 64, TestSeed() + s.bits);
    for (unsigned threads : {1u, 2u, 3u}) {
      std::vector<uint32_t> got(d.n());
      ASSERT_TRUE(HammingDistances(d.queries.data(), d.rows.data(), d.n(), d.words, got.data(), Options(threads)).ok());
      for (size_t r = 0; r < d.n(); ++r) {
        ASSERT_EQ(got[r], ReferenceDistance(d.queries.data(), d.rows.data() + r * d.words, d.words))
            << Describe(GetParam(), s, 0, threads) << " row " << r;
      }
    }
  }
}

// Several queries against rows kept transposed (an ivf's centroids): every
// pair's distance, for query counts around the four-query pass and row counts
// around the group of 8, the zero padding of the last group never counted.
TEST_P(KernelTest, DistancesToTransposedRowsEqualReference) {
  for (const size_t words : {1, 3, 6, 8, 9}) {
    for (const size_t n : {1, 7, 8, 37}) {
      for (const size_t nq : {1, 3, 4, 9}) {
        const PlantedData d = MakePlanted(n, nq, words, TestSeed() + words * 1000 + n * 10 + nq);
        TransposedRows t;
        t.Update(d.rows.data(), n, words, 0);
        std::vector<uint32_t> got(nq * n, ~0u);
        ASSERT_TRUE(HammingDistances(d.queries.data(), nq, t, got.data(), Options(1)).ok());
        for (size_t q = 0; q < nq; ++q) {
          for (size_t r = 0; r < n; ++r) {
            ASSERT_EQ(got[q * n + r], ReferenceDistance(d.queries.data() + q * words, d.rows.data() + r * words, words))
                << SimdName(GetParam()) << " words " << words << " n " << n << " nq " << nq << " query " << q
                << " row " << r;
          }
        }
      }
    }
  }
  const TransposedRows empty;
  EXPECT_TRUE(HammingDistances(nullptr, 3, empty, nullptr, Options(1)).ok());  // no rows: nothing written
}

TEST_P(KernelTest, TopKEqualsReference) {
  for (const Shape& s : kShapes) {
    const PlantedData d = MakePlanted(s.n, s.nq, s.bits / 64, TestSeed() ^ (s.bits * 31 + s.nq));
    for (unsigned threads : {1u, 2u}) {
      for (size_t k : {size_t{1}, size_t{10}, size_t{32}, size_t{33}, size_t{100}}) {
        ExpectTopKMatches(d, {}, k, Options(threads), Describe(GetParam(), s, k, threads));
      }
    }
    // Tiny blocks: many blocks per thread, the last one partial.
    ExpectTopKMatches(d, {}, 10, Options(2, 3 * d.words * 8 * 8 + 5), Describe(GetParam(), s, 10, 2) + " small blocks");
  }
}

TEST_P(KernelTest, TopKWithTombstonesEqualsReference) {
  for (const Shape& s : kShapes) {
    const PlantedData d = MakePlanted(s.n, s.nq, s.bits / 64, TestSeed() + 7 * s.bits);
    const std::vector<uint64_t> dead = RandomTombstones(d.n(), 0.3, TestSeed() + s.n);
    ExpectTopKMatches(d, dead, 16, Options(2), Describe(GetParam(), s, 16, 2) + " tombstones");
    ExpectTopKMatches(d, dead, 5, Options(1, 4096), Describe(GetParam(), s, 5, 1) + " tombstones small blocks");
  }
}

// Fewer row ranges than threads: chunks of queries run side by side too
// (lanes), alone (one range) and beside several ranges, the last lane short.
TEST_P(KernelTest, QueryLanesEqualReference) {
  for (const Shape s : {Shape{2048, 1000, 50}, Shape{2048, 2500, 77}, Shape{64, 300, 100}}) {
    const PlantedData d = MakePlanted(s.n, s.nq, s.bits / 64, TestSeed() + s.n + s.nq);
    const std::vector<uint64_t> dead = RandomTombstones(d.n(), 0.2, TestSeed() + s.nq);
    for (unsigned threads : {3u, 4u, 8u}) {
      for (size_t k : {size_t{1}, size_t{16}}) {
        ExpectTopKMatches(d, {}, k, Options(threads), Describe(GetParam(), s, k, threads) + " lanes");
      }
      ExpectTopKMatches(d, dead, 10, Options(threads), Describe(GetParam(), s, 10, threads) + " lanes, tombstones");
      ExpectRadiusMatches(d, dead, static_cast<uint32_t>(s.bits / 2 - s.bits / 64), Options(threads),
                          Describe(GetParam(), s, 0, threads) + " lanes, radius");
    }
  }
}

TEST_P(KernelTest, LargeKAndKAboveN) {
  const PlantedData d = MakePlanted(1500, 40, 32, TestSeed() + 99);
  ExpectTopKMatches(d, {}, 1024, Options(2), "k=1024");
  ExpectTopKMatches(d, {}, 2000, Options(2), "k=2000 > n=1500");
  const PlantedData small = MakePlanted(13, 17, 157, TestSeed() + 100);
  ExpectTopKMatches(small, {}, 50, Options(2), "k=50 > n=13");
  const std::vector<uint64_t> dead = RandomTombstones(13, 0.5, TestSeed());
  ExpectTopKMatches(small, dead, 50, Options(2), "k=50 > live rows");
}

TEST_P(KernelTest, AllRowsTombstonedReturnsNothing) {
  const PlantedData d = MakePlanted(1300, 40, 32, TestSeed() + 5);
  std::vector<uint64_t> dead((d.n() + 63) / 64, ~uint64_t{0});
  ScanInput in{d.queries.data(), d.nq(), {d.rows.data(), d.n(), d.words, dead.data()}};
  std::vector<Neighbor> got(d.nq() * 4, Neighbor{7, 7});
  ASSERT_TRUE(TopK(in, 4, got.data(), Options(2)).ok());
  for (const Neighbor& nb : got) EXPECT_EQ(nb, Neighbor{});
  std::vector<std::vector<Neighbor>> hits(d.nq(), std::vector<Neighbor>(3));
  ASSERT_TRUE(WithinRadius(in, 2048, hits.data(), Options(2)).ok());
  for (const auto& h : hits) EXPECT_TRUE(h.empty());
}

TEST_P(KernelTest, RadiusEqualsReference) {
  for (const Shape& s : kShapes) {
    const PlantedData d = MakePlanted(s.n, s.nq, s.bits / 64, TestSeed() + 3 * s.bits);
    const std::vector<uint64_t> dead = RandomTombstones(d.n(), 0.2, TestSeed() + 11);
    const uint32_t half = static_cast<uint32_t>(s.bits / 2);
    // Radius 0 catches nothing but exact copies; a radius near D/2 catches about half the rows.
    for (uint32_t radius : {0u, 4u, half - static_cast<uint32_t>(s.bits / 64), half}) {
      ExpectRadiusMatches(d, {}, radius, Options(2), Describe(GetParam(), s, 0, 2) + " radius " + std::to_string(radius));
      ExpectRadiusMatches(d, dead, radius, Options(1, 2048), Describe(GetParam(), s, 0, 1) + " dead radius " + std::to_string(radius));
    }
  }
}

TEST_P(KernelTest, EmptyInputs) {
  const PlantedData d = MakePlanted(100, 3, 16, TestSeed());
  ScanInput no_rows{d.queries.data(), d.nq(), {nullptr, 0, d.words, nullptr}};
  std::vector<Neighbor> got(d.nq() * 3, Neighbor{1, 1});
  ASSERT_TRUE(TopK(no_rows, 3, got.data(), Options(2)).ok());
  for (const Neighbor& nb : got) EXPECT_EQ(nb, Neighbor{});
  ScanInput no_queries{nullptr, 0, {d.rows.data(), d.n(), d.words, nullptr}};
  EXPECT_TRUE(TopK(no_queries, 3, nullptr, Options(2)).ok());
  EXPECT_TRUE(WithinRadius(no_queries, 3, nullptr, Options(2)).ok());
}

// Bit-sliced counting: every kernel equals the plain per-word definition,
// including word counts that leave a tail for the vector loops.
TEST_P(KernelTest, AddToBitPlaneMatchesTheDefinition) {
  std::mt19937_64 rng(TestSeed() + 31);
  for (size_t words : {1, 2, 3, 7, 8, 9, 16, 17, 157}) {
    for (int round = 0; round < 20; ++round) {
      std::vector<uint64_t> plane(words), carry(words);
      for (size_t w = 0; w < words; ++w) {
        plane[w] = rng();
        carry[w] = round % 5 == 0 ? 0 : rng() & rng();  // sparse carries, and none at all
      }
      std::vector<uint64_t> want_plane = plane, want_carry = carry;
      uint64_t want_any = 0;
      for (size_t w = 0; w < words; ++w) {
        want_carry[w] = plane[w] & carry[w];
        want_plane[w] = plane[w] ^ carry[w];
        want_any |= want_carry[w];
      }
      EXPECT_EQ(AddToBitPlane(plane.data(), carry.data(), words, GetParam()), want_any);
      EXPECT_EQ(plane, want_plane) << words;
      EXPECT_EQ(carry, want_carry) << words;
    }
  }
}

// The passes over a query's distances that find its k-th nearest in a small
// set (KeepNearest), against their definitions: lengths around the 16-lane
// masks, values and limits at both ends of 32 bits (AVX2 compares signed).
TEST_P(KernelTest, DistancePassesEqualTheirDefinitions) {
  const kernels::cpu::KernelTable& table = kernels::cpu::TableFor(GetParam());
  std::mt19937_64 rng(TestSeed() + 47);
  const uint32_t ends[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
  for (const size_t n : {0, 1, 15, 16, 17, 33, 100, 2048}) {
    std::vector<uint32_t> values(n);
    for (uint32_t& v : values) v = rng() % 4 == 0 ? ends[rng() % 6] : static_cast<uint32_t>(rng() % 520);
    const uint32_t least = n == 0 ? ~uint32_t{0} : *std::min_element(values.begin(), values.end());
    EXPECT_EQ(table.least(values.data(), n), least) << "n = " << n;
    std::vector<uint32_t> limits(std::begin(ends), std::end(ends));
    limits.insert(limits.end(), {least, least + 1, 100, 519});
    for (const uint32_t limit : limits) {
      std::vector<uint32_t> want;
      for (uint32_t i = 0; i < n; ++i) {
        if (values[i] <= limit) want.push_back(i);
      }
      EXPECT_EQ(table.count_at_most(values.data(), n, limit), want.size()) << "n = " << n << ", limit " << limit;
      std::vector<uint32_t> got(n);
      got.resize(table.rows_at_most(values.data(), n, limit, got.data()));
      EXPECT_EQ(got, want) << "n = " << n << ", limit " << limit;
    }
  }
}

// One collector per query across several row sets (ivf's probed lists):
// rows dealt at random to sets, each set's rows named in a shuffled order,
// some rows dead; each query scanned against the sets its number picks, in a
// random order, the first set alone, then two sets at a time on two threads
// (a query in both, its bound lowered by either). The answer is the plain
// scan over the rows it was shown. In every other case set 1 (transposed,
// no tombstones) comes first, so for top-k over rows of at most 512 bits
// its queries, none bounded yet, take the counting path (KeepNearest),
// k = 500 among them (more rows than the set holds).
TEST_P(KernelTest, SharedBoundSearchEqualsTheScanOfTheRowsShown) {
  std::mt19937_64 rng(TestSeed() + 41);
  for (const Shape& s : kShapes) {
    const PlantedData d = MakePlanted(s.n, s.nq, s.bits / 64, TestSeed() ^ (s.bits * 7 + s.nq));
    std::vector<uint64_t> dead = RandomTombstones(d.n(), 0.1, TestSeed() + s.n);
    constexpr size_t kSets = 7, kCountingSet = 1;
    static_assert(kSets % 2 == 1, "the first set alone, then two at a time");
    struct Set {
      std::vector<uint32_t> names;
      std::vector<uint64_t> rows, tombstones;
      std::vector<uint32_t> which;
      std::vector<uint64_t> queries;
    };
    std::vector<Set> sets(kSets);
    // The odd sets are also scanned from a transposed copy of their rows,
    // which the transposing kernels read for any number of queries.
    std::vector<TransposedRows> transposed(kSets);
    std::vector<uint32_t> order(d.n());
    for (uint32_t r = 0; r < d.n(); ++r) order[r] = r;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<size_t> set_of(d.n());
    for (uint32_t r : order) {
      set_of[r] = rng() % kSets;
      sets[set_of[r]].names.push_back(r);
      if (set_of[r] == kCountingSet) dead[r / 64] &= ~(uint64_t{1} << (r % 64));  // its rows all live
    }
    // Query q sees set i unless (q + i) % 3 == 0.
    auto shown = [](size_t q, size_t i) { return (q + i) % 3 != 0; };
    for (size_t i = 0; i < kSets; ++i) {
      Set& set = sets[i];
      set.tombstones.assign(set.names.size() / 64 + 1, 0);
      for (size_t j = 0; j < set.names.size(); ++j) {
        set.rows.insert(set.rows.end(), d.rows.begin() + set.names[j] * d.words,
                        d.rows.begin() + (set.names[j] + 1) * d.words);
        if (ReferenceDead(dead, set.names[j])) set.tombstones[j / 64] |= uint64_t{1} << (j % 64);
      }
      if (i % 2 == 1) transposed[i].Update(set.rows.data(), set.names.size(), d.words, 0);
      for (size_t q = 0; q < d.nq(); ++q) {
        if (!shown(q, i)) continue;
        set.which.push_back(static_cast<uint32_t>(q));
        set.queries.insert(set.queries.end(), d.queries.begin() + q * d.words, d.queries.begin() + (q + 1) * d.words);
      }
    }
    const uint32_t near = static_cast<uint32_t>(s.bits / 2 - s.bits / 32);
    struct Case {
      size_t k;
      std::optional<uint32_t> max_distance;
    };
    size_t case_number = 0;
    for (const Case& c : {Case{1, {}}, Case{10, {}}, Case{32, {}}, Case{33, {}}, Case{100, {}}, Case{10, near},
                          Case{0, near}, Case{0, 3}, Case{10, {}}, Case{100, {}}, Case{10, near}, Case{33, {}},
                          Case{500, {}}}) {
      std::string what = Describe(GetParam(), s, c.k, 2) + " max_distance " +
                         (c.max_distance ? std::to_string(*c.max_distance) : "none");
      auto search = SharedBoundSearch::Make(d.nq(), c.k, c.max_distance);
      ASSERT_TRUE(search.ok()) << search.status().ToString();
      std::vector<size_t> visit(kSets);
      for (size_t i = 0; i < kSets; ++i) visit[i] = i;
      std::shuffle(visit.begin(), visit.end(), rng);
      if (case_number++ % 2 == 0) std::swap(visit[0], *std::find(visit.begin(), visit.end(), kCountingSet));
      what += visit[0] == kCountingSet ? " (the counting set first)" : "";
      auto scan = [&](size_t i, Status* status) {
        const Set& set = sets[i];
        const RowsView rows{set.rows.data(), set.names.size(), d.words,
                            i == kCountingSet ? nullptr : set.tombstones.data()};
        *status = (*search)->Scan(set.queries.data(), set.which.data(), set.which.size(), rows, set.names.data(),
                                  Options(1), i % 2 == 1 ? &transposed[i] : nullptr);
      };
      Status alone;
      scan(visit[0], &alone);
      ASSERT_TRUE(alone.ok()) << what << ": " << alone.ToString();
      // Scanned first, the counting set (rows of at most 512 bits) keeps for
      // each query exactly its rows within the k-th distance (ties at it
      // included), or all those within max_distance when fewer: its cut is
      // that k-th distance, not a looser one (which would still give the
      // right answers, only slower).
      if (visit[0] == kCountingSet && c.k > 0 && s.bits <= 512) {
        for (size_t q = 0; q < d.nq(); ++q) {
          std::vector<Neighbor> want;
          for (const Neighbor& nb : ReferenceAll(d.queries.data() + q * d.words, d.rows, d.words, dead)) {
            if (shown(q, kCountingSet) && set_of[nb.row] == kCountingSet &&
                (!c.max_distance || nb.distance <= *c.max_distance)) {
              want.push_back(nb);
            }
          }
          if (want.size() > c.k) {
            const uint32_t kth = want[c.k - 1].distance;
            want.erase(std::find_if(want.begin(), want.end(), [&](const Neighbor& nb) { return nb.distance > kth; }),
                       want.end());
          }
          std::vector<Neighbor> kept;
          (*search)->AppendHits(q, 1, &kept);
          std::sort(kept.begin(), kept.end(), NearerFirst);
          ASSERT_EQ(kept, want) << what << " query " << q << " (kept by the counting set)";
        }
      }
      for (size_t v = 1; v + 1 < kSets; v += 2) {  // two sets at once, one per thread
        Status first, second;
        std::thread other([&] { scan(visit[v], &first); });
        scan(visit[v + 1], &second);
        other.join();
        ASSERT_TRUE(first.ok() && second.ok()) << what << ": " << first.ToString() << second.ToString();
      }
      // Every query's answer at once, merged on two threads.
      std::vector<std::vector<Neighbor>> merged;
      (*search)->AllHits(Options(2), &merged);
      ASSERT_EQ(merged.size(), d.nq()) << what;
      for (size_t q = 0; q < d.nq(); ++q) {
        std::vector<Neighbor> want;
        for (const Neighbor& nb : ReferenceAll(d.queries.data() + q * d.words, d.rows, d.words, dead)) {
          if (shown(q, set_of[nb.row]) && (!c.max_distance || nb.distance <= *c.max_distance)) want.push_back(nb);
        }
        if (c.k != 0 && want.size() > c.k) want.resize(c.k);
        ASSERT_EQ((*search)->Hits(q), want) << what << " query " << q;
        ASSERT_EQ(merged[q], want) << what << " query " << q << " (AllHits)";
        // The kept hits of a query, merged, are the same answer.
        std::vector<Neighbor> kept;
        (*search)->AppendHits(q, 1, &kept);
        MergeHits(&kept, c.k);
        ASSERT_EQ(kept, want) << what << " query " << q << " (AppendHits)";
      }
      // A range of queries: the hits kept for each of them.
      std::vector<Neighbor> all, each;
      (*search)->AppendHits(0, d.nq(), &all);
      for (size_t q = 0; q < d.nq(); ++q) (*search)->AppendHits(q, 1, &each);
      std::sort(all.begin(), all.end(), NearerFirst);
      std::sort(each.begin(), each.end(), NearerFirst);
      ASSERT_EQ(all, each) << what;
    }
  }
}

// A k so large that a thread's collectors hold only a few queries (three at
// k = kMaxK / 4 + 1, one at kMaxK): a set is scanned in passes of queries,
// and each query's bound still carries from the first set to the second.
TEST_P(KernelTest, SharedBoundSearchOfAHugeKScansInPasses) {
  constexpr size_t kWords = 2, kFirstSet = 70000, kN = 90000;
  const PlantedData d = MakePlanted(kN, 7, kWords, TestSeed() + 43);
  const std::vector<uint64_t> dead = RandomTombstones(kN, 0.05, TestSeed() + 44);
  std::vector<uint32_t> names(kN), which(d.nq());
  for (uint32_t r = 0; r < kN; ++r) names[r] = r;
  for (uint32_t q = 0; q < d.nq(); ++q) which[q] = q;
  for (const size_t k : {kMaxK / 4 + 1, kMaxK}) {
    auto search = SharedBoundSearch::Make(d.nq(), k, std::nullopt);
    ASSERT_TRUE(search.ok()) << search.status().ToString();
    // Rows [0, kFirstSet) then [kFirstSet, kN), each set with its own tombstone words.
    for (const auto& [begin, end] : {std::pair<size_t, size_t>{0, kFirstSet}, {kFirstSet, kN}}) {
      std::vector<uint64_t> tombstones((end - begin + 63) / 64);
      for (size_t r = begin; r < end; ++r) {
        if (ReferenceDead(dead, r)) tombstones[(r - begin) / 64] |= uint64_t{1} << ((r - begin) % 64);
      }
      const RowsView rows{d.rows.data() + begin * kWords, end - begin, kWords, tombstones.data()};
      ASSERT_TRUE((*search)->Scan(d.queries.data(), which.data(), d.nq(), rows, names.data() + begin, Options(1)).ok());
    }
    std::vector<std::vector<Neighbor>> all;
    (*search)->AllHits(Options(2), &all);
    ASSERT_EQ(all.size(), d.nq());
    for (size_t q = 0; q < d.nq(); ++q) {
      std::vector<Neighbor> want = ReferenceAll(d.queries.data() + q * kWords, d.rows, kWords, dead);
      want.resize(k);
      ASSERT_EQ((*search)->Hits(q), want) << SimdName(GetParam()) << " k " << k << " query " << q;
      ASSERT_EQ(all[q], want) << SimdName(GetParam()) << " k " << k << " query " << q << " (AllHits)";
    }
  }
}

TEST(SharedBoundSearchTest, BadArguments) {
  EXPECT_TRUE(SharedBoundSearch::Make(2, 0, std::nullopt).status().IsInvalidArgument());
  EXPECT_TRUE(SharedBoundSearch::Make(2, kMaxK + 1, std::nullopt).status().IsInvalidArgument());
  auto search = SharedBoundSearch::Make(2, 3, std::nullopt);
  ASSERT_TRUE(search.ok());
  const std::vector<uint64_t> rows(4 * 2), query(2);
  const std::vector<uint32_t> names = {5, 6, 7, 8};
  const uint32_t outside = 2;
  const Status s = (*search)->Scan(query.data(), &outside, 1, {rows.data(), 4, 2}, names.data(), {});
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("query 2 of 2 queries"), std::string::npos) << s.ToString();
  const uint32_t zero = 0;
  EXPECT_TRUE((*search)->Scan(query.data(), &zero, 1, {rows.data(), 4, 2}, nullptr, {}).IsInvalidArgument());
  ASSERT_TRUE((*search)->Scan(query.data(), &zero, 1, {rows.data(), 4, 2}, names.data(), {}).ok());
  // Four rows at distance 0: the three smallest names.
  EXPECT_EQ((*search)->Hits(0), (std::vector<Neighbor>{{5, 0}, {6, 0}, {7, 0}}));
  EXPECT_TRUE((*search)->Hits(1).empty());
}

// The transposed layout after rows are inserted and erased anywhere (as an
// ivf list changes): every word where the layout puts it, zero padding.
TEST(TransposedRowsTest, UpdateKeepsTheLayoutThroughInsertsAndErases) {
  std::mt19937_64 rng(TestSeed() + 45);
  for (size_t words : {1, 6, 9}) {
    std::vector<uint64_t> rows;
    TransposedRows t;
    auto expect_layout = [&](const std::string& what) {
      const size_t n = rows.size() / words;
      ASSERT_EQ(t.n(), n) << what;
      ASSERT_EQ(t.words(), words) << what;
      if (n == 0) return;
      ASSERT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u) << what;
      ASSERT_GE(t.capacity_bytes(), (n + 7) / 8 * 8 * words * 8) << what;
      for (size_t r = 0; r < (n + 7) / 8 * 8; ++r) {
        for (size_t w = 0; w < words; ++w) {
          const uint64_t want = r < n ? rows[r * words + w] : 0;
          ASSERT_EQ(t.data()[(r / 8 * words + w) * 8 + r % 8], want) << what << " row " << r << " word " << w;
        }
      }
    };
    if (words == 6) {  // room reserved up front (then grown past it: checked below)
      t.Reserve(40, words);
      EXPECT_EQ(t.capacity_bytes(), 40 * words * 8);
    }
    for (int step = 0; step < 300; ++step) {
      const size_t n = rows.size() / words;
      const bool erase = n > 0 && rng() % 3 == 0;
      const size_t at = erase ? rng() % n : rng() % (n + 1);
      if (erase) {
        rows.erase(rows.begin() + static_cast<ptrdiff_t>(at * words),
                   rows.begin() + static_cast<ptrdiff_t>((at + 1) * words));
      } else {
        std::vector<uint64_t> row(words);
        for (uint64_t& w : row) w = rng();
        rows.insert(rows.begin() + static_cast<ptrdiff_t>(at * words), row.begin(), row.end());
      }
      t.Update(rows.data(), rows.size() / words, words, at);
      expect_layout("words " + std::to_string(words) + " step " + std::to_string(step) +
                    (erase ? " erased " : " inserted ") + std::to_string(at));
    }
    EXPECT_GT(t.capacity_bytes(), 40 * words * 8) << "words " << words << ": never grew";
    // Moved: the rows go along, the moved-from object holds none.
    const uint64_t* data = t.data();
    TransposedRows moved(std::move(t));
    EXPECT_EQ(moved.data(), data);
    EXPECT_EQ(moved.n(), rows.size() / words);
    EXPECT_EQ(t.n(), 0u);  // NOLINT(bugprone-use-after-move): what a move leaves is the contract
    EXPECT_EQ(t.capacity_bytes(), 0u);
    t.Update(rows.data(), rows.size() / words, words, 19);
    std::swap(t, moved);
    expect_layout("words " + std::to_string(words) + " after a move");
  }
}

// A transposing kernel reads the transposed copy (here of other rows than
// the row-major ones, which a caller must not do) for one query as for 20
// (below amx's batch size, where amx reads the rows); a copy of another shape
// is refused.
TEST(TransposedRowsTest, TransposingKernelsReadTheCopyAndItsShapeIsChecked) {
  const PlantedData shown = MakePlanted(37, 20, 6, TestSeed() + 46);
  const PlantedData other = MakePlanted(37, 1, 6, TestSeed() + 47);
  TransposedRows t;
  t.Update(shown.rows.data(), shown.n(), shown.words, 0);
  std::vector<uint32_t> names(shown.n()), which(shown.nq());
  for (uint32_t r = 0; r < shown.n(); ++r) names[r] = r;
  for (uint32_t q = 0; q < shown.nq(); ++q) which[q] = q;
  for (const Simd simd : SupportedKernels()) {
    if (simd == Simd::kScalar) continue;  // does not transpose: reads the rows
    for (const size_t count : {size_t{1}, shown.nq()}) {
      auto search = SharedBoundSearch::Make(shown.nq(), 5, std::nullopt);
      ASSERT_TRUE(search.ok());
      ScanOptions options;
      options.simd = simd;
      options.threads = 1;
      options.block_bytes = 16 * shown.words * 8;  // blocks of 16 rows: the copy is read block by block
      ASSERT_TRUE((*search)->Scan(shown.queries.data(), which.data(), count,
                                  {other.rows.data(), other.n(), other.words}, names.data(), options, &t).ok());
      for (size_t q = 0; q < count; ++q) {
        std::vector<Neighbor> want = ReferenceAll(shown.queries.data() + q * shown.words, shown.rows, shown.words, {});
        want.resize(5);
        ASSERT_EQ((*search)->Hits(q), want) << SimdName(simd) << " count " << count << " query " << q;
      }
    }
  }
  auto search = SharedBoundSearch::Make(1, 5, std::nullopt);
  ASSERT_TRUE(search.ok());
  const RowsView fewer{shown.rows.data(), shown.n() - 1, shown.words};
  const Status s = (*search)->Scan(shown.queries.data(), which.data(), 1, fewer, names.data(), {}, &t);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("transposed rows of 37 x 6 words for a set of 36 x 6"), std::string::npos) << s.ToString();
}

INSTANTIATE_TEST_SUITE_P(AllSupported, KernelTest, ::testing::ValuesIn(SupportedKernels()),
                         [](const ::testing::TestParamInfo<Simd>& param) { return SimdName(param.param); });

// Bad arguments: a clear error naming what was wrong, and no crash.
class KernelArgumentsTest : public ::testing::Test {
 protected:
  PlantedData d = MakePlanted(64, 2, 4, 1);
  ScanInput Valid() const { return {d.queries.data(), d.nq(), {d.rows.data(), d.n(), d.words, nullptr}}; }
  std::vector<Neighbor> out = std::vector<Neighbor>(2 * 8);
};

TEST_F(KernelArgumentsTest, KZero) {
  const Status s = TopK(Valid(), 0, out.data());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("k must be at least 1"), std::string::npos) << s.ToString();
}

TEST_F(KernelArgumentsTest, KTooLarge) {
  const Status s = TopK(Valid(), kMaxK + 1, out.data());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("exceeds"), std::string::npos) << s.ToString();
}

TEST_F(KernelArgumentsTest, ZeroWords) {
  ScanInput in = Valid();
  in.rows.words = 0;
  const Status s = TopK(in, 1, out.data());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("words"), std::string::npos) << s.ToString();
}

TEST_F(KernelArgumentsTest, NullBuffers) {
  ScanInput in = Valid();
  in.rows.rows = nullptr;
  Status s = TopK(in, 1, out.data());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("rows is null"), std::string::npos) << s.ToString();
  in = Valid();
  in.queries = nullptr;
  s = WithinRadius(in, 3, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  s = TopK(Valid(), 1, nullptr);
  EXPECT_NE(s.message().find("out is null"), std::string::npos) << s.ToString();
  s = HammingDistances(d.queries.data(), d.rows.data(), d.n(), d.words, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
}

TEST_F(KernelArgumentsTest, OverflowingShape) {
  ScanInput in = Valid();
  in.rows.n = SIZE_MAX / 2;
  const Status s = TopK(in, 1, out.data());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("overflows"), std::string::npos) << s.ToString();
}

TEST(SimdNames, ParseRoundTripsAndRejectsUnknown) {
  for (Simd s : kAllSimd) {
    Result<Simd> parsed = ParseSimd(SimdName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  Result<Simd> bad = ParseSimd("avx1024");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("avx1024"), std::string::npos);
  EXPECT_TRUE(SimdSupported(Simd::kScalar));
  EXPECT_TRUE(SimdSupported(BestSupportedSimd()));
}

}  // namespace
}  // namespace hvdb::kernels
