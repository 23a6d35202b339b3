// Copyright hvdb authors. The scan shared by every CPU kernel.
//
// Included by one per-ISA file, which then defines, in an anonymous namespace,
// a struct `Isa` (the name is free) with:
//   static constexpr Simd kSimd;
//   static uint32_t Pair(const uint64_t* a, const uint64_t* b, size_t words);
//   // Optional (default: Pair for each row): distances of q to 8 consecutive
//   // rows (row-major at rows), into dist[8]; returns the bitmask of lanes with
//   // distance < threshold.
//   static unsigned Group8(const uint64_t* rows, size_t words, const uint64_t* q,
//                          uint64_t threshold, uint32_t* dist);
//   static constexpr bool kTransposes;  // when true also:
//   // Writes rows [0, count) as groups of 8 rows, word-major inside a group
//   // (word w of row 8g+j at scratch[(g * words + w) * 8 + j]), padding the
//   // last group with zero rows.
//   static void Transpose(const uint64_t* rows, size_t count, size_t words, uint64_t* scratch);
//   // Group8 over one transposed group for Q (1 to kQueriesPerPass = 4)
//   // consecutive queries (Q x words) and their collectors' thresholds:
//   // lane masks into masks[j]; returns their OR, and when it is not 0 the
//   // distances are written (into dist[j][8]; they may be written always).
//   template <size_t Q>
//   static unsigned Group8TQ(const uint64_t* group, size_t words, const uint64_t* queries,
//                            const Collector* collectors, uint32_t (*dist)[8], unsigned* masks);
//   // Optional, for rows of W words known at compile time (4, 6 or 8): a
//   // pass's Q queries prepared once for all its groups, so that
//   // PreparedQueries<Q, W>(queries).Group8(group, collectors, dist, masks)
//   // stands for Group8TQ<Q>(group, W, queries, collectors, dist, masks).
//   template <size_t Q, size_t W> struct PreparedQueries;
//   static constexpr size_t kTransposeMinQueries;  // batches this large transpose
//   static constexpr size_t kBlockBytes;
//   // Optional (default: one compare a lane): bit j set when values[j] <=
//   // limit, for j < 16.
//   static uint32_t AtMost16(const uint32_t* values, uint32_t limit);
//   // Optional (default: AtMost16's lanes one by one): the places first + j
//   // of those lanes, in order, into rows[0, returned); may write all of
//   // rows[0, 16).
//   static uint32_t RowsAtMost16(const uint32_t* values, uint32_t limit, uint32_t first, uint32_t* rows);
// Everything here has internal linkage (see kernel_table.h for why).
#ifndef HVDB_KERNELS_CPU_KERNEL_IMPL_H_
#define HVDB_KERNELS_CPU_KERNEL_IMPL_H_

#include <type_traits>

#include "kernels/cpu/kernel_table.h"
#include "kernels/cpu/transpose_groups.h"

