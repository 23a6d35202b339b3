// Copyright hvdb authors. What each per-ISA kernel file provides to the scan driver.
//
// Per-ISA files are compiled with their own -m flags. Everything they define
// has internal linkage except their table accessor, and they call only
// out-of-line functions of baseline files (Collector::Offer), so no inline
// function compiled with AVX-512 can be picked by the linker for baseline code.
#ifndef HVDB_KERNELS_CPU_KERNEL_TABLE_H_
#define HVDB_KERNELS_CPU_KERNEL_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/hamming.h"

namespace hvdb::kernels::cpu {

// Gathers what one thread finds for one query. Kernels offer rows in
// increasing row order, so on equal distance the row already held wins and
// the smaller row is kept, as the tie rule asks.
//
// Across scans (SharedBoundSearch: a collector per query and row set, started
// from the bound the query's finished sets gave) the caller names the rows,
// in no particular order across sets: the threshold then admits the held
// k-th distance itself, and Offer keeps a tied row only when its name is
// smaller. Rows are held by number all the same; the caller names them.
class Collector {
 public:
  // A row can only enter when its distance is below this; kernels compare
  // with it before offering. Lowered as a top-k collector fills.
  uint64_t threshold = 0;

  // Keep the best `k` rows in storage[0, k).
  void ResetTopK(Neighbor* storage, size_t k);
  // Keep every row within `radius`, appended to `hits` (cleared here).
  void ResetRadius(uint32_t radius, std::vector<Neighbor>* hits);
  // Top-k across scans: rows in any order; only rows within `max_distance`.
  void ResetTopKAcross(Neighbor* storage, size_t k, uint32_t max_distance);
  // Ties between rows offered from now on go to the smaller names[row]
  // (null: the smaller row). Rows are held and listed by row, not by name.
  void set_names(const uint32_t* names) { names_ = names; }

  // REQUIRES: distance < threshold; row larger than every row offered before
  // (unless across scans).
  void Offer(uint32_t distance, uint64_t row);

  // Top-k mode: the rows held, in storage[0, size()): sorted nearest first
  // for k up to 32, heap-ordered above.
  size_t size() const { return size_; }
  const Neighbor* held() const { return heap_; }

 private:
  Neighbor* heap_ = nullptr;  // sorted (k <= 32) or a max-heap on (distance, name or row)
  size_t k_ = 0;
  size_t size_ = 0;
  std::vector<Neighbor>* hits_ = nullptr;  // radius mode when set
  const uint32_t* names_ = nullptr;
  bool across_ = false;                    // rows in any order
};

// One thread's share of a scan: queries [0, nq) against rows [row_begin, row_end).
struct ScanTask {
  const uint64_t* queries = nullptr;  // nq x words
  size_t nq = 0;
  const uint64_t* rows = nullptr;     // all rows, n x words
  size_t words = 0;
  const uint64_t* tombstones = nullptr;
  size_t row_begin = 0;
  size_t row_end = 0;
  Collector* collectors = nullptr;    // nq, this thread's
  size_t block_rows = 0;              // rows per cache block, a multiple of 8
  uint64_t* scratch = nullptr;        // block_rows x words, 64-byte aligned
  // Or: the rows also stored transposed (TransposedRows' layout from row 0,
  // 64-byte aligned), which a transposing kernel reads for any nq instead of
  // transposing into scratch. REQUIRES then: row_begin a multiple of 8.
  const uint64_t* groups = nullptr;
};

struct KernelTable {
  Simd simd;
  // Distance of one pair.
  uint32_t (*pair)(const uint64_t* a, const uint64_t* b, size_t words);
  // out[i] = distance(query, row i) for i in [0, n).
  void (*distances)(const uint64_t* query, const uint64_t* rows, size_t n, size_t words, uint32_t* out);
  // out[q * n + r] = distance(query q, row r) for nq queries (nq x words) and
  // n rows stored as TransposedRows' groups.
  void (*transposed_distances)(const uint64_t* queries, size_t nq, const uint64_t* groups, size_t n, size_t words,
                               uint32_t* out);
  // Offers every live row of the task whose distance is below its query's threshold.
  void (*scan)(const ScanTask& task);
  // Default cache block size in bytes of rows.
  size_t block_bytes;
  // Bit-sliced counters (bundling): plane ^= carry, carry = old plane & carry,
  // over `words` words; returns the OR of the new carry (0: nothing left).
  uint64_t (*add_plane)(uint64_t* plane, uint64_t* carry, size_t words);
  // Over n values (a query's distances to a set's rows, n < 2^32): the least
  // (all ones when n = 0); how many are at most `limit`; the positions of
  // those, in increasing order, into rows (room for n), returning how many.
  uint32_t (*least)(const uint32_t* values, size_t n);
  size_t (*count_at_most)(const uint32_t* values, size_t n, uint32_t limit);
  size_t (*rows_at_most)(const uint32_t* values, size_t n, uint32_t limit, uint32_t* rows);
};

// Each defined in its own per-ISA file.
const KernelTable& ScalarKernel();
const KernelTable& Avx2Kernel();
const KernelTable& Avx512Kernel();
const KernelTable& AmxKernel();
// The table of `simd` (the scalar one for a kernel this build lacks).
// REQUIRES for a call through it: SimdSupported(simd).
const KernelTable& TableFor(Simd simd);

}  // namespace hvdb::kernels::cpu

#endif  // HVDB_KERNELS_CPU_KERNEL_TABLE_H_
