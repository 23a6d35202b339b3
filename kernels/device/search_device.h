// Copyright hvdb authors. An accelerator as hvdb's GPU search uses it: device
// memory, uploads, and Hamming top-k / radius over rows held there. The CUDA
// implementation and a fake one (host memory, for tests and for machines
// without a GPU; HVDB_FAKE_GPU) implement it. No CUDA type here.
//
// Buffers are DeviceBuffers returned by Allocate, freed when they go; the
// search calls take their handle(). Rows on the device have the host
// layout (n x words 64-bit words), tombstones the host bitmap (ceil(n/64)
// words). Results follow kernels/hamming.h exactly: nearest first, ties to the
// smaller row.
//
// Thread safety: one caller at a time per device (the shard manager holds a
// lock around each use).
#ifndef HVDB_KERNELS_DEVICE_SEARCH_DEVICE_H_
#define HVDB_KERNELS_DEVICE_SEARCH_DEVICE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/options.h"
#include "hvdb/result.h"
#include "hvdb/status.h"
#include "kernels/hamming.h"

namespace hvdb::kernels {

// Speeds a cost model plans with (SearchDevice::Calibrate, or measured on
// the CPU by the planner).
struct DeviceSpeed {
  double pairs_per_s = 0;      // query-row pairs per second at 2048 bits, large batches
  double launch_s = 0;         // fixed cost of one search call
  double upload_bytes_per_s = 0;  // host to device (0: not applicable)
  // Roofs (0: not measured): device-to-device copy, bytes read + written a
  // second; query-row pairs a second at 2048 bits when nothing but popcounts
  // run (words in registers).
  double copy_bytes_per_s = 0;
  double popc_pairs_per_s = 0;
};

class SearchDevice;

// Device memory from SearchDevice::Allocate: the device, the handle its calls
// take, the size; freed when it goes (or at reset). Move-only; a moved-from or
// default one holds nothing. REQUIRES: the device outlives it.
class DeviceBuffer {
 public:
  using Handle = uint64_t;
  DeviceBuffer() = default;
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  SearchDevice* device() const { return device_; }
  Handle handle() const { return handle_; }  // 0 when it holds nothing
  size_t bytes() const { return bytes_; }
  explicit operator bool() const { return handle_ != 0; }
  // Frees the memory now; holds nothing after.
  void reset();

 private:
  friend class SearchDevice;
  DeviceBuffer(SearchDevice* device, Handle handle, size_t bytes) : device_(device), handle_(handle), bytes_(bytes) {}
  SearchDevice* device_ = nullptr;
  Handle handle_ = 0;
  size_t bytes_ = 0;
};

class SearchDevice {
 public:
  using Handle = DeviceBuffer::Handle;
  virtual ~SearchDevice() = default;

  // "cuda:0 NVIDIA H100 80GB HBM3", "fake:1".
  virtual std::string name() const = 0;
  // The kernel name SearchStats reports ("cuda-tile-topk", "fake").
  virtual std::string kernel() const = 0;
  // The kernel TopK runs for a batch of nq queries ("cuda-batch-topk" from
  // a few queries on): what the plan reports.
  virtual std::string kernel_for(size_t /*nq*/) const { return kernel(); }
  // Bytes of device memory hvdb may use on it.
  virtual uint64_t memory_bytes() const = 0;
  // The largest k its TopK takes (at most kMaxK); larger ones run on the CPU.
  virtual size_t max_k() const { return kMaxK; }
  // Whether device auto may choose it. False for test machinery that only
  // runs what is asked of it by name (device gpu): the CUDA emulation.
  virtual bool chosen_by_auto() const { return true; }

  // ResourceExhausted when the memory is not there.
  Result<DeviceBuffer> Allocate(size_t bytes);
  // Copies host bytes into buffer at offset.
  virtual Status Upload(Handle buffer, size_t offset, const void* host, size_t bytes) = 0;

  // queries: host, nq x words. rows: n x words in `rows`; tombstones: a
  // buffer of ceil(n / 64) words, or 0 for none. out: host, nq x k (as
  // kernels::TopK). REQUIRES: 1 <= k <= kMaxK.
  virtual Status TopK(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries, size_t nq,
                      size_t k, Neighbor* out) = 0;
  // As kernels::WithinRadius; out: nq vectors, replaced.
  virtual Status WithinRadius(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries,
                              size_t nq, uint32_t radius, std::vector<Neighbor>* out) = 0;

