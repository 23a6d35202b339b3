// Copyright hvdb authors. Device enumeration in a build without CUDA.
#include "kernels/cuda/devices.h"

namespace hvdb::kernels::cuda {

bool Built() { return false; }

Status ListDevices(std::vector<DeviceProperties>* devices) {
  devices->clear();
  return Status::Unavailable("built without CUDA (HVDB_ENABLE_CUDA=OFF, or nvcc was not found at configure time)");
}

}  // namespace hvdb::kernels::cuda
