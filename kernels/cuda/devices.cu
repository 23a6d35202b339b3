// Copyright hvdb authors. Device enumeration through the CUDA runtime.
#include <cuda_runtime.h>
#include <unistd.h>

#include <string>

#include "kernels/cuda/devices.h"

namespace hvdb::kernels::cuda {

bool Built() { return true; }

Status ListDevices(std::vector<DeviceProperties>* devices) {
  devices->clear();
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  // Without an NVIDIA driver the runtime says "driver version is
  // insufficient", which reads as if a driver were there: say what it is.
  const bool driver_loaded = ::access("/proc/driver/nvidia/version", F_OK) == 0;
  if (err == cudaErrorNoDevice || (!driver_loaded && err == cudaErrorInsufficientDriver)) {
    return Status::Unavailable(driver_loaded ? "no CUDA device" : "no CUDA device (no NVIDIA driver is loaded)");
  }
  if (err == cudaErrorInsufficientDriver) {
    return Status::Unavailable(std::string("no usable CUDA device: the NVIDIA driver is older than this build's "
                                           "CUDA runtime (") + cudaGetErrorString(err) + ")");
  }
  if (err != cudaSuccess) {
    return Status::Unavailable(std::string("no usable CUDA device: ") + cudaGetErrorString(err));
  }
  if (count == 0) return Status::Unavailable("no CUDA device");
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    const cudaError_t perr = cudaGetDeviceProperties(&prop, i);
    if (perr != cudaSuccess) {
      devices->clear();
      return Status::Unavailable("CUDA device " + std::to_string(i) + ": " + cudaGetErrorString(perr));
    }
    devices->push_back({i, prop.name, prop.major, prop.minor, prop.totalGlobalMem, prop.multiProcessorCount});
  }
  return Status::OK();
}

void* AllocPinned(size_t bytes) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();  // clear the sticky "no device" error
    return nullptr;
  }
  void* p = nullptr;
  if (cudaHostAlloc(&p, bytes, cudaHostAllocPortable) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return p;
}

void FreePinned(void* p) {
  if (p != nullptr) cudaFreeHost(p);
}

}  // namespace hvdb::kernels::cuda
