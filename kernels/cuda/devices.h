// Copyright hvdb authors. The CUDA devices the driver reports. No CUDA type here:
// this header is included by code built without nvcc.
#ifndef HVDB_KERNELS_CUDA_DEVICES_H_
#define HVDB_KERNELS_CUDA_DEVICES_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "hvdb/status.h"

namespace hvdb::kernels::cuda {

struct DeviceProperties {
  int index = 0;
  std::string name;
  int major = 0;
  int minor = 0;
  size_t global_memory_bytes = 0;
  int multiprocessors = 0;
};

// Whether this build compiled the CUDA kernels (nvcc was found).
bool Built();

// Fills `devices` with every visible device. Unavailable, naming the driver's
// reason, when the build has no CUDA or the driver reports no usable device;
// `devices` is then empty.
Status ListDevices(std::vector<DeviceProperties>* devices);

// Page-locked host memory (cudaHostAlloc, portable across devices), which
// devices copy from at full speed. nullptr when this build or machine has no
// CUDA device or the allocation fails; the caller then uses ordinary memory.
void* AllocPinned(size_t bytes);
// REQUIRES: p came from AllocPinned (or is null).
void FreePinned(void* p);

}  // namespace hvdb::kernels::cuda

namespace hvdb::kernels {
class SearchDevice;
}

namespace hvdb::kernels::cuda {

// The CUDA search devices (search_device.cu); empty with the reason in *why
// when the build or the machine has none.
std::vector<std::unique_ptr<SearchDevice>> OpenSearchDevices(std::string* why);

}  // namespace hvdb::kernels::cuda

#endif  // HVDB_KERNELS_CUDA_DEVICES_H_
