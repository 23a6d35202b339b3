// Copyright hvdb authors. The HDC batch kernels: one thread per output word.
#include "kernels/cuda/hdc_kernels.h"

#include "kernels/cuda/launch.h"

#include <algorithm>

#include "kernels/tie_word.h"

namespace hvdb::kernels::cuda {
namespace {

constexpr int kThreads = 256;

unsigned Blocks(size_t items) {
  return static_cast<unsigned>(std::min<size_t>((items + kThreads - 1) / kThreads, 65535));
}

__global__ void XorRows(const uint64_t* __restrict__ a, const uint64_t* __restrict__ b, size_t n, size_t words,
                        bool broadcast_b, uint64_t* __restrict__ out) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n * words;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    out[i] = a[i] ^ b[broadcast_b ? i % words : i];
  }
}

__global__ void RotateRows(const uint64_t* __restrict__ in, size_t n, size_t words, size_t word_shift,
                           unsigned bit_shift, uint64_t* __restrict__ out) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n * words;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t row = i / words, w = i % words;
    const uint64_t* v = in + row * words;
    const size_t hi = (w + words - word_shift) % words, lo = (hi + words - 1) % words;
    out[i] = bit_shift == 0 ? v[hi] : (v[hi] << bit_shift) | (v[lo] >> (64 - bit_shift));
  }
}

__global__ void MajorityRows(const uint64_t* __restrict__ in, size_t groups, size_t members, size_t words,
                             uint64_t tie_seed, uint64_t* __restrict__ out) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < groups * words;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t g = i / words, w = i % words;
    unsigned count[64];
#pragma unroll
    for (int b = 0; b < 64; ++b) count[b] = 0;
    for (size_t m = 0; m < members; ++m) {
      const uint64_t x = in[(g * members + m) * words + w];
#pragma unroll
      for (int b = 0; b < 64; ++b) count[b] += static_cast<unsigned>((x >> b) & 1);
    }
    uint64_t greater = 0, tied = 0;
#pragma unroll
    for (int b = 0; b < 64; ++b) {
      const size_t twice = 2 * static_cast<size_t>(count[b]);
      greater |= static_cast<uint64_t>(twice > members) << b;
      tied |= static_cast<uint64_t>(twice == members) << b;
    }
    uint64_t parity = 0;
    if (tied != 0) {
      // The members' XOR at the two words the ties read (kernels/tie_word.h).
      const TieShift s = TieShiftFor(words);
      const size_t lo = (w + s.word_offset) % words, hi = (lo + 1) % words;
      uint64_t plo = 0, phi = 0;
      for (size_t m = 0; m < members; ++m) {
        plo ^= in[(g * members + m) * words + lo];
        phi ^= in[(g * members + m) * words + hi];
      }
      parity = ShiftedParity(plo, phi, s.bit_offset);
    }
    out[i] = MajorityWord(tie_seed, w, greater, tied, parity);
  }
}

}  // namespace

cudaError_t LaunchXorRows(const uint64_t* a, const uint64_t* b, size_t n, size_t words, bool broadcast_b, uint64_t* out) {
  HVDB_LAUNCH(XorRows, Blocks(n * words), kThreads, 0, nullptr)(a, b, n, words, broadcast_b, out);
  return cudaGetLastError();
}

cudaError_t LaunchRotateRows(const uint64_t* in, size_t n, size_t words, size_t word_shift, unsigned bit_shift,
                             uint64_t* out) {
  HVDB_LAUNCH(RotateRows, Blocks(n * words), kThreads, 0, nullptr)(in, n, words, word_shift, bit_shift, out);
  return cudaGetLastError();
}

cudaError_t LaunchMajorityRows(const uint64_t* in, size_t groups, size_t members, size_t words, uint64_t tie_seed,
                               uint64_t* out) {
  HVDB_LAUNCH(MajorityRows, Blocks(groups * words), kThreads, 0, nullptr)(in, groups, members, words, tie_seed, out);
  return cudaGetLastError();
}

}  // namespace hvdb::kernels::cuda