namespace hvdb::kernels::cpu {
namespace {

inline size_t MinSize(size_t a, size_t b) { return a < b ? a : b; }

// Bit j set when row r + j (j < count <= 8) is live.
inline unsigned LiveMask(const uint64_t* tombstones, size_t r, size_t count) {
  const unsigned all = (1u << count) - 1;
  if (tombstones == nullptr) return all;
  const size_t word = r / 64;
  const unsigned shift = static_cast<unsigned>(r % 64);
  uint64_t dead = tombstones[word] >> shift;
  if (shift + count > 64) dead |= tombstones[word + 1] << (64 - shift);
  return ~static_cast<unsigned>(dead) & all;
}

inline bool IsLive(const uint64_t* tombstones, size_t r) {
  return tombstones == nullptr || ((tombstones[r / 64] >> (r % 64)) & 1u) == 0;
}

// Offers lanes of `mask` in increasing row order, rechecking the threshold,
// which tightens as the collector fills.
inline void OfferLanes(Collector& c, unsigned mask, const uint32_t* dist, size_t r) {
  while (mask != 0) {
    const unsigned j = static_cast<unsigned>(__builtin_ctz(mask));
    mask &= mask - 1;
    if (dist[j] < c.threshold) c.Offer(dist[j], r + j);
  }
}

template <typename I>
unsigned Group8Of(const uint64_t* rows, size_t words, const uint64_t* q, uint64_t threshold, uint32_t* dist) {
  if constexpr (requires { I::Group8(rows, words, q, threshold, dist); }) {
    return I::Group8(rows, words, q, threshold, dist);
  } else {
    unsigned mask = 0;
    for (unsigned j = 0; j < 8; ++j) {
      dist[j] = I::Pair(q, rows + j * words, words);
      if (dist[j] < threshold) mask |= 1u << j;
    }
    return mask;
  }
}

constexpr size_t kQueriesPerPass = 4;

// Queries [0, nq) in passes of kQueriesPerPass, the last pass with those
// left: pass(std::integral_constant<size_t, Q>{}, first) for queries
// [first, first + Q), so that each pass runs with Q known at compile time.
template <typename Pass>
void ForEachQueryPass(size_t nq, Pass&& pass) {
  static_assert(kQueriesPerPass == 4, "one case per pass width below");
  for (size_t first = 0; first < nq; first += kQueriesPerPass) {
    switch (MinSize(kQueriesPerPass, nq - first)) {
      case 4: pass(std::integral_constant<size_t, 4>{}, first); break;
      case 3: pass(std::integral_constant<size_t, 3>{}, first); break;
      case 2: pass(std::integral_constant<size_t, 2>{}, first); break;
      default: pass(std::integral_constant<size_t, 1>{}, first); break;
    }
  }
}

template <typename I>
uint32_t PairOf(const uint64_t* a, const uint64_t* b, size_t words) {
  return I::Pair(a, b, words);
}

template <typename I>
void DistancesOf(const uint64_t* query, const uint64_t* rows, size_t n, size_t words, uint32_t* out) {
  size_t r = 0;
  for (; r + 8 <= n; r += 8) Group8Of<I>(rows + r * words, words, query, 0, out + r);
  for (; r < n; ++r) out[r] = I::Pair(query, rows + r * words, words);
}

// One pass of Q queries (Q x words at queries, their collectors) over the
// transposed groups of rows [b0, b1) at `groups`; rows of W words (0: of
// t.words, known only at run time).
template <typename I, size_t Q, size_t W>
void ScanTransposedPass(const ScanTask& t, const uint64_t* groups, size_t b0, size_t b1, const uint64_t* queries,
                        Collector* collectors) {
  const size_t words = W != 0 ? W : t.words;
  uint32_t dist[Q][8];
  unsigned masks[Q];
  // The ISA's PreparedQueries where it has them for W (see the top).
  constexpr bool kPrepared = W != 0 && requires { typename I::template PreparedQueries<Q, W>; };
  const auto prepared = [&] {
    if constexpr (kPrepared) {
      return typename I::template PreparedQueries<Q, W>(queries);
    } else {
      return 0;
    }
  }();
  const uint64_t* group = groups;
  for (size_t r = b0; r < b1; r += 8, group += words * 8) {
    unsigned any;
    if constexpr (kPrepared) {
      any = prepared.Group8(group, collectors, dist, masks);
    } else {
      any = I::template Group8TQ<Q>(group, words, queries, collectors, dist, masks);
    }
    if (any == 0) continue;
    const unsigned live = LiveMask(t.tombstones, r, MinSize(8, b1 - r));
    for (size_t j = 0; j < Q; ++j) {
      if ((masks[j] & live) != 0) OfferLanes(collectors[j], masks[j] & live, dist[j], r);
    }
  }
}

// Q queries' distances to every row of the groups, into out (row stride n).
template <typename I, size_t Q>
void TransposedDistancesPass(const uint64_t* queries, const uint64_t* groups, size_t n, size_t words, uint32_t* out) {
  Collector admit_all[Q];  // thresholds no distance reaches, so every lane's distance is written
  for (Collector& c : admit_all) c.threshold = ~uint64_t{0};
  uint32_t dist[Q][8];
  unsigned masks[Q];
  for (size_t r = 0; r < n; r += 8, groups += words * 8) {
    I::template Group8TQ<Q>(groups, words, queries, admit_all, dist, masks);
    // A whole group's eight lanes are copied without a bound test per lane,
    // which kept the compiler from copying them as one vector (2% to 3% of
    // an ivf search over 384-bit rows, whose nearest lists are ranked so).
    if (r + 8 <= n) {
      for (size_t j = 0; j < Q; ++j) {
        for (size_t lane = 0; lane < 8; ++lane) out[j * n + r + lane] = dist[j][lane];
      }
    } else {
      for (size_t j = 0; j < Q; ++j) {
        for (size_t lane = 0; r + lane < n; ++lane) out[j * n + r + lane] = dist[j][lane];
      }
    }
  }
}

template <typename I>
void TransposedDistancesOf(const uint64_t* queries, size_t nq, const uint64_t* groups, size_t n, size_t words,
                           uint32_t* out) {
  if constexpr (I::kTransposes) {
    ForEachQueryPass(nq, [&](auto queries_in_pass, size_t q) {
      TransposedDistancesPass<I, decltype(queries_in_pass)::value>(queries + q * words, groups, n, words, out + q * n);
    });
  } else {  // lane by lane
    for (size_t q = 0; q < nq; ++q) {
      for (size_t r = 0; r < n; ++r) {
        const uint64_t* lane = groups + (r / 8 * words * 8) + r % 8;
        const uint64_t* query = queries + q * words;
        uint32_t d = 0;
        for (size_t w = 0; w < words; ++w) d += static_cast<uint32_t>(__builtin_popcountll(lane[w * 8] ^ query[w]));
        out[q * n + r] = d;
      }
    }
  }
}

// ScanTransposedPass with the width known at compile time for rows of 4, 6
// or 8 words (256, 384, 512 bits: sentence embeddings' codes, where a group
// costs few operations and the word loop's own costs showed), so that the
// compiler unrolls the words.
template <typename I, size_t Q>
void ScanTransposedPassOfWidth(const ScanTask& t, const uint64_t* groups, size_t b0, size_t b1,
                               const uint64_t* queries, Collector* collectors) {
  switch (t.words) {
    case 4: return ScanTransposedPass<I, Q, 4>(t, groups, b0, b1, queries, collectors);
    case 6: return ScanTransposedPass<I, Q, 6>(t, groups, b0, b1, queries, collectors);
    case 8: return ScanTransposedPass<I, Q, 8>(t, groups, b0, b1, queries, collectors);
    default: return ScanTransposedPass<I, Q, 0>(t, groups, b0, b1, queries, collectors);
  }
}

// Transposed blocks (rows [b0, b1) as groups of 8 from `groups`): queries in
// passes of kQueriesPerPass, each pass walking the groups in row order.
template <typename I>
void ScanTransposedBlock(const ScanTask& t, const uint64_t* groups, size_t b0, size_t b1) {
  ForEachQueryPass(t.nq, [&](auto queries_in_pass, size_t qi) {
    ScanTransposedPassOfWidth<I, decltype(queries_in_pass)::value>(t, groups, b0, b1, t.queries + qi * t.words,
                                                                   t.collectors + qi);
  });
}

template <typename I>
void ScanRowMajorBlock(const ScanTask& t, size_t b0, size_t b1) {
  const size_t words = t.words;
  uint32_t dist[8];
  for (size_t qi = 0; qi < t.nq; ++qi) {
    Collector& c = t.collectors[qi];
    const uint64_t* q = t.queries + qi * words;
    size_t r = b0;
    for (; r + 8 <= b1; r += 8) {
      const unsigned mask = Group8Of<I>(t.rows + r * words, words, q, c.threshold, dist);
      if (mask != 0) OfferLanes(c, mask & LiveMask(t.tombstones, r, 8), dist, r);
    }
    for (; r < b1; ++r) {
      if (!IsLive(t.tombstones, r)) continue;
      const uint32_t d = I::Pair(q, t.rows + r * words, words);
      if (d < c.threshold) c.Offer(d, r);
    }
  }
}

template <typename I>
void ScanOf(const ScanTask& t) {
  // Rows stored transposed are read as they are, even for one query: a
  // group then costs no horizontal sums (Group8's) and no transposing.
  bool transpose = false;
  if constexpr (I::kTransposes) transpose = t.groups != nullptr || t.nq >= I::kTransposeMinQueries;
  for (size_t b0 = t.row_begin; b0 < t.row_end; b0 += t.block_rows) {
    const size_t b1 = MinSize(b0 + t.block_rows, t.row_end);
    if constexpr (I::kTransposes) {
      if (transpose) {
        if (t.groups == nullptr) I::Transpose(t.rows + b0 * t.words, b1 - b0, t.words, t.scratch);
        ScanTransposedBlock<I>(t, t.groups != nullptr ? t.groups + b0 * t.words : t.scratch, b0, b1);
        continue;
      }
    }
    ScanRowMajorBlock<I>(t, b0, b1);
  }
}

// Branch-free over the words, so each ISA's file vectorizes it with its own flags.
template <typename I>
uint64_t AddPlaneOf(uint64_t* plane, uint64_t* carry, size_t words) {
  uint64_t any = 0;
  for (size_t w = 0; w < words; ++w) {
    const uint64_t next = plane[w] & carry[w];
    plane[w] ^= carry[w];
    carry[w] = next;
    any |= next;
  }
  return any;
}

// Passes over a query's distances (KernelTable::least, count_at_most,
// rows_at_most), branch-free but for the few set lanes, so that each ISA's
// file vectorizes them with its own flags.
template <typename I>
uint32_t LeastOf(const uint32_t* values, size_t n) {
  uint32_t least = ~uint32_t{0};
  for (size_t i = 0; i < n; ++i) least = values[i] < least ? values[i] : least;
  return least;
}

// Counted in 32 bits, as wide as the values, so one vector op a lane (n <
// 2^32: the count fits).
template <typename I>
size_t CountAtMostOf(const uint32_t* values, size_t n, uint32_t limit) {
  uint32_t count = 0;
  for (size_t i = 0; i < n; ++i) count += values[i] <= limit ? 1u : 0u;
  return count;
}

// Bit j set when values[j] <= limit, j < 16.
template <typename I>
uint32_t AtMost16Of(const uint32_t* values, uint32_t limit) {
  if constexpr (requires { I::AtMost16(values, limit); }) {
    return I::AtMost16(values, limit);
  } else {
    uint32_t mask = 0;
    for (uint32_t lane = 0; lane < 16; ++lane) mask |= uint32_t{values[lane] <= limit} << lane;
    return mask;
  }
}

// Sixteen values' mask at a time (most are empty when few values are within
// the limit), then the set lanes in order.
template <typename I>
size_t RowsAtMostOf(const uint32_t* values, size_t n, uint32_t limit, uint32_t* rows) {
  size_t found = 0;
  size_t r = 0;
  for (; r + 16 <= n; r += 16) {
    if constexpr (requires { I::RowsAtMost16(values, limit, 0u, rows); }) {
      // rows has room for n, and found <= r: 16 more fit.
      found += I::RowsAtMost16(values + r, limit, static_cast<uint32_t>(r), rows + found);
    } else {
      for (uint32_t mask = AtMost16Of<I>(values + r, limit); mask != 0; mask &= mask - 1) {
        rows[found++] = static_cast<uint32_t>(r + __builtin_ctz(mask));
      }
    }
  }
  for (; r < n; ++r) {
    if (values[r] <= limit) rows[found++] = static_cast<uint32_t>(r);
  }
  return found;
}

template <typename I>
const KernelTable& TableOf() {
  static constexpr KernelTable table{I::kSimd,        &PairOf<I>,          &DistancesOf<I>,  &TransposedDistancesOf<I>,
                                     &ScanOf<I>,       I::kBlockBytes,      &AddPlaneOf<I>,   &LeastOf<I>,
                                     &CountAtMostOf<I>, &RowsAtMostOf<I>};
  return table;
}

}  // namespace
}  // namespace hvdb::kernels::cpu

#endif  // HVDB_KERNELS_CPU_KERNEL_IMPL_H_
