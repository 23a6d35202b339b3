// Copyright hvdb authors. The AVX-512 VPOPCNTDQ primitives (see kernel_impl.h
// for the contract). Included only by files compiled with AVX-512 flags:
// kernel_avx512.cc, and kernel_amx.cc for batches too small for tiles.
//
// Two layouts. Few queries: rows read in place, 8 rows at a time, eight
// accumulators reduced once per group. Batches: each cache block of rows is
// first transposed so that one register holds word w of 8 rows; a query word is
// then broadcast, xor-ed, popcounted and added with no per-pair reduction at
// all (3 vector ops per 512 bits of pairs, the least this ISA allows).
#ifndef HVDB_KERNELS_CPU_ISA_AVX512_H_
#define HVDB_KERNELS_CPU_ISA_AVX512_H_

#include <immintrin.h>

#include "kernels/cpu/kernel_table.h"

namespace hvdb::kernels::cpu {
namespace {

struct Avx512Isa {
  static constexpr Simd kSimd = Simd::kAvx512;
  static constexpr bool kTransposes = true;
  static constexpr size_t kTransposeMinQueries = 16;
  static constexpr size_t kBlockBytes = size_t{32} << 10;

  static __mmask8 TailMask(size_t count) { return static_cast<__mmask8>((1u << count) - 1); }

  static __m512i Load(const uint64_t* p) { return _mm512_loadu_si512(p); }

  static uint32_t AtMost16(const uint32_t* values, uint32_t limit) {
    return _mm512_cmple_epu32_mask(_mm512_loadu_si512(values), _mm512_set1_epi32(static_cast<int>(limit)));
  }

  // The lanes' places compressed in a register and stored whole: no branch
  // per lane found (a mask loop mispredicted on most groups of a list's
  // ranking), and no compressing store to memory (slow on AMD's Zen 4).
  static uint32_t RowsAtMost16(const uint32_t* values, uint32_t limit, uint32_t first, uint32_t* rows) {
    const __mmask16 within = AtMost16(values, limit);
    const __m512i places = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first)),
                                            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    _mm512_storeu_si512(rows, _mm512_maskz_compress_epi32(within, places));
    return static_cast<uint32_t>(__builtin_popcount(within));
  }

