// Copyright hvdb authors. CPU Hamming kernels: the interface every backend implements.
//
// Buffers are raw 64-bit words, FAISS style: a "rows" buffer of n x words holds
// row i at rows + i * words. No alignment is required (aligned rows are faster).
// A tombstone bitmap holds ceil(n / 64) words; bit i set means row i is deleted
// and is never returned.
//
// Every kernel returns exactly the same answers. Results are ordered by
// distance, then by row index: among rows at equal distance the smaller index
// wins, in every kernel and for every thread count.
#ifndef HVDB_KERNELS_HAMMING_H_
#define HVDB_KERNELS_HAMMING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "hvdb/result.h"
#include "hvdb/status.h"

namespace hvdb::kernels {

namespace cpu {
struct KernelTable;
}  // namespace cpu

// The CPU kernels, slowest first.
enum class Simd : int {
  kScalar = 0,  // portable reference: one 64-bit popcount per word
  kAvx2 = 1,    // AVX2 nibble-lookup (pshufb) popcount, byte counters
  kAvx512 = 2,  // AVX-512 VPOPCNTDQ, counts accumulated in vectors
  kAmx = 3,     // AMX-INT8 tile dot products on bits widened to bytes (batches);
                // AVX-512 for pairs and small batches
};
inline constexpr Simd kAllSimd[] = {Simd::kScalar, Simd::kAvx2, Simd::kAvx512, Simd::kAmx};

const char* SimdName(Simd simd);
// InvalidArgument naming the text and the accepted names when unknown.
Result<Simd> ParseSimd(std::string_view name);
// Whether this CPU and OS can run the kernel (cpuid and XCR0).
bool SimdSupported(Simd simd);
Simd BestSupportedSimd();
// The kernel used when ScanOptions::simd is unset: HVDB_SIMD if set, else
// BestSupportedSimd(). InvalidArgument when HVDB_SIMD is unknown or names a
// kernel this CPU cannot run. The variable is read once per process.
Result<Simd> DefaultSimd();

// Largest k a TopK call accepts.
inline constexpr size_t kMaxK = size_t{1} << 16;
// Marks an unused result slot (fewer live rows than k).
inline constexpr uint64_t kNoRow = ~uint64_t{0};
inline constexpr uint32_t kNoDistance = ~uint32_t{0};

struct Neighbor {
  uint64_t row = kNoRow;
  uint32_t distance = kNoDistance;
  friend bool operator==(const Neighbor&, const Neighbor&) = default;
};

// The order of every result list: nearer first, then the smaller row.
inline bool NearerFirst(const Neighbor& a, const Neighbor& b) {
  return a.distance != b.distance ? a.distance < b.distance : a.row < b.row;
}
// The same as a function object, which the heap and sort algorithms inline
// (given the function, they call it through a pointer at every step).
inline constexpr auto kNearerFirst = [](const Neighbor& a, const Neighbor& b) { return NearerFirst(a, b); };

struct ScanOptions {
  // Kernel to run; unset: DefaultSimd().
  std::optional<Simd> simd;
  // Threads to use, the caller's included; 0: one per core.
  unsigned threads = 0;
  // Bytes of rows processed as one cache block; 0: the kernel's default.
  size_t block_bytes = 0;
};

// The kernel a scan with `options` runs: options.simd, else DefaultSimd().
// InvalidArgument naming it when this CPU cannot run it.
Result<Simd> ResolveSimd(const ScanOptions& options);

// Rows as every layer sees them (a collection's host cache, an ivf list, a
// device shard's host copy): n rows of `words` 64-bit words, the tombstone
// bitmap, and in a collection the rows' ids.
struct RowsView {
  const uint64_t* rows = nullptr;        // n x words
  size_t n = 0;
  size_t words = 0;
  const uint64_t* tombstones = nullptr;  // ceil(n / 64) words, or null: no row deleted
  const uint64_t* ids = nullptr;         // n row ids (RocksDB's), increasing; null outside a collection
  // Rows not deleted, when the owner counts them (the host cache does);
  // kUnknownLive: count the tombstones.
  static constexpr uint64_t kUnknownLive = ~uint64_t{0};
  uint64_t live = kUnknownLive;

