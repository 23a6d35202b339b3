// Copyright hvdb authors. The avx2 kernel's own roof: the nibble-lookup
// popcount of 256-bit vectors (two VPSHUFB, two VPAND, a shift and the adds
// into byte counters, as kernels/cpu/kernel_avx2.cc does per vector of
// row ^ query), independent chains, no loads of data; and the same count
// by Harley-Seal carry-save adders, the other way to popcount with AVX2.
// Compiled with -mavx2.
#include <immintrin.h>

#include <cstdint>

#include "benchmarks/roofs.h"

namespace hvdb::bench {

uint64_t RunAvx2LookupLoop(uint64_t iterations) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i step = _mm256_set1_epi64x(0x9e3779b97f4a7c15ll);
  // Four chains, each one cycle deep per step (the add that makes the next
  // input stands for the kernel's xor with the query), so that the loop is
  // bound by the ports, not by latency, and fits the 16 ymm registers.
  constexpr int kChains = 4;
  __m256i x[kChains], counts[kChains];
  for (int j = 0; j < kChains; ++j) {
    x[j] = _mm256_set1_epi64x(0x0123456789abcdefll * (j + 1));
    counts[j] = _mm256_setzero_si256();
  }
  for (uint64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < kChains; ++j) {
      const __m256i lo = _mm256_and_si256(x[j], nibble);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x[j], 4), nibble);
      counts[j] = _mm256_add_epi8(counts[j], _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi)));
      x[j] = _mm256_add_epi64(x[j], step);
    }
    __asm__ volatile("" : "+x"(counts[0]), "+x"(counts[1]), "+x"(counts[2]), "+x"(counts[3]));
  }
  __m256i all = counts[0];
  for (int j = 1; j < kChains; ++j) all = _mm256_add_epi8(all, counts[j]);
  return iterations * kChains + (static_cast<uint64_t>(_mm256_extract_epi64(all, 0)) & 0);
}

namespace {

// Carry-save adder: h:l = a + b + c, bit by bit.
inline void Csa(__m256i& h, __m256i& l, __m256i a, __m256i b, __m256i c) {
  const __m256i u = _mm256_xor_si256(a, b);
  h = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(u, c));
  l = _mm256_xor_si256(u, c);
}

// Bits set in each byte of v.
inline __m256i LookupBytes(__m256i v, __m256i lut, __m256i nibble) {
  const __m256i lo = _mm256_and_si256(v, nibble);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

// Bits set in v, in four 64-bit lanes, times 2^shift.
inline __m256i CountLanes(__m256i v, __m256i lut, __m256i nibble, int shift) {
  const __m256i lanes = _mm256_sad_epu8(LookupBytes(v, lut, nibble), _mm256_setzero_si256());
  return _mm256_sll_epi64(lanes, _mm_cvtsi32_si128(shift));
}

}  // namespace

uint64_t RunAvx2HarleySealLoop(uint64_t pairs, size_t vectors_per_pair) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i step = _mm256_set1_epi64x(0x9e3779b97f4a7c15ll);
  __m256i x = _mm256_set1_epi64x(0x0123456789abcdefll), total = _mm256_setzero_si256();
  // Each pair's vectors through an 8-input CSA tree per block of 8 (seven
  // CSAs, whose eights are counted and weighted per block), ones, twos and
  // fours carried between blocks and counted once a pair; a tail under 8
  // vectors counted by lookups. Every vector is made by one add (the xor
  // with the query in a kernel), as in the lookup loop.
  for (uint64_t p = 0; p < pairs; ++p) {
    __m256i ones = _mm256_setzero_si256(), twos = ones, fours = ones, lanes = ones, tail = ones;
    size_t v = 0;
    for (; v + 8 <= vectors_per_pair; v += 8) {
      __m256i in[8];
      for (__m256i& e : in) e = x = _mm256_add_epi64(x, step);
      __m256i twos_a, twos_b, fours_a, fours_b, eights;
      Csa(twos_a, ones, ones, in[0], in[1]);
      Csa(twos_b, ones, ones, in[2], in[3]);
      Csa(fours_a, twos, twos, twos_a, twos_b);
      Csa(twos_a, ones, ones, in[4], in[5]);
      Csa(twos_b, ones, ones, in[6], in[7]);
      Csa(fours_b, twos, twos, twos_a, twos_b);
      Csa(eights, fours, fours, fours_a, fours_b);
      lanes = _mm256_add_epi64(lanes, CountLanes(eights, lut, nibble, 3));
    }
    for (; v < vectors_per_pair; ++v) tail = _mm256_add_epi8(tail, LookupBytes(x = _mm256_add_epi64(x, step), lut, nibble));
    lanes = _mm256_add_epi64(lanes, CountLanes(fours, lut, nibble, 2));
    lanes = _mm256_add_epi64(lanes, CountLanes(twos, lut, nibble, 1));
    lanes = _mm256_add_epi64(lanes, CountLanes(ones, lut, nibble, 0));
    lanes = _mm256_add_epi64(lanes, _mm256_sad_epu8(tail, _mm256_setzero_si256()));
    total = _mm256_add_epi64(total, lanes);
    __asm__ volatile("" : "+x"(total), "+x"(x));
  }
  return pairs + (static_cast<uint64_t>(_mm256_extract_epi64(total, 0)) & 0);
}

}  // namespace hvdb::bench
