// Copyright hvdb authors. The avx2 kernel's own roof: the nibble-lookup
// popcount of 256-bit vectors (two VPSHUFB, two VPAND, a shift and the adds
// into byte counters, as kernels/cpu/kernel_avx2.cc does per vector of
// row ^ query), independent chains, no loads of data. Compiled with -mavx2.
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

}  // namespace hvdb::bench
