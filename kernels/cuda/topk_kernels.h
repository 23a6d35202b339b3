// Copyright hvdb authors. Launchers of the GPU search kernels
// (topk_kernels.cu). Plain types only: nvcc compiles this as C++17 and it
// includes no hvdb header. Keys are (distance << 32 | row); kEmpty marks an
// unused slot. Launches are asynchronous on the current device's default
// stream; each returns cudaGetLastError().
#ifndef HVDB_KERNELS_CUDA_TOPK_KERNELS_H_
#define HVDB_KERNELS_CUDA_TOPK_KERNELS_H_

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace hvdb::kernels::cuda {

constexpr int kThreads = 256;
constexpr int kChunk = 2048;               // rows a block takes in one step
constexpr size_t kCudaMaxK = 1024;         // largest k of the top-k kernels
constexpr int kSortKeys = 4096;            // >= kCudaMaxK + kChunk, a power of two: 32 KB of shared memory
constexpr unsigned long long kEmpty = ~0ull;
constexpr int kSharedQueryWords = 1024;    // queries up to 65536 bits are read from shared memory
// TileTopK: the threads that read one row side by side, and the rows a
// block reads at once (kStepRows <= kThreads).
constexpr int kLanesPerRow = 8;
constexpr int kStepRows = 128;
// BatchTopK: the queries a block scores each row against, the rows and the
// words of each it holds at once (8 KB of shared memory each).
constexpr int kGroupQueries = 32;
constexpr int kSlabRows = 32;
constexpr int kSlabWords = 32;
// From this many queries a batch runs BatchTopK (rows read once per group of
// kGroupQueries); below, TileTopK (one block per tile and query).
constexpr size_t kBatchMinQueries = 8;

// Each of `tiles` tiles of tile_rows rows x each of nq queries: its kk
// nearest keys, sorted, into lists (nq x tiles x kk).
cudaError_t LaunchTileTopK(const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                           const uint64_t* queries, size_t nq, int kk, size_t tiles, size_t tile_rows,
                           unsigned long long* lists, cudaStream_t stream = nullptr);
// The same lists (nq x tiles x kk) by BatchTopK: each tile's rows are read
// once per group of kGroupQueries queries.
cudaError_t LaunchBatchTopK(const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                            const uint64_t* queries, size_t nq, int kk, size_t tiles, size_t tile_rows,
                            unsigned long long* lists, cudaStream_t stream = nullptr);
// Per query, the kk smallest of its per_query keys in lists, sorted, into top (nq x kk).
cudaError_t LaunchMergeTopK(const unsigned long long* lists, size_t nq, size_t per_query, int kk,
                            unsigned long long* top, cudaStream_t stream = nullptr);
// Per query, how many live rows lie within radius (counts, zeroed by the
// caller), and when hits is not null their keys, unordered (nq x capacity).
cudaError_t LaunchWithin(const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                         const uint64_t* queries, size_t nq, uint32_t radius, unsigned int* counts,
                         unsigned long long* hits, size_t capacity);

// The popcount roof: `blocks` x kThreads threads each xor-popcount 32-word
// register rows `iterations` times; sink keeps the work alive.
cudaError_t LaunchPopcRoof(unsigned blocks, int iterations, unsigned long long* sink);

}  // namespace hvdb::kernels::cuda

#endif  // HVDB_KERNELS_CUDA_TOPK_KERNELS_H_
