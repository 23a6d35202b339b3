// Copyright hvdb authors. SplitMix64 (Vigna): the one source of every seeded
// stream and 64-bit mix in hvdb (Random, symbols, level codes, key hashes,
// benchmark data). Pure integer arithmetic: the same on every platform.
#ifndef HVDB_HDC_SPLITMIX_H_
#define HVDB_HDC_SPLITMIX_H_

#include <cstdint>

#include "kernels/tie_word.h"

namespace hvdb::hdc {

inline constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ull;

// The finalizer: a bijective mix of the 64 bits (in kernels/, where the CUDA
// majority uses it too).
using kernels::SplitMixFinalize;

// The next output of the stream whose state is `state` (advanced).
inline uint64_t SplitMix64Next(uint64_t& state) { return SplitMixFinalize(state += kGoldenGamma); }

}  // namespace hvdb::hdc

#endif  // HVDB_HDC_SPLITMIX_H_
