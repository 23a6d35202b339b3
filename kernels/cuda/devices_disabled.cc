// Copyright hvdb authors. Device enumeration in a build without CUDA.
#include "kernels/cuda/devices.h"
#include "kernels/device/search_device.h"

namespace hvdb::kernels::cuda {

bool Built() { return false; }

Status ListDevices(std::vector<DeviceProperties>* devices) {
  devices->clear();
  return Status::Unavailable("built without CUDA (HVDB_ENABLE_CUDA=OFF, or nvcc was not found at configure time)");
}

void* AllocPinned(size_t) { return nullptr; }
void FreePinned(void*) {}

std::vector<std::unique_ptr<SearchDevice>> OpenSearchDevices(std::string* why) {
  *why = "built without CUDA (HVDB_ENABLE_CUDA=OFF, or nvcc was not found at configure time)";
  return {};
}

}  // namespace hvdb::kernels::cuda
