// Copyright hvdb authors. The plain scalar scan every kernel is checked against,
// and the data it is checked on.
#ifndef HVDB_TESTS_KERNELS_REFERENCE_H_
#define HVDB_TESTS_KERNELS_REFERENCE_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/hamming.h"

namespace hvdb::testing {

inline uint32_t ReferenceDistance(const uint64_t* a, const uint64_t* b, size_t words) {
  uint32_t d = 0;
  for (size_t w = 0; w < words; ++w) d += static_cast<uint32_t>(std::popcount(a[w] ^ b[w]));
  return d;
}

inline bool ReferenceDead(const std::vector<uint64_t>& tombstones, size_t row) {
  return !tombstones.empty() && ((tombstones[row / 64] >> (row % 64)) & 1u);
}

// Every live row of one query, sorted by (distance, row).
inline std::vector<kernels::Neighbor> ReferenceAll(const uint64_t* query, const std::vector<uint64_t>& rows,
                                                   size_t words, const std::vector<uint64_t>& tombstones) {
  std::vector<kernels::Neighbor> all;
  const size_t n = rows.size() / words;
  for (size_t r = 0; r < n; ++r) {
    if (ReferenceDead(tombstones, r)) continue;
    all.push_back({r, ReferenceDistance(query, rows.data() + r * words, words)});
  }
  std::sort(all.begin(), all.end(), [](const kernels::Neighbor& a, const kernels::Neighbor& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.row < b.row;
  });
  return all;
}

// Random rows and queries, with planted structure: near-duplicates of each
// query (a few bits flipped), exact copies of some rows (ties at every
// distance), and rows at equal distance from a query (ties at one distance).
struct PlantedData {
  size_t words = 0;
  std::vector<uint64_t> rows;     // n x words
  std::vector<uint64_t> queries;  // nq x words
  size_t n() const { return rows.size() / words; }
  size_t nq() const { return queries.size() / words; }
};

inline PlantedData MakePlanted(size_t n, size_t nq, size_t words, uint64_t seed) {
  std::mt19937_64 rng(seed);
  PlantedData d;
  d.words = words;
  d.rows.resize(n * words);
  d.queries.resize(nq * words);
  for (auto& w : d.rows) w = rng();
  for (auto& w : d.queries) w = rng();
  if (n == 0) return d;
  const size_t bits = words * 64;
  auto flip = [&](uint64_t* v, size_t bit) { v[bit / 64] ^= uint64_t{1} << (bit % 64); };
  for (size_t q = 0; q < nq; ++q) {
    const uint64_t* query = d.queries.data() + q * words;
    // Three near-duplicates at the same small distance: a tie among the best.
    const size_t flips = 1 + rng() % 4;
    for (int copy = 0; copy < 3; ++copy) {
      uint64_t* row = d.rows.data() + (rng() % n) * words;
      std::copy(query, query + words, row);
      for (size_t f = 0; f < flips; ++f) flip(row, (rng() % bits));
    }
  }
  // Exact duplicate rows: equal distance to every query.
  for (size_t i = 0; i < n / 16; ++i) {
    const size_t from = rng() % n, to = rng() % n;
    std::copy(d.rows.begin() + static_cast<std::ptrdiff_t>(from * words),
              d.rows.begin() + static_cast<std::ptrdiff_t>((from + 1) * words),
              d.rows.begin() + static_cast<std::ptrdiff_t>(to * words));
  }
  return d;
}

inline std::vector<uint64_t> RandomTombstones(size_t n, double fraction, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution dead(fraction);
  std::vector<uint64_t> t((n + 63) / 64, 0);
  for (size_t r = 0; r < n; ++r) {
    if (dead(rng)) t[r / 64] |= uint64_t{1} << (r % 64);
  }
  return t;
}

}  // namespace hvdb::testing

#endif  // HVDB_TESTS_KERNELS_REFERENCE_H_
