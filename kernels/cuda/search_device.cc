// Copyright hvdb authors. The CUDA SearchDevice: shards in cudaMalloc'ed
// memory, a Hamming top-k that never writes the distance matrix, radius
// search, calibration (docs/gpu.md).
//
// Top-k (k <= kCudaMaxK): one block per (row tile, query). A block walks its
// tile in chunks of kChunk rows: each thread computes distances of its rows
// (64-bit popcounts; 16-byte loads when rows are 16-byte aligned), and rows
// that beat the block's current k-th key join a shared-memory candidate list,
// which a bitonic sort merges into the block's sorted top k. Keys are
// (distance << 32 | row), so ties go to the smaller row as on the CPU. A
// second kernel merges the tiles' lists per query the same way.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "kernels/cuda/devices.h"
#include "kernels/cuda/hdc_kernels.h"
#include "kernels/cuda/topk_kernels.h"
#include "kernels/device/search_device.h"

namespace hvdb::kernels::cuda {
namespace {

// Built against the CUDA emulation (kernels/cuda/emulation: test machinery):
// the device says so in its name (the emulation's) and kernels, and auto
// never chooses it.
#if defined(HVDB_CUDA_EMULATED)
constexpr bool kEmulated = true;
#else
constexpr bool kEmulated = false;
#endif
constexpr const char* kDeviceKind = kEmulated ? "cuda-emulated" : "cuda";

// A kernel's key (distance << 32 | row) as a hit, its row offset by `first`.
Neighbor FromKey(unsigned long long key, size_t first = 0) {
  return {(key & 0xffffffffull) + first, static_cast<uint32_t>(key >> 32)};
}

// A batch of nq queries runs BatchTopK (rows read once per group of
// queries) from kBatchMinQueries on, TileTopK below.
bool BatchKernel(size_t nq) { return nq >= kBatchMinQueries; }

// Row tiles of a top-k launch over n rows: enough blocks for `blocks` (a few
// per SM), counting one block per query (TileTopK) or per group of queries
// (BatchTopK), and at least kk rows a tile.
size_t TopKTiles(size_t n, size_t nq, size_t kk, size_t blocks) {
  const size_t per_tile = BatchKernel(nq) ? (nq + kGroupQueries - 1) / kGroupQueries : 1;
  return std::max<size_t>(1, std::min((n + kk - 1) / kk, (blocks + per_tile - 1) / per_tile));
}

// batch: whether the whole batch (not this launch's share of it) runs
// BatchTopK, as kernel_for says.
cudaError_t LaunchTopK(bool batch, const uint64_t* rows, size_t n, int words, const uint64_t* tombstones,
                       const uint64_t* queries, size_t nq, int kk, size_t tiles, size_t tile_rows,
                       unsigned long long* lists, cudaStream_t stream) {
  return (batch ? LaunchBatchTopK : LaunchTileTopK)(rows, n, words, tombstones, queries, nq, kk, tiles, tile_rows,
                                                     lists, stream);
}

// A launch's queries go on the grid's y dimension (at most 65535 blocks):
// one a block (TileTopK, Within) or kGroupQueries a block (BatchTopK).
// Emulated, 8, so that tests reach the slicing with 300 queries (and a few
// queries for TileTopK are never sliced).
constexpr size_t kMaxGridY = kEmulated ? 8 : 65535;
size_t MaxLaunchQueries(bool batch) { return batch ? kMaxGridY * kGroupQueries : kMaxGridY; }

// Keys hold a row in 32 bits: a call searches fewer than 2^32 rows.
Status CheckRows(size_t n, const char* what) {
  if (n < (size_t{1} << 32)) return Status::OK();
  return Status::InvalidArgument(std::string("cuda ") + what + ": " + std::to_string(n) +
                                 " rows in one call; at most 2^32 - 1");
}

Status Check(cudaError_t err, const std::string& what) {
  if (err == cudaSuccess) return Status::OK();
  cudaGetLastError();
  if (err == cudaErrorMemoryAllocation) return Status::ResourceExhausted("cuda: " + what + ": " + cudaGetErrorString(err));
  return Status::Unavailable("cuda: " + what + ": " + cudaGetErrorString(err));
}

// Scratch device memory inside one call, freed when it goes.
struct Scratch {
  void* p = nullptr;
  ~Scratch() {
    if (p) cudaFree(p);
  }
  Status Allocate(size_t bytes) { return Check(cudaMalloc(&p, std::max<size_t>(bytes, 8)), "cudaMalloc"); }
};

class CudaDevice final : public SearchDevice {
 public:
  CudaDevice(int ordinal, std::string name, uint64_t memory, int multiprocessors)
      : ordinal_(ordinal), name_(std::move(name)), memory_(memory), multiprocessors_(multiprocessors) {}

