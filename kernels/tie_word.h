// Copyright hvdb authors. How a bundle breaks exact ties (an even number of
// members, half of them set), shared by every form of the majority: the CPU
// (hdc::Bundle, BundleAccumulator, WeightedBundle, db accumulators), the
// fake devices and the CUDA kernel (host and device code, plain C++17).
//
// A fixed tie vector would pull every even-sized bundle towards itself, and
// so towards every other even-sized bundle (unrelated 2-member bundles at
// 3/8 D instead of D/2). A tie at position i instead takes the parity of the
// members at another position, i + D/2 + 1 (the XOR of their bits there: a
// fair coin for random members, independent of their bits at i), XOR a
// seeded mask. It depends only on the multiset of members, so the bundle is
// independent of their order and of how the counts are kept; it is local, so
// a member's bit that flips moves at most two bits of the bundle; and two
// bundles of different members share no direction. docs/format.md.
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

// Where word w's tie bits read the parity: bits 64 x (w + word_offset) +
// bit_offset onwards, round the D bits (D = 64 x words; the shift is D/2 + 1).
struct TieShift {
  size_t word_offset;
  unsigned bit_offset;
};
HVDB_HOST_DEVICE inline TieShift TieShiftFor(size_t words) {
  const size_t shift = (words * 64 / 2 + 1) % (words * 64);
  return {shift / 64, static_cast<unsigned>(shift % 64)};
}

// The 64 parity bits word w's ties read, given the parity words `lo` (at
// w + word_offset) and `hi` (the next one, round the end).
HVDB_HOST_DEVICE inline uint64_t ShiftedParity(uint64_t lo, uint64_t hi, unsigned bit_offset) {
  return bit_offset == 0 ? lo : (lo >> bit_offset) | (hi << (64 - bit_offset));
}
// The same from the whole parity vector (words words).
HVDB_HOST_DEVICE inline uint64_t ShiftedParity(const uint64_t* parity, size_t words, size_t w) {
  const TieShift s = TieShiftFor(words);
  const size_t lo = (w + s.word_offset) % words;
  return ShiftedParity(parity[lo], parity[(lo + 1) % words], s.bit_offset);
}

// Word w of a majority whose positions above half are `greater` and at exactly
// half are `tied` (disjoint): the greater bits, and at the tied ones the
// shifted parity XOR the seeded mask.
HVDB_HOST_DEVICE inline uint64_t MajorityWord(uint64_t tie_seed, size_t w, uint64_t greater, uint64_t tied,
                                              uint64_t shifted_parity) {
  if (tied == 0) return greater;
  const uint64_t mask = SplitMixFinalize(tie_seed + 0x9e3779b97f4a7c15ull * (static_cast<uint64_t>(w) + 1));
  return greater | (tied & (shifted_parity ^ mask));
}

}  // namespace hvdb::kernels

#undef HVDB_HOST_DEVICE

#endif  // HVDB_KERNELS_TIE_WORD_H_
