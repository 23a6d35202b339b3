// Copyright hvdb authors. The HDC algebra: laws, agreement with plain
// per-bit references, theory (bundle distances, capacity), encoders, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "hvdb/hdc.h"
#include "tests/test_seed.h"

namespace hvdb::hdc {
namespace {

uint64_t Seed() { return testing::ProcessSeed(); }

Hypervector Rand(size_t dim, uint64_t seed) { return Hypervector::Random(dim, seed).value(); }
uint32_t Dist(const Hypervector& a, const Hypervector& b) { return HammingDistance(a, b).value(); }

TEST(HdcTest, BindIsXorAndSelfInverse) {
  const Hypervector a = Rand(1024, Seed()), b = Rand(1024, Seed() + 1), c = Rand(1024, Seed() + 2);
  const Hypervector ab = Bind(a, b).value();
  for (size_t i = 0; i < 1024; ++i) ASSERT_EQ(ab.bit(i), a.bit(i) != b.bit(i));
  EXPECT_TRUE(Unbind(ab, b).value() == a);
  EXPECT_TRUE(Bind(a, b).value() == Bind(b, a).value());
  EXPECT_TRUE(Bind(Bind(a, b).value(), c).value() == Bind(a, Bind(b, c).value()).value());
  EXPECT_TRUE(BindAll(std::vector<Hypervector>{a, b, c}).value() == Bind(ab, c).value());
  // Binding preserves distance: d(a^c, b^c) = d(a, b).
  EXPECT_EQ(Dist(Bind(a, c).value(), Bind(b, c).value()), Dist(a, b));
  const Status s = Bind(a, Rand(2048, 1)).status();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("1024 and 2048"), std::string::npos) << s.ToString();
  EXPECT_TRUE(BindAll({}).status().IsInvalidArgument());
}

// docs/format.md's tie rule, written out again from the text: a tie at
// position i takes the members' parity (XOR) at (i + D/2 + 1) mod D, XOR bit
// i of the mask, word w of which is mix(tie_seed + 9e3779b97f4a7c15 (w + 1)).
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Hypervector ReferenceBundle(const std::vector<Hypervector>& members, uint64_t tie_seed) {
  const size_t dim = members[0].dim(), m = members.size();
  Hypervector out = Hypervector::Zeros(dim).value();
  for (size_t w = 0; w < dim / 64; ++w) {
    const uint64_t mask = Mix(tie_seed + 0x9e3779b97f4a7c15ull * (w + 1));
    for (size_t b = 0; b < 64; ++b) {
      const size_t i = w * 64 + b;
      size_t ones = 0;
      bool parity = false;
      for (const auto& v : members) {
        ones += v.bit(i);
        parity ^= v.bit((i + dim / 2 + 1) % dim);
      }
      out.set_bit(i, 2 * ones > m || (2 * ones == m && (parity != static_cast<bool>((mask >> b) & 1))));
    }
  }
  return out;
}

TEST(HdcTest, BundleIsTheMajorityWithHashedTies) {
  std::mt19937_64 rng(Seed());
  for (size_t m : {1, 2, 3, 4, 7, 10, 255, 256, 1000, 1001}) {
    std::vector<Hypervector> members;
    for (size_t i = 0; i < m; ++i) members.push_back(Rand(640, rng()));
    const uint64_t tie_seed = rng();
    const Hypervector b = Bundle(members, tie_seed).value();
    EXPECT_TRUE(b == ReferenceBundle(members, tie_seed)) << "m " << m;
    // The members' order does not matter; unit weights are the plain bundle.
    std::shuffle(members.begin(), members.end(), rng);
    EXPECT_TRUE(Bundle(members, tie_seed).value() == b) << "m " << m;
    EXPECT_TRUE(WeightedBundle(members, std::vector<double>(m, 1.0), tie_seed).value() == b) << "m " << m;
    // The accumulator's bound-pair form equals bundling the bound vectors.
    BundleAccumulator acc(640);
    std::vector<Hypervector> bound;
    for (size_t i = 0; i < m; ++i) {
      acc.AddBound(members[i].data(), members[(i + 1) % m].data());
      bound.push_back(Bind(members[i], members[(i + 1) % m]).value());
    }
    EXPECT_TRUE(acc.Majority(tie_seed).value() == Bundle(bound, tie_seed).value());
  }
  EXPECT_TRUE(BundleAccumulator(64).Majority().status().IsInvalidArgument());
  EXPECT_TRUE(BundleAccumulator(64).Add(Rand(128, 1)).IsInvalidArgument());
  // Every bit tied: a fair coin each bit, uncorrelated with the members. The
  // rule sees only the decided bits, so every such bundle is the same vector.
  const auto complement = [](const Hypervector& v) {
    Hypervector out = v;
    for (size_t i = 0; i < v.dim(); ++i) out.set_bit(i, !v.bit(i));
    return out;
  };
  const Hypervector a = Rand(2048, 5), b = Rand(2048, 6);
  const Hypervector all_tied_a = Bundle(std::vector<Hypervector>{a, complement(a)}, 77).value();
  const Hypervector all_tied_b = Bundle(std::vector<Hypervector>{b, complement(b)}, 77).value();
  EXPECT_TRUE(all_tied_a == ReferenceBundle({a, complement(a)}, 77));
  EXPECT_NEAR(static_cast<double>(all_tied_a.popcount()), 1024, 4 * 22.7);
  EXPECT_TRUE(all_tied_a == all_tied_b);
  EXPECT_NEAR(static_cast<double>(Dist(all_tied_a, a)), 1024, 4 * 22.7);
  EXPECT_TRUE(Bundle({}).status().IsInvalidArgument());
  const Status mixed = Bundle(std::vector<Hypervector>{a, Rand(512, 1)}).status();
  EXPECT_TRUE(mixed.IsInvalidArgument());
  EXPECT_NE(mixed.message().find("member 1 has dim 512"), std::string::npos) << mixed.ToString();
}

TEST(HdcTest, ANoisyMemberMovesAnEvenBundleLittle) {
  // A tie reads the parity at one other position: a bit flipped in a member
  // moves at most two bits of the bundle (a hash of a whole word would
  // redraw all its tie bits: 10x the noise).
  const size_t dim = 10048;
  std::mt19937_64 rng(Seed() + 13);
  for (size_t m : {2, 4, 6}) {
    std::vector<Hypervector> members;
    for (size_t i = 0; i < m; ++i) members.push_back(Rand(dim, rng()));
    const Hypervector clean = Bundle(members).value();
    Hypervector noisy = members[0];
    for (int flips = 0; flips < 157; ++flips) {
      const size_t i = rng() % dim;
      noisy.set_bit(i, !noisy.bit(i));
    }
    const uint32_t noise = Dist(noisy, members[0]);
    members[0] = noisy;
    EXPECT_LE(Dist(Bundle(members).value(), clean), 2 * noise) << m << " members";
  }
}

TEST(HdcTest, EvenBundlesShareNoDirection) {
  // With one fixed tie vector, unrelated 2- and 4-member bundles sat at
  // 3/8 D (both follow the tie vector where both tie). Unrelated bundles must
  // sit at D/2: over 1,000 pairs, the mean within 1% of it.
  const size_t dim = 2048;
  std::mt19937_64 rng(Seed() + 11);
  for (size_t m : {2, 4}) {
    double total = 0;
    for (int pair = 0; pair < 1000; ++pair) {
      std::vector<Hypervector> x, y;
      for (size_t i = 0; i < m; ++i) {
        x.push_back(Rand(dim, rng()));
        y.push_back(Rand(dim, rng()));
      }
      total += Dist(Bundle(x).value(), Bundle(y).value());
    }
    EXPECT_NEAR(total / 1000, dim / 2.0, dim / 200.0) << m << "-member bundles";
  }
}

TEST(HdcTest, EachMemberIsItsBundlesNearestNeighbour) {
  // Each member of a bundle of 2..9 random vectors is nearer to the bundle
  // than every one of 10,000 rows: half random, half bundles of 2, 4, 6 or 8
  // other random vectors (as words are bundles of their trigrams). With one
  // shared tie vector those bundles leaned towards every even-sized bundle
  // and crowded out the members of the larger ones.
  const size_t dim = 2048;
  std::mt19937_64 rng(Seed() + 12);
  std::vector<Hypervector> rows;
  for (int i = 0; i < 10000; ++i) {
    if (i % 2 == 0) {
      rows.push_back(Rand(dim, rng()));
      continue;
    }
    std::vector<Hypervector> others;
    for (int j = 0; j < 2 * (1 + i / 2 % 4); ++j) others.push_back(Rand(dim, rng()));
    rows.push_back(Bundle(others).value());
  }
  for (size_t m = 2; m <= 9; ++m) {
    std::vector<Hypervector> members;
    for (size_t i = 0; i < m; ++i) members.push_back(Rand(dim, rng()));
    const Hypervector b = Bundle(members).value();
    uint32_t nearest_row = UINT32_MAX;
    for (const Hypervector& r : rows) nearest_row = std::min(nearest_row, Dist(b, r));
    for (size_t i = 0; i < m; ++i) {
      EXPECT_LT(Dist(b, members[i]), nearest_row) << "member " << i << " of " << m;
    }
  }
}

TEST(HdcTest, BundleMembersSitWhereTheoryPutsThem) {
  // A member agrees with the bundle of M (odd) random vectors bitwise with
  // p = 1/2 + C(M-1, (M-1)/2) / 2^M; its distance is D(1-p) +- sqrt(D p (1-p)).
  const size_t dim = 10048;
  std::mt19937_64 rng(Seed() + 3);
  for (size_t m : {3, 5, 15, 51}) {
    std::vector<Hypervector> members;
    for (size_t i = 0; i < m; ++i) members.push_back(Rand(dim, rng()));
    const Hypervector b = Bundle(members).value();
    const double p = 0.5 + std::exp(std::lgamma(m) - 2 * std::lgamma((m + 1) / 2.0) - m * std::log(2.0));
    const double mean = dim * (1 - p), sd = std::sqrt(dim * p * (1 - p));
    for (const auto& v : members) {
      EXPECT_NEAR(Dist(v, b), mean, 5 * sd) << "M " << m;
    }
    EXPECT_NEAR(Dist(Rand(dim, rng()), b), dim / 2.0, 5 * std::sqrt(dim) / 2);
  }
}

TEST(HdcTest, WeightedBundle) {
  std::mt19937_64 rng(Seed() + 4);
  std::vector<Hypervector> v;
  for (int i = 0; i < 5; ++i) v.push_back(Rand(512, rng()));
  const std::vector<double> ones(5, 1.0);
  EXPECT_TRUE(WeightedBundle(v, ones, 9).value() == Bundle(v, 9).value());
  // A dominant weight wins every bit; a negative weight pushes away.
  EXPECT_TRUE(WeightedBundle(v, std::vector<double>{10, 1, 1, 1, 1}).value() == v[0]);
  const Hypervector away = WeightedBundle(v, std::vector<double>{-10, 1, 1, 1, 1}).value();
  EXPECT_EQ(Dist(away, v[0]), 512u);
  EXPECT_TRUE(WeightedBundle(v, std::vector<double>{1, 1}).status().IsInvalidArgument());
  EXPECT_TRUE(WeightedBundle(v, std::vector<double>(5, 0.0)).status().IsInvalidArgument());
  EXPECT_TRUE(WeightedBundle(v, std::vector<double>{1, NAN, 1, 1, 1}).status().IsInvalidArgument());
}

TEST(HdcTest, PermuteRotatesAcrossWordsAndInverts) {
  std::mt19937_64 rng(Seed() + 5);
  for (size_t dim : {64, 128, 1024, 10048}) {
    const Hypervector v = Rand(dim, rng());
    const int64_t d = static_cast<int64_t>(dim);
    const std::vector<int64_t> shifts = {0, 1, 63, 64, 65, d - 1, d, d + 5, -1, -70,
                                         static_cast<int64_t>(rng() % 100000), -static_cast<int64_t>(rng() % 100000),
                                         std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
    for (int64_t shift : shifts) {
      const Hypervector p = Permute(v, shift);
      const int64_t s = ((shift % d) + d) % d;
      for (int64_t i = 0; i < d; ++i) ASSERT_EQ(p.bit(static_cast<size_t>((i + s) % d)), v.bit(i)) << shift;
      EXPECT_TRUE(InversePermute(p, shift) == v) << "dim " << dim << " shift " << shift;
    }
    EXPECT_TRUE(Permute(Permute(v, 100), 37) == Permute(v, 137));
    EXPECT_NEAR(Dist(Permute(v, 1), v), dim / 2.0, 5 * std::sqrt(dim) / 2 + 1);
  }
}

TEST(HdcTest, ZScoreAndRelated) {
  const Hypervector a = Rand(10048, Seed() + 6), b = Rand(10048, Seed() + 7);
  EXPECT_NEAR(ZScore(a, b).value(), 0.0, 5.0);
  EXPECT_DOUBLE_EQ(ZScore(a, a).value(), std::sqrt(10048.0));
  EXPECT_NEAR(ZScore(5024 - 50, 10048), 50 / (std::sqrt(10048.0) / 2), 1e-12);
  EXPECT_FALSE(Related(a, b, 6).value());
  EXPECT_TRUE(Related(a, a, 6).value());
  EXPECT_TRUE(ZScore(a, Rand(64, 1)).status().IsInvalidArgument());
}

TEST(HdcTest, SymbolsAreStable) {
  // The derivation is part of the format (docs/format.md): these words must
  // never change, or stored symbols stop matching new ones.
  EXPECT_EQ(SeedFromName("apple"), 0xba8e799dceb3bcb1ull);
  EXPECT_EQ(Symbol(42, "apple", 64).value().data()[0], 0xdce79fe111fa7a62ull);
  const Hypervector apple = Symbol(42, "apple", 128).value();
  EXPECT_TRUE(Symbol(42, "apple", 128).value() == apple);
  EXPECT_FALSE(Symbol(43, "apple", 128).value() == apple);
  EXPECT_FALSE(Symbol(42, "apples", 128).value() == apple);
  // A longer symbol extends a shorter one (Random's prefix property).
  const Hypervector wide = Symbol(42, "apple", 1024).value();
  EXPECT_EQ(wide.data()[0], apple.data()[0]);
  EXPECT_EQ(wide.data()[1], apple.data()[1]);
  EXPECT_TRUE(Symbol(1, "x", 100).status().IsInvalidArgument());
}

TEST(HdcTest, LevelAndThermometerDistancesAreLinear) {
  const size_t dim = 2048;
  const ScalarCode code{.lo = 0, .hi = 10, .levels = 11, .seed = 3};
  std::vector<Hypervector> level, thermo;
  for (int i = 0; i <= 10; ++i) {
    level.push_back(Level(i, code, dim).value());
    thermo.push_back(Thermometer(i, code, dim).value());
  }
  for (int i = 0; i <= 10; ++i) {
    for (int j = 0; j <= 10; ++j) {
      // Level k flips the first floor(k (D/2) / 10) bits of the order; the
      // thermometer sets the first floor(k D / 10).
      const auto flipped = [&](int k) { return static_cast<int64_t>(k * (dim / 2) / 10); };
      const auto set = [&](int k) { return static_cast<int64_t>(k * dim / 10); };
      EXPECT_EQ(Dist(level[i], level[j]), std::abs(flipped(i) - flipped(j))) << i << " " << j;
      EXPECT_EQ(Dist(thermo[i], thermo[j]), std::abs(set(i) - set(j)));
    }
  }
  EXPECT_EQ(Dist(level[0], level[10]), dim / 2);
  EXPECT_EQ(thermo[0].popcount(), 0u);
  EXPECT_EQ(thermo[10].popcount(), dim);
  EXPECT_TRUE(Level(-5, code, dim).value() == level[0]);  // clamped
  EXPECT_TRUE(Level(4.6, code, dim).value() == level[5]);  // rounded
  EXPECT_TRUE(Level(1, {.lo = 1, .hi = 1}, dim).status().IsInvalidArgument());
  EXPECT_TRUE(Level(1, {.levels = 1}, dim).status().IsInvalidArgument());
  EXPECT_TRUE(Level(NAN, code, dim).status().IsInvalidArgument());
}

TEST(HdcTest, CircularWrapsAround) {
  const size_t dim = 2048;
  const ScalarCode code{.lo = 0, .hi = 24, .levels = 24, .seed = 8};  // hours
  std::vector<Hypervector> h;
  for (int i = 0; i < 24; ++i) h.push_back(Circular(i, code, dim).value());
  for (int i = 0; i < 24; ++i) {
    for (int j = 0; j < 24; ++j) {
      const int around = std::min(std::abs(i - j), 24 - std::abs(i - j));
      EXPECT_NEAR(Dist(h[i], h[j]), around * (dim / 2.0) / 12, 2.0) << i << " " << j;
    }
  }
  EXPECT_TRUE(Circular(24, code, dim).value() == h[0]);
  // Each encoder has its own codebook: circular and level codes of one seed
  // are unrelated (they once shared their base vector).
  const Hypervector level0 = Level(0, {.lo = 0, .hi = 100, .seed = code.seed}, dim).value();
  EXPECT_NEAR(static_cast<double>(Dist(h[0], level0)), dim / 2.0, 4 * std::sqrt(static_cast<double>(dim)) / 2);
  EXPECT_TRUE(Circular(-1, code, dim).value() == h[23]);
}

// At the ends of the doubles x - lo and hi - lo overflow, yet each value
// gets the level the real numbers give it, and no level is cast from an
// infinity or a NaN (the UBSan build checks the casts).
TEST(HdcTest, ScalarCodesAtTheEndsOfTheDoubles) {
  const size_t dim = 2048;
  const ScalarCode unit{.lo = 0, .hi = 1, .levels = 101, .seed = 5};
  const ScalarCode wide{.lo = -1e308, .hi = 1e308, .levels = 101, .seed = 5};
  EXPECT_TRUE(Level(0, wide, dim).value() == Level(0.5, unit, dim).value());
  EXPECT_TRUE(Level(1e308, wide, dim).value() == Level(1, unit, dim).value());
  EXPECT_TRUE(Level(-1.7e308, wide, dim).value() == Level(0, unit, dim).value());
  EXPECT_TRUE(Thermometer(5e307, wide, dim).value() == Thermometer(0.75, unit, dim).value());
  EXPECT_TRUE(Circular(0, wide, dim).value() == Circular(0.5, unit, dim).value());
  // (x - lo) / (hi - lo) itself overflows: clamped to the top level; on the
  // circle no position is known, level 0.
  const ScalarCode tiny{.lo = 0, .hi = 1e-300, .levels = 100, .seed = 5};
  EXPECT_TRUE(Level(1e300, tiny, dim).value() == Level(1e-300, tiny, dim).value());
  EXPECT_TRUE(Circular(1e300, tiny, dim).value() == Circular(0, tiny, dim).value());
  // Levels beyond 2^32 would overflow level x dim.
  EXPECT_TRUE(Level(0, {.levels = size_t{1} << 32}, dim).ok());
  EXPECT_TRUE(Level(0, {.levels = (size_t{1} << 32) + 1}, dim).status().IsInvalidArgument());
  EXPECT_TRUE(Circular(0, {.levels = SIZE_MAX}, dim).status().IsInvalidArgument());
}

TEST(HdcTest, NgramSequenceRecordAndText) {
  const size_t dim = 10048;
  const Hypervector a = Symbol(1, "a", dim).value(), b = Symbol(1, "b", dim).value(), c = Symbol(1, "c", dim).value();
  const Hypervector abc = Ngram(std::vector<Hypervector>{a, b, c}).value();
  EXPECT_TRUE(abc == BindAll(std::vector<Hypervector>{Permute(a, 2), Permute(b, 1), c}).value());
  EXPECT_NEAR(Dist(abc, Ngram(std::vector<Hypervector>{c, b, a}).value()), dim / 2.0, 300);  // order matters
  const Hypervector seq = Sequence(std::vector<Hypervector>{a, b, c}).value();
  EXPECT_GT(ZScore(seq, Permute(b, 1)).value(), 20);

  // Record: unbinding a role gives its filler back, far above chance.
  const Hypervector name = Symbol(1, "name", dim).value(), age = Symbol(1, "age", dim).value();
  const Hypervector bob = Symbol(1, "bob", dim).value(), old = Symbol(1, "old", dim).value();
  const Hypervector rec = Record(std::vector<Hypervector>{name, age}, std::vector<Hypervector>{bob, old}).value();
  EXPECT_GT(ZScore(Unbind(rec, name).value(), bob).value(), 20);
  EXPECT_LT(std::abs(ZScore(Unbind(rec, name).value(), old).value()), 6);
  EXPECT_TRUE(Record(std::vector<Hypervector>{name}, std::vector<Hypervector>{}).status().IsInvalidArgument());

  // Text: similar strings are near, different ones far; Unicode letters are
  // single symbols; invalid bytes become U+FFFD.
  const Hypervector t1 = Text("the quick brown fox jumps", 3, 1, dim).value();
  const Hypervector t2 = Text("the quick brown fox jumped", 3, 1, dim).value();
  const Hypervector t3 = Text("zyxwvutsrqponmlkjihgfedcba", 3, 1, dim).value();
  EXPECT_GT(ZScore(t1, t2).value(), 30);
  EXPECT_LT(std::abs(ZScore(t1, t3).value()), 8);
  EXPECT_TRUE(Text("\xc3\xa9", 1, 1, dim).value() == Symbol(1, "\xc3\xa9", dim).value());
  EXPECT_EQ(DecodeUtf8("a\xc3\xa9\xff\xe2\x82\xac"), (std::vector<char32_t>{U'a', 0xe9, 0xfffd, 0x20ac}));
  EXPECT_TRUE(Text("ab", 3, 1, dim).value() == Ngram(std::vector<Hypervector>{a, b}).value());
  EXPECT_TRUE(Text("", 3, 1, dim).status().IsInvalidArgument());
  EXPECT_TRUE(Text("abc", 0, 1, dim).status().IsInvalidArgument());
}

TEST(HdcTest, RetrievalProbabilityMatchesSimulation) {
  const size_t dim = 256, members = 7, others = 40, trials = 3000;
  const double p = RetrievalProbability(dim, members, others).value();
  std::mt19937_64 rng(Seed() + 9);
  size_t hits = 0;
  for (size_t t = 0; t < trials; ++t) {
    std::vector<Hypervector> bundle;
    for (size_t i = 0; i < members; ++i) bundle.push_back(Rand(dim, rng()));
    const Hypervector b = Bundle(bundle, rng()).value();
    const uint32_t d = Dist(bundle[0], b);
    bool nearest = true;
    for (size_t o = 0; o < others && nearest; ++o) nearest = Dist(Rand(dim, rng()), b) > d;
    hits += nearest;
  }
  const double observed = static_cast<double>(hits) / trials;
  EXPECT_NEAR(observed, p, 4 * std::sqrt(p * (1 - p) / trials) + 1e-3) << "theory " << p;
  EXPECT_GT(p, 0.5);
  EXPECT_LT(p, 1.0);
  // More members dilute the bundle, more non-members compete: both lower it.
  EXPECT_LT(RetrievalProbability(dim, 21, others).value(), p);
  EXPECT_LT(RetrievalProbability(dim, members, 4000).value(), p);
  EXPECT_DOUBLE_EQ(RetrievalProbability(dim, 1, 10).value(), 1.0);
  EXPECT_TRUE(RetrievalProbability(dim, 0, 10).status().IsInvalidArgument());
}

}  // namespace
}  // namespace hvdb::hdc

