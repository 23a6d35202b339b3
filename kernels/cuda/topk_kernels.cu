// Copyright hvdb authors. The CUDA kernels of GPU search (C++17, no hvdb
// header: see topk_kernels.h). Design: kernels/cuda/search_device.cc.
#include "kernels/cuda/topk_kernels.h"

#include "kernels/cuda/launch.h"

#include <algorithm>

namespace hvdb::kernels::cuda {
namespace {


// The distance of row to query counted over the row's words (16-byte pairs
// when both are 16-byte aligned and words is even) lane, lane + lanes, ...:
// `lanes` consecutive threads that each take a lane read a row's words
// side by side (coalesced), and their shares add up to the distance. The
// row is global memory (read through the read-only cache, __ldg); the query
// may be in shared memory (plain loads).
__device__ __forceinline__ uint32_t DistanceShare(const uint64_t* __restrict__ row, const uint64_t* __restrict__ query,
                                                  int words, int lane, int lanes) {
  uint32_t d = 0;
  if ((words & 1) == 0 && (reinterpret_cast<uintptr_t>(row) & 15) == 0 &&
      (reinterpret_cast<uintptr_t>(query) & 15) == 0) {
    const ulonglong2* r = reinterpret_cast<const ulonglong2*>(row);
    const ulonglong2* q = reinterpret_cast<const ulonglong2*>(query);
    for (int i = lane; i < words / 2; i += lanes) {
      const ulonglong2 a = __ldg(r + i), b = q[i];
      d += __popcll(a.x ^ b.x) + __popcll(a.y ^ b.y);
    }
  } else {
    for (int w = lane; w < words; w += lanes) d += __popcll(__ldg(row + w) ^ query[w]);
  }
  return d;
}

__device__ __forceinline__ bool Dead(const uint64_t* __restrict__ tombstones, size_t row) {
  return tombstones != nullptr && ((__ldg(tombstones + row / 64) >> (row % 64)) & 1);
}

// Sorts keys[0, count) ascending in place (count <= kSortKeys), padding to a
// power of two with kEmpty. All threads of the block call it.
__device__ void BlockSort(unsigned long long* keys, int count) {
  int size = 1;
  while (size < count) size <<= 1;
  for (int i = count + threadIdx.x; i < size; i += blockDim.x) keys[i] = kEmpty;
  __syncthreads();
  for (int span = 2; span <= size; span <<= 1) {
    for (int stride = span / 2; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < size / 2; i += blockDim.x) {
        const int lo = (i / stride) * stride * 2 + (i % stride);
        const int hi = lo + stride;
        const bool ascending = (lo & span) == 0;
        const unsigned long long a = keys[lo], b = keys[hi];
        if ((a > b) == ascending) {
          keys[lo] = b;
          keys[hi] = a;
        }
      }
      __syncthreads();
    }
  }
}

// Merges the candidates keys[kk, kk + added) into the sorted top kk at keys[0, kk).
__device__ void MergeCandidates(unsigned long long* keys, int kk, int added) {
  if (added == 0) return;  // uniform across the block: `added` is read from shared memory after a barrier
  BlockSort(keys, kk + added);
}

// grid (tiles, nq): block (t, q) keeps the kk nearest rows of tile t for
// query q. Rows are read kLanesPerRow threads a row (a warp reads 4 rows'
// consecutive words at once), kStepRows rows a step; the lanes' shares of
// each row's distance meet in shared memory, where one thread a row adds
// them up.
__global__ void TileTopK(const uint64_t* __restrict__ rows, size_t n, int words, const uint64_t* __restrict__ tombstones,
                         const uint64_t* __restrict__ queries, int kk, size_t tile_rows,
                         unsigned long long* __restrict__ out) {
  constexpr int kRowLanes = kThreads / kLanesPerRow;
  __shared__ unsigned long long keys[kSortKeys];
  __shared__ __align__(16) uint64_t shared_query[kSharedQueryWords];  // 16-byte loads read it
  // shares[lane][row of the step]. A warp writes 8 lanes x 4 consecutive
  // rows; 4 words of padding a lane put those 32 writes on 32 banks.
  __shared__ uint32_t shares[kLanesPerRow][kStepRows + 4];
  __shared__ int added;
  const size_t tile = blockIdx.x, q = blockIdx.y;
  // The query is read by every row: from shared memory when it fits.
  const uint64_t* query = queries + q * words;
  if (words <= kSharedQueryWords) {
    for (int w = threadIdx.x; w < words; w += blockDim.x) shared_query[w] = query[w];
    query = shared_query;
  }
  const size_t begin = tile * tile_rows, end = min(n, begin + tile_rows);
  for (int i = threadIdx.x; i < kk; i += blockDim.x) keys[i] = kEmpty;
  __syncthreads();
  for (size_t chunk = begin; chunk < end; chunk += kChunk) {
    if (threadIdx.x == 0) added = 0;
    __syncthreads();
    const unsigned long long worst = keys[kk - 1];
    const size_t chunk_end = min(end, chunk + kChunk);
    const int lane = static_cast<int>(threadIdx.x) % kLanesPerRow;
    const int row_lane = static_cast<int>(threadIdx.x) / kLanesPerRow;
    for (size_t step = chunk; step < chunk_end; step += kStepRows) {
      for (int i = row_lane; i < kStepRows; i += kRowLanes) {
        shares[lane][i] =
            step + i < chunk_end ? DistanceShare(rows + (step + i) * words, query, words, lane, kLanesPerRow) : 0;
      }
      __syncthreads();
      const size_t r = step + threadIdx.x;
      if (static_cast<int>(threadIdx.x) < kStepRows && r < chunk_end && !Dead(tombstones, r)) {
        uint32_t distance = 0;
        for (int l = 0; l < kLanesPerRow; ++l) distance += shares[l][threadIdx.x];
        const unsigned long long key = (static_cast<unsigned long long>(distance) << 32) | r;
        if (key < worst) keys[kk + atomicAdd(&added, 1)] = key;
      }
      __syncthreads();
    }
    MergeCandidates(keys, kk, added);
    __syncthreads();
  }
  unsigned long long* dst = out + (q * gridDim.x + tile) * kk;
  for (int i = threadIdx.x; i < kk; i += blockDim.x) dst[i] = keys[i];
}

// Merges the sorted candidates[0, count) into the sorted list[0, kk), which
// keeps the kk smallest of both. One thread; candidates are sorted in place.
__device__ void MergeIntoList(unsigned long long* list, int kk, unsigned long long* candidates, int count) {
  for (int i = 1; i < count; ++i) {  // insertion sort: count <= kSlabRows
    const unsigned long long key = candidates[i];
    int j = i;
    for (; j > 0 && candidates[j - 1] > key; --j) candidates[j] = candidates[j - 1];
    candidates[j] = key;
  }
  // The kk smallest are list[0, kept) and candidates[0, taken). The list's
  // keys below the smallest candidate all stay (found by bisection); past
  // them, count until every candidate is placed or the list is full.
  int kept = 0, taken = 0;
  for (int hi = kk; kept < hi;) {
    const int mid = (kept + hi) / 2;
    if (list[mid] < candidates[0]) {
      kept = mid + 1;
    } else {
      hi = mid;
    }
  }
  int t = kept;
  for (; t < kk && taken < count; ++t) {
    if (candidates[taken] < list[kept]) {
      ++taken;
    } else {
      ++kept;
    }
  }
  kept += kk - t;
  // ...merged from the back, where nothing unread is overwritten.
  for (int out = kk - 1, a = kept - 1, b = taken - 1; b >= 0; --out) {
    list[out] = a >= 0 && list[a] > candidates[b] ? list[a--] : candidates[b--];
  }
}

// grid (tiles, query groups): block (t, g) keeps, for each of the up to
// kGroupQueries queries of group g, the kk nearest rows of tile t, sorted,
// in lists (nq x tiles x kk, as TileTopK). A block reads each row of its tile
// once for the whole group: slabs of kSlabRows rows, kSlabWords words at a
// time, go to shared memory (consecutive threads read consecutive words:
// coalesced), and thread (lane, row lane) scores query `lane` against
// kRowsPerThread rows of the slab, the query's words from shared memory
// (transposed: a warp reads 32 consecutive words) and the row's broadcast
// to the warp. Rows that beat their query's k-th key join its candidates;
// after each slab one thread per query merges them into the query's list,
// kept in its slice of lists (global memory: k up to kCudaMaxK).
__global__ void BatchTopK(const uint64_t* __restrict__ rows, size_t n, int words,
                          const uint64_t* __restrict__ tombstones, const uint64_t* __restrict__ queries, size_t nq,
                          int kk, size_t tile_rows, unsigned long long* __restrict__ lists) {
  constexpr int kRowLanes = kThreads / kGroupQueries;
  constexpr int kRowsPerThread = kSlabRows / kRowLanes;
  __shared__ uint64_t slab[kSlabRows][kSlabWords];
  // The group's words transposed; one word of padding a row puts a
  // half-warp's transposing writes on 16 different bank pairs.
  __shared__ uint64_t group[kSlabWords][kGroupQueries + 1];
  __shared__ unsigned long long candidates[kGroupQueries][kSlabRows];
  __shared__ unsigned long long worst[kGroupQueries];
  __shared__ int added[kGroupQueries];
  const size_t tile = blockIdx.x, first_query = static_cast<size_t>(blockIdx.y) * kGroupQueries;
  const int group_size = static_cast<int>(min(static_cast<size_t>(kGroupQueries), nq - first_query));
  const size_t begin = tile * tile_rows, end = min(n, begin + tile_rows);
  const int lane = static_cast<int>(threadIdx.x) % kGroupQueries, row_lane = static_cast<int>(threadIdx.x) / kGroupQueries;
  auto list_of = [&](int q) { return lists + ((first_query + q) * gridDim.x + tile) * kk; };
  // Even words (ww is then even too) and an aligned first row: every row and
  // word chunk is 16-byte aligned.
  const bool wide_loads = (words & 1) == 0 && (reinterpret_cast<uintptr_t>(rows) & 15) == 0;
  for (int q = threadIdx.x; q < kGroupQueries; q += blockDim.x) {
    worst[q] = kEmpty;
    added[q] = 0;
  }
  for (int q = 0; q < group_size; ++q) {
    for (int i = threadIdx.x; i < kk; i += blockDim.x) list_of(q)[i] = kEmpty;
  }
  __syncthreads();
  for (size_t slab_first = begin; slab_first < end; slab_first += kSlabRows) {
    const int slab_rows = static_cast<int>(min(static_cast<size_t>(kSlabRows), end - slab_first));
    uint32_t distance[kRowsPerThread] = {};
    for (int w0 = 0; w0 < words; w0 += kSlabWords) {
      const int ww = min(kSlabWords, words - w0);
      // Words past ww are zero in both, and add nothing. 16-byte loads when
      // every row starts 16-byte aligned: a warp reads 512 consecutive bytes.
      if (wide_loads) {
        for (int i = threadIdx.x; i < kSlabRows * kSlabWords / 2; i += blockDim.x) {
          const int r = i / (kSlabWords / 2), w = 2 * (i % (kSlabWords / 2));
          const ulonglong2 pair = r < slab_rows && w < ww
                                      ? __ldg(reinterpret_cast<const ulonglong2*>(rows + (slab_first + r) * words + w0 + w))
                                      : ulonglong2{0, 0};
          slab[r][w] = pair.x;
          slab[r][w + 1] = pair.y;
        }
      } else {
        for (int i = threadIdx.x; i < kSlabRows * kSlabWords; i += blockDim.x) {
          const int r = i / kSlabWords, w = i % kSlabWords;
          slab[r][w] = r < slab_rows && w < ww ? __ldg(rows + (slab_first + r) * words + w0 + w) : 0;
        }
      }
      // The queries' words: once for the tile when one chunk holds them all.
      if (words > kSlabWords || slab_first == begin) {
        for (int i = threadIdx.x; i < kGroupQueries * kSlabWords; i += blockDim.x) {
          const int q = i / kSlabWords, w = i % kSlabWords;
          group[w][q] = q < group_size && w < ww ? __ldg(queries + (first_query + q) * words + w0 + w) : 0;
        }
      }
      __syncthreads();
      for (int w = 0; w < ww; ++w) {
        const uint64_t query_word = group[w][lane];
#pragma unroll
        for (int j = 0; j < kRowsPerThread; ++j) distance[j] += __popcll(query_word ^ slab[row_lane + j * kRowLanes][w]);
      }
      __syncthreads();
    }
    if (lane < group_size) {
      const unsigned long long bar = worst[lane];
#pragma unroll
      for (int j = 0; j < kRowsPerThread; ++j) {
        const int r = row_lane + j * kRowLanes;
        if (r >= slab_rows || Dead(tombstones, slab_first + r)) continue;
        const unsigned long long key = (static_cast<unsigned long long>(distance[j]) << 32) | (slab_first + r);
        if (key < bar) candidates[lane][atomicAdd(&added[lane], 1)] = key;
      }
    }
    __syncthreads();
    if (static_cast<int>(threadIdx.x) < group_size && added[threadIdx.x] > 0) {
      unsigned long long* list = list_of(threadIdx.x);
      MergeIntoList(list, kk, candidates[threadIdx.x], added[threadIdx.x]);
      worst[threadIdx.x] = list[kk - 1];
      added[threadIdx.x] = 0;
    }
    __syncthreads();
  }
}

// grid (nq): merges each query's `lists` sorted lists of kk keys into its top kk.
__global__ void MergeTopK(const unsigned long long* __restrict__ in, size_t per_query, int kk,
                          unsigned long long* __restrict__ out) {
  __shared__ unsigned long long keys[kSortKeys];
  __shared__ int added;
  const size_t q = blockIdx.x;
  const unsigned long long* src = in + q * per_query;
  for (int i = threadIdx.x; i < kk; i += blockDim.x) keys[i] = kEmpty;
  __syncthreads();
  for (size_t chunk = 0; chunk < per_query; chunk += kChunk) {
    if (threadIdx.x == 0) added = 0;
    __syncthreads();
    const unsigned long long worst = keys[kk - 1];
    const size_t chunk_end = min(per_query, chunk + kChunk);
    for (size_t i = chunk + threadIdx.x; i < chunk_end; i += blockDim.x) {
      const unsigned long long key = src[i];
      if (key < worst) keys[kk + atomicAdd(&added, 1)] = key;
    }
    __syncthreads();
    MergeCandidates(keys, kk, added);
    __syncthreads();
  }
  for (int i = threadIdx.x; i < kk; i += blockDim.x) out[q * kk + i] = keys[i];
}

// grid (blocks, nq): every live row within radius, appended in any order.
__global__ void Within(const uint64_t* __restrict__ rows, size_t n, int words, const uint64_t* __restrict__ tombstones,
                       const uint64_t* __restrict__ queries, uint32_t radius, unsigned int* __restrict__ counts,
                       unsigned long long* __restrict__ out, size_t capacity) {
  const size_t q = blockIdx.y;
  const uint64_t* query = queries + q * words;
  for (size_t r = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; r < n;
       r += static_cast<size_t>(gridDim.x) * blockDim.x) {
    if (Dead(tombstones, r)) continue;
    const uint32_t d = DistanceShare(rows + r * words, query, words, 0, 1);
    if (d > radius) continue;
    const unsigned int slot = atomicAdd(counts + q, 1u);
    if (out != nullptr && slot < capacity) out[q * capacity + slot] = (static_cast<unsigned long long>(d) << 32) | r;
  }
}

__global__ void PopcRoof(int iterations, unsigned long long* sink) {
  uint64_t a[32], b = 0x9e3779b97f4a7c15ull * (threadIdx.x + 1);
#pragma unroll
  for (int w = 0; w < 32; ++w) a[w] = b * (w + 3);
  uint32_t d = 0;
  for (int i = 0; i < iterations; ++i) {
#pragma unroll
    for (int w = 0; w < 32; ++w) d += __popcll(a[w] ^ b);
    b += d;
  }
  if (d == 0xffffffffu) sink[0] = d;  // never true; keeps the loop
}

}  // namespace

