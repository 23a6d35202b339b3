// Copyright hvdb authors. The scan driver: checks arguments, splits rows across
// threads, feeds per-thread collectors through the chosen kernel and merges them.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>

#include "kernels/cpu/kernel_table.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/hamming.h"

namespace hvdb::kernels {
namespace cpu {

void Collector::ResetTopK(Neighbor* storage, size_t k) {
  heap_ = storage;
  k_ = k;
  size_ = 0;
  hits_ = nullptr;
  threshold = std::numeric_limits<uint64_t>::max();
}

void Collector::ResetRadius(uint32_t radius, std::vector<Neighbor>* hits) {
  hits_ = hits;
  hits_->clear();
  heap_ = nullptr;
  k_ = size_ = 0;
  threshold = uint64_t{radius} + 1;
}

void Collector::Offer(uint32_t distance, uint64_t row) {
  if (hits_ != nullptr) {
    hits_->push_back({row, distance});
    return;
  }
  if (size_ < k_) {
    heap_[size_++] = {row, distance};
    std::push_heap(heap_, heap_ + size_, NearerFirst);
  } else {
    std::pop_heap(heap_, heap_ + k_, NearerFirst);
    heap_[k_ - 1] = {row, distance};
    std::push_heap(heap_, heap_ + k_, NearerFirst);
  }
  if (size_ == k_) threshold = heap_[0].distance;
}

}  // namespace cpu

namespace {

using cpu::Collector;
using cpu::KernelTable;

// Rows a thread takes at least, so that tiny scans stay on one thread.
constexpr size_t kMinRowsPerThread = 1024;
// Queries scanned together: bounds collector memory and keeps the block of
// queries in cache while rows stream past.
constexpr size_t kQueryChunk = 256;
// Collector storage allowed per chunk (all threads), which shrinks the chunk for huge k.
constexpr size_t kCollectorBudgetBytes = size_t{64} << 20;

const KernelTable& TableFor(Simd simd) {
  switch (simd) {
#if defined(__x86_64__)
    case Simd::kAmx: return cpu::AmxKernel();
    case Simd::kAvx512: return cpu::Avx512Kernel();
    case Simd::kAvx2: return cpu::Avx2Kernel();
#endif
    default: return cpu::ScalarKernel();
  }
}

Result<const KernelTable*> ResolveKernel(const ScanOptions& options) {
  Simd simd = Simd::kScalar;
  if (options.simd.has_value()) {
    simd = *options.simd;
  } else {
    HVDB_ASSIGN_OR_RETURN(simd, DefaultSimd());
  }
  if (!SimdSupported(simd)) {
    return Status::InvalidArgument(std::string("CPU kernel '") + SimdName(simd) + "' is not supported by this CPU");
  }
  return &TableFor(simd);
}

Status ValidateShape(const uint64_t* queries, size_t nq, const uint64_t* rows, size_t n, size_t words) {
  if (words == 0) return Status::InvalidArgument("words must be at least 1 (vectors of 0 bits)");
  if (nq > 0 && queries == nullptr) return Status::InvalidArgument("queries is null but nq = " + std::to_string(nq));
  if (n > 0 && rows == nullptr) return Status::InvalidArgument("rows is null but n = " + std::to_string(n));
  const size_t max_elems = std::numeric_limits<size_t>::max() / sizeof(uint64_t);
  if (n > max_elems / words || nq > max_elems / words) {
    return Status::InvalidArgument("n x words (" + std::to_string(n) + " x " + std::to_string(words) +
                                   ") or nq x words overflows the address space");
  }
  return Status::OK();
}

unsigned ThreadsFor(const ScanOptions& options) {
  return options.threads == 0 ? DefaultThreads() : options.threads;
}

// Splits [0, n) into ranges of a multiple of 64 rows (so a thread's tombstone
// words are its own), at most `threads` of them.
struct RowSplit {
  size_t parts = 0;
  size_t rows_per_part = 0;
};

RowSplit SplitRows(size_t n, unsigned threads) {
  if (n == 0) return {};
  const size_t wanted = std::max<size_t>(1, std::min<size_t>(threads, n / kMinRowsPerThread));
  size_t per = (n + wanted - 1) / wanted;
  per = (per + 63) / 64 * 64;
  return {(n + per - 1) / per, per};
}

struct AlignedWords {
  void operator()(uint64_t* p) const { std::free(p); }
};

std::unique_ptr<uint64_t, AlignedWords> AllocateScratch(size_t words) {
  const size_t bytes = std::max<size_t>(64, (words * sizeof(uint64_t) + 63) / 64 * 64);
  return std::unique_ptr<uint64_t, AlignedWords>(static_cast<uint64_t*>(std::aligned_alloc(64, bytes)));
}

// Runs a top-k (k > 0, topk_out set) or radius (radius_out set) scan.
Status RunScan(const ScanInput& in, const ScanOptions& options, size_t k, uint32_t radius, Neighbor* topk_out,
               std::vector<Neighbor>* radius_out) {
  HVDB_RETURN_IF_ERROR(ValidateShape(in.queries, in.nq, in.rows.rows, in.rows.n, in.rows.words));
  HVDB_ASSIGN_OR_RETURN(const KernelTable* kernel, ResolveKernel(options));
  if (in.nq == 0) return Status::OK();

  const unsigned threads = ThreadsFor(options);
  const RowSplit split = SplitRows(in.rows.n, threads);
  const size_t parts = std::max<size_t>(split.parts, 1);
  const size_t row_bytes = in.rows.words * sizeof(uint64_t);
  const size_t block_bytes = options.block_bytes != 0 ? options.block_bytes : kernel->block_bytes;
  const size_t block_rows = std::max<size_t>(8, block_bytes / row_bytes / 8 * 8);

  size_t chunk = std::min(kQueryChunk, in.nq);
  if (k > 0) chunk = std::clamp<size_t>(kCollectorBudgetBytes / (k * parts * sizeof(Neighbor)), 1, chunk);

  struct PartState {
    std::vector<Collector> collectors;
    std::vector<Neighbor> heaps;                // chunk x k, top-k mode
    std::vector<std::vector<Neighbor>> hits;    // chunk, radius mode
    std::unique_ptr<uint64_t, AlignedWords> scratch;
  };
  std::vector<PartState> states(parts);
  for (PartState& s : states) {
    s.collectors.resize(chunk);
    if (k > 0) s.heaps.resize(chunk * k);
    else s.hits.resize(chunk);
    s.scratch = AllocateScratch(block_rows * in.rows.words);
    if (!s.scratch) return Status::ResourceExhausted("cannot allocate a scan block of " + std::to_string(block_bytes) + " bytes");
  }

  std::vector<Neighbor> merged;
  for (size_t q0 = 0; q0 < in.nq; q0 += chunk) {
    const size_t qn = std::min(chunk, in.nq - q0);
    for (PartState& s : states) {
      for (size_t qi = 0; qi < qn; ++qi) {
        if (k > 0) s.collectors[qi].ResetTopK(&s.heaps[qi * k], k);
        else s.collectors[qi].ResetRadius(radius, &s.hits[qi]);
      }
    }
    if (split.parts > 0) {
      cpu::ThreadPool::Shared().Run(split.parts, threads, [&](size_t part) {
        cpu::ScanTask task;
        task.queries = in.queries + q0 * in.rows.words;
        task.nq = qn;
        task.rows = in.rows.rows;
        task.words = in.rows.words;
        task.tombstones = in.rows.tombstones;
        task.row_begin = part * split.rows_per_part;
        task.row_end = std::min(in.rows.n, task.row_begin + split.rows_per_part);
        task.collectors = states[part].collectors.data();
        task.block_rows = block_rows;
        task.scratch = states[part].scratch.get();
        kernel->scan(task);
      });
    }
    for (size_t qi = 0; qi < qn; ++qi) {
      merged.clear();
      for (PartState& s : states) {
        if (k > 0) merged.insert(merged.end(), s.collectors[qi].held(), s.collectors[qi].held() + s.collectors[qi].size());
        else merged.insert(merged.end(), s.hits[qi].begin(), s.hits[qi].end());
      }
      if (k > 0) {
        const size_t keep = std::min(k, merged.size());
        std::partial_sort(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(keep), merged.end(), NearerFirst);
        Neighbor* out = topk_out + (q0 + qi) * k;
        std::copy(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(keep), out);
        std::fill(out + keep, out + k, Neighbor{});
      } else {
        std::sort(merged.begin(), merged.end(), NearerFirst);
        radius_out[q0 + qi] = merged;
      }
    }
  }
  return Status::OK();
}

}  // namespace

uint32_t HammingDistance(const uint64_t* a, const uint64_t* b, size_t words, Simd simd) {
  return TableFor(simd).pair(a, b, words);
}

Status HammingDistances(const uint64_t* query, const uint64_t* rows, size_t n, size_t words, uint32_t* out,
                        const ScanOptions& options) {
  HVDB_RETURN_IF_ERROR(ValidateShape(query, 1, rows, n, words));
  if (n > 0 && out == nullptr) return Status::InvalidArgument("out is null but n = " + std::to_string(n));
  HVDB_ASSIGN_OR_RETURN(const KernelTable* kernel, ResolveKernel(options));
  const RowSplit split = SplitRows(n, ThreadsFor(options));
  cpu::ThreadPool::Shared().Run(split.parts, ThreadsFor(options), [&](size_t part) {
    const size_t begin = part * split.rows_per_part;
    const size_t end = std::min(n, begin + split.rows_per_part);
    kernel->distances(query, rows + begin * words, end - begin, words, out + begin);
  });
  return Status::OK();
}

Status TopK(const ScanInput& input, size_t k, Neighbor* out, const ScanOptions& options) {
  if (k == 0) return Status::InvalidArgument("k must be at least 1");
  if (k > kMaxK) {
    return Status::InvalidArgument("k = " + std::to_string(k) + " exceeds the largest supported k, " +
                                   std::to_string(kMaxK));
  }
  if (input.nq > 0 && out == nullptr) return Status::InvalidArgument("out is null but nq = " + std::to_string(input.nq));
  return RunScan(input, options, k, 0, out, nullptr);
}

Status WithinRadius(const ScanInput& input, uint32_t radius, std::vector<Neighbor>* out, const ScanOptions& options) {
  if (input.nq > 0 && out == nullptr) return Status::InvalidArgument("out is null but nq = " + std::to_string(input.nq));
  return RunScan(input, options, 0, radius, nullptr, out);
}

uint64_t AddToBitPlane(uint64_t* plane, uint64_t* carry, size_t words, Simd simd) {
  return TableFor(simd).add_plane(plane, carry, words);
}

}  // namespace hvdb::kernels
