// Copyright hvdb authors. SplitMix64 (Vigna): the one source of every seeded
// stream and 64-bit mix in hvdb (Random, symbols, level codes, key hashes,
// benchmark data). Pure integer arithmetic: the same on every platform.
#ifndef HVDB_HDC_SPLITMIX_H_
#define HVDB_HDC_SPLITMIX_H_

#include <cstdint>

namespace hvdb::hdc {

inline constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ull;

// The finalizer: a bijective mix of the 64 bits.
inline uint64_t SplitMixFinalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The next output of the stream whose state is `state` (advanced).
inline uint64_t SplitMix64Next(uint64_t& state) { return SplitMixFinalize(state += kGoldenGamma); }

}  // namespace hvdb::hdc

#endif  // HVDB_HDC_SPLITMIX_H_
