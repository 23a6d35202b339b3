// Copyright hvdb authors. The scan driver: checks arguments, splits rows across
// threads, feeds per-thread collectors through the chosen kernel and merges them.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "kernels/cpu/kernel_table.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cpu/transpose_groups.h"
#include "kernels/hamming.h"
#include "kernels/results.h"

namespace hvdb::kernels {
namespace cpu {

// Up to this k a top-k collector keeps its rows sorted and inserts by moving
// the farther ones up: at k = 10 that is a few moves with one mispredicted
// branch, where the heap's sift-down mispredicts at each of its levels (an
// ivf search over 384-bit rows, which offers about one row in 80, ran 4%
// faster). Above it the moves cost more than the heap's levels.
constexpr size_t kSortedMaxK = 32;

void Collector::ResetTopK(Neighbor* storage, size_t k) {
  heap_ = storage;
  k_ = k;
  size_ = 0;
  hits_ = nullptr;
  names_ = nullptr;
  across_ = false;
  threshold = std::numeric_limits<uint64_t>::max();
}

void Collector::ResetTopKAcross(Neighbor* storage, size_t k, uint32_t max_distance) {
  ResetTopK(storage, k);
  across_ = true;
  threshold = uint64_t{max_distance} + 1;
}

void Collector::ResetRadius(uint32_t radius, std::vector<Neighbor>* hits) {
  hits_ = hits;
  hits_->clear();
  heap_ = nullptr;
  k_ = size_ = 0;
  names_ = nullptr;
  across_ = false;
  threshold = uint64_t{radius} + 1;
}

void Collector::Offer(uint32_t distance, uint64_t row) {
  if (hits_ != nullptr) {
    hits_->push_back({row, distance});
    return;
  }
  // Held by number; a name is read only to break a tie (names are often
  // not in cache, so reading one per offer cost more than the rest of it).
  const auto nearer = [this](const Neighbor& a, const Neighbor& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    return names_ != nullptr ? names_[a.row] < names_[b.row] : a.row < b.row;
  };
  const Neighbor offered{row, distance};
  if (k_ <= kSortedMaxK) {
    size_t at;
    if (size_ < k_) {
      at = size_++;
    } else {
      if (across_ && !nearer(offered, heap_[k_ - 1])) return;
      at = k_ - 1;
    }
    while (at > 0 && nearer(offered, heap_[at - 1])) {
      heap_[at] = heap_[at - 1];
      --at;
    }
    heap_[at] = offered;
  } else if (size_ < k_) {
    heap_[size_++] = offered;
    std::push_heap(heap_, heap_ + size_, nearer);
  } else {
    // In order, a row below the threshold is nearer than the held k-th;
    // across scans a tie with it is nearer only when its name is smaller.
    if (across_ && !nearer(offered, heap_[0])) return;
    // The held k-th replaced: one sift down from the top (pop_heap then
    // push_heap took two passes).
    size_t at = 0;
    for (;;) {
      const size_t left = 2 * at + 1;
      if (left >= k_) break;
      const size_t child = left + 1 < k_ && nearer(heap_[left], heap_[left + 1]) ? left + 1 : left;
      if (!nearer(offered, heap_[child])) break;
      heap_[at] = heap_[child];
      at = child;
    }
    heap_[at] = offered;
  }
  // The held k-th: last when sorted, the heap's top otherwise.
  if (size_ == k_) threshold = uint64_t{heap_[k_ <= kSortedMaxK ? k_ - 1 : 0].distance} + (across_ ? 1 : 0);
}

const KernelTable& TableFor(Simd simd) {
  switch (simd) {
#if defined(__x86_64__)
    case Simd::kAmx: return AmxKernel();
    case Simd::kAvx512: return Avx512Kernel();
    case Simd::kAvx2: return Avx2Kernel();
#endif
    default: return ScalarKernel();
  }
}

}  // namespace cpu

namespace {

using cpu::Collector;
using cpu::KernelTable;
using cpu::TableFor;

// Rows a thread takes at least, so that tiny scans stay on one thread.
constexpr size_t kMinRowsPerThread = 1024;
// Queries scanned together: bounds collector memory and keeps the block of
// queries in cache while rows stream past.
constexpr size_t kQueryChunk = 256;
// Queries a thread takes at least where queries are split across threads
// (a scan's lanes, the merge's slices).
constexpr size_t kMinQueriesPerThread = 16;
// Collector storage allowed per chunk (all threads), which shrinks the chunk for huge k.
constexpr size_t kCollectorBudgetBytes = size_t{64} << 20;
// SharedBoundSearch: top-k slots a thread holds at once (1 MB), kept between
// scans; also the radius hits it keeps between scans.
constexpr size_t kSharedHeapEntries = size_t{1} << 16;

Result<const KernelTable*> ResolveKernel(const ScanOptions& options) {
  HVDB_ASSIGN_OR_RETURN(const Simd simd, ResolveSimd(options));
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

// Rows per cache block for rows of `words` words: options' block bytes, else
// the kernel's, in whole groups of 8 rows (one group at least).
size_t BlockRows(const KernelTable& kernel, const ScanOptions& options, size_t words) {
  const size_t block_bytes = options.block_bytes != 0 ? options.block_bytes : kernel.block_bytes;
  return std::max<size_t>(8, block_bytes / (words * sizeof(uint64_t)) / 8 * 8);
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
  const size_t block_rows = BlockRows(*kernel, options, in.rows.words);

  // Fewer row ranges than threads (a small row set, e.g. ivf's centroids):
  // chunks of queries run side by side too, each part of each lane its own task.
  const size_t lanes =
      std::max<size_t>(1, std::min<size_t>(threads / parts, (in.nq + kMinQueriesPerThread - 1) / kMinQueriesPerThread));
  size_t chunk = std::min(kQueryChunk, (in.nq + lanes - 1) / lanes);
  if (k > 0) chunk = std::clamp<size_t>(kCollectorBudgetBytes / (k * parts * lanes * sizeof(Neighbor)), 1, chunk);

  struct PartState {
    std::vector<Collector> collectors;
    std::vector<Neighbor> heaps;                // chunk x k, top-k mode
    std::vector<std::vector<Neighbor>> hits;    // chunk, radius mode
    std::unique_ptr<uint64_t, AlignedWords> scratch;
  };
  std::vector<PartState> states(lanes * parts);  // lane l's part p at l * parts + p
  for (PartState& s : states) {
    s.collectors.resize(chunk);
    if (k > 0) s.heaps.resize(chunk * k);
    else s.hits.resize(chunk);
    s.scratch = AllocateScratch(block_rows * in.rows.words);
    if (!s.scratch) return Status::ResourceExhausted("cannot allocate a scan block of " + std::to_string(block_rows * row_bytes) + " bytes");
  }

  for (size_t round = 0; round < in.nq; round += chunk * lanes) {
    // Lane l takes queries [first(l), first(l) + count(l)).
    const auto first = [&](size_t l) { return std::min(in.nq, round + l * chunk); };
    const auto count = [&](size_t l) { return std::min(in.nq, first(l) + chunk) - first(l); };
    for (size_t l = 0; l < lanes; ++l) {
      for (size_t p = 0; p < parts; ++p) {
        PartState& s = states[l * parts + p];
        for (size_t qi = 0; qi < count(l); ++qi) {
          if (k > 0) s.collectors[qi].ResetTopK(&s.heaps[qi * k], k);
          else s.collectors[qi].ResetRadius(radius, &s.hits[qi]);
        }
      }
    }
    if (split.parts > 0) {
      cpu::ThreadPool::Shared().Run(lanes * split.parts, threads, [&](size_t t) {
        const size_t lane = t / split.parts, part = t % split.parts;
        if (count(lane) == 0) return;
        cpu::ScanTask task;
        task.queries = in.queries + first(lane) * in.rows.words;
        task.nq = count(lane);
        task.rows = in.rows.rows;
        task.words = in.rows.words;
        task.tombstones = in.rows.tombstones;
        task.row_begin = part * split.rows_per_part;
        task.row_end = std::min(in.rows.n, task.row_begin + split.rows_per_part);
        task.collectors = states[t].collectors.data();
        task.block_rows = block_rows;
        task.scratch = states[t].scratch.get();
        kernel->scan(task);
      });
    }
    // Each query's lists from its lane's parts, merged with the queries split
    // across the threads (on one thread this took a fifth of a scan of 1024
    // rows at k = 100).
    const size_t round_queries = std::min(in.nq - round, chunk * lanes);
    const size_t slices = std::min<size_t>(threads, (round_queries + kMinQueriesPerThread - 1) / kMinQueriesPerThread);
    const size_t per_slice = (round_queries + slices - 1) / slices;
    cpu::ThreadPool::Shared().Run(slices, threads, [&](size_t slice) {
      std::vector<Neighbor> merged;
      for (size_t i = slice * per_slice; i < std::min(round_queries, (slice + 1) * per_slice); ++i) {
        const size_t lane = i / chunk, qi = i % chunk, q = round + i;
        merged.clear();
        for (size_t p = 0; p < parts; ++p) {
          const PartState& s = states[lane * parts + p];
          if (k > 0) merged.insert(merged.end(), s.collectors[qi].held(), s.collectors[qi].held() + s.collectors[qi].size());
          else merged.insert(merged.end(), s.hits[qi].begin(), s.hits[qi].end());
        }
        if (k > 0) {
          const size_t keep = std::min(k, merged.size());
          std::partial_sort(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(keep), merged.end(), kNearerFirst);
          Neighbor* out = topk_out + q * k;
          std::copy(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(keep), out);
          std::fill(out + keep, out + k, Neighbor{});
        } else {
          std::sort(merged.begin(), merged.end(), kNearerFirst);
          radius_out[q] = merged;
        }
      }
    });
  }
  return Status::OK();
}

// The k-th smallest of n distances when at most `bound` (full), else bound:
// the least distance within which k of them lie. Found by counting the
// distances within trial cuts, each count one vector pass over them (a few
// hundred distances are a few dozen vectors): from the least distance,
// widths doubling until k lie within, then the last step halved until exact.
// Over MiniLM's nearest lists (516 distances a query, k = 10, the k-th 26
// above the least on average) that is 9 counts, and the selection 1.7x
// faster than a tally of every distance (a load, a clamp and an increment
// in memory each); eight cuts counted in each pass, or the rows of the bracket
// gathered and tallied instead of halving it, measured slower.
struct Cut {
  uint32_t distance;
  bool full;
};
Cut KthNearest(const KernelTable& kernel, const uint32_t* d, size_t n, size_t k, uint32_t bound) {
  if (k > n) return {bound, false};  // fewer than k in all
  const uint32_t least = kernel.least(d, n);
  if (least > bound) return {bound, false};
  uint32_t below = least;  // fewer than k distances within it
  uint32_t cut = least;
  bool full = kernel.count_at_most(d, n, least) >= k;
  for (uint64_t width = 1; !full && below < bound; width *= 2) {
    cut = bound - below <= width ? bound : below + static_cast<uint32_t>(width);
    full = kernel.count_at_most(d, n, cut) >= k;
    if (!full) below = cut;
  }
  if (!full) return {bound, false};
  while (cut - below > 1) {
    const uint32_t mid = below + (cut - below) / 2;
    if (kernel.count_at_most(d, n, mid) >= k) {
      cut = mid;
    } else {
      below = mid;
    }
  }
  return {cut, true};
}

}  // namespace

unsigned ThreadsFor(const ScanOptions& options) {
  return options.threads == 0 ? DefaultThreads() : options.threads;
}

Result<Simd> ResolveSimd(const ScanOptions& options) {
  Simd simd = Simd::kScalar;
  if (options.simd.has_value()) {
    simd = *options.simd;
  } else {
    HVDB_ASSIGN_OR_RETURN(simd, DefaultSimd());
  }
  if (!SimdSupported(simd)) {
    return Status::InvalidArgument(std::string("CPU kernel '") + SimdName(simd) + "' is not supported by this CPU");
  }
  return simd;
}

uint32_t HammingDistance(const uint64_t* a, const uint64_t* b, size_t words, Simd simd) {
  return TableFor(simd).pair(a, b, words);
}

uint32_t LeastDistance(const uint32_t* distance, size_t n, Simd simd) { return TableFor(simd).least(distance, n); }

size_t RowsWithin(const uint32_t* distance, size_t n, uint32_t limit, uint32_t* rows, Simd simd) {
  return TableFor(simd).rows_at_most(distance, n, limit, rows);
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

Status HammingDistances(const uint64_t* queries, size_t nq, const TransposedRows& rows, uint32_t* out,
                        const ScanOptions& options) {
  if (rows.n() == 0 || nq == 0) return Status::OK();
  HVDB_RETURN_IF_ERROR(ValidateShape(queries, nq, rows.data(), rows.n(), rows.words()));
  if (out == nullptr) return Status::InvalidArgument("out is null but nq x n = " + std::to_string(nq) + " x " +
                                                     std::to_string(rows.n()));
  HVDB_ASSIGN_OR_RETURN(const KernelTable* kernel, ResolveKernel(options));
  kernel->transposed_distances(queries, nq, rows.data(), rows.n(), rows.words(), out);
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

SharedBoundSearch::SharedBoundSearch(size_t nq, size_t k, uint32_t max_distance)
    : nq_(nq), k_(k), max_distance_(max_distance), bound_(nq) {
  for (std::atomic<uint32_t>& b : bound_) b.store(max_distance, std::memory_order_relaxed);
}

SharedBoundSearch::~SharedBoundSearch() = default;

Result<std::unique_ptr<SharedBoundSearch>> SharedBoundSearch::Make(size_t nq, size_t k,
                                                                   std::optional<uint32_t> max_distance) {
  if (k > kMaxK) {
    return Status::InvalidArgument("k = " + std::to_string(k) + " exceeds the largest supported k, " +
                                   std::to_string(kMaxK));
  }
  if (k == 0 && !max_distance) return Status::InvalidArgument("k = 0 (every row within a radius) needs max_distance");
  return std::unique_ptr<SharedBoundSearch>(new SharedBoundSearch(nq, k, max_distance.value_or(kNoDistance)));
}

void TransposedRows::Free::operator()(uint64_t* p) const { std::free(p); }

void TransposedRows::Reserve(size_t n, size_t words) {
  if (words != words_ && n_ > 0) return;  // the next Update rewrites everything anyway
  Grow((n + 7) / 8 * 8 * words, (n_ + 7) / 8 * 8 * words_);
}

void TransposedRows::Update(const uint64_t* rows, size_t n, size_t words, size_t from) {
  if (words != words_) from = 0;
  from = std::min(from, std::min(n, n_)) / 8 * 8;  // from a whole group, and no row left unwritten
  const size_t needed = (n + 7) / 8 * 8 * words;
  if (needed > capacity_words_) Grow(std::max(needed, capacity_words_ + capacity_words_ / 4), from * words);
  if (n > from) cpu::TransposeGroups(rows + from * words, n - from, words, data_.get() + from * words);
  n_ = n;
  words_ = words;
}

void TransposedRows::Grow(size_t capacity_words, size_t keep_words) {
  if (capacity_words <= capacity_words_) return;
  std::unique_ptr<uint64_t, Free> grown(AllocateScratch(capacity_words).release());
  if (!grown) throw std::bad_alloc();  // as a std::vector would
  if (keep_words > 0) std::copy_n(data_.get(), keep_words, grown.get());
  data_ = std::move(grown);
  capacity_words_ = capacity_words;
}

// Sets of at most this many rows have their names prefetched (16 KB).
constexpr size_t kPrefetchNamesMax = 4096;
// A set of at most this many rows (given transposed, without tombstones),
// scanned for queries whose bounds are all still max_distance_ (an ivf's
// nearest lists), has every distance computed and each query's k-th nearest
// found by counting the rows within trial distances (KeepNearest,
// KthNearest), not by a top-k collector: from no bound the collector takes
// in about k x (1 + ln(n / k)) of the rows, each insertion costing more than
// a distance (at nprobe 24 over MiniLM's 384-bit rows, lists of 450 rows: 50
// offers a query in its nearest list, 70% of all the search's offers). Over
// larger sets the insertions are a smaller share of the rows than writing
// and counting every distance costs; over wider rows the distances are most
// of the time and the collector's offers a small share.
constexpr size_t kSelectMaxRows = 2048;
constexpr size_t kSelectMaxWords = 8;
// Distances computed at once by KeepNearest (128 KB).
constexpr size_t kSelectDistances = size_t{1} << 15;

Status SharedBoundSearch::Scan(const uint64_t* queries, const uint32_t* which, size_t count, const RowsView& rows,
                               const uint32_t* names, const ScanOptions& options,
                               const TransposedRows* transposed) {
  HVDB_RETURN_IF_ERROR(ValidateShape(queries, count, rows.rows, rows.n, rows.words));
  if (transposed != nullptr && (transposed->n() != rows.n || transposed->words() != rows.words)) {
    return Status::InvalidArgument("transposed rows of " + std::to_string(transposed->n()) + " x " +
                                   std::to_string(transposed->words()) + " words for a set of " +
                                   std::to_string(rows.n) + " x " + std::to_string(rows.words));
  }
  if (count > 0 && which == nullptr) return Status::InvalidArgument("which is null but count = " + std::to_string(count));
  if (rows.n > 0 && names == nullptr) return Status::InvalidArgument("names is null but n = " + std::to_string(rows.n));
  HVDB_ASSIGN_OR_RETURN(const KernelTable* kernel, ResolveKernel(options));
  for (size_t i = 0; i < count; ++i) {
    if (which[i] >= nq_) {
      return Status::InvalidArgument("query " + std::to_string(which[i]) + " of " + std::to_string(nq_) +
                                     " queries");
    }
  }
  if (count == 0 || rows.n == 0) return Status::OK();
  // The names are read for ties and for the hits kept, after the scan, and
  // the scan itself never touches them: a small set's are fetched now, while
  // the scan runs.
  if (rows.n <= kPrefetchNamesMax) {
    for (size_t i = 0; i < rows.n; i += 64 / sizeof(uint32_t)) __builtin_prefetch(names + i);
  }
  if (k_ > 0 && transposed != nullptr && rows.tombstones == nullptr && rows.n <= kSelectMaxRows &&
      rows.words <= kSelectMaxWords &&
      std::all_of(which, which + count,
                  [&](uint32_t q) { return bound_[q].load(std::memory_order_relaxed) == max_distance_; })) {
    KeepNearest(queries, which, count, *transposed, names, *kernel);
    return Status::OK();
  }
  const size_t block_rows = BlockRows(*kernel, options, rows.words);
  // Per thread, kept between calls (a probe is often a few hundred rows for
  // a few queries): the scan block and the collectors with their storage.
  thread_local std::unique_ptr<uint64_t, AlignedWords> scratch;
  thread_local size_t scratch_words = 0;
  thread_local std::vector<Collector> collectors;
  thread_local std::vector<Neighbor> heaps;                // pass x k (top-k)
  thread_local std::vector<std::vector<Neighbor>> within;  // pass (radius)
  if (scratch_words < block_rows * rows.words) {
    scratch = AllocateScratch(block_rows * rows.words);
    scratch_words = scratch ? block_rows * rows.words : 0;
    if (!scratch) {
      return Status::ResourceExhausted("cannot allocate a scan block of " +
                                       std::to_string(block_rows * rows.words * sizeof(uint64_t)) + " bytes");
    }
  }
  // Queries per pass over the rows: as many as kSharedHeapEntries slots hold,
  // so that a huge k costs passes, not memory (k = kMaxK: one query a pass).
  const size_t pass = k_ > 0 ? std::clamp<size_t>(kSharedHeapEntries / k_, 1, count) : count;
  collectors.resize(pass);
  if (k_ > 0) {
    heaps.resize(pass * k_);
  } else if (within.size() < pass) {
    within.resize(pass);
  }
  for (size_t begin = 0; begin < count; begin += pass) {
    const size_t n = std::min(pass, count - begin);
    const uint32_t* pass_which = which + begin;
    for (size_t i = 0; i < n; ++i) {
      const uint32_t bound = bound_[pass_which[i]].load(std::memory_order_relaxed);
      if (k_ > 0) collectors[i].ResetTopKAcross(&heaps[i * k_], k_, bound);
      else collectors[i].ResetRadius(bound, &within[i]);
      collectors[i].set_names(names);
    }
    cpu::ScanTask task;
    task.queries = queries + begin * rows.words;
    task.nq = n;
    task.rows = rows.rows;
    task.words = rows.words;
    task.tombstones = rows.tombstones;
    task.row_begin = 0;
    task.row_end = rows.n;
    task.collectors = collectors.data();
    task.block_rows = block_rows;
    task.scratch = scratch.get();
    task.groups = transposed != nullptr ? transposed->data() : nullptr;
    kernel->scan(task);

    // A later set only has to beat what this one found (a full top-k's k-th).
    for (size_t i = 0; i < n; ++i) {
      if (k_ > 0 && collectors[i].size() == k_) {
        Limit(pass_which[i], static_cast<uint32_t>(collectors[i].threshold - 1));
      }
    }
    {
      // Only hits within the query's bound now can be among its k nearest
      // (some scan found k hits that near, and keeps them), so only they
      // are kept.
      KeptShard& shard = shards_[ThreadShard()];
      MutexLock lock(shard.mu);
      for (size_t i = 0; i < n; ++i) {
        const Neighbor* hits = k_ > 0 ? collectors[i].held() : within[i].data();
        const size_t found = k_ > 0 ? collectors[i].size() : within[i].size();
        const uint32_t bound = bound_[pass_which[i]].load(std::memory_order_relaxed);
        for (size_t j = 0; j < found; ++j) {
          if (hits[j].distance <= bound) shard.kept.push_back({pass_which[i], {names[hits[j].row], hits[j].distance}});
        }
      }
    }
    grouped_.store(false, std::memory_order_relaxed);
  }
  if (k_ == 0) {
    size_t held = 0;
    for (const std::vector<Neighbor>& hits : within) held += hits.capacity();
    if (held > kSharedHeapEntries) std::vector<std::vector<Neighbor>>().swap(within);  // kept only while small
  }
  return Status::OK();
}

void SharedBoundSearch::KeepNearest(const uint64_t* queries, const uint32_t* which, size_t count,
                                    const TransposedRows& rows, const uint32_t* names,
                                    const cpu::KernelTable& kernel) {
  const size_t n = rows.n();
  const uint32_t max_distance = static_cast<uint32_t>(rows.words() * 64);
  const size_t pass = std::clamp<size_t>(kSelectDistances / n, 1, count);
  // Per thread, kept between calls: pass x n distances (at most
  // max(kSelectDistances, kSelectMaxRows)), the rows within a query's cut
  // (n), the hits found (appended to the thread's shard at the end, under
  // its lock).
  thread_local std::vector<uint32_t> distances;
  thread_local std::vector<uint32_t> nearest;
  thread_local std::vector<Kept> found;
  distances.resize(pass * n);
  nearest.resize(n);
  found.clear();
  for (size_t begin = 0; begin < count; begin += pass) {
    const size_t m = std::min(pass, count - begin);
    kernel.transposed_distances(queries + begin * rows.words(), m, rows.data(), n, rows.words(), distances.data());
    for (size_t i = 0; i < m; ++i) {
      const uint32_t q = which[begin + i];
      const uint32_t* const d = &distances[i * n];
      const uint32_t bound = std::min(bound_[q].load(std::memory_order_relaxed), max_distance);
      const Cut cut = KthNearest(kernel, d, n, k_, bound);
      if (cut.full) Limit(q, cut.distance);
      const size_t within = kernel.rows_at_most(d, n, cut.distance, nearest.data());
      for (size_t j = 0; j < within; ++j) found.push_back({q, {names[nearest[j]], d[nearest[j]]}});
    }
  }
  {
    KeptShard& shard = shards_[ThreadShard()];
    MutexLock lock(shard.mu);
    shard.kept.insert(shard.kept.end(), found.begin(), found.end());
  }
  grouped_.store(false, std::memory_order_relaxed);
  if (found.capacity() > kSharedHeapEntries) std::vector<Kept>().swap(found);  // kept only while small
}

void SharedBoundSearch::Limit(size_t q, uint32_t distance) {
  // Any bound read is a true one (each only lowers the last), so relaxed.
  uint32_t now = bound_[q].load(std::memory_order_relaxed);
  while (distance < now && !bound_[q].compare_exchange_weak(now, distance, std::memory_order_relaxed)) {
  }
}

size_t SharedBoundSearch::ThreadShard() {
  // Numbered on first use: a pool's threads, numbered once, keep to shards
  // of their own.
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kKeptShards;
  return shard;
}

void SharedBoundSearch::Group() {
  if (grouped_.load(std::memory_order_relaxed)) return;
  first_.assign(nq_ + 1, 0);
  size_t kept = 0;
  for (KeptShard& shard : shards_) {
    MutexLock lock(shard.mu);
    for (const Kept& k : shard.kept) ++first_[k.query + 1];
    kept += shard.kept.size();
  }
  for (size_t q = 0; q < nq_; ++q) first_[q + 1] += first_[q];
  by_query_.resize(kept);
  std::vector<size_t> at(first_.begin(), first_.end() - 1);
  for (KeptShard& shard : shards_) {
    MutexLock lock(shard.mu);
    for (const Kept& k : shard.kept) by_query_[at[k.query]++] = k.hit;
  }
  grouped_.store(true, std::memory_order_relaxed);
}

std::vector<Neighbor> SharedBoundSearch::Hits(size_t q) {
  Group();
  std::vector<Neighbor> hits;
  std::vector<uint64_t> keys;
  Answer(q, &keys, &hits);
  return hits;
}

void SharedBoundSearch::AppendHits(size_t first, size_t count, std::vector<Neighbor>* out) {
  Group();
  out->insert(out->end(), by_query_.begin() + first_[first], by_query_.begin() + first_[first + count]);
}

void SharedBoundSearch::Answer(size_t q, std::vector<uint64_t>* keys, std::vector<Neighbor>* hits) const {
  const auto first = by_query_.begin() + static_cast<std::ptrdiff_t>(first_[q]);
  const auto last = by_query_.begin() + static_cast<std::ptrdiff_t>(first_[q + 1]);
  // Hits beyond the query's final bound (a k-th distance some scan found)
  // were kept before it fell; they are dropped before sorting. The rest
  // sort as distance << 32 | name (names are 32 bits): the order of
  // NearerFirst, compared as one integer.
  const uint32_t bound = bound_[q].load(std::memory_order_relaxed);
  keys->resize(static_cast<size_t>(last - first));
  size_t near = 0;
  for (auto hit = first; hit != last; ++hit) {
    (*keys)[near] = (uint64_t{hit->distance} << 32) | hit->row;
    near += hit->distance <= bound;
  }
  const size_t keep = k_ > 0 ? std::min(k_, near) : near;
  const auto kept = keys->begin() + static_cast<std::ptrdiff_t>(keep);
  if (keep < near) std::nth_element(keys->begin(), kept, keys->begin() + static_cast<std::ptrdiff_t>(near));
  std::sort(keys->begin(), kept);
  hits->resize(keep);
  for (size_t i = 0; i < keep; ++i) (*hits)[i] = {(*keys)[i] & 0xffffffffu, static_cast<uint32_t>((*keys)[i] >> 32)};
}

void SharedBoundSearch::AllHits(const ScanOptions& options, std::vector<std::vector<Neighbor>>* out) {
  Group();
  out->assign(nq_, {});
  const size_t tasks = (nq_ + kMinQueriesPerThread - 1) / kMinQueriesPerThread;
  cpu::ThreadPool::Shared().Run(tasks, ThreadsFor(options), [&](size_t task) {
    const size_t end = std::min(nq_, (task + 1) * kMinQueriesPerThread);
    std::vector<uint64_t> keys;
    for (size_t q = task * kMinQueriesPerThread; q < end; ++q) Answer(q, &keys, &(*out)[q]);
  });
}

uint64_t AddToBitPlane(uint64_t* plane, uint64_t* carry, size_t words, Simd simd) {
  return TableFor(simd).add_plane(plane, carry, words);
}

}  // namespace hvdb::kernels