  static uint32_t Pair(const uint64_t* a, const uint64_t* b, size_t words) {
    __m512i acc0 = _mm512_setzero_si512();
    __m512i acc1 = _mm512_setzero_si512();
    size_t w = 0;
    for (; w + 16 <= words; w += 16) {
      acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(_mm512_xor_si512(Load(a + w), Load(b + w))));
      acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(_mm512_xor_si512(Load(a + w + 8), Load(b + w + 8))));
    }
    if (w + 8 <= words) {
      acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(_mm512_xor_si512(Load(a + w), Load(b + w))));
      w += 8;
    }
    if (w < words) {
      const __mmask8 m = TailMask(words - w);
      const __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi64(m, a + w), _mm512_maskz_loadu_epi64(m, b + w));
      acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(x));
    }
    return static_cast<uint32_t>(_mm512_reduce_add_epi64(_mm512_add_epi64(acc0, acc1)));
  }

  // Lane j of the result = sum of the 8 lanes of acc[j].
  static __m512i Reduce8(const __m512i* acc) {
    __m512i t[4];
    for (int i = 0; i < 4; ++i) {
      t[i] = _mm512_add_epi64(_mm512_unpacklo_epi64(acc[2 * i], acc[2 * i + 1]),
                              _mm512_unpackhi_epi64(acc[2 * i], acc[2 * i + 1]));
    }
    __m512i s[2];
    for (int i = 0; i < 2; ++i) {
      s[i] = _mm512_add_epi64(_mm512_shuffle_i64x2(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                              _mm512_shuffle_i64x2(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    }
    return _mm512_add_epi64(_mm512_shuffle_i64x2(s[0], s[1], _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_i64x2(s[0], s[1], _MM_SHUFFLE(3, 1, 3, 1)));
  }

  static unsigned Finish(__m512i d, uint64_t threshold, uint32_t* dist) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dist), _mm512_cvtepi64_epi32(d));
    return _mm512_cmplt_epu64_mask(d, _mm512_set1_epi64(static_cast<long long>(threshold)));
  }

  static unsigned Group8(const uint64_t* rows, size_t words, const uint64_t* q, uint64_t threshold,
                         uint32_t* dist) {
    __m512i acc[8];
    for (auto& a : acc) a = _mm512_setzero_si512();
    size_t w = 0;
    for (; w + 8 <= words; w += 8) {
      const __m512i qv = Load(q + w);
      for (size_t j = 0; j < 8; ++j) {
        acc[j] = _mm512_add_epi64(acc[j], _mm512_popcnt_epi64(_mm512_xor_si512(Load(rows + j * words + w), qv)));
      }
    }
    if (w < words) {
      const __mmask8 m = TailMask(words - w);
      const __m512i qv = _mm512_maskz_loadu_epi64(m, q + w);
      for (size_t j = 0; j < 8; ++j) {
        const __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi64(m, rows + j * words + w), qv);
        acc[j] = _mm512_add_epi64(acc[j], _mm512_popcnt_epi64(x));
      }
    }
    return Finish(Reduce8(acc), threshold, dist);
  }

  static void Transpose(const uint64_t* rows, size_t count, size_t words, uint64_t* scratch) {
    for (size_t g = 0; g * 8 < count; ++g) {
      uint64_t* group = scratch + g * words * 8;
      const size_t lanes = count - g * 8 < 8 ? count - g * 8 : 8;
      const __mmask8 live = TailMask(lanes);
      // Eight words of the group's rows at a time: gather lane j from row j.
      const __m512i row_offsets =
          _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64(static_cast<long long>(words)));
      const uint64_t* base = rows + g * 8 * words;
      for (size_t w = 0; w < words; ++w) {
        const __m512i v = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), live, row_offsets, base + w, 8);
        _mm512_store_si512(group + w * 8, v);
      }
    }
  }

  template <size_t Q>
  static void AddWord(const uint64_t* group, size_t words, const uint64_t* queries, size_t w, __m512i* acc) {
    const __m512i rows = _mm512_load_si512(group + w * 8);
    for (size_t j = 0; j < Q; ++j) {
      const __m512i q = _mm512_set1_epi64(static_cast<long long>(queries[j * words + w]));
      acc[j] = _mm512_add_epi64(acc[j], _mm512_popcnt_epi64(_mm512_xor_si512(rows, q)));
    }
  }

  // Group8T for Q queries at once: each word of the group is loaded once and
  // xor-ed with Q broadcast query words, so Q chains run side by side.
  template <size_t Q>
  static unsigned Group8TQ(const uint64_t* group, size_t words, const uint64_t* queries, const Collector* collectors,
                           uint32_t (*dist)[8], unsigned* masks) {
    __m512i acc[Q];
    for (size_t j = 0; j < Q; ++j) acc[j] = _mm512_setzero_si512();
    // Four words a step: the loop's scalar bookkeeping would otherwise take
    // slots on ports 0 and 5, the only ones that run 512-bit operations. (Six or
    // eight queries a pass measured no faster: the accumulators spill.)
    constexpr size_t kUnroll = 4;
    size_t w = 0;
    for (; w + kUnroll <= words; w += kUnroll) {
      for (size_t u = 0; u < kUnroll; ++u) AddWord<Q>(group, words, queries, w + u, acc);
    }
    for (; w < words; ++w) AddWord<Q>(group, words, queries, w, acc);
    unsigned any = 0;
    for (size_t j = 0; j < Q; ++j) {
      masks[j] = _mm512_cmplt_epu64_mask(acc[j], _mm512_set1_epi64(static_cast<long long>(collectors[j].threshold)));
      any |= masks[j];
    }
    // Most groups offer nothing: their distances are not stored.
    if (any != 0) {
      for (size_t j = 0; j < Q; ++j) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dist[j]), _mm512_cvtepi64_epi32(acc[j]));
      }
    }
    return any;
  }
};

}  // namespace
}  // namespace hvdb::kernels::cpu

#endif  // HVDB_KERNELS_CPU_ISA_AVX512_H_
