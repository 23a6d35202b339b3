// Copyright hvdb authors. AVX2 kernel: nibble-lookup popcount (vpshufb) into
// byte counters, widened with vpsadbw every 31 steps. Compiled with -mavx2.
//
// Batches use the transposed layout of kernel_impl.h (word w of 8 rows in two
// registers) with four queries per pass, so a group's words are loaded once for
// four queries and no pair needs a horizontal sum. Over rows of 384 and 512
// bits the four queries are split into nibbles once per pass
// (PreparedQueries), and each group's words once for the four.
#include <immintrin.h>

#include "kernels/cpu/kernel_impl.h"

namespace hvdb::kernels::cpu {
namespace {

struct Isa {
  static constexpr Simd kSimd = Simd::kAvx2;
  static constexpr bool kTransposes = true;
  static constexpr size_t kTransposeMinQueries = 16;
  static constexpr size_t kBlockBytes = size_t{32} << 10;
  // Byte counters gain at most 8 a step; 31 steps stay below 256.
  static constexpr size_t kStepsPerFlush = 31;

  // v <= limit exactly when min(v, limit) == v (AVX2 compares signed only).
  static uint32_t AtMost16(const uint32_t* values, uint32_t limit) {
    const __m256i l = _mm256_set1_epi32(static_cast<int>(limit));
    uint32_t mask = 0;
    for (int half = 0; half < 2; ++half) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + 8 * half));
      const __m256i within = _mm256_cmpeq_epi32(_mm256_min_epu32(v, l), v);
      mask |= static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(within))) << (8 * half);
    }
    return mask;
  }

  // Bits set in each nibble value, for VPSHUFB.
  static __m256i NibbleCounts() {
    return _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  }

  static __m256i ByteCounts(__m256i x) {
    const __m256i lut = NibbleCounts();
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    const __m256i lo = _mm256_and_si256(x, nibble);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
  }

  // Four 64-bit partial sums of popcount(a ^ b) over `words` words.
  static __m256i PairLanes(const uint64_t* a, const uint64_t* b, size_t words) {
    const __m256i zero = _mm256_setzero_si256();
    __m256i total = zero;
    size_t w = 0;
    while (w + 4 <= words) {
      const size_t end = words - w > 4 * kStepsPerFlush ? w + 4 * kStepsPerFlush : words;
      __m256i bytes = zero;
      for (; w + 4 <= end; w += 4) {
        const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + w)),
                                           _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + w)));
        bytes = _mm256_add_epi8(bytes, ByteCounts(x));
      }
      total = _mm256_add_epi64(total, _mm256_sad_epu8(bytes, zero));
    }
    if (w < words) {
      const long long rest = static_cast<long long>(words - w);
      const __m256i keep = _mm256_cmpgt_epi64(_mm256_set1_epi64x(rest), _mm256_setr_epi64x(0, 1, 2, 3));
      const __m256i x = _mm256_xor_si256(_mm256_maskload_epi64(reinterpret_cast<const long long*>(a + w), keep),
                                         _mm256_maskload_epi64(reinterpret_cast<const long long*>(b + w), keep));
      total = _mm256_add_epi64(total, _mm256_sad_epu8(ByteCounts(x), zero));
    }
    return total;
  }

  static uint32_t Sum(__m256i v) {
    const __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return static_cast<uint32_t>(_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1));
  }

  static uint32_t Pair(const uint64_t* a, const uint64_t* b, size_t words) { return Sum(PairLanes(a, b, words)); }

  static void Transpose(const uint64_t* rows, size_t count, size_t words, uint64_t* scratch) {
    TransposeGroups(rows, count, words, scratch);
  }

  static __m256i Load(const uint64_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }

  // Q queries against one transposed group: per query, byte counters for rows
  // 0-3 and 4-7, flushed into 64-bit totals every kStepsPerFlush words.
  template <size_t Q>
  static unsigned Group8TQ(const uint64_t* group, size_t words, const uint64_t* queries, const Collector* collectors,
                           uint32_t (*dist)[8], unsigned* masks) {
    const __m256i zero = _mm256_setzero_si256();
    __m256i total_lo[Q], total_hi[Q];
    for (size_t j = 0; j < Q; ++j) total_lo[j] = total_hi[j] = zero;
    for (size_t w0 = 0; w0 < words; w0 += kStepsPerFlush) {
      const size_t w1 = words - w0 < kStepsPerFlush ? words : w0 + kStepsPerFlush;
      __m256i bytes_lo[Q], bytes_hi[Q];
      for (size_t j = 0; j < Q; ++j) bytes_lo[j] = bytes_hi[j] = zero;
      for (size_t w = w0; w < w1; ++w) {
        const __m256i lo = Load(group + w * 8);
        const __m256i hi = Load(group + w * 8 + 4);
        for (size_t j = 0; j < Q; ++j) {
          const __m256i q = _mm256_set1_epi64x(static_cast<long long>(queries[j * words + w]));
          bytes_lo[j] = _mm256_add_epi8(bytes_lo[j], ByteCounts(_mm256_xor_si256(lo, q)));
          bytes_hi[j] = _mm256_add_epi8(bytes_hi[j], ByteCounts(_mm256_xor_si256(hi, q)));
        }
      }
      for (size_t j = 0; j < Q; ++j) {
        total_lo[j] = _mm256_add_epi64(total_lo[j], _mm256_sad_epu8(bytes_lo[j], zero));
        total_hi[j] = _mm256_add_epi64(total_hi[j], _mm256_sad_epu8(bytes_hi[j], zero));
      }
    }
    return Finish<Q>(total_lo, total_hi, collectors, dist, masks);
  }

  // Group8TQ's end: each query's totals of rows 0-3 and 4-7 into dist[j]
  // and masks[j]; returns the masks' OR.
  template <size_t Q>
  static unsigned Finish(const __m256i* total_lo, const __m256i* total_hi, const Collector* collectors,
                         uint32_t (*dist)[8], unsigned* masks) {
    unsigned any = 0;
    for (size_t j = 0; j < Q; ++j) {
      const __m256i d = Rows8(total_lo[j], total_hi[j]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dist[j]), d);
      masks[j] = Below(d, collectors[j].threshold);
      any |= masks[j];
    }
    return any;
  }

  // Q queries of W <= 8 words split into their nibbles once for a pass over
  // many groups: (x ^ q) & 15 is (x & 15) ^ (q & 15), and the same for the
  // high nibble, so a group's words are split once for the Q queries and
  // each query costs two XORs a vector instead of an XOR, a shift and two
  // ANDs. Byte counters gain at most 8 a word: no flush before the end.
  // Not for rows of 4 words, where it measured 13% to 15% slower than
  // Group8TQ on Zen 2 (and 12% to 16% faster at 6 and 8 words).
  template <size_t Q, size_t W>
    requires(W >= 6)
  struct PreparedQueries {
    static_assert(W <= kStepsPerFlush);
    __m256i low[Q][W], high[Q][W];

    explicit PreparedQueries(const uint64_t* queries) {
      const __m256i nibble = _mm256_set1_epi8(0x0f);
      for (size_t j = 0; j < Q; ++j) {
        for (size_t w = 0; w < W; ++w) {
          const __m256i q = _mm256_set1_epi64x(static_cast<long long>(queries[j * W + w]));
          low[j][w] = _mm256_and_si256(q, nibble);
          high[j][w] = _mm256_and_si256(_mm256_srli_epi16(q, 4), nibble);
        }
      }
    }

    unsigned Group8(const uint64_t* group, const Collector* collectors, uint32_t (*dist)[8], unsigned* masks) const {
      const __m256i lut = NibbleCounts();
      const __m256i nibble = _mm256_set1_epi8(0x0f);
      const __m256i zero = _mm256_setzero_si256();
      __m256i bytes_lo[Q], bytes_hi[Q];
      for (size_t j = 0; j < Q; ++j) bytes_lo[j] = bytes_hi[j] = zero;
      for (size_t w = 0; w < W; ++w) {
        const __m256i lo = Load(group + w * 8);
        const __m256i hi = Load(group + w * 8 + 4);
        const __m256i lo_low = _mm256_and_si256(lo, nibble), lo_high = _mm256_and_si256(_mm256_srli_epi16(lo, 4), nibble);
        const __m256i hi_low = _mm256_and_si256(hi, nibble), hi_high = _mm256_and_si256(_mm256_srli_epi16(hi, 4), nibble);
        for (size_t j = 0; j < Q; ++j) {
          bytes_lo[j] = _mm256_add_epi8(bytes_lo[j], _mm256_shuffle_epi8(lut, _mm256_xor_si256(lo_low, low[j][w])));
          bytes_lo[j] = _mm256_add_epi8(bytes_lo[j], _mm256_shuffle_epi8(lut, _mm256_xor_si256(lo_high, high[j][w])));
          bytes_hi[j] = _mm256_add_epi8(bytes_hi[j], _mm256_shuffle_epi8(lut, _mm256_xor_si256(hi_low, low[j][w])));
          bytes_hi[j] = _mm256_add_epi8(bytes_hi[j], _mm256_shuffle_epi8(lut, _mm256_xor_si256(hi_high, high[j][w])));
        }
      }
      __m256i total_lo[Q], total_hi[Q];
      for (size_t j = 0; j < Q; ++j) {
        total_lo[j] = _mm256_sad_epu8(bytes_lo[j], zero);
        total_hi[j] = _mm256_sad_epu8(bytes_hi[j], zero);
      }
      return Finish<Q>(total_lo, total_hi, collectors, dist, masks);
    }
  };

  // The eight rows' distances as 32-bit lanes in row order, from the 64-bit
  // totals of rows 0-3 and 4-7 (each below 2^32).
  static __m256i Rows8(__m256i lo, __m256i hi) {
    const __m256i interleaved = _mm256_blend_epi32(lo, _mm256_slli_epi64(hi, 32), 0xaa);  // lo0 hi0 lo1 hi1 ...
    return _mm256_permutevar8x32_epi32(interleaved, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
  }

  // Bit j set when lane j is below threshold, the eight lanes compared at
  // once: storing the totals and comparing them one by one was a fifth of a
  // 384-bit batch scan on AMD's Zen 2. v < t exactly when max(v, t) != v,
  // for t saturated to 32 bits (distances stay below 2^32 - 1).
  static unsigned Below(__m256i d, uint64_t threshold) {
    const uint32_t t = threshold < 0xffffffffu ? static_cast<uint32_t>(threshold) : 0xffffffffu;
    const __m256i at_least = _mm256_cmpeq_epi32(_mm256_max_epu32(d, _mm256_set1_epi32(static_cast<int>(t))), d);
    return ~static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(at_least))) & 0xffu;
  }

};

}  // namespace

const KernelTable& Avx2Kernel() { return TableOf<Isa>(); }
}  // namespace hvdb::kernels::cpu