  // Searches host rows that do not stay on the device: rows (host, n x words)
  // go through it in chunks of chunk_rows rows (a multiple of 64; the
  // tombstones, host, ceil(n / 64) words or null, go along). out[q] receives
  // each chunk's top min(k, chunk) hits, rows counted from host_rows,
  // unsorted across chunks. *uploaded_bytes grows by what was copied. This
  // default copies and searches one chunk at a time through one staging
  // buffer; the CUDA device overlaps the next chunk's copy with the current
  // chunk's search (two streams, two staging buffers).
  virtual Status StreamTopK(const uint64_t* host_rows, size_t n, size_t words, const uint64_t* host_tombstones,
                            size_t chunk_rows, const uint64_t* queries, size_t nq, size_t k,
                            std::vector<std::vector<Neighbor>>* out, uint64_t* uploaded_bytes);

  // The HDC batch forms (hvdb/hdc.h's BindBatch, PermuteBatch, BundleBatch
  // send batches here), host buffers in and out, the same bits as the CPU
  // forms. The defaults are plain loops on the host (the fake device).
  // out row i = a row i XOR b row i (b's one row when broadcast_b); n x words.
  virtual Status Bind(const uint64_t* a, const uint64_t* b, size_t n, size_t words, bool broadcast_b, uint64_t* out);
  // out row i = row i rotated towards higher bits by shift, 0 <= shift < words x 64.
  virtual Status Rotate(const uint64_t* in, size_t n, size_t words, size_t shift, uint64_t* out);
  // in: groups x members rows; out row g: a bit is set when more than half of
  // the group's members have it; exactly half (members even) is a tie, broken
  // by kernels::MajorityWord(tie_seed, ...) (kernels/tie_word.h).
  virtual Status Majority(const uint64_t* in, size_t groups, size_t members, size_t words, uint64_t tie_seed,
                          uint64_t* out);

  // A short measurement of this device's speeds.
  virtual Result<DeviceSpeed> Calibrate() = 0;

 protected:
  // What Allocate and DeviceBuffer call: a nonzero handle, or
  // ResourceExhausted; FreeHandle takes one AllocateHandle returned.
  virtual Result<Handle> AllocateHandle(size_t bytes) = 0;
  virtual void FreeHandle(Handle buffer) = 0;

 private:
  friend class DeviceBuffer;
};

// ---- The device registry: library hvdb_devices (kernels/device/devices.cc),
// above hvdb_kernels and hvdb_kernels_cuda, whose devices it opens. The rooms
// above kernels/ reach the devices, and CUDA, through it only.

// The devices this process searches on, opened once: the CUDA devices when
// this build has the CUDA search kernels and the driver reports some; fake
// devices instead when HVDB_FAKE_GPU is set ("devices=N,memory=BYTES,
// fail_after=CALLS,pairs_per_s=R", every field optional). Empty, with the
// reason in *why, when there are none. Thread-safe.
const std::vector<SearchDevice*>& SearchDevices(std::string* why = nullptr);

// HVDB_DEVICE, read once: kAuto when unset. InvalidArgument naming the text
// when it is not cpu, gpu or auto.
Result<Device> DeviceFromEnvironment();
// The device a caller asked for: `requested` unless kAuto, else HVDB_DEVICE
// (whose errors are returned either way).
Result<Device> RequestedDevice(Device requested);
// Unavailable: device gpu was asked for (by `what`, when not empty) and
// this machine has no search device.
Status NoSearchDevice(std::string_view what = {});

// Tests: makes SearchDevices return `devices` (null: the opened ones again).
// Call before the DB objects that should see them are opened.
void OverrideSearchDevicesForTesting(const std::vector<SearchDevice*>* devices);

// Page-locked host memory (cudaHostAlloc, portable across devices), which
// CUDA devices copy from at full speed: null when this build or machine has
// no CUDA device or the allocation fails; the caller then uses ordinary
// memory (fake devices copy from any memory). PinnedMemoryAvailable: whether
// a CUDA device is present, so that AllocatePinned can pin.
bool PinnedMemoryAvailable();
void* AllocatePinned(size_t bytes);
// REQUIRES: p came from AllocatePinned (or is null).
void FreePinned(void* p);

}  // namespace hvdb::kernels

#endif  // HVDB_KERNELS_DEVICE_SEARCH_DEVICE_H_
