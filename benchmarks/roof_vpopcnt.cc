// Copyright hvdb authors. VPOPCNTQ throughput: 8 independent chains of 512-bit
// popcounts on registers. Compiled with -mavx512f -mavx512vpopcntdq.
#include <immintrin.h>

#include "benchmarks/roofs.h"

namespace hvdb::bench {

uint64_t RunVpopcntqLoop(uint64_t iterations) {
  __m512i a0 = _mm512_set1_epi64(1), a1 = _mm512_set1_epi64(3), a2 = _mm512_set1_epi64(7),
          a3 = _mm512_set1_epi64(15), a4 = _mm512_set1_epi64(31), a5 = _mm512_set1_epi64(63),
          a6 = _mm512_set1_epi64(127), a7 = _mm512_set1_epi64(255);
  for (uint64_t i = 0; i < iterations; ++i) {
    a0 = _mm512_popcnt_epi64(a0);
    a1 = _mm512_popcnt_epi64(a1);
    a2 = _mm512_popcnt_epi64(a2);
    a3 = _mm512_popcnt_epi64(a3);
    a4 = _mm512_popcnt_epi64(a4);
    a5 = _mm512_popcnt_epi64(a5);
    a6 = _mm512_popcnt_epi64(a6);
    a7 = _mm512_popcnt_epi64(a7);
    // Keeps the compiler from folding the chains away.
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
  }
  const __m512i s = _mm512_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)),
                                     _mm512_add_epi64(_mm512_add_epi64(a4, a5), _mm512_add_epi64(a6, a7)));
  return iterations * 8 + (static_cast<uint64_t>(_mm512_reduce_add_epi64(s)) & 0);
}

}  // namespace hvdb::bench