  std::string name() const override { return "cuda:" + std::to_string(ordinal_) + " " + name_; }
  std::string kernel() const override { return std::string(kDeviceKind) + "-tile-topk"; }
  bool chosen_by_auto() const override { return !kEmulated; }
  std::string kernel_for(size_t nq) const override {
    return std::string(kDeviceKind) + (BatchKernel(nq) ? "-batch-topk" : "-tile-topk");
  }
  uint64_t memory_bytes() const override { return memory_; }
  size_t max_k() const override { return kCudaMaxK; }

  Result<Handle> AllocateHandle(size_t bytes) override {
    HVDB_RETURN_IF_ERROR(Use());
    void* p = nullptr;
    HVDB_RETURN_IF_ERROR(Check(cudaMalloc(&p, std::max<size_t>(bytes, 8)), "cudaMalloc of " + std::to_string(bytes) + " bytes"));
    return reinterpret_cast<Handle>(p);
  }
  void FreeHandle(Handle buffer) override {
    if (Use().ok() && buffer) cudaFree(reinterpret_cast<void*>(buffer));
  }
  Status Upload(Handle buffer, size_t offset, const void* host, size_t bytes) override {
    HVDB_RETURN_IF_ERROR(Use());
    return Check(cudaMemcpy(reinterpret_cast<char*>(buffer) + offset, host, bytes, cudaMemcpyHostToDevice), "upload");
  }

  Status TopK(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries, size_t nq, size_t k,
              Neighbor* out) override {
    if (k == 0 || k > kCudaMaxK) return Status::InvalidArgument("cuda top-k: k " + std::to_string(k) + " not in [1, 1024]");
    HVDB_RETURN_IF_ERROR(CheckRows(n, "top-k"));
    HVDB_RETURN_IF_ERROR(Use());
    const size_t kk = std::min(k, n);
    for (size_t i = 0; i < nq * k; ++i) out[i] = Neighbor{};
    if (n == 0 || nq == 0) return Status::OK();
    const size_t tiles = TopKTiles(n, nq, kk, static_cast<size_t>(multiprocessors_) * 8);
    const size_t tile_rows = (n + tiles - 1) / tiles;
    // Queries in launches whose tile lists fit 256 MB (whole groups of
    // BatchTopK's queries).
    const bool batch = BatchKernel(nq);
    size_t group = std::max<size_t>(1, std::min({nq, (size_t{256} << 20) / (tiles * kk * 8), MaxLaunchQueries(batch)}));
    if (batch && group > kGroupQueries) group = group / kGroupQueries * kGroupQueries;
    Scratch d_queries, d_lists, d_top;
    HVDB_RETURN_IF_ERROR(d_queries.Allocate(group * words * 8));
    HVDB_RETURN_IF_ERROR(d_lists.Allocate(group * tiles * kk * 8));
    HVDB_RETURN_IF_ERROR(d_top.Allocate(group * kk * 8));
    std::vector<unsigned long long> top(group * kk);
    for (size_t first = 0; first < nq; first += group) {
      const size_t g = std::min(group, nq - first);
      HVDB_RETURN_IF_ERROR(
          Check(cudaMemcpy(d_queries.p, queries + first * words, g * words * 8, cudaMemcpyHostToDevice), "query upload"));
      HVDB_RETURN_IF_ERROR(Check(LaunchTopK(batch, reinterpret_cast<const uint64_t*>(rows), n, static_cast<int>(words),
                                            reinterpret_cast<const uint64_t*>(tombstones),
                                            static_cast<const uint64_t*>(d_queries.p), g, static_cast<int>(kk), tiles,
                                            tile_rows, static_cast<unsigned long long*>(d_lists.p), nullptr),
                                 "top-k launch"));
      HVDB_RETURN_IF_ERROR(Check(LaunchMergeTopK(static_cast<const unsigned long long*>(d_lists.p), g, tiles * kk,
                                                 static_cast<int>(kk), static_cast<unsigned long long*>(d_top.p)),
                                 "MergeTopK launch"));
      HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(top.data(), d_top.p, g * kk * 8, cudaMemcpyDeviceToHost), "top-k download"));
      for (size_t q = 0; q < g; ++q) {
        for (size_t i = 0; i < kk; ++i) {
          const unsigned long long key = top[q * kk + i];
          if (key != kEmpty) out[(first + q) * k + i] = FromKey(key);
        }
      }
    }
    return Status::OK();
  }