  const uint64_t* row(size_t r) const { return rows + r * words; }
  bool deleted(size_t r) const { return tombstones != nullptr && ((tombstones[r / 64] >> (r % 64)) & 1); }
};

// nq queries against a view's rows: {queries, nq, rows, n, words, tombstones}.
struct ScanInput {
  const uint64_t* queries = nullptr;     // nq x rows.words
  size_t nq = 0;
  RowsView rows;
};

// Distance between two vectors of `words` words with `simd`.
// REQUIRES: SimdSupported(simd); a and b point at `words` words each.
uint32_t HammingDistance(const uint64_t* a, const uint64_t* b, size_t words, Simd simd);

// Over a query's n distances (n < 2^32), with `simd`: the least of them
// (~0u when n is 0), and the places i of those at most `limit`, in
// increasing order, into rows (room for n), returning how many.
// REQUIRES: SimdSupported(simd).
uint32_t LeastDistance(const uint32_t* distance, size_t n, Simd simd);
size_t RowsWithin(const uint32_t* distance, size_t n, uint32_t limit, uint32_t* rows, Simd simd);

// Distance from one query to each of n rows (tombstones are not consulted).
// out: n distances. Rows are split across threads.
Status HammingDistances(const uint64_t* query, const uint64_t* rows, size_t n, size_t words,
                        uint32_t* out, const ScanOptions& options = {});

// For each query, the k live rows nearest to it, nearest first (ties: smaller
// row first). out: nq x k; when fewer than k rows are live, the tail of a
// query's slots holds {kNoRow, kNoDistance}. k must be in [1, kMaxK].
Status TopK(const ScanInput& input, size_t k, Neighbor* out, const ScanOptions& options = {});

// For each query, every live row within `radius` (distance <= radius), nearest
// first (ties: smaller row first). out: nq vectors, replaced.
Status WithinRadius(const ScanInput& input, uint32_t radius, std::vector<Neighbor>* out,
                    const ScanOptions& options = {});

// Rows stored a second time, transposed: groups of 8 rows, word-major inside
// a group (word w of row 8g + j at data()[(g * words + w) * 8 + j]), the last
// group padded with zero rows, 64-byte aligned. The transposing kernels (avx2,
// avx512, and amx below its batch size) scan them for any number of queries,
// without transposing first and without the horizontal sums a row-major
// group of 8 costs a query, which over narrow rows cost as much as the
// distances (ivf keeps its lists of narrow rows so).
// Not thread-safe for writes; reads may run at once.
class TransposedRows {
 public:
  TransposedRows() = default;
  // A moved-from object holds no rows.
  TransposedRows(TransposedRows&& other) noexcept { *this = std::move(other); }
  TransposedRows& operator=(TransposedRows&& other) noexcept {
    data_ = std::move(other.data_);
    capacity_words_ = std::exchange(other.capacity_words_, 0);
    n_ = std::exchange(other.n_, 0);
    words_ = std::exchange(other.words_, 0);
    return *this;
  }
  // Room for n rows of `words` words without reallocating (as
  // std::vector::reserve); the rows held are kept.
  void Reserve(size_t n, size_t words);
  // Rows [from, n) of `rows` (n x words) written again, the rows before kept
  // (a change at row `from`: a row inserted or erased there); n may differ
  // from the last call's; other words than the last call's rewrite every row.
  void Update(const uint64_t* rows, size_t n, size_t words, size_t from);
  const uint64_t* data() const { return data_.get(); }
  size_t n() const { return n_; }
  size_t words() const { return words_; }
  uint64_t capacity_bytes() const { return capacity_words_ * sizeof(uint64_t); }

 private:
  struct Free {
    void operator()(uint64_t* p) const;
  };
  // To capacity_words (when more than now), the first keep_words kept.
  void Grow(size_t capacity_words, size_t keep_words);
  std::unique_ptr<uint64_t, Free> data_;
  size_t capacity_words_ = 0;
  size_t n_ = 0;
  size_t words_ = 0;
};

// Distances from nq queries (nq x rows.words()) to each row of `rows`:
// out[q * rows.n() + r], nq x rows.n() in all. On the calling thread
// (options.threads is not consulted), with options.simd; four queries a pass
// over the transposed groups, so no pair costs a horizontal sum (an ivf
// index ranks its centroids so).
Status HammingDistances(const uint64_t* queries, size_t nq, const TransposedRows& rows, uint32_t* out,
                        const ScanOptions& options = {});

// Searches whose rows come in several sets, scanned one after another or at
// once on several threads (an ivf index's probed lists). Each query keeps a
// bound across the sets: the k-th distance a finished scan has found for it
// so far (or max_distance), so that a row which cannot beat it costs no
// collector work in any set scanned later. The caller names each set's rows
// (names[i] for its row i), in any order across sets; among rows at equal
// distance the smaller name wins, as in TopK.
//
// A scan of a small narrow set, given transposed and without tombstones,
// for queries whose bounds are all still max_distance (an ivf's nearest
// lists) computes every distance and finds each query's k-th by counting
// instead (scan.cc, kSelectMaxRows).
//
// A scan collects into collectors of the calling thread's own and keeps only
// each query's hits and bound, so a search of many queries (an ivf's nq
// queries, each probing nprobe lists) holds 4 bytes per query plus its hits,
// not a collector of k slots per probe. A thread's collectors hold at most
// 2^16 slots (1 MB): a scan with a larger count x k goes over its rows in
// several passes.
//
// Thread safety: Scan calls may run at once, a query in several of them (its
// bound lowered by whichever finds a nearer k-th first; the hits are the
// same either way); Hits, AppendHits and AllHits once they all
// returned, from one thread (AllHits not from a ThreadPool task).
class SharedBoundSearch {
 public:
  // k in [1, kMaxK]: the k nearest, only within max_distance when set;
  // k = 0: every row within max_distance, which is then required.
  static Result<std::unique_ptr<SharedBoundSearch>> Make(size_t nq, size_t k, std::optional<uint32_t> max_distance);
  ~SharedBoundSearch();
  SharedBoundSearch(const SharedBoundSearch&) = delete;
  SharedBoundSearch& operator=(const SharedBoundSearch&) = delete;

