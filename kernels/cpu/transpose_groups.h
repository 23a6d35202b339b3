// Copyright hvdb authors. The transposed row layout, portably: shared by the
// per-ISA kernels (kernel_impl.h) and TransposedRows (scan.cc).
// Internal linkage, as kernel_impl.h: each ISA's file compiles its own copy.
#ifndef HVDB_KERNELS_CPU_TRANSPOSE_GROUPS_H_
#define HVDB_KERNELS_CPU_TRANSPOSE_GROUPS_H_

#include <cstddef>
#include <cstdint>

namespace hvdb::kernels::cpu {
namespace {

// Word w of row 8g+j at scratch[(g * words + w) * 8 + j], the last group
// padded with zero rows.
inline void TransposeGroups(const uint64_t* rows, size_t count, size_t words, uint64_t* scratch) {
  for (size_t g = 0; g * 8 < count; ++g) {
    uint64_t* group = scratch + g * words * 8;
    for (size_t j = 0; j < 8; ++j) {
      const size_t r = g * 8 + j;
      for (size_t w = 0; w < words; ++w) group[w * 8 + j] = r < count ? rows[r * words + w] : 0;
    }
  }
}

}  // namespace
}  // namespace hvdb::kernels::cpu

#endif  // HVDB_KERNELS_CPU_TRANSPOSE_GROUPS_H_