  Status WithinRadius(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries, size_t nq,
                      uint32_t radius, std::vector<Neighbor>* out) override {
    HVDB_RETURN_IF_ERROR(CheckRows(n, "radius"));
    if (nq > MaxLaunchQueries(false)) {  // a launch's worth of queries at a time
      for (size_t first = 0; first < nq; first += MaxLaunchQueries(false)) {
        HVDB_RETURN_IF_ERROR(WithinRadius(rows, n, words, tombstones, queries + first * words,
                                          std::min(MaxLaunchQueries(false), nq - first), radius, out + first));
      }
      return Status::OK();
    }
    HVDB_RETURN_IF_ERROR(Use());
    for (size_t q = 0; q < nq; ++q) out[q].clear();
    if (n == 0 || nq == 0) return Status::OK();
    Scratch d_queries, d_counts, d_hits;
    HVDB_RETURN_IF_ERROR(d_queries.Allocate(nq * words * 8));
    HVDB_RETURN_IF_ERROR(d_counts.Allocate(nq * 4));
    HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(d_queries.p, queries, nq * words * 8, cudaMemcpyHostToDevice), "query upload"));
    auto run = [&](unsigned long long* hits, size_t capacity) {
      HVDB_RETURN_IF_ERROR(Check(cudaMemset(d_counts.p, 0, nq * 4), "memset"));
      return Check(LaunchWithin(reinterpret_cast<const uint64_t*>(rows), n, static_cast<int>(words),
                                reinterpret_cast<const uint64_t*>(tombstones), static_cast<const uint64_t*>(d_queries.p),
                                nq, radius, static_cast<unsigned int*>(d_counts.p), hits, capacity),
                   "Within launch");
    };
    // Count, then fill buffers of exactly the size counted.
    HVDB_RETURN_IF_ERROR(run(nullptr, 0));
    std::vector<unsigned int> counts(nq);
    HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(counts.data(), d_counts.p, nq * 4, cudaMemcpyDeviceToHost), "count download"));
    const size_t capacity = std::max<size_t>(1, *std::max_element(counts.begin(), counts.end()));
    HVDB_RETURN_IF_ERROR(d_hits.Allocate(nq * capacity * 8));
    HVDB_RETURN_IF_ERROR(run(static_cast<unsigned long long*>(d_hits.p), capacity));
    std::vector<unsigned long long> hits(nq * capacity);
    HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(hits.data(), d_hits.p, hits.size() * 8, cudaMemcpyDeviceToHost), "download"));
    for (size_t q = 0; q < nq; ++q) {
      std::sort(hits.begin() + static_cast<ptrdiff_t>(q * capacity),
                hits.begin() + static_cast<ptrdiff_t>(q * capacity + counts[q]));
      for (size_t i = 0; i < counts[q]; ++i) {
        const unsigned long long key = hits[q * capacity + i];
        out[q].push_back(FromKey(key));
      }
    }
    return Status::OK();
  }

  // Two lanes, each a stream with its own staging buffers: chunk c copies
  // and searches on lane c % 2, so one lane's copy overlaps the other's
  // search. Results come back to pinned host memory; a lane's previous
  // results are read once its stream is done, before it is reused.
  Status StreamTopK(const uint64_t* host_rows, size_t n, size_t words, const uint64_t* host_tombstones,
                    size_t chunk_rows, const uint64_t* queries, size_t nq, size_t k,
                    std::vector<std::vector<Neighbor>>* out, uint64_t* uploaded_bytes) override {
    if (k == 0 || k > kCudaMaxK) return Status::InvalidArgument("cuda top-k: k " + std::to_string(k) + " not in [1, 1024]");
    if (chunk_rows == 0 || chunk_rows % 64 != 0) return Status::InvalidArgument("StreamTopK: chunk_rows not a multiple of 64");
    HVDB_RETURN_IF_ERROR(CheckRows(chunk_rows, "streaming top-k chunk"));
    const bool batch = BatchKernel(nq);
    if (nq > MaxLaunchQueries(batch)) {  // a launch's worth of queries at a time, the rows streamed for each
      for (size_t first = 0; first < nq; first += MaxLaunchQueries(batch)) {
        const size_t count = std::min(MaxLaunchQueries(batch), nq - first);
        std::vector<std::vector<Neighbor>> part(count);
        HVDB_RETURN_IF_ERROR(StreamTopK(host_rows, n, words, host_tombstones, chunk_rows, queries + first * words, count,
                                        k, &part, uploaded_bytes));
        for (size_t q = 0; q < count; ++q) {
          (*out)[first + q].insert((*out)[first + q].end(), part[q].begin(), part[q].end());
        }
      }
      return Status::OK();
    }
    HVDB_RETURN_IF_ERROR(Use());
    if (n == 0 || nq == 0) return Status::OK();
    // Two buffers of half the staging each.
    const size_t chunk = std::max<size_t>(64, chunk_rows / 2 / 64 * 64);
    const size_t kk = std::min(k, chunk);
    // Tiles per chunk: enough blocks for every SM, their lists (nq x tiles x
    // kk keys a lane) within 64 MB.
    const size_t tiles = std::max<size_t>(1, std::min(TopKTiles(chunk, nq, kk, static_cast<size_t>(multiprocessors_) * 4),
                                                      (size_t{64} << 20) / (nq * kk * 8)));
    struct Lane {
      cudaStream_t stream = nullptr;
      Scratch rows, tombstones, lists, top;
      unsigned long long* host_top = nullptr;  // pinned, nq x kk
      size_t first = 0, count = 0;
      bool busy = false;
    };
    Lane lanes[2];
    Scratch d_queries;
    Status s = d_queries.Allocate(nq * words * 8);
    if (s.ok()) s = Check(cudaMemcpy(d_queries.p, queries, nq * words * 8, cudaMemcpyHostToDevice), "query upload");
    for (Lane& lane : lanes) {
      if (s.ok()) s = Check(cudaStreamCreateWithFlags(&lane.stream, cudaStreamNonBlocking), "stream");
      if (s.ok()) s = lane.rows.Allocate(chunk * words * 8);
      if (s.ok()) s = lane.tombstones.Allocate(chunk / 64 * 8);
      if (s.ok()) s = lane.lists.Allocate(nq * tiles * kk * 8);
      if (s.ok()) s = lane.top.Allocate(nq * kk * 8);
      if (s.ok()) {
        s = Check(cudaMallocHost(reinterpret_cast<void**>(&lane.host_top), nq * kk * 8), "cudaMallocHost");
      }
    }
    // Reads a finished lane's results into out.
    auto harvest = [&](Lane& lane) -> Status {
      if (!lane.busy) return Status::OK();
      HVDB_RETURN_IF_ERROR(Check(cudaStreamSynchronize(lane.stream), "stream"));
      const size_t lane_kk = std::min(kk, lane.count);
      for (size_t q = 0; q < nq; ++q) {
        for (size_t i = 0; i < lane_kk; ++i) {
          const unsigned long long key = lane.host_top[q * lane_kk + i];
          if (key != kEmpty) (*out)[q].push_back(FromKey(key, lane.first));
        }
      }
      lane.busy = false;
      return Status::OK();
    };
    for (size_t first = 0, c = 0; s.ok() && first < n; first += chunk, ++c) {
      Lane& lane = lanes[c % 2];
      s = harvest(lane);
      if (!s.ok()) break;
      lane.first = first;
      lane.count = std::min(chunk, n - first);
      const size_t lane_kk = std::min(kk, lane.count);
      const size_t lane_tiles = std::max<size_t>(1, std::min(tiles, (lane.count + lane_kk - 1) / lane_kk));
      s = Check(cudaMemcpyAsync(lane.rows.p, host_rows + first * words, lane.count * words * 8, cudaMemcpyHostToDevice,
                                lane.stream),
                "chunk upload");
      if (s.ok() && host_tombstones != nullptr) {
        s = Check(cudaMemcpyAsync(lane.tombstones.p, host_tombstones + first / 64, (lane.count + 63) / 64 * 8,
                                  cudaMemcpyHostToDevice, lane.stream),
                  "tombstone upload");
      }
      if (s.ok()) {
        s = Check(LaunchTopK(batch, static_cast<const uint64_t*>(lane.rows.p), lane.count, static_cast<int>(words),
                             host_tombstones ? static_cast<const uint64_t*>(lane.tombstones.p) : nullptr,
                             static_cast<const uint64_t*>(d_queries.p), nq, static_cast<int>(lane_kk), lane_tiles,
                             (lane.count + lane_tiles - 1) / lane_tiles, static_cast<unsigned long long*>(lane.lists.p),
                             lane.stream),
                  "top-k launch");
      }
      if (s.ok()) {
        s = Check(LaunchMergeTopK(static_cast<const unsigned long long*>(lane.lists.p), nq, lane_tiles * lane_kk,
                                  static_cast<int>(lane_kk), static_cast<unsigned long long*>(lane.top.p), lane.stream),
                  "MergeTopK launch");
      }
      if (s.ok()) {
        s = Check(cudaMemcpyAsync(lane.host_top, lane.top.p, nq * lane_kk * 8, cudaMemcpyDeviceToHost, lane.stream),
                  "results download");
      }
      lane.busy = s.ok();
      *uploaded_bytes += lane.count * words * 8;
    }
    for (Lane& lane : lanes) {
      if (s.ok()) s = harvest(lane);
      if (lane.stream != nullptr) {
        cudaStreamSynchronize(lane.stream);
        cudaStreamDestroy(lane.stream);
      }
      if (lane.host_top != nullptr) cudaFreeHost(lane.host_top);
    }
    return s;
  }

  // The HDC batch forms: in chunks of rows (groups) that fit 256 MB of
  // device memory, copied in, computed, copied back.
  Status Bind(const uint64_t* a, const uint64_t* b, size_t n, size_t words, bool broadcast_b, uint64_t* out) override {
    HVDB_RETURN_IF_ERROR(Use());
    const size_t chunk = std::max<size_t>(1, (size_t{256} << 20) / (3 * words * 8));
    Scratch da, db, dout;
    HVDB_RETURN_IF_ERROR(da.Allocate(std::min(n, chunk) * words * 8));
    HVDB_RETURN_IF_ERROR(db.Allocate((broadcast_b ? 1 : std::min(n, chunk)) * words * 8));
    HVDB_RETURN_IF_ERROR(dout.Allocate(std::min(n, chunk) * words * 8));
    if (broadcast_b) HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(db.p, b, words * 8, cudaMemcpyHostToDevice), "bind upload"));
    for (size_t first = 0; first < n; first += chunk) {
      const size_t count = std::min(chunk, n - first), bytes = count * words * 8;
      HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(da.p, a + first * words, bytes, cudaMemcpyHostToDevice), "bind upload"));
      if (!broadcast_b) {
        HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(db.p, b + first * words, bytes, cudaMemcpyHostToDevice), "bind upload"));
      }
      HVDB_RETURN_IF_ERROR(Check(LaunchXorRows(static_cast<const uint64_t*>(da.p), static_cast<const uint64_t*>(db.p),
                                               count, words, broadcast_b, static_cast<uint64_t*>(dout.p)),
                                 "bind launch"));
      HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(out + first * words, dout.p, bytes, cudaMemcpyDeviceToHost), "bind download"));
    }
    return Status::OK();
  }

  Status Rotate(const uint64_t* in, size_t n, size_t words, size_t shift, uint64_t* out) override {
    HVDB_RETURN_IF_ERROR(Use());
    const size_t chunk = std::max<size_t>(1, (size_t{256} << 20) / (2 * words * 8));
    Scratch din, dout;
    HVDB_RETURN_IF_ERROR(din.Allocate(std::min(n, chunk) * words * 8));
    HVDB_RETURN_IF_ERROR(dout.Allocate(std::min(n, chunk) * words * 8));
    for (size_t first = 0; first < n; first += chunk) {
      const size_t count = std::min(chunk, n - first), bytes = count * words * 8;
      HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(din.p, in + first * words, bytes, cudaMemcpyHostToDevice), "permute upload"));
      HVDB_RETURN_IF_ERROR(Check(LaunchRotateRows(static_cast<const uint64_t*>(din.p), count, words, shift / 64,
                                                  static_cast<unsigned>(shift % 64), static_cast<uint64_t*>(dout.p)),
                                 "permute launch"));
      HVDB_RETURN_IF_ERROR(
          Check(cudaMemcpy(out + first * words, dout.p, bytes, cudaMemcpyDeviceToHost), "permute download"));
    }
    return Status::OK();
  }

  Status Majority(const uint64_t* in, size_t groups, size_t members, size_t words, uint64_t tie_seed,
                  uint64_t* out) override {
    HVDB_RETURN_IF_ERROR(Use());
    const size_t chunk = std::max<size_t>(1, (size_t{256} << 20) / ((members + 1) * words * 8));
    Scratch din, dout;
    HVDB_RETURN_IF_ERROR(din.Allocate(std::min(groups, chunk) * members * words * 8));
    HVDB_RETURN_IF_ERROR(dout.Allocate(std::min(groups, chunk) * words * 8));
    for (size_t first = 0; first < groups; first += chunk) {
      const size_t count = std::min(chunk, groups - first);
      HVDB_RETURN_IF_ERROR(Check(cudaMemcpy(din.p, in + first * members * words, count * members * words * 8,
                                            cudaMemcpyHostToDevice),
                                 "bundle upload"));
      HVDB_RETURN_IF_ERROR(Check(LaunchMajorityRows(static_cast<const uint64_t*>(din.p), count, members, words,
                                                    tie_seed, static_cast<uint64_t*>(dout.p)),
                                 "bundle launch"));
      HVDB_RETURN_IF_ERROR(
          Check(cudaMemcpy(out + first * words, dout.p, count * words * 8, cudaMemcpyDeviceToHost), "bundle download"));
    }
    return Status::OK();
  }

  Result<DeviceSpeed> Calibrate() override {
    // 1M random 2048-bit rows, a batch of 256 queries, one query over 64
    // rows (the fixed cost). The emulation measures on 4096 rows and 16
    // queries: the same calls, at a size its CPU threads finish.
    constexpr size_t kRows = kEmulated ? 4096 : size_t{1} << 20, kWords = 32, kQueries = kEmulated ? 16 : 256;
    std::vector<uint64_t> host(kRows * kWords);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (auto& w : host) w = (x = x * 6364136223846793005ull + 1442695040888963407ull);
    HVDB_ASSIGN_OR_RETURN(const kernels::DeviceBuffer rows_buffer, Allocate(host.size() * 8));
    const Handle rows = rows_buffer.handle();
    const auto start_upload = std::chrono::steady_clock::now();
    HVDB_RETURN_IF_ERROR(Upload(rows, 0, host.data(), host.size() * 8));
    const double upload_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_upload).count();
    std::vector<Neighbor> out(kQueries * 10);
    auto time = [&](size_t n, size_t nq) -> Result<double> {
      HVDB_RETURN_IF_ERROR(TopK(rows, n, kWords, 0, host.data(), nq, 10, out.data()));  // warm
      const auto start = std::chrono::steady_clock::now();
      HVDB_RETURN_IF_ERROR(TopK(rows, n, kWords, 0, host.data(), nq, 10, out.data()));
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    HVDB_ASSIGN_OR_RETURN(const double batch_s, time(kRows, kQueries));
    HVDB_ASSIGN_OR_RETURN(const double launch_s, time(64, 1));
    DeviceSpeed speed{static_cast<double>(kRows * kQueries) / std::max(batch_s - launch_s, 1e-9), launch_s,
                      static_cast<double>(host.size() * 8) / std::max(upload_s, 1e-9)};
    // Roofs: a device-to-device copy of the 256 MB, and pure popcounts.
    HVDB_ASSIGN_OR_RETURN(const kernels::DeviceBuffer copy_buffer, Allocate(host.size() * 8));
    const Handle copy = copy_buffer.handle();
    cudaEvent_t start, stop;
    HVDB_RETURN_IF_ERROR(Check(cudaEventCreate(&start), "event"));
    HVDB_RETURN_IF_ERROR(Check(cudaEventCreate(&stop), "event"));
    float ms = 0;
    for (int i = 0; i < 2; ++i) {  // the second one is timed
      cudaEventRecord(start);
      cudaMemcpy(reinterpret_cast<void*>(copy), reinterpret_cast<void*>(rows), host.size() * 8, cudaMemcpyDeviceToDevice);
      cudaEventRecord(stop);
      HVDB_RETURN_IF_ERROR(Check(cudaEventSynchronize(stop), "copy roof"));
    }
    cudaEventElapsedTime(&ms, start, stop);
    speed.copy_bytes_per_s = 2.0 * static_cast<double>(host.size() * 8) / (std::max(ms, 1e-3f) * 1e-3);
    const unsigned blocks = static_cast<unsigned>(multiprocessors_) * 8;
    constexpr int kIterations = kEmulated ? 64 : 4096;
    for (int i = 0; i < 2; ++i) {
      cudaEventRecord(start);
      HVDB_RETURN_IF_ERROR(Check(LaunchPopcRoof(blocks, kIterations, reinterpret_cast<unsigned long long*>(copy)), "popc roof"));
      cudaEventRecord(stop);
      HVDB_RETURN_IF_ERROR(Check(cudaEventSynchronize(stop), "popc roof"));
    }
    cudaEventElapsedTime(&ms, start, stop);
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    speed.popc_pairs_per_s = static_cast<double>(blocks) * kThreads * kIterations / (std::max(ms, 1e-3f) * 1e-3);
    return speed;
  }

 private:
  Status Use() const { return Check(cudaSetDevice(ordinal_), "cudaSetDevice(" + std::to_string(ordinal_) + ")"); }

  const int ordinal_;
  const std::string name_;
  const uint64_t memory_;
  const int multiprocessors_;
};

}  // namespace

std::vector<std::unique_ptr<SearchDevice>> OpenSearchDevices(std::string* why) {
  std::vector<std::unique_ptr<SearchDevice>> out;
  std::vector<DeviceProperties> devices;
  if (Status s = ListDevices(&devices); !s.ok()) {
    *why = s.message();
    return out;
  }
  for (const DeviceProperties& d : devices) {
    size_t free_bytes = 0, total = 0;
    if (cudaSetDevice(d.index) != cudaSuccess || cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    out.push_back(std::make_unique<CudaDevice>(d.index, d.name, free_bytes, d.multiprocessors));
  }
  if (out.empty()) *why = "no CUDA device answered cudaMemGetInfo";
  return out;
}

}  // namespace hvdb::kernels::cuda
