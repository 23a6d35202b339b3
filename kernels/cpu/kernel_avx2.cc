// Copyright hvdb authors. AVX2 kernel: nibble-lookup popcount (vpshufb) into
// byte counters, widened with vpsadbw every 31 steps. Compiled with -mavx2.
//
// Batches use the transposed layout of kernel_impl.h (word w of 8 rows in two
// registers) with four queries per pass, so a group's words are loaded once for
// four queries and no pair needs a horizontal sum.
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

  static __m256i ByteCounts(__m256i x) {
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
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
    unsigned any = 0;
    for (size_t j = 0; j < Q; ++j) {
      alignas(32) uint64_t d[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(d), total_lo[j]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(d + 4), total_hi[j]);
      unsigned mask = 0;
      for (unsigned lane = 0; lane < 8; ++lane) {
        dist[j][lane] = static_cast<uint32_t>(d[lane]);
        if (d[lane] < collectors[j].threshold) mask |= 1u << lane;
      }
      masks[j] = mask;
      any |= mask;
    }
    return any;
  }

};

}  // namespace

const KernelTable& Avx2Kernel() { return TableOf<Isa>(); }
}  // namespace hvdb::kernels::cpu