cudaError_t LaunchPopcRoof(unsigned blocks, int iterations, unsigned long long* sink) {
  HVDB_LAUNCH(PopcRoof, blocks, kThreads, 0, nullptr)(iterations, sink);
  return cudaGetLastError();
}

cudaError_t LaunchTileTopK(const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                           const uint64_t* queries, size_t nq, int kk, size_t tiles, size_t tile_rows,
                           unsigned long long* lists, cudaStream_t stream) {
  HVDB_LAUNCH(TileTopK, dim3(static_cast<unsigned>(tiles), static_cast<unsigned>(nq)), kThreads, 0, stream)(
      rows, n, words, tombstones, queries, kk, tile_rows, lists);
  return cudaGetLastError();
}

cudaError_t LaunchBatchTopK(const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                            const uint64_t* queries, size_t nq, int kk, size_t tiles, size_t tile_rows,
                            unsigned long long* lists, cudaStream_t stream) {
  const auto groups = static_cast<unsigned>((nq + kGroupQueries - 1) / kGroupQueries);
  HVDB_LAUNCH(BatchTopK, dim3(static_cast<unsigned>(tiles), groups), kThreads, 0, stream)(
      rows, n, words, tombstones, queries, nq, kk, tile_rows, lists);
  return cudaGetLastError();
}

cudaError_t LaunchMergeTopK(const unsigned long long* lists, size_t nq, size_t per_query, int kk,
                            unsigned long long* top, cudaStream_t stream) {
  HVDB_LAUNCH(MergeTopK, static_cast<unsigned>(nq), kThreads, 0, stream)(lists, per_query, kk, top);
  return cudaGetLastError();
}

cudaError_t LaunchWithin(const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                         const uint64_t* queries, size_t nq, uint32_t radius, unsigned int* counts,
                         unsigned long long* hits, size_t capacity) {
  const unsigned blocks = static_cast<unsigned>(std::min<size_t>((n + kThreads - 1) / kThreads, 4096));
  HVDB_LAUNCH(Within, dim3(blocks, static_cast<unsigned>(nq)), kThreads, 0, nullptr)(
      rows, n, words, tombstones, queries, radius, counts, hits, capacity);
  return cudaGetLastError();
}

}  // namespace hvdb::kernels::cuda
