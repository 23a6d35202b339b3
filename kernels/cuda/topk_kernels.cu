// Copyright hvdb authors. The CUDA kernels of GPU search (C++17, no hvdb
// header: see topk_kernels.h). Design: kernels/cuda/search_device.cc.
#include "kernels/cuda/topk_kernels.h"

#include <algorithm>

namespace hvdb::kernels::cuda {
namespace {


__device__ __forceinline__ uint32_t Distance(const uint64_t* __restrict__ row, const uint64_t* __restrict__ query,
                                             int words) {
  uint32_t d = 0;
  if ((words & 1) == 0 && (reinterpret_cast<uintptr_t>(row) & 15) == 0 &&
      (reinterpret_cast<uintptr_t>(query) & 15) == 0) {
    const ulonglong2* r = reinterpret_cast<const ulonglong2*>(row);
    const ulonglong2* q = reinterpret_cast<const ulonglong2*>(query);
    for (int i = 0; i < words / 2; ++i) {
      const ulonglong2 a = __ldg(r + i), b = __ldg(q + i);
      d += __popcll(a.x ^ b.x) + __popcll(a.y ^ b.y);
    }
  } else {
    for (int w = 0; w < words; ++w) d += __popcll(__ldg(row + w) ^ __ldg(query + w));
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

// grid (tiles, nq): block (t, q) keeps the kk nearest rows of tile t for query q.
__global__ void TileTopK(const uint64_t* __restrict__ rows, size_t n, int words, const uint64_t* __restrict__ tombstones,
                         const uint64_t* __restrict__ queries, int kk, size_t tile_rows,
                         unsigned long long* __restrict__ out) {
  __shared__ unsigned long long keys[kSortKeys];
  __shared__ uint64_t shared_query[kSharedQueryWords];
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
    for (size_t r = chunk + threadIdx.x; r < chunk_end; r += blockDim.x) {
      if (Dead(tombstones, r)) continue;
      const unsigned long long key =
          (static_cast<unsigned long long>(Distance(rows + r * words, query, words)) << 32) | r;
      if (key < worst) keys[kk + atomicAdd(&added, 1)] = key;
    }
    __syncthreads();
    MergeCandidates(keys, kk, added);
    __syncthreads();
  }
  unsigned long long* dst = out + (q * gridDim.x + tile) * kk;
  for (int i = threadIdx.x; i < kk; i += blockDim.x) dst[i] = keys[i];
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
    const uint32_t d = Distance(rows + r * words, query, words);
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
  PopcRoof<<<blocks, kThreads>>>(iterations, sink);
  return cudaGetLastError();
}

cudaError_t LaunchTileTopK(const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                           const uint64_t* queries, size_t nq, int kk, size_t tiles, size_t tile_rows,
                           unsigned long long* lists, cudaStream_t stream) {
  TileTopK<<<dim3(static_cast<unsigned>(tiles), static_cast<unsigned>(nq)), kThreads, 0, stream>>>(
      rows, n, words, tombstones, queries, kk, tile_rows, lists);
  return cudaGetLastError();
}

cudaError_t LaunchMergeTopK(const unsigned long long* lists, size_t nq, size_t per_query, int kk,
                            unsigned long long* top, cudaStream_t stream) {
  MergeTopK<<<static_cast<unsigned>(nq), kThreads, 0, stream>>>(lists, per_query, kk, top);
  return cudaGetLastError();
}

cudaError_t LaunchWithin(const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                         const uint64_t* queries, size_t nq, uint32_t radius, unsigned int* counts,
                         unsigned long long* hits, size_t capacity) {
  const unsigned blocks = static_cast<unsigned>(std::min<size_t>((n + kThreads - 1) / kThreads, 4096));
  Within<<<dim3(blocks, static_cast<unsigned>(nq)), kThreads>>>(rows, n, words, tombstones, queries, radius, counts,
                                                                 hits, capacity);
  return cudaGetLastError();
}

}  // namespace hvdb::kernels::cuda
