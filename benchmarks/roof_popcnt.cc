// Copyright hvdb authors. Scalar POPCNT throughput, for CPUs without
// AVX-512 VPOPCNTDQ. Compiled with -mpopcnt.
#include <cstdint>

#include "benchmarks/roofs.h"

namespace hvdb::bench {

uint64_t RunPopcntLoop(uint64_t iterations) {
  uint64_t a0 = 1, a1 = 3, a2 = 7, a3 = 15;
  for (uint64_t i = 0; i < iterations; ++i) {
    a0 = static_cast<uint64_t>(__builtin_popcountll(a0 + i));
    a1 = static_cast<uint64_t>(__builtin_popcountll(a1 + i));
    a2 = static_cast<uint64_t>(__builtin_popcountll(a2 + i));
    a3 = static_cast<uint64_t>(__builtin_popcountll(a3 + i));
    __asm__ volatile("" : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3));
  }
  return iterations * 4 + ((a0 + a1 + a2 + a3) & 0);
}

}  // namespace hvdb::bench
