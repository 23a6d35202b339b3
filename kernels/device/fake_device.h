// Copyright hvdb authors. A SearchDevice in host memory: the CPU kernels do
// its searches, so its answers are exactly the CPU's. It lets the shard
// manager, the planner and the CPU fallback be tested on machines without a
// GPU, and can be told to run out of memory or fail after some calls.
#ifndef HVDB_KERNELS_DEVICE_FAKE_DEVICE_H_
#define HVDB_KERNELS_DEVICE_FAKE_DEVICE_H_

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/device/search_device.h"

namespace hvdb::kernels {

struct FakeDeviceOptions {
  uint64_t memory_bytes = uint64_t{1} << 30;
  // Every call after this many Upload/TopK/WithinRadius calls fails with
  // Unavailable ("device lost"); 0: never.
  uint64_t fail_after = 0;
  // What Calibrate reports.
  double pairs_per_s = 1e11;
  double launch_s = 20e-6;
  double upload_bytes_per_s = 20e9;
};

// Parses HVDB_FAKE_GPU's text; InvalidArgument naming the bad field.
Result<FakeDeviceOptions> ParseFakeDeviceOptions(std::string_view text, size_t* devices);

class FakeDevice final : public SearchDevice {
 public:
  FakeDevice(int index, FakeDeviceOptions options);
  std::string name() const override { return "fake:" + std::to_string(index_); }
  std::string kernel() const override { return "fake"; }
  uint64_t memory_bytes() const override { return options_.memory_bytes; }
  Status Upload(Handle buffer, size_t offset, const void* host, size_t bytes) override;
  Status TopK(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries, size_t nq, size_t k,
              Neighbor* out) override;
  Status WithinRadius(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries, size_t nq,
                      uint32_t radius, std::vector<Neighbor>* out) override;
  Result<DeviceSpeed> Calibrate() override;

  // Calls made so far (uploads and searches), bytes allocated now, and the
  // buffers that hold them (live DeviceBuffers).
  uint64_t calls() const { return calls_; }
  uint64_t allocated_bytes() const;
  size_t live_buffers() const;

 protected:
  Result<Handle> AllocateHandle(size_t bytes) override;
  void FreeHandle(Handle buffer) override;

 private:
  Status Call();  // counts a call; Unavailable once past fail_after
  // A search's input over the buffers (a call); InvalidArgument when one is missing or short.
  Result<ScanInput> SearchInput(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries,
                                size_t nq);
  const std::vector<uint64_t>* Find(Handle buffer) const;

  const int index_;
  const FakeDeviceOptions options_;
  mutable std::mutex mu_;
  std::map<Handle, std::vector<uint64_t>> buffers_;  // guarded by mu_
  Handle next_ = 1;                                  // guarded by mu_
  uint64_t allocated_ = 0;                           // guarded by mu_
  std::atomic<uint64_t> calls_{0};
};

}  // namespace hvdb::kernels

#endif  // HVDB_KERNELS_DEVICE_FAKE_DEVICE_H_