  // Scans one set, `rows` (its tombstones honoured), for `count` queries:
  // queries[i * rows.words, +words) holds the bits of query which[i] < nq,
  // no query twice.
  // names: rows.n names. On the calling thread, with options.simd.
  // transposed: the same rows transposed, or null (InvalidArgument when its
  // shape is not rows'); the kernels that transpose may read it instead.
  Status Scan(const uint64_t* queries, const uint32_t* which, size_t count, const RowsView& rows,
              const uint32_t* names, const ScanOptions& options, const TransposedRows* transposed = nullptr);

  // Query q's hits, nearest first (at most k when k > 0).
  std::vector<Neighbor> Hits(size_t q);
  // Appends to *out the hits kept for queries [first, first + count), in no
  // order; with k > 0 they include each query's k nearest, and MergeHits(k)
  // of them is its answer. REQUIRES: first + count <= nq.
  void AppendHits(size_t first, size_t count, std::vector<Neighbor>* out);
  // Every query's answer: (*out)[q] = Hits(q) for q in [0, nq), the queries
  // merged on options.threads threads (a batch's merge is a share of a fast
  // search's time). options.simd is not read.
  void AllHits(const ScanOptions& options, std::vector<std::vector<Neighbor>>* out);

 private:
  struct Kept {
    uint32_t query;
    Neighbor hit;
  };
  SharedBoundSearch(size_t nq, size_t k, uint32_t max_distance);
  // Query q keeps only rows within `distance` from now on; a Scan running
  // meanwhile may not see it. Any thread.
  void Limit(size_t q, uint32_t distance);
  // Scan's path for queries whose bound is still max_distance_ over a small
  // transposed set without tombstones: every distance, each query's k-th
  // nearest found by counting, and every row within it kept (ties included;
  // the merge breaks them by name). REQUIRES: k_ > 0.
  void KeepNearest(const uint64_t* queries, const uint32_t* which, size_t count, const TransposedRows& rows,
                   const uint32_t* names, const cpu::KernelTable& kernel);
  // Query q's answer into *hits (Hits(q)), from its grouped hits: those
  // within its final bound, sorted, the first k. keys: scratch. REQUIRES:
  // grouped.
  void Answer(size_t q, std::vector<uint64_t>* keys, std::vector<Neighbor>* hits) const;
  // Groups the shards' hits by query into by_query_ once every Scan returned.
  void Group();
  // The calling thread's shard of shards_.
  static size_t ThreadShard();

  // What the scans kept, in no order. A thread appends to the shard of its
  // own number (ThreadShard; more than kKeptShards threads share them), so
  // that scans running at once seldom wait on one lock (an ivf search's two
  // threads did, each wait a sleep in the kernel; docs/perf.md).
  struct alignas(64) KeptShard {
    Mutex mu;
    std::vector<Kept> kept HVDB_GUARDED_BY(mu);
  };
  static constexpr size_t kKeptShards = 8;

  size_t nq_;
  size_t k_;
  uint32_t max_distance_;
  std::vector<std::atomic<uint32_t>> bound_;  // nq: each query's rows are within this distance
  KeptShard shards_[kKeptShards];
  // Atomic since Scans running at once clear it; read, and first_ and
  // by_query_ written, only by Group, on the one thread that reads the hits
  // once every Scan returned (the contract above).
  std::atomic<bool> grouped_{false};  // by_query_ holds every shard's hits
  std::vector<size_t> first_;     // nq + 1: query q's hits at by_query_[first_[q], first_[q + 1])
  std::vector<Neighbor> by_query_;
};

// One step of bit-sliced counting (bundling): adds `carry` (one bit per
// position) into `plane` (bit j of every position's count), leaving the carry
// out in `carry`. plane and carry: `words` words each. Returns the OR of the
// carry out (0: no higher plane is touched). REQUIRES: SimdSupported(simd).
uint64_t AddToBitPlane(uint64_t* plane, uint64_t* carry, size_t words, Simd simd);

// Threads a scan uses when ScanOptions::threads is 0.
unsigned DefaultThreads();

// Threads a scan with `options` uses: options.threads, else DefaultThreads().
unsigned ThreadsFor(const ScanOptions& options);

}  // namespace hvdb::kernels

#endif  // HVDB_KERNELS_HAMMING_H_
