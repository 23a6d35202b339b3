// Copyright hvdb authors. How a bundle breaks exact ties (an even number of
// members, half of them set), shared by every form of the majority: the CPU
// (hdc::Bundle, BundleAccumulator, WeightedBundle, db accumulators), the
// fake devices and the CUDA kernel (host and device code, plain C++17).
//
// A fixed tie vector would pull every even-sized bundle towards itself, and
// so towards every other even-sized bundle (unrelated 4-member bundles at
// 0.37 D instead of D/2). The tie bits of word w are instead a SplitMix64
// hash of the seed, w and the word's decided bits: `greater` (more than half
// set) and `tied` (exactly half). Those depend only on the multiset of
// members, so the bundle stays independent of their order and of how the
// counts are kept, and two bundles of different members share no direction:
// a tie is a fair coin uncorrelated with any member. docs/format.md.
#ifndef HVDB_KERNELS_TIE_WORD_H_
#define HVDB_KERNELS_TIE_WORD_H_

#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define HVDB_HOST_DEVICE __host__ __device__
#else
#define HVDB_HOST_DEVICE
#endif

namespace hvdb::kernels {

// SplitMix64's finalizer (Vigna): a bijective mix of the 64 bits.
HVDB_HOST_DEVICE inline uint64_t SplitMixFinalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Word w of a majority whose positions above half are `greater` and at exactly
// half are `tied` (disjoint): the greater bits, and the tied ones where the
// hash has a 1.
HVDB_HOST_DEVICE inline uint64_t MajorityWord(uint64_t tie_seed, size_t w, uint64_t greater, uint64_t tied) {
  if (tied == 0) return greater;
  uint64_t h = SplitMixFinalize(tie_seed + 0x9e3779b97f4a7c15ull * (static_cast<uint64_t>(w) + 1));
  h = SplitMixFinalize(h ^ greater);
  h = SplitMixFinalize(h ^ tied);
  return greater | (tied & h);
}

}  // namespace hvdb::kernels

#undef HVDB_HOST_DEVICE

#endif  // HVDB_KERNELS_TIE_WORD_H_
