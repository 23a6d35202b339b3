// Copyright hvdb authors. The ceilings each kernel figure is reported against,
// measured in the same run on the same machine.
#ifndef HVDB_BENCHMARKS_ROOFS_H_
#define HVDB_BENCHMARKS_ROOFS_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace hvdb::bench {

// Streaming read bandwidth in GB/s (1e9 bytes) over `bytes` bytes of `data`,
// split across `threads` threads, best of a few passes.
double MeasureReadGbs(const uint64_t* data, size_t bytes, unsigned threads);

struct PopcountRoof {
  std::string instruction;     // "vpopcntq" (512-bit) or "popcnt" (64-bit) where AVX-512 is absent
  double per_second = 0;       // instructions retired per second, all threads
  size_t bits_per_instruction = 0;
};

// Popcount instructions per second on registers, independent chains, on
// `threads` threads at once.
PopcountRoof MeasurePopcountRoof(unsigned threads);

// The avx2 kernel's roof: 256-bit vectors popcounted per second by nibble
// lookups (VPSHUFB) on registers, on `threads` threads at once; 0 where
// AVX2 is absent.
double MeasureAvx2LookupRoof(unsigned threads);
// The same roof counted the other way: whole pairs of `bits` bits (as 256-bit
// vectors, the last one whole) popcounted per second by Harley-Seal
// carry-save adders, on `threads` threads at once; 0 where AVX2 is absent.
double MeasureAvx2HarleySealRoof(unsigned threads, size_t bits);

// Per-ISA loops (roof_vpopcnt.cc, compiled with AVX-512 flags): the number of
// VPOPCNTQ instructions executed.
uint64_t RunVpopcntqLoop(uint64_t iterations);
// roof_avx2.cc (-mavx2): the number of 256-bit vectors popcounted.
uint64_t RunAvx2LookupLoop(uint64_t iterations);
// roof_avx2.cc (-mavx2): the number of pairs popcounted.
uint64_t RunAvx2HarleySealLoop(uint64_t pairs, size_t vectors_per_pair);
// Baseline-plus-popcnt loop (roof_popcnt.cc).
uint64_t RunPopcntLoop(uint64_t iterations);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_ROOFS_H_
