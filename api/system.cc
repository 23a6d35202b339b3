// Copyright hvdb authors.
#include "hvdb/system.h"

#include "kernels/cuda/devices.h"
#include "kernels/device/search_device.h"
#include "kernels/hamming.h"

#ifndef HVDB_VERSION_STRING
#error "HVDB_VERSION_STRING must be defined by the build"
#endif

namespace hvdb {

const char* Version() { return HVDB_VERSION_STRING; }

Result<std::string> CpuKernelInUse() {
  HVDB_ASSIGN_OR_RETURN(const kernels::Simd simd, kernels::DefaultSimd());
  return std::string(kernels::SimdName(simd));
}

SystemInfo GetSystemInfo() {
  SystemInfo info;
  info.version = Version();
  Result<std::string> kernel = CpuKernelInUse();
  info.cpu_kernel = kernel.ok() ? *kernel : kernel.status().ToString();
  for (kernels::Simd simd : kernels::kAllSimd) {
    if (kernels::SimdSupported(simd)) info.cpu_kernels.emplace_back(kernels::SimdName(simd));
  }
  info.cpu_threads = kernels::DefaultThreads();
  info.cuda_built = kernels::cuda::Built();
  std::vector<kernels::cuda::DeviceProperties> devices;
  const Status cuda = kernels::cuda::ListDevices(&devices);
  info.cuda_status = cuda.ok() ? "ok" : cuda.message();
  for (const auto& d : devices) {
    info.cuda_devices.push_back({d.index, d.name, d.major, d.minor, d.global_memory_bytes, d.multiprocessors});
  }
  std::string why;
  for (const kernels::SearchDevice* d : kernels::SearchDevices(&why)) info.search_devices.push_back(d->name());
  info.search_devices_status = info.search_devices.empty() ? (why.empty() ? "none" : why) : "ok";
  return info;
}

}  // namespace hvdb
