// Copyright hvdb authors. The portable reference kernel: baseline x86-64 (or
// any target), one 64-bit popcount per word, no blocking tricks.
#include <bit>

#include "kernels/cpu/kernel_impl.h"

namespace hvdb::kernels::cpu {
namespace {

struct Isa {
  static constexpr Simd kSimd = Simd::kScalar;
  static constexpr bool kTransposes = false;
  static constexpr size_t kBlockBytes = size_t{256} << 10;

  static uint32_t Pair(const uint64_t* a, const uint64_t* b, size_t words) {
    uint32_t d = 0;
    for (size_t w = 0; w < words; ++w) d += static_cast<uint32_t>(std::popcount(a[w] ^ b[w]));
    return d;
  }
};

}  // namespace

const KernelTable& ScalarKernel() { return TableOf<Isa>(); }
}  // namespace hvdb::kernels::cpu