namespace hvdb::hdc {
namespace {

TEST(HdcBatchTest, BatchFormsEqualTheSingleForms) {
  std::mt19937_64 rng(Seed() + 10);
  for (size_t dim : {64, 1024, 10048}) {
    const size_t words = dim / 64, n = 700;  // several tasks of 256 rows and a tail
    std::vector<Hypervector> a, b;
    std::vector<uint64_t> pa, pb;
    for (size_t i = 0; i < n; ++i) {
      a.push_back(Rand(dim, rng()));
      b.push_back(i % 5 == 0 ? a.back() : Rand(dim, rng()));  // some rows bind to zero
      pa.insert(pa.end(), a.back().data(), a.back().data() + words);
      pb.insert(pb.end(), b.back().data(), b.back().data() + words);
    }
    for (unsigned threads : {1u, 2u, 3u}) {
      std::vector<uint64_t> out(n * words);
      ASSERT_TRUE(BindBatch(pa.data(), pb.data(), n, dim, out.data(), false, threads).ok());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(Hypervector::FromWords(dim, {out.data() + i * words, words}).value() == Bind(a[i], b[i]).value());
      }
      ASSERT_TRUE(BindBatch(pa.data(), pb.data(), n, dim, out.data(), true, threads).ok());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(Hypervector::FromWords(dim, {out.data() + i * words, words}).value() == Bind(a[i], b[0]).value());
      }
      const int64_t shift = static_cast<int64_t>(rng() % (3 * dim)) - static_cast<int64_t>(dim);
      ASSERT_TRUE(PermuteBatch(pa.data(), n, dim, shift, out.data(), threads).ok());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(Hypervector::FromWords(dim, {out.data() + i * words, words}).value() == Permute(a[i], shift));
      }
      // Groups of 4 (ties) and of 7 members.
      for (size_t members : {4, 7}) {
        const size_t groups = n / members;
        std::vector<uint64_t> bundled(groups * words);
        ASSERT_TRUE(BundleBatch(pa.data(), groups, members, dim, bundled.data(), 99, threads).ok());
        for (size_t g = 0; g < groups; ++g) {
          const Hypervector want = Bundle(std::span(a).subspan(g * members, members), 99).value();
          ASSERT_TRUE(Hypervector::FromWords(dim, {bundled.data() + g * words, words}).value() == want);
        }
      }
    }
  }
  const std::vector<std::string_view> texts = {"hello world", "bonjour le monde", "hallo welt", "\xc3\xa9t\xc3\xa9"};
  const auto encoded = TextBatch(texts, 3, 5, 2048, 2).value();
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_TRUE(encoded[i] == Text(texts[i], 3, 5, 2048).value());
  const std::vector<std::string_view> bad = {"ok", ""};
  const Status s = TextBatch(bad, 3, 5, 2048).status();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("text 1"), std::string::npos) << s.ToString();
  uint64_t word = 0;
  EXPECT_TRUE(BindBatch(&word, nullptr, 1, 64, &word).IsInvalidArgument());
  EXPECT_TRUE(PermuteBatch(&word, 1, 100, 1, &word).IsInvalidArgument());
  EXPECT_TRUE(BundleBatch(&word, 1, 0, 64, &word).IsInvalidArgument());
}

}  // namespace
}  // namespace hvdb::hdc
